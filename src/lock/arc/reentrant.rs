//! `ReentrantMutex::lock_arc` and `ArcReentrantMutexGuard`.

use std::ops::Deref;
use std::panic::Location;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{RawMutex, RawThreadId};
use crate::lock::reentrant::{ReentrantMutex, ReentrantMutexGuard};
use crate::trusted::arc::{ArcHeld, ReentrantParts};

/// A guard of a [`ReentrantMutex`] that owns an `Arc` of it, made by its
/// `lock_arc` (`ArcReentrantMutexGuard<RawMutex, RawThreadId, T>`, as in
/// parking_lot; the two raw types are only names here).
///
/// Not `Send`: the held set it belongs to is per thread.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use lockgraph::{ArcReentrantMutexGuard, RawMutex, RawThreadId, ReentrantMutex};
///
/// let log = Arc::new(ReentrantMutex::new(std::cell::RefCell::new(Vec::new())));
/// let outer: ArcReentrantMutexGuard<RawMutex, RawThreadId, _> = log.lock_arc();
/// let inner = log.lock_arc(); // the owner may take it again
/// inner.borrow_mut().push(1);
/// assert_eq!(outer.borrow().len(), 1);
/// ```
#[must_use = "if unused the ReentrantMutex will immediately unlock"]
#[clippy::has_significant_drop]
pub struct ArcReentrantMutexGuard<R, G, T: ?Sized> {
    held: ArcHeld<ReentrantParts<T>>,
    _raw: std::marker::PhantomData<fn() -> (R, G)>,
}

impl<R, G, T: ?Sized> Deref for ArcReentrantMutexGuard<R, G, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.held.get()
    }
}

impl<R, G, T: ?Sized + std::fmt::Debug> std::fmt::Debug for ArcReentrantMutexGuard<R, G, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

impl<R, G, T: ?Sized + std::fmt::Display> std::fmt::Display for ArcReentrantMutexGuard<R, G, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&**self, f)
    }
}

type ArcReentrant<T> = ArcReentrantMutexGuard<RawMutex, RawThreadId, T>;

fn arc_reentrant<T: ?Sized>(
    held: Result<ArcHeld<ReentrantParts<T>>, Arc<ReentrantMutex<T>>>,
) -> Option<ArcReentrant<T>> {
    let held = held.ok()?;
    Some(ArcReentrantMutexGuard {
        held,
        _raw: std::marker::PhantomData,
    })
}

impl<T: ?Sized> ReentrantMutex<T> {
    /// [`lock`](Self::lock), with a guard that owns an `Arc` of the mutex.
    ///
    /// # Lock order
    /// As [`lock`](Self::lock): the first acquisition records `H -> self` for
    /// every held lock `H`, checked before blocking; re-taking it records
    /// nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = std::sync::Arc::new(lockgraph::ReentrantMutex::new(1));
    /// assert_eq!(*m.lock_arc(), 1);
    /// ```
    #[track_caller]
    pub fn lock_arc(self: &Arc<Self>) -> ArcReentrant<T> {
        let site = Location::caller();
        let held = ArcHeld::new(Arc::clone(self), |lock: &ReentrantMutex<T>| {
            Some(lock.lock_at(site, crate::acquire::Blocking))
        });
        arc_reentrant(held).expect("a blocking lock")
    }

    /// [`try_lock`](Self::try_lock), with a guard that owns an `Arc` of the mutex.
    ///
    /// # Lock order
    /// Records no edge into this mutex.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = std::sync::Arc::new(lockgraph::ReentrantMutex::new(1));
    /// assert!(m.try_lock_arc().is_some());
    /// ```
    #[track_caller]
    pub fn try_lock_arc(self: &Arc<Self>) -> Option<ArcReentrant<T>> {
        let site = Location::caller();
        let held = ArcHeld::new(Arc::clone(self), |lock: &ReentrantMutex<T>| {
            lock.try_lock_at(site)
        });
        arc_reentrant(held)
    }

    /// [`try_lock_for`](Self::try_lock_for), with a guard that owns an `Arc`
    /// of the mutex.
    ///
    /// # Lock order
    /// Records no edge into this mutex.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = std::sync::Arc::new(lockgraph::ReentrantMutex::new(1));
    /// assert!(m.try_lock_arc_for(std::time::Duration::from_millis(1)).is_some());
    /// ```
    #[track_caller]
    pub fn try_lock_arc_for(self: &Arc<Self>, timeout: Duration) -> Option<ArcReentrant<T>> {
        let site = Location::caller();
        let held = ArcHeld::new(Arc::clone(self), |lock: &ReentrantMutex<T>| {
            lock.try_lock_for_at(timeout, site)
        });
        arc_reentrant(held)
    }

    /// [`try_lock_until`](Self::try_lock_until), with a guard that owns an
    /// `Arc` of the mutex.
    ///
    /// # Lock order
    /// Records no edge into this mutex.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = std::sync::Arc::new(lockgraph::ReentrantMutex::new(1));
    /// assert!(m.try_lock_arc_until(std::time::Instant::now()).is_some());
    /// ```
    #[track_caller]
    pub fn try_lock_arc_until(self: &Arc<Self>, deadline: Instant) -> Option<ArcReentrant<T>> {
        self.try_lock_arc_for(deadline.saturating_duration_since(Instant::now()))
    }
}

impl<T: ?Sized> ArcReentrantMutexGuard<RawMutex, RawThreadId, T> {
    /// The `Arc` of the mutex this guard holds.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = std::sync::Arc::new(lockgraph::ReentrantMutex::new(()));
    /// let guard = m.lock_arc();
    /// let of = lockgraph::ArcReentrantMutexGuard::remutex(&guard);
    /// assert!(std::sync::Arc::ptr_eq(of, &m));
    /// ```
    pub fn remutex(s: &Self) -> &Arc<ReentrantMutex<T>> {
        s.held.lock()
    }

    /// Unlocks the mutex (once) and returns its `Arc`.
    ///
    /// # Lock order
    /// Records nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = std::sync::Arc::new(lockgraph::ReentrantMutex::new(()));
    /// let again = lockgraph::ArcReentrantMutexGuard::into_arc(m.lock_arc());
    /// assert!(!again.is_locked());
    /// ```
    pub fn into_arc(s: Self) -> Arc<ReentrantMutex<T>> {
        s.held.into_guard(|_, g| drop(g)).1
    }

    /// Unlocks the mutex (once) with a fair unlock.
    ///
    /// # Lock order
    /// Records nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = std::sync::Arc::new(lockgraph::ReentrantMutex::new(()));
    /// lockgraph::ArcReentrantMutexGuard::unlock_fair(m.lock_arc());
    /// assert!(!m.is_locked());
    /// ```
    pub fn unlock_fair(s: Self) {
        s.held
            .into_guard(|_, g: ReentrantMutexGuard<'_, T>| ReentrantMutexGuard::unlock_fair(g));
    }

    /// Unlocks the mutex, runs `f`, and takes it again.
    ///
    /// # Lock order
    /// As [`ReentrantMutexGuard::unlocked`].
    ///
    /// # Examples
    ///
    /// ```
    /// let m = std::sync::Arc::new(lockgraph::ReentrantMutex::new(()));
    /// let mut guard = m.lock_arc();
    /// let free = lockgraph::ArcReentrantMutexGuard::unlocked(&mut guard, || !m.is_locked());
    /// assert!(free);
    /// ```
    pub fn unlocked<F: FnOnce() -> U, U>(s: &mut Self, f: F) -> U {
        s.held
            .with_guard(|_, g: &mut ReentrantMutexGuard<'_, T>| ReentrantMutexGuard::unlocked(g, f))
    }

    /// Like [`unlocked`](Self::unlocked), with a fair unlock.
    ///
    /// # Lock order
    /// As [`unlocked`](Self::unlocked).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = std::sync::Arc::new(lockgraph::ReentrantMutex::new(()));
    /// let mut guard = m.lock_arc();
    /// assert_eq!(lockgraph::ArcReentrantMutexGuard::unlocked_fair(&mut guard, || 3), 3);
    /// ```
    pub fn unlocked_fair<F: FnOnce() -> U, U>(s: &mut Self, f: F) -> U {
        s.held.with_guard(|_, g: &mut ReentrantMutexGuard<'_, T>| {
            ReentrantMutexGuard::unlocked_fair(g, f)
        })
    }

    /// Lets a waiting thread take the mutex, then takes it back.
    ///
    /// # Lock order
    /// Taking it back is a blocking acquisition, checked first.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = std::sync::Arc::new(lockgraph::ReentrantMutex::new(()));
    /// let mut guard = m.lock_arc();
    /// lockgraph::ArcReentrantMutexGuard::bump(&mut guard);
    /// assert!(m.is_locked());
    /// ```
    pub fn bump(s: &mut Self) {
        Self::unlocked_fair(s, || ());
    }
}
