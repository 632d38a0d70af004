//! Lock-order checking for any [`lock_api`](https://docs.rs/lock_api/0.5)
//! 0.5 raw lock (feature `lock_api_05`, Rust 1.95).
//!
//! The same types as [`lockgraph::lock_api`](crate::lock_api), for raw locks
//! implementing lock_api 0.5's traits (re-exported here), with the same
//! checks; see that module for what they do and why there are two modules.
//! lock_api 0.5 has no recursive reads, so [`RwLock`] has no
//! `read_recursive` here, and no `const_new` (`from_raw` is the `const`
//! constructor from a raw lock).
//!
//! lock_api 0.5 has no trait that says a raw lock's reads are recursive
//! either (parking_lot 0.13 makes it a type of its own,
//! `RawRwLockRecursive`): over such a raw lock, a second `read` on one thread
//! is reported as over any other, as a potential deadlock
//! ([`Violation::RecursiveRead`](crate::Violation::RecursiveRead)), although
//! that raw lock does not block it. Set that kind's policy
//! ([`set_kind_policy`](crate::set_kind_policy)) if a program relies on it.
//!
//! The examples on this module's items use parking_lot 0.13's raw locks
//! (lock_api 0.5's). Any raw lock will do; a spin lock:
//!
//! ```
//! use std::sync::atomic::{AtomicBool, Ordering};
//! use lockgraph::lock_api_05::{GuardSend, Mutex, RawMutex};
//!
//! struct RawSpin(AtomicBool);
//!
//! // SAFETY: the flag is taken with Acquire and released with Release, by
//! // the one holder of the guard state.
//! unsafe impl RawMutex for RawSpin {
//!     const INIT: Self = RawSpin(AtomicBool::new(false));
//!     type Guard = GuardSend;
//!     fn lock(&self) -> GuardSend {
//!         loop {
//!             if let Some(guard) = self.try_lock() {
//!                 return guard;
//!             }
//!             std::hint::spin_loop();
//!         }
//!     }
//!     fn try_lock(&self) -> Option<GuardSend> {
//!         let free = self.0.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed);
//!         free.ok().map(|_| GuardSend::new())
//!     }
//!     unsafe fn unlock(&self, _guard: GuardSend) {
//!         self.0.store(false, Ordering::Release);
//!     }
//!     fn is_locked(&self) -> bool {
//!         self.0.load(Ordering::Relaxed)
//!     }
//! }
//!
//! let a = Mutex::<RawSpin, _>::named("a", 1);
//! let b = Mutex::<RawSpin, _>::named("b", 2);
//! drop((a.lock(), b.lock())); // a -> b
//! let _b = b.lock();
//! let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(a.lock())));
//! assert!(caught.is_err()); // b -> a: a potential deadlock, reported
//! ```

use lock_api_05 as api;

/// A doc example: `lines`, after hidden lines that import this module and
/// name parking_lot 0.13's raw locks (lock_api 0.5's) `RawMutex`,
/// `RawRwLock` and `RawThreadId`.
macro_rules! example {
    ($($line:expr),* $(,)?) => {
        concat!(
            "```\n",
            "# #![allow(unused_imports)]\n",
            "# use lockgraph::lock_api_05::*;\n",
            "# use lockgraph::lock_api_05::{RawMutex as _, RawRwLock as _, GetThreadId as _};\n",
            "# type RawMutex = parking_lot_013::RawMutex;\n",
            "# type RawRwLock = parking_lot_013::RawRwLock;\n",
            "# type RawThreadId = parking_lot_013::RawThreadId;\n",
            $($line, "\n",)*
            "```"
        )
    };
}

#[macro_use]
#[path = "macros.rs"]
mod macros;
#[path = "mutex.rs"]
mod mutex;
#[path = "raw.rs"]
mod raw;
#[path = "reentrant.rs"]
mod reentrant;
#[macro_use]
#[path = "rwlock.rs"]
mod rwlock;
#[path = "set.rs"]
mod set;
#[path = "upgradable.rs"]
mod upgradable;

pub use api::{
    GetThreadId, GuardNoSend, GuardSend, RawMutex, RawMutexFair, RawMutexTimed, RawRwLock,
    RawRwLockDowngrade, RawRwLockFair, RawRwLockTimed, RawRwLockUpgrade, RawRwLockUpgradeDowngrade,
    RawRwLockUpgradeFair, RawRwLockUpgradeTimed,
};
exports!();

type MappedRead<'a, R, T> = api::MappedRwLockReadGuard<'a, R, T>;

/// A mapped read guard's `try_map_or_err` (as `lockgraph::lock_api` names
/// its own).
#[allow(clippy::type_complexity)] // the raw guard's own signature
fn try_map_mapped_read<'a, R: RawRwLock + 'a, T: ?Sized + 'a, U: ?Sized + 'a, E>(
    guard: MappedRead<'a, R, T>,
    f: impl FnOnce(&T) -> Result<&U, E>,
) -> Result<MappedRead<'a, R, U>, (MappedRead<'a, R, T>, E)> {
    MappedRead::try_map_or_err(guard, f)
}
