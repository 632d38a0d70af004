//! `Mutex<R, T>` over any raw mutex, and its guards.

use std::panic::Location;

use super::api::{self, RawMutex, RawMutexFair, RawMutexTimed};
use super::raw;
use crate::acquire::{self, HeldToken, LockHeader};
use crate::held::Access;
use crate::meta::LockMeta;

/// A mutual-exclusion lock over any raw mutex `R` (lock_api's `Mutex<R, T>`),
/// with lock-order checking.
///
/// Every blocking [`lock`](Self::lock) records "held -> this" edges in the
/// process-wide lock-order graph and reports a cycle before it blocks, as
/// the crate root's [`Mutex`](crate::Mutex) does; the timed methods are
/// there when `R` has a timed acquisition, the fair ones when it unlocks
/// fairly.
///
/// # Examples
///
#[doc = example!(
    "static COUNTER: Mutex<RawMutex, u32> = Mutex::new(0);",
    "*COUNTER.lock() += 1;",
    "assert_eq!(*COUNTER.lock(), 1);"
)]
pub struct Mutex<R, T: ?Sized> {
    header: LockHeader,
    inner: api::Mutex<R, T>,
}

constructors!(Mutex<R: RawMutex>, Mutex, (raw: RawMutex), "Mutex::<RawMutex, _>::new");

impl<R: RawMutex, T: ?Sized> Mutex<R, T> {
    /// Acquires the mutex, blocking the current thread until it is free.
    ///
    /// # Lock order
    /// Records `H -> self` for every lock `H` this thread holds, and checks
    /// them (and, under [`Mode::Ascending`](crate::Mode::Ascending), the id
    /// order) before blocking.
    ///
    /// # Panics
    /// Under [`Policy::Panic`](crate::Policy::Panic), if this acquisition
    /// closes a lock-order cycle, before it blocks and with the mutex left
    /// free; under `Panic` and `Warn`, if this thread already holds the mutex.
    ///
    /// # Examples
    ///
    #[doc = example!(
        "let m = Mutex::<RawMutex, _>::new(1);",
        "*m.lock() += 1;",
        "assert_eq!(*m.lock(), 2);"
    )]
    #[track_caller]
    #[inline(always)]
    pub fn lock(&self) -> MutexGuard<'_, R, T> {
        self.lock_at(Location::caller(), acquire::Blocking)
    }

    /// [`lock`](Self::lock), called at `site`, by `route`.
    #[inline(always)]
    pub(crate) fn lock_at<P: acquire::Route>(
        &self,
        site: &'static Location<'static>,
        route: P,
    ) -> P::Out<MutexGuard<'_, R, T>> {
        let raw = raw::Lock(&self.inner);
        route.take(
            raw,
            &self.header,
            Access::Exclusive,
            site,
            |inner, token| MutexGuard {
                inner,
                token,
                lock: self,
            },
        )
    }

    /// Attempts to acquire the mutex without blocking.
    ///
    /// # Lock order
    /// Records no edge into this mutex (it cannot block); while it is held,
    /// later blocking acquisitions get edges from it. Returns `None` when the
    /// mutex is held, also by this thread.
    ///
    /// # Examples
    ///
    #[doc = example!(
        "let m = Mutex::<RawMutex, _>::new(1);",
        "let held = m.lock();",
        "assert!(m.try_lock().is_none()); // busy, also for this thread: no report",
        "drop(held);",
        "assert_eq!(m.try_lock().map(|g| *g), Some(1));"
    )]
    #[track_caller]
    #[inline]
    pub fn try_lock(&self) -> Option<MutexGuard<'_, R, T>> {
        let inner = self.inner.try_lock()?;
        Some(self.guard(inner, Location::caller()))
    }

    /// Takes the mutex, waiting until `deadline` at most, whatever the raw
    /// lock can do (its try, again and again): a set's timed acquisition.
    #[track_caller]
    pub(super) fn try_lock_polling(
        &self,
        deadline: std::time::Instant,
    ) -> Option<MutexGuard<'_, R, T>> {
        if acquire::held_here(&self.header) {
            return None; // busy at once: waiting on itself could only time out
        }
        let raw = raw::Lock(&self.inner);
        let inner = acquire::poll::until(raw, Some(deadline), acquire::RawAcquire::try_now);
        Some(self.guard(inner.ok()?, Location::caller()))
    }

    fn guard<'a>(
        &'a self,
        inner: api::MutexGuard<'a, R, T>,
        site: &'static Location<'static>,
    ) -> MutexGuard<'a, R, T> {
        let token = acquire::after_try(&self.header, Access::Exclusive, site);
        MutexGuard {
            inner,
            token,
            lock: self,
        }
    }

    /// A mutable reference to the value; no locking is needed.
    ///
    /// # Examples
    ///
    #[doc = example!(
        "let mut m = Mutex::<RawMutex, _>::new(1);",
        "*m.get_mut() = 5;",
        "assert_eq!(m.into_inner(), 5);"
    )]
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }

    /// Whether the mutex is held by any thread (a racy snapshot).
    ///
    /// # Examples
    ///
    #[doc = example!(
        "let m = Mutex::<RawMutex, _>::new(());",
        "let guard = m.lock();",
        "assert!(m.is_locked());",
        "drop(guard);",
        "assert!(!m.is_locked());"
    )]
    pub fn is_locked(&self) -> bool {
        self.inner.is_locked()
    }

    identity_fns!("Mutex::<RawMutex, _>::new");
}

impl<R: RawMutexTimed, T: ?Sized> Mutex<R, T> {
    /// Attempts to acquire the mutex, giving up after `timeout`.
    ///
    /// # Lock order
    /// Like [`try_lock`](Self::try_lock): a timed wait cannot block forever,
    /// so it records no edge into this mutex. Returns `None` at once, without
    /// waiting, if this thread holds the mutex.
    ///
    /// # Examples
    ///
    #[doc = example!(
        "use std::time::Duration;",
        "let m = Mutex::<RawMutex, _>::new(());",
        "let held = m.lock();",
        "assert!(m.try_lock_for(Duration::from_millis(1)).is_none());",
        "drop(held);",
        "assert!(m.try_lock_for(Duration::from_millis(1)).is_some());"
    )]
    #[track_caller]
    pub fn try_lock_for(&self, timeout: R::Duration) -> Option<MutexGuard<'_, R, T>> {
        if acquire::held_here(&self.header) {
            return None; // busy at once: waiting on itself could only time out
        }
        let inner = self.inner.try_lock_for(timeout)?;
        Some(self.guard(inner, Location::caller()))
    }

    /// Attempts to acquire the mutex, giving up at `deadline`.
    ///
    /// # Lock order
    /// As [`try_lock_for`](Self::try_lock_for).
    ///
    /// # Examples
    ///
    #[doc = example!(
        "use std::time::{Duration, Instant};",
        "let m = Mutex::<RawMutex, _>::new(());",
        "let deadline = Instant::now() + Duration::from_millis(1);",
        "assert!(m.try_lock_until(deadline).is_some());"
    )]
    #[track_caller]
    pub fn try_lock_until(&self, deadline: R::Instant) -> Option<MutexGuard<'_, R, T>> {
        if acquire::held_here(&self.header) {
            return None; // as `try_lock_for`
        }
        let inner = self.inner.try_lock_until(deadline)?;
        Some(self.guard(inner, Location::caller()))
    }
}

/// An RAII guard of a [`Mutex`]; the mutex is unlocked when it is dropped.
///
/// Not `Send`, whatever `R`'s guards are: the held set it belongs to is per
/// thread.
#[must_use = "if unused the Mutex will immediately unlock"]
#[clippy::has_significant_drop]
pub struct MutexGuard<'a, R: RawMutex, T: ?Sized> {
    /// Before `inner`, so dropped first: see [`HeldToken`].
    token: HeldToken<'a>,
    inner: api::MutexGuard<'a, R, T>,
    lock: &'a Mutex<R, T>,
}

impl<'a, R: RawMutex + 'a, T: ?Sized + 'a> MutexGuard<'a, R, T> {
    /// The mutex this guard holds.
    ///
    /// # Examples
    ///
    #[doc = example!(
        "let m = Mutex::<RawMutex, _>::new(());",
        "let guard = m.lock();",
        "assert_eq!(MutexGuard::mutex(&guard).id(), m.id());"
    )]
    pub fn mutex(s: &Self) -> &'a Mutex<R, T> {
        s.lock
    }

    map_fns!(exclusive MutexGuard { lock } => MappedMutexGuard<R>,
        api::MutexGuard<'a, R, T>, api::MutexGuard::try_map_or_err,
        "Mutex::<RawMutex, _>::new", "lock.lock()");

    unlocked_fn!(
        MutexGuard,
        api::MutexGuard<'a, R, T>,
        |s| raw::Lock(&s.lock.inner),
        "Mutex::<RawMutex, _>::new",
        "lock.lock()"
    );

    /// Leaks the guard: the mutex stays locked, and held by this thread,
    /// forever.
    ///
    /// # Examples
    ///
    #[doc = example!(
        "let m: &'static Mutex<RawMutex, u8> = Box::leak(Box::new(Mutex::new(1)));",
        "let value = MutexGuard::leak(m.lock());",
        "*value = 2;",
        "assert!(m.is_locked()); // forever"
    )]
    pub fn leak(s: Self) -> &'a mut T {
        let MutexGuard { inner, token, .. } = s;
        std::mem::forget(token);
        api::MutexGuard::leak(inner)
    }
}

impl<'a, R: RawMutexFair + 'a, T: ?Sized + 'a> MutexGuard<'a, R, T> {
    fair_fns!(
        MutexGuard,
        api::MutexGuard<'a, R, T>,
        |s| raw::Lock(&s.lock.inner),
        "Mutex::<RawMutex, _>::new",
        "lock.lock()"
    );
}

guard_impls!(MutexGuard<R: RawMutex> mut);

/// A guard for a part of the data of a [`Mutex`], made by `map`.
#[must_use = "if unused the Mutex will immediately unlock"]
#[clippy::has_significant_drop]
pub struct MappedMutexGuard<'a, R: RawMutex, T: ?Sized> {
    /// Before `inner`, so dropped first: see [`HeldToken`].
    token: HeldToken<'a>,
    inner: api::MappedMutexGuard<'a, R, T>,
}

impl<'a, R: RawMutex + 'a, T: ?Sized + 'a> MappedMutexGuard<'a, R, T> {
    map_fns!(exclusive MappedMutexGuard {} => MappedMutexGuard<R>,
        api::MappedMutexGuard<'a, R, T>, api::MappedMutexGuard::try_map_or_err,
        "Mutex::<RawMutex, _>::new", "MutexGuard::map(lock.lock(), |all| all)");
}

impl<'a, R: RawMutexFair + 'a, T: ?Sized + 'a> MappedMutexGuard<'a, R, T> {
    mapped_unlock_fair!(
        MappedMutexGuard,
        api::MappedMutexGuard<'a, R, T>,
        "Mutex::<RawMutex, _>::new",
        "MutexGuard::map(lock.lock(), |pair| &mut pair.0)"
    );
}

guard_impls!(MappedMutexGuard<R: RawMutex> mut);
