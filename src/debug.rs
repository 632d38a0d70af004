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

#[cfg(debug_assertions)]
pub use crate::{
    Condvar, FairMutex, FairMutexGuard, Lazy, MappedFairMutexGuard, MappedMutexGuard,
    MappedReentrantMutexGuard, MappedRwLockReadGuard, MappedRwLockWriteGuard, Mutex, MutexGuard,
    OnceCell, ReentrantMutex, ReentrantMutexGuard, RwLock, RwLockReadGuard,
    RwLockUpgradableReadGuard, RwLockWriteGuard, WaitTimeoutResult,
};

#[cfg(not(debug_assertions))]
pub use once_cell::sync::{Lazy, OnceCell};
#[cfg(not(debug_assertions))]
pub use parking_lot::{
    Condvar, FairMutex, FairMutexGuard, MappedFairMutexGuard, MappedMutexGuard,
    MappedReentrantMutexGuard, MappedRwLockReadGuard, MappedRwLockWriteGuard, Mutex, MutexGuard,
    ReentrantMutex, ReentrantMutexGuard, RwLock, RwLockReadGuard, RwLockUpgradableReadGuard,
    RwLockWriteGuard, WaitTimeoutResult,
};

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
