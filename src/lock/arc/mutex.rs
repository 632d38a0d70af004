//! `lock_arc` for `Mutex` and `FairMutex`, and `ArcMutexGuard`'s methods.

use std::panic::Location;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::sealed::MutexRaw;
use super::{ArcMutexGuard, RawFairMutex, RawMutex};
use crate::lock::mutex::{FairMutex, FairMutexGuard, Mutex, MutexGuard};
use crate::trusted::arc::{ArcHeld, FairMutexParts, MutexParts};

/// `lock_arc` and its `try` forms for a mutex type whose guards' parts are `$Parts`.
macro_rules! mutex_arc_fns {
    ($Mutex:ident, $Guard:ident, $Parts:ident, $Raw:ident) => {
        impl<T: ?Sized> $Mutex<T> {
            /// [`lock`](Self::lock), with a guard that owns an `Arc` of the mutex.
            ///
            /// # Lock order
            /// As [`lock`](Self::lock): records `H -> self` for every held lock
            /// `H`, checked before blocking. Dropping the guard releases it.
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = concat!("let m = std::sync::Arc::new(lockgraph::", stringify!($Mutex), "::new(1));")]
            #[doc = "*m.lock_arc() += 1;"]
            #[doc = "assert_eq!(*m.lock(), 2);"]
            #[doc = "```"]
            #[track_caller]
            pub fn lock_arc(self: &Arc<Self>) -> ArcMutexGuard<$Raw, T> {
                let site = Location::caller();
                let held = ArcHeld::new(Arc::clone(self), |lock: &$Mutex<T>| Some(lock.lock_at(site, crate::acquire::Blocking)));
                ArcMutexGuard::from_held(held.unwrap_or_else(|_| unreachable!("a blocking lock")))
            }

            /// [`try_lock`](Self::try_lock), with a guard that owns an `Arc` of the mutex.
            ///
            /// # Lock order
            /// As [`try_lock`](Self::try_lock): no edge into this mutex.
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = concat!("let m = std::sync::Arc::new(lockgraph::", stringify!($Mutex), "::new(1));")]
            #[doc = "let held = m.lock_arc();"]
            #[doc = "assert!(m.try_lock_arc().is_none());"]
            #[doc = "```"]
            #[track_caller]
            pub fn try_lock_arc(self: &Arc<Self>) -> Option<ArcMutexGuard<$Raw, T>> {
                let site = Location::caller();
                let held = ArcHeld::new(Arc::clone(self), |lock: &$Mutex<T>| lock.try_lock_at(site));
                held.ok().map(ArcMutexGuard::from_held)
            }

            /// [`try_lock_for`](Self::try_lock_for), with a guard that owns an
            /// `Arc` of the mutex.
            ///
            /// # Lock order
            /// As [`try_lock_for`](Self::try_lock_for): no edge into this mutex.
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = concat!("let m = std::sync::Arc::new(lockgraph::", stringify!($Mutex), "::new(1));")]
            #[doc = "assert!(m.try_lock_arc_for(std::time::Duration::from_millis(1)).is_some());"]
            #[doc = "```"]
            #[track_caller]
            pub fn try_lock_arc_for(self: &Arc<Self>, timeout: Duration) -> Option<ArcMutexGuard<$Raw, T>> {
                let site = Location::caller();
                let held = ArcHeld::new(Arc::clone(self), |lock: &$Mutex<T>| lock.try_lock_for_at(timeout, site));
                held.ok().map(ArcMutexGuard::from_held)
            }

            /// [`try_lock_until`](Self::try_lock_until), with a guard that owns
            /// an `Arc` of the mutex.
            ///
            /// # Lock order
            /// As [`try_lock_until`](Self::try_lock_until): no edge into this mutex.
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = concat!("let m = std::sync::Arc::new(lockgraph::", stringify!($Mutex), "::new(1));")]
            #[doc = "assert!(m.try_lock_arc_until(std::time::Instant::now()).is_some());"]
            #[doc = "```"]
            #[track_caller]
            pub fn try_lock_arc_until(self: &Arc<Self>, deadline: Instant) -> Option<ArcMutexGuard<$Raw, T>> {
                let timeout = deadline.saturating_duration_since(Instant::now());
                let site = Location::caller();
                let held = ArcHeld::new(Arc::clone(self), |lock: &$Mutex<T>| lock.try_lock_for_at(timeout, site));
                held.ok().map(ArcMutexGuard::from_held)
            }
        }

        impl MutexRaw for $Raw {
            type Mutex<T: ?Sized> = $Mutex<T>;
            type Parts<T: ?Sized> = $Parts<T>;

            fn into_arc_fair<T: ?Sized>(held: ArcHeld<$Parts<T>>) -> Arc<$Mutex<T>> {
                held.into_guard(|_, g: $Guard<'_, T>| $Guard::unlock_fair(g)).1
            }

            fn unlocked<T: ?Sized, U>(held: &mut ArcHeld<$Parts<T>>, f: impl FnOnce() -> U) -> U {
                held.with_guard(|_, g: &mut $Guard<'_, T>| $Guard::unlocked(g, f))
            }

            fn unlocked_fair<T: ?Sized, U>(
                held: &mut ArcHeld<$Parts<T>>,
                f: impl FnOnce() -> U,
            ) -> U {
                held.with_guard(|_, g: &mut $Guard<'_, T>| $Guard::unlocked_fair(g, f))
            }
        }
    };
}

mutex_arc_fns!(Mutex, MutexGuard, MutexParts, RawMutex);
mutex_arc_fns!(FairMutex, FairMutexGuard, FairMutexParts, RawFairMutex);

impl<R: MutexRaw, T: ?Sized> ArcMutexGuard<R, T> {
    /// The `Arc` of the mutex this guard holds.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = std::sync::Arc::new(lockgraph::Mutex::new(()));
    /// let guard = m.lock_arc();
    /// assert!(std::sync::Arc::ptr_eq(lockgraph::ArcMutexGuard::mutex(&guard), &m));
    /// ```
    pub fn mutex(s: &Self) -> &Arc<R::Mutex<T>> {
        s.held.lock()
    }

    /// Unlocks the mutex and returns its `Arc`.
    ///
    /// # Lock order
    /// Records nothing; the mutex leaves this thread's held set.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = std::sync::Arc::new(lockgraph::FairMutex::new(()));
    /// let again = lockgraph::ArcMutexGuard::into_arc(m.lock_arc());
    /// assert!(!again.is_locked());
    /// ```
    pub fn into_arc(s: Self) -> Arc<R::Mutex<T>> {
        s.held.into_guard(|_, g| drop(g)).1
    }

    /// Unlocks the mutex with a fair unlock and returns its `Arc`.
    ///
    /// # Lock order
    /// Records nothing; the mutex leaves this thread's held set.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = std::sync::Arc::new(lockgraph::Mutex::new(()));
    /// let again = lockgraph::ArcMutexGuard::into_arc_fair(m.lock_arc());
    /// assert!(!again.is_locked());
    /// ```
    pub fn into_arc_fair(s: Self) -> Arc<R::Mutex<T>> {
        R::into_arc_fair(s.held)
    }

    /// Unlocks with a fair unlock: a waiting thread gets the lock first.
    ///
    /// # Lock order
    /// Records nothing; the mutex leaves this thread's held set.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = std::sync::Arc::new(lockgraph::Mutex::new(()));
    /// lockgraph::ArcMutexGuard::unlock_fair(m.lock_arc());
    /// assert!(!m.is_locked());
    /// ```
    pub fn unlock_fair(s: Self) {
        R::into_arc_fair(s.held);
    }

    /// Unlocks the mutex, runs `f`, and takes it again.
    ///
    /// # Lock order
    /// As [`MutexGuard::unlocked`]: the mutex leaves this thread's held set
    /// while `f` runs; taking it again is a blocking acquisition, checked
    /// before `f` runs.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = std::sync::Arc::new(lockgraph::Mutex::new(()));
    /// let mut guard = m.lock_arc();
    /// assert!(lockgraph::ArcMutexGuard::unlocked(&mut guard, || !m.is_locked()));
    /// ```
    pub fn unlocked<F: FnOnce() -> U, U>(s: &mut Self, f: F) -> U {
        R::unlocked(&mut s.held, f)
    }

    /// Like [`unlocked`](Self::unlocked), with a fair unlock.
    ///
    /// # Lock order
    /// As [`unlocked`](Self::unlocked).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = std::sync::Arc::new(lockgraph::Mutex::new(()));
    /// let mut guard = m.lock_arc();
    /// assert_eq!(lockgraph::ArcMutexGuard::unlocked_fair(&mut guard, || 3), 3);
    /// ```
    pub fn unlocked_fair<F: FnOnce() -> U, U>(s: &mut Self, f: F) -> U {
        R::unlocked_fair(&mut s.held, f)
    }

    /// Lets a waiting thread take the mutex, then takes it back.
    ///
    /// # Lock order
    /// Taking it back is a blocking acquisition, checked first.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = std::sync::Arc::new(lockgraph::Mutex::new(()));
    /// let mut guard = m.lock_arc();
    /// lockgraph::ArcMutexGuard::bump(&mut guard);
    /// assert!(m.is_locked());
    /// ```
    pub fn bump(s: &mut Self) {
        R::unlocked_fair(&mut s.held, || ());
    }
}
