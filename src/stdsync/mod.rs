//! Drop-in replacements for [`std::sync`] that check lock order.
//!
//! `use lockgraph::stdsync as sync;` (or `use lockgraph::stdsync::{Mutex, ...}`
//! in place of `use std::sync::{Mutex, ...}`) swaps a program over: every name
//! of `std::sync` is here with std's signatures. The locks ([`Mutex`],
//! [`RwLock`], [`Condvar`]) and the one-time initialisers ([`OnceLock`],
//! [`LazyLock`], [`Once`]) are lockgraph's, built on std's own types so that
//! poisoning, [`Condvar`] wake-ups and initialisation races behave exactly as
//! std's. Everything lockgraph does not instrument ([`Arc`], [`Weak`],
//! [`Barrier`], [`mpsc`], [`atomic`], ...) is std's, re-exported; so are the
//! result and error types ([`LockResult`], [`PoisonError`], ...), so that code
//! matching on them is unchanged.
//!
//! What lockgraph adds: every lock and cell has `named` and `id()`; a blocking
//! acquisition that closes a lock-order cycle is reported before it blocks
//! (under [`Policy::Panic`](crate::Policy::Panic), a panic that does not poison
//! the lock being taken); re-taking a mutex this thread holds, and initialising
//! a cell from its own initialiser, are reported instead of hanging.
//!
//! # Differences from std
//!
//! - Re-taking a [`Mutex`] this thread holds, a second [`RwLock::read`] on one
//!   thread, and initialising a cell from its own initialiser panic with a
//!   [`SelfDeadlock`](crate::Violation::SelfDeadlock) report (under `Panic`
//!   and `Warn`) where std would deadlock or panic.
//! - `Debug` of a lock also shows its lockgraph id or origin.
//! - Nightly-only std items (`MutexGuard::map`, `Mutex::replace`,
//!   `OnceLock::try_insert`, `ReentrantLock`, `mpmc`, ...) are not provided by
//!   the instrumented types; the unstable std types reached through the
//!   re-export are std's, not instrumented.
//!
//! # Examples
//!
//! ```
//! use lockgraph::stdsync as sync;
//!
//! let shared = sync::Arc::new((sync::Mutex::new(0), sync::Condvar::new()));
//! let worker = {
//!     let shared = sync::Arc::clone(&shared);
//!     std::thread::spawn(move || {
//!         *shared.0.lock().unwrap() = 42;
//!         shared.1.notify_one();
//!     })
//! };
//! let value = shared.1.wait_while(shared.0.lock().unwrap(), |v| *v == 0).unwrap();
//! assert_eq!(*value, 42);
//! drop(value);
//! worker.join().unwrap();
//! ```

mod condvar;
mod lazy_lock;
mod mutex;
mod once;
mod once_lock;
mod poisoning;
mod rwlock;

pub use condvar::Condvar;
pub use lazy_lock::LazyLock;
pub use mutex::{Mutex, MutexGuard};
pub use once::Once;
pub use once_lock::OnceLock;
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Not instrumented: std's own.
pub use std::sync::{
    Arc, Barrier, BarrierWaitResult, LockResult, OnceState, PoisonError, TryLockError,
    TryLockResult, WaitTimeoutResult, Weak, atomic, mpsc,
};

/// Everything else of `std::sync` (including names added by future Rust
/// versions), shadowed above by lockgraph's instrumented types.
pub use std::sync::*;
