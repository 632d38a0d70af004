//! `read_arc`, `write_arc` and `upgradable_read_arc` for `RwLock`, and the
//! methods of its arc guards.

use std::panic::Location;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{
    ArcRwLockReadGuard, ArcRwLockUpgradableReadGuard, ArcRwLockWriteGuard, RawRwLock,
    RawRwLockRecursive,
};
use crate::lock::recursive_rwlock::RecursiveRwLock;
use crate::lock::rwlock::{RwLock, RwLockReadGuard, RwLockUpgradableReadGuard, RwLockWriteGuard};
use crate::trusted::arc::{
    ArcHeld, GuardOf, Kind, Parts, ReadParts, UpgradableParts, WriteParts, recursive_as_rwlock,
};

/// An `RwLock` arc acquisition: `$name` (blocking, through `$at`) or a `try`
/// form (`$at` returns an `Option`; `$timed` is `for` or `until` for timed ones).
macro_rules! rwlock_arc_fn {
    ($R:ident, $to_rwlock:path; $(#[$doc:meta])* blocking $name:ident => $Guard:ident, $at:ident) => {
        $(#[$doc])*
        #[track_caller]
        pub fn $name(self: &Arc<Self>) -> $Guard<$R, T> {
            let site = Location::caller();
            let held = ArcHeld::new($to_rwlock(Arc::clone(self)), |lock: &RwLock<T>| Some(lock.$at(site, crate::acquire::Blocking)));
            $Guard::from_held(held.unwrap_or_else(|_| unreachable!("a blocking lock")))
        }
    };
    ($R:ident, $to_rwlock:path; $(#[$doc:meta])* try $name:ident => $Guard:ident, $at:ident) => {
        $(#[$doc])*
        #[track_caller]
        pub fn $name(self: &Arc<Self>) -> Option<$Guard<$R, T>> {
            let site = Location::caller();
            let held = ArcHeld::new($to_rwlock(Arc::clone(self)), |lock: &RwLock<T>| lock.$at(site));
            held.ok().map($Guard::from_held)
        }
    };
    ($R:ident, $to_rwlock:path; $(#[$doc:meta])* for $name:ident => $Guard:ident, $at:ident) => {
        $(#[$doc])*
        #[track_caller]
        pub fn $name(self: &Arc<Self>, timeout: Duration) -> Option<$Guard<$R, T>> {
            let site = Location::caller();
            let held = ArcHeld::new($to_rwlock(Arc::clone(self)), |lock: &RwLock<T>| lock.$at(timeout, site));
            held.ok().map($Guard::from_held)
        }
    };
    ($R:ident, $to_rwlock:path; $(#[$doc:meta])* until $name:ident => $Guard:ident, $at:ident) => {
        $(#[$doc])*
        #[track_caller]
        pub fn $name(self: &Arc<Self>, deadline: Instant) -> Option<$Guard<$R, T>> {
            let timeout = deadline.saturating_duration_since(Instant::now());
            let site = Location::caller();
            let held = ArcHeld::new($to_rwlock(Arc::clone(self)), |lock: &RwLock<T>| lock.$at(timeout, site));
            held.ok().map($Guard::from_held)
        }
    };
}

/// The arc forms of one `RwLock` acquisition mode, each with its docs.
macro_rules! rwlock_arc_mode {
    ($Lock:ident, $R:ident, $to_rwlock:path; $Guard:ident, $borrowing:literal;
     $blocking:ident => $at:ident, $try:ident => $try_at:ident,
     $for:ident, $until:ident => $for_at:ident) => {
        rwlock_arc_fn!($R, $to_rwlock;
            #[doc = concat!("[`", $borrowing, "`](Self::", $borrowing, "), with a guard that owns an `Arc` of the lock.")]
            ///
            /// # Lock order
            #[doc = concat!("As [`", $borrowing, "`](Self::", $borrowing, "): records `H -> self` for every held")]
            /// lock `H`, checked before blocking.
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = concat!("let lock = std::sync::Arc::new(lockgraph::", stringify!($Lock), "::new(1));")]
            #[doc = concat!("assert_eq!(*lock.", stringify!($blocking), "(), 1);")]
            #[doc = "```"]
            blocking $blocking => $Guard, $at
        );
        rwlock_arc_fn!($R, $to_rwlock;
            #[doc = concat!("[`", stringify!($blocking), "`](Self::", stringify!($blocking), ") without blocking.")]
            ///
            /// # Lock order
            /// Records no edge into this lock (it cannot block).
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = concat!("let lock = std::sync::Arc::new(lockgraph::", stringify!($Lock), "::new(1));")]
            #[doc = concat!("assert_eq!(lock.", stringify!($try), "().map(|g| *g), Some(1));")]
            #[doc = "```"]
            try $try => $Guard, $try_at
        );
        rwlock_arc_fn!($R, $to_rwlock;
            #[doc = concat!("[`", stringify!($blocking), "`](Self::", stringify!($blocking), "), giving up after `timeout`.")]
            ///
            /// # Lock order
            /// A timed wait cannot block forever: no edge into this lock.
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = concat!("let lock = std::sync::Arc::new(lockgraph::", stringify!($Lock), "::new(1));")]
            #[doc = concat!("assert!(lock.", stringify!($for), "(std::time::Duration::from_millis(1)).is_some());")]
            #[doc = "```"]
            for $for => $Guard, $for_at
        );
        rwlock_arc_fn!($R, $to_rwlock;
            #[doc = concat!("[`", stringify!($blocking), "`](Self::", stringify!($blocking), "), giving up at `deadline`.")]
            ///
            /// # Lock order
            /// A timed wait cannot block forever: no edge into this lock.
            ///
            /// # Examples
            ///
            #[doc = "```"]
            #[doc = concat!("let lock = std::sync::Arc::new(lockgraph::", stringify!($Lock), "::new(1));")]
            #[doc = concat!("assert!(lock.", stringify!($until), "(std::time::Instant::now()).is_some());")]
            #[doc = "```"]
            until $until => $Guard, $for_at
        );
    };
}

impl<T: ?Sized> RwLock<T> {
    rwlock_arc_mode!(RwLock, RawRwLock, std::convert::identity; ArcRwLockReadGuard, "read";
        read_arc => read_at, try_read_arc => try_read_at,
        try_read_arc_for, try_read_arc_until => try_read_for_at);
    rwlock_arc_mode!(RwLock, RawRwLock, std::convert::identity; ArcRwLockReadGuard, "read_recursive";
        read_arc_recursive => read_recursive_at, try_read_recursive_arc => try_read_recursive_at,
        try_read_arc_recursive_for, try_read_arc_recursive_until => try_read_recursive_for_at);
    rwlock_arc_mode!(RwLock, RawRwLock, std::convert::identity; ArcRwLockWriteGuard, "write";
        write_arc => write_at, try_write_arc => try_write_at,
        try_write_arc_for, try_write_arc_until => try_write_for_at);
    rwlock_arc_mode!(RwLock, RawRwLock, std::convert::identity; ArcRwLockUpgradableReadGuard, "upgradable_read";
        upgradable_read_arc => upgradable_read_at, try_upgradable_read_arc => try_upgradable_read_at,
        try_upgradable_read_arc_for, try_upgradable_read_arc_until => try_upgradable_read_for_at);
}

impl<T: ?Sized> RecursiveRwLock<T> {
    rwlock_arc_mode!(RecursiveRwLock, RawRwLockRecursive, recursive_as_rwlock;
        ArcRwLockReadGuard, "read";
        read_arc => read_recursive_at, try_read_arc => try_read_recursive_at,
        try_read_arc_for, try_read_arc_until => try_read_recursive_for_at);
    rwlock_arc_mode!(RecursiveRwLock, RawRwLockRecursive, recursive_as_rwlock;
        ArcRwLockWriteGuard, "write";
        write_arc => write_at, try_write_arc => try_write_at,
        try_write_arc_for, try_write_arc_until => try_write_for_at);
    rwlock_arc_mode!(RecursiveRwLock, RawRwLockRecursive, recursive_as_rwlock;
        ArcRwLockUpgradableReadGuard, "upgradable_read";
        upgradable_read_arc => upgradable_read_at, try_upgradable_read_arc => try_upgradable_read_at,
        try_upgradable_read_arc_for, try_upgradable_read_arc_until => try_upgradable_read_for_at);
}

/// What every `RwLock` arc guard has: `rwlock`, `into_arc`, the fair unlocks,
/// `unlocked` and `bump`, by the borrowing guard `$Borrowed`'s.
macro_rules! rwlock_arc_guard_fns {
    ($Guard:ident, $Borrowed:ident, $take:literal) => {
        impl<R, T: ?Sized> $Guard<R, T> {
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

impl<R, T: ?Sized> ArcRwLockWriteGuard<R, T> {
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
    pub fn downgrade(s: Self) -> ArcRwLockReadGuard<R, T> {
        let held =
            convert::<WriteParts<T>, ReadParts<T>>(s.held, |_, g| RwLockWriteGuard::downgrade(g));
        ArcRwLockReadGuard::from_held(held)
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
    pub fn downgrade_to_upgradable(s: Self) -> ArcRwLockUpgradableReadGuard<R, T> {
        let held = convert::<WriteParts<T>, UpgradableParts<T>>(s.held, |_, g| {
            RwLockWriteGuard::downgrade_to_upgradable(g)
        });
        ArcRwLockUpgradableReadGuard::from_held(held)
    }
}

impl<R, T: ?Sized> ArcRwLockUpgradableReadGuard<R, T> {
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
    pub fn upgrade(s: Self) -> ArcRwLockWriteGuard<R, T> {
        let held = convert::<UpgradableParts<T>, WriteParts<T>>(s.held, |_, g| {
            RwLockUpgradableReadGuard::upgrade(g)
        });
        ArcRwLockWriteGuard::from_held(held)
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
    pub fn try_upgrade(s: Self) -> Result<ArcRwLockWriteGuard<R, T>, Self> {
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
    ) -> Result<ArcRwLockWriteGuard<R, T>, Self> {
        s.held
            .convert::<WriteParts<T>>(f)
            .map(|held| ArcRwLockWriteGuard::from_held(held))
            .map_err(|held| ArcRwLockUpgradableReadGuard::from_held(held))
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
    pub fn try_upgrade_for(s: Self, timeout: Duration) -> Result<ArcRwLockWriteGuard<R, T>, Self> {
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
    ) -> Result<ArcRwLockWriteGuard<R, T>, Self> {
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
    pub fn downgrade(s: Self) -> ArcRwLockReadGuard<R, T> {
        let held = convert::<UpgradableParts<T>, ReadParts<T>>(s.held, |_, g| {
            RwLockUpgradableReadGuard::downgrade(g)
        });
        ArcRwLockReadGuard::from_held(held)
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
