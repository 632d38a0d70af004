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

// ---------------------------------------------------------------------------
// Every lock type, readers, poisoning, try variants, OrderedSet.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::Settings;
use lockgraph::stdsync;
use lockgraph::{
    ForRead, Mode, OrderedSet, set_mode, try_lock_all, try_lock_all_for, try_lock_all_until,
};

/// Poisons `lock` the std way: a panic while a guard of it is held.
fn poison<T>(lock: &stdsync::Mutex<T>) {
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _guard = lock.lock().unwrap();
        panic!("poisoning on purpose");
    }));
    assert!(caught.is_err());
    assert!(lock.is_poisoned());
}

#[test]
fn stdsync_mutexes_and_rwlocks_mix_in_one_set_with_the_crate_root() {
    let m = stdsync::Mutex::named("std mutex", 1);
    let w = stdsync::RwLock::named("std rwlock (write)", 2);
    let r = stdsync::RwLock::named("std rwlock (read)", 3);
    let root = Mutex::named("root mutex", 4);
    let root_r = RwLock::named("root rwlock (read)", 5);
    let (gr, mut groot, gm, groot_r, mut gw) =
        lock_all((r.for_read(), &root, &m, root_r.for_read(), &w));
    let (gr, gm, gw) = (gr.unwrap(), gm.unwrap(), gw.as_mut().unwrap());
    **gw += *gm + *gr + *groot_r;
    *groot += 1;
    assert_eq!((**gw, *groot), (11, 5));
    // Every member is held: writers busy, and reads by this thread too.
    assert!(m.try_lock().is_err() && w.try_read().is_err() && r.try_write().is_err());
    assert!(root.try_lock().is_none() && root_r.try_write().is_none());
    drop((gr, gm, groot, groot_r));
    assert!(m.try_lock().is_ok());
}

#[test]
fn poisoned_members_come_back_as_err_with_their_guard_and_the_rest_is_ok() {
    let a = stdsync::Mutex::named("poisoned", 10);
    let b = stdsync::Mutex::named("healthy", 20);
    let c = stdsync::RwLock::named("poisoned rwlock", 30);
    poison(&a);
    let _ = std::panic::catch_unwind(|| {
        let _w = c.write().unwrap();
        panic!("poisoning the rwlock");
    });
    let (gb, ga, gc) = lock_all((&b, &a, c.for_read()));
    assert!(gb.is_ok(), "b was never poisoned");
    let ga = ga.expect_err("a is poisoned").into_inner();
    let gc = gc.expect_err("c is poisoned").into_inner();
    assert_eq!((*ga, *gc), (10, 30), "the guards are handed out anyway");
    assert!(a.try_lock().is_err() && b.try_lock().is_err(), "all held");
    drop((ga, gb, gc));

    // try_lock_all takes a poisoned member too: Some, with Err inside.
    let (ga, gb) = try_lock_all((&a, &b)).expect("nothing is busy");
    assert!(ga.is_err() && gb.is_ok());
    drop((ga, gb));
    let (ga,) = try_lock_all_for((&a,), Duration::from_millis(5)).expect("free");
    assert!(ga.is_err());
    drop(ga);

    // A panic while holding a set's guard poisons that lock, as std's would.
    let _ = std::panic::catch_unwind(|| {
        let (_gb,) = lock_all((&b,));
        panic!("while holding b through lock_all");
    });
    assert!(b.is_poisoned());
}

#[test]
fn readers_in_overlapping_sets_in_opposite_orders_never_deadlock() {
    let x = Mutex::named("x", 0u64);
    let y = RwLock::named("y", 1u64);
    let z = stdsync::RwLock::named("z", 1u64);
    let w = stdsync::Mutex::named("w", 0u64);
    const ROUNDS: u64 = 5_000;
    std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..ROUNDS {
                let (mut x, y, z) = lock_all((&x, y.for_read(), z.for_read()));
                *x += *y + *z.unwrap();
            }
        });
        s.spawn(|| {
            for _ in 0..ROUNDS {
                let (z, mut w, y, mut x) = lock_all((z.for_read(), &w, y.for_read(), &x));
                *x += *y;
                **w.as_mut().unwrap() += *z.unwrap();
            }
        });
        s.spawn(|| {
            for _ in 0..ROUNDS {
                let (mut w, y) = lock_all((&w, ForRead::new(&y)));
                **w.as_mut().unwrap() += *y;
            }
        });
        s.spawn(|| {
            for round in 0..ROUNDS {
                // Writers of both rwlocks, named the other way round.
                let (z, mut y) = lock_all((&z, &y));
                if round == ROUNDS - 1 {
                    (*z.unwrap(), *y) = (1, 1);
                }
            }
        });
    });
    let x_total = *x.lock();
    assert_eq!(x_total, 3 * ROUNDS);
    assert_eq!(*w.lock().unwrap(), 2 * ROUNDS);
}

#[test]
fn readers_in_a_set_share_the_lock_with_other_readers() {
    let table = RwLock::named("table", 1);
    let log = stdsync::RwLock::named("log", 2);
    let (t, l) = lock_all((table.for_read(), log.for_read()));
    std::thread::scope(|s| {
        s.spawn(|| {
            let (l, t) = try_lock_all((log.for_read(), table.for_read())).expect("readers share");
            assert_eq!(*l.unwrap() + *t, 3);
            assert!(
                try_lock_all((&table,)).is_none(),
                "a writer waits for readers"
            );
            assert!(
                try_lock_all((&log,)).is_none(),
                "a writer waits for readers"
            );
        });
    });
    drop((t, l));
    // A slice of readers.
    let readers = [table.for_read(), table.for_read()];
    assert!(try_lock_all(&readers[..1]).is_some());
}

#[test]
fn try_lock_all_is_all_or_nothing() {
    let a = Mutex::named("try a", ());
    let b = stdsync::Mutex::named("try b", ());
    let c = RwLock::named("try c", ());
    let d = stdsync::RwLock::named("try d", ());
    let _ = (a.id(), b.id(), c.id(), d.id()); // ids in this order
    let (b, c, d) = (&b, &c, &d);
    let (hold_tx, hold_rx) = mpsc::channel::<usize>();
    let (held_tx, held_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    std::thread::scope(|s| {
        s.spawn(move || {
            // Holds the member it is told to, until told it is done.
            for which in hold_rx {
                match which {
                    1 => {
                        let _g = b.lock().unwrap();
                        held_tx.send(()).unwrap();
                        done_rx.recv().unwrap();
                    }
                    2 => {
                        let _g = c.read();
                        held_tx.send(()).unwrap();
                        done_rx.recv().unwrap();
                    }
                    _ => {
                        let _g = d.write().unwrap();
                        held_tx.send(()).unwrap();
                        done_rx.recv().unwrap();
                    }
                }
            }
        });
        for busy in 1..=3 {
            hold_tx.send(busy).unwrap();
            held_rx.recv().unwrap();
            // Argument order unlike id order: the members below `busy` are
            // taken first, then let go.
            let set = (d, c.for_read(), b, &a);
            match busy {
                2 => assert!(try_lock_all(set).is_some(), "a read shares with a read"),
                _ => assert!(try_lock_all(set).is_none(), "member {busy} is busy"),
            }
            assert!(try_lock_all((d, c, b, &a)).is_none());
            assert!(try_lock_all_for((d, c, b, &a), Duration::from_millis(1)).is_none());
            // Nothing stays held by this thread: every free member is free.
            assert!(a.try_lock().is_some());
            if busy != 1 {
                assert!(b.try_lock().is_ok());
            }
            if busy != 2 {
                assert!(c.try_write().is_some());
            }
            if busy != 3 {
                assert!(d.try_write().is_ok());
            }
            done_tx.send(()).unwrap();
        }
        drop(hold_tx);
    });
    let guards = try_lock_all((d, c, b, &a)).expect("all free now");
    drop(guards);
}

#[test]
fn try_lock_all_of_the_same_lock_twice_is_none_without_a_report() {
    let m = stdsync::Mutex::named("twice", ());
    assert!(try_lock_all((&m, &m)).is_none());
    assert!(try_lock_all_for((&m, &m), Duration::from_millis(1)).is_none());
    assert!(m.try_lock().is_ok(), "nothing stays held");
    let r = RwLock::named("read twice", ());
    assert!(try_lock_all((r.for_read(), r.for_read())).is_none());
    assert!(r.try_write().is_some());
    let std_r = stdsync::RwLock::named("std read twice", ());
    assert!(try_lock_all((std_r.for_read(), std_r.for_read())).is_none());
    let _reading = std_r.read().unwrap();
    assert!(
        try_lock_all((std_r.for_read(),)).is_none(),
        "held here: busy"
    );
    let re = ReentrantMutex::named("reentrant twice", ());
    assert!(try_lock_all((&re, &re)).is_some(), "a reentrant mutex may");
}

#[test]
fn try_lock_all_for_times_out_with_one_deadline_for_the_whole_set() {
    let low = stdsync::Mutex::named("timed low", ());
    let high = Mutex::named("timed high", ());
    let _ = (low.id(), high.id());
    let (held_tx, held_rx) = mpsc::channel();
    std::thread::scope(|s| {
        s.spawn(|| {
            let g_low = low.lock().unwrap();
            let g_high = high.lock();
            held_tx.send(()).unwrap();
            // `low` comes free after 300 ms, `high` only after the waiter gave up.
            std::thread::sleep(Duration::from_millis(300));
            drop(g_low);
            std::thread::sleep(Duration::from_millis(1200));
            drop(g_high);
        });
        held_rx.recv().unwrap();
        let start = Instant::now();
        let got = try_lock_all_for((&high, &low), Duration::from_millis(500));
        let waited = start.elapsed();
        assert!(got.is_none(), "`high` stays busy past the deadline");
        assert!(waited >= Duration::from_millis(500), "{waited:?}");
        // Per member it would be 300 ms + 500 ms: one deadline ends it at 500.
        assert!(waited < Duration::from_millis(750), "{waited:?}");
        assert!(low.try_lock().is_ok(), "`low` was taken, then let go");
        let deadline = Instant::now() + Duration::from_millis(20);
        assert!(try_lock_all_until((&low, &high), deadline).is_none());
    });
    assert!(try_lock_all_for((&high, &low), Duration::from_millis(10)).is_some());
}

#[test]
fn try_variants_record_no_edge_into_the_set() {
    let outer = Mutex::named("outer", ());
    let a = stdsync::Mutex::named("edge a", ());
    let b = RwLock::named("edge b", ());
    let after = Mutex::named("after", ());
    let _ = (outer.id(), a.id(), b.id(), after.id());
    let held = outer.lock();
    let guards = try_lock_all((&b, &a)).expect("free");
    drop(guards);
    let guards = try_lock_all_for((b.for_read(), &a), Duration::from_millis(5)).expect("free");
    // Held members are sources: a blocking acquisition now gets edges from them.
    drop(after.lock());
    drop(guards);
    let set = OrderedSet::new((&a, &b));
    drop(set.try_lock().expect("free"));
    drop(set.try_lock_for(Duration::from_millis(5)).expect("free"));
    drop(held);
    let graph = lockgraph::graph::snapshot();
    for (from, to) in [(a.id(), b.id()), (b.id(), a.id())] {
        assert!(!graph.has_edge(from, to), "no edge inside the set");
    }
    for member in [a.id(), b.id()] {
        assert!(
            !graph.has_edge(outer.id(), member),
            "no edge from a held lock"
        );
        assert!(
            graph.has_edge(member, after.id()),
            "edges out of held members"
        );
    }

    // lock_all, for comparison, records the set's ascending edge.
    drop(lock_all((&b, &a)));
    assert!(lockgraph::graph::snapshot().has_edge(a.id(), b.id()));
}

#[test]
fn the_same_lock_twice_is_a_self_deadlock_for_every_type() {
    let m = stdsync::Mutex::named("std dup", ());
    let report = panic_message(|| drop(lock_all((&m, &m)))).expect("self-deadlock");
    assert!(report.starts_with(common::SELF_DEADLOCK), "{report}");
    assert!(report.contains("same lock twice"), "{report}");
    assert!(m.try_lock().is_ok(), "nothing stays locked");

    let r = stdsync::RwLock::named("std rw dup", ());
    let report = panic_message(|| drop(lock_all((r.for_read(), &r)))).expect("self-deadlock");
    assert!(report.contains("same lock twice"), "{report}");
    assert!(r.try_write().is_ok());

    let root = RwLock::named("root rw dup", ());
    let other = Mutex::named("root other", ());
    let set = OrderedSet::new((root.for_read(), &other, root.for_read()));
    let report = panic_message(|| drop(set.lock())).expect("self-deadlock");
    assert!(report.contains("same lock twice"), "{report}");
    assert!(!root.is_locked() && !other.is_locked());
}

#[test]
fn holding_a_higher_lock_is_an_order_violation_for_stdsync_sets() {
    let low = stdsync::Mutex::named("std low", ());
    let high = stdsync::RwLock::named("std high", ());
    let _ = (low.id(), high.id());
    let other = stdsync::Mutex::named("std other", ());
    let _held = high.read().unwrap();
    let report = panic_message(|| drop(lock_all((&other, &low)))).expect("violation");
    assert!(
        report.starts_with("lockgraph: lock order violation"),
        "{report}"
    );
    assert!(report.contains("\"std high\""), "{report}");
    assert!(low.try_lock().is_ok() && other.try_lock().is_ok());
}

#[test]
fn mode_ascending_applies_to_stdsync_sets_and_one_by_one_alike() {
    let _settings = Settings::take();
    let low = stdsync::Mutex::named("asc low", 0);
    let mid = stdsync::RwLock::named("asc mid", 0);
    let high = Mutex::named("asc high", 0);
    let _ = (low.id(), mid.id(), high.id());
    assert_eq!(set_mode(Mode::Ascending), Mode::Graph);
    // Sets, in any argument order, follow the rule.
    for _ in 0..3 {
        drop(lock_all((&high, mid.for_read(), &low)));
        drop(OrderedSet::new((&high, &mid, &low)).lock());
    }
    // One by one in ascending order: fine.
    drop((low.lock(), mid.write(), high.lock()));
    // A set taken while holding `mid` whose lowest is below it: reported.
    let report = panic_message(|| {
        let _mid = mid.read().unwrap();
        drop(lock_all((&high, &low)));
    })
    .expect("lock_all below a held lock");
    assert!(
        report.contains("lock_all takes its locks in ascending id order"),
        "{report}"
    );
    // One by one downwards, with stdsync locks: reported as well.
    let report = panic_message(|| {
        let _high = high.lock();
        drop(low.lock());
    })
    .expect("a descending acquisition");
    assert!(report.contains("Mode::Ascending requires"), "{report}");
    assert!(low.try_lock().is_ok() && mid.try_write().is_ok() && !high.is_locked());
    set_mode(Mode::Graph);
}

#[test]
fn an_ordered_set_locks_again_and_again_like_lock_all() {
    let a = stdsync::Mutex::named("set a", 0u32);
    let b = RwLock::named("set b", 1u32);
    let c = Mutex::named("set c", 0u32);
    let set = OrderedSet::new((&c, b.for_read(), &a));
    let ids = set.ids().to_vec();
    let mut sorted = vec![a.id(), b.id(), c.id()];
    sorted.sort();
    assert_eq!(ids, sorted);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                for _ in 0..2_000 {
                    let (mut c, b, a) = set.lock();
                    *c += *b;
                    *a.unwrap() += 1;
                }
            });
        }
        s.spawn(|| {
            for _ in 0..2_000 {
                let (a, mut c) = lock_all((&a, &c));
                *a.unwrap() += 1;
                *c += 1;
            }
        });
    });
    // Guards outlive the set (they borrow the locks).
    let guards = OrderedSet::new((&a,)).lock();
    assert_eq!(*guards.0.unwrap(), 6_000);
    let c_total = *c.lock();
    assert_eq!(c_total, 6_000);
    let graph = lockgraph::graph::snapshot();
    assert!(graph.has_edge(sorted[0], sorted[1]) && graph.has_edge(sorted[1], sorted[2]));
}

#[test]
fn guards_borrow_the_locks_not_the_tuple_or_slice() {
    let a = stdsync::Mutex::new(1);
    let b = RwLock::new(2);
    let guards = {
        let set = (&a, b.for_read());
        lock_all(set)
    };
    assert_eq!(*guards.0.unwrap() + *guards.1, 3);
    let locks = [Mutex::new(1), Mutex::new(2)];
    let guards = {
        let refs: Vec<&Mutex<i32>> = locks.iter().rev().collect();
        lock_all(&refs[..])
    };
    assert_eq!(*guards[0], 2);
}

#[test]
fn sets_of_every_kind_make_no_class_edges_among_their_members() {
    // Per-object locks of two classes, ids in either order from pair to pair:
    // sets order instances, so no class cycle may come of it.
    for first in [true, false, true, false] {
        let a = stdsync::Mutex::named("set-class-a", ());
        let b = RwLock::named("set-class-b", ());
        if first {
            let _ = a.id();
        } else {
            let _ = b.id();
        }
        let report = panic_message(|| {
            drop(lock_all((&a, b.for_read())));
            drop(OrderedSet::new((b.for_read(), &a)).lock());
            drop(lock_all(&[ForRead::new(&b)][..]));
        });
        assert_eq!(report, None);
    }
}

#[test]
fn a_set_let_go_out_of_order_leaves_the_lock_still_held_recording_edges() {
    let a = Mutex::named("out-of-order a", 0u64);
    let b = Mutex::named("out-of-order b", 0u64);
    let c = Mutex::named("out-of-order c", 0u64);
    let _ = (a.id(), b.id(), c.id()); // ids in this order
    for _ in 0..3 {
        // Named against id order: a was taken first and is let go first.
        let (gb, ga) = lock_all((&b, &a));
        drop(ga);
        drop(c.lock()); // b -> c, from the entry left
        drop(gb);
    }
    let report = common::on_thread("inverts", || {
        let _c = c.lock();
        let _b = b.lock(); // closes b -> c -> b
    });
    assert!(
        report
            .as_deref()
            .is_some_and(|r| r.starts_with(common::CYCLE)),
        "{report:?}"
    );
}

#[test]
fn every_drop_order_of_a_set_of_three_leaves_every_lock_free() {
    let locks: Vec<Mutex<u32>> = (0..3).map(Mutex::new).collect();
    let orders = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    for named in orders {
        for dropped in orders {
            for _ in 0..2 {
                let (x, y, z) = lock_all((&locks[named[0]], &locks[named[1]], &locks[named[2]]));
                let mut guards = [Some(x), Some(y), Some(z)];
                dropped.iter().for_each(|&at| drop(guards[at].take()));
                for lock in &locks {
                    assert!(lock.try_lock().is_some(), "{named:?} let go {dropped:?}");
                    assert!(
                        !common::held_here(lock.id()),
                        "{named:?} let go {dropped:?}"
                    );
                }
            }
        }
    }
}
