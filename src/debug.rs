//! lockgraph in debug builds, the plain locks in release builds.
//!
//! Every name here is lockgraph's type when `debug_assertions` are on and the
//! plain parking_lot (or once_cell) type otherwise, and [`stdsync`] is
//! [`crate::stdsync`] or [`std::sync`] the same way. Code written against these
//! names keeps lockgraph's checks in tests and debug builds and pays nothing
//! in release builds:
//!
//! ```
//! use lockgraph::debug::Mutex;
//! use lockgraph::debug::stdsync::{Arc, RwLock};
//!
//! static HITS: Mutex<u64> = Mutex::new(0);
//! let table = Arc::new(RwLock::new(vec![1, 2, 3]));
//! *HITS.lock() += 1;
//! assert_eq!(table.read().unwrap().len(), 3);
//! ```
//!
//! # Code that must compile both ways
//!
//! Use only what both flavours have: the parking_lot or std API. In particular
//! use `new`, not `named`, and do not call `id()`: the plain types have
//! neither. Nothing is lost in reports, which name a lock made with `new` by
//! its creation site (`file:line:column`). lockgraph offers no
//! `named`-for-both trait on purpose: a trait method cannot be `const` (so it
//! would not work in `static`s in release builds only), and importing a trait
//! whose method is shadowed by the inherent `named` in debug builds trips the
//! `unused_imports` lint there. Functions that exist only in lockgraph
//! ([`lock_all`](crate::lock_all), [`set_policy`](crate::set_policy), ...)
//! stay at the crate root and are always lockgraph's.
//!
//! # Which parking_lot
//!
//! In release builds the names are parking_lot 0.12's types, or 0.13's with
//! the `parking_lot_013` feature (use it when the project itself depends on
//! parking_lot 0.13, so that both builds agree on the types). The names only
//! 0.13 has (`RecursiveRwLock` and its guards) are here only with that
//! feature, in debug builds too, so that what compiles in one build compiles
//! in the other. lockgraph's own types offer the methods of both versions, so
//! stick to the version you selected; a method only the other version has
//! compiles in debug builds alone.

/// The names every flavour has: lockgraph's, parking_lot 0.12's and 0.13's.
macro_rules! lock_types {
    ($from:ident) => {
        pub use $from::{
            Condvar, FairMutex, FairMutexGuard, MappedFairMutexGuard, MappedMutexGuard,
            MappedReentrantMutexGuard, MappedRwLockReadGuard, MappedRwLockWriteGuard, Mutex,
            MutexGuard, Once, OnceState, ReentrantMutex, ReentrantMutexGuard, RwLock,
            RwLockReadGuard, RwLockUpgradableReadGuard, RwLockWriteGuard, WaitTimeoutResult,
        };
    };
}

/// The names parking_lot 0.13 added; here only with the `parking_lot_013`
/// feature, so that code using them compiles in release builds too.
#[cfg(feature = "parking_lot_013")]
macro_rules! lock_types_013 {
    ($from:ident) => {
        pub use $from::{
            MappedRecursiveRwLockReadGuard, MappedRecursiveRwLockWriteGuard, RecursiveRwLock,
            RecursiveRwLockReadGuard, RecursiveRwLockUpgradableReadGuard,
            RecursiveRwLockWriteGuard,
        };
    };
}

#[cfg(debug_assertions)]
pub use crate::{Lazy, OnceCell};
#[cfg(debug_assertions)]
lock_types!(crate);
#[cfg(all(debug_assertions, feature = "parking_lot_013"))]
lock_types_013!(crate);

#[cfg(not(debug_assertions))]
pub use once_cell::sync::{Lazy, OnceCell};
#[cfg(all(not(debug_assertions), not(feature = "parking_lot_013")))]
lock_types!(parking_lot);
#[cfg(all(not(debug_assertions), feature = "parking_lot_013"))]
lock_types!(parking_lot_013);
#[cfg(all(not(debug_assertions), feature = "parking_lot_013"))]
lock_types_013!(parking_lot_013);

/// [`crate::stdsync`] with `debug_assertions`, [`std::sync`] without.
///
/// # Examples
///
/// ```
/// use lockgraph::debug::stdsync as sync;
///
/// let cell = sync::OnceLock::new();
/// let m = sync::Mutex::new(1);
/// assert_eq!(*cell.get_or_init(|| *m.lock().unwrap()), 1);
/// ```
pub mod stdsync {
    #[cfg(debug_assertions)]
    pub use crate::stdsync::*;
    #[cfg(not(debug_assertions))]
    pub use std::sync::*;
}
