//! std's poisoning, kept by `stdsync` itself: a flag per lock, set by an
//! exclusive guard that a panic releases.
//!
//! The rule is std's: a guard taken while its thread was not panicking, and
//! released while it is, poisons its lock; read guards never do; a poisoned
//! lock still hands out its guard, inside `Err(PoisonError)`. The error types
//! are std's own ([`PoisonError::new`] is public), so a program matching on
//! them sees what it would see with `std::sync`.
//!
//! One exception: a guard released by the unwinding of a lockgraph report
//! does not poison (the rule, and why it only ever spares a report's
//! unwinding, are in `tracker::poison`).

use std::mem::ManuallyDrop;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{LockResult, PoisonError, TryLockError, TryLockResult};

use crate::acquire::{self, HeldToken};
use crate::meta::LockMeta;

/// A `stdsync` lock's poison flag.
///
/// Relaxed is enough: it is set before the raw lock is released and read
/// after it is taken (or through `&mut`), so the lock orders it.
pub(crate) struct Poison(AtomicBool);

impl Poison {
    pub(crate) const fn new() -> Self {
        Poison(AtomicBool::new(false))
    }

    /// Whether the lock is poisoned.
    #[inline(always)]
    pub(crate) fn is_set(&self) -> bool {
        self.0.load(Relaxed)
    }

    pub(crate) fn clear(&self) {
        self.0.store(false, Relaxed);
    }

    /// `value` (a guard, or the data) as std hands it out: inside `Err` if
    /// the lock is poisoned.
    #[inline(always)]
    pub(crate) fn result<G>(&self, value: G) -> LockResult<G> {
        match self.is_set() {
            false => Ok(value),
            true => Err(PoisonError::new(value)),
        }
    }

    /// [`result`](Self::result) for a `try_*`.
    pub(crate) fn try_result<G>(&self, value: G) -> TryLockResult<G> {
        self.result(value).map_err(TryLockError::Poisoned)
    }
}

/// The token of an exclusive guard: it forgets the lock as every token does,
/// and poisons the lock first if the guard is released by a panic that began
/// after it was taken (std's rule), unless that panic is a lockgraph report's.
///
/// A guard keeps it before its raw guard, so the flag is set before the raw
/// lock is released.
pub(crate) struct PoisonToken<'a> {
    /// Dropped by hand: [`PoisonToken`]'s drop releases it.
    token: ManuallyDrop<HeldToken<'a>>,
    poison: &'a Poison,
    /// The thread was panicking when the lock was taken: std does not poison
    /// on such a guard's release.
    panicking: bool,
}

impl<'a> PoisonToken<'a> {
    #[inline(always)]
    pub(crate) fn new(token: HeldToken<'a>, poison: &'a Poison) -> Self {
        Self::taken(token, poison, panicking())
    }

    /// [`new`](Self::new), with whether the thread was panicking when the
    /// lock was taken read by the caller.
    #[inline(always)]
    pub(crate) fn taken(token: HeldToken<'a>, poison: &'a Poison, panicking: bool) -> Self {
        PoisonToken {
            token: ManuallyDrop::new(token),
            poison,
            panicking,
        }
    }

    /// The held token alone (a downgrade to a read guard): the exclusive
    /// hold ends here, poisoning as a release would, and no later release
    /// poisons.
    pub(crate) fn into_token(mut self) -> HeldToken<'a> {
        if !self.panicking && panicking() {
            poison_unless_report(self.poison, self.token.meta());
        }
        self.panicking = true;
        std::mem::replace(&mut *self.token, HeldToken::UNTRACKED)
    }
}

impl Drop for PoisonToken<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        // The poison check reads the lock's entry in the held set (a
        // report's mark), so it comes first; and an entry that the plainest
        // release forgets has no mark.
        let unwinding = !self.panicking && panicking();
        if unwinding || !self.token.release_plain() {
            release_slow(self.poison, self.token.meta(), unwinding);
        }
    }
}

/// [`PoisonToken`]'s drop for every case but a plain release outside a
/// panic: poisons the lock if `unwinding` (the guard is released by a panic
/// that began after it was taken) unless the panic is a report's, then
/// forgets the lock. It cannot unwind, and the compiler knows it (the `"C"`
/// ABI), so a guard's inlined drop needs no landing pad for it.
#[cold]
#[inline(never)]
extern "C" fn release_slow(poison: &Poison, meta: Option<&LockMeta>, unwinding: bool) {
    if unwinding {
        poison_unless_report(poison, meta);
    }
    if let Some(meta) = meta {
        drop(HeldToken::recorded(meta));
    }
}

/// The release of an exclusive guard that keeps its token as a bit (a
/// `stdsync::MutexGuard`), for every case but the plainest: `tracked` says
/// whether `meta`'s lock was recorded in the held set, `taken_panicking`
/// whether the thread was panicking when it took the lock. Poisons the lock
/// if a panic that began after it was taken releases it (unless the panic is
/// a report's), then forgets the lock.
pub(crate) fn release_marked(
    poison: &Poison,
    meta: &LockMeta,
    tracked: bool,
    taken_panicking: bool,
) {
    let unwinding = !taken_panicking && panicking();
    release_slow(poison, tracked.then_some(meta), unwinding);
}

/// `std::thread::panicking`, which the compiler knows cannot unwind (the
/// `"C"` ABI): std's slow path is a call that could, as far as the compiler
/// sees, and a guard's drop that calls it first would need a landing pad that
/// still releases the lock, and be too big to inline.
#[inline(always)]
pub(crate) extern "C" fn panicking() -> bool {
    std::thread::panicking()
}

/// Poisons the lock of an exclusive hold ended by a panic, unless the panic
/// is a report's. It cannot unwind (the `"C"` ABI); should a bug make it
/// panic, the lock is poisoned as std would.
#[cold]
#[inline(never)]
extern "C" fn poison_unless_report(poison: &Poison, meta: Option<&LockMeta>) {
    let report = std::panic::catch_unwind(AssertUnwindSafe(|| acquire::unwound_by_report(meta)));
    if !matches!(report, Ok(true)) {
        poison.0.store(true, Relaxed);
    }
}

/// `is_poisoned`, `clear_poison`, `get_mut` and `id` for a lock with fields
/// `header`, `poison` and `inner` (parking_lot's lock); `$write` is its
/// exclusive acquisition.
macro_rules! poisoning_fns {
    ($Lock:ident, $write:ident) => {
        /// Whether a thread panicked while holding the lock exclusively (not
        /// counting a lockgraph report's panic: see the
        /// [module docs](crate::stdsync#poisoning-and-lockgraphs-reports)).
        ///
        /// # Examples
        ///
        /// ```
        #[doc = concat!("let lock = lockgraph::stdsync::", stringify!($Lock), "::new(0);")]
        /// let _ = std::panic::catch_unwind(|| {
        #[doc = concat!("    let _guard = lock.", stringify!($write), "().unwrap();")]
        ///     panic!("while holding");
        /// });
        /// assert!(lock.is_poisoned());
        /// ```
        pub fn is_poisoned(&self) -> bool {
            self.poison.is_set()
        }

        /// Clears the poisoned state.
        ///
        /// # Examples
        ///
        /// ```
        #[doc = concat!("let lock = lockgraph::stdsync::", stringify!($Lock), "::new(0);")]
        /// let _ = std::panic::catch_unwind(|| {
        #[doc = concat!("    let _guard = lock.", stringify!($write), "().unwrap();")]
        ///     panic!("while holding");
        /// });
        /// lock.clear_poison();
        #[doc = concat!("assert!(lock.", stringify!($write), "().is_ok());")]
        /// ```
        pub fn clear_poison(&self) {
            self.poison.clear();
        }

        /// A mutable reference to the value (no locking is needed); `Err` if
        /// poisoned.
        ///
        /// # Examples
        ///
        /// ```
        #[doc = concat!("let mut lock = lockgraph::stdsync::", stringify!($Lock), "::new(1);")]
        /// *lock.get_mut().unwrap() = 5;
        /// assert_eq!(lock.into_inner().unwrap(), 5);
        /// ```
        pub fn get_mut(&mut self) -> LockResult<&mut T> {
            self.poison.result(self.inner.get_mut())
        }

        /// This lock's id (assigned now if it was never used).
        ///
        /// # Examples
        ///
        /// ```
        #[doc = concat!("let lock = lockgraph::stdsync::", stringify!($Lock), "::new(());")]
        /// assert_eq!(lock.id(), lock.id());
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
        #[doc = concat!("let a = lockgraph::stdsync::", stringify!($Lock), "::new(());")]
        #[doc = concat!("let b = lockgraph::stdsync::", stringify!($Lock), "::new(());")]
        /// assert_ne!(a.class(), b.class()); // made at two places
        /// ```
        pub fn class(&self) -> crate::LockClass {
            crate::LockClass::of(self.header.origin())
        }
    };
}
pub(crate) use poisoning_fns;

/// `Default`, `From`, a `Debug` that shows std's fields (the data, or
/// `<locked>`, and the poison flag) with the lock's header, and std's unwind
/// safety: poisoning is what makes a lock safe to use after a panic.
macro_rules! std_lock_impls {
    ($Lock:ident, $try:ident) => {
        impl<T: ?Sized> std::panic::UnwindSafe for $Lock<T> {}
        impl<T: ?Sized> std::panic::RefUnwindSafe for $Lock<T> {}
        $crate::lock::constructor_impls!($Lock);
        impl<T: ?Sized + std::fmt::Debug> std::fmt::Debug for $Lock<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let mut d = f.debug_struct(stringify!($Lock));
                d.field("lock", &self.header);
                // Not through `$try` of ours: looking is not an acquisition.
                match self.inner.$try() {
                    Some(guard) => d.field("data", &&*guard),
                    None => d.field("data", &format_args!("<locked>")),
                };
                d.field("poisoned", &self.poison.is_set());
                d.finish_non_exhaustive()
            }
        }
    };
}
pub(crate) use std_lock_impls;
