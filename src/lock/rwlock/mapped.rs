//! The guards `map` makes for a part of an `RwLock`'s data: they keep the
//! lock held, by this thread, until they are dropped.

use crate::acquire::HeldToken;
use crate::lock::{guard_impls, map_fns};

/// A read guard for a part of an [`RwLock`](super::RwLock)'s data, made by `map`.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct MappedRwLockReadGuard<'a, T: ?Sized> {
    /// Before `inner`, so dropped first: see [`HeldToken`].
    pub(super) token: HeldToken<'a>,
    pub(super) inner: parking_lot::MappedRwLockReadGuard<'a, T>,
}

type RawMappedRead<'a, T> = parking_lot::MappedRwLockReadGuard<'a, T>;

impl<'a, T: ?Sized> MappedRwLockReadGuard<'a, T> {
    map_fns!(shared MappedRwLockReadGuard {} => MappedRwLockReadGuard,
        RawMappedRead<'a, T>, try_map_or_else,
        "lock", RwLock, "lockgraph::RwLockReadGuard::map(lock.read(), |all| all)");

    /// [`try_map_or_err`](Self::try_map_or_err) under the name lock_api 0.4
    /// gives it on this guard, so that code written against parking_lot
    /// compiles unchanged.
    ///
    /// # Lock order
    /// As [`try_map`](Self::try_map): records nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{MappedRwLockReadGuard, RwLock, RwLockReadGuard};
    /// let lock = RwLock::new((vec![1], 2));
    /// let list = RwLockReadGuard::map(lock.read(), |pair| &pair.0);
    /// let first = MappedRwLockReadGuard::try_map_or_else(list, |v| v.first().ok_or("empty"));
    /// assert_eq!(first.ok().map(|g| *g), Some(1));
    /// ```
    pub fn try_map_or_else<U: ?Sized, F, E>(
        s: Self,
        f: F,
    ) -> Result<MappedRwLockReadGuard<'a, U>, (Self, E)>
    where
        F: FnOnce(&T) -> Result<&U, E>,
    {
        Self::try_map_or_err(s, f)
    }

    /// Unlocks the lock with a fair unlock: a waiting thread gets it first.
    ///
    /// # Lock order
    /// Records nothing; the lock leaves this thread's held set.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{MappedRwLockReadGuard, RwLock, RwLockReadGuard};
    /// let lock = RwLock::new((1, 2));
    /// let first = RwLockReadGuard::map(lock.read(), |pair| &pair.0);
    /// MappedRwLockReadGuard::unlock_fair(first);
    /// assert!(!lock.is_locked());
    /// ```
    pub fn unlock_fair(s: Self) {
        let MappedRwLockReadGuard { inner, token } = s;
        RawMappedRead::unlock_fair(inner);
        drop(token);
    }
}

guard_impls!(MappedRwLockReadGuard);

/// A write guard for a part of an [`RwLock`](super::RwLock)'s data, made by `map`.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct MappedRwLockWriteGuard<'a, T: ?Sized> {
    /// Before `inner`, so dropped first: see [`HeldToken`].
    pub(super) token: HeldToken<'a>,
    pub(super) inner: parking_lot::MappedRwLockWriteGuard<'a, T>,
}

type RawMappedWrite<'a, T> = parking_lot::MappedRwLockWriteGuard<'a, T>;

impl<'a, T: ?Sized> MappedRwLockWriteGuard<'a, T> {
    map_fns!(exclusive MappedRwLockWriteGuard {} => MappedRwLockWriteGuard,
        RawMappedWrite<'a, T>, try_map_or_err,
        "lock", RwLock, "lockgraph::RwLockWriteGuard::map(lock.write(), |all| all)");

    /// Unlocks the lock with a fair unlock: a waiting thread gets it first.
    ///
    /// # Lock order
    /// Records nothing; the lock leaves this thread's held set.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{MappedRwLockWriteGuard, RwLock, RwLockWriteGuard};
    /// let lock = RwLock::new((1, 2));
    /// let first = RwLockWriteGuard::map(lock.write(), |pair| &mut pair.0);
    /// MappedRwLockWriteGuard::unlock_fair(first);
    /// assert!(!lock.is_locked());
    /// ```
    pub fn unlock_fair(s: Self) {
        let MappedRwLockWriteGuard { inner, token } = s;
        RawMappedWrite::unlock_fair(inner);
        drop(token);
    }
}

guard_impls!(MappedRwLockWriteGuard, mut);
