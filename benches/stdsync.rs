//! lock+unlock of `lockgraph::stdsync` against `std::sync` in the same run:
//! nothing held, nested with an order seen before, and with the runtime off
//! switch (`set_policy(Policy::Ignore)`). The crate-root `Mutex` against
//! parking_lot is measured alongside, for the ratio the stdsync types must
//! match; and an initialised `OnceLock` against std's.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use lockgraph::{Policy, set_policy};

/// Lock+unlock of a free mutex, for std, stdsync, parking_lot and lockgraph.
fn lock_unlock(c: &mut Criterion, group_name: &str) {
    let mut group = c.benchmark_group(group_name);
    let std_mutex = std::sync::Mutex::new(0u64);
    let ours = lockgraph::stdsync::Mutex::new(0u64);
    let parking = parking_lot::Mutex::new(0u64);
    let root = lockgraph::Mutex::new(0u64);
    group.bench_function("std::sync::Mutex", |b| {
        b.iter(|| *black_box(&std_mutex).lock().unwrap() += 1)
    });
    group.bench_function("stdsync::Mutex", |b| {
        b.iter(|| *black_box(&ours).lock().unwrap() += 1)
    });
    group.bench_function("parking_lot::Mutex", |b| {
        b.iter(|| *black_box(&parking).lock() += 1)
    });
    group.bench_function("lockgraph::Mutex", |b| {
        b.iter(|| *black_box(&root).lock() += 1)
    });
    group.finish();
}

fn nothing_held(c: &mut Criterion) {
    lock_unlock(c, "nothing held");
}

fn nested_seen_order(c: &mut Criterion) {
    let mut group = c.benchmark_group("nested, order seen");
    let (std_outer, std_inner) = (std::sync::Mutex::new(()), std::sync::Mutex::new(0u64));
    let (outer, inner) = (
        lockgraph::stdsync::Mutex::new(()),
        lockgraph::stdsync::Mutex::new(0u64),
    );
    let (pl_outer, pl_inner) = (parking_lot::Mutex::new(()), parking_lot::Mutex::new(0u64));
    let (root_outer, root_inner) = (lockgraph::Mutex::new(()), lockgraph::Mutex::new(0u64));
    group.bench_function("std::sync::Mutex", |b| {
        let _outer = std_outer.lock().unwrap();
        b.iter(|| *black_box(&std_inner).lock().unwrap() += 1)
    });
    group.bench_function("stdsync::Mutex", |b| {
        let _outer = outer.lock().unwrap();
        b.iter(|| *black_box(&inner).lock().unwrap() += 1)
    });
    group.bench_function("parking_lot::Mutex", |b| {
        let _outer = pl_outer.lock();
        b.iter(|| *black_box(&pl_inner).lock() += 1)
    });
    group.bench_function("lockgraph::Mutex", |b| {
        let _outer = root_outer.lock();
        b.iter(|| *black_box(&root_inner).lock() += 1)
    });
    group.finish();
}

fn off_switch(c: &mut Criterion) {
    let previous = set_policy(Policy::Ignore);
    lock_unlock(c, "off switch (Policy::Ignore)");
    set_policy(previous);
}

fn initialised_once_lock(c: &mut Criterion) {
    let mut group = c.benchmark_group("initialised OnceLock::get_or_init");
    let std_cell = std::sync::OnceLock::new();
    let ours = lockgraph::stdsync::OnceLock::new();
    std_cell.get_or_init(|| 1u64);
    ours.get_or_init(|| 1u64);
    group.bench_function("std::sync::OnceLock", |b| {
        b.iter(|| *black_box(&std_cell).get_or_init(|| 2))
    });
    group.bench_function("stdsync::OnceLock", |b| {
        b.iter(|| *black_box(&ours).get_or_init(|| 2))
    });
    group.finish();
}

criterion_group!(
    benches,
    nothing_held,
    nested_seen_order,
    off_switch,
    initialised_once_lock
);
criterion_main!(benches);
