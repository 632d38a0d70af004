//! lock+unlock of `lockgraph::stdsync` against `std::sync` in the same run:
//! nothing held, nested with an order seen before, under 8 held mutexes, a new
//! mutex taken once under another (a new edge) and dropped, and with the
//! runtime off switch (`set_policy(Policy::Ignore)`). The crate-root `Mutex` against
//! parking_lot is measured alongside, for the ratio the stdsync types must
//! match; every flavour's `lock` and `read` through a caller's own `#[inline]`
//! wrapper (what a program sees); and an initialised `OnceLock` against std's.

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

/// Takes a mutex of each flavour (the lock() call site is the same each time).
///
/// Inlined, all four: they only let one macro body serve every flavour, and a
/// user calls `lock()` in place. Left to the compiler, std's and parking_lot's
/// may be inlined and lockgraph's (a bigger fast path) not, and the lockgraph
/// rows would then also time a call and a guard returned through memory.
#[inline(always)]
fn take_std(m: &std::sync::Mutex<u64>) -> std::sync::MutexGuard<'_, u64> {
    m.lock().unwrap()
}
#[inline(always)]
fn take_stdsync(m: &lockgraph::stdsync::Mutex<u64>) -> lockgraph::stdsync::MutexGuard<'_, u64> {
    m.lock().unwrap()
}
#[inline(always)]
fn take_parking_lot(m: &parking_lot::Mutex<u64>) -> parking_lot::MutexGuard<'_, u64> {
    m.lock()
}
#[inline(always)]
fn take_lockgraph(m: &lockgraph::Mutex<u64>) -> lockgraph::MutexGuard<'_, u64> {
    m.lock()
}

/// Runs `$body` (with `$new` making a mutex, `$take` locking one, `$b` the
/// bencher) for std, stdsync, parking_lot and lockgraph's root `Mutex`.
macro_rules! each_flavour {
    ($group:ident, |$new:ident, $take:ident, $b:ident| $body:block) => {
        each_flavour!(@one $group, "std::sync::Mutex", std::sync::Mutex::new, take_std, $new, $take, $b, $body);
        each_flavour!(@one $group, "stdsync::Mutex", lockgraph::stdsync::Mutex::new, take_stdsync, $new, $take, $b, $body);
        each_flavour!(@one $group, "parking_lot::Mutex", parking_lot::Mutex::new, take_parking_lot, $new, $take, $b, $body);
        each_flavour!(@one $group, "lockgraph::Mutex", lockgraph::Mutex::new, take_lockgraph, $new, $take, $b, $body);
    };
    (@one $group:ident, $name:literal, $make:path, $lock:path, $new:ident, $take:ident, $b:ident, $body:block) => {
        $group.bench_function($name, |$b| {
            let ($new, $take) = ($make, $lock);
            $body
        });
    };
}

/// `held` mutexes taken in creation order, then lock+unlock of one more (an
/// order seen before after the first iteration).
fn holding(c: &mut Criterion, group_name: &str, held: usize) {
    let mut group = c.benchmark_group(group_name);
    each_flavour!(group, |new, take, b| {
        let locks: Vec<_> = (0..=held as u64).map(new).collect();
        let (outer, last) = locks.split_at(held);
        let _held: Vec<_> = outer.iter().map(take).collect();
        b.iter(|| *take(black_box(&last[0])) += 1)
    });
    group.finish();
}

fn nested_seen_order(c: &mut Criterion) {
    holding(c, "nested, order seen", 1);
}

fn eight_held(c: &mut Criterion) {
    holding(c, "8 held + 1", 8);
}

/// Holding one mutex: create one, lock+unlock it once (a new edge), drop it.
fn new_edge(c: &mut Criterion) {
    let mut group = c.benchmark_group("create, take once under another, drop");
    each_flavour!(group, |new, take, b| {
        let outer = new(0);
        let _outer = take(&outer);
        b.iter(|| {
            let lock = new(1);
            *take(&lock) += 1;
            black_box(lock); // dropped here
        })
    });
    group.finish();
}

/// A caller's own small wrapper around `lock()` or `read()`, left to the
/// compiler as most are: what a program sees (the wrappers above are forced
/// inline). One per flavour, for a mutex and a reader-writer lock.
macro_rules! wrappers {
    ($($lock:ident, $read:ident: $($path:ident)::+ $(, $unwrap:ident)?;)*) => {$(
        #[inline]
        fn $lock<T>(m: &$($path::)+Mutex<T>) -> $($path::)+MutexGuard<'_, T> {
            m.lock()$(.$unwrap())?
        }
        #[inline]
        fn $read<T>(r: &$($path::)+RwLock<T>) -> $($path::)+RwLockReadGuard<'_, T> {
            r.read()$(.$unwrap())?
        }
    )*};
}

wrappers!(
    wrapped_std_lock, wrapped_std_read: std::sync, unwrap;
    wrapped_lock, wrapped_read: lockgraph::stdsync, unwrap;
    wrapped_pl_lock, wrapped_pl_read: parking_lot;
    wrapped_root_lock, wrapped_root_read: lockgraph;
);

/// Lock+unlock and read+unlock through the wrappers, nothing held and under
/// one held lock (an order seen before), for every flavour side by side.
fn through_wrappers(c: &mut Criterion) {
    for held in [0, 1] {
        let name = format!("lock+unlock through a caller's #[inline] wrapper, {held} held");
        let mut group = c.benchmark_group(name);
        macro_rules! row {
            ($name:literal, $new:path, $take:ident) => {
                let locks: Vec<_> = (0..=held as u64).map($new).collect();
                let (outer, last) = locks.split_at(held);
                let _held: Vec<_> = outer.iter().map(|m| $take(m)).collect();
                group.bench_function($name, |b| b.iter(|| *$take(black_box(&last[0])) += 1));
            };
        }
        row!("std::sync::Mutex", std::sync::Mutex::new, wrapped_std_lock);
        row!(
            "stdsync::Mutex",
            lockgraph::stdsync::Mutex::new,
            wrapped_lock
        );
        row!(
            "parking_lot::Mutex",
            parking_lot::Mutex::new,
            wrapped_pl_lock
        );
        row!("lockgraph::Mutex", lockgraph::Mutex::new, wrapped_root_lock);
        group.finish();
    }
    let mut group = c.benchmark_group("RwLock read+unlock through a caller's #[inline] wrapper");
    macro_rules! row {
        ($name:literal, $lock:expr, $read:ident) => {
            let lock = $lock;
            group.bench_function($name, |b| b.iter(|| *$read(black_box(&lock))));
        };
    }
    row!(
        "std::sync::RwLock",
        std::sync::RwLock::new(1u64),
        wrapped_std_read
    );
    row!(
        "stdsync::RwLock",
        lockgraph::stdsync::RwLock::new(1u64),
        wrapped_read
    );
    row!(
        "parking_lot::RwLock",
        parking_lot::RwLock::new(1u64),
        wrapped_pl_read
    );
    row!(
        "lockgraph::RwLock",
        lockgraph::RwLock::new(1u64),
        wrapped_root_read
    );
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
    eight_held,
    new_edge,
    off_switch,
    through_wrappers,
    initialised_once_lock
);
criterion_main!(benches);
