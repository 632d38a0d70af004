//! `stdsync::LazyLock`: std's lazy value, its initialiser run as a held lock.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::panic::Location;

use crate::id::LockId;
use crate::lock::init::as_held;
use crate::meta::LockMeta;
use crate::tracker::LockHeader;

/// A value initialised on first access, with [`std::sync::LazyLock`]'s API,
/// whose initialiser runs as if the cell were a held lock.
///
/// The first access (or an access while another thread initialises) is a
/// blocking acquisition of the cell, checked like one; see
/// [`OnceLock`](super::OnceLock). If the initialiser panics the cell is
/// poisoned, and every later access panics, as with std. An initialised cell
/// costs no tracking.
///
/// # Examples
///
/// ```
/// use std::collections::HashMap;
/// use lockgraph::stdsync::LazyLock;
///
/// static PRIMES: LazyLock<HashMap<u32, bool>> =
///     LazyLock::new(|| (2..20).map(|n| (n, (2..n).all(|d| n % d != 0))).collect());
/// assert!(PRIMES[&7]);
/// assert!(!PRIMES[&9]);
/// ```
pub struct LazyLock<T, F = fn() -> T> {
    header: LockHeader,
    inner: std::sync::LazyLock<T, F>,
}

impl<T, F: FnOnce() -> T> LazyLock<T, F> {
    /// Creates a lazy value initialised by `f`; reports name it by this call's
    /// `file:line:column`.
    ///
    /// # Examples
    ///
    /// ```
    /// let lazy = lockgraph::stdsync::LazyLock::new(|| 6 * 7);
    /// assert_eq!(*lazy, 42);
    /// ```
    #[track_caller]
    pub const fn new(f: F) -> Self {
        LazyLock {
            header: LockHeader::new(LockMeta::created(Location::caller())),
            inner: std::sync::LazyLock::new(f),
        }
    }

    /// Creates a lazy value initialised by `f` that reports call `name`.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::stdsync::LazyLock;
    ///
    /// static ROUTES: LazyLock<Vec<&str>> = LazyLock::named("routes", || vec!["/", "/about"]);
    /// assert_eq!(ROUTES.len(), 2);
    /// ```
    pub const fn named(name: &'static str, f: F) -> Self {
        LazyLock {
            header: LockHeader::new(LockMeta::named(name)),
            inner: std::sync::LazyLock::new(f),
        }
    }

    /// The value, initialising it first if needed (the same as dereferencing).
    ///
    /// # Lock order
    /// If the value is not initialised yet: records `H -> cell` for every held
    /// lock `H`, checked before running or waiting for the initialiser; the cell
    /// is held while the initialiser runs.
    ///
    /// # Panics
    /// If the initialiser panics now or panicked before (std's poisoning); under
    /// `Panic`, on a cycle; under `Panic` and `Warn`, if called from its own
    /// initialiser.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::stdsync::LazyLock;
    ///
    /// let lazy = LazyLock::new(|| String::from("hi"));
    /// assert_eq!(LazyLock::force(&lazy), "hi");
    /// ```
    #[track_caller]
    pub fn force(this: &LazyLock<T, F>) -> &T {
        match std::sync::LazyLock::get(&this.inner) {
            Some(value) => value,
            None => as_held(&this.header, Location::caller(), || {
                std::sync::LazyLock::force(&this.inner)
            }),
        }
    }

    /// A mutable reference to the value, initialising it first if needed (no
    /// other thread can wait on it: nothing is tracked).
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::stdsync::LazyLock;
    ///
    /// let mut lazy = LazyLock::new(|| 1);
    /// *LazyLock::force_mut(&mut lazy) += 1;
    /// assert_eq!(*lazy, 2);
    /// ```
    pub fn force_mut(this: &mut LazyLock<T, F>) -> &mut T {
        std::sync::LazyLock::force_mut(&mut this.inner)
    }
}

impl<T, F> LazyLock<T, F> {
    /// The value, if initialised (never blocks, never initialises).
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::stdsync::LazyLock;
    ///
    /// let lazy = LazyLock::new(|| 1);
    /// assert_eq!(LazyLock::get(&lazy), None);
    /// let _ = *lazy;
    /// assert_eq!(LazyLock::get(&lazy), Some(&1));
    /// ```
    pub fn get(this: &LazyLock<T, F>) -> Option<&T> {
        std::sync::LazyLock::get(&this.inner)
    }

    /// A mutable reference to the value, if initialised.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::stdsync::LazyLock;
    ///
    /// let mut lazy = LazyLock::new(|| 1);
    /// assert_eq!(LazyLock::get_mut(&mut lazy), None);
    /// ```
    pub fn get_mut(this: &mut LazyLock<T, F>) -> Option<&mut T> {
        std::sync::LazyLock::get_mut(&mut this.inner)
    }

    /// This cell's id in the lock-order graph (an associated function, so that
    /// it does not hide a method of `T`).
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::stdsync::LazyLock;
    ///
    /// let lazy = LazyLock::new(|| 1);
    /// assert_eq!(LazyLock::id(&lazy), LazyLock::id(&lazy));
    /// ```
    pub fn id(this: &LazyLock<T, F>) -> LockId {
        this.header.id()
    }
}

impl<T, F: FnOnce() -> T> Deref for LazyLock<T, F> {
    type Target = T;

    /// The value, initialising it first if needed: see [`LazyLock::force`].
    #[track_caller]
    fn deref(&self) -> &T {
        LazyLock::force(self)
    }
}

impl<T, F: FnOnce() -> T> DerefMut for LazyLock<T, F> {
    fn deref_mut(&mut self) -> &mut T {
        LazyLock::force_mut(self)
    }
}

impl<T: Default> Default for LazyLock<T> {
    #[track_caller]
    fn default() -> Self {
        LazyLock::new(T::default)
    }
}

impl<T: fmt::Debug, F> fmt::Debug for LazyLock<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}
