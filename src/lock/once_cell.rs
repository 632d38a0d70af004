//! `OnceCell`: once_cell's thread-safe cell, its initialiser run as a held lock.

use std::panic::Location;

use once_cell::sync::OnceCell as CellOnceCell;

use super::cell_api::once_cell_type;
use super::init::{as_held, created_header};

once_cell_type!(
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
    /// ```
    /// use std::panic::{AssertUnwindSafe, catch_unwind};
    /// use lockgraph::{Mutex, OnceCell};
    ///
    /// let (cell, lock) = (OnceCell::<u32>::named("cell"), Mutex::named("lock", 1));
    /// let _ = catch_unwind(AssertUnwindSafe(|| cell.get_or_init(|| {
    ///     let _l = lock.lock(); // cell -> lock
    ///     panic!("initialiser failed")
    /// })));
    /// let held = lock.lock();
    /// // lock -> cell closes the cycle: panics with the report
    /// let caught = catch_unwind(AssertUnwindSafe(|| *cell.get_or_init(|| *held)));
    /// let report = *caught.unwrap_err().downcast::<String>().unwrap();
    /// assert!(report.starts_with("lockgraph: potential deadlock"));
    /// ```
    OnceCell over CellOnceCell, "lockgraph::OnceCell"
);

/// once_cell's additions to the std API.
impl<T> OnceCell<T> {
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
            header: created_header(Location::caller()),
            inner: CellOnceCell::with_value(value),
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
}
