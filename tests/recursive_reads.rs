//! Recursive reads and lockdep's strong-path rule: a cycle in which a lock
//! is wanted as a recursive read (`read_recursive`, which never waits for a
//! reader, not even behind a queued writer) while the next thread holds it
//! shared cannot deadlock there, and is not reported. Plain reads queue
//! behind a waiting writer, so read-read cycles still are.
//!
//! The shapes are the kernel's recursive-read selftests
//! (`lib/locking-selftest.c`), an edge `X -(ER)-> Y` meaning `Y` taken as a
//! recursive read while `X` is held exclusively, `S` for held shared, `N`
//! for taken as a lock or a plain read.

mod common;

use common::{CYCLE, on_thread};
use lockgraph::RwLock;

/// Whether running `steps` (each a thread of its own, one after the other)
/// ends in a report, and its text.
fn report(steps: Vec<Box<dyn FnOnce() + Send + '_>>) -> Option<String> {
    let mut found = None;
    for (k, step) in steps.into_iter().enumerate() {
        if let Some(report) = on_thread(&format!("t{k}"), step) {
            assert!(report.starts_with(CYCLE), "{report}");
            found.get_or_insert(report);
        }
    }
    found
}

/// Three locks made where the macro is used: classes of their own, so that
/// the tests' orders do not meet as class cycles.
macro_rules! three {
    () => {
        (RwLock::new(()), RwLock::new(()), RwLock::new(()))
    };
}

#[test]
fn er_er_er_deadlocks() {
    let (x, y, z) = three!();
    let found = report(vec![
        Box::new(|| drop((x.write(), y.read_recursive()))),
        Box::new(|| drop((y.write(), z.read_recursive()))),
        Box::new(|| drop((z.write(), x.read_recursive()))),
    ]);
    let found = found.expect("X -(ER)-> Y -(ER)-> Z -(ER)-> X deadlocks");
    assert!(found.contains("made as ER"), "{found}");
    assert!(found.contains(", as ER"), "{found}");
}

#[test]
fn en_sr_er_deadlocks() {
    let (x, y, z) = three!();
    let found = report(vec![
        Box::new(|| drop((x.write(), y.write()))),
        Box::new(|| drop((y.read(), z.read_recursive()))),
        Box::new(|| drop((z.write(), x.read_recursive()))),
    ]);
    assert!(found.is_some(), "X -(EN)-> Y -(SR)-> Z -(ER)-> X deadlocks");
}

#[test]
fn en_sr_sn_does_not_deadlock() {
    let (x, y, z) = three!();
    let found = report(vec![
        Box::new(|| drop((x.write(), y.write()))),
        Box::new(|| drop((y.read(), z.read_recursive()))),
        Box::new(|| drop((z.read(), x.write()))),
    ]);
    assert_eq!(found, None, "X -(EN)-> Y -(SR)-> Z -(SN)-> X");
}

#[test]
fn er_sr_en_does_not_deadlock() {
    let (x, y, z) = three!();
    let found = report(vec![
        Box::new(|| drop((x.write(), y.read_recursive()))),
        Box::new(|| drop((y.read(), z.read_recursive()))),
        Box::new(|| drop((z.write(), x.write()))),
    ]);
    assert_eq!(found, None, "X -(ER)-> Y -(SR)-> Z -(EN)-> X");
}

#[test]
fn two_locks_by_recursive_reads_in_both_orders_do_not_deadlock() {
    let (a, b, _) = three!();
    let found = report(vec![
        Box::new(|| drop((a.read_recursive(), b.read_recursive()))),
        Box::new(|| drop((b.read_recursive(), a.read_recursive()))),
    ]);
    assert_eq!(found, None, "A -(SR)-> B -(SR)-> A");
    // A write and a recursive read: A -(ER)-> B -(SN)-> A.
    let (a, b, _) = three!();
    let found = report(vec![
        Box::new(|| drop((a.write(), b.read_recursive()))),
        Box::new(|| drop((b.read(), a.write()))),
    ]);
    assert_eq!(found, None, "A -(ER)-> B -(SN)-> A");
}

#[test]
fn plain_reads_in_both_orders_deadlock_behind_a_queued_writer() {
    let (a, b, _) = three!();
    let found = report(vec![
        Box::new(|| drop((a.read(), b.read()))),
        Box::new(|| drop((b.read(), a.read()))),
    ]);
    let found = found.expect("A -(SN)-> B -(SN)-> A deadlocks with a writer queued");
    assert!(found.contains("made as SN"), "{found}");
}

#[test]
fn writes_around_recursive_reads_deadlock() {
    let (a, b, _) = three!();
    let found = report(vec![
        Box::new(|| drop((a.write(), b.read_recursive()))),
        Box::new(|| drop((b.write(), a.read_recursive()))),
    ]);
    assert!(found.is_some(), "A -(ER)-> B -(ER)-> A deadlocks");
}

#[test]
fn an_edge_made_a_new_way_can_make_a_kept_cycle_deadlock() {
    let (a, b, _) = three!();
    // A -(SR)-> B and B -(SR)-> A: kept aside, no deadlock.
    let quiet = report(vec![
        Box::new(|| drop((a.read_recursive(), b.read_recursive()))),
        Box::new(|| drop((b.read_recursive(), a.read_recursive()))),
    ]);
    assert_eq!(quiet, None);
    // A -(EN)-> B: with B -(SR)-> A, a deadlock (B's reader waits for the
    // writer of A, A's writer for B's reader... through B held shared and
    // wanted exclusively).
    let found = report(vec![Box::new(|| drop((a.write(), b.write())))]);
    let found = found.expect("the new way closes a strong cycle");
    assert!(found.contains("\"t0\""), "{found}");
    assert!(
        found.contains("made again now, in a way that can deadlock"),
        "{found}"
    );
}

#[test]
fn the_snapshot_keeps_both_edges_of_a_cycle_that_cannot_deadlock() {
    let (a, b, _) = three!();
    on_thread("ab", || drop((a.read_recursive(), b.read_recursive())));
    on_thread("ba", || drop((b.read_recursive(), a.read_recursive())));
    let snap = lockgraph::graph::snapshot();
    assert!(snap.has_edge(a.id(), b.id()) && snap.has_edge(b.id(), a.id()));
}
