//! Gate locks: a cycle every edge of which was always made under one and the
//! same lock held exclusively cannot deadlock, and is not reported until an
//! edge of it is made without that lock.
//!
//! Every test takes the process-wide settings: one sets a handler and a policy.

mod common;

use common::{CYCLE, on_thread};
use lockgraph::{Mutex, RwLock, graph};

/// The report's first line, if the thread running `f` panicked with one.
fn first_line(report: Option<String>) -> Option<String> {
    report.map(|r| r.lines().next().unwrap_or_default().to_string())
}

#[test]
fn a_gated_cycle_is_silent_and_the_snapshot_shows_its_gates() {
    let _settings = common::Settings::take();
    let gate = Mutex::named("gate", ());
    let (a, b) = (Mutex::named("a", ()), Mutex::named("b", ()));
    assert_eq!(
        on_thread("ab", || drop((gate.lock(), a.lock(), b.lock()))),
        None
    );
    assert_eq!(
        on_thread("ba", || drop((gate.lock(), b.lock(), a.lock()))),
        None
    );
    let snap = graph::snapshot();
    for (from, to) in [(a.id(), b.id()), (b.id(), a.id())] {
        let edge = snap.edges.iter().find(|e| (e.from, e.to) == (from, to));
        let edge = edge.unwrap_or_else(|| panic!("{from} -> {to} is in the snapshot"));
        assert_eq!(edge.gate, [gate.id()]);
    }
    assert!(snap.to_dot().contains("gated by gate"));
}

#[test]
fn the_acquisition_that_ends_the_gating_is_reported() {
    let _settings = common::Settings::take();
    // Names of their own: one name, one class, across the tests too.
    let gate = Mutex::named("gate 2", ());
    let (a, b) = (Mutex::named("a 2", ()), Mutex::named("b 2", ()));
    assert_eq!(
        on_thread("ab", || drop((gate.lock(), a.lock(), b.lock()))),
        None
    );
    assert_eq!(
        on_thread("ba", || drop((gate.lock(), b.lock(), a.lock()))),
        None
    );
    // The gate stays a gate as long as every edge is made under it.
    assert_eq!(
        on_thread("ab again", || drop((gate.lock(), a.lock(), b.lock()))),
        None
    );
    let report = on_thread("ungated", || drop((a.lock(), b.lock())));
    let report = report.expect("a -> b without the gate ends the gating");
    assert!(report.starts_with(CYCLE), "{report}");
    assert!(
        report.contains("\"a 2\"") && report.contains("\"b 2\""),
        "{report}"
    );
    assert!(
        report.contains("\"ungated\"") && report.contains("\"ba\""),
        "{report}"
    );
    assert!(
        report.contains("made again now, in a way that can deadlock"),
        "{report}"
    );
    assert!(
        report.contains("always made while holding \"gate 2\""),
        "{report}"
    );
    // Once: the cycle is no longer kept aside.
    assert_eq!(
        on_thread("ungated again", || drop((a.lock(), b.lock()))),
        None
    );
}

#[test]
fn a_new_edge_that_closes_a_cycle_through_a_gated_edge_is_reported() {
    let _settings = common::Settings::take();
    let gate = Mutex::new(());
    let (a, b, c) = (Mutex::new(()), Mutex::new(()), Mutex::new(()));
    assert_eq!(
        on_thread("ab", || drop((gate.lock(), a.lock(), b.lock()))),
        None
    );
    // Kept out of the graph: b -> a closes a cycle, gated.
    assert_eq!(
        on_thread("ba", || drop((gate.lock(), b.lock(), a.lock()))),
        None
    );
    assert_eq!(on_thread("ac", || drop((a.lock(), c.lock()))), None);
    // b -> a (gated) -> c -> b (neither gated): a cycle no lock serialises.
    let report = first_line(on_thread("cb", || drop((c.lock(), b.lock())))).expect("reported");
    assert!(report.starts_with(CYCLE), "{report}");
}

#[test]
fn a_lock_held_for_reading_is_no_gate() {
    let _settings = common::Settings::take();
    let gate = RwLock::new(());
    let (a, b) = (Mutex::new(()), Mutex::new(()));
    assert_eq!(
        on_thread("ab", || drop((gate.read(), a.lock(), b.lock()))),
        None
    );
    let report = on_thread("ba", || drop((gate.read(), b.lock(), a.lock())));
    assert!(report.is_some_and(|r| r.starts_with(CYCLE)));
}

#[test]
fn one_thread_taking_both_orders_under_a_gate_is_silent() {
    let _settings = common::Settings::take();
    // All three locks are private to the thread: the cycle is judged after
    // its private graph is published.
    let quiet = on_thread("both", || {
        let (gate, a, b) = (Mutex::new(()), Mutex::new(()), Mutex::new(()));
        drop((gate.lock(), a.lock(), b.lock()));
        drop((gate.lock(), b.lock(), a.lock()));
        drop((gate.lock(), a.lock(), b.lock()));
    });
    assert_eq!(quiet, None);
    let loud = on_thread("both, then one without", || {
        let (gate, a, b) = (Mutex::new(()), Mutex::new(()), Mutex::new(()));
        drop((gate.lock(), a.lock(), b.lock()));
        drop((gate.lock(), b.lock(), a.lock()));
        drop((b.lock(), a.lock()));
    });
    assert!(loud.is_some_and(|r| r.starts_with(CYCLE)));
}

#[test]
fn a_shared_gate_instance_gates_a_class_cycle_and_per_object_gates_do_not() {
    let _settings = common::Settings::take();
    static GATE: Mutex<()> = Mutex::new(());
    let pair = || (Mutex::new(()), Mutex::new(()));
    let (a, b) = pair();
    assert_eq!(
        on_thread("ab", || drop((GATE.lock(), a.lock(), b.lock()))),
        None
    );
    let (a, b) = pair();
    assert_eq!(
        on_thread("ba", || drop((GATE.lock(), b.lock(), a.lock()))),
        None
    );

    // Each object's own outer lock: two threads on two objects hold two
    // different gates, which serialise nothing.
    let trio = || (Mutex::new(()), Mutex::new(()), Mutex::new(()));
    let (outer, x, y) = trio();
    assert_eq!(
        on_thread("xy", || drop((outer.lock(), x.lock(), y.lock()))),
        None
    );
    let (outer, x, y) = trio();
    let report = first_line(on_thread("yx", || drop((outer.lock(), y.lock(), x.lock()))));
    let report = report.expect("a class cycle");
    assert!(report.contains("lock class inversion"), "{report}");
}

#[test]
fn a_dropped_gate_gates_nothing_new() {
    let _settings = common::Settings::take();
    let (a, b) = (Mutex::new(()), Mutex::new(()));
    let gate = Mutex::new(());
    assert_eq!(
        on_thread("ab", || drop((gate.lock(), a.lock(), b.lock()))),
        None
    );
    drop(gate);
    let other = Mutex::new(());
    let report = on_thread("ba", || drop((other.lock(), b.lock(), a.lock())));
    assert!(report.is_some_and(|r| r.starts_with(CYCLE)));
}

#[test]
fn a_handler_sees_the_gates_of_a_cycle_that_is_no_longer_gated() {
    use std::sync::{Arc, Mutex as StdMutex};
    let _settings = common::Settings::take();
    let seen: Arc<StdMutex<Vec<lockgraph::Violation>>> = Arc::default();
    let keep = Arc::clone(&seen);
    lockgraph::set_handler(Some(Box::new(move |v| {
        keep.lock().unwrap().push(v.clone())
    })));
    lockgraph::set_kind_policy(lockgraph::ViolationKind::Cycle, lockgraph::Policy::Warn);
    let gate = Mutex::named("gate 8", ());
    let (a, b) = (Mutex::named("a 8", ()), Mutex::named("b 8", ()));
    on_thread("ab", || drop((gate.lock(), a.lock(), b.lock())));
    on_thread("ba", || drop((gate.lock(), b.lock(), a.lock())));
    on_thread("ab without", || drop((a.lock(), b.lock())));
    lockgraph::set_handler(None);
    let seen = seen.lock().unwrap();
    let cycles: Vec<_> = seen
        .iter()
        .filter_map(|v| match v {
            lockgraph::Violation::Cycle(c) => Some(c),
            _ => None,
        })
        .collect();
    let [cycle] = cycles.as_slice() else {
        panic!("one cycle: {seen:?}")
    };
    assert!(cycle.safe_until_now());
    assert_eq!(cycle.path().len(), 1);
    let gate_names: Vec<_> = cycle.path()[0].gate().iter().map(|l| l.name()).collect();
    assert_eq!(gate_names, [Some("gate 8")]);
    assert!(
        lockgraph::Violation::Cycle((*cycle).clone())
            .to_dot()
            .contains("gated by")
    );
}

#[test]
fn a_gate_stays_while_every_make_holds_it_outermost_or_not() {
    let _settings = common::Settings::take();
    let gate = Mutex::named("inner gate", ());
    let outer = Mutex::named("outer lock", ());
    let (a, b) = (Mutex::named("a 5", ()), Mutex::named("b 5", ()));
    // a -> b, gated by the gate; then again under another, outer lock too:
    // the gate is still held around it, so it stays the edge's gate.
    assert_eq!(
        on_thread("ab", || drop((gate.lock(), a.lock(), b.lock()))),
        None
    );
    assert_eq!(
        on_thread("ab inside", || {
            drop((outer.lock(), gate.lock(), a.lock(), b.lock()))
        }),
        None
    );
    let snap = graph::snapshot();
    let edge = snap
        .edges
        .iter()
        .find(|e| (e.from, e.to) == (a.id(), b.id()));
    assert_eq!(edge.expect("a -> b is in the graph").gate, [gate.id()]);
    assert_eq!(
        on_thread("ba", || drop((gate.lock(), b.lock(), a.lock()))),
        None
    );
    // Made without it, the cycle is reported.
    let report = on_thread("ungated", || drop((outer.lock(), b.lock(), a.lock())));
    assert!(report.expect("b -> a without the gate").starts_with(CYCLE));
}

#[test]
fn a_dropped_gate_leaves_the_private_edges_it_gated() {
    let _settings = common::Settings::take();
    // One thread, its locks its own: the edges stay in its private graph
    // until the snapshot.
    let report = on_thread("private", || {
        let gate = Mutex::new(());
        let (a, b) = (Mutex::new(()), Mutex::new(()));
        drop((gate.lock(), a.lock(), b.lock()));
        drop((gate.lock(), a.lock(), b.lock()));
        drop(gate);
        let snap = graph::snapshot();
        let edge = snap
            .edges
            .iter()
            .find(|e| (e.from, e.to) == (a.id(), b.id()));
        assert_eq!(edge.expect("a -> b is in the graph").gate, []);
    });
    assert_eq!(report, None);
}

#[test]
fn a_class_cycle_gated_by_a_dropped_gate_is_reported_when_made_again() {
    let _settings = common::Settings::take();
    let report = on_thread("private classes", || {
        // Two creation sites, two classes; fresh instances of each.
        let pair = || (Mutex::new(()), (Mutex::new(())));
        let gate = Mutex::new(());
        let (a, b) = pair();
        drop((gate.lock(), a.lock(), b.lock()));
        let (a2, b2) = pair();
        drop((gate.lock(), b2.lock(), a2.lock()));
        // Gone: a -> b's instance edge is ungated, its class edge still
        // gated until made again, which ends the class cycle's gating.
        drop(gate);
        drop((a.lock(), b.lock()));
    });
    let report = report.expect("the class cycle, once no gate is held");
    assert!(report.contains("lock class inversion"), "{report}");
}

/// A gate whose guard its owner leaked, dropped by another thread: the
/// owner still holds it (its entry stays), and an order made under it
/// again is still gated (found by review: the drop used to strip it).
#[test]
fn a_leaked_gate_dropped_by_another_thread_still_gates() {
    let _settings = common::Settings::take();
    let report = on_thread("leaker", || {
        let gate = Mutex::new(());
        let (a, b) = (Mutex::new(()), Mutex::new(()));
        std::mem::forget(gate.lock());
        drop((a.lock(), b.lock())); // a -> b, gated by the leaked gate
        std::thread::spawn(move || drop(gate)).join().unwrap();
        drop((b.lock(), a.lock())); // still under the leaked gate
    });
    assert_eq!(report, None, "both edges made under the same gate");
}

/// Issue 21: a common gate taken inside another exclusive lock the first
/// time an edge is made is still that edge's gate (the gate is the exact
/// intersection of the exclusive locks around every make, up to eight).
#[test]
fn a_gate_inside_another_exclusive_lock_is_still_a_gate() {
    let _settings = common::Settings::take();
    let outer = Mutex::named("unrelated outer", ());
    let gate = Mutex::named("common gate", ());
    let (a, b) = (Mutex::named("a 21", ()), Mutex::named("b 21", ()));
    let xgab = || drop((outer.lock(), gate.lock(), a.lock(), b.lock()));
    assert_eq!(on_thread("x g a b", xgab), None);
    assert_eq!(
        on_thread("g b a", || drop((gate.lock(), b.lock(), a.lock()))),
        None
    );
    let gate_of = |from: &Mutex<()>, to: &Mutex<()>| {
        let snap = graph::snapshot();
        let edge = snap
            .edges
            .iter()
            .find(|e| (e.from, e.to) == (from.id(), to.id()));
        edge.expect("the edge is in the graph").gate.clone()
    };
    assert_eq!(gate_of(&a, &b), [outer.id(), gate.id()]);
    assert_eq!(gate_of(&b, &a), [gate.id()]);
    // Made again without the outer lock: the common gate is left, silent.
    assert_eq!(
        on_thread("g a b", || drop((gate.lock(), a.lock(), b.lock()))),
        None
    );
    assert_eq!(gate_of(&a, &b), [gate.id()]);
    // Made without the common gate: nothing serialises the cycle.
    let report = on_thread("x a b", || drop((outer.lock(), a.lock(), b.lock())));
    assert!(report.expect("a -> b without the gate").starts_with(CYCLE));
}

/// Whether `g b a` is reported after `g a b` was made inside `outer_locks`
/// other locks; `names`: the gate's, `a`'s and `b`'s (their own classes).
fn reported_inside(outer_locks: usize, names: [&'static str; 3]) -> bool {
    let outer: Vec<Mutex<()>> = (0..outer_locks).map(|_| Mutex::new(())).collect();
    let [gate, a, b] = names.map(|name| Mutex::named(name, ()));
    let deep = || {
        let _outer: Vec<_> = outer.iter().map(Mutex::lock).collect();
        drop((gate.lock(), a.lock(), b.lock()));
    };
    assert_eq!(on_thread("deep", deep), None);
    let report = on_thread("g b a", || drop((gate.lock(), b.lock(), a.lock())));
    report.is_some_and(|r| r.starts_with(CYCLE))
}

/// A gate keeps the eight outermost exclusive locks of an edge's first make:
/// a common gate inside seven others is kept, inside eight it is not (and the
/// cycle is reported: a cut can only make a cycle look ungated).
#[test]
fn a_gate_keeps_the_eight_outermost_locks() {
    let _settings = common::Settings::take();
    assert!(!reported_inside(7, ["gate in 7", "a in 7", "b in 7"]));
    assert!(reported_inside(8, ["gate in 8", "a in 8", "b in 8"]));
}
