//! `ReentrantMutex`: a mutex the owning thread may take again.

use std::panic::Location;
use std::time::{Duration, Instant};

use super::{constructors, guard_impls, lock_impls, map_fns, relock_fns};
use crate::acquire::{self, HeldToken, LockHeader};
use crate::held::Access;
use crate::id::LockId;
use crate::meta::LockMeta;

type RawGuard<'a, T> = crate::pl::ReentrantMutexGuard<'a, T>;

/// A mutex that the thread holding it may lock again (parking_lot's
/// `ReentrantMutex`), with lock-order checking. Gives shared access only.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use lockgraph::ReentrantMutex;
///
/// let log = ReentrantMutex::named("log", RefCell::new(Vec::new()));
/// let outer = log.lock();
/// let inner = log.lock(); // same thread: no wait, no report
/// inner.borrow_mut().push("nested");
/// drop(inner);
/// outer.borrow_mut().push("outer");
/// assert_eq!(outer.borrow().len(), 2);
/// ```
pub struct ReentrantMutex<T: ?Sized> {
    pub(crate) header: LockHeader,
    pub(crate) inner: crate::pl::ReentrantMutex<T>,
}

constructors!(ReentrantMutex, crate::pl::ReentrantMutex<T>);

impl<T: ?Sized> ReentrantMutex<T> {
    /// Acquires the mutex, blocking unless this thread already holds it.
    ///
    /// # Lock order
    /// The first acquisition records `H -> self` for every held lock `H`,
    /// checked before blocking; taking it again on the owning thread records
    /// nothing.
    ///
    /// # Panics
    /// Under [`Policy::Panic`](crate::Policy::Panic), if the first acquisition
    /// closes a lock-order cycle.
    ///
    /// # Examples
    ///
    #[doc = "```"]
    #[doc = "let m = lockgraph::ReentrantMutex::new(1);"]
    #[doc = "let outer = m.lock();"]
    #[doc = "let inner = m.lock(); // the owner may take it again"]
    #[doc = "assert_eq!(*outer + *inner, 2);"]
    #[doc = "```"]
    #[track_caller]
    #[inline(always)]
    pub fn lock(&self) -> ReentrantMutexGuard<'_, T> {
        self.lock_at(Location::caller(), acquire::Blocking)
    }

    /// [`lock`](Self::lock), called at `site`, by `route`.
    #[inline(always)]
    pub(crate) fn lock_at<P: acquire::Route>(
        &self,
        site: &'static Location<'static>,
        route: P,
    ) -> P::Out<ReentrantMutexGuard<'_, T>> {
        route.take(
            &self.inner,
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

    /// Attempts to acquire the mutex without blocking (succeeds on the owning thread).
    ///
    /// # Lock order
    /// Records no edge into this mutex.
    ///
    /// # Examples
    ///
    #[doc = "```"]
    #[doc = "let m = lockgraph::ReentrantMutex::new(());"]
    #[doc = "let _outer = m.lock();"]
    #[doc = "assert!(m.try_lock().is_some()); // re-entry succeeds"]
    #[doc = "```"]
    #[track_caller]
    pub fn try_lock(&self) -> Option<ReentrantMutexGuard<'_, T>> {
        self.try_lock_at(Location::caller())
    }

    /// [`try_lock`](Self::try_lock), called at `site`.
    pub(crate) fn try_lock_at(
        &self,
        site: &'static Location<'static>,
    ) -> Option<ReentrantMutexGuard<'_, T>> {
        let inner = self.inner.try_lock()?;
        Some(self.guard(inner, site))
    }

    /// Attempts to acquire the mutex, giving up after `timeout` (succeeds at
    /// once on the owning thread).
    ///
    /// # Lock order
    /// Records no edge into this mutex.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let m = lockgraph::ReentrantMutex::new(());
    /// let _outer = m.lock();
    /// std::thread::scope(|s| {
    ///     let other = s.spawn(|| m.try_lock_for(Duration::from_millis(1)).is_some());
    ///     assert!(!other.join().unwrap()); // held by this thread
    /// });
    /// assert!(m.try_lock_for(Duration::from_millis(1)).is_some()); // re-entry
    /// ```
    #[track_caller]
    pub fn try_lock_for(&self, timeout: Duration) -> Option<ReentrantMutexGuard<'_, T>> {
        self.try_lock_for_at(timeout, Location::caller())
    }

    /// [`try_lock_for`](Self::try_lock_for), called at `site`.
    pub(crate) fn try_lock_for_at(
        &self,
        timeout: Duration,
        site: &'static Location<'static>,
    ) -> Option<ReentrantMutexGuard<'_, T>> {
        let inner = self.inner.try_lock_for(timeout)?;
        Some(self.guard(inner, site))
    }

    /// Attempts to acquire the mutex, giving up at `deadline` (succeeds at
    /// once on the owning thread).
    ///
    /// # Lock order
    /// Records no edge into this mutex.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let m = lockgraph::ReentrantMutex::new(1);
    /// let deadline = Instant::now() + Duration::from_millis(1);
    /// assert_eq!(m.try_lock_until(deadline).map(|g| *g), Some(1));
    /// ```
    #[track_caller]
    pub fn try_lock_until(&self, deadline: Instant) -> Option<ReentrantMutexGuard<'_, T>> {
        let inner = self.inner.try_lock_until(deadline)?;
        Some(self.guard(inner, Location::caller()))
    }

    fn guard<'a>(
        &'a self,
        inner: RawGuard<'a, T>,
        site: &'static Location<'static>,
    ) -> ReentrantMutexGuard<'a, T> {
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
    /// ```
    /// let mut m = lockgraph::ReentrantMutex::new(1);
    /// *m.get_mut() = 2;
    /// assert_eq!(m.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }

    /// Whether any thread holds the mutex (a racy snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = lockgraph::ReentrantMutex::new(());
    /// let guard = m.lock();
    /// assert!(m.is_locked());
    /// drop(guard);
    /// assert!(!m.is_locked());
    /// ```
    pub fn is_locked(&self) -> bool {
        self.inner.is_locked()
    }

    /// Whether this thread holds the mutex.
    ///
    /// # Examples
    ///
    #[doc = "```"]
    #[doc = "let m = lockgraph::ReentrantMutex::new(());"]
    #[doc = "let _guard = m.lock();"]
    #[doc = "assert!(m.is_owned_by_current_thread());"]
    #[doc = "std::thread::scope(|s| {"]
    #[doc = "    s.spawn(|| assert!(!m.is_owned_by_current_thread()));"]
    #[doc = "});"]
    #[doc = "```"]
    pub fn is_owned_by_current_thread(&self) -> bool {
        self.inner.is_owned_by_current_thread()
    }

    /// This mutex's id (assigned now if it was never used).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = lockgraph::ReentrantMutex::new(());
    /// assert_eq!(m.id(), m.id());
    /// ```
    pub fn id(&self) -> LockId {
        self.header.id()
    }

    /// This lock's class: its creation site, or its name (see
    /// [`LockClass`](crate::LockClass)).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = (lockgraph::ReentrantMutex::new(()), lockgraph::ReentrantMutex::new(()));
    /// assert_ne!(a.class(), b.class()); // made at two places
    /// ```
    pub fn class(&self) -> crate::LockClass {
        crate::LockClass::of(self.header.origin())
    }

    pub(crate) fn header(&self) -> &LockMeta {
        &self.header
    }
}

lock_impls!(ReentrantMutex);

/// An RAII guard of a [`ReentrantMutex`].
#[must_use = "if unused the ReentrantMutex will immediately unlock"]
#[clippy::has_significant_drop]
pub struct ReentrantMutexGuard<'a, T: ?Sized> {
    /// Before `inner`, so dropped first: see [`HeldToken`].
    pub(crate) token: HeldToken<'a>,
    pub(crate) inner: RawGuard<'a, T>,
    pub(crate) lock: &'a ReentrantMutex<T>,
}

impl<'a, T: ?Sized> ReentrantMutexGuard<'a, T> {
    /// The mutex this guard holds.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = lockgraph::ReentrantMutex::new(());
    /// let guard = m.lock();
    /// assert_eq!(lockgraph::ReentrantMutexGuard::remutex(&guard).id(), m.id());
    /// ```
    pub fn remutex(s: &Self) -> &'a ReentrantMutex<T> {
        s.lock
    }

    map_fns!(shared ReentrantMutexGuard { lock } => MappedReentrantMutexGuard,
        RawGuard<'a, T>, try_map_or_err,
        "mutex", ReentrantMutex, "lock.lock()");

    relock_fns!(ReentrantMutexGuard, RawGuard<'a, T>, ReentrantMutex, lock);
}

guard_impls!(ReentrantMutexGuard);

/// A guard for a part of a [`ReentrantMutex`]'s data, made by `map`.
#[must_use = "if unused the ReentrantMutex will immediately unlock"]
#[clippy::has_significant_drop]
pub struct MappedReentrantMutexGuard<'a, T: ?Sized> {
    /// Before `inner`, so dropped first: see [`HeldToken`].
    token: HeldToken<'a>,
    inner: crate::pl::MappedReentrantMutexGuard<'a, T>,
}

type RawMapped<'a, T> = crate::pl::MappedReentrantMutexGuard<'a, T>;

impl<'a, T: ?Sized> MappedReentrantMutexGuard<'a, T> {
    map_fns!(shared MappedReentrantMutexGuard {} => MappedReentrantMutexGuard,
        RawMapped<'a, T>, try_map_or_err,
        "mutex", ReentrantMutex, "lockgraph::ReentrantMutexGuard::map(lock.lock(), |all| all)");

    /// Releases this guard's hold with a fair unlock: once the mutex is free,
    /// a waiting thread gets it first.
    ///
    /// # Lock order
    /// Records nothing; this guard's hold leaves this thread's held set (the
    /// mutex stays held while other guards of this thread hold it).
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{MappedReentrantMutexGuard, ReentrantMutex, ReentrantMutexGuard};
    /// let m = ReentrantMutex::new((1, 2));
    /// let first = ReentrantMutexGuard::map(m.lock(), |pair| &pair.0);
    /// MappedReentrantMutexGuard::unlock_fair(first);
    /// assert!(!m.is_locked());
    /// ```
    pub fn unlock_fair(s: Self) {
        let MappedReentrantMutexGuard { inner, token } = s;
        RawMapped::unlock_fair(inner);
        drop(token);
    }
}

guard_impls!(MappedReentrantMutexGuard);
