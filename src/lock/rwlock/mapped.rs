//! The guards `map` makes for a part of an `RwLock`'s data: they keep the
//! lock held, by this thread, until they are dropped.

use crate::lock::guard_impls;
use crate::tracker::HeldToken;

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
    /// Makes a guard for a part of the data.
    ///
    /// # Lock order
    /// Records nothing: the lock stays held, by this thread, until the new
    /// guard is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{MappedRwLockReadGuard, RwLock, RwLockReadGuard};
    /// let lock = RwLock::new(((1, 2), 3));
    /// let pair = RwLockReadGuard::map(lock.read(), |all| &all.0);
    /// let second = MappedRwLockReadGuard::map(pair, |pair| &pair.1);
    /// assert_eq!(*second, 2);
    /// ```
    pub fn map<U: ?Sized, F: FnOnce(&T) -> &U>(s: Self, f: F) -> MappedRwLockReadGuard<'a, U> {
        let MappedRwLockReadGuard { inner, token } = s;
        let inner = RawMappedRead::map(inner, f);
        MappedRwLockReadGuard { inner, token }
    }

    /// Makes a guard for a part of the data, if `f` finds one; otherwise gives
    /// the guard back.
    ///
    /// # Lock order
    /// Records nothing: the lock stays held, by this thread, by whichever
    /// guard comes back.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{MappedRwLockReadGuard, RwLock, RwLockReadGuard};
    /// let lock = RwLock::new((vec![1], 2));
    /// let list = RwLockReadGuard::map(lock.read(), |pair| &pair.0);
    /// let list = MappedRwLockReadGuard::try_map(list, |v| v.get(1)).expect_err("one item");
    /// let first = MappedRwLockReadGuard::try_map(list, |v| v.first());
    /// assert_eq!(first.ok().map(|g| *g), Some(1));
    /// ```
    pub fn try_map<U: ?Sized, F>(s: Self, f: F) -> Result<MappedRwLockReadGuard<'a, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        // `try_map_or_err` with no error to give back.
        Self::try_map_or_err(s, |data| f(data).ok_or(())).map_err(|(guard, ())| guard)
    }

    /// Makes a guard for a part of the data, if `f` finds one; otherwise gives
    /// the guard back with `f`'s error.
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
    /// let found = MappedRwLockReadGuard::try_map_or_err(list, |v| v.get(1).ok_or("no 2nd"));
    /// let (list, error) = found.expect_err("one item");
    /// assert_eq!((list.len(), error), (1, "no 2nd"));
    /// ```
    pub fn try_map_or_err<U: ?Sized, F, E>(
        s: Self,
        f: F,
    ) -> Result<MappedRwLockReadGuard<'a, U>, (Self, E)>
    where
        F: FnOnce(&T) -> Result<&U, E>,
    {
        let MappedRwLockReadGuard { inner, token } = s;
        match RawMappedRead::try_map_or_else(inner, f) {
            Ok(inner) => Ok(MappedRwLockReadGuard { inner, token }),
            Err((inner, e)) => Err((MappedRwLockReadGuard { inner, token }, e)),
        }
    }

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
    /// Makes a guard for a part of the data.
    ///
    /// # Lock order
    /// Records nothing: the lock stays held, by this thread, until the new
    /// guard is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{MappedRwLockWriteGuard, RwLock, RwLockWriteGuard};
    /// let lock = RwLock::new(((1, 2), 3));
    /// let pair = RwLockWriteGuard::map(lock.write(), |all| &mut all.0);
    /// let mut second = MappedRwLockWriteGuard::map(pair, |pair| &mut pair.1);
    /// *second = 20;
    /// drop(second);
    /// assert_eq!(lock.into_inner(), ((1, 20), 3));
    /// ```
    pub fn map<U: ?Sized, F>(s: Self, f: F) -> MappedRwLockWriteGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let MappedRwLockWriteGuard { inner, token } = s;
        let inner = RawMappedWrite::map(inner, f);
        MappedRwLockWriteGuard { inner, token }
    }

    /// Makes a guard for a part of the data, if `f` finds one; otherwise gives
    /// the guard back.
    ///
    /// # Lock order
    /// Records nothing: the lock stays held, by this thread, by whichever
    /// guard comes back.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{MappedRwLockWriteGuard, RwLock, RwLockWriteGuard};
    /// let lock = RwLock::new((vec![1], 2));
    /// let list = RwLockWriteGuard::map(lock.write(), |pair| &mut pair.0);
    /// let list = MappedRwLockWriteGuard::try_map(list, |v| v.get_mut(1)).expect_err("one item");
    /// let mut first = MappedRwLockWriteGuard::try_map(list, |v| v.first_mut()).ok().unwrap();
    /// *first = 10;
    /// drop(first);
    /// assert_eq!(lock.into_inner(), (vec![10], 2));
    /// ```
    pub fn try_map<U: ?Sized, F>(s: Self, f: F) -> Result<MappedRwLockWriteGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        // `try_map_or_err` with no error to give back.
        Self::try_map_or_err(s, |data| f(data).ok_or(())).map_err(|(guard, ())| guard)
    }

    /// Makes a guard for a part of the data, if `f` finds one; otherwise gives
    /// the guard back with `f`'s error.
    ///
    /// # Lock order
    /// As [`try_map`](Self::try_map): records nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{MappedRwLockWriteGuard, RwLock, RwLockWriteGuard};
    /// let lock = RwLock::new((vec![1], 2));
    /// let list = RwLockWriteGuard::map(lock.write(), |pair| &mut pair.0);
    /// let found = MappedRwLockWriteGuard::try_map_or_err(list, |v| v.get_mut(1).ok_or("no 2nd"));
    /// let (mut list, error) = found.expect_err("one item");
    /// list.push(2); // still written
    /// assert_eq!((list.len(), error), (2, "no 2nd"));
    /// ```
    pub fn try_map_or_err<U: ?Sized, F, E>(
        s: Self,
        f: F,
    ) -> Result<MappedRwLockWriteGuard<'a, U>, (Self, E)>
    where
        F: FnOnce(&mut T) -> Result<&mut U, E>,
    {
        let MappedRwLockWriteGuard { inner, token } = s;
        match RawMappedWrite::try_map_or_err(inner, f) {
            Ok(inner) => Ok(MappedRwLockWriteGuard { inner, token }),
            Err((inner, e)) => Err((MappedRwLockWriteGuard { inner, token }, e)),
        }
    }

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
