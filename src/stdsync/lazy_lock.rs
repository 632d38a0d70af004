//! `stdsync::LazyLock`: std's lazy value, its initialiser run as a held lock.

use std::sync::LazyLock as StdLazyLock;

use crate::lock::cell_api::lazy_type;

lazy_type!(
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
    LazyLock over StdLazyLock, "lockgraph::stdsync::LazyLock",
    get where []
);
