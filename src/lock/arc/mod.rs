//! Guards that own an `Arc` of their lock (feature `arc_lock`), as parking_lot's
//! `arc_lock` feature has them: `lock_arc`, `read_arc`, ... and the
//! `Arc*Guard`s, which hold no borrow and can be stored or returned freely.
//!
//! An arc guard records and releases exactly what the borrowing guard of the
//! same call would (it is one, kept apart: see `trusted/arc.rs`), so the lock
//! order checks, the reports and the held set are the same. Like every
//! lockgraph guard, an arc guard is not `Send`.
//!
//! The first parameter of each guard is the raw lock type, as in parking_lot
//! (`ArcMutexGuard<RawMutex, T>`, `ArcMutexGuard<RawFairMutex, T>`,
//! `ArcRwLockReadGuard<RawRwLock, T>`, `ArcRwLockReadGuard<RawRwLockRecursive,
//! T>` for a [`RecursiveRwLock`](crate::RecursiveRwLock)), so that type
//! annotations written for parking_lot compile unchanged. A
//! `RecursiveRwLock`'s arc guards are its `RwLock`'s: their `rwlock()` and
//! `into_arc` give an `Arc` of the `RwLock` inside, of the same allocation.

use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use crate::trusted::arc::{ArcHeld, ReadParts, UpgradableParts, WriteParts};

pub use crate::pl::{RawFairMutex, RawMutex, RawThreadId};
// `RwLock` wraps parking_lot 0.12's raw lock also under `parking_lot_013`.
pub use parking_lot::RawRwLock;

// Public traits in a private module: the arc guards' bounds, which map the raw
// type parameter to lockgraph's lock, and which no other crate can implement.
mod sealed {
    use std::sync::Arc;

    use crate::trusted::arc::{ArcHeld, Kind};

    /// A raw mutex type that names a lockgraph mutex type, and the
    /// operations of its guards that an arc guard needs.
    pub trait MutexRaw {
        /// The lockgraph mutex.
        type Mutex<T: ?Sized>: ?Sized;
        /// The guard parts of that mutex.
        type Parts<T: ?Sized>: Kind<Target = T, Lock = Self::Mutex<T>>;
        /// Unlocks fairly, giving back the `Arc`.
        fn into_arc_fair<T: ?Sized>(held: ArcHeld<Self::Parts<T>>) -> Arc<Self::Mutex<T>>;
        /// The guard's `unlocked`.
        fn unlocked<T: ?Sized, U>(held: &mut ArcHeld<Self::Parts<T>>, f: impl FnOnce() -> U) -> U;
        /// The guard's `unlocked_fair`.
        fn unlocked_fair<T: ?Sized, U>(
            held: &mut ArcHeld<Self::Parts<T>>,
            f: impl FnOnce() -> U,
        ) -> U;
    }
}
use sealed::MutexRaw;

/// The raw-type parameter of a [`RecursiveRwLock`](crate::RecursiveRwLock)'s arc guards
/// (`ArcRwLockReadGuard<RawRwLockRecursive, T>`), as parking_lot 0.13 names it; only a name
/// here, as lockgraph's `RecursiveRwLock` is an `RwLock` whose reads are recursive.
#[derive(Debug)]
pub enum RawRwLockRecursive {}

/// Defines an arc guard type over `$Held` (an `ArcHeld`), with `Deref` (and
/// `DerefMut` for `mut`), `Debug`, `Display` and `from_held`. `R` is the raw
/// type parameter; `$Bound`, if given, maps it to the lock type.
macro_rules! arc_guard {
    ($(#[$doc:meta])* $Guard:ident[$($bound:tt)*] => $Held:ty $(, $mut:ident)?) => {
        $(#[$doc])*
        ///
        /// Not `Send`: the held set it belongs to is per thread.
        #[must_use = "if unused the lock will immediately unlock"]
        #[clippy::has_significant_drop]
        pub struct $Guard<R $($bound)*, T: ?Sized> {
            held: $Held,
            _raw: PhantomData<fn() -> R>,
        }

        impl<R $($bound)*, T: ?Sized> $Guard<R, T> {
            fn from_held(held: $Held) -> Self {
                $Guard { held, _raw: PhantomData }
            }
        }

        impl<R $($bound)*, T: ?Sized> Deref for $Guard<R, T> {
            type Target = T;
            fn deref(&self) -> &T {
                self.held.get()
            }
        }

        arc_guard!(@deref_mut $Guard [$($bound)*] $($mut)?);

        impl<R $($bound)*, T: ?Sized + std::fmt::Debug> std::fmt::Debug for $Guard<R, T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(&**self, f)
            }
        }

        impl<R $($bound)*, T: ?Sized + std::fmt::Display> std::fmt::Display for $Guard<R, T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(&**self, f)
            }
        }
    };
    (@deref_mut $Guard:ident [$($bound:tt)*] mut) => {
        impl<R $($bound)*, T: ?Sized> DerefMut for $Guard<R, T> {
            fn deref_mut(&mut self) -> &mut T {
                self.held.get_mut()
            }
        }
    };
    (@deref_mut $Guard:ident [$($bound:tt)*]) => {};
}

arc_guard!(
    /// A guard of a [`Mutex`](crate::Mutex) (`ArcMutexGuard<RawMutex, T>`) or a [`FairMutex`](crate::FairMutex)
    /// (`ArcMutexGuard<RawFairMutex, T>`) that owns an `Arc` of it, made by
    /// `lock_arc`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use lockgraph::{ArcMutexGuard, Mutex, RawMutex};
    ///
    /// struct Held {
    ///     guard: ArcMutexGuard<RawMutex, Vec<u8>>, // no borrow to keep alive
    /// }
    /// let lock = Arc::new(Mutex::new(vec![1]));
    /// let mut held = Held { guard: lock.lock_arc() };
    /// held.guard.push(2);
    /// drop(held);
    /// assert_eq!(*lock.lock(), [1, 2]);
    /// ```
    ArcMutexGuard[: MutexRaw] => ArcHeld<R::Parts<T>>, mut
);
arc_guard!(
    /// A read guard of an [`RwLock`](crate::RwLock) that owns an `Arc` of it, made by
    /// `read_arc` (or `read_arc_recursive`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let lock = Arc::new(lockgraph::RwLock::new(5));
    /// let guard: lockgraph::ArcRwLockReadGuard<lockgraph::RawRwLock, i32> = lock.read_arc();
    /// assert_eq!(*guard, 5);
    /// ```
    ArcRwLockReadGuard[] => ArcHeld<ReadParts<T>>
);
arc_guard!(
    /// A write guard of an [`RwLock`](crate::RwLock) that owns an `Arc` of it, made by
    /// `write_arc`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let lock = Arc::new(lockgraph::RwLock::new(5));
    /// *lock.write_arc() += 1;
    /// assert_eq!(*lock.read(), 6);
    /// ```
    ArcRwLockWriteGuard[] => ArcHeld<WriteParts<T>>, mut
);
arc_guard!(
    /// An upgradable read guard of an [`RwLock`](crate::RwLock) that owns an `Arc` of it,
    /// made by `upgradable_read_arc`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use lockgraph::{ArcRwLockUpgradableReadGuard, RwLock};
    /// let lock = Arc::new(RwLock::new(5));
    /// let up = lock.upgradable_read_arc();
    /// *ArcRwLockUpgradableReadGuard::upgrade(up) = 6;
    /// assert_eq!(*lock.read(), 6);
    /// ```
    ArcRwLockUpgradableReadGuard[] => ArcHeld<UpgradableParts<T>>
);

mod mutex;
mod reentrant;
mod rwlock;

pub use reentrant::ArcReentrantMutexGuard;
