//! The cost of lockgraph's locks against raw parking_lot, measured in the same
//! run: uncontended lock+unlock, and two threads contending on one lock.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};

/// A lock under test: one lock+unlock of the shared counter.
trait Bump: Send + Sync + 'static {
    fn bump(&self);
}

impl Bump for lockgraph::Mutex<u64> {
    fn bump(&self) {
        *self.lock() += 1;
    }
}

impl Bump for parking_lot::Mutex<u64> {
    fn bump(&self) {
        *self.lock() += 1;
    }
}

/// Times `iters` acquisitions on this thread while one other thread hammers
/// the same lock.
fn contended<L: Bump>(lock: &Arc<L>, iters: u64) -> Duration {
    let stop = Arc::new(AtomicBool::new(false));
    let rival = {
        let (lock, stop) = (Arc::clone(lock), Arc::clone(&stop));
        thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                lock.bump();
            }
        })
    };
    let start = Instant::now();
    for _ in 0..iters {
        lock.bump();
    }
    let elapsed = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    rival.join().unwrap();
    elapsed
}

fn uncontended(c: &mut Criterion) {
    let mut group = c.benchmark_group("uncontended");
    let ours = lockgraph::Mutex::new(0u64);
    let raw = parking_lot::Mutex::new(0u64);
    group.bench_function("lockgraph", |b| b.iter(|| black_box(&ours).bump()));
    group.bench_function("parking_lot", |b| b.iter(|| black_box(&raw).bump()));
    group.finish();
}

fn two_threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("contended_2_threads");
    let ours = Arc::new(lockgraph::Mutex::new(0u64));
    let raw = Arc::new(parking_lot::Mutex::new(0u64));
    group.bench_function("lockgraph", |b| b.iter_custom(|n| contended(&ours, n)));
    group.bench_function("parking_lot", |b| b.iter_custom(|n| contended(&raw, n)));
    group.finish();
}

criterion_group!(benches, uncontended, two_threads);
criterion_main!(benches);
