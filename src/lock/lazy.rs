//! `Lazy`: once_cell's lazy value, its initialiser run as a held lock.

use once_cell::sync::Lazy as CellLazy;

use super::cell_api::lazy_type;

lazy_type!(
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
    Lazy over CellLazy, "lockgraph::Lazy",
    get where [F: FnOnce() -> T]
);

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
        CellLazy::into_value(inner)
    }
}
