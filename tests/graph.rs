//! The graph snapshot: live locks with names and sites, edges, dot output,
//! removal of dropped locks.

use lockgraph::{Mutex, RwLock, graph};

#[test]
fn snapshot_names_locks_and_sites() {
    let named = Mutex::named("named lock", ());
    let unnamed = RwLock::new(());
    drop((named.lock(), unnamed.write()));
    let snapshot = graph::snapshot();
    let info = snapshot.lock(named.id()).expect("named lock is a node");
    assert_eq!(info.name, Some("named lock"));
    let site = snapshot
        .lock(unnamed.id())
        .and_then(|l| l.created_at)
        .expect("site");
    assert!(site.file().ends_with("graph.rs"));
    let edge = snapshot
        .edges
        .iter()
        .find(|e| e.from == named.id() && e.to == unnamed.id())
        .expect("edge");
    assert!(edge.thread.contains("snapshot_names_locks_and_sites"));
    let dot = snapshot.to_dot();
    assert!(dot.starts_with("digraph lockgraph {"));
    let (from, to) = (named.id().as_u64(), unnamed.id().as_u64());
    assert!(dot.contains(&format!("n{from} -> n{to}")), "{dot}");
    assert!(dot.contains("named lock"), "{dot}");
}

#[test]
fn dot_keeps_locks_of_one_creation_line_apart() {
    // Two locks made at the same line share a label, not a node.
    let pair: Vec<Mutex<()>> = (0..2).map(|_| Mutex::new(())).collect();
    drop((pair[0].lock(), pair[1].lock()));
    let dot = graph::snapshot().to_dot();
    let (a, b) = (pair[0].id().as_u64(), pair[1].id().as_u64());
    assert!(dot.contains(&format!("n{a} -> n{b}")), "{dot}");
    assert!(dot.contains(&format!("n{a} [label=")) && dot.contains(&format!("n{b} [label=")));
}

#[test]
fn dropped_locks_leave_the_graph_with_their_edges() {
    let keep = Mutex::new(());
    let gone = Mutex::new(());
    drop((keep.lock(), gone.lock()));
    let gone_id = gone.id();
    assert!(graph::snapshot().has_edge(keep.id(), gone_id));
    drop(gone);
    let snapshot = graph::snapshot();
    assert!(snapshot.lock(gone_id).is_none());
    assert!(
        !snapshot
            .edges
            .iter()
            .any(|e| e.from == gone_id || e.to == gone_id)
    );
}

#[test]
fn ids_are_unique_and_follow_first_use() {
    let late = Mutex::new(());
    let early = Mutex::new(());
    let early_id = early.id();
    assert!(early_id < late.id());
    assert_eq!(early.id(), early_id);
    assert_eq!(format!("{early_id}"), format!("#{}", early_id.as_u64()));
}

#[test]
fn a_mutex_is_small() {
    assert!(std::mem::size_of::<Mutex<()>>() <= 24);
}

static GLOBAL: Mutex<u32> = Mutex::named("static", 0);

#[test]
fn locks_can_live_in_statics() {
    *GLOBAL.lock() += 1;
    assert!(*GLOBAL.lock() >= 1);
}

#[test]
fn names_and_sites_survive_packing() {
    let named = Mutex::named("ünïcode name", ());
    let unnamed = Mutex::new(());
    let line = line!() - 1;
    drop((named.lock(), unnamed.lock()));
    let snapshot = graph::snapshot();
    assert_eq!(
        snapshot.lock(named.id()).unwrap().name,
        Some("ünïcode name")
    );
    let site = snapshot.lock(unnamed.id()).unwrap().created_at.unwrap();
    assert_eq!(site.line(), line);
}
