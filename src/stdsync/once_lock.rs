//! `stdsync::OnceLock`: std's cell, its initialiser run as a held lock.

use std::fmt;
use std::panic::Location;

use crate::id::LockId;
use crate::lock::init::{as_held, copy_header};
use crate::meta::LockMeta;
use crate::tracker::LockHeader;

/// A cell written once, with [`std::sync::OnceLock`]'s API, whose initialiser
/// runs as if the cell were a held lock.
///
/// [`get_or_init`](OnceLock::get_or_init), [`set`](OnceLock::set) and
/// [`wait`](OnceLock::wait) on a cell that is not yet initialised are blocking
/// acquisitions of the cell: a thread holding lock `L` that waits for the cell
/// while the initialiser takes `L` is a reported cycle, and initialising the
/// cell from its own initialiser is a
/// [`SelfDeadlock`](crate::Violation::SelfDeadlock) instead of a hang. An
/// initialised cell costs no tracking at all.
///
/// # Examples
///
/// ```
/// use lockgraph::stdsync::OnceLock;
///
/// static CONFIG: OnceLock<String> = OnceLock::new();
/// let threads: Vec<_> = (0..4)
///     .map(|i| std::thread::spawn(move || CONFIG.get_or_init(|| format!("set by {i}")).len()))
///     .collect();
/// let lengths: Vec<usize> = threads.into_iter().map(|t| t.join().unwrap()).collect();
/// assert!(lengths.iter().all(|&len| len == CONFIG.get().unwrap().len()));
/// ```
pub struct OnceLock<T> {
    header: LockHeader,
    inner: std::sync::OnceLock<T>,
}

impl<T> OnceLock<T> {
    /// Creates an empty cell; reports name it by this call's `file:line:column`.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = lockgraph::stdsync::OnceLock::<u8>::new();
    /// assert!(cell.get().is_none());
    /// ```
    #[track_caller]
    pub const fn new() -> Self {
        OnceLock {
            header: LockHeader::new(LockMeta::created(Location::caller())),
            inner: std::sync::OnceLock::new(),
        }
    }

    /// Creates an empty cell that reports call `name`.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = lockgraph::stdsync::OnceLock::named("config");
    /// assert_eq!(*cell.get_or_init(|| 1), 1);
    /// ```
    pub const fn named(name: &'static str) -> Self {
        OnceLock {
            header: LockHeader::new(LockMeta::named(name)),
            inner: std::sync::OnceLock::new(),
        }
    }

    /// The value, if initialised (never blocks).
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = lockgraph::stdsync::OnceLock::new();
    /// assert_eq!(cell.get(), None);
    /// cell.set(3).unwrap();
    /// assert_eq!(cell.get(), Some(&3));
    /// ```
    pub fn get(&self) -> Option<&T> {
        self.inner.get()
    }

    /// A mutable reference to the value, if initialised.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut cell = lockgraph::stdsync::OnceLock::from(1);
    /// *cell.get_mut().unwrap() += 1;
    /// assert_eq!(cell.get(), Some(&2));
    /// ```
    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.inner.get_mut()
    }

    /// Blocks until the cell is initialised, and returns the value.
    ///
    /// # Lock order
    /// If the cell is not initialised yet: records `H -> cell` for every held
    /// lock `H`, checked before waiting.
    ///
    /// # Panics
    /// Under `Panic`, on a cycle; under `Panic` and `Warn`, if called from the
    /// cell's own initialiser.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::stdsync::OnceLock;
    ///
    /// let cell = OnceLock::new();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| cell.set("ready").unwrap());
    ///     assert_eq!(*cell.wait(), "ready");
    /// });
    /// ```
    #[track_caller]
    pub fn wait(&self) -> &T {
        match self.inner.get() {
            Some(value) => value,
            None => as_held(&self.header, Location::caller(), || self.inner.wait()),
        }
    }

    /// Initialises the cell with `value`; gives it back as `Err` if the cell
    /// was already initialised. Blocks while another thread initialises it.
    ///
    /// # Lock order
    /// As [`get_or_init`](Self::get_or_init).
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = lockgraph::stdsync::OnceLock::new();
    /// assert_eq!(cell.set(1), Ok(()));
    /// assert_eq!(cell.set(2), Err(2));
    /// ```
    #[track_caller]
    pub fn set(&self, value: T) -> Result<(), T> {
        match self.inner.get() {
            Some(_) => Err(value),
            None => as_held(&self.header, Location::caller(), || self.inner.set(value)),
        }
    }

    /// The value, initialising it with `f` if the cell is empty. Of several
    /// threads racing here, one runs its `f`; the others wait and get its value.
    /// If `f` panics, the panic propagates and the cell stays empty.
    ///
    /// # Lock order
    /// If the cell is not initialised yet: records `H -> cell` for every held
    /// lock `H` (checked before running or waiting for the initialiser), and the
    /// cell is held while `f` runs, so the locks `f` takes get `cell -> L` edges.
    ///
    /// # Panics
    /// Under `Panic`, on a cycle; under `Panic` and `Warn`, if `f` initialises
    /// this same cell (std would deadlock).
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = lockgraph::stdsync::OnceLock::new();
    /// assert_eq!(*cell.get_or_init(|| 1), 1);
    /// assert_eq!(*cell.get_or_init(|| 2), 1);
    /// ```
    ///
    /// A re-entrant initialisation is reported instead of hanging:
    ///
    /// ```should_panic
    /// let cell = lockgraph::stdsync::OnceLock::<u32>::named("cell");
    /// cell.get_or_init(|| *cell.get_or_init(|| 1) + 1); // panics: self-deadlock
    /// ```
    #[track_caller]
    pub fn get_or_init<F>(&self, f: F) -> &T
    where
        F: FnOnce() -> T,
    {
        match self.inner.get() {
            Some(value) => value,
            None => as_held(&self.header, Location::caller(), || {
                self.inner.get_or_init(f)
            }),
        }
    }

    /// Consumes the cell and returns the value, if initialised.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = lockgraph::stdsync::OnceLock::from("x");
    /// assert_eq!(cell.into_inner(), Some("x"));
    /// ```
    pub fn into_inner(self) -> Option<T> {
        let OnceLock { header, inner } = self;
        drop(header);
        inner.into_inner()
    }

    /// Takes the value out, leaving the cell empty.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut cell = lockgraph::stdsync::OnceLock::from(5);
    /// assert_eq!(cell.take(), Some(5));
    /// assert_eq!(cell.get(), None);
    /// ```
    pub fn take(&mut self) -> Option<T> {
        self.inner.take()
    }

    /// This cell's id in the lock-order graph (assigned now if never used).
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = lockgraph::stdsync::OnceLock::<()>::new();
    /// assert_eq!(cell.id(), cell.id());
    /// ```
    pub fn id(&self) -> LockId {
        self.header.id()
    }
}

impl<T> Default for OnceLock<T> {
    #[track_caller]
    fn default() -> Self {
        OnceLock::new()
    }
}

impl<T> From<T> for OnceLock<T> {
    #[track_caller]
    fn from(value: T) -> Self {
        OnceLock {
            header: LockHeader::new(LockMeta::created(Location::caller())),
            inner: std::sync::OnceLock::from(value),
        }
    }
}

impl<T: Clone> Clone for OnceLock<T> {
    fn clone(&self) -> Self {
        OnceLock {
            header: copy_header(&self.header),
            inner: self.inner.clone(),
        }
    }
}

impl<T: PartialEq> PartialEq for OnceLock<T> {
    fn eq(&self, other: &Self) -> bool {
        self.inner == other.inner
    }
}

impl<T: Eq> Eq for OnceLock<T> {}

impl<T: fmt::Debug> fmt::Debug for OnceLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}
