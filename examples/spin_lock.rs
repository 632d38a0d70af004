//! A crate's own spin lock, built on `lock_api` as crates such as `spin` are,
//! checked by lockgraph: the raw lock stays as it is, and the one type alias
//! that names `lock_api::Mutex` names `lockgraph::lock_api::Mutex` instead.
//!
//! Run with `cargo run --example spin_lock [-- --threads N --increments N]`.
//! Threads count under spin locks (ordered by `lock_all`, so they never
//! deadlock and nothing is reported), then one thread takes two of them in
//! the opposite order: the inversion is reported (the Warn policy prints it
//! and lets the program go on), although nothing deadlocked.

use std::sync::atomic::{AtomicBool, Ordering};

use lockgraph::lock_api::{GuardSend, RawMutex};
use lockgraph::{Policy, Violation, lock_all};

/// The raw lock: one flag, set while the lock is held.
pub struct RawSpin {
    locked: AtomicBool,
}

// SAFETY: the flag is set with Acquire by the one thread that finds it
// clear, and cleared with Release by the thread that set it: one holder at a
// time, and what it wrote is seen by the next.
unsafe impl RawMutex for RawSpin {
    #[allow(clippy::declare_interior_mutable_const)] // lock_api's way to make `new` const
    const INIT: RawSpin = RawSpin {
        locked: AtomicBool::new(false),
    };

    type GuardMarker = GuardSend;

    fn lock(&self) {
        while !self.try_lock() {
            // Wait until it looks free before trying again (no write while held).
            while self.locked.load(Ordering::Relaxed) {
                std::hint::spin_loop();
            }
        }
    }

    fn try_lock(&self) -> bool {
        self.locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    unsafe fn unlock(&self) {
        self.locked.store(false, Ordering::Release);
    }
}

/// The crate's public lock type. Before: `lock_api::Mutex<RawSpin, T>`.
pub type SpinMutex<T> = lockgraph::lock_api::Mutex<RawSpin, T>;

fn main() {
    let (threads, increments) = arguments();
    let reports = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = std::sync::Arc::clone(&reports);
    lockgraph::set_policy(Policy::Warn);
    // Count the reports; the Warn policy prints each after the handler.
    lockgraph::set_handler(Some(Box::new(move |_: &Violation| {
        counted.fetch_add(1, Ordering::Relaxed);
    })));

    let hits = SpinMutex::named("hits", 0u64);
    let misses = SpinMutex::named("misses", 0u64);
    // Ids follow first use: fixed here, so that `lock_all` takes `hits`
    // first whichever thread starts first, and the inversion below is the
    // one order against it.
    let _ = (hits.id(), misses.id());
    std::thread::scope(|s| {
        for t in 0..threads {
            let (hits, misses) = (&hits, &misses);
            s.spawn(move || {
                for i in 0..increments {
                    // Half the threads name them the other way round: lock_all
                    // takes them in one order all the same.
                    let (mut h, mut m) = if t % 2 == 0 {
                        lock_all((hits, misses))
                    } else {
                        let (m, h) = lock_all((misses, hits));
                        (h, m)
                    };
                    *h += u64::from(i % 3 != 0);
                    *m += u64::from(i % 3 == 0);
                }
            });
        }
    });
    // One at a time: nested here, they would make an order of their own.
    let counted_hits = *hits.lock();
    let total = counted_hits + *misses.lock();
    assert_eq!(total, threads * increments);
    assert_eq!(
        reports.load(Ordering::Relaxed),
        0,
        "ordered: nothing to report"
    );
    println!("{threads} threads counted {total} events under spin locks, in one order");

    // Now one thread nests them by hand, first one way, then the other.
    drop((hits.lock(), misses.lock())); // hits -> misses
    let misses_held = misses.lock();
    let hits_held = hits.lock(); // misses -> hits: a cycle, reported (Warn: goes on)
    drop((hits_held, misses_held));
    assert_eq!(
        reports.load(Ordering::Relaxed),
        1,
        "the inversion is reported once"
    );
    println!("the inversion between the two spin locks was reported; nothing deadlocked");
}

/// `--threads N` (default 4) and `--increments N` (default 20,000).
fn arguments() -> (u64, u64) {
    let (mut threads, mut increments) = (4, 20_000);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().and_then(|v| v.parse().ok());
        match (flag.as_str(), value) {
            ("--threads", Some(n)) => threads = n,
            ("--increments", Some(n)) => increments = n,
            _ => panic!("usage: spin_lock [--threads N] [--increments N]"),
        }
    }
    (threads, increments)
}
