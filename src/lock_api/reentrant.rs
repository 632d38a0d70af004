//! `ReentrantMutex<R, G, T>` over any raw mutex and thread id, and its guards.

use std::panic::Location;

use super::api::{self, GetThreadId, RawMutex, RawMutexFair, RawMutexTimed};
use super::raw;
use crate::acquire::{self, HeldToken, LockHeader};
use crate::held::Access;
use crate::meta::LockMeta;

/// A mutex that the thread holding it may lock again, over any raw mutex `R`
/// and thread id `G` (lock_api's `ReentrantMutex<R, G, T>`), with lock-order
/// checking. Gives shared access only.
///
/// # Examples
///
#[doc = example!(
    "use std::cell::RefCell;",
    "let log = ReentrantMutex::<RawMutex, RawThreadId, _>::named(\"log\", RefCell::new(Vec::new()));",
    "let outer = log.lock();",
    "let inner = log.lock(); // same thread: no wait, no report",
    "inner.borrow_mut().push(\"nested\");",
    "drop(inner);",
    "outer.borrow_mut().push(\"outer\");",
    "assert_eq!(outer.borrow().len(), 2);"
)]
pub struct ReentrantMutex<R: RawMutex, G, T: ?Sized> {
    header: LockHeader,
    inner: api::ReentrantMutex<R, G, T>,
}

constructors!(
    ReentrantMutex<R: RawMutex, G: GetThreadId>,
    ReentrantMutex,
    (raw: RawMutex, thread_id: RawThreadId),
    "ReentrantMutex::<RawMutex, RawThreadId, _>::new"
);

impl<R: RawMutex, G: GetThreadId, T: ?Sized> ReentrantMutex<R, G, T> {
    /// Acquires the mutex, blocking unless this thread already holds it.
    ///
    /// # Lock order
    /// The first acquisition records `H -> self` for every held lock `H`,
    /// checked before blocking; taking it again on the owning thread records
    /// nothing.
    ///
    /// # Panics
    /// Under [`Policy::Panic`](crate::Policy::Panic), if the first
    /// acquisition closes a lock-order cycle.
    ///
    /// # Examples
    ///
    #[doc = example!(
        "let m = ReentrantMutex::<RawMutex, RawThreadId, _>::new(1);",
        "let outer = m.lock();",
        "let inner = m.lock(); // the owner may take it again",
        "assert_eq!(*outer + *inner, 2);"
    )]
    #[track_caller]
    #[inline(always)]
    pub fn lock(&self) -> ReentrantMutexGuard<'_, R, G, T> {
        self.lock_at(Location::caller(), acquire::Blocking)
    }

    /// [`lock`](Self::lock), called at `site`, by `route`.
    #[inline(always)]
    pub(crate) fn lock_at<P: acquire::Route>(
        &self,
        site: &'static Location<'static>,
        route: P,
    ) -> P::Out<ReentrantMutexGuard<'_, R, G, T>> {
        let raw = raw::Reentrant(&self.inner);
        route.take(
            raw,
            &self.header,
            Access::Reentrant,
            site,
            |inner, token| ReentrantMutexGuard {
                inner,
                token,
                lock: self,
            },
        )
    }

    /// Attempts to acquire the mutex without blocking (succeeds on the
    /// owning thread).
    ///
    /// # Lock order
    /// Records no edge into this mutex.
    ///
    /// # Examples
    ///
    #[doc = example!(
        "let m = ReentrantMutex::<RawMutex, RawThreadId, _>::new(());",
        "let _outer = m.lock();",
        "assert!(m.try_lock().is_some()); // re-entry succeeds"
    )]
    #[track_caller]
    pub fn try_lock(&self) -> Option<ReentrantMutexGuard<'_, R, G, T>> {
        let inner = self.inner.try_lock()?;
        Some(self.guard(inner, Location::caller()))
    }

    /// Takes the mutex, waiting until `deadline` at most, whatever the raw
    /// lock can do (its try, again and again): a set's timed acquisition.
    #[track_caller]
    pub(super) fn try_lock_polling(
        &self,
        deadline: std::time::Instant,
    ) -> Option<ReentrantMutexGuard<'_, R, G, T>> {
        let raw = raw::Reentrant(&self.inner);
        let inner = acquire::poll::until(raw, Some(deadline), acquire::RawAcquire::try_now);
        Some(self.guard(inner.ok()?, Location::caller()))
    }

    fn guard<'a>(
        &'a self,
        inner: api::ReentrantMutexGuard<'a, R, G, T>,
        site: &'static Location<'static>,
    ) -> ReentrantMutexGuard<'a, R, G, T> {
        let token = acquire::after_try(&self.header, Access::Reentrant, site);
        ReentrantMutexGuard {
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
        "let mut m = ReentrantMutex::<RawMutex, RawThreadId, _>::new(1);",
        "*m.get_mut() = 2;",
        "assert_eq!(m.into_inner(), 2);"
    )]
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }

    /// Whether any thread holds the mutex (a racy snapshot).
    ///
    /// # Examples
    ///
    #[doc = example!(
        "let m = ReentrantMutex::<RawMutex, RawThreadId, _>::new(());",
        "let guard = m.lock();",
        "assert!(m.is_locked());",
        "drop(guard);",
        "assert!(!m.is_locked());"
    )]
    pub fn is_locked(&self) -> bool {
        self.inner.is_locked()
    }

    /// Whether this thread holds the mutex.
    ///
    /// # Examples
    ///
    #[doc = example!(
        "let m = ReentrantMutex::<RawMutex, RawThreadId, _>::new(());",
        "let _guard = m.lock();",
        "assert!(m.is_owned_by_current_thread());",
        "std::thread::scope(|s| {",
        "    s.spawn(|| assert!(!m.is_owned_by_current_thread()));",
        "});"
    )]
    pub fn is_owned_by_current_thread(&self) -> bool {
        self.inner.is_owned_by_current_thread()
    }

    identity_fns!("ReentrantMutex::<RawMutex, RawThreadId, _>::new");
}

impl<R: RawMutexTimed, G: GetThreadId, T: ?Sized> ReentrantMutex<R, G, T> {
    /// Attempts to acquire the mutex, giving up after `timeout` (succeeds at
    /// once on the owning thread).
    ///
    /// # Lock order
    /// Records no edge into this mutex.
    ///
    /// # Examples
    ///
    #[doc = example!(
        "use std::time::Duration;",
        "let m = ReentrantMutex::<RawMutex, RawThreadId, _>::new(());",
        "let _outer = m.lock();",
        "std::thread::scope(|s| {",
        "    let other = s.spawn(|| m.try_lock_for(Duration::from_millis(1)).is_some());",
        "    assert!(!other.join().unwrap()); // held by this thread",
        "});",
        "assert!(m.try_lock_for(Duration::from_millis(1)).is_some()); // re-entry"
    )]
    #[track_caller]
    pub fn try_lock_for(&self, timeout: R::Duration) -> Option<ReentrantMutexGuard<'_, R, G, T>> {
        let inner = self.inner.try_lock_for(timeout)?;
        Some(self.guard(inner, Location::caller()))
    }

    /// Attempts to acquire the mutex, giving up at `deadline` (succeeds at
    /// once on the owning thread).
    ///
    /// # Lock order
    /// Records no edge into this mutex.
    ///
    /// # Examples
    ///
    #[doc = example!(
        "use std::time::{Duration, Instant};",
        "let m = ReentrantMutex::<RawMutex, RawThreadId, _>::new(1);",
        "let deadline = Instant::now() + Duration::from_millis(1);",
        "assert_eq!(m.try_lock_until(deadline).map(|g| *g), Some(1));"
    )]
    #[track_caller]
    pub fn try_lock_until(&self, deadline: R::Instant) -> Option<ReentrantMutexGuard<'_, R, G, T>> {
        let inner = self.inner.try_lock_until(deadline)?;
        Some(self.guard(inner, Location::caller()))
    }
}

/// An RAII guard of a [`ReentrantMutex`]. Not `Send`.
#[must_use = "if unused the ReentrantMutex will immediately unlock"]
#[clippy::has_significant_drop]
pub struct ReentrantMutexGuard<'a, R: RawMutex, G: GetThreadId, T: ?Sized> {
    /// Before `inner`, so dropped first: see [`HeldToken`].
    token: HeldToken<'a>,
    inner: api::ReentrantMutexGuard<'a, R, G, T>,
    lock: &'a ReentrantMutex<R, G, T>,
}

type RawGuard<'a, R, G, T> = api::ReentrantMutexGuard<'a, R, G, T>;

impl<'a, R: RawMutex + 'a, G: GetThreadId + 'a, T: ?Sized + 'a> ReentrantMutexGuard<'a, R, G, T> {
    /// The mutex this guard holds.
    ///
    /// # Examples
    ///
    #[doc = example!(
        "let m = ReentrantMutex::<RawMutex, RawThreadId, _>::new(());",
        "let guard = m.lock();",
        "assert_eq!(ReentrantMutexGuard::remutex(&guard).id(), m.id());"
    )]
    pub fn remutex(s: &Self) -> &'a ReentrantMutex<R, G, T> {
        s.lock
    }

    map_fns!(shared ReentrantMutexGuard { lock } => MappedReentrantMutexGuard<R, G>,
        RawGuard<'a, R, G, T>, RawGuard::try_map_or_err,
        "ReentrantMutex::<RawMutex, RawThreadId, _>::new", "lock.lock()");

    unlocked_fn!(
        ReentrantMutexGuard,
        RawGuard<'a, R, G, T>,
        |s| raw::Reentrant(&s.lock.inner),
        "ReentrantMutex::<RawMutex, RawThreadId, _>::new",
        "lock.lock()"
    );
}

impl<'a, R: RawMutexFair + 'a, G: GetThreadId + 'a, T: ?Sized + 'a>
    ReentrantMutexGuard<'a, R, G, T>
{
    fair_fns!(
        ReentrantMutexGuard,
        RawGuard<'a, R, G, T>,
        |s| raw::Reentrant(&s.lock.inner),
        "ReentrantMutex::<RawMutex, RawThreadId, _>::new",
        "lock.lock()"
    );
}

guard_impls!(ReentrantMutexGuard<R: RawMutex, G: GetThreadId>);

/// A guard for a part of a [`ReentrantMutex`]'s data, made by `map`.
#[must_use = "if unused the ReentrantMutex will immediately unlock"]
#[clippy::has_significant_drop]
pub struct MappedReentrantMutexGuard<'a, R: RawMutex, G: GetThreadId, T: ?Sized> {
    /// Before `inner`, so dropped first: see [`HeldToken`].
    token: HeldToken<'a>,
    inner: api::MappedReentrantMutexGuard<'a, R, G, T>,
}

type RawMapped<'a, R, G, T> = api::MappedReentrantMutexGuard<'a, R, G, T>;

impl<'a, R: RawMutex + 'a, G: GetThreadId + 'a, T: ?Sized + 'a>
    MappedReentrantMutexGuard<'a, R, G, T>
{
    map_fns!(shared MappedReentrantMutexGuard {} => MappedReentrantMutexGuard<R, G>,
        RawMapped<'a, R, G, T>, RawMapped::try_map_or_err,
        "ReentrantMutex::<RawMutex, RawThreadId, _>::new",
        "ReentrantMutexGuard::map(lock.lock(), |all| all)");
}

impl<'a, R: RawMutexFair + 'a, G: GetThreadId + 'a, T: ?Sized + 'a>
    MappedReentrantMutexGuard<'a, R, G, T>
{
    mapped_unlock_fair!(
        MappedReentrantMutexGuard,
        RawMapped<'a, R, G, T>,
        "ReentrantMutex::<RawMutex, RawThreadId, _>::new",
        "ReentrantMutexGuard::map(lock.lock(), |pair| &pair.0)"
    );
}

guard_impls!(MappedReentrantMutexGuard<R: RawMutex, G: GetThreadId>);
