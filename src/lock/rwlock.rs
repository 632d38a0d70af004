//! `RwLock` and its guards.
//!
//! Reads and writes are ordered alike (a read-read cycle is reported, as a
//! queued writer can turn it into a deadlock). A plain `read` of a lock this
//! thread already reads is a potential deadlock (a
//! [`RecursiveRead`](crate::Violation::RecursiveRead)); `read_recursive` is
//! the way to read again.

use std::panic::Location;
use std::time::{Duration, Instant};

use super::{constructors, guard_impls, lock_impls, map_fns, relock_fns};
use crate::acquire::raw;
use crate::acquire::{self, HeldToken, LockHeader};
use crate::held::Access;
use crate::id::LockId;
use crate::meta::LockMeta;

mod mapped;
pub(crate) mod upgradable;

pub use mapped::{MappedRwLockReadGuard, MappedRwLockWriteGuard};
pub use upgradable::RwLockUpgradableReadGuard;

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
        $try_now:ident, $try_for:ident, $try_until:ident;
        at: $blocking_at:ident, $try_now_at:ident, $try_for_at:ident
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
            self.$blocking_at(Location::caller(), acquire::Blocking)
        }

        #[doc = concat!("[`", stringify!($blocking), "`](Self::", stringify!($blocking), "), called at `site`, by `route`.")]
        #[inline(always)]
        pub(crate) fn $blocking_at<P: acquire::Route>(
            &self,
            site: &'static Location<'static>,
            route: P,
        ) -> P::Out<$Guard<'_, T>> {
            route.take(raw::$Raw(&self.inner), &self.header, $access, site, |inner, token| {
                $Guard { inner, token, lock: self }
            })
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
            self.$try_now_at(Location::caller())
        }

        #[doc = concat!("[`", stringify!($try_now), "`](Self::", stringify!($try_now), "), called at `site`.")]
        pub(crate) fn $try_now_at(&self, site: &'static Location<'static>) -> Option<$Guard<'_, T>> {
            if acquire::held_here(&self.header) {
                return None;
            }
            let inner = self.inner.$try_now()?;
            let token = acquire::after_try(&self.header, $access, site);
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
            self.$try_for_at(timeout, Location::caller())
        }

        #[doc = concat!("[`", stringify!($try_for), "`](Self::", stringify!($try_for), "), called at `site`.")]
        pub(crate) fn $try_for_at(
            &self,
            timeout: Duration,
            site: &'static Location<'static>,
        ) -> Option<$Guard<'_, T>> {
            if acquire::held_here(&self.header) {
                return None;
            }
            let inner = self.inner.$try_for(timeout)?;
            let token = acquire::after_try(&self.header, $access, site);
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
            if acquire::held_here(&self.header) {
                return None;
            }
            let inner = self.inner.$try_until(deadline)?;
            let token = acquire::after_try(&self.header, $access, Location::caller());
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
        /// Under `Panic`, on a cycle or if this thread already reads the lock
        /// (a second `read` blocks behind a queued writer: use
        /// [`read_recursive`](Self::read_recursive)); under `Panic` and `Warn`,
        /// if this thread holds it for writing or upgradable reading.
        read, try_read, try_read_for, try_read_until;
        at: read_at, try_read_at, try_read_for_at
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
        read_recursive, try_read_recursive, try_read_recursive_for, try_read_recursive_until;
        at: read_recursive_at, try_read_recursive_at, try_read_recursive_for_at
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
        write, try_write, try_write_for, try_write_until;
        at: write_at, try_write_at, try_write_for_at
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
        upgradable_read, try_upgradable_read, try_upgradable_read_for, try_upgradable_read_until;
        at: upgradable_read_at, try_upgradable_read_at, try_upgradable_read_for_at
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

    /// This lock's class: its creation site, or its name (see
    /// [`LockClass`](crate::LockClass)).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = (lockgraph::RwLock::new(()), lockgraph::RwLock::new(()));
    /// assert_ne!(a.class(), b.class()); // made at two places
    /// ```
    pub fn class(&self) -> crate::LockClass {
        crate::LockClass::of(self.header.origin())
    }

    pub(crate) fn header(&self) -> &LockMeta {
        &self.header
    }

    /// This lock, to be taken for reading by [`lock_all`](crate::lock_all)
    /// and the other set acquisitions (a bare `&lock` in a set is taken for
    /// writing).
    ///
    /// # Lock order
    /// Records nothing by itself; in a set, the read is a member like any
    /// other, taken in ascending id order.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{lock_all, Mutex, RwLock};
    ///
    /// let rates = RwLock::named("rates", 2);
    /// let total = Mutex::named("total", 10);
    /// let (rates, mut total) = lock_all((rates.for_read(), &total));
    /// *total *= *rates;
    /// assert_eq!(*total, 20);
    /// ```
    pub fn for_read(&self) -> crate::ForRead<'_, Self> {
        crate::ForRead::new(self)
    }
}

lock_impls!(RwLock);

/// A shared-read guard of an [`RwLock`].
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    /// Before `inner`, so dropped first: see [`HeldToken`].
    pub(crate) token: HeldToken<'a>,
    pub(crate) inner: RawRead<'a, T>,
    pub(crate) lock: &'a RwLock<T>,
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

    map_fns!(shared RwLockReadGuard { lock } => MappedRwLockReadGuard,
        RawRead<'a, T>, try_map_or_err,
        "lock", RwLock, "lock.read()");

    relock_fns!(RwLockReadGuard, RawRead<'a, T>, RwLock, read);
}

guard_impls!(RwLockReadGuard);

/// An exclusive-write guard of an [`RwLock`].
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    /// Before `inner`, so dropped first: see [`HeldToken`].
    pub(crate) token: HeldToken<'a>,
    pub(crate) inner: RawWrite<'a, T>,
    pub(crate) lock: &'a RwLock<T>,
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

    map_fns!(exclusive RwLockWriteGuard { lock } => MappedRwLockWriteGuard,
        RawWrite<'a, T>, try_map_or_err,
        "lock", RwLock, "lock.write()");

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
        acquire::change_access(&token, Access::Read);
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
        acquire::change_access(&token, Access::Upgradable);
        let inner = RawWrite::downgrade_to_upgradable(inner);
        RwLockUpgradableReadGuard { inner, token, lock }
    }

    relock_fns!(RwLockWriteGuard, RawWrite<'a, T>, RwLock, write);
}

guard_impls!(RwLockWriteGuard, mut);
