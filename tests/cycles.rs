//! Cycle shapes under the default Panic policy: every cycle is reported at the
//! acquisition that closes it, before it blocks; consistent orders stay silent.

mod common;

use common::{on_thread, panic_message};
use lockgraph::Mutex;

fn locks(n: usize) -> Vec<Mutex<usize>> {
    (0..n).map(Mutex::new).collect()
}

/// Takes `order` nested (each held while taking the next), then releases all.
fn chain(locks: &[Mutex<usize>], order: &[usize]) {
    let guards: Vec<_> = order.iter().map(|&i| locks[i].lock()).collect();
    drop(guards);
}

#[test]
fn abba_over_two_threads_is_reported_on_the_second() {
    let l = locks(2);
    assert_eq!(on_thread("first", || chain(&l, &[0, 1])), None);
    let report = on_thread("second", || chain(&l, &[1, 0])).expect("cycle must be reported");
    assert!(
        report.starts_with("lockgraph: potential deadlock"),
        "{report}"
    );
    assert!(report.contains("thread \"second\""), "{report}");
    assert!(report.contains("thread \"first\""), "{report}");
}

#[test]
fn a_cycle_through_a_live_threads_private_edges_is_found() {
    // The first thread's locks are private to it (it handed out their ids) and
    // it is still running when the second thread closes the cycle: its private
    // edges must be published and seen, not missed.
    let l = locks(3);
    let (recorded_tx, recorded) = std::sync::mpsc::channel();
    let (finish_tx, finish) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|s| {
        let l = &l;
        s.spawn(move || {
            chain(l, &[0, 1]);
            chain(l, &[1, 2]);
            recorded_tx.send(()).unwrap();
            finish.recv().unwrap();
        });
        recorded.recv().unwrap();
        let report = on_thread("closer", || chain(l, &[2, 0])).expect("cycle 0 -> 1 -> 2 -> 0");
        assert!(report.starts_with(common::CYCLE), "{report}");
        finish_tx.send(()).unwrap();
    });
    // Silent again for the recorded order, on any thread.
    assert_eq!(on_thread("again", || chain(&l, &[0, 2])), None);
}

#[test]
fn abba_on_one_thread_is_reported_too() {
    let l = locks(2);
    chain(&l, &[0, 1]);
    assert!(common::reports(common::CYCLE, || chain(&l, &[1, 0])));
}

#[test]
fn three_and_four_lock_cycles() {
    for n in [3, 4] {
        let l = locks(n);
        for i in 0..n - 1 {
            chain(&l, &[i, i + 1]);
        }
        let report = panic_message(|| chain(&l, &[n - 1, 0])).expect("cycle");
        assert!(report.contains(&format!("cycle of {n} locks")), "{report}");
    }
}

#[test]
fn cycle_through_a_side_branch() {
    // Edges 0 -> 1, 1 -> 2 (a dead end), 1 -> 3, 3 -> 4, each taken alone;
    // then 4 -> 0 closes 0 -> 1 -> 3 -> 4 -> 0, past the side branch.
    let l = locks(5);
    for pair in [[0, 1], [1, 2], [1, 3], [3, 4]] {
        chain(&l, &pair);
    }
    let report = panic_message(|| chain(&l, &[4, 0])).expect("cycle");
    assert!(report.contains("cycle of 4 locks"), "{report}");
}

#[test]
fn ring_of_a_hundred_locks() {
    let l = locks(100);
    for i in 0..99 {
        chain(&l, &[i, i + 1]);
    }
    let report = panic_message(|| chain(&l, &[99, 0])).expect("cycle");
    assert!(report.contains("cycle of 100 locks"), "{report}");
}

#[test]
fn the_shortest_cycle_is_reported() {
    // 0 -> 1 -> 2 -> 3 (edges taken pairwise) and the shortcut 0 -> 3:
    // closing 3 -> 0 reports the 2-lock cycle, not the 4-lock one.
    let l = locks(4);
    for pair in [[0, 1], [1, 2], [2, 3], [0, 3]] {
        chain(&l, &pair);
    }
    let report = panic_message(|| chain(&l, &[3, 0])).expect("cycle");
    assert!(report.contains("of 2 locks"), "{report}");
}

#[test]
fn consistent_orders_over_many_threads_stay_silent() {
    let l = locks(6);
    std::thread::scope(|s| {
        for t in 0..8 {
            let l = &l;
            s.spawn(move || {
                for round in 0..200 {
                    let start = (t + round) % 3;
                    chain(l, &[start, start + 1, start + 3]);
                }
            });
        }
    });
}

#[test]
fn a_refused_edge_is_never_inserted() {
    let l = locks(2);
    chain(&l, &[0, 1]);
    assert!(common::reports(common::CYCLE, || chain(&l, &[1, 0])));
    let snapshot = lockgraph::graph::snapshot();
    assert!(snapshot.has_edge(l[0].id(), l[1].id()));
    assert!(!snapshot.has_edge(l[1].id(), l[0].id()));
    // And it is reported again, not remembered as accepted.
    assert!(common::reports(common::CYCLE, || chain(&l, &[1, 0])));
}

#[test]
fn fresh_locks_after_dropped_ones_never_inherit_edges() {
    for _ in 0..100 {
        let a = Mutex::new(());
        let b = Mutex::new(());
        drop((a.lock(), b.lock()));
        let (a_id, b_id) = (a.id(), b.id());
        drop((a, b));
        let snapshot = lockgraph::graph::snapshot();
        assert!(snapshot.lock(a_id).is_none() && snapshot.lock(b_id).is_none());
        // New locks (perhaps at the same addresses) in the opposite order: silent.
        let c = Mutex::new(());
        let d = Mutex::new(());
        drop((d.lock(), c.lock()));
    }
}

#[test]
fn out_of_order_release_keeps_the_held_set_exact() {
    let l = locks(3);
    // try_lock: no edge 0 -> 1, so the only possible edge from 0 is 0 -> 2.
    let g0 = l[0].try_lock().expect("free");
    let g1 = l[1].try_lock().expect("free");
    drop(g0); // released first, out of order
    let g2 = l[2].lock(); // only 1 -> 2, not 0 -> 2
    drop((g1, g2));
    let snapshot = lockgraph::graph::snapshot();
    assert!(snapshot.has_edge(l[1].id(), l[2].id()));
    assert!(!snapshot.has_edge(l[0].id(), l[2].id()));
    chain(&l, &[2, 0]); // would be a cycle if 0 -> 2 had been recorded
}

#[test]
fn a_deep_held_set_stays_exact_past_its_inline_entries() {
    // 100 held locks: the first 64 entries are kept in place, the rest in a
    // vector; both parts must record edges, release out of order and rechain.
    let l = locks(100);
    let mut guards: Vec<_> = l.iter().map(|m| Some(m.lock())).collect();
    let snapshot = lockgraph::graph::snapshot();
    assert!(snapshot.has_edge(l[10].id(), l[99].id()));
    assert!(snapshot.has_edge(l[80].id(), l[90].id()));
    // Release one entry in the inline part and one in the overflow, out of order.
    guards[80].take();
    guards[10].take();
    let extra = Mutex::new(0);
    drop(extra.lock()); // from every held lock but 10 and 80
    let snapshot = lockgraph::graph::snapshot();
    assert!(snapshot.has_edge(l[99].id(), extra.id()));
    assert!(snapshot.has_edge(l[11].id(), extra.id()));
    assert!(!snapshot.has_edge(l[10].id(), extra.id()));
    assert!(!snapshot.has_edge(l[80].id(), extra.id()));
    drop(guards);
    // Nothing is held any more: taking them in reverse order is a cycle only
    // through the recorded edges, reported at the second acquisition.
    let message = panic_message(|| chain(&l, &[95, 70])).expect("a cycle through 70 -> 95");
    assert!(message.starts_with(common::CYCLE), "{message}");
    chain(&l, &[0, 99]); // the recorded order stays silent
}

#[test]
fn try_lock_adds_no_edge_into_the_lock_but_edges_from_it() {
    let l = locks(3);
    let g0 = l[0].lock();
    let g1 = l[1].try_lock().expect("free");
    let g2 = l[2].lock();
    drop((g2, g1, g0));
    let snapshot = lockgraph::graph::snapshot();
    assert!(
        !snapshot.has_edge(l[0].id(), l[1].id()),
        "try_lock must add no edge into the lock"
    );
    assert!(snapshot.has_edge(l[1].id(), l[2].id()));
    // So 1 -> 0 is fine: nothing leads from 0 to 1.
    chain(&l, &[1, 0]);
}

#[test]
fn try_lock_of_a_held_lock_is_busy_and_silent() {
    let m = Mutex::new(1);
    let _held = m.lock();
    assert!(m.try_lock().is_none());
    assert!(
        m.try_lock_for(std::time::Duration::from_millis(5))
            .is_none()
    );
}

#[test]
fn relocking_a_held_mutex_is_a_self_deadlock_not_a_hang() {
    let m = Mutex::named("twice", ());
    let _held = m.lock();
    let report = panic_message(|| m.lock()).expect("self-deadlock");
    assert!(report.starts_with("lockgraph: self-deadlock"), "{report}");
    assert!(report.contains("\"twice\""), "{report}");
}

#[test]
fn a_panic_while_holding_releases_the_held_set() {
    let l = locks(2);
    let message = panic_message(|| {
        let _g = l[0].lock();
        panic!("user panic");
    });
    assert_eq!(message.as_deref(), Some("user panic"));
    // Nothing is held any more: taking 1 records no edge from 0.
    drop(l[1].lock());
    assert!(!lockgraph::graph::snapshot().has_edge(l[0].id(), l[1].id()));
    assert!(!l[0].is_locked());
}

#[test]
fn violation_while_panicking_is_printed_not_panicked() {
    struct InversionOnDrop<'a>(&'a [Mutex<usize>]);
    impl Drop for InversionOnDrop<'_> {
        fn drop(&mut self) {
            chain(self.0, &[1, 0]); // a cycle found during unwinding
        }
    }
    let l = locks(2);
    chain(&l, &[0, 1]);
    // Count the cycle between these two locks (other tests' reports are not ours).
    let ours = [l[0].id(), l[1].id()];
    let found = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = found.clone();
    let previous = lockgraph::set_handler(Some(Box::new(move |v: &lockgraph::Violation| {
        if v.kind() == lockgraph::ViolationKind::Cycle
            && v.locks().iter().all(|id| ours.contains(id))
        {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    })));
    let message = panic_message(|| {
        let _bomb = InversionOnDrop(&l);
        panic!("first panic");
    });
    lockgraph::set_handler(previous);
    // The process did not abort, the original panic came through, and the
    // cycle found while unwinding was reported.
    assert_eq!(message.as_deref(), Some("first panic"));
    assert_eq!(found.load(std::sync::atomic::Ordering::SeqCst), 1);
}
