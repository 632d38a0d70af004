//! lockgraph against raw parking_lot, case by case, in the same run.
//!
//! Every group has `parking_lot` (0.12), `parking_lot 0.13` and `lockgraph`
//! functions running the same code on the three lock types, so the ratio of
//! lockgraph's time to parking_lot's is the cost of detection. lockgraph
//! wraps 0.12's raw locks, or 0.13's with `--features parking_lot_013`: run
//! both ways to compare it with the parking_lot it wraps. The rows are those of `docs/performance.md` (and
//! `../shared/lockbench`):
//!
//! | group | what one iteration is |
//! |---|---|
//! | S1 | lock + unlock, nothing held |
//! | S1 through a caller's wrapper | the same through a caller's own `#[inline]` wrapper around `lock()` |
//! | S2 | lock + unlock B while holding A (the order A -> B is known) |
//! | S3 | lock + unlock a 9th lock while holding 8 |
//! | S3 deep | lock + unlock a 33rd lock while holding 32 |
//! | S4 | 4 threads, each S1 on a private lock (wall time / total ops; compare with S1) |
//! | S5 | 4 threads, each S2 on a private pair (wall time / total ops; compare with S2) |
//! | S6 | create a mutex, take it once while holding P (a new edge), drop it |
//! | S6 shared | the same, with P a lock another thread used first (public) |
//! | S7 | `RwLock::read` + unlock |
//! | S7 through a caller's wrapper | the same through a caller's own `#[inline]` wrapper around `read()` |
//! | S8 | 2 threads contending on one mutex (wall time / total ops) |
//! | S9 | one mutex of Abseil's sliding window: create, take it under the previous 4, drop the oldest |
//! | S10 | one new consistent edge into a graph of 100,000 locks and ~300,000 edges |
//!
//! Run with `cargo bench --bench lockgraph`; add `-- S2` to run one group.

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{
    BenchmarkGroup, Criterion, criterion_group, criterion_main, measurement::WallTime,
};

const THREADS: usize = 4;
const S9_HELD: usize = 4;
const S10_LOCKS: usize = 100_000;
const S10_EDGES_PER_LOCK: usize = 3;
const S10_BUILD_GAP: usize = 16;

/// Start and end of one worker's timed loop.
type Span = (Instant, Instant);

/// Runs `body` on `n` threads released together; the time from the earliest
/// start to the latest end (spawn and join are not timed).
fn threaded(n: usize, body: impl Fn(&Barrier) -> Span + Send + Sync + 'static) -> Duration {
    let (barrier, body) = (Arc::new(Barrier::new(n)), Arc::new(body));
    let workers: Vec<_> = (0..n)
        .map(|_| {
            let (barrier, body) = (barrier.clone(), body.clone());
            thread::spawn(move || body(&barrier))
        })
        .collect();
    let spans: Vec<Span> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    let start = spans.iter().map(|s| s.0).min().unwrap();
    let end = spans.iter().map(|s| s.1).max().unwrap();
    end - start
}

/// A deterministic source of fresh S10 edges `i -> i + gap`, with gaps above
/// the build's, so none is in the graph yet; every one agrees with index order.
struct FreshEdges {
    next: usize,
}

impl Iterator for FreshEdges {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        loop {
            let k = self.next;
            self.next += 1;
            let gap = S10_BUILD_GAP + 1 + (k / S10_LOCKS) % 48;
            let from = (k % S10_LOCKS).wrapping_mul(7919) % S10_LOCKS;
            if from + gap < S10_LOCKS {
                return Some((from, from + gap));
            }
        }
    }
}

/// The S10 build: from each lock, edges to 3 of the next 16 (deterministic).
fn s10_build_targets(from: usize) -> impl Iterator<Item = usize> {
    (0..S10_EDGES_PER_LOCK)
        .map(move |k| from + 1 + (from * 5 + k * 6) % S10_BUILD_GAP)
        .filter(|&to| to < S10_LOCKS)
}

/// The scenarios, written once over a `Mutex` and `RwLock` with parking_lot's API.
macro_rules! scenarios {
    ($name:ident, $Mutex:ty, $RwLock:ty) => {
        mod $name {
            use super::*;

            type Mutex = $Mutex;
            type RwLock = $RwLock;

            /// Inlined for both flavours, as `lock()` in place in a user's
            /// code is: left to the compiler, this helper may be inlined for
            /// parking_lot and not for lockgraph (a bigger fast path), which
            /// would time a call more per operation for lockgraph alone.
            #[inline(always)]
            fn bump(m: &Mutex) {
                *m.lock() += 1;
            }

            pub fn s1(iters: u64) -> Duration {
                let m = Mutex::new(0);
                let start = Instant::now();
                (0..iters).for_each(|_| bump(black_box(&m)));
                start.elapsed()
            }

            /// A caller's own small wrapper around `lock()`, left to the
            /// compiler as most are (and as `../shared/lockbench`'s is).
            #[inline]
            fn lock_through_wrapper(m: &Mutex) -> impl std::ops::DerefMut<Target = u64> + '_ {
                m.lock()
            }

            pub fn s1_wrapped(iters: u64) -> Duration {
                let m = Mutex::new(0);
                let start = Instant::now();
                (0..iters).for_each(|_| *lock_through_wrapper(black_box(&m)) += 1);
                start.elapsed()
            }

            pub fn nested(held: usize, iters: u64) -> Duration {
                let locks: Vec<Mutex> = (0..=held as u64).map(Mutex::new).collect();
                let (outer, last) = locks.split_at(held);
                let guards: Vec<_> = outer.iter().map(|m| m.lock()).collect();
                bump(&last[0]); // the edges exist before the timed loop
                let start = Instant::now();
                (0..iters).for_each(|_| bump(black_box(&last[0])));
                let elapsed = start.elapsed();
                guards.into_iter().rev().for_each(drop);
                elapsed
            }

            pub fn s4(iters: u64) -> Duration {
                let wall = threaded(THREADS, move |barrier| {
                    let m = Mutex::new(0);
                    bump(&m);
                    barrier.wait();
                    let start = Instant::now();
                    (0..iters).for_each(|_| bump(black_box(&m)));
                    (start, Instant::now())
                });
                wall / THREADS as u32
            }

            pub fn s5(iters: u64) -> Duration {
                let wall = threaded(THREADS, move |barrier| {
                    let (a, b) = (Mutex::new(0), Mutex::new(0));
                    let held = a.lock();
                    bump(&b);
                    barrier.wait();
                    let start = Instant::now();
                    (0..iters).for_each(|_| bump(black_box(&b)));
                    let end = Instant::now();
                    drop(held);
                    (start, end)
                });
                wall / THREADS as u32
            }

            /// With `outer` held: create a mutex, take it once (a new edge), drop it.
            fn churn_under(outer: &Mutex, iters: u64) -> Duration {
                let _held = outer.lock();
                let start = Instant::now();
                for i in 0..iters {
                    let m = Mutex::new(i);
                    bump(&m);
                    black_box(m); // dropped here
                }
                start.elapsed()
            }

            /// S6 in a thread of its own, so that the outer lock is private to
            /// it whatever earlier groups left in the bench thread's state (a
            /// published private graph makes the rest of its id block public).
            pub fn s6(iters: u64) -> Duration {
                thread::spawn(move || churn_under(&Mutex::new(0), iters))
                    .join()
                    .unwrap()
            }

            /// S6 under a lock another thread used first (and has ended): a
            /// public lock, whose edges into the new locks stay private all
            /// the same (the new locks are never shared).
            pub fn s6_shared(iters: u64) -> Duration {
                let outer = thread::spawn(|| {
                    let m = Mutex::new(0);
                    bump(&m);
                    m
                });
                churn_under(&outer.join().unwrap(), iters)
            }

            /// A caller's own small wrapper around `read()`.
            #[inline]
            fn read_through_wrapper(r: &RwLock) -> impl std::ops::Deref<Target = u64> + '_ {
                r.read()
            }

            pub fn s7_wrapped(iters: u64) -> Duration {
                let r = RwLock::new(1u64);
                let mut sum = 0u64;
                let start = Instant::now();
                (0..iters).for_each(|_| sum += *read_through_wrapper(black_box(&r)));
                black_box(sum);
                start.elapsed()
            }

            pub fn s7(iters: u64) -> Duration {
                let r = RwLock::new(1u64);
                let mut sum = 0u64;
                let start = Instant::now();
                (0..iters).for_each(|_| sum += *black_box(&r).read());
                black_box(sum);
                start.elapsed()
            }

            pub fn s8(iters: u64) -> Duration {
                let shared = Arc::new(Mutex::new(0));
                let m = shared.clone();
                let wall = threaded(2, move |barrier| {
                    barrier.wait();
                    let start = Instant::now();
                    (0..iters).for_each(|_| bump(&m));
                    (start, Instant::now())
                });
                assert_eq!(*shared.lock(), 2 * iters);
                wall / 2
            }

            /// S9 in a thread of its own, for the reason given at [`s6`].
            pub fn s9(iters: u64) -> Duration {
                thread::spawn(move || sliding_window(iters)).join().unwrap()
            }

            /// `iters` steps of the window: each creates a mutex, takes it while
            /// holding the previous 4 (ascending), then drops the oldest.
            fn sliding_window(iters: u64) -> Duration {
                let mut window: std::collections::VecDeque<Mutex> = Default::default();
                let start = Instant::now();
                for i in 0..iters {
                    let m = Mutex::new(i);
                    {
                        let guards: Vec<_> = window.iter().map(|w| w.lock()).collect();
                        bump(&m);
                        guards.into_iter().rev().for_each(drop);
                    }
                    window.push_back(m);
                    if window.len() > S9_HELD {
                        window.pop_front();
                    }
                }
                let elapsed = start.elapsed();
                drop(black_box(window));
                elapsed
            }

            /// The big graph of S10, kept for every S10 sample.
            pub struct BigGraph {
                locks: Vec<Mutex>,
                fresh: FreshEdges,
            }

            pub fn s10_graph() -> BigGraph {
                let locks: Vec<Mutex> = (0..S10_LOCKS as u64).map(Mutex::new).collect();
                for (from, lock) in locks.iter().enumerate() {
                    let _held = lock.lock();
                    s10_build_targets(from).for_each(|to| bump(&locks[to]));
                }
                BigGraph {
                    locks,
                    fresh: FreshEdges { next: 0 },
                }
            }

            pub fn s10(graph: &mut BigGraph, iters: u64) -> Duration {
                let edges: Vec<_> = graph.fresh.by_ref().take(iters as usize).collect();
                let start = Instant::now();
                for (from, to) in edges {
                    let _held = graph.locks[from].lock();
                    bump(&graph.locks[to]);
                }
                start.elapsed()
            }
        }
    };
}

scenarios!(raw, parking_lot::Mutex<u64>, parking_lot::RwLock<u64>);
scenarios!(
    raw013,
    parking_lot_013::Mutex<u64>,
    parking_lot_013::RwLock<u64>
);
scenarios!(ours, lockgraph::Mutex<u64>, lockgraph::RwLock<u64>);

/// A case's timed loop: `iters` iterations, the time they took.
type Case = fn(u64) -> Duration;

/// One group comparing the implementations of a case: parking_lot 0.12 and
/// 0.13, and lockgraph (on 0.12's raw locks, or 0.13's with the feature
/// `parking_lot_013`).
fn pair(c: &mut Criterion, name: &str, (raw, raw013): (Case, Case), ours: Case) {
    let mut group = c.benchmark_group(name);
    configure(&mut group);
    group.bench_function("parking_lot", |b| b.iter_custom(raw));
    group.bench_function("parking_lot 0.13", |b| b.iter_custom(raw013));
    group.bench_function("lockgraph", |b| b.iter_custom(ours));
    group.finish();
}

/// Short runs: CI only builds the benches, and the machine is shared.
fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group.sample_size(20);
    group.warm_up_time(Duration::from_millis(300));
    group.measurement_time(Duration::from_secs(1));
}

fn steady_state(c: &mut Criterion) {
    pair(
        c,
        "S1 lock+unlock, nothing held",
        (raw::s1, raw013::s1),
        ours::s1,
    );
    pair(
        c,
        "S1 through a caller's #[inline] wrapper",
        (raw::s1_wrapped, raw013::s1_wrapped),
        ours::s1_wrapped,
    );
    pair(
        c,
        "S2 nested, order known",
        (|n| raw::nested(1, n), |n| raw013::nested(1, n)),
        |n| ours::nested(1, n),
    );
    pair(
        c,
        "S3 8 held + 1",
        (|n| raw::nested(8, n), |n| raw013::nested(8, n)),
        |n| ours::nested(8, n),
    );
    pair(
        c,
        "S3 deep 32 held + 1",
        (|n| raw::nested(32, n), |n| raw013::nested(32, n)),
        |n| ours::nested(32, n),
    );
    pair(c, "S7 RwLock read", (raw::s7, raw013::s7), ours::s7);
    pair(
        c,
        "S7 read through a caller's #[inline] wrapper",
        (raw::s7_wrapped, raw013::s7_wrapped),
        ours::s7_wrapped,
    );
}

fn threads(c: &mut Criterion) {
    pair(
        c,
        "S4 4 threads private locks",
        (raw::s4, raw013::s4),
        ours::s4,
    );
    pair(
        c,
        "S5 4 threads private nested",
        (raw::s5, raw013::s5),
        ours::s5,
    );
    pair(c, "S8 2 threads one mutex", (raw::s8, raw013::s8), ours::s8);
}

fn churn(c: &mut Criterion) {
    pair(
        c,
        "S6 create, new edge, drop",
        (raw::s6, raw013::s6),
        ours::s6,
    );
    pair(
        c,
        "S6 shared: the same under another thread's lock",
        (raw::s6_shared, raw013::s6_shared),
        ours::s6_shared,
    );
    pair(
        c,
        "S9 sliding window per mutex",
        (raw::s9, raw013::s9),
        ours::s9,
    );
}

fn big_graph(c: &mut Criterion) {
    let mut group = c.benchmark_group("S10 new edge in 100k-lock graph");
    configure(&mut group);
    let mut raw_graph = raw::s10_graph();
    group.bench_function("parking_lot", |b| {
        b.iter_custom(|n| raw::s10(&mut raw_graph, n))
    });
    let mut raw013_graph = raw013::s10_graph();
    group.bench_function("parking_lot 0.13", |b| {
        b.iter_custom(|n| raw013::s10(&mut raw013_graph, n))
    });
    let mut our_graph = ours::s10_graph();
    group.bench_function("lockgraph", |b| {
        b.iter_custom(|n| ours::s10(&mut our_graph, n))
    });
    group.finish();
}

criterion_group!(benches, steady_state, threads, churn, big_graph);
criterion_main!(benches);
