//! `RwLock` and its guards.
//!
//! Reads and writes are ordered alike (a read-read cycle is reported, as a
//! queued writer can turn it into a deadlock). A plain `read` of a lock this
//! thread already reads is a self-deadlock; `read_recursive` is the way to read
//! again.

use std::panic::Location;
use std::time::{Duration, Instant};

use super::{constructors, guard_impls, lock_impls, relock_fns};
use crate::held::Access;
use crate::id::LockId;
use crate::meta::LockMeta;
use crate::tracker::{self, HeldToken, LockHeader};
use crate::watchdog::{self, raw};

type RawRead<'a, T> = parking_lot::RwLockReadGuard<'a, T>;
type RawWrite<'a, T> = parking_lot::RwLockWriteGuard<'a, T>;
type RawUpgradable<'a, T> = parking_lot::RwLockUpgradableReadGuard<'a, T>;

/// A reader-writer lock with parking_lot's API that checks lock order.
///
/// # Examples
///
/// ```
/// use lockgraph::RwLock;
///
/// let config = RwLock::named("config", String::from("v1"));
/// {
///     let r1 = config.read();
///     let r2 = config.read_recursive(); // a second read on this thread
///     assert_eq!(*r1, *r2);
/// }
/// config.write().push_str("-patched");
/// assert_eq!(*config.read(), "v1-patched");
/// ```
pub struct RwLock<T: ?Sized> {
    pub(crate) header: LockHeader,
    pub(crate) inner: parking_lot::RwLock<T>,
}

constructors!(RwLock, parking_lot::RwLock<T>);

/// Acquisition methods: `$blocking` checks and blocks, the `try` forms record no
/// edge into the lock.
macro_rules! acquire_fns {
    (
        $access:expr, $Raw:ident, $Guard:ident,
        $(#[$blocking_doc:meta])* $blocking:ident,
        $try_now:ident, $try_for:ident, $try_until:ident
    ) => {
        $(#[$blocking_doc])*
        ///
        /// # Examples
        ///
        #[doc = "```"]
        #[doc = "let lock = lockgraph::RwLock::new(1);"]
        #[doc = concat!("let guard = lock.", stringify!($blocking), "();")]
        #[doc = "assert_eq!(*guard, 1);"]
        #[doc = "```"]
        #[track_caller]
        #[inline(always)]
        pub fn $blocking(&self) -> $Guard<'_, T> {
            let site = Location::caller();
            let token = tracker::before_blocking(&self.header, $access, site);
            let inner = watchdog::acquire(raw::$Raw(&self.inner), &self.header, $access, site);
            $Guard { inner, token, lock: self }
        }

        #[doc = concat!("Attempts [`", stringify!($blocking), "`](Self::", stringify!($blocking), ") without blocking.")]
        ///
        /// # Lock order
        /// Records no edge into this lock (it cannot block); while it is held,
        /// later blocking acquisitions get edges from it. Busy (`None`) when this
        /// thread already holds the lock in any mode, reporting nothing.
        ///
        /// # Examples
        ///
        #[doc = "```"]
        #[doc = "let lock = lockgraph::RwLock::new(1);"]
        #[doc = concat!("assert_eq!(lock.", stringify!($try_now), "().map(|g| *g), Some(1));")]
        #[doc = "```"]
        #[track_caller]
        pub fn $try_now(&self) -> Option<$Guard<'_, T>> {
            if tracker::held_here(&self.header) {
                return None;
            }
            let inner = self.inner.$try_now()?;
            let token = tracker::after_try(&self.header, $access, Location::caller());
            Some($Guard { inner, token, lock: self })
        }

        #[doc = concat!("Attempts [`", stringify!($blocking), "`](Self::", stringify!($blocking), "), giving up after `timeout`.")]
        ///
        /// # Lock order
        /// A timed wait cannot block forever: no edge into this lock.
        ///
        /// # Examples
        ///
        #[doc = "```"]
        #[doc = "let lock = lockgraph::RwLock::new(1);"]
        #[doc = concat!("let guard = lock.", stringify!($try_for), "(std::time::Duration::from_millis(1));")]
        #[doc = "assert_eq!(guard.map(|g| *g), Some(1));"]
        #[doc = "```"]
        #[track_caller]
        pub fn $try_for(&self, timeout: Duration) -> Option<$Guard<'_, T>> {
            if tracker::held_here(&self.header) {
                return None;
            }
            let inner = self.inner.$try_for(timeout)?;
            let token = tracker::after_try(&self.header, $access, Location::caller());
            Some($Guard { inner, token, lock: self })
        }

        #[doc = concat!("Attempts [`", stringify!($blocking), "`](Self::", stringify!($blocking), "), giving up at `deadline`.")]
        ///
        /// # Lock order
        /// A timed wait cannot block forever: no edge into this lock.
        ///
        /// # Examples
        ///
        #[doc = "```"]
        #[doc = "let lock = lockgraph::RwLock::new(1);"]
        #[doc = concat!("let guard = lock.", stringify!($try_until), "(std::time::Instant::now());")]
        #[doc = "assert_eq!(guard.map(|g| *g), Some(1));"]
        #[doc = "```"]
        #[track_caller]
        pub fn $try_until(&self, deadline: Instant) -> Option<$Guard<'_, T>> {
            if tracker::held_here(&self.header) {
                return None;
            }
            let inner = self.inner.$try_until(deadline)?;
            let token = tracker::after_try(&self.header, $access, Location::caller());
            Some($Guard { inner, token, lock: self })
        }
    };
}

impl<T: ?Sized> RwLock<T> {
    acquire_fns!(
        Access::Read, Read, RwLockReadGuard,
        /// Locks for shared reading, blocking until no writer holds or waits for it.
        ///
        /// # Lock order
        /// Records `H -> self` for every held lock `H`, checked before blocking.
        ///
        /// # Panics
        /// Under `Panic`, on a cycle; under `Panic` and `Warn`, if this thread
        /// already holds the lock in any mode (a second `read` blocks behind a
        /// queued writer: use [`read_recursive`](Self::read_recursive)).
        read, try_read, try_read_for, try_read_until
    );

    acquire_fns!(
        Access::ReadRecursive, ReadRecursive, RwLockReadGuard,
        /// Locks for shared reading even if a writer is waiting, so a thread that
        /// already reads may read again.
        ///
        /// # Lock order
        /// Records `H -> self` for every held lock `H`, unless this thread already
        /// reads the lock (then it records nothing).
        ///
        /// # Panics
        /// Under `Panic` and `Warn`, if this thread holds the lock for writing.
        read_recursive, try_read_recursive, try_read_recursive_for, try_read_recursive_until
    );

    acquire_fns!(
        Access::Exclusive, Write, RwLockWriteGuard,
        /// Locks for exclusive writing, blocking until no one else holds it.
        ///
        /// # Lock order
        /// Records `H -> self` for every held lock `H`, checked before blocking.
        ///
        /// # Panics
        /// Under `Panic`, on a cycle; under `Panic` and `Warn`, if this thread
        /// already holds the lock in any mode.
        write, try_write, try_write_for, try_write_until
    );

    acquire_fns!(
        Access::Upgradable, UpgradableRead, RwLockUpgradableReadGuard,
        /// Locks for reading with the right to upgrade to writing later; only
        /// one thread at a time may hold an upgradable read.
        ///
        /// # Lock order
        /// Records `H -> self` for every held lock `H`, checked before blocking.
        ///
        /// # Panics
        /// Under `Panic`, on a cycle; under `Panic` and `Warn`, if this thread
        /// already holds the lock in any mode.
        upgradable_read, try_upgradable_read, try_upgradable_read_for, try_upgradable_read_until
    );

    /// A mutable reference to the value; no locking is needed.
    ///
    /// # Examples
    ///
    #[doc = "```"]
    #[doc = "let mut lock = lockgraph::RwLock::new(1);"]
    #[doc = "*lock.get_mut() += 1;"]
    #[doc = "assert_eq!(lock.into_inner(), 2);"]
    #[doc = "```"]
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }

    /// Whether the lock is held in any mode (a racy snapshot).
    ///
    /// # Examples
    ///
    #[doc = "```"]
    #[doc = "let lock = lockgraph::RwLock::new(());"]
    #[doc = "let reader = lock.read();"]
    #[doc = "assert!(lock.is_locked() && !lock.is_locked_exclusive());"]
    #[doc = "drop(reader);"]
    #[doc = "assert!(!lock.is_locked());"]
    #[doc = "```"]
    pub fn is_locked(&self) -> bool {
        self.inner.is_locked()
    }

    /// Whether the lock is held for writing (a racy snapshot).
    ///
    /// # Examples
    ///
    #[doc = "```"]
    #[doc = "let lock = lockgraph::RwLock::new(());"]
    #[doc = "let _writer = lock.write();"]
    #[doc = "assert!(lock.is_locked_exclusive());"]
    #[doc = "```"]
    pub fn is_locked_exclusive(&self) -> bool {
        self.inner.is_locked_exclusive()
    }

    /// This lock's id (assigned now if it was never used).
    ///
    /// # Examples
    ///
    #[doc = "```"]
    #[doc = "let lock = lockgraph::RwLock::new(());"]
    #[doc = "assert_eq!(lock.id(), lock.id());"]
    #[doc = "```"]
    pub fn id(&self) -> LockId {
        self.header.id()
    }

    pub(crate) fn header(&self) -> &LockMeta {
        &self.header
    }
}

lock_impls!(RwLock);

/// A shared-read guard of an [`RwLock`].
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    inner: RawRead<'a, T>,
    token: HeldToken<'a>,
    lock: &'a RwLock<T>,
}

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    /// The lock this guard reads.
    ///
    /// # Examples
    ///
    #[doc = "```"]
    #[doc = "let lock = lockgraph::RwLock::new(());"]
    #[doc = "let guard = lock.read();"]
    #[doc = "assert_eq!(lockgraph::RwLockReadGuard::rwlock(&guard).id(), lock.id());"]
    #[doc = "```"]
    pub fn rwlock(s: &Self) -> &'a RwLock<T> {
        s.lock
    }

    /// Makes a guard for a part of the data.
    ///
    /// # Lock order
    /// Records nothing: the lock stays held, by this thread, until the new
    /// guard is dropped.
    ///
    /// # Examples
    ///
    #[doc = "```"]
    #[doc = "let lock = lockgraph::RwLock::new((1, 2));"]
    #[doc = "let second = lockgraph::RwLockReadGuard::map(lock.read(), |pair| &pair.1);"]
    #[doc = "assert_eq!(*second, 2);"]
    #[doc = "```"]
    pub fn map<U: ?Sized, F: FnOnce(&T) -> &U>(s: Self, f: F) -> MappedRwLockReadGuard<'a, U> {
        let RwLockReadGuard { inner, token, .. } = s;
        MappedRwLockReadGuard {
            inner: RawRead::map(inner, f),
            token,
        }
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
    /// use lockgraph::{RwLock, RwLockReadGuard};
    /// let lock = RwLock::new(vec![1, 2]);
    /// let kept = RwLockReadGuard::try_map(lock.read(), |v| v.get(5)).expect_err("too short");
    /// let last = RwLockReadGuard::try_map(kept, |v| v.last());
    /// assert_eq!(last.ok().map(|g| *g), Some(2));
    /// ```
    pub fn try_map<U: ?Sized, F>(s: Self, f: F) -> Result<MappedRwLockReadGuard<'a, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        let RwLockReadGuard { inner, token, lock } = s;
        match RawRead::try_map(inner, f) {
            Ok(inner) => Ok(MappedRwLockReadGuard { inner, token }),
            Err(inner) => Err(RwLockReadGuard { inner, token, lock }),
        }
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
    /// use lockgraph::{RwLock, RwLockReadGuard};
    /// let lock = RwLock::new(vec![1, 2]);
    /// let found = RwLockReadGuard::try_map_or_err(lock.read(), |v| v.get(5).ok_or("no 6th"));
    /// let (guard, error) = found.expect_err("too short");
    /// assert_eq!((guard.len(), error), (2, "no 6th")); // still read
    /// ```
    pub fn try_map_or_err<U: ?Sized, F, E>(
        s: Self,
        f: F,
    ) -> Result<MappedRwLockReadGuard<'a, U>, (Self, E)>
    where
        F: FnOnce(&T) -> Result<&U, E>,
    {
        let RwLockReadGuard { inner, token, lock } = s;
        match RawRead::try_map_or_err(inner, f) {
            Ok(inner) => Ok(MappedRwLockReadGuard { inner, token }),
            Err((inner, e)) => Err((RwLockReadGuard { inner, token, lock }, e)),
        }
    }

    relock_fns!(RwLockReadGuard, RawRead<'a, T>, RwLock, read);
}

guard_impls!(RwLockReadGuard);

/// An exclusive-write guard of an [`RwLock`].
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    inner: RawWrite<'a, T>,
    token: HeldToken<'a>,
    lock: &'a RwLock<T>,
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// The lock this guard writes.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = lockgraph::RwLock::new(());
    /// let guard = lock.write();
    /// assert_eq!(lockgraph::RwLockWriteGuard::rwlock(&guard).id(), lock.id());
    /// ```
    pub fn rwlock(s: &Self) -> &'a RwLock<T> {
        s.lock
    }

    /// Makes a guard for a part of the data.
    ///
    /// # Lock order
    /// Records nothing: the lock stays held, by this thread, until the new
    /// guard is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = lockgraph::RwLock::new((1, 2));
    /// let mut second = lockgraph::RwLockWriteGuard::map(lock.write(), |pair| &mut pair.1);
    /// *second = 20;
    /// drop(second);
    /// assert_eq!(*lock.read(), (1, 20));
    /// ```
    pub fn map<U: ?Sized, F>(s: Self, f: F) -> MappedRwLockWriteGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let RwLockWriteGuard { inner, token, .. } = s;
        MappedRwLockWriteGuard {
            inner: RawWrite::map(inner, f),
            token,
        }
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
    /// use lockgraph::{RwLock, RwLockWriteGuard};
    /// let lock = RwLock::new(vec![1, 2]);
    /// let kept = RwLockWriteGuard::try_map(lock.write(), |v| v.get_mut(5)).expect_err("too short");
    /// let mut last = RwLockWriteGuard::try_map(kept, |v| v.last_mut()).expect("not empty");
    /// *last = 20;
    /// drop(last);
    /// assert_eq!(*lock.read(), [1, 20]);
    /// ```
    pub fn try_map<U: ?Sized, F>(s: Self, f: F) -> Result<MappedRwLockWriteGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let RwLockWriteGuard { inner, token, lock } = s;
        match RawWrite::try_map(inner, f) {
            Ok(inner) => Ok(MappedRwLockWriteGuard { inner, token }),
            Err(inner) => Err(RwLockWriteGuard { inner, token, lock }),
        }
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
    /// use lockgraph::{RwLock, RwLockWriteGuard};
    /// let lock = RwLock::new(vec![1, 2]);
    /// let found = RwLockWriteGuard::try_map_or_err(lock.write(), |v| v.get_mut(5).ok_or("no 6th"));
    /// let (mut guard, error) = found.expect_err("too short");
    /// guard.push(3); // still written
    /// assert_eq!((guard.len(), error), (3, "no 6th"));
    /// ```
    pub fn try_map_or_err<U: ?Sized, F, E>(
        s: Self,
        f: F,
    ) -> Result<MappedRwLockWriteGuard<'a, U>, (Self, E)>
    where
        F: FnOnce(&mut T) -> Result<&mut U, E>,
    {
        let RwLockWriteGuard { inner, token, lock } = s;
        match RawWrite::try_map_or_err(inner, f) {
            Ok(inner) => Ok(MappedRwLockWriteGuard { inner, token }),
            Err((inner, e)) => Err((RwLockWriteGuard { inner, token, lock }, e)),
        }
    }

    /// Turns the write lock into a read lock without letting a writer in between.
    ///
    /// # Lock order
    /// Records nothing (never blocks); the lock is now held for reading.
    ///
    /// # Examples
    ///
    #[doc = "```"]
    #[doc = "use lockgraph::{RwLock, RwLockWriteGuard};"]
    #[doc = "let lock = RwLock::new(1);"]
    #[doc = "let mut writer = lock.write();"]
    #[doc = "*writer = 2;"]
    #[doc = "let reader = RwLockWriteGuard::downgrade(writer);"]
    #[doc = "assert_eq!(*reader, 2);"]
    #[doc = "```"]
    pub fn downgrade(s: Self) -> RwLockReadGuard<'a, T> {
        let RwLockWriteGuard { inner, token, lock } = s;
        tracker::change_access(&token, Access::Read);
        RwLockReadGuard {
            inner: RawWrite::downgrade(inner),
            token,
            lock,
        }
    }

    /// Turns the write lock into an upgradable read lock, without letting a
    /// writer in between.
    ///
    /// # Lock order
    /// Records nothing (never blocks); the lock is now held as an upgradable read.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{RwLock, RwLockUpgradableReadGuard, RwLockWriteGuard};
    /// let lock = RwLock::new(1);
    /// let mut writer = lock.write();
    /// *writer = 2;
    /// let up = RwLockWriteGuard::downgrade_to_upgradable(writer);
    /// assert!(lock.try_read().is_none()); // still held here
    /// assert_eq!(*RwLockUpgradableReadGuard::upgrade(up), 2);
    /// ```
    pub fn downgrade_to_upgradable(s: Self) -> RwLockUpgradableReadGuard<'a, T> {
        let RwLockWriteGuard { inner, token, lock } = s;
        tracker::change_access(&token, Access::Upgradable);
        let inner = RawWrite::downgrade_to_upgradable(inner);
        RwLockUpgradableReadGuard { inner, token, lock }
    }

    relock_fns!(RwLockWriteGuard, RawWrite<'a, T>, RwLock, write);
}

guard_impls!(RwLockWriteGuard, mut);

/// An upgradable-read guard of an [`RwLock`].
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RwLockUpgradableReadGuard<'a, T: ?Sized> {
    inner: RawUpgradable<'a, T>,
    token: HeldToken<'a>,
    lock: &'a RwLock<T>,
}

impl<'a, T: ?Sized> RwLockUpgradableReadGuard<'a, T> {
    /// The lock this guard reads.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = lockgraph::RwLock::new(());
    /// let guard = lock.upgradable_read();
    /// let of = lockgraph::RwLockUpgradableReadGuard::rwlock(&guard);
    /// assert_eq!(of.id(), lock.id());
    /// ```
    pub fn rwlock(s: &Self) -> &'a RwLock<T> {
        s.lock
    }

    /// Upgrades to a write lock, blocking until the other readers leave.
    ///
    /// # Lock order
    /// A blocking acquisition of this lock for writing: records `H -> self` for
    /// every other held lock `H` (a reader of this lock may be waiting for one
    /// of them), checked before blocking.
    ///
    /// # Examples
    ///
    #[doc = "```"]
    #[doc = "use lockgraph::{RwLock, RwLockUpgradableReadGuard};"]
    #[doc = "let lock = RwLock::new(1);"]
    #[doc = "let maybe = lock.upgradable_read();"]
    #[doc = "if *maybe == 1 {"]
    #[doc = "    let mut writer = RwLockUpgradableReadGuard::upgrade(maybe);"]
    #[doc = "    *writer = 2;"]
    #[doc = "}"]
    #[doc = "assert_eq!(*lock.read(), 2);"]
    #[doc = "```"]
    #[track_caller]
    pub fn upgrade(s: Self) -> RwLockWriteGuard<'a, T> {
        let RwLockUpgradableReadGuard { inner, token, lock } = s;
        let suspended = tracker::suspend(&token, Some(Access::Exclusive));
        let inner = watchdog::acquire(
            raw::Upgrade(inner),
            &lock.header,
            Access::Exclusive,
            Location::caller(),
        );
        suspended.resume();
        RwLockWriteGuard { inner, token, lock }
    }

    /// Upgrades to a write lock if no other reader holds the lock.
    ///
    /// # Lock order
    /// Records nothing (never blocks).
    ///
    /// # Examples
    ///
    #[doc = "```"]
    #[doc = "use lockgraph::{RwLock, RwLockUpgradableReadGuard};"]
    #[doc = "let lock = RwLock::new(1);"]
    #[doc = "let up = lock.upgradable_read();"]
    #[doc = "// No other reader: the upgrade succeeds without waiting."]
    #[doc = "let mut writer = RwLockUpgradableReadGuard::try_upgrade(up).expect(\"no readers\");"]
    #[doc = "*writer = 2;"]
    #[doc = "```"]
    pub fn try_upgrade(s: Self) -> Result<RwLockWriteGuard<'a, T>, Self> {
        Self::try_upgrade_with(s, RawUpgradable::try_upgrade)
    }

    /// Upgrades to a write lock, giving up after `timeout`; gives the guard
    /// back if it could not.
    ///
    /// # Lock order
    /// Records nothing (a timed wait cannot block forever).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Barrier;
    /// use std::time::Duration;
    /// use lockgraph::{RwLock, RwLockUpgradableReadGuard};
    ///
    /// let lock = RwLock::new(1);
    /// let up = lock.upgradable_read();
    /// let (reading, done) = (Barrier::new(2), Barrier::new(2));
    /// let up = std::thread::scope(|s| {
    ///     s.spawn(|| {
    ///         let _read = lock.read();
    ///         reading.wait();
    ///         done.wait();
    ///     });
    ///     reading.wait(); // another thread reads: the upgrade times out
    ///     let up = RwLockUpgradableReadGuard::try_upgrade_for(up, Duration::from_millis(5))
    ///         
    ///         .expect_err("the guard comes back");
    ///     done.wait();
    ///     up
    /// });
    /// let writer = RwLockUpgradableReadGuard::try_upgrade_for(up, Duration::from_secs(5));
    /// assert_eq!(writer.ok().map(|w| *w), Some(1));
    /// ```
    pub fn try_upgrade_for(s: Self, timeout: Duration) -> Result<RwLockWriteGuard<'a, T>, Self> {
        Self::try_upgrade_with(s, |inner| RawUpgradable::try_upgrade_for(inner, timeout))
    }

    /// Upgrades to a write lock, giving up at `deadline`; gives the guard back
    /// if it could not.
    ///
    /// # Lock order
    /// Records nothing (a timed wait cannot block forever).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Instant;
    /// use lockgraph::{RwLock, RwLockUpgradableReadGuard};
    /// let lock = RwLock::new(1);
    /// let up = lock.upgradable_read();
    /// let writer = RwLockUpgradableReadGuard::try_upgrade_until(up, Instant::now());
    /// assert_eq!(writer.ok().map(|w| *w), Some(1)); // no other reader: no wait
    /// ```
    pub fn try_upgrade_until(s: Self, deadline: Instant) -> Result<RwLockWriteGuard<'a, T>, Self> {
        Self::try_upgrade_with(s, |inner| RawUpgradable::try_upgrade_until(inner, deadline))
    }

    fn try_upgrade_with(
        s: Self,
        attempt: impl FnOnce(RawUpgradable<'a, T>) -> Result<RawWrite<'a, T>, RawUpgradable<'a, T>>,
    ) -> Result<RwLockWriteGuard<'a, T>, Self> {
        let RwLockUpgradableReadGuard { inner, token, lock } = s;
        match attempt(inner) {
            Ok(inner) => {
                tracker::change_access(&token, Access::Exclusive);
                Ok(RwLockWriteGuard { inner, token, lock })
            }
            Err(inner) => Err(RwLockUpgradableReadGuard { inner, token, lock }),
        }
    }

    /// Turns the upgradable read into a plain read, without letting a writer
    /// in between.
    ///
    /// # Lock order
    /// Records nothing (never blocks); the lock is now held for reading.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{RwLock, RwLockUpgradableReadGuard};
    /// let lock = RwLock::new(1);
    /// let reader = RwLockUpgradableReadGuard::downgrade(lock.upgradable_read());
    /// assert!(lock.try_upgradable_read().is_none()); // still held here
    /// assert_eq!(*reader, 1);
    /// ```
    pub fn downgrade(s: Self) -> RwLockReadGuard<'a, T> {
        let RwLockUpgradableReadGuard { inner, token, lock } = s;
        tracker::change_access(&token, Access::Read);
        RwLockReadGuard {
            inner: RawUpgradable::downgrade(inner),
            token,
            lock,
        }
    }

    /// Upgrades to a write lock in place, blocking until the other readers
    /// leave, runs `f` on the data, and turns the lock back into an upgradable
    /// read (also if `f` panics).
    ///
    /// # Lock order
    /// As [`upgrade`](Self::upgrade): a blocking acquisition of this lock for
    /// writing, which records `H -> self` for every other held lock `H`,
    /// checked before blocking. While `f` runs the lock is held for writing.
    ///
    /// # Panics
    /// Under [`Policy::Panic`](crate::Policy::Panic), if the upgrade closes a
    /// lock-order cycle (before it blocks; the guard stays an upgradable read).
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::RwLock;
    /// let cache = RwLock::new(Vec::new());
    /// let mut up = cache.upgradable_read();
    /// if up.is_empty() {
    ///     up.with_upgraded(|items| items.push("filled"));
    /// }
    /// assert_eq!(*up, ["filled"]); // an upgradable read again
    /// ```
    #[track_caller]
    pub fn with_upgraded<Ret, F: FnOnce(&mut T) -> Ret>(&mut self, f: F) -> Ret {
        let site = Location::caller();
        let _upgraded = Upgraded::restore_at_end(&self.token);
        // The check `upgrade` makes; the entry comes back as held for writing.
        tracker::suspend(&self.token, Some(Access::Exclusive)).resume();
        let waited = raw::UpgradeInPlace(&mut self.inner);
        watchdog::acquire(waited, &self.lock.header, Access::Exclusive, site);
        // The upgrade could be made just now, so parking_lot's own upgrade
        // rarely waits (a wait that begins in this moment is not watched).
        self.inner.with_upgraded(f)
    }

    /// Upgrades to a write lock in place if no other reader holds the lock,
    /// runs `f` on the data, and turns the lock back into an upgradable read;
    /// `None` (and `f` is not run) if another reader holds it.
    ///
    /// # Lock order
    /// Records nothing (never blocks). While `f` runs the lock is held for
    /// writing.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::RwLock;
    /// let lock = RwLock::new(1);
    /// let mut up = lock.upgradable_read();
    /// assert_eq!(up.try_with_upgraded(|n| { *n += 1; *n }), Some(2)); // no other reader
    /// assert_eq!(*up, 2);
    /// ```
    pub fn try_with_upgraded<Ret, F: FnOnce(&mut T) -> Ret>(&mut self, f: F) -> Option<Ret> {
        let token = &self.token;
        self.inner
            .try_with_upgraded(|data| Upgraded::during(token, || f(data)))
    }

    /// Like [`try_with_upgraded`](Self::try_with_upgraded), waiting at most
    /// `timeout` for the other readers to leave.
    ///
    /// # Lock order
    /// Records nothing (a timed wait cannot block forever). While `f` runs the
    /// lock is held for writing.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use lockgraph::RwLock;
    /// let lock = RwLock::new(1);
    /// let mut up = lock.upgradable_read();
    /// let doubled = up.try_with_upgraded_for(Duration::from_millis(10), |n| { *n *= 2; *n });
    /// assert_eq!(doubled, Some(2));
    /// ```
    pub fn try_with_upgraded_for<Ret, F: FnOnce(&mut T) -> Ret>(
        &mut self,
        timeout: Duration,
        f: F,
    ) -> Option<Ret> {
        let token = &self.token;
        self.inner
            .try_with_upgraded_for(timeout, |data| Upgraded::during(token, || f(data)))
    }

    /// Like [`try_with_upgraded`](Self::try_with_upgraded), waiting until
    /// `deadline` at most for the other readers to leave.
    ///
    /// # Lock order
    /// Records nothing (a timed wait cannot block forever). While `f` runs the
    /// lock is held for writing.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Instant;
    /// use lockgraph::RwLock;
    /// let lock = RwLock::new(1);
    /// let mut up = lock.upgradable_read();
    /// assert_eq!(up.try_with_upgraded_until(Instant::now(), |n| *n + 1), Some(2));
    /// ```
    pub fn try_with_upgraded_until<Ret, F: FnOnce(&mut T) -> Ret>(
        &mut self,
        deadline: Instant,
        f: F,
    ) -> Option<Ret> {
        let token = &self.token;
        self.inner
            .try_with_upgraded_until(deadline, |data| Upgraded::during(token, || f(data)))
    }

    relock_fns!(
        RwLockUpgradableReadGuard,
        RawUpgradable<'a, T>,
        RwLock,
        upgradable_read
    );
}

guard_impls!(RwLockUpgradableReadGuard);

/// An in-place upgrade of an upgradable guard (`with_upgraded` and its `try`
/// forms): the held set says "held for writing" until this is dropped, then
/// "upgradable read" again, also when the caller's closure panics.
struct Upgraded<'t, 'a>(&'t HeldToken<'a>);

impl<'t, 'a> Upgraded<'t, 'a> {
    /// Restores the upgradable mode when dropped (the caller records the write).
    fn restore_at_end(token: &'t HeldToken<'a>) -> Self {
        Upgraded(token)
    }

    /// Runs `f` with the lock recorded as held for writing.
    fn during<U>(token: &'t HeldToken<'a>, f: impl FnOnce() -> U) -> U {
        tracker::change_access(token, Access::Exclusive);
        let _upgraded = Upgraded(token);
        f()
    }
}

impl Drop for Upgraded<'_, '_> {
    fn drop(&mut self) {
        tracker::change_access(self.0, Access::Upgradable);
    }
}

/// A read guard for a part of an [`RwLock`]'s data, made by `map`.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct MappedRwLockReadGuard<'a, T: ?Sized> {
    inner: parking_lot::MappedRwLockReadGuard<'a, T>,
    token: HeldToken<'a>,
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
        let MappedRwLockReadGuard { inner, token } = s;
        match RawMappedRead::try_map(inner, f) {
            Ok(inner) => Ok(MappedRwLockReadGuard { inner, token }),
            Err(inner) => Err(MappedRwLockReadGuard { inner, token }),
        }
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

/// A write guard for a part of an [`RwLock`]'s data, made by `map`.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct MappedRwLockWriteGuard<'a, T: ?Sized> {
    inner: parking_lot::MappedRwLockWriteGuard<'a, T>,
    token: HeldToken<'a>,
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
        let MappedRwLockWriteGuard { inner, token } = s;
        match RawMappedWrite::try_map(inner, f) {
            Ok(inner) => Ok(MappedRwLockWriteGuard { inner, token }),
            Err(inner) => Err(MappedRwLockWriteGuard { inner, token }),
        }
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
