//! `stdsync::RwLock`: std's API and poisoning on parking_lot's reader-writer
//! lock, plus a lock-order header.

use std::panic::Location;
use std::sync::{LockResult, TryLockError, TryLockResult};
use std::time::Instant;

use super::poisoning::{self, Poison, poisoning_fns, std_lock_impls};
use crate::acquire::raw::Read;
use crate::acquire::raw_std::{Holding, Std};
use crate::acquire::{self, HeldToken, LockHeader};
use crate::held::Access;
use crate::id::LockId;
use crate::lock::guard_impls;
use crate::meta::LockMeta;
use crate::trusted::held::HeldWrite;

/// A reader-writer lock with [`std::sync::RwLock`]'s API and poisoning that
/// checks lock order.
///
/// Reads and writes are ordered alike. A second `read` of a lock this thread
/// already reads is a [`RecursiveRead`](crate::Violation::RecursiveRead), a
/// potential deadlock: std documents that it may deadlock (a writer queued in
/// between waits for the first read, and the second waits behind it). A write-guard panic poisons the lock;
/// a read-guard panic does not (std's rule), and neither does a lockgraph
/// report's (see [the module docs](super#poisoning-and-lockgraphs-reports)).
///
/// # Examples
///
/// ```
/// use lockgraph::stdsync::RwLock;
///
/// let config = RwLock::named("config", String::from("v1"));
/// assert_eq!(*config.read().unwrap(), "v1");
/// config.write().unwrap().push_str("-patched");
/// assert_eq!(*config.read().unwrap(), "v1-patched");
/// ```
pub struct RwLock<T: ?Sized> {
    pub(crate) header: LockHeader,
    pub(crate) poison: Poison,
    pub(crate) inner: parking_lot::RwLock<T>,
}

impl<T> RwLock<T> {
    /// Creates an unlocked lock; reports name it by this call's `file:line:column`.
    ///
    /// # Examples
    ///
    /// ```
    /// static TABLE: lockgraph::stdsync::RwLock<Vec<u8>> = lockgraph::stdsync::RwLock::new(Vec::new());
    /// TABLE.write().unwrap().push(1);
    /// ```
    #[track_caller]
    pub const fn new(value: T) -> Self {
        RwLock {
            header: LockHeader::new(LockMeta::created(Location::caller())),
            poison: Poison::new(),
            inner: parking_lot::RwLock::new(value),
        }
    }

    /// Creates an unlocked lock that reports call `name` (its first 126 bytes, cut at a
    /// character boundary, if it is longer).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = lockgraph::stdsync::RwLock::named("routes", 3);
    /// assert_eq!(*lock.read().unwrap(), 3);
    /// ```
    pub const fn named(name: &'static str, value: T) -> Self {
        RwLock {
            header: LockHeader::new(LockMeta::named(name)),
            poison: Poison::new(),
            inner: parking_lot::RwLock::new(value),
        }
    }

    /// Creates an unlocked lock of the class `class`, as
    /// [`crate::RwLock::with_class`] does.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::LockClass;
    ///
    /// static SHARDS: LockClass = LockClass::named("shards");
    /// let m = lockgraph::stdsync::RwLock::with_class(SHARDS, 1);
    /// assert_eq!(m.class(), SHARDS);
    /// ```
    pub const fn with_class(class: crate::LockClass, value: T) -> Self {
        RwLock {
            header: LockHeader::new(class.meta()),
            poison: Poison::new(),
            inner: parking_lot::RwLock::new(value),
        }
    }

    /// Consumes the lock and returns the value; `Err` (with the value) if poisoned.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = lockgraph::stdsync::RwLock::new(2);
    /// assert_eq!(lock.into_inner().unwrap(), 2);
    /// ```
    pub fn into_inner(self) -> LockResult<T> {
        let RwLock {
            header,
            poison,
            inner,
        } = self;
        drop(header);
        poison.result(inner.into_inner())
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Locks for shared reading, blocking while a writer holds the lock.
    ///
    /// # Lock order
    /// Records `H -> self` for every held lock `H`, checked before blocking.
    ///
    /// # Panics
    /// Under `Panic`, on a cycle or if this thread already reads the lock
    /// ([`RecursiveRead`](crate::Violation::RecursiveRead)); under `Panic`
    /// and `Warn`, if this thread holds it for writing.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = lockgraph::stdsync::RwLock::new(1);
    /// let (r1, r2) = std::thread::scope(|s| {
    ///     let r = s.spawn(|| *lock.read().unwrap()).join().unwrap();
    ///     (r, *lock.read().unwrap())
    /// });
    /// assert_eq!(r1 + r2, 2);
    /// ```
    #[track_caller]
    #[inline(always)]
    pub fn read(&self) -> LockResult<RwLockReadGuard<'_, T>> {
        self.read_at(Location::caller(), acquire::Blocking)
    }

    /// [`read`](Self::read), called at `site`, by `route`.
    #[inline(always)]
    pub(crate) fn read_at<P: acquire::Route>(
        &self,
        site: &'static Location<'static>,
        route: P,
    ) -> P::Out<LockResult<RwLockReadGuard<'_, T>>> {
        route.take(
            Std(Read(&self.inner)),
            &self.header,
            Access::Read,
            site,
            |inner, token| {
                // Read guards never poison, but a poisoned lock's reads are `Err`.
                self.poison.result(RwLockReadGuard::new(inner, token))
            },
        )
    }

    /// Attempts to lock for reading without blocking.
    ///
    /// # Lock order
    /// Records no edge into this lock; while it is held, later blocking
    /// acquisitions get edges from it.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::stdsync::{RwLock, TryLockError};
    ///
    /// let lock = RwLock::new(0);
    /// let writing = lock.write().unwrap();
    /// assert!(matches!(lock.try_read(), Err(TryLockError::WouldBlock)));
    /// drop(writing);
    /// assert!(lock.try_read().is_ok());
    /// ```
    #[track_caller]
    pub fn try_read(&self) -> TryLockResult<RwLockReadGuard<'_, T>> {
        let site = Location::caller();
        let inner = self.inner.try_read().ok_or(TryLockError::WouldBlock)?;
        let token = acquire::after_try(&self.header, Access::Read, site);
        self.poison.try_result(RwLockReadGuard::new(inner, token))
    }

    /// Locks for exclusive writing, blocking until no one else holds the lock.
    ///
    /// # Lock order
    /// Records `H -> self` for every held lock `H`, checked before blocking.
    ///
    /// # Panics
    /// Under `Panic`, on a cycle; under `Panic` and `Warn`, if this thread
    /// already holds the lock in any mode.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = lockgraph::stdsync::RwLock::new(vec![1]);
    /// lock.write().unwrap().push(2);
    /// assert_eq!(lock.read().unwrap().len(), 2);
    /// ```
    #[track_caller]
    #[inline(always)]
    pub fn write(&self) -> LockResult<RwLockWriteGuard<'_, T>> {
        self.write_at(Location::caller(), acquire::Blocking)
    }

    /// [`write`](Self::write), called at `site`, by `route`.
    #[inline(always)]
    pub(crate) fn write_at<P: acquire::Route>(
        &self,
        site: &'static Location<'static>,
        route: P,
    ) -> P::Out<LockResult<RwLockWriteGuard<'_, T>>> {
        // As `Mutex::lock`: read once, before any path.
        let panicking = std::thread::panicking();
        route.take(
            Std(Holding::<HeldWrite<'_, T>>(self)),
            &self.header,
            Access::Exclusive,
            site,
            |inner, token| {
                self.poison
                    .result(RwLockWriteGuard::new(inner, token, panicking))
            },
        )
    }

    /// Attempts to lock for writing without blocking; `WouldBlock` when the
    /// lock is held, also by this thread (nothing is reported).
    ///
    /// # Lock order
    /// As [`try_read`](Self::try_read).
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::stdsync::{RwLock, TryLockError};
    ///
    /// let lock = RwLock::new(0);
    /// let reading = lock.read().unwrap();
    /// assert!(matches!(lock.try_write(), Err(TryLockError::WouldBlock)));
    /// drop(reading);
    /// *lock.try_write().unwrap() = 1;
    /// ```
    #[track_caller]
    pub fn try_write(&self) -> TryLockResult<RwLockWriteGuard<'_, T>> {
        let site = Location::caller();
        let inner = HeldWrite::try_now(self).ok_or(TryLockError::WouldBlock)?;
        let token = acquire::after_try(&self.header, Access::Exclusive, site);
        let guard = RwLockWriteGuard::new(inner, token, poisoning::panicking());
        self.poison.try_result(guard)
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
    /// use lockgraph::lock_all;
    /// use lockgraph::stdsync::{Mutex, RwLock};
    ///
    /// let config = RwLock::named("config", 3);
    /// let total = Mutex::named("total", 0);
    /// let (config, total) = lock_all((config.for_read(), &total));
    /// let (config, mut total) = (config.unwrap(), total.unwrap()); // neither is poisoned
    /// *total += *config;
    /// assert_eq!(*total, 3);
    /// ```
    pub fn for_read(&self) -> crate::ForRead<'_, Self> {
        crate::ForRead::new(self)
    }

    /// [`try_read`](Self::try_read) with a deadline, for
    /// [`try_lock_all_for`](crate::try_lock_all_for): `None` at once if this
    /// thread holds the lock, else once `deadline` passes.
    #[track_caller]
    pub(crate) fn try_read_until_in_set(
        &self,
        deadline: Instant,
    ) -> Option<LockResult<RwLockReadGuard<'_, T>>> {
        if acquire::held_here(&self.header) {
            return None;
        }
        let inner = self.inner.try_read_until(deadline)?;
        let token = acquire::after_try(&self.header, Access::Read, Location::caller());
        Some(self.poison.result(RwLockReadGuard::new(inner, token)))
    }

    /// [`try_write`](Self::try_write) with a deadline, as
    /// [`try_read_until_in_set`](Self::try_read_until_in_set).
    #[track_caller]
    pub(crate) fn try_write_until_in_set(
        &self,
        deadline: Instant,
    ) -> Option<LockResult<RwLockWriteGuard<'_, T>>> {
        if acquire::held_here(&self.header) {
            return None;
        }
        let inner = HeldWrite::try_until(self, deadline)?;
        let token = acquire::after_try(&self.header, Access::Exclusive, Location::caller());
        let guard = RwLockWriteGuard::new(inner, token, poisoning::panicking());
        Some(self.poison.result(guard))
    }

    poisoning_fns!(RwLock, write);
}

std_lock_impls!(RwLock, try_read);

/// An RAII guard for shared reading of a [`RwLock`], released when dropped.
///
/// # Examples
///
/// ```
/// let lock = lockgraph::stdsync::RwLock::new(5);
/// let guard: lockgraph::stdsync::RwLockReadGuard<'_, i32> = lock.read().unwrap();
/// assert_eq!(*guard, 5);
/// ```
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RwLockReadGuard<'a, T: ?Sized + 'a> {
    /// Before `inner`, so dropped first: see [`HeldToken`]. (Two words, not
    /// the write guard's one: see "A `stdsync` exclusive guard is one word"
    /// in docs/design.md.)
    _token: HeldToken<'a>,
    inner: parking_lot::RwLockReadGuard<'a, T>,
}

/// An RAII guard for exclusive writing of a [`RwLock`], released when dropped
/// (and poisoning the lock if the thread is panicking then, unless with a
/// lockgraph report: see [the module docs](super#poisoning-and-lockgraphs-reports)).
///
/// # Examples
///
/// ```
/// let lock = lockgraph::stdsync::RwLock::new(5);
/// let mut guard: lockgraph::stdsync::RwLockWriteGuard<'_, i32> = lock.write().unwrap();
/// *guard += 1;
/// assert_eq!(*guard, 6);
/// ```
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RwLockWriteGuard<'a, T: ?Sized + 'a> {
    /// The raw write lock, whose drop forgets the lock (see [`HeldToken`])
    /// and poisons it under std's rule before it releases the raw lock. Its
    /// marks are [`poisoning::UNTRACKED`] and [`poisoning::PANICKING`]: the
    /// guard is one word.
    inner: HeldWrite<'a, T>,
}

guard_impls!(RwLockReadGuard);
guard_impls!(RwLockWriteGuard, mut);

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    /// The guard of `inner`, recorded as `token` says.
    #[inline(always)]
    fn new(inner: parking_lot::RwLockReadGuard<'a, T>, token: HeldToken<'a>) -> Self {
        RwLockReadGuard {
            _token: token,
            inner,
        }
    }
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// Turns the write lock into a read lock without letting a writer in between.
    ///
    /// As std's, it never poisons the lock, not even during a panic (and the
    /// read guard it gives never does).
    ///
    /// # Lock order
    /// Records nothing: it cannot block. The lock stays in this thread's held
    /// set, now as read.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::stdsync::{RwLock, RwLockWriteGuard};
    ///
    /// let lock = RwLock::new(1);
    /// let mut writing = lock.write().unwrap();
    /// *writing += 1;
    /// let reading = RwLockWriteGuard::downgrade(writing);
    /// assert_eq!(*reading, 2);
    /// assert!(lock.try_read().is_ok());
    /// ```
    pub fn downgrade(s: Self) -> RwLockReadGuard<'a, T> {
        let RwLockWriteGuard { inner } = s;
        // As std's, a downgrade never poisons (not even during a panic that
        // began after the write was taken), and the read guard never does.
        let token = poisoning::token(&inner.lock().header, inner.marks());
        acquire::change_access(&token, Access::Read);
        RwLockReadGuard {
            _token: token,
            inner: inner.downgrade(),
        }
    }

    /// The guard of `inner`, recorded as `token` says, taken while the
    /// thread was `panicking` or not.
    #[inline(always)]
    fn new(inner: HeldWrite<'a, T>, token: HeldToken<'a>, panicking: bool) -> Self {
        RwLockWriteGuard {
            inner: inner.marked(poisoning::marks(token, panicking)),
        }
    }
}
