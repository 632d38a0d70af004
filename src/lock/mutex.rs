//! `Mutex` and `FairMutex`: one definition, two raw locks.

use std::panic::Location;
use std::time::{Duration, Instant};

use super::{constructors, guard_impls, lock_impls, map_fns, relock_fns};
use crate::acquire::{self, HeldToken, LockHeader};
use crate::held::Access;
use crate::id::LockId;
use crate::meta::LockMeta;

macro_rules! mutex_type {
    (
        $(#[$doc:meta])*
        $Mutex:ident, $Guard:ident, $Mapped:ident,
        raw: $Raw:ident, $RawGuard:ident, $RawMapped:ident
    ) => {
        $(#[$doc])*
        pub struct $Mutex<T: ?Sized> {
            pub(crate) header: LockHeader,
            pub(crate) inner: crate::pl::$Raw<T>,
        }

        constructors!($Mutex, crate::pl::$Raw<T>);

        impl<T: ?Sized> $Mutex<T> {
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
            /// free (a free mutex is taken, checked, and let go again before the
            /// report); under `Panic` and `Warn`, if this thread already holds
            /// the mutex.
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = concat!("let m = lockgraph::", stringify!($Mutex), "::new(1);")]
            #[doc = "*m.lock() += 1;"]
            #[doc = "assert_eq!(*m.lock(), 2);"]
            #[doc = "```"]
            #[track_caller]
            #[inline(always)]
            pub fn lock(&self) -> $Guard<'_, T> {
                self.lock_at(Location::caller(), acquire::Blocking)
            }

            /// [`lock`](Self::lock), called at `site`, by `route`.
            #[inline(always)]
            pub(crate) fn lock_at<P: acquire::Route>(
                &self,
                site: &'static Location<'static>,
                route: P,
            ) -> P::Out<$Guard<'_, T>> {
                route.take(&self.inner, &self.header, Access::Exclusive, site, |inner, token| {
                    $Guard { inner, token, lock: self }
                })
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
            #[doc = "```"]
            #[doc = concat!("let m = lockgraph::", stringify!($Mutex), "::new(1);")]
            #[doc = "let held = m.lock();"]
            #[doc = "assert!(m.try_lock().is_none()); // busy, also for this thread: no report"]
            #[doc = "drop(held);"]
            #[doc = "assert_eq!(m.try_lock().map(|g| *g), Some(1));"]
            #[doc = "```"]
            #[track_caller]
            #[inline]
            pub fn try_lock(&self) -> Option<$Guard<'_, T>> {
                self.try_lock_at(Location::caller())
            }

            /// [`try_lock`](Self::try_lock), called at `site`.
            #[inline]
            pub(crate) fn try_lock_at(&self, site: &'static Location<'static>) -> Option<$Guard<'_, T>> {
                let inner = self.inner.try_lock()?;
                Some(self.guard(inner, site))
            }

            /// Attempts to acquire the mutex, giving up after `timeout`.
            ///
            /// # Lock order
            /// Like [`try_lock`](Self::try_lock): a timed wait cannot block
            /// forever, so it records no edge into this mutex. Returns `None` at
            /// once, without waiting, if this thread holds the mutex.
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = "use std::time::Duration;"]
            #[doc = concat!("let m = lockgraph::", stringify!($Mutex), "::new(());")]
            #[doc = "let held = m.lock();"]
            #[doc = "assert!(m.try_lock_for(Duration::from_millis(1)).is_none());"]
            #[doc = "drop(held);"]
            #[doc = "assert!(m.try_lock_for(Duration::from_millis(1)).is_some());"]
            #[doc = "```"]
            #[track_caller]
            pub fn try_lock_for(&self, timeout: Duration) -> Option<$Guard<'_, T>> {
                self.try_lock_for_at(timeout, Location::caller())
            }

            /// [`try_lock_for`](Self::try_lock_for), called at `site`.
            pub(crate) fn try_lock_for_at(
                &self,
                timeout: Duration,
                site: &'static Location<'static>,
            ) -> Option<$Guard<'_, T>> {
                if acquire::held_here(&self.header) {
                    return None; // busy at once: waiting on itself could only time out
                }
                let inner = self.inner.try_lock_for(timeout)?;
                Some(self.guard(inner, site))
            }

            /// Attempts to acquire the mutex, giving up at `deadline`.
            ///
            /// # Lock order
            /// As [`try_lock_for`](Self::try_lock_for).
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = "use std::time::{Duration, Instant};"]
            #[doc = concat!("let m = lockgraph::", stringify!($Mutex), "::new(());")]
            #[doc = "let deadline = Instant::now() + Duration::from_millis(1);"]
            #[doc = "assert!(m.try_lock_until(deadline).is_some());"]
            #[doc = "```"]
            #[track_caller]
            pub fn try_lock_until(&self, deadline: Instant) -> Option<$Guard<'_, T>> {
                if acquire::held_here(&self.header) {
                    return None; // as `try_lock_for`
                }
                let inner = self.inner.try_lock_until(deadline)?;
                Some(self.guard(inner, Location::caller()))
            }

            fn guard<'a>(
                &'a self,
                inner: crate::pl::$RawGuard<'a, T>,
                site: &'static Location<'static>,
            ) -> $Guard<'a, T> {
                let token = acquire::after_try(&self.header, Access::Exclusive, site);
                $Guard { inner, token, lock: self }
            }

            /// A mutable reference to the value; no locking is needed.
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = concat!("let mut m = lockgraph::", stringify!($Mutex), "::new(1);")]
            #[doc = "*m.get_mut() = 5;"]
            #[doc = "assert_eq!(m.into_inner(), 5);"]
            #[doc = "```"]
            pub fn get_mut(&mut self) -> &mut T {
                self.inner.get_mut()
            }

            /// Whether the mutex is held by any thread (a racy snapshot).
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = concat!("let m = lockgraph::", stringify!($Mutex), "::new(());")]
            #[doc = "let guard = m.lock();"]
            #[doc = "assert!(m.is_locked());"]
            #[doc = "drop(guard);"]
            #[doc = "assert!(!m.is_locked());"]
            #[doc = "```"]
            pub fn is_locked(&self) -> bool {
                self.inner.is_locked()
            }

            /// This mutex's id (assigned now if it was never used).
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = concat!("let (a, b) = (lockgraph::", stringify!($Mutex), "::new(()), lockgraph::", stringify!($Mutex), "::new(()));")]
            #[doc = "assert!(a.id() < b.id()); // ids follow first use"]
            #[doc = "assert_eq!(a.id(), a.id());"]
            #[doc = "```"]
            pub fn id(&self) -> LockId {
                self.header.id()
            }

            /// This mutex's class: its creation site, or its name (see
            /// [`LockClass`](crate::LockClass)).
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = concat!("let a = lockgraph::", stringify!($Mutex), "::new(());")]
            #[doc = concat!("let b = lockgraph::", stringify!($Mutex), "::new(());")]
            #[doc = "assert_ne!(a.class(), b.class()); // made at two places"]
            #[doc = "```"]
            pub fn class(&self) -> crate::LockClass {
                crate::LockClass::of(self.header.origin())
            }

            pub(crate) fn header(&self) -> &LockMeta {
                &self.header
            }
        }

        lock_impls!($Mutex);

        #[doc = concat!("An RAII guard of a [`", stringify!($Mutex), "`]; the mutex is unlocked when it is dropped.")]
        ///
        /// Not `Send`: the held set it belongs to is per thread.
        #[must_use = "if unused the mutex will immediately unlock"]
        #[clippy::has_significant_drop]
        pub struct $Guard<'a, T: ?Sized> {
            /// Before `inner`, so dropped first: see [`HeldToken`].
            pub(crate) token: HeldToken<'a>,
            pub(crate) inner: crate::pl::$RawGuard<'a, T>,
            pub(crate) lock: &'a $Mutex<T>,
        }

        impl<'a, T: ?Sized> $Guard<'a, T> {
            /// The mutex this guard holds.
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = concat!("let m = lockgraph::", stringify!($Mutex), "::new(());")]
            #[doc = "let guard = m.lock();"]
            #[doc = concat!("assert_eq!(lockgraph::", stringify!($Mutex), "Guard::mutex(&guard).id(), m.id());")]
            #[doc = "```"]
            pub fn mutex(s: &Self) -> &'a $Mutex<T> {
                s.lock
            }

            map_fns!(exclusive $Guard { lock } => $Mapped,
                crate::pl::$RawGuard<'a, T>, try_map_or_err,
                "mutex", $Mutex, "lock.lock()");

            relock_fns!($Guard, crate::pl::$RawGuard<'a, T>, $Mutex, lock);

            /// Leaks the guard: the mutex stays locked, and held by this thread, forever.
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = concat!("let m: &'static lockgraph::", stringify!($Mutex), "<u8> = Box::leak(Box::new(lockgraph::", stringify!($Mutex), "::new(1)));")]
            #[doc = concat!("let value = lockgraph::", stringify!($Mutex), "Guard::leak(m.lock());")]
            #[doc = "*value = 2;"]
            #[doc = "assert!(m.is_locked()); // forever"]
            #[doc = "```"]
            pub fn leak(s: Self) -> &'a mut T {
                let $Guard { inner, token, .. } = s;
                std::mem::forget(token);
                crate::pl::$RawGuard::leak(inner)
            }
        }

        guard_impls!($Guard, mut);

        #[doc = concat!("A guard for a part of the data of a [`", stringify!($Mutex), "`], made by `map`.")]
        #[must_use = "if unused the mutex will immediately unlock"]
        #[clippy::has_significant_drop]
        pub struct $Mapped<'a, T: ?Sized> {
            /// Before `inner`, so dropped first: see [`HeldToken`].
            token: HeldToken<'a>,
            inner: crate::pl::$RawMapped<'a, T>,
        }

        impl<'a, T: ?Sized> $Mapped<'a, T> {
            map_fns!(exclusive $Mapped {} => $Mapped,
                crate::pl::$RawMapped<'a, T>, try_map_or_err,
                "mutex", $Mutex,
                concat!("lockgraph::", stringify!($Guard), "::map(lock.lock(), |all| all)"));


            /// Unlocks the mutex with a fair unlock: a waiting thread gets the
            /// lock first.
            ///
            /// # Lock order
            /// Records nothing; the mutex leaves this thread's held set.
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = concat!("use lockgraph::{", stringify!($Mutex), ", ", stringify!($Guard), ", ", stringify!($Mapped), "};")]
            #[doc = concat!("let m = ", stringify!($Mutex), "::new((1, 2));")]
            #[doc = concat!("let first = ", stringify!($Guard), "::map(m.lock(), |pair| &mut pair.0);")]
            #[doc = concat!(stringify!($Mapped), "::unlock_fair(first);")]
            #[doc = "assert!(!m.is_locked());"]
            #[doc = "```"]
            pub fn unlock_fair(s: Self) {
                let $Mapped { inner, token } = s;
                crate::pl::$RawMapped::unlock_fair(inner);
                drop(token);
            }
        }

        guard_impls!($Mapped, mut);
    };
}

mutex_type!(
    /// A mutual-exclusion lock with parking_lot's API that checks lock order.
    ///
    /// Every blocking [`lock`](Mutex::lock) records "held -> this" edges in the
    /// process-wide lock-order graph and reports a cycle before it blocks.
    /// `new` is `const`, so a `Mutex` can live in a `static`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use lockgraph::Mutex;
    ///
    /// let counter = Arc::new(Mutex::new(0));
    /// let handles: Vec<_> = (0..4)
    ///     .map(|_| {
    ///         let counter = Arc::clone(&counter);
    ///         std::thread::spawn(move || *counter.lock() += 1)
    ///     })
    ///     .collect();
    /// handles.into_iter().for_each(|h| h.join().unwrap());
    /// assert_eq!(*counter.lock(), 4);
    /// ```
    ///
    /// A lock-order inversion is caught even though nothing deadlocks:
    ///
    /// ```
    /// use lockgraph::Mutex;
    ///
    /// let a = Mutex::named("a", ());
    /// let b = Mutex::named("b", ());
    /// {
    ///     let _a = a.lock();
    ///     let _b = b.lock(); // a -> b
    /// }
    /// let _b = b.lock();
    /// // b -> a closes a cycle: panics with the report
    /// let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(a.lock())));
    /// let report = *caught.unwrap_err().downcast::<String>().unwrap();
    /// assert!(report.starts_with("lockgraph: potential deadlock"));
    /// ```
    Mutex, MutexGuard, MappedMutexGuard,
    raw: Mutex, MutexGuard, MappedMutexGuard
);

mutex_type!(
    /// A mutex that always hands the lock to the longest waiter (parking_lot's
    /// `FairMutex`), with lock-order checking. Same API as [`Mutex`].
    ///
    /// # Examples
    ///
    /// ```
    /// let fair = lockgraph::FairMutex::named("fair", vec![1]);
    /// fair.lock().push(2);
    /// assert_eq!(fair.lock().len(), 2);
    /// ```
    FairMutex, FairMutexGuard, MappedFairMutexGuard,
    raw: FairMutex, FairMutexGuard, MappedFairMutexGuard
);
