//! Drop-in replacements for [`std::sync`] that check lock order.
//!
//! `use lockgraph::stdsync as sync;` (or `use lockgraph::stdsync::{Mutex, ...}`
//! in place of `use std::sync::{Mutex, ...}`) swaps a program over: every name
//! of `std::sync` is here with std's signatures. The locks ([`Mutex`],
//! [`RwLock`], [`Condvar`]) and the one-time initialisers ([`OnceLock`],
//! [`LazyLock`], [`Once`]) are lockgraph's. The locks keep std's API and
//! poisoning, [`Mutex`] and [`Condvar`] on std's own algorithms and
//! [`RwLock`] on parking_lot's, each with a timed wait: a contended
//! acquisition sleeps, and wakes at every [watchdog](crate::set_deadlock_check)
//! interval to check its wait (std's locks have no timed acquisition to do
//! that with). The
//! one-time initialisers are built on std's own types, so initialisation
//! races behave exactly as std's. Everything lockgraph does not instrument ([`Arc`], [`Weak`],
//! [`Barrier`], [`mpsc`], [`atomic`], ...) is std's, re-exported; so are the
//! result and error types ([`LockResult`], [`PoisonError`], ...), so that code
//! matching on them is unchanged.
//!
//! What lockgraph adds: every lock and cell has `named` and `id()`; a blocking
//! acquisition that closes a lock-order cycle is reported before it blocks
//! (under [`Policy::Panic`](crate::Policy::Panic), a panic that poisons
//! neither the lock being taken nor the locks it unwinds through: see
//! [below](#poisoning-and-lockgraphs-reports)); re-taking a mutex this thread
//! holds, and initialising a cell from its own initialiser, are reported
//! instead of hanging.
//!
//! # Poisoning and lockgraph's reports
//!
//! A report's panic is the failure to show, not a sign that the data behind
//! the locks it unwinds through is broken. So a guard that a lockgraph
//! report's unwinding drops does not poison its lock: the next `lock`,
//! `read`, `write`, `try_*`, condvar wait, `is_poisoned`, `get_mut` or
//! `into_inner` finds it as if the panic had not happened. Otherwise std's
//! rule would turn the report into an abort in
//! correct code: a destructor run by the same unwinding that takes the lock
//! with `.lock().unwrap()` panics again, and a panic during a panic aborts the
//! whole test binary.
//!
//! Only the report's unwinding is spared. A panic of the
//! program's own poisons as std's does, a lock that was poisoned before
//! stays poisoned, and read guards never poison. A report's panic that is
//! caught with a guard still held ends the report's unwinding for that guard
//! once lockgraph sees any guard held across it released outside a panic; a
//! later panic then poisons it as std's (one that comes before that is taken
//! for the report's). The one-time initialisers ([`Once`], [`LazyLock`]) keep
//! std's poisoning: an initialiser ended by a report poisons them.
//!
//! ```
//! use lockgraph::stdsync::{Mutex, RwLock};
//!
//! let (a, b) = (Mutex::named("a", ()), Mutex::named("b", ()));
//! drop((a.lock().unwrap(), b.lock().unwrap())); // a -> b
//! let table = RwLock::named("table", vec![1]);
//! struct Entry<'t>(&'t RwLock<Vec<u8>>);
//! impl Drop for Entry<'_> {
//!     fn drop(&mut self) {
//!         // Runs during the report's unwinding, after the write guard is gone.
//!         assert_eq!(self.0.read().unwrap().len(), 2);
//!     }
//! }
//! let report = std::panic::catch_unwind(|| {
//!     let _entry = Entry(&table);
//!     table.write().unwrap().push(2);
//!     let _writing = table.write().unwrap();
//!     let _b = b.lock().unwrap();
//!     let _a = a.lock().unwrap(); // b -> a: reported, a panic under Panic
//! });
//! assert!(report.is_err());
//! assert!(!table.is_poisoned() && !b.is_poisoned());
//! ```
//!
//! # Differences from std
//!
//! - Re-taking a [`Mutex`] this thread holds and initialising a cell from its
//!   own initialiser panic with a
//!   [`SelfDeadlock`](crate::Violation::SelfDeadlock) report (under `Panic`
//!   and `Warn`) where std would deadlock or panic; a second [`RwLock::read`]
//!   on one thread is a [`RecursiveRead`](crate::Violation::RecursiveRead)
//!   report (it deadlocks if a writer queues in between).
//! - A lockgraph report's panic does not poison the locks it unwinds through
//!   ([above](#poisoning-and-lockgraphs-reports)).
//! - `Debug` of a lock also shows its lockgraph id or origin.
//! - [`WaitTimeoutResult`] is lockgraph's own type with std's `timed_out`
//!   (std's cannot be made outside std).
//! - [`Mutex`] and [`Condvar`] run std's own algorithms (those of std's
//!   futex-based mutex and condition variable), on parking_lot's parking lot
//!   instead of the futex, so that a watched wait can wake at every watchdog
//!   interval: a release wakes one sleeper and never hands the lock over, and
//!   a condvar wait may wake spuriously, as with std. Two differences: a
//!   waiter spins a little longer before it sleeps, reading the lock less
//!   often, so two threads that hammer one mutex pass it between them less
//!   often than with std; and on every platform the locks behave as on
//!   Linux. [`RwLock`] is parking_lot's, so a contended one changes hands as
//!   parking_lot's does (a releasing thread usually goes on before a woken
//!   waiter, and now and then a lock is handed straight to a waiter).
//!   Code must not depend on either order; `cargo bench --bench handoff`
//!   shows them.
//! - A `Mutex<T>` of an 8-byte-aligned `T` takes 8 bytes more than the crate
//!   root's (the poison flag sits beside the raw mutex).
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
pub(crate) mod poisoning;
mod rwlock;

pub use condvar::{Condvar, WaitTimeoutResult};
pub use lazy_lock::LazyLock;
pub use mutex::{Mutex, MutexGuard};
pub use once::Once;
pub use once_lock::OnceLock;
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Not instrumented: std's own.
pub use std::sync::{
    Arc, Barrier, BarrierWaitResult, LockResult, OnceState, PoisonError, TryLockError,
    TryLockResult, Weak, atomic, mpsc,
};

/// Everything else of `std::sync` (including names added by future Rust
/// versions), shadowed above by lockgraph's instrumented types.
pub use std::sync::*;
