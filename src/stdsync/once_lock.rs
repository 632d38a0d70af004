//! `stdsync::OnceLock`: std's cell, its initialiser run as a held lock.

use std::sync::OnceLock as StdOnceLock;

use crate::lock::cell_api::once_cell_type;

once_cell_type!(
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
    OnceLock over StdOnceLock, "lockgraph::stdsync::OnceLock"
);
