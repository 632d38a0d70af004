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
//! `ArcRwLockReadGuard<RawRwLock, T>`), so that type annotations written for
//! parking_lot compile unchanged.

use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::mutex::{FairMutex, FairMutexGuard, Mutex, MutexGuard};
use super::reentrant::{ReentrantMutex, ReentrantMutexGuard};
use super::rwlock::{RwLock, RwLockReadGuard, RwLockUpgradableReadGuard, RwLockWriteGuard};
use crate::trusted::arc::{
    ArcHeld, FairMutexParts, GuardOf, Kind, MutexParts, Parts, ReadParts, ReentrantParts,
    UpgradableParts, WriteParts,
};

pub use crate::pl::{RawFairMutex, RawMutex, RawThreadId};
pub use parking_lot::RawRwLock;

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

    /// A raw reader-writer lock type that names a lockgraph lock type.
    pub trait RwLockRaw {
        /// The read guard parts.
        type Read<T: ?Sized>: Kind<Target = T>;
        /// The write guard parts.
        type Write<T: ?Sized>: Kind<Target = T>;
        /// The upgradable read guard parts.
        type Upgradable<T: ?Sized>: Kind<Target = T>;
    }
}
use sealed::{MutexRaw, RwLockRaw};

impl RwLockRaw for RawRwLock {
    type Read<T: ?Sized> = ReadParts<T>;
    type Write<T: ?Sized> = WriteParts<T>;
    type Upgradable<T: ?Sized> = UpgradableParts<T>;
}

/// Defines an arc guard type over `ArcHeld<$Parts>`, with `Deref` (and
/// `DerefMut` for `mut`), `Debug` and `Display`.
macro_rules! arc_guard {
    ($(#[$doc:meta])* $Guard:ident<$Bound:ident::$Parts:ident> $($mut:ident)?) => {
        $(#[$doc])*
        ///
        /// Not `Send`: the held set it belongs to is per thread.
        #[must_use = "if unused the lock will immediately unlock"]
        #[clippy::has_significant_drop]
        #[allow(private_bounds)] // sealed: only the raw types named in the docs implement it
        pub struct $Guard<R: $Bound, T: ?Sized> {
            held: ArcHeld<R::$Parts<T>>,
        }

        #[allow(private_bounds)]
        impl<R: $Bound, T: ?Sized> Deref for $Guard<R, T> {
            type Target = T;
            fn deref(&self) -> &T {
                self.held.get()
            }
        }

        $(
            #[allow(private_bounds)]
            impl<R: $Bound, T: ?Sized> DerefMut for $Guard<R, T> {
                fn deref_mut(&mut self) -> &$mut T {
                    self.held.get_mut()
                }
            }
        )?

        #[allow(private_bounds)]
        impl<R: $Bound, T: ?Sized + std::fmt::Debug> std::fmt::Debug for $Guard<R, T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(&**self, f)
            }
        }

        #[allow(private_bounds)]
        impl<R: $Bound, T: ?Sized + std::fmt::Display> std::fmt::Display for $Guard<R, T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(&**self, f)
            }
        }
    };
}

arc_guard!(
    /// A guard of a [`Mutex`] (`ArcMutexGuard<RawMutex, T>`) or a [`FairMutex`]
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
    ArcMutexGuard<MutexRaw::Parts> mut
);
arc_guard!(
    /// A read guard of an [`RwLock`] that owns an `Arc` of it, made by
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
    ArcRwLockReadGuard<RwLockRaw::Read>
);
arc_guard!(
    /// A write guard of an [`RwLock`] that owns an `Arc` of it, made by
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
    ArcRwLockWriteGuard<RwLockRaw::Write> mut
);
arc_guard!(
    /// An upgradable read guard of an [`RwLock`] that owns an `Arc` of it,
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
    ArcRwLockUpgradableReadGuard<RwLockRaw::Upgradable>
);

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
                let held = ArcHeld::new(Arc::clone(self), |lock: &$Mutex<T>| Some(lock.lock_at(site)));
                ArcMutexGuard { held: held.unwrap_or_else(|_| unreachable!("a blocking lock") ) }
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
                held.ok().map(|held| ArcMutexGuard { held })
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
                held.ok().map(|held| ArcMutexGuard { held })
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
                held.ok().map(|held| ArcMutexGuard { held })
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

#[allow(private_bounds)]
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

/// An `RwLock` arc acquisition: `$name` (blocking, through `$at`) or a `try`
/// form (`$at` returns an `Option`; `$timed` is `for` or `until` for timed ones).
macro_rules! rwlock_arc_fn {
    ($(#[$doc:meta])* blocking $name:ident => $Guard:ident, $at:ident) => {
        $(#[$doc])*
        #[track_caller]
        pub fn $name(self: &Arc<Self>) -> $Guard<RawRwLock, T> {
            let site = Location::caller();
            let held = ArcHeld::new(Arc::clone(self), |lock: &RwLock<T>| Some(lock.$at(site)));
            $Guard { held: held.unwrap_or_else(|_| unreachable!("a blocking lock")) }
        }
    };
    ($(#[$doc:meta])* try $name:ident => $Guard:ident, $at:ident) => {
        $(#[$doc])*
        #[track_caller]
        pub fn $name(self: &Arc<Self>) -> Option<$Guard<RawRwLock, T>> {
            let site = Location::caller();
            let held = ArcHeld::new(Arc::clone(self), |lock: &RwLock<T>| lock.$at(site));
            held.ok().map(|held| $Guard { held })
        }
    };
    ($(#[$doc:meta])* for $name:ident => $Guard:ident, $at:ident) => {
        $(#[$doc])*
        #[track_caller]
        pub fn $name(self: &Arc<Self>, timeout: Duration) -> Option<$Guard<RawRwLock, T>> {
            let site = Location::caller();
            let held = ArcHeld::new(Arc::clone(self), |lock: &RwLock<T>| lock.$at(timeout, site));
            held.ok().map(|held| $Guard { held })
        }
    };
    ($(#[$doc:meta])* until $name:ident => $Guard:ident, $at:ident) => {
        $(#[$doc])*
        #[track_caller]
        pub fn $name(self: &Arc<Self>, deadline: Instant) -> Option<$Guard<RawRwLock, T>> {
            let timeout = deadline.saturating_duration_since(Instant::now());
            let site = Location::caller();
            let held = ArcHeld::new(Arc::clone(self), |lock: &RwLock<T>| lock.$at(timeout, site));
            held.ok().map(|held| $Guard { held })
        }
    };
}

/// The arc forms of one `RwLock` acquisition mode, each with its docs.
macro_rules! rwlock_arc_mode {
    ($Guard:ident, $borrowing:literal;
     $blocking:ident => $at:ident, $try:ident => $try_at:ident,
     $for:ident, $until:ident => $for_at:ident) => {
        rwlock_arc_fn!(
            #[doc = concat!("[`", $borrowing, "`](Self::", $borrowing, "), with a guard that owns an `Arc` of the lock.")]
            ///
            /// # Lock order
            #[doc = concat!("As [`", $borrowing, "`](Self::", $borrowing, "): records `H -> self` for every held")]
            /// lock `H`, checked before blocking.
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = "let lock = std::sync::Arc::new(lockgraph::RwLock::new(1));"]
            #[doc = concat!("assert_eq!(*lock.", stringify!($blocking), "(), 1);")]
            #[doc = "```"]
            blocking $blocking => $Guard, $at
        );
        rwlock_arc_fn!(
            #[doc = concat!("[`", stringify!($blocking), "`](Self::", stringify!($blocking), ") without blocking.")]
            ///
            /// # Lock order
            /// Records no edge into this lock (it cannot block).
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = "let lock = std::sync::Arc::new(lockgraph::RwLock::new(1));"]
            #[doc = concat!("assert_eq!(lock.", stringify!($try), "().map(|g| *g), Some(1));")]
            #[doc = "```"]
            try $try => $Guard, $try_at
        );
        rwlock_arc_fn!(
            #[doc = concat!("[`", stringify!($blocking), "`](Self::", stringify!($blocking), "), giving up after `timeout`.")]
            ///
            /// # Lock order
            /// A timed wait cannot block forever: no edge into this lock.
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = "let lock = std::sync::Arc::new(lockgraph::RwLock::new(1));"]
            #[doc = concat!("assert!(lock.", stringify!($for), "(std::time::Duration::from_millis(1)).is_some());")]
            #[doc = "```"]
            for $for => $Guard, $for_at
        );
        rwlock_arc_fn!(
            #[doc = concat!("[`", stringify!($blocking), "`](Self::", stringify!($blocking), "), giving up at `deadline`.")]
            ///
            /// # Lock order
            /// A timed wait cannot block forever: no edge into this lock.
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = "let lock = std::sync::Arc::new(lockgraph::RwLock::new(1));"]
            #[doc = concat!("assert!(lock.", stringify!($until), "(std::time::Instant::now()).is_some());")]
            #[doc = "```"]
            until $until => $Guard, $for_at
        );
    };
}

impl<T: ?Sized> RwLock<T> {
    rwlock_arc_mode!(ArcRwLockReadGuard, "read";
        read_arc => read_at, try_read_arc => try_read_at,
        try_read_arc_for, try_read_arc_until => try_read_for_at);
    rwlock_arc_mode!(ArcRwLockReadGuard, "read_recursive";
        read_arc_recursive => read_recursive_at, try_read_recursive_arc => try_read_recursive_at,
        try_read_arc_recursive_for, try_read_arc_recursive_until => try_read_recursive_for_at);
    rwlock_arc_mode!(ArcRwLockWriteGuard, "write";
        write_arc => write_at, try_write_arc => try_write_at,
        try_write_arc_for, try_write_arc_until => try_write_for_at);
    rwlock_arc_mode!(ArcRwLockUpgradableReadGuard, "upgradable_read";
        upgradable_read_arc => upgradable_read_at, try_upgradable_read_arc => try_upgradable_read_at,
        try_upgradable_read_arc_for, try_upgradable_read_arc_until => try_upgradable_read_for_at);
}

/// What every `RwLock` arc guard has: `rwlock`, `into_arc`, the fair unlocks,
/// `unlocked` and `bump`, by the borrowing guard `$Borrowed`'s.
macro_rules! rwlock_arc_guard_fns {
    ($Guard:ident, $Borrowed:ident, $take:literal) => {
        impl<T: ?Sized> $Guard<RawRwLock, T> {
            /// The `Arc` of the lock this guard holds.
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = "let lock = std::sync::Arc::new(lockgraph::RwLock::new(()));"]
            #[doc = concat!("let guard = lock.", $take, "();")]
            #[doc = concat!("assert!(std::sync::Arc::ptr_eq(lockgraph::", stringify!($Guard), "::rwlock(&guard), &lock));")]
            #[doc = "```"]
            pub fn rwlock(s: &Self) -> &Arc<RwLock<T>> {
                s.held.lock()
            }

            /// Unlocks the lock and returns its `Arc`.
            ///
            /// # Lock order
            /// Records nothing; the lock leaves this thread's held set.
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = "let lock = std::sync::Arc::new(lockgraph::RwLock::new(()));"]
            #[doc = concat!("let again = lockgraph::", stringify!($Guard), "::into_arc(lock.", $take, "());")]
            #[doc = "assert!(!again.is_locked());"]
            #[doc = "```"]
            pub fn into_arc(s: Self) -> Arc<RwLock<T>> {
                s.held.into_guard(|_, g| drop(g)).1
            }

            /// Unlocks with a fair unlock and returns the lock's `Arc`.
            ///
            /// # Lock order
            /// Records nothing; the lock leaves this thread's held set.
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = "let lock = std::sync::Arc::new(lockgraph::RwLock::new(()));"]
            #[doc = concat!("let again = lockgraph::", stringify!($Guard), "::into_arc_fair(lock.", $take, "());")]
            #[doc = "assert!(!again.is_locked());"]
            #[doc = "```"]
            pub fn into_arc_fair(s: Self) -> Arc<RwLock<T>> {
                s.held.into_guard(|_, g: $Borrowed<'_, T>| $Borrowed::unlock_fair(g)).1
            }

            /// Unlocks with a fair unlock: a waiting thread gets the lock first.
            ///
            /// # Lock order
            /// Records nothing; the lock leaves this thread's held set.
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = "let lock = std::sync::Arc::new(lockgraph::RwLock::new(()));"]
            #[doc = concat!("lockgraph::", stringify!($Guard), "::unlock_fair(lock.", $take, "());")]
            #[doc = "assert!(!lock.is_locked());"]
            #[doc = "```"]
            pub fn unlock_fair(s: Self) {
                Self::into_arc_fair(s);
            }

            /// Unlocks the lock, runs `f`, and takes it again.
            ///
            /// # Lock order
            #[doc = concat!("As [`", stringify!($Borrowed), "::unlocked`]: taking it again is a blocking")]
            /// acquisition, checked before `f` runs.
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = "let lock = std::sync::Arc::new(lockgraph::RwLock::new(()));"]
            #[doc = concat!("let mut guard = lock.", $take, "();")]
            #[doc = concat!("assert!(lockgraph::", stringify!($Guard), "::unlocked(&mut guard, || !lock.is_locked()));")]
            #[doc = "```"]
            pub fn unlocked<F: FnOnce() -> U, U>(s: &mut Self, f: F) -> U {
                s.held.with_guard(|_, g: &mut $Borrowed<'_, T>| $Borrowed::unlocked(g, f))
            }

            /// Like [`unlocked`](Self::unlocked), with a fair unlock.
            ///
            /// # Lock order
            /// As [`unlocked`](Self::unlocked).
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = "let lock = std::sync::Arc::new(lockgraph::RwLock::new(()));"]
            #[doc = concat!("let mut guard = lock.", $take, "();")]
            #[doc = concat!("assert_eq!(lockgraph::", stringify!($Guard), "::unlocked_fair(&mut guard, || 3), 3);")]
            #[doc = "```"]
            pub fn unlocked_fair<F: FnOnce() -> U, U>(s: &mut Self, f: F) -> U {
                s.held.with_guard(|_, g: &mut $Borrowed<'_, T>| $Borrowed::unlocked_fair(g, f))
            }

            /// Lets a waiting thread take the lock, then takes it back.
            ///
            /// # Lock order
            /// Taking it back is a blocking acquisition, checked first.
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = "let lock = std::sync::Arc::new(lockgraph::RwLock::new(()));"]
            #[doc = concat!("let mut guard = lock.", $take, "();")]
            #[doc = concat!("lockgraph::", stringify!($Guard), "::bump(&mut guard);")]
            #[doc = "assert!(lock.is_locked());"]
            #[doc = "```"]
            pub fn bump(s: &mut Self) {
                s.held.with_guard(|_, g: &mut $Borrowed<'_, T>| $Borrowed::bump(g))
            }
        }
    };
}

rwlock_arc_guard_fns!(ArcRwLockReadGuard, RwLockReadGuard, "read_arc");
rwlock_arc_guard_fns!(ArcRwLockWriteGuard, RwLockWriteGuard, "write_arc");
rwlock_arc_guard_fns!(
    ArcRwLockUpgradableReadGuard,
    RwLockUpgradableReadGuard,
    "upgradable_read_arc"
);

/// A mode change of an arc guard, through the borrowing guards' `$f`.
fn convert<P: Kind, Q: Kind + Parts<Lock = P::Lock>>(
    held: ArcHeld<P>,
    f: impl for<'a> FnOnce(&'a P::Lock, GuardOf<'a, P>) -> GuardOf<'a, Q>,
) -> ArcHeld<Q> {
    match held.convert::<Q>(|lock, guard| Ok(f(lock, guard))) {
        Ok(converted) => converted,
        Err(_) => unreachable!("an infallible conversion"),
    }
}

impl<T: ?Sized> ArcRwLockWriteGuard<RawRwLock, T> {
    /// Turns the write lock into a read lock without letting a writer in between.
    ///
    /// # Lock order
    /// Records nothing (never blocks); the lock is now held for reading.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::ArcRwLockWriteGuard;
    /// let lock = std::sync::Arc::new(lockgraph::RwLock::new(1));
    /// let mut writer = lock.write_arc();
    /// *writer = 2;
    /// assert_eq!(*ArcRwLockWriteGuard::downgrade(writer), 2);
    /// ```
    pub fn downgrade(s: Self) -> ArcRwLockReadGuard<RawRwLock, T> {
        let held =
            convert::<WriteParts<T>, ReadParts<T>>(s.held, |_, g| RwLockWriteGuard::downgrade(g));
        ArcRwLockReadGuard { held }
    }

    /// Turns the write lock into an upgradable read lock, without letting a
    /// writer in between.
    ///
    /// # Lock order
    /// Records nothing (never blocks).
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::ArcRwLockWriteGuard;
    /// let lock = std::sync::Arc::new(lockgraph::RwLock::new(1));
    /// let up = ArcRwLockWriteGuard::downgrade_to_upgradable(lock.write_arc());
    /// assert!(lock.try_write().is_none());
    /// ```
    pub fn downgrade_to_upgradable(s: Self) -> ArcRwLockUpgradableReadGuard<RawRwLock, T> {
        let held = convert::<WriteParts<T>, UpgradableParts<T>>(s.held, |_, g| {
            RwLockWriteGuard::downgrade_to_upgradable(g)
        });
        ArcRwLockUpgradableReadGuard { held }
    }
}

impl<T: ?Sized> ArcRwLockUpgradableReadGuard<RawRwLock, T> {
    /// Upgrades to a write lock, blocking until the other readers leave.
    ///
    /// # Lock order
    /// As [`RwLockUpgradableReadGuard::upgrade`]: a blocking acquisition for
    /// writing, checked before blocking.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::ArcRwLockUpgradableReadGuard;
    /// let lock = std::sync::Arc::new(lockgraph::RwLock::new(1));
    /// let mut writer = ArcRwLockUpgradableReadGuard::upgrade(lock.upgradable_read_arc());
    /// *writer = 2;
    /// drop(writer);
    /// assert_eq!(*lock.read(), 2);
    /// ```
    pub fn upgrade(s: Self) -> ArcRwLockWriteGuard<RawRwLock, T> {
        let held = convert::<UpgradableParts<T>, WriteParts<T>>(s.held, |_, g| {
            RwLockUpgradableReadGuard::upgrade(g)
        });
        ArcRwLockWriteGuard { held }
    }

    /// Upgrades to a write lock if no other reader holds the lock; otherwise
    /// gives the guard back.
    ///
    /// # Lock order
    /// Records no edge (it cannot block).
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::ArcRwLockUpgradableReadGuard;
    /// let lock = std::sync::Arc::new(lockgraph::RwLock::new(1));
    /// let up = lock.upgradable_read_arc();
    /// let reader = lock.read_arc_recursive();
    /// let up = ArcRwLockUpgradableReadGuard::try_upgrade(up).expect_err("a reader is in");
    /// drop(reader);
    /// assert!(ArcRwLockUpgradableReadGuard::try_upgrade(up).is_ok());
    /// ```
    pub fn try_upgrade(s: Self) -> Result<ArcRwLockWriteGuard<RawRwLock, T>, Self> {
        Self::upgrade_or_back(s, |_, g| RwLockUpgradableReadGuard::try_upgrade(g))
    }

    /// An upgrade by `f` on the borrowing guards, or `s` back.
    fn upgrade_or_back(
        s: Self,
        f: impl for<'a> FnOnce(
            &'a RwLock<T>,
            RwLockUpgradableReadGuard<'a, T>,
        )
            -> Result<RwLockWriteGuard<'a, T>, RwLockUpgradableReadGuard<'a, T>>,
    ) -> Result<ArcRwLockWriteGuard<RawRwLock, T>, Self> {
        s.held
            .convert::<WriteParts<T>>(f)
            .map(|held| ArcRwLockWriteGuard { held })
            .map_err(|held| ArcRwLockUpgradableReadGuard { held })
    }

    /// Upgrades to a write lock, giving up after `timeout`.
    ///
    /// # Lock order
    /// A timed wait cannot block forever: no edge.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::ArcRwLockUpgradableReadGuard;
    /// let lock = std::sync::Arc::new(lockgraph::RwLock::new(1));
    /// let up = lock.upgradable_read_arc();
    /// let timeout = std::time::Duration::from_millis(1);
    /// assert!(ArcRwLockUpgradableReadGuard::try_upgrade_for(up, timeout).is_ok());
    /// ```
    pub fn try_upgrade_for(
        s: Self,
        timeout: Duration,
    ) -> Result<ArcRwLockWriteGuard<RawRwLock, T>, Self> {
        Self::upgrade_or_back(s, |_, g| {
            RwLockUpgradableReadGuard::try_upgrade_for(g, timeout)
        })
    }

    /// Upgrades to a write lock, giving up at `deadline`.
    ///
    /// # Lock order
    /// A timed wait cannot block forever: no edge.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::ArcRwLockUpgradableReadGuard;
    /// let lock = std::sync::Arc::new(lockgraph::RwLock::new(1));
    /// let up = lock.upgradable_read_arc();
    /// let deadline = std::time::Instant::now();
    /// assert!(ArcRwLockUpgradableReadGuard::try_upgrade_until(up, deadline).is_ok());
    /// ```
    pub fn try_upgrade_until(
        s: Self,
        deadline: Instant,
    ) -> Result<ArcRwLockWriteGuard<RawRwLock, T>, Self> {
        Self::try_upgrade_for(s, deadline.saturating_duration_since(Instant::now()))
    }

    /// Turns the upgradable read into a plain read.
    ///
    /// # Lock order
    /// Records nothing (never blocks).
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::ArcRwLockUpgradableReadGuard;
    /// let lock = std::sync::Arc::new(lockgraph::RwLock::new(1));
    /// let reader = ArcRwLockUpgradableReadGuard::downgrade(lock.upgradable_read_arc());
    /// std::thread::scope(|s| {
    ///     // Another thread may take the upgradable read now.
    ///     assert!(s.spawn(|| lock.try_upgradable_read().is_some()).join().unwrap());
    /// });
    /// assert_eq!(*reader, 1);
    /// ```
    pub fn downgrade(s: Self) -> ArcRwLockReadGuard<RawRwLock, T> {
        let held = convert::<UpgradableParts<T>, ReadParts<T>>(s.held, |_, g| {
            RwLockUpgradableReadGuard::downgrade(g)
        });
        ArcRwLockReadGuard { held }
    }

    /// Runs `f` with the lock upgraded to writing, then goes back to the
    /// upgradable read.
    ///
    /// # Lock order
    /// As [`RwLockUpgradableReadGuard::with_upgraded`].
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = std::sync::Arc::new(lockgraph::RwLock::new(1));
    /// let mut up = lock.upgradable_read_arc();
    /// up.with_upgraded(|value| *value = 2);
    /// assert_eq!(*up, 2);
    /// ```
    #[track_caller]
    pub fn with_upgraded<Ret, F: FnOnce(&mut T) -> Ret>(&mut self, f: F) -> Ret {
        self.held
            .with_guard(|_, g: &mut RwLockUpgradableReadGuard<'_, T>| g.with_upgraded(f))
    }
}

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
            Some(lock.lock_at(site))
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
