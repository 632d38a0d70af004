//! `OnceCell`: once_cell's thread-safe cell, its initialiser run as a held lock.

use std::fmt;
use std::panic::Location;

use super::init::{as_held, copy_header};
use crate::id::LockId;
use crate::meta::LockMeta;
use crate::tracker::LockHeader;

/// A cell written once, with the API of `once_cell::sync::OnceCell`, whose
/// initialiser runs as if the cell were a held lock.
///
/// [`get_or_init`](OnceCell::get_or_init) (and `get_or_try_init`, `set`,
/// `try_insert`, `wait`) on a cell that is not yet initialised is a blocking
/// acquisition of the cell: a thread holding lock `L` that waits for the cell
/// while its initialiser takes `L` is a reported cycle, and initialising a cell
/// from its own initialiser is a
/// [`SelfDeadlock`](crate::Violation::SelfDeadlock) instead of a hang. An
/// initialised cell costs no tracking at all.
///
/// # Examples
///
/// ```
/// use lockgraph::OnceCell;
///
/// static GREETING: OnceCell<String> = OnceCell::new();
/// assert_eq!(GREETING.get_or_init(|| "hello".to_string()), "hello");
/// assert_eq!(GREETING.get().map(String::as_str), Some("hello"));
/// ```
///
/// A cycle through an initialiser is reported (here the first initialiser
/// fails, so the cell is still empty when it is waited for again):
///
/// ```should_panic
/// use std::panic::{AssertUnwindSafe, catch_unwind};
/// use lockgraph::{Mutex, OnceCell};
///
/// let (cell, lock) = (OnceCell::<u32>::named("cell"), Mutex::named("lock", 1));
/// let _ = catch_unwind(AssertUnwindSafe(|| cell.get_or_init(|| {
///     let _l = lock.lock(); // cell -> lock
///     panic!("initialiser failed")
/// })));
/// let held = lock.lock();
/// cell.get_or_init(|| *held); // lock -> cell closes the cycle: panics
/// ```
pub struct OnceCell<T> {
    header: LockHeader,
    inner: once_cell::sync::OnceCell<T>,
}

impl<T> OnceCell<T> {
    /// Creates an empty cell; reports name it by this call's `file:line:column`.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = lockgraph::OnceCell::<u8>::new();
    /// assert!(cell.get().is_none());
    /// ```
    #[track_caller]
    pub const fn new() -> OnceCell<T> {
        OnceCell {
            header: LockHeader::new(LockMeta::created(Location::caller())),
            inner: once_cell::sync::OnceCell::new(),
        }
    }

    /// Creates an empty cell that reports call `name`.
    ///
    /// # Examples
    ///
    /// ```
    /// static CACHE: lockgraph::OnceCell<Vec<u8>> = lockgraph::OnceCell::named("cache");
    /// assert!(CACHE.get_or_init(Vec::new).is_empty());
    /// ```
    pub const fn named(name: &'static str) -> OnceCell<T> {
        OnceCell {
            header: LockHeader::new(LockMeta::named(name)),
            inner: once_cell::sync::OnceCell::new(),
        }
    }

    /// Creates an initialised cell.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = lockgraph::OnceCell::with_value(3);
    /// assert_eq!(cell.get(), Some(&3));
    /// ```
    #[track_caller]
    pub const fn with_value(value: T) -> OnceCell<T> {
        OnceCell {
            header: LockHeader::new(LockMeta::created(Location::caller())),
            inner: once_cell::sync::OnceCell::with_value(value),
        }
    }

    /// The value, if initialised (never blocks).
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = lockgraph::OnceCell::new();
    /// assert_eq!(cell.get(), None);
    /// cell.set(1).unwrap();
    /// assert_eq!(cell.get(), Some(&1));
    /// ```
    pub fn get(&self) -> Option<&T> {
        self.inner.get()
    }

    /// A mutable reference to the value, if initialised.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut cell = lockgraph::OnceCell::with_value(1);
    /// *cell.get_mut().unwrap() = 2;
    /// assert_eq!(cell.get(), Some(&2));
    /// ```
    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.inner.get_mut()
    }

    /// Blocks until the cell is initialised and returns the value.
    ///
    /// # Lock order
    /// As [`get_or_init`](Self::get_or_init).
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = lockgraph::OnceCell::new();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| cell.set(7).unwrap());
    ///     assert_eq!(*cell.wait(), 7);
    /// });
    /// ```
    #[track_caller]
    pub fn wait(&self) -> &T {
        match self.inner.get() {
            Some(value) => value,
            None => as_held(&self.header, Location::caller(), || self.inner.wait()),
        }
    }

    /// Initialises the cell with `value`, or gives it back if the cell was
    /// already initialised. Blocks while another thread initialises it.
    ///
    /// # Lock order
    /// As [`get_or_init`](Self::get_or_init).
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = lockgraph::OnceCell::new();
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

    /// Like [`set`](Self::set), returning a reference to the value stored, or
    /// to the value already there together with `value`.
    ///
    /// # Lock order
    /// As [`get_or_init`](Self::get_or_init).
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = lockgraph::OnceCell::new();
    /// assert_eq!(cell.try_insert(1), Ok(&1));
    /// assert_eq!(cell.try_insert(2), Err((&1, 2)));
    /// ```
    #[track_caller]
    pub fn try_insert(&self, value: T) -> Result<&T, (&T, T)> {
        match self.inner.get() {
            Some(current) => Err((current, value)),
            None => as_held(&self.header, Location::caller(), || {
                self.inner.try_insert(value)
            }),
        }
    }

    /// The value, initialising it with `f` if the cell is empty. Of several
    /// threads racing here, one runs its `f`; the others wait for its value. If
    /// `f` panics, the panic propagates and the cell stays empty.
    ///
    /// # Lock order
    /// If the cell is not initialised yet: records `H -> cell` for every held
    /// lock `H` (checked before running or waiting for the initialiser), and the
    /// cell is held while `f` runs, so the locks `f` takes get `cell -> L` edges.
    ///
    /// # Panics
    /// Under `Panic`, on a cycle; under `Panic` and `Warn`, if `f` initialises
    /// this same cell (once_cell would deadlock).
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = lockgraph::OnceCell::new();
    /// assert_eq!(*cell.get_or_init(|| 1), 1);
    /// assert_eq!(*cell.get_or_init(|| 2), 1);
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

    /// Like [`get_or_init`](Self::get_or_init) with a fallible `f`: an error
    /// leaves the cell empty and is returned.
    ///
    /// # Lock order
    /// As [`get_or_init`](Self::get_or_init).
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = lockgraph::OnceCell::new();
    /// assert_eq!(cell.get_or_try_init(|| "x".parse::<u8>()).is_err(), true);
    /// assert_eq!(cell.get_or_try_init(|| "8".parse::<u8>()), Ok(&8));
    /// ```
    #[track_caller]
    pub fn get_or_try_init<F, E>(&self, f: F) -> Result<&T, E>
    where
        F: FnOnce() -> Result<T, E>,
    {
        match self.inner.get() {
            Some(value) => Ok(value),
            None => as_held(&self.header, Location::caller(), || {
                self.inner.get_or_try_init(f)
            }),
        }
    }

    /// Takes the value out, leaving the cell empty.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut cell = lockgraph::OnceCell::with_value("v");
    /// assert_eq!(cell.take(), Some("v"));
    /// assert_eq!(cell.get(), None);
    /// ```
    pub fn take(&mut self) -> Option<T> {
        self.inner.take()
    }

    /// Consumes the cell and returns the value, if initialised.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lockgraph::OnceCell::with_value(4).into_inner(), Some(4));
    /// ```
    pub fn into_inner(self) -> Option<T> {
        let OnceCell { header, inner } = self;
        drop(header);
        inner.into_inner()
    }

    /// This cell's id in the lock-order graph (assigned now if never used).
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = lockgraph::OnceCell::<()>::new();
    /// assert_eq!(cell.id(), cell.id());
    /// ```
    pub fn id(&self) -> LockId {
        self.header.id()
    }
}

impl<T> Default for OnceCell<T> {
    #[track_caller]
    fn default() -> Self {
        OnceCell::new()
    }
}

impl<T> From<T> for OnceCell<T> {
    #[track_caller]
    fn from(value: T) -> Self {
        OnceCell::with_value(value)
    }
}

impl<T: Clone> Clone for OnceCell<T> {
    fn clone(&self) -> Self {
        OnceCell {
            header: copy_header(&self.header),
            inner: self.inner.clone(),
        }
    }
}

impl<T: PartialEq> PartialEq for OnceCell<T> {
    fn eq(&self, other: &Self) -> bool {
        self.inner == other.inner
    }
}

impl<T: Eq> Eq for OnceCell<T> {}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}
