//! `RwLock<R, T>` over any raw reader-writer lock, and its read and write
//! guards (the upgradable guard is in `upgradable.rs`).
//!
//! Reads and writes are ordered alike, as the crate root's
//! [`RwLock`](crate::RwLock)'s are: a read-read cycle is reported, and a
//! plain `read` of a lock this thread already reads is a potential deadlock
//! (a [`RecursiveRead`](crate::Violation::RecursiveRead)).

use std::panic::Location;

use super::api::{self, RawRwLock, RawRwLockDowngrade, RawRwLockFair, RawRwLockTimed};
use super::raw;
use super::upgradable::RwLockUpgradableReadGuard;
use crate::acquire::{self, HeldToken, LockHeader};
use crate::held::Access;
use crate::meta::LockMeta;

/// A reader-writer lock over any raw reader-writer lock `R` (lock_api's
/// `RwLock<R, T>`), with lock-order checking. The upgradable, recursive,
/// timed, downgrading and fair methods are there when `R` has them.
///
/// # Examples
///
#[doc = example!(
    "let config = RwLock::<RawRwLock, _>::named(\"config\", String::from(\"v1\"));",
    "assert_eq!(*config.read(), \"v1\");",
    "config.write().push_str(\"-patched\");",
    "assert_eq!(*config.read(), \"v1-patched\");"
)]
pub struct RwLock<R, T: ?Sized> {
    pub(super) header: LockHeader,
    pub(super) inner: api::RwLock<R, T>,
}

constructors!(RwLock<R: RawRwLock>, RwLock, (raw: RawRwLock), "RwLock::<RawRwLock, _>::new");

/// A blocking acquisition of one mode (`$Mode`, recorded as `$access`) and
/// its `try`, which records no edge into the lock.
macro_rules! acquire_fns {
    (
        $access:expr, $Mode:path, $Guard:ident,
        $(#[$blocking_doc:meta])* $blocking:ident, $blocking_at:ident, $try_now:ident
    ) => {
        $(#[$blocking_doc])*
        ///
        /// # Examples
        ///
        #[doc = example!(
            "let lock = RwLock::<RawRwLock, _>::new(1);",
            concat!("let guard = lock.", stringify!($blocking), "();"),
            "assert_eq!(*guard, 1);"
        )]
        #[track_caller]
        #[inline(always)]
        pub fn $blocking(&self) -> $Guard<'_, R, T> {
            self.$blocking_at(std::panic::Location::caller(), crate::acquire::Blocking)
        }

        #[doc = concat!("[`", stringify!($blocking), "`](Self::", stringify!($blocking), "), called at `site`, by `route`.")]
        #[inline(always)]
        pub(crate) fn $blocking_at<P: crate::acquire::Route>(
            &self,
            site: &'static std::panic::Location<'static>,
            route: P,
        ) -> P::Out<$Guard<'_, R, T>> {
            let raw = $Mode(&self.inner);
            route.take(raw, &self.header, $access, site, |inner, token| {
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
        #[doc = example!(
            "let lock = RwLock::<RawRwLock, _>::new(1);",
            concat!("assert_eq!(lock.", stringify!($try_now), "().map(|g| *g), Some(1));")
        )]
        #[track_caller]
        pub fn $try_now(&self) -> Option<$Guard<'_, R, T>> {
            if crate::acquire::held_here(&self.header) {
                return None;
            }
            let inner = self.inner.$try_now()?;
            let token = crate::acquire::after_try(&self.header, $access, std::panic::Location::caller());
            Some($Guard { inner, token, lock: self })
        }
    };
}

/// The timed forms of an acquisition: no edge into the lock.
macro_rules! timed_fns {
    ($access:expr, $Guard:ident, $blocking:ident, $try_for:ident, $try_until:ident) => {
        #[doc = concat!("Attempts [`", stringify!($blocking), "`](Self::", stringify!($blocking), "), giving up after `timeout`.")]
        ///
        /// # Lock order
        /// A timed wait cannot block forever: no edge into this lock. Busy
        /// (`None`, at once) when this thread already holds the lock.
        ///
        /// # Examples
        ///
        #[doc = example!(
            "let lock = RwLock::<RawRwLock, _>::new(1);",
            concat!("let guard = lock.", stringify!($try_for), "(std::time::Duration::from_millis(1));"),
            "assert_eq!(guard.map(|g| *g), Some(1));"
        )]
        #[track_caller]
        pub fn $try_for(&self, timeout: R::Duration) -> Option<$Guard<'_, R, T>> {
            if crate::acquire::held_here(&self.header) {
                return None;
            }
            let inner = self.inner.$try_for(timeout)?;
            let token = crate::acquire::after_try(&self.header, $access, std::panic::Location::caller());
            Some($Guard { inner, token, lock: self })
        }

        #[doc = concat!("Attempts [`", stringify!($blocking), "`](Self::", stringify!($blocking), "), giving up at `deadline`.")]
        ///
        /// # Lock order
        /// A timed wait cannot block forever: no edge into this lock.
        ///
        /// # Examples
        ///
        #[doc = example!(
            "let lock = RwLock::<RawRwLock, _>::new(1);",
            concat!("let guard = lock.", stringify!($try_until), "(std::time::Instant::now());"),
            "assert_eq!(guard.map(|g| *g), Some(1));"
        )]
        #[track_caller]
        pub fn $try_until(&self, deadline: R::Instant) -> Option<$Guard<'_, R, T>> {
            if crate::acquire::held_here(&self.header) {
                return None;
            }
            let inner = self.inner.$try_until(deadline)?;
            let token = crate::acquire::after_try(&self.header, $access, std::panic::Location::caller());
            Some($Guard { inner, token, lock: self })
        }
    };
}

impl<R: RawRwLock, T: ?Sized> RwLock<R, T> {
    acquire_fns!(
        Access::Read, raw::Read, RwLockReadGuard,
        /// Locks for shared reading, blocking until no writer holds it.
        ///
        /// # Lock order
        /// Records `H -> self` for every held lock `H`, checked before blocking.
        ///
        /// # Panics
        /// Under `Panic`, on a cycle or if this thread already reads the lock
        /// (a second `read` may block behind a queued writer); under `Panic`
        /// and `Warn`, if this thread holds it for writing.
        read, read_at, try_read
    );

    acquire_fns!(
        Access::Exclusive, raw::Write, RwLockWriteGuard,
        /// Locks for exclusive writing, blocking until no one else holds it.
        ///
        /// # Lock order
        /// Records `H -> self` for every held lock `H`, checked before blocking.
        ///
        /// # Panics
        /// Under `Panic`, on a cycle; under `Panic` and `Warn`, if this thread
        /// already holds the lock in any mode.
        write, write_at, try_write
    );

    /// Takes the lock (for writing, or reading), waiting until `deadline`
    /// at most, whatever the raw lock can do (its try, again and again): a
    /// set's timed acquisition.
    #[track_caller]
    pub(super) fn try_polling<'a, A: acquire::RawAcquire, G>(
        &'a self,
        raw: A,
        access: Access,
        deadline: std::time::Instant,
        make: impl FnOnce(A::Guard, HeldToken<'a>) -> G,
    ) -> Option<G> {
        if acquire::held_here(&self.header) {
            return None;
        }
        let inner = acquire::poll::until(raw, Some(deadline), A::try_now).ok()?;
        Some(make(
            inner,
            acquire::after_try(&self.header, access, Location::caller()),
        ))
    }

    /// A mutable reference to the value; no locking is needed.
    ///
    /// # Examples
    ///
    #[doc = example!(
        "let mut lock = RwLock::<RawRwLock, _>::new(1);",
        "*lock.get_mut() += 1;",
        "assert_eq!(lock.into_inner(), 2);"
    )]
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }

    /// Whether the lock is held in any mode (a racy snapshot).
    ///
    /// # Examples
    ///
    #[doc = example!(
        "let lock = RwLock::<RawRwLock, _>::new(());",
        "let reader = lock.read();",
        "assert!(lock.is_locked() && !lock.is_locked_exclusive());",
        "drop(reader);",
        "assert!(!lock.is_locked());"
    )]
    pub fn is_locked(&self) -> bool {
        self.inner.is_locked()
    }

    /// Whether the lock is held for writing (a racy snapshot).
    ///
    /// # Examples
    ///
    #[doc = example!(
        "let lock = RwLock::<RawRwLock, _>::new(());",
        "let _writer = lock.write();",
        "assert!(lock.is_locked_exclusive());"
    )]
    pub fn is_locked_exclusive(&self) -> bool {
        self.inner.is_locked_exclusive()
    }

    identity_fns!("RwLock::<RawRwLock, _>::new");

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
    #[doc = example!(
        "let rates = RwLock::<RawRwLock, _>::named(\"rates\", 2);",
        "let total = Mutex::<RawMutex, _>::named(\"total\", 10);",
        "let (rates, mut total) = lockgraph::lock_all((rates.for_read(), &total));",
        "*total *= *rates;",
        "assert_eq!(*total, 20);"
    )]
    pub fn for_read(&self) -> crate::ForRead<'_, Self> {
        crate::ForRead::new(self)
    }
}

impl<R: RawRwLockTimed, T: ?Sized> RwLock<R, T> {
    timed_fns!(
        Access::Read,
        RwLockReadGuard,
        read,
        try_read_for,
        try_read_until
    );
    timed_fns!(
        Access::Exclusive,
        RwLockWriteGuard,
        write,
        try_write_for,
        try_write_until
    );
}

/// A shared-read guard of an [`RwLock`]. Not `Send`.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RwLockReadGuard<'a, R: RawRwLock, T: ?Sized> {
    /// Before `inner`, so dropped first: see [`HeldToken`].
    pub(super) token: HeldToken<'a>,
    pub(super) inner: api::RwLockReadGuard<'a, R, T>,
    pub(super) lock: &'a RwLock<R, T>,
}

type RawRead<'a, R, T> = api::RwLockReadGuard<'a, R, T>;
type RawWrite<'a, R, T> = api::RwLockWriteGuard<'a, R, T>;

impl<'a, R: RawRwLock + 'a, T: ?Sized + 'a> RwLockReadGuard<'a, R, T> {
    /// The lock this guard reads.
    ///
    /// # Examples
    ///
    #[doc = example!(
        "let lock = RwLock::<RawRwLock, _>::new(());",
        "let guard = lock.read();",
        "assert_eq!(RwLockReadGuard::rwlock(&guard).id(), lock.id());"
    )]
    pub fn rwlock(s: &Self) -> &'a RwLock<R, T> {
        s.lock
    }

    map_fns!(shared RwLockReadGuard { lock } => MappedRwLockReadGuard<R>,
        RawRead<'a, R, T>, RawRead::try_map_or_err,
        "RwLock::<RawRwLock, _>::new", "lock.read()");

    unlocked_fn!(
        RwLockReadGuard,
        RawRead<'a, R, T>,
        |s| raw::Read(&s.lock.inner),
        "RwLock::<RawRwLock, _>::new",
        "lock.read()"
    );
}

impl<'a, R: RawRwLockFair + 'a, T: ?Sized + 'a> RwLockReadGuard<'a, R, T> {
    fair_fns!(
        RwLockReadGuard,
        RawRead<'a, R, T>,
        |s| raw::Read(&s.lock.inner),
        "RwLock::<RawRwLock, _>::new",
        "lock.read()"
    );
}

guard_impls!(RwLockReadGuard<R: RawRwLock>);

/// An exclusive-write guard of an [`RwLock`]. Not `Send`.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RwLockWriteGuard<'a, R: RawRwLock, T: ?Sized> {
    /// Before `inner`, so dropped first: see [`HeldToken`].
    pub(super) token: HeldToken<'a>,
    pub(super) inner: api::RwLockWriteGuard<'a, R, T>,
    pub(super) lock: &'a RwLock<R, T>,
}

impl<'a, R: RawRwLock + 'a, T: ?Sized + 'a> RwLockWriteGuard<'a, R, T> {
    /// The lock this guard writes.
    ///
    /// # Examples
    ///
    #[doc = example!(
        "let lock = RwLock::<RawRwLock, _>::new(());",
        "let guard = lock.write();",
        "assert_eq!(RwLockWriteGuard::rwlock(&guard).id(), lock.id());"
    )]
    pub fn rwlock(s: &Self) -> &'a RwLock<R, T> {
        s.lock
    }

    map_fns!(exclusive RwLockWriteGuard { lock } => MappedRwLockWriteGuard<R>,
        RawWrite<'a, R, T>, RawWrite::try_map_or_err,
        "RwLock::<RawRwLock, _>::new", "lock.write()");

    unlocked_fn!(
        RwLockWriteGuard,
        RawWrite<'a, R, T>,
        |s| raw::Write(&s.lock.inner),
        "RwLock::<RawRwLock, _>::new",
        "lock.write()"
    );
}

impl<'a, R: RawRwLockDowngrade + 'a, T: ?Sized + 'a> RwLockWriteGuard<'a, R, T> {
    /// Turns the write lock into a read lock without letting a writer in
    /// between.
    ///
    /// # Lock order
    /// Records nothing (never blocks); the lock is now held for reading.
    ///
    /// # Examples
    ///
    #[doc = example!(
        "let lock = RwLock::<RawRwLock, _>::new(1);",
        "let mut writer = lock.write();",
        "*writer = 2;",
        "let reader = RwLockWriteGuard::downgrade(writer);",
        "assert_eq!(*reader, 2);"
    )]
    pub fn downgrade(s: Self) -> RwLockReadGuard<'a, R, T> {
        let RwLockWriteGuard { inner, token, lock } = s;
        acquire::change_access(&token, Access::Read);
        RwLockReadGuard {
            inner: RawWrite::downgrade(inner),
            token,
            lock,
        }
    }
}

impl<'a, R: api::RawRwLockUpgradeDowngrade + 'a, T: ?Sized + 'a> RwLockWriteGuard<'a, R, T> {
    /// Turns the write lock into an upgradable read lock, without letting a
    /// writer in between.
    ///
    /// # Lock order
    /// Records nothing (never blocks); the lock is now held as an upgradable
    /// read.
    ///
    /// # Examples
    ///
    #[doc = example!(
        "let lock = RwLock::<RawRwLock, _>::new(1);",
        "let up = RwLockWriteGuard::downgrade_to_upgradable(lock.write());",
        "assert!(lock.try_read().is_none()); // still held here",
        "assert_eq!(*RwLockUpgradableReadGuard::upgrade(up), 1);"
    )]
    pub fn downgrade_to_upgradable(s: Self) -> RwLockUpgradableReadGuard<'a, R, T> {
        let RwLockWriteGuard { inner, token, lock } = s;
        acquire::change_access(&token, Access::Upgradable);
        let inner = RawWrite::downgrade_to_upgradable(inner);
        RwLockUpgradableReadGuard { inner, token, lock }
    }
}

impl<'a, R: RawRwLockFair + 'a, T: ?Sized + 'a> RwLockWriteGuard<'a, R, T> {
    fair_fns!(
        RwLockWriteGuard,
        RawWrite<'a, R, T>,
        |s| raw::Write(&s.lock.inner),
        "RwLock::<RawRwLock, _>::new",
        "lock.write()"
    );
}

guard_impls!(RwLockWriteGuard<R: RawRwLock> mut);

/// A read guard for a part of an [`RwLock`]'s data, made by `map`.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct MappedRwLockReadGuard<'a, R: RawRwLock, T: ?Sized> {
    /// Before `inner`, so dropped first: see [`HeldToken`].
    token: HeldToken<'a>,
    inner: api::MappedRwLockReadGuard<'a, R, T>,
}

type RawMappedRead<'a, R, T> = api::MappedRwLockReadGuard<'a, R, T>;
type RawMappedWrite<'a, R, T> = api::MappedRwLockWriteGuard<'a, R, T>;

impl<'a, R: RawRwLock + 'a, T: ?Sized + 'a> MappedRwLockReadGuard<'a, R, T> {
    map_fns!(shared MappedRwLockReadGuard {} => MappedRwLockReadGuard<R>,
        RawMappedRead<'a, R, T>, super::try_map_mapped_read,
        "RwLock::<RawRwLock, _>::new", "RwLockReadGuard::map(lock.read(), |all| all)");
}

impl<'a, R: RawRwLockFair + 'a, T: ?Sized + 'a> MappedRwLockReadGuard<'a, R, T> {
    mapped_unlock_fair!(
        MappedRwLockReadGuard,
        RawMappedRead<'a, R, T>,
        "RwLock::<RawRwLock, _>::new",
        "RwLockReadGuard::map(lock.read(), |pair| &pair.0)"
    );
}

guard_impls!(MappedRwLockReadGuard<R: RawRwLock>);

/// A write guard for a part of an [`RwLock`]'s data, made by `map`.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct MappedRwLockWriteGuard<'a, R: RawRwLock, T: ?Sized> {
    /// Before `inner`, so dropped first: see [`HeldToken`].
    token: HeldToken<'a>,
    inner: api::MappedRwLockWriteGuard<'a, R, T>,
}

impl<'a, R: RawRwLock + 'a, T: ?Sized + 'a> MappedRwLockWriteGuard<'a, R, T> {
    map_fns!(exclusive MappedRwLockWriteGuard {} => MappedRwLockWriteGuard<R>,
        RawMappedWrite<'a, R, T>, RawMappedWrite::try_map_or_err,
        "RwLock::<RawRwLock, _>::new", "RwLockWriteGuard::map(lock.write(), |all| all)");
}

impl<'a, R: RawRwLockFair + 'a, T: ?Sized + 'a> MappedRwLockWriteGuard<'a, R, T> {
    mapped_unlock_fair!(
        MappedRwLockWriteGuard,
        RawMappedWrite<'a, R, T>,
        "RwLock::<RawRwLock, _>::new",
        "RwLockWriteGuard::map(lock.write(), |pair| &mut pair.0)"
    );
}

guard_impls!(MappedRwLockWriteGuard<R: RawRwLock> mut);
