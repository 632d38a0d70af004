//! parking_lot 0.12's `const_*` constructor functions (0.13 removed them, as
//! `new` is `const`): each is the type's `new`, at the caller's site.

use super::mutex::{FairMutex, Mutex};
use super::reentrant::ReentrantMutex;
use super::rwlock::RwLock;

/// Creates a [`Mutex`] in a `const` context (parking_lot 0.12's
/// `const_mutex`): the same as [`Mutex::new`].
///
/// # Examples
///
/// ```
/// static HITS: lockgraph::Mutex<u32> = lockgraph::const_mutex(0);
/// *HITS.lock() += 1;
/// assert_eq!(*HITS.lock(), 1);
/// ```
#[track_caller]
pub const fn const_mutex<T>(value: T) -> Mutex<T> {
    Mutex::new(value)
}

/// Creates a [`FairMutex`] in a `const` context (parking_lot 0.12's
/// `const_fair_mutex`): the same as [`FairMutex::new`].
///
/// # Examples
///
/// ```
/// static QUEUE: lockgraph::FairMutex<Vec<u8>> = lockgraph::const_fair_mutex(Vec::new());
/// QUEUE.lock().push(1);
/// assert_eq!(QUEUE.lock().len(), 1);
/// ```
#[track_caller]
pub const fn const_fair_mutex<T>(value: T) -> FairMutex<T> {
    FairMutex::new(value)
}

/// Creates a [`ReentrantMutex`] in a `const` context (parking_lot 0.12's
/// `const_reentrant_mutex`): the same as [`ReentrantMutex::new`].
///
/// # Examples
///
/// ```
/// static LOG: lockgraph::ReentrantMutex<()> = lockgraph::const_reentrant_mutex(());
/// let outer = LOG.lock();
/// let inner = LOG.lock();
/// ```
#[track_caller]
pub const fn const_reentrant_mutex<T>(value: T) -> ReentrantMutex<T> {
    ReentrantMutex::new(value)
}

/// Creates an [`RwLock`] in a `const` context (parking_lot 0.12's
/// `const_rwlock`): the same as [`RwLock::new`].
///
/// # Examples
///
/// ```
/// static CONFIG: lockgraph::RwLock<&str> = lockgraph::const_rwlock("v1");
/// assert_eq!(*CONFIG.read(), "v1");
/// ```
#[track_caller]
pub const fn const_rwlock<T>(value: T) -> RwLock<T> {
    RwLock::new(value)
}
