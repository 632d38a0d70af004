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

/// A guard's mark: its acquisition was not recorded in the held set (the
/// runtime off switch). An exclusive `stdsync` guard keeps its lock as one
/// word, a reference with two marks in its low bits (`trusted::marked`),
/// instead of its held token: the token is made again from the lock's header.
pub(crate) const UNTRACKED: usize = 1;

/// An exclusive guard's mark: the thread was panicking when it took the lock
/// (std does not poison on such a guard's release).
pub(crate) const PANICKING: usize = 2;

/// The marks of a guard whose acquisition `token` recorded (or not), taken
/// while the thread was `panicking` or not; the token is forgotten.
#[inline(always)]
pub(crate) fn marks(token: HeldToken<'_>, panicking: bool) -> usize {
    usize::from(!token.keep()) * UNTRACKED + usize::from(panicking) * PANICKING
}

/// The held token of a guard of the lock of `meta` with `marks`, made again.
/// The caller owns it: dropping it forgets the lock.
#[inline(always)]
pub(crate) fn token(meta: &LockMeta, marks: usize) -> HeldToken<'_> {
    match marks & UNTRACKED {
        0 => HeldToken::recorded(meta),
        _ => HeldToken::UNTRACKED,
    }
}

/// The drop of an exclusive guard with `marks`, of the lock of `meta` and
/// `poison`, before its raw lock is released: poisons the lock if the guard
/// is released by a panic that began after it was taken (std's rule, unless
/// the panic is a lockgraph report's), and forgets the lock.
///
/// Inline, one test of the marks, the panicking check and the plainest
/// release ([`HeldToken::release_plain`]) cover the steady state (a guard
/// recorded, taken and released while the thread does not panic), so that a
/// guard's drop stays small enough to be inlined in its caller; everything
/// else is one cold call.
#[inline(always)]
pub(crate) fn release_exclusive(poison: &Poison, meta: &LockMeta, marks: usize) {
    if marks != 0 || panicking() || !ManuallyDrop::new(HeldToken::recorded(meta)).release_plain() {
        release_unusual(poison, meta, marks);
    }
}

/// [`release_exclusive`] for every case but the plainest. It cannot unwind
/// (the `"C"` ABI), so a guard's inlined drop needs no landing pad for it.
#[cold]
#[inline(never)]
extern "C" fn release_unusual(poison: &Poison, meta: &LockMeta, marks: usize) {
    let tracked = (marks & UNTRACKED == 0).then_some(meta);
    if marks & PANICKING == 0 && panicking() {
        poison_unless_report(poison, tracked);
    }
    if let Some(meta) = tracked {
        drop(HeldToken::recorded(meta));
    }
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
