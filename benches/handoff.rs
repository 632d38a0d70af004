//! How a contended lock changes hands: lockgraph's locks against the raw
//! locks they wrap (parking_lot, std), in the same run.
//!
//! Each round, a holder thread takes the lock, lets a waiter block on it for
//! a while (each of `HOLDS`), then releases it and at once takes its next step; the waiter takes
//! its first step as soon as it has the lock. Printed per lock type:
//!
//! - **releaser first**: the share of rounds in which the releaser's next
//!   step came before the waiter's first. A waiter that has parked (as
//!   parking_lot's and std's do) wakes slowly, so the releaser goes on first;
//!   a waiter that is still spinning takes the lock at once. Programs (and
//!   their tests) come to depend on the raw lock's order.
//! - **hand-off**: median time from the release to the waiter holding the lock.
//! - **waiter CPU**: the waiter's CPU time per round (Linux: its schedstat),
//!   the cost of spinning instead of sleeping.
//!
//! Run: `cargo bench --bench handoff` (`-- ROUNDS` to change the rounds).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

/// How long the holder keeps the lock while the waiter waits: shorter than
/// the raw locks' spinning, about as long, and long enough that they park.
const HOLDS: [Duration; 3] = [
    Duration::from_micros(5),
    Duration::from_micros(50),
    Duration::from_millis(2),
];

/// The work the releaser does between its release and its next step.
const NEXT_STEP: Duration = Duration::from_micros(1);

/// Keeps this thread busy for `hold` (a sleep is too coarse for microseconds).
fn hold_for(hold: Duration) {
    let start = Instant::now();
    while start.elapsed() < hold {
        std::hint::spin_loop();
    }
}

/// A lock under test: run `f` with it held.
trait Lock: Send + Sync + 'static {
    fn with<R>(&self, f: impl FnOnce() -> R) -> R;
}

impl Lock for parking_lot::Mutex<()> {
    fn with<R>(&self, f: impl FnOnce() -> R) -> R {
        let _guard = self.lock();
        f()
    }
}

impl Lock for lockgraph::Mutex<()> {
    fn with<R>(&self, f: impl FnOnce() -> R) -> R {
        let _guard = self.lock();
        f()
    }
}

impl Lock for std::sync::Mutex<()> {
    fn with<R>(&self, f: impl FnOnce() -> R) -> R {
        let _guard = self.lock().unwrap();
        f()
    }
}

impl Lock for lockgraph::stdsync::Mutex<()> {
    fn with<R>(&self, f: impl FnOnce() -> R) -> R {
        let _guard = self.lock().unwrap();
        f()
    }
}

/// This thread's CPU time so far (0 where schedstat cannot be read).
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let nanos = stat.split_whitespace().next().and_then(|n| n.parse().ok());
    Duration::from_nanos(nanos.unwrap_or(0))
}

struct Outcome {
    releaser_first: f64,
    handoff: Duration,
    waiter_cpu: Duration,
}

fn measure<L: Lock>(lock: L, rounds: usize, hold: Duration) -> Outcome {
    let lock = Arc::new(lock);
    let step = Arc::new(AtomicU64::new(0));
    let released_at = Arc::new(std::sync::Mutex::new(Instant::now()));
    let start = Arc::new(Barrier::new(2));
    let entering = Arc::new(AtomicBool::new(false));
    let waiter = {
        let (lock, step, released_at, start, entering) = (
            Arc::clone(&lock),
            Arc::clone(&step),
            Arc::clone(&released_at),
            Arc::clone(&start),
            Arc::clone(&entering),
        );
        thread::spawn(move || {
            let mut results = Vec::with_capacity(rounds);
            for _ in 0..rounds {
                start.wait(); // the holder has the lock
                let cpu = thread_cpu();
                entering.store(true, SeqCst);
                let (mine, at) = lock.with(|| (step.fetch_add(1, SeqCst), Instant::now()));
                let cpu = thread_cpu() - cpu;
                start.wait(); // the holder has taken its step
                let handoff = at.saturating_duration_since(*released_at.lock().unwrap());
                results.push((mine, handoff, cpu));
            }
            results
        })
    };
    let mut releaser_steps = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let released = lock.with(|| {
            start.wait();
            // The hold starts when the waiter is on its way into the lock.
            while !entering.swap(false, SeqCst) {
                std::hint::spin_loop();
            }
            hold_for(hold);
            Instant::now()
        });
        // The releaser's next step comes after a little work of its own.
        hold_for(NEXT_STEP);
        releaser_steps.push(step.fetch_add(1, SeqCst));
        *released_at.lock().unwrap() = released;
        start.wait();
    }
    let results = waiter.join().unwrap();
    let first = results
        .iter()
        .zip(&releaser_steps)
        .filter(|((waiter, _, _), releaser)| releaser < &waiter)
        .count();
    let mut handoffs: Vec<Duration> = results.iter().map(|r| r.1).collect();
    handoffs.sort();
    let cpu: Duration = results.iter().map(|r| r.2).sum();
    Outcome {
        releaser_first: first as f64 / rounds as f64,
        handoff: handoffs[rounds / 2],
        waiter_cpu: cpu / rounds as u32,
    }
}

fn main() {
    let rounds = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200);
    println!("{rounds} rounds per row\n");
    println!("| lock | held | releaser first | hand-off (median) | waiter CPU per round |");
    println!("|---|---:|---:|---:|---:|");
    let row = |name: &str, hold: Duration, o: Outcome| {
        println!(
            "| {name} | {hold:?} | {:.0}% | {:.1} us | {:.1} us |",
            o.releaser_first * 100.0,
            o.handoff.as_secs_f64() * 1e6,
            o.waiter_cpu.as_secs_f64() * 1e6
        )
    };
    for hold in HOLDS {
        row(
            "parking_lot::Mutex",
            hold,
            measure(parking_lot::Mutex::new(()), rounds, hold),
        );
        row(
            "lockgraph::Mutex",
            hold,
            measure(lockgraph::Mutex::new(()), rounds, hold),
        );
        row(
            "std::sync::Mutex",
            hold,
            measure(std::sync::Mutex::new(()), rounds, hold),
        );
        let stdsync = lockgraph::stdsync::Mutex::new(());
        row(
            "lockgraph::stdsync::Mutex",
            hold,
            measure(stdsync, rounds, hold),
        );
    }
}
