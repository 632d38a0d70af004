//! `lock_all` of two uncontended locks against taking them one by one, in the
//! same run: the crate root against parking_lot, `stdsync` against std, and
//! the prepared [`OrderedSet`](lockgraph::OrderedSet). Each iteration takes
//! both locks, adds to both values and releases both.
//!
//! ```text
//! cargo bench --bench lock_all
//! ```
//!
//! The ratios that matter: `lock_all` / `parking_lot one by one` (crate
//! root) and `lock_all` / `std one by one` (stdsync), goal 1.3 or less.
//!
//! Every row releases the last-taken lock first (as dropping `let (a, b)`
//! bindings does when `a` has the lower id): lockgraph's held set releases
//! its most recent entry in place, and any other entry on a slower path,
//! whether the locks came from `lock_all` or one by one.

use std::hint::black_box;
use std::time::Duration;

use criterion::{
    BenchmarkGroup, Criterion, criterion_group, criterion_main, measurement::WallTime,
};
use lockgraph::{OrderedSet, lock_all};

fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50);
}

/// Two mutexes of one kind, `a` used first (so `a`'s id is the lower).
macro_rules! pair {
    ($make:expr) => {{
        let (a, b) = ($make(0u64), $make(0u64));
        (a, b)
    }};
}

fn parking_lot_flavour(c: &mut Criterion) {
    let mut group = c.benchmark_group("lock_all two/parking_lot flavour");
    configure(&mut group);
    let (pa, pb) = pair!(parking_lot::Mutex::new);
    group.bench_function("parking_lot one by one", |bench| {
        bench.iter(|| {
            let (mut a, mut b) = (black_box(&pa).lock(), black_box(&pb).lock());
            *a += 1;
            *b += 1;
        })
    });
    let (la, lb) = pair!(lockgraph::Mutex::new);
    let _ = (la.id(), lb.id());
    group.bench_function("lockgraph one by one", |bench| {
        bench.iter(|| {
            let (mut a, mut b) = (black_box(&la).lock(), black_box(&lb).lock());
            *a += 1;
            *b += 1;
        })
    });
    group.bench_function("lockgraph lock_all", |bench| {
        bench.iter(|| {
            let (mut a, mut b) = lock_all((black_box(&la), black_box(&lb)));
            *a += 1;
            *b += 1;
        })
    });
    group.bench_function("lockgraph lock_all reversed", |bench| {
        bench.iter(|| {
            // Dropped at the end of the scope, last bound first: the set's
            // entries are in argument order, so each release takes the top.
            let (mut b, mut a) = lock_all((black_box(&lb), black_box(&la)));
            *a += 1;
            *b += 1;
        })
    });
    let set = OrderedSet::new((&la, &lb));
    group.bench_function("lockgraph OrderedSet", |bench| {
        bench.iter(|| {
            let (mut a, mut b) = black_box(&set).lock();
            *a += 1;
            *b += 1;
        })
    });
    group.finish();
}

fn std_flavour(c: &mut Criterion) {
    let mut group = c.benchmark_group("lock_all two/std flavour");
    configure(&mut group);
    let (sa, sb) = pair!(std::sync::Mutex::new);
    group.bench_function("std one by one", |bench| {
        bench.iter(|| {
            let mut a = black_box(&sa).lock().unwrap();
            let mut b = black_box(&sb).lock().unwrap();
            *a += 1;
            *b += 1;
        })
    });
    let (la, lb) = pair!(lockgraph::stdsync::Mutex::new);
    let _ = (la.id(), lb.id());
    group.bench_function("stdsync one by one", |bench| {
        bench.iter(|| {
            let mut a = black_box(&la).lock().unwrap();
            let mut b = black_box(&lb).lock().unwrap();
            *a += 1;
            *b += 1;
        })
    });
    group.bench_function("stdsync lock_all", |bench| {
        bench.iter(|| {
            let (a, b) = lock_all((black_box(&la), black_box(&lb)));
            let (mut a, mut b) = (a.unwrap(), b.unwrap());
            *a += 1;
            *b += 1;
        })
    });
    group.bench_function("stdsync lock_all reversed", |bench| {
        bench.iter(|| {
            let (b, a) = lock_all((black_box(&lb), black_box(&la)));
            let (mut b, mut a) = (b.unwrap(), a.unwrap());
            *a += 1;
            *b += 1;
        })
    });
    let set = OrderedSet::new((&la, &lb));
    group.bench_function("stdsync OrderedSet", |bench| {
        bench.iter(|| {
            let (a, b) = black_box(&set).lock();
            let (mut a, mut b) = (a.unwrap(), b.unwrap());
            *a += 1;
            *b += 1;
        })
    });
    group.finish();
}

criterion_group!(benches, parking_lot_flavour, std_flavour);
criterion_main!(benches);
