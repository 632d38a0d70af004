//! Locks made, taken once and dropped under a lock another thread used first
//! (a *public* lock): their edges stay in the thread's private graph until the
//! new lock is shared, and no cycle through them is missed when it is.
//!
//! Its own test file (its own process), so that the graph holds only this
//! file's locks; each test recognises its locks by name.

mod common;

use common::{CYCLE, on_thread};
use lockgraph::{LockId, Mutex, graph};

/// A lock that another thread took first (and has ended, which makes every
/// lock it used public).
fn public_lock(name: &'static str) -> Mutex<u32> {
    let made = std::thread::spawn(move || {
        let lock = Mutex::named(name, 0);
        *lock.lock() += 1;
        lock
    });
    made.join().unwrap()
}

/// Whether the whole graph (every private graph published first) has a lock
/// named `name`, or an edge into or out of one.
fn graph_names(name: &str) -> bool {
    let snapshot = graph::snapshot();
    let ids: Vec<LockId> = snapshot
        .locks
        .iter()
        .filter(|lock| lock.name == Some(name))
        .map(|lock| lock.id)
        .collect();
    let edges = snapshot.edges.iter();
    !ids.is_empty()
        || edges
            .into_iter()
            .any(|e| ids.contains(&e.from) || ids.contains(&e.to))
}

#[test]
fn a_cycle_through_a_lock_made_under_a_public_one_is_found_once_it_is_shared() {
    let registry = public_lock("registry");
    // The shared lock is made and first taken under the registry: registry ->
    // entry is an edge of this thread's private graph while entry is private.
    let entry = Mutex::named("entry", 0);
    let (taken, ready) = std::sync::mpsc::channel();
    let (finish, finished) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|s| {
        let (registry, entry) = (&registry, &entry);
        // The owner of `entry` stays alive (its private graph is not published
        // by its end) while another thread takes the locks the other way round.
        s.spawn(move || {
            {
                let _registry = registry.lock();
                *entry.lock() += 1;
            }
            taken.send(()).unwrap();
            finished.recv().unwrap();
        });
        ready.recv().unwrap();
        let report = on_thread("inverter", || {
            let _entry = entry.lock(); // nothing held: no edge, entry stays private
            *registry.lock() += 1; // entry -> registry closes the cycle
        });
        finish.send(()).unwrap();
        let report = report.expect("registry -> entry -> registry must be reported");
        assert!(report.starts_with(CYCLE), "{report}");
        assert!(report.contains("\"registry\""), "{report}");
        assert!(report.contains("\"entry\""), "{report}");
    });
}

#[test]
fn a_cycle_through_a_lock_made_under_a_public_one_is_found_on_the_same_thread() {
    let registry = public_lock("registry, one thread");
    let report = on_thread("one thread", || {
        let entry = Mutex::named("entry, one thread", 0);
        {
            let _registry = registry.lock();
            *entry.lock() += 1; // private: registry -> entry
        }
        let _entry = entry.lock();
        *registry.lock() += 1; // entry -> registry
    });
    let report = report.expect("registry -> entry -> registry must be reported");
    assert!(report.starts_with(CYCLE), "{report}");
}

#[test]
fn a_cycle_through_an_entry_of_an_ended_thread_is_found() {
    let registry = public_lock("registry, ended owner");
    // Made and taken under the registry by a thread that has ended since.
    let entry = std::thread::scope(|s| {
        let made = s.spawn(|| {
            let entry = Mutex::named("entry, ended owner", 0);
            let _registry = registry.lock();
            *entry.lock() += 1;
            drop(_registry);
            entry
        });
        made.join().unwrap()
    });
    let report = on_thread("inverter, ended owner", || {
        let _entry = entry.lock();
        *registry.lock() += 1;
    });
    let report = report.expect("registry -> entry -> registry must be reported");
    assert!(report.starts_with(CYCLE), "{report}");
}

#[test]
fn locks_made_and_dropped_under_a_public_lock_leave_nothing_in_the_graph() {
    const CHURNED: &str = "churned under a public lock";
    let registry = public_lock("registry, churn");
    on_thread("churner", || {
        let _registry = registry.lock();
        for i in 0..1000 {
            let churned = Mutex::named(CHURNED, i);
            *churned.lock() += 1;
            // Shared (published with its edges) now and then, while alive.
            if i % 100 == 0 {
                assert!(graph_names(CHURNED), "the live lock and its edge are seen");
                assert!(
                    graph::snapshot().has_edge(registry.id(), churned.id()),
                    "registry -> churned is in the graph once published"
                );
            }
        }
        assert!(!graph_names(CHURNED), "dropped locks are gone");
    });
    assert!(!graph_names(CHURNED));
}

#[test]
fn an_edge_from_a_public_lock_dropped_first_is_not_published() {
    let registry = public_lock("registry, dropped first");
    let registry_id = registry.id();
    let (entry_tx, entry_rx) = std::sync::mpsc::channel();
    let (finish, finished) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|s| {
        s.spawn(move || {
            let entry = Mutex::named("entry, outlives its registry", 0);
            {
                let _registry = registry.lock();
                *entry.lock() += 1; // private: registry -> entry
            }
            drop(registry); // its node goes; the private edge stays behind
            entry_tx.send(entry).unwrap();
            finished.recv().unwrap(); // keeps its private graph unpublished
        });
        let entry = entry_rx.recv().unwrap();
        // Publishes the owner's private graph: the edge from the dead lock
        // must not bring it back.
        let snapshot = graph::snapshot();
        finish.send(()).unwrap();
        assert!(
            snapshot.lock(registry_id).is_none(),
            "the dropped lock is gone"
        );
        assert!(!snapshot.edges.iter().any(|e| e.from == registry_id));
        // The entry itself is fine to use anywhere.
        let other = Mutex::named("after the registry", 0);
        let _entry = entry.lock();
        *other.lock() += 1;
    });
}
