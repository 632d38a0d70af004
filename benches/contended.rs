//! The cost of lockgraph's locks against the locks they replace, measured in
//! the same run: uncontended lock+unlock, and 2 or 4 threads contending on one
//! lock with a short or a long critical section. The crate root is compared
//! with parking_lot, `stdsync` with std.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};

/// A lock under test: one lock+unlock of the shared counter, with `work`
/// steps of work inside.
trait Bump: Send + Sync + 'static {
    fn bump(&self, work: u32);
}

/// The critical section: `work` dependent additions.
#[inline(always)]
fn critical(counter: &mut u64, work: u32) {
    for _ in 0..work {
        *counter = black_box(*counter + 1);
    }
    *counter += 1;
}

impl Bump for lockgraph::Mutex<u64> {
    fn bump(&self, work: u32) {
        critical(&mut self.lock(), work);
    }
}

impl Bump for parking_lot::Mutex<u64> {
    fn bump(&self, work: u32) {
        critical(&mut self.lock(), work);
    }
}

impl Bump for lockgraph::stdsync::Mutex<u64> {
    fn bump(&self, work: u32) {
        critical(&mut self.lock().unwrap(), work);
    }
}

impl Bump for std::sync::Mutex<u64> {
    fn bump(&self, work: u32) {
        critical(&mut self.lock().unwrap(), work);
    }
}

/// Times `iters` acquisitions on this thread while `rivals` other threads
/// hammer the same lock.
fn contended<L: Bump>(lock: &Arc<L>, iters: u64, rivals: usize, work: u32) -> Duration {
    let stop = Arc::new(AtomicBool::new(false));
    let rivals: Vec<_> = (0..rivals)
        .map(|_| {
            let (lock, stop) = (Arc::clone(lock), Arc::clone(&stop));
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    lock.bump(work);
                }
            })
        })
        .collect();
    let start = Instant::now();
    for _ in 0..iters {
        lock.bump(work);
    }
    let elapsed = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    rivals.into_iter().for_each(|rival| rival.join().unwrap());
    elapsed
}

fn uncontended(c: &mut Criterion) {
    let mut group = c.benchmark_group("uncontended");
    let ours = lockgraph::Mutex::new(0u64);
    let raw = parking_lot::Mutex::new(0u64);
    let ours_std = lockgraph::stdsync::Mutex::new(0u64);
    let std = std::sync::Mutex::new(0u64);
    group.bench_function("lockgraph", |b| b.iter(|| black_box(&ours).bump(0)));
    group.bench_function("parking_lot", |b| b.iter(|| black_box(&raw).bump(0)));
    group.bench_function("stdsync", |b| b.iter(|| black_box(&ours_std).bump(0)));
    group.bench_function("std", |b| b.iter(|| black_box(&std).bump(0)));
    group.finish();
}

/// Short: an increment. Long: about a hundred dependent additions, long
/// enough for waiters to park.
const SECTIONS: [(&str, u32); 2] = [("short", 0), ("long", 100)];

fn contended_groups(c: &mut Criterion) {
    for threads in [2, 4] {
        for (section, work) in SECTIONS {
            let mut group = c.benchmark_group(format!("contended_{threads}_threads_{section}"));
            let rivals = threads - 1;
            let ours = Arc::new(lockgraph::Mutex::new(0u64));
            let raw = Arc::new(parking_lot::Mutex::new(0u64));
            let ours_std = Arc::new(lockgraph::stdsync::Mutex::new(0u64));
            let std = Arc::new(std::sync::Mutex::new(0u64));
            group.bench_function("lockgraph", |b| {
                b.iter_custom(|n| contended(&ours, n, rivals, work))
            });
            group.bench_function("parking_lot", |b| {
                b.iter_custom(|n| contended(&raw, n, rivals, work))
            });
            group.bench_function("stdsync", |b| {
                b.iter_custom(|n| contended(&ours_std, n, rivals, work))
            });
            group.bench_function("std", |b| {
                b.iter_custom(|n| contended(&std, n, rivals, work))
            });
            group.finish();
        }
    }
}

criterion_group!(benches, uncontended, contended_groups);
criterion_main!(benches);
