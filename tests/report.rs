//! The content of a cycle report: locks, threads, lines, held locks, scenario.

mod common;

use common::on_thread;
use lockgraph::Mutex;

#[test]
fn a_two_lock_report_names_everything_a_reader_needs() {
    let a = Mutex::named("accounts", ());
    let b = Mutex::new(());
    let b_line = line!() - 1;
    assert_eq!(on_thread("writer", || drop((a.lock(), b.lock()))), None);
    let report = on_thread("auditor", || {
        let _b = b.lock();
        let _a = a.lock();
    })
    .expect("cycle");
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(
        lines[0],
        "lockgraph: potential deadlock (lock order inversion of 2 locks)"
    );
    // The locks: by name, else by creation site.
    assert!(report.contains("\"accounts\""), "{report}");
    assert!(
        report.contains(&format!("lock created at tests/report.rs:{b_line}:")),
        "{report}"
    );
    // The threads and the lines of both acquisitions.
    assert!(
        report.contains("thread \"auditor\" calls lock() on \"accounts\" at tests/report.rs:"),
        "{report}"
    );
    assert!(report.contains("first by thread \"writer\""), "{report}");
    assert!(report.contains("locks held by this thread:"), "{report}");
    // The first edge's backtrace was captured and printed, in every build ...
    assert!(
        report.lines().any(|l| l.trim_start().starts_with("at ")),
        "a backtrace frame: {report}"
    );
    // ... with a frame of the first thread in this file in debug builds (as
    // CI runs this file): without debug info, as in a release build here, the
    // test's frames are inlined away.
    // (A function inlined in a build with line tables only has no path:
    // its file says it is this test's.)
    let frame = |l: &&str| {
        let l = l.trim_start();
        l.starts_with("at report::") || l.starts_with("at ") && l.contains("tests/report.rs:")
    };
    if cfg!(debug_assertions) {
        assert!(
            report.lines().any(|l| frame(&l)),
            "a frame of this test: {report}"
        );
    }
    // The two-column scenario.
    assert!(report.contains("thread 1 (\"writer\")"), "{report}");
    assert!(report.contains("thread 2 (\"auditor\")"), "{report}");
    assert!(report.contains("*** DEADLOCK"), "{report}");
    assert!(report.contains("No deadlock has happened yet"), "{report}");
}

#[test]
fn a_longer_cycle_lists_every_edge_and_no_scenario() {
    let l: Vec<Mutex<()>> = (0..3).map(|_| Mutex::new(())).collect();
    drop((l[0].lock(), l[1].lock()));
    drop((l[1].lock(), l[2].lock()));
    let report = on_thread("closer", || drop((l[2].lock(), l[0].lock()))).expect("cycle");
    assert!(report.contains("lock order cycle of 3 locks"), "{report}");
    let edges = report
        .lines()
        .filter(|l| l.contains(" -> ") && l.contains(" by thread "));
    assert_eq!(edges.count(), 3, "{report}");
    for rank in ["[1]", "[2]", "[3]"] {
        assert!(
            report.contains(rank),
            "same-site locks are told apart: {report}"
        );
    }
    assert!(!report.contains("possible deadlock:"), "{report}");
}
