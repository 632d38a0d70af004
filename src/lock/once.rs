//! The crate root's `Once` and `OnceState`: parking_lot's one-time call (0.12's
//! API and the methods 0.13 added), built on [`stdsync::Once`](crate::stdsync::Once),
//! whose closure runs as a held lock.
//!
//! parking_lot's `Once` tells four states apart (`state()`), which std's does
//! not expose; the phase is therefore kept beside the std `Once`, written only
//! by the thread that runs the closure (inside `call_once_force`, so by one
//! thread at a time).

use std::sync::atomic::{AtomicU8, Ordering};

use crate::id::LockId;
use crate::stdsync;

/// Where a [`Once`] is (parking_lot's `OnceState`).
///
/// # Examples
///
/// ```
/// use lockgraph::{Once, OnceState};
///
/// let once = Once::new();
/// assert_eq!(once.state(), OnceState::New);
/// once.call_once(|| {});
/// assert_eq!(once.state(), OnceState::Done);
/// assert!(once.state().done() && once.state().is_completed());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnceState {
    /// No call has run yet.
    New,
    /// A call panicked; `call_once` will panic, `call_once_force` runs again.
    Poisoned,
    /// A call is running now.
    InProgress,
    /// A call has completed.
    Done,
}

impl OnceState {
    /// Whether a call panicked (parking_lot 0.12's name).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(lockgraph::OnceState::Poisoned.poisoned());
    /// ```
    pub const fn poisoned(self) -> bool {
        matches!(self, OnceState::Poisoned)
    }

    /// Whether a call panicked (parking_lot 0.13's name).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!lockgraph::OnceState::New.is_poisoned());
    /// ```
    pub const fn is_poisoned(self) -> bool {
        self.poisoned()
    }

    /// Whether a call has completed (parking_lot 0.12's name).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(lockgraph::OnceState::Done.done());
    /// ```
    pub const fn done(self) -> bool {
        matches!(self, OnceState::Done)
    }

    /// Whether a call has completed (parking_lot 0.13's name).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!lockgraph::OnceState::InProgress.is_completed());
    /// ```
    pub const fn is_completed(self) -> bool {
        self.done()
    }

    const fn from_u8(phase: u8) -> OnceState {
        match phase {
            NEW => OnceState::New,
            POISONED => OnceState::Poisoned,
            IN_PROGRESS => OnceState::InProgress,
            _ => OnceState::Done,
        }
    }
}

const NEW: u8 = 0;
const POISONED: u8 = 1;
const IN_PROGRESS: u8 = 2;
const DONE: u8 = 3;

/// A one-time initialisation with parking_lot's API (0.12's and 0.13's),
/// whose closure runs as if the `Once` were a held lock.
///
/// Running the closure, or waiting for another thread's, is a blocking
/// acquisition of the `Once`, checked like one; a completed `Once` costs no
/// tracking. After a panicking closure, [`call_once`](Once::call_once) panics
/// and [`call_once_force`](Once::call_once_force) runs again.
///
/// # Examples
///
/// ```
/// use lockgraph::Once;
/// use std::sync::atomic::{AtomicU32, Ordering};
///
/// static INIT: Once = Once::new();
/// static CALLS: AtomicU32 = AtomicU32::new(0);
/// for _ in 0..3 {
///     INIT.call_once(|| { CALLS.fetch_add(1, Ordering::Relaxed); });
/// }
/// assert_eq!(CALLS.load(Ordering::Relaxed), 1);
/// ```
pub struct Once {
    inner: stdsync::Once,
    /// The [`OnceState`] as a `u8`; `DONE` also for `new_completed`, whose
    /// `inner` never runs.
    phase: AtomicU8,
}

impl Once {
    /// Creates a `Once` that has not run; reports name it by this call's
    /// `file:line:column`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!lockgraph::Once::new().is_completed());
    /// ```
    #[track_caller]
    #[allow(clippy::new_without_default)] // `Default` is implemented, at the caller's site too
    pub const fn new() -> Once {
        Once::with(stdsync::Once::new(), NEW)
    }

    /// Creates a `Once` that reports call `name`.
    ///
    /// # Examples
    ///
    /// ```
    /// static LOGGER: lockgraph::Once = lockgraph::Once::named("logger");
    /// LOGGER.call_once(|| {});
    /// ```
    pub const fn named(name: &'static str) -> Once {
        Once::with(stdsync::Once::named(name), NEW)
    }

    /// Creates a `Once` that has already completed (parking_lot 0.13).
    ///
    /// # Examples
    ///
    /// ```
    /// let once = lockgraph::Once::new_completed();
    /// once.call_once(|| unreachable!());
    /// assert!(once.is_completed());
    /// ```
    #[track_caller]
    pub const fn new_completed() -> Once {
        Once::with(stdsync::Once::new(), DONE)
    }

    const fn with(inner: stdsync::Once, phase: u8) -> Once {
        Once {
            inner,
            phase: AtomicU8::new(phase),
        }
    }

    /// Where this `Once` is now (a racy snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let once = lockgraph::Once::new();
    /// once.call_once(|| assert_eq!(once.state(), lockgraph::OnceState::InProgress));
    /// ```
    pub fn state(&self) -> OnceState {
        OnceState::from_u8(self.phase.load(Ordering::Acquire))
    }

    /// Whether a call has completed (parking_lot 0.13; never blocks).
    ///
    /// # Examples
    ///
    /// ```
    /// let once = lockgraph::Once::new();
    /// once.call_once(|| {});
    /// assert!(once.is_completed());
    /// ```
    pub fn is_completed(&self) -> bool {
        self.state().done()
    }

    /// Runs `f` if no call has completed yet; other callers wait for it.
    ///
    /// # Lock order
    /// If not completed: records `H -> once` for every held lock `H`, checked
    /// before running or waiting; the `Once` is held while `f` runs.
    ///
    /// # Panics
    /// If an earlier call panicked; under `Panic`, on a cycle; under `Panic`
    /// and `Warn`, if called from its own closure.
    ///
    /// # Examples
    ///
    /// ```
    /// let once = lockgraph::Once::new();
    /// let mut runs = 0;
    /// once.call_once(|| runs += 1);
    /// once.call_once(|| runs += 1);
    /// assert_eq!(runs, 1);
    /// ```
    #[track_caller]
    pub fn call_once<F: FnOnce()>(&self, f: F) {
        if !self.is_completed() {
            self.inner.call_once(|| self.run(f));
        }
    }

    /// Like [`call_once`](Self::call_once), but runs even after a panicking
    /// call; `f` gets the state before it ([`OnceState::Poisoned`] after one).
    ///
    /// # Lock order
    /// As [`call_once`](Self::call_once).
    ///
    /// # Examples
    ///
    /// ```
    /// let once = lockgraph::Once::new();
    /// let _ = std::panic::catch_unwind(|| once.call_once(|| panic!("first try")));
    /// once.call_once_force(|state| assert!(state.poisoned()));
    /// assert!(once.is_completed());
    /// ```
    #[track_caller]
    pub fn call_once_force<F: FnOnce(OnceState)>(&self, f: F) {
        if !self.is_completed() {
            self.inner.call_once_force(|_| {
                let before = self.state();
                self.run(|| f(before));
            });
        }
    }

    /// Runs the closure, keeping `phase` up to date; only ever inside the
    /// inner `Once`'s call, so by one thread at a time.
    fn run(&self, f: impl FnOnce()) {
        struct Poison<'a>(&'a AtomicU8);
        impl Drop for Poison<'_> {
            fn drop(&mut self) {
                self.0.store(POISONED, Ordering::Release);
            }
        }
        self.phase.store(IN_PROGRESS, Ordering::Relaxed);
        let poison = Poison(&self.phase);
        f();
        std::mem::forget(poison);
        self.phase.store(DONE, Ordering::Release);
    }

    /// Blocks until a call has completed (parking_lot 0.13); panics if the
    /// `Once` is poisoned.
    ///
    /// # Lock order
    /// As [`call_once`](Self::call_once).
    ///
    /// # Examples
    ///
    /// ```
    /// let once = lockgraph::Once::new();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| once.call_once(|| {}));
    ///     once.wait();
    /// });
    /// assert!(once.is_completed());
    /// ```
    #[track_caller]
    pub fn wait(&self) {
        if !self.is_completed() {
            self.inner.wait();
        }
    }

    /// Blocks until a call has completed, also through poisoning (parking_lot 0.13).
    ///
    /// # Lock order
    /// As [`call_once`](Self::call_once).
    ///
    /// # Examples
    ///
    /// ```
    /// let once = lockgraph::Once::new();
    /// once.call_once_force(|_| {});
    /// once.wait_force();
    /// ```
    #[track_caller]
    pub fn wait_force(&self) {
        if !self.is_completed() {
            self.inner.wait_force();
        }
    }

    /// This `Once`'s id in the lock-order graph.
    ///
    /// # Examples
    ///
    /// ```
    /// let once = lockgraph::Once::new();
    /// assert_eq!(once.id(), once.id());
    /// ```
    pub fn id(&self) -> LockId {
        self.inner.id()
    }

    /// This `Once`'s class: its creation site, or its name (see
    /// [`LockClass`](crate::LockClass)).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = (lockgraph::Once::new(), lockgraph::Once::new());
    /// assert_ne!(a.class(), b.class()); // made at two places
    /// ```
    pub fn class(&self) -> crate::LockClass {
        self.inner.class()
    }
}

impl Default for Once {
    #[track_caller]
    fn default() -> Once {
        Once::new()
    }
}

impl std::fmt::Debug for Once {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Once")
            .field("lock", &self.inner)
            .field("state", &self.state())
            .finish()
    }
}
