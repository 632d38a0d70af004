//! Ordered acquisition: ascending id order whatever the argument order.

mod common;

use common::panic_message;
use lockgraph::{FairMutex, Mutex, ReentrantMutex, RwLock, lock_all};

#[test]
fn opposite_argument_orders_in_two_threads_never_deadlock_or_report() {
    let x = Mutex::named("x", 0u64);
    let y = Mutex::named("y", 0u64);
    std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..20_000 {
                let (mut gx, mut gy) = lock_all((&x, &y));
                *gx += 1;
                *gy += 2;
            }
        });
        s.spawn(|| {
            for _ in 0..20_000 {
                let (mut gy, mut gx) = lock_all((&y, &x));
                *gy += 2;
                *gx += 1;
            }
        });
    });
    // One at a time: `(*x.lock(), *y.lock())` would hold x while taking y, an
    // order lock_all may have used the other way round (lockgraph reports it).
    let x_total = *x.lock();
    assert_eq!((x_total, *y.lock()), (40_000, 80_000));
}

#[test]
fn guards_come_back_in_argument_order() {
    let locks: Vec<Mutex<usize>> = (0..8).map(Mutex::new).collect();
    let (a, b, c, d, e, f, g, h) = lock_all((
        &locks[7], &locks[2], &locks[5], &locks[0], &locks[6], &locks[1], &locks[4], &locks[3],
    ));
    assert_eq!([*a, *b, *c, *d, *e, *f, *g, *h], [7, 2, 5, 0, 6, 1, 4, 3]);
}

#[test]
fn mixed_lock_types_in_one_set() {
    let m = Mutex::new(1);
    let f = FairMutex::new(2);
    let r = ReentrantMutex::new(3);
    let w = RwLock::new(4);
    let (gw, gr, gf, mut gm) = lock_all((&w, &r, &f, &m));
    *gm += *gw + *gr + *gf;
    drop((gw, gr, gf, gm));
    assert_eq!(*m.lock(), 10);
}

#[test]
fn slices_give_guards_in_slice_order() {
    let locks: Vec<Mutex<usize>> = (0..5).map(Mutex::new).collect();
    let reversed: Vec<&Mutex<usize>> = locks.iter().rev().collect();
    let guards = lock_all(&reversed[..]);
    let values: Vec<usize> = guards.iter().map(|g| **g).collect();
    assert_eq!(values, [4, 3, 2, 1, 0]);
    drop(guards);
    let guards = lock_all(&locks[..]);
    assert_eq!(guards.len(), 5);
}

#[test]
fn records_only_ascending_edges() {
    let a = Mutex::new(());
    let b = Mutex::new(());
    let (low, high) = if a.id() < b.id() { (&a, &b) } else { (&b, &a) };
    drop(lock_all((high, low)));
    let snapshot = lockgraph::graph::snapshot();
    assert!(snapshot.has_edge(low.id(), high.id()));
    assert!(!snapshot.has_edge(high.id(), low.id()));
}

#[test]
fn the_same_lock_twice_is_a_self_deadlock() {
    let m = Mutex::named("dup", ());
    let report = panic_message(|| drop(lock_all((&m, &m)))).expect("self-deadlock");
    assert!(report.contains("same lock twice"), "{report}");
    assert!(!m.is_locked(), "nothing may stay locked");
}

#[test]
fn holding_a_higher_lock_is_an_order_violation() {
    let low = Mutex::named("low", ());
    let high = Mutex::named("high", ());
    let _ = (low.id(), high.id()); // ids in this order
    let other = Mutex::named("other", ());
    let _held = high.lock();
    let report = panic_message(|| drop(lock_all((&other, &low)))).expect("violation");
    assert!(
        report.starts_with("lockgraph: lock order violation"),
        "{report}"
    );
    assert!(report.contains("\"high\""), "{report}");
}
