//! `stdsync::Once`: std's one-time call, its closure run as a held lock.

use std::panic::Location;
use std::sync::OnceState;

use crate::acquire::LockHeader;
use crate::id::LockId;
use crate::lock::init::as_held;
use crate::meta::LockMeta;

/// A one-time global initialisation, with [`std::sync::Once`]'s API, whose
/// closure runs as if the `Once` were a held lock.
///
/// A call on a `Once` that has not completed is a blocking acquisition of it,
/// checked like one; see [`OnceLock`](super::OnceLock). A completed `Once`
/// costs no tracking. Poisoning is std's: after a panicking closure,
/// [`call_once`](Once::call_once) panics and
/// [`call_once_force`](Once::call_once_force) runs again.
///
/// # Examples
///
/// ```
/// use lockgraph::stdsync::Once;
/// use lockgraph::stdsync::atomic::{AtomicBool, Ordering};
///
/// static INIT: Once = Once::new();
/// static READY: AtomicBool = AtomicBool::new(false);
/// INIT.call_once(|| READY.store(true, Ordering::Release));
/// assert!(INIT.is_completed() && READY.load(Ordering::Acquire));
/// ```
pub struct Once {
    header: LockHeader,
    inner: std::sync::Once,
}

impl Once {
    /// Creates a `Once` that has not run; reports name it by this call's
    /// `file:line:column`.
    ///
    /// # Examples
    ///
    /// ```
    /// let once = lockgraph::stdsync::Once::new();
    /// assert!(!once.is_completed());
    /// ```
    #[track_caller]
    #[allow(clippy::new_without_default)] // std's `Once` has no `Default`: keep its API
    pub const fn new() -> Once {
        Once {
            header: LockHeader::new(LockMeta::created(Location::caller())),
            inner: std::sync::Once::new(),
        }
    }

    /// Creates a `Once` that reports call `name` (its first 126 bytes, cut at a
    /// character boundary, if it is longer).
    ///
    /// # Examples
    ///
    /// ```
    /// static LOGGER: lockgraph::stdsync::Once = lockgraph::stdsync::Once::named("logger");
    /// LOGGER.call_once(|| {});
    /// ```
    pub const fn named(name: &'static str) -> Once {
        Once {
            header: LockHeader::new(LockMeta::named(name)),
            inner: std::sync::Once::new(),
        }
    }

    /// Runs `f` if no call has completed yet; other callers wait for it.
    ///
    /// # Lock order
    /// If not completed: records `H -> once` for every held lock `H`, checked
    /// before running or waiting; the `Once` is held while `f` runs.
    ///
    /// # Panics
    /// If an earlier call panicked (std's poisoning); under `Panic`, on a cycle;
    /// under `Panic` and `Warn`, if called from its own closure.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU32, Ordering};
    ///
    /// let (once, runs) = (lockgraph::stdsync::Once::new(), AtomicU32::new(0));
    /// once.call_once(|| { runs.fetch_add(1, Ordering::Relaxed); });
    /// once.call_once(|| { runs.fetch_add(1, Ordering::Relaxed); });
    /// assert_eq!(runs.load(Ordering::Relaxed), 1);
    /// ```
    #[track_caller]
    pub fn call_once<F: FnOnce()>(&self, f: F) {
        if !self.inner.is_completed() {
            as_held(&self.header, Location::caller(), || self.inner.call_once(f));
        }
    }

    /// Like [`call_once`](Self::call_once), but runs even after a panicking
    /// call; `f` learns from [`OnceState`] whether the `Once` was poisoned.
    ///
    /// # Lock order
    /// As [`call_once`](Self::call_once).
    ///
    /// # Examples
    ///
    /// ```
    /// let once = lockgraph::stdsync::Once::new();
    /// let _ = std::panic::catch_unwind(|| once.call_once(|| panic!("first try")));
    /// once.call_once_force(|state| assert!(state.is_poisoned()));
    /// assert!(once.is_completed());
    /// ```
    #[track_caller]
    pub fn call_once_force<F: FnOnce(&OnceState)>(&self, f: F) {
        if !self.inner.is_completed() {
            as_held(&self.header, Location::caller(), || {
                self.inner.call_once_force(f)
            });
        }
    }

    /// Whether a call has completed successfully (never blocks).
    ///
    /// # Examples
    ///
    /// ```
    /// let once = lockgraph::stdsync::Once::new();
    /// once.call_once(|| {});
    /// assert!(once.is_completed());
    /// ```
    pub fn is_completed(&self) -> bool {
        self.inner.is_completed()
    }

    /// Blocks until a call has completed; panics if the `Once` is poisoned.
    ///
    /// # Lock order
    /// As [`call_once`](Self::call_once).
    ///
    /// # Examples
    ///
    /// ```
    /// let once = lockgraph::stdsync::Once::new();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| once.call_once(|| {}));
    ///     once.wait();
    /// });
    /// ```
    #[track_caller]
    pub fn wait(&self) {
        if !self.inner.is_completed() {
            as_held(&self.header, Location::caller(), || self.inner.wait());
        }
    }

    /// Blocks until a call has completed, also through poisoning.
    ///
    /// # Lock order
    /// As [`call_once`](Self::call_once).
    ///
    /// # Examples
    ///
    /// ```
    /// let once = lockgraph::stdsync::Once::new();
    /// once.call_once_force(|_| {});
    /// once.wait_force();
    /// ```
    #[track_caller]
    pub fn wait_force(&self) {
        if !self.inner.is_completed() {
            as_held(&self.header, Location::caller(), || self.inner.wait_force());
        }
    }

    /// This `Once`'s id in the lock-order graph.
    ///
    /// # Examples
    ///
    /// ```
    /// let once = lockgraph::stdsync::Once::new();
    /// assert_eq!(once.id(), once.id());
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
    /// let (a, b) = (lockgraph::stdsync::Once::new(), lockgraph::stdsync::Once::new());
    /// assert_ne!(a.class(), b.class()); // made at two places
    /// ```
    pub fn class(&self) -> crate::LockClass {
        crate::LockClass::of(self.header.origin())
    }
}

impl std::fmt::Debug for Once {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Once")
            .field("lock", &self.header)
            .field("completed", &self.is_completed())
            .finish()
    }
}
