//! `Lazy`: once_cell's lazy value, its initialiser run as a held lock.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::panic::Location;

use super::init::as_held;
use crate::id::LockId;
use crate::meta::LockMeta;
use crate::tracker::LockHeader;

/// A value initialised on first access, with the API of `once_cell::sync::Lazy`,
/// whose initialiser runs as if the cell were a held lock.
///
/// The first access (or an access while another thread initialises) is a
/// blocking acquisition of the cell, checked like one; see
/// [`OnceCell`](crate::OnceCell). If the initialiser panics the cell is
/// poisoned, and every later access panics, as with once_cell. An initialised cell
/// costs no tracking.
///
/// # Examples
///
/// ```
/// use std::collections::HashMap;
/// use lockgraph::Lazy;
///
/// static PRIMES: Lazy<HashMap<u32, bool>> =
///     Lazy::new(|| (2..20).map(|n| (n, (2..n).all(|d| n % d != 0))).collect());
/// assert!(PRIMES[&7]);
/// assert!(!PRIMES[&9]);
/// ```
pub struct Lazy<T, F = fn() -> T> {
    header: LockHeader,
    inner: once_cell::sync::Lazy<T, F>,
}

impl<T, F: FnOnce() -> T> Lazy<T, F> {
    /// Creates a lazy value initialised by `f`; reports name it by this call's
    /// `file:line:column`.
    ///
    /// # Examples
    ///
    /// ```
    /// let lazy = lockgraph::Lazy::new(|| 6 * 7);
    /// assert_eq!(*lazy, 42);
    /// ```
    #[track_caller]
    pub const fn new(f: F) -> Self {
        Lazy {
            header: LockHeader::new(LockMeta::created(Location::caller())),
            inner: once_cell::sync::Lazy::new(f),
        }
    }

    /// Creates a lazy value initialised by `f` that reports call `name`.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::Lazy;
    ///
    /// static ROUTES: Lazy<Vec<&str>> = Lazy::named("routes", || vec!["/", "/about"]);
    /// assert_eq!(ROUTES.len(), 2);
    /// ```
    pub const fn named(name: &'static str, f: F) -> Self {
        Lazy {
            header: LockHeader::new(LockMeta::named(name)),
            inner: once_cell::sync::Lazy::new(f),
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
    /// If the initialiser panics now or panicked before (once_cell's poisoning); under
    /// `Panic`, on a cycle; under `Panic` and `Warn`, if called from its own
    /// initialiser.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::Lazy;
    ///
    /// let lazy = Lazy::new(|| String::from("hi"));
    /// assert_eq!(Lazy::force(&lazy), "hi");
    /// ```
    #[track_caller]
    pub fn force(this: &Lazy<T, F>) -> &T {
        match once_cell::sync::Lazy::get(&this.inner) {
            Some(value) => value,
            None => as_held(&this.header, Location::caller(), || {
                once_cell::sync::Lazy::force(&this.inner)
            }),
        }
    }

    /// A mutable reference to the value, initialising it first if needed (no
    /// other thread can wait on it: nothing is tracked).
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::Lazy;
    ///
    /// let mut lazy = Lazy::new(|| 1);
    /// *Lazy::force_mut(&mut lazy) += 1;
    /// assert_eq!(*lazy, 2);
    /// ```
    pub fn force_mut(this: &mut Lazy<T, F>) -> &mut T {
        once_cell::sync::Lazy::force_mut(&mut this.inner)
    }

    /// The value, if initialised (never blocks, never initialises).
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::Lazy;
    ///
    /// let lazy = Lazy::new(|| 1);
    /// assert_eq!(Lazy::get(&lazy), None);
    /// let _ = *lazy;
    /// assert_eq!(Lazy::get(&lazy), Some(&1));
    /// ```
    pub fn get(this: &Lazy<T, F>) -> Option<&T> {
        once_cell::sync::Lazy::get(&this.inner)
    }

    /// A mutable reference to the value, if initialised.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::Lazy;
    ///
    /// let mut lazy = Lazy::new(|| 1);
    /// assert_eq!(Lazy::get_mut(&mut lazy), None);
    /// ```
    pub fn get_mut(this: &mut Lazy<T, F>) -> Option<&mut T> {
        once_cell::sync::Lazy::get_mut(&mut this.inner)
    }
}

impl<T, F> Lazy<T, F> {
    /// Consumes the value: `Ok` with the value if initialised, else `Err`
    /// with the initialiser.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::Lazy;
    ///
    /// let lazy = Lazy::new(|| 1);
    /// let _ = *lazy;
    /// assert_eq!(Lazy::into_value(lazy).ok(), Some(1));
    /// ```
    pub fn into_value(this: Lazy<T, F>) -> Result<T, F> {
        let Lazy { header, inner } = this;
        drop(header);
        once_cell::sync::Lazy::into_value(inner)
    }

    /// This cell's id in the lock-order graph (an associated function, so that
    /// it does not hide a method of `T`).
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::Lazy;
    ///
    /// let lazy = Lazy::new(|| 1);
    /// assert_eq!(Lazy::id(&lazy), Lazy::id(&lazy));
    /// ```
    pub fn id(this: &Lazy<T, F>) -> LockId {
        this.header.id()
    }
}

impl<T, F: FnOnce() -> T> Deref for Lazy<T, F> {
    type Target = T;

    /// The value, initialising it first if needed: see [`Lazy::force`].
    #[track_caller]
    fn deref(&self) -> &T {
        Lazy::force(self)
    }
}

impl<T, F: FnOnce() -> T> DerefMut for Lazy<T, F> {
    fn deref_mut(&mut self) -> &mut T {
        Lazy::force_mut(self)
    }
}

impl<T: Default> Default for Lazy<T> {
    #[track_caller]
    fn default() -> Self {
        Lazy::new(T::default)
    }
}

impl<T: fmt::Debug, F> fmt::Debug for Lazy<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}
