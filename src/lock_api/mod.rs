//! Lock-order checking for any [`lock_api`](https://docs.rs/lock_api/0.4)
//! 0.4 raw lock: spin locks, a project's own raw lock, parking_lot's.
//!
//! `lock_api` turns a raw lock (a type implementing [`RawMutex`],
//! [`RawRwLock`], and for a reentrant mutex [`GetThreadId`]) into
//! `Mutex<R, T>`, `RwLock<R, T>` and `ReentrantMutex<R, G, T>`; crates such as
//! `spin` build their locks that way. This module has the same three types,
//! with the same methods, and the same checks as the crate root's
//! [`Mutex`](crate::Mutex): every blocking acquisition records "held -> this"
//! edges in the one process-wide lock-order graph (shared with every other
//! lockgraph lock), a cycle is reported before the thread blocks, `try_*`
//! and timed acquisitions record no edge into the lock, re-taking a
//! `ReentrantMutex` on its owning thread records nothing, actual deadlocks
//! are found by the watchdog, and guards are not `Send`. The locks are
//! members of [`lock_all`](crate::lock_all) sets like any other.
//!
//! Swapping it in: `lock_api::Mutex<R, T>` becomes
//! `lockgraph::lock_api::Mutex<R, T>` (likewise the other types and guards);
//! the raw traits are re-exported here, so a raw lock implemented against
//! `lock_api` 0.4 needs no change. A crate's own type aliases
//! (`type SpinMutex<T> = lock_api::Mutex<RawSpin, T>`) are the one line to
//! edit.
//!
//! ```
//! use lockgraph::lock_api::Mutex;
//!
//! // Any `lock_api::RawMutex` will do; parking_lot's is one.
//! type MyMutex<T> = Mutex<parking_lot::RawMutex, T>;
//!
//! let a: MyMutex<i32> = Mutex::named("a", 1);
//! let b: MyMutex<i32> = Mutex::named("b", 2);
//! {
//!     let _a = a.lock();
//!     let _b = b.lock(); // a -> b
//! }
//! let _b = b.lock();
//! // b -> a closes a cycle: reported before anything blocks.
//! let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(a.lock())));
//! let report = *caught.unwrap_err().downcast::<String>().unwrap();
//! assert!(report.starts_with("lockgraph: potential deadlock"));
//! ```
//!
//! `examples/spin_lock.rs` in the repository implements a raw spin lock and
//! checks it this way.
//!
//! # What is not here
//!
//! lock_api's `unsafe` methods (`force_unlock`, `raw`, `make_guard_unchecked`,
//! `data_ptr`) and its `Arc` guards: lockgraph has no unsafe code outside one
//! audited module, and a lock released or guarded behind its back would make
//! the held set wrong.
//!
//! # Raw locks without a timed acquisition
//!
//! A blocking acquisition that has to wait is watched: it waits one watchdog
//! interval at a time and checks for an actual deadlock in between (see
//! [`set_deadlock_check`](crate::set_deadlock_check)). That needs a wait that
//! ends, which a raw lock without [`RawMutexTimed`] (a spin lock, usually)
//! does not have; and lock_api's timed traits take the raw lock's own
//! `Duration` type, which may not be std's. So the wait polls the raw lock's
//! `try_lock`: a few spins, then the CPU is yielded between tries, as a spin
//! lock waits anyway. A raw lock that parks is then waited for on the CPU;
//! with the deadlock check off, a contended acquisition calls the raw lock's
//! own `lock` instead. [`try_lock_all_until`](crate::try_lock_all_until)
//! polls the same way. The timed methods (`try_lock_for`, ...) are there
//! when `R` has them, and use them.
//!
//! # lock_api 0.4 and 0.5
//!
//! lock_api 0.5 changed the raw traits (an acquisition returns per-acquisition
//! state that the unlock consumes, where 0.4 returns nothing) and needs Rust
//! 1.95, newer than lockgraph's minimum (1.94). A raw lock implements one or
//! the other, and the two versions' traits are different traits, so one set
//! of types cannot serve both. This module is lock_api 0.4 (the one
//! parking_lot 0.12 and lockgraph's own locks are built on, so it costs no
//! extra dependency); the feature `lock_api_05` adds
//! `lockgraph::lock_api_05`, the same types for lock_api 0.5 raw locks. The
//! two modules are built from the same source: at the level lockgraph uses
//! (the lock_api wrappers' methods) the versions agree, and where they do
//! not, each module has its own part. lock_api 0.5 has no recursive reads
//! (`read_recursive`), so only this module has them, and `const_new`.

use lock_api_04 as api;

/// A doc example: `lines`, after hidden lines that import this module and
/// name parking_lot 0.12's raw locks `RawMutex`, `RawRwLock` and `RawThreadId`.
macro_rules! example {
    ($($line:expr),* $(,)?) => {
        concat!(
            "```\n",
            "# #![allow(unused_imports)]\n",
            "# use lockgraph::lock_api::*;\n",
            "# use lockgraph::lock_api::{RawMutex as _, RawRwLock as _, GetThreadId as _};\n",
            "# type RawMutex = parking_lot::RawMutex;\n",
            "# type RawRwLock = parking_lot::RawRwLock;\n",
            "# type RawThreadId = parking_lot::RawThreadId;\n",
            $($line, "\n",)*
            "```"
        )
    };
}

#[macro_use]
mod macros;
mod mutex;
mod raw;
mod reentrant;
#[macro_use]
mod rwlock;
mod recursive;
mod set;
mod upgradable;

pub use api::{
    GetThreadId, GuardNoSend, GuardSend, RawMutex, RawMutexFair, RawMutexTimed, RawRwLock,
    RawRwLockDowngrade, RawRwLockFair, RawRwLockRecursive, RawRwLockRecursiveTimed, RawRwLockTimed,
    RawRwLockUpgrade, RawRwLockUpgradeDowngrade, RawRwLockUpgradeFair, RawRwLockUpgradeTimed,
};
exports!();

/// A mapped read guard's `try_map_or_err`, which lock_api 0.4 calls
/// `try_map_or_else` on this one guard.
type MappedRead<'a, R, T> = api::MappedRwLockReadGuard<'a, R, T>;

#[allow(clippy::type_complexity)] // the raw guard's own signature
fn try_map_mapped_read<'a, R: RawRwLock + 'a, T: ?Sized + 'a, U: ?Sized + 'a, E>(
    guard: MappedRead<'a, R, T>,
    f: impl FnOnce(&T) -> Result<&U, E>,
) -> Result<MappedRead<'a, R, U>, (MappedRead<'a, R, T>, E)> {
    MappedRead::try_map_or_else(guard, f)
}

impl<R: RawMutex, T> Mutex<R, T> {
    /// [`from_raw`](Self::from_raw) under the name lock_api 0.4 also gives it.
    ///
    /// # Examples
    ///
    #[doc = example!(
        "static LOG: Mutex<RawMutex, Vec<u8>> = Mutex::const_new(RawMutex::INIT, Vec::new());",
        "LOG.lock().push(1);",
        "assert_eq!(LOG.lock().len(), 1);"
    )]
    #[track_caller]
    pub const fn const_new(raw: R, value: T) -> Self {
        Self::from_raw(raw, value)
    }
}

impl<R: RawRwLock, T> RwLock<R, T> {
    /// [`from_raw`](Self::from_raw) under the name lock_api 0.4 also gives it.
    ///
    /// # Examples
    ///
    #[doc = example!(
        "static TABLE: RwLock<RawRwLock, u8> = RwLock::const_new(RawRwLock::INIT, 7);",
        "assert_eq!(*TABLE.read(), 7);"
    )]
    #[track_caller]
    pub const fn const_new(raw: R, value: T) -> Self {
        Self::from_raw(raw, value)
    }
}

impl<R: RawMutex, G: GetThreadId, T> ReentrantMutex<R, G, T> {
    /// [`from_raw`](Self::from_raw) under the name lock_api 0.4 also gives it.
    ///
    /// # Examples
    ///
    #[doc = example!(
        "let m = ReentrantMutex::const_new(RawMutex::INIT, RawThreadId::INIT, 1);",
        "assert_eq!(*m.lock(), 1);"
    )]
    #[track_caller]
    pub const fn const_new(raw: R, thread_id: G, value: T) -> Self {
        Self::from_raw(raw, thread_id, value)
    }
}
