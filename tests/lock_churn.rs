//! Lock churn: a process that creates, uses under nesting and drops a great
//! many locks keeps a graph the size of what is alive, and a lock stays small.
//!
//! Its own test file (its own process), so the graph holds only this file's
//! locks; the tests here run at once, so each recognises its locks by name
//! (ids of locks first used on different threads interleave).

use std::collections::{HashSet, VecDeque};

use lockgraph::{LockId, Mutex, graph};

/// Locks alive at once: each new lock is taken while the previous ones are held.
const WINDOW: usize = 4;
/// Locks created in all (fewer in debug builds, so the test takes seconds).
const CREATED: usize = if cfg!(debug_assertions) {
    1 << 18
} else {
    10_000_000
};
/// How often the graph is inspected.
const CHECK_EVERY: usize = 1 << 17;
/// The name of the window's locks.
const WINDOW_LOCK: &str = "churn window";

/// The window of live locks: each new one is taken while the others are held
/// (new edges old -> new), then the oldest is dropped.
struct Window {
    live: VecDeque<Mutex<usize>>,
}

impl Window {
    fn step(&mut self, i: usize) {
        let lock = Mutex::named(WINDOW_LOCK, i);
        {
            let guards: Vec<_> = self.live.iter().map(|m| m.lock()).collect();
            *lock.lock() += 1;
            drop(guards);
        }
        self.live.push_back(lock);
        if self.live.len() > WINDOW {
            self.live.pop_front();
        }
    }

    fn live_ids(&self) -> HashSet<LockId> {
        self.live.iter().map(|m| m.id()).collect()
    }

    /// Every lock of the graph that this test created is still alive.
    fn assert_graph_holds_only_live_locks(&self) {
        let live = self.live_ids();
        let snapshot = graph::snapshot();
        let ours: Vec<LockId> = snapshot
            .locks
            .iter()
            .filter(|l| l.name == Some(WINDOW_LOCK))
            .map(|l| l.id)
            .collect();
        let dropped: Vec<&LockId> = ours.iter().filter(|id| !live.contains(id)).collect();
        assert!(
            dropped.is_empty(),
            "dropped locks still in the graph: {dropped:?}"
        );
        assert!(
            ours.len() <= WINDOW,
            "{} of our locks in the graph",
            ours.len()
        );
        let our_edges = snapshot
            .edges
            .iter()
            .filter(|e| ours.contains(&e.from) || ours.contains(&e.to));
        assert!(our_edges.count() <= WINDOW * (WINDOW - 1) / 2);
    }
}

#[test]
fn graph_stays_the_size_of_the_live_locks() {
    let mut window = Window {
        live: VecDeque::new(),
    };
    for i in 0..CREATED {
        window.step(i);
        if i % CHECK_EVERY == CHECK_EVERY - 1 {
            window.assert_graph_holds_only_live_locks();
        }
    }
    window.assert_graph_holds_only_live_locks();
    let last_ids = window.live_ids();
    window.live.clear();
    let snapshot = graph::snapshot();
    assert!(snapshot.locks.iter().all(|l| !last_ids.contains(&l.id)));
}

#[test]
fn locks_used_once_under_another_leave_the_graph() {
    // Its own thread: its locks are private until the first snapshot
    // publishes them, and global after.
    std::thread::spawn(|| {
        let outer = Mutex::new(0);
        let _held = outer.lock();
        let mut sampled = Vec::new();
        for i in 0..CREATED / 4 {
            let sink = Mutex::new(i);
            *sink.lock() += 1;
            if i % 1024 == 0 {
                sampled.push(sink.id());
            }
            drop(sink);
            if i % CHECK_EVERY == CHECK_EVERY - 1 {
                let snapshot = graph::snapshot();
                let from_outer = snapshot.edges.iter().filter(|e| e.from == outer.id());
                assert_eq!(from_outer.count(), 0, "edges into dropped locks");
                let stale = snapshot.locks.iter().filter(|l| sampled.contains(&l.id));
                assert_eq!(stale.count(), 0, "dropped locks in the graph");
            }
        }
    })
    .join()
    .unwrap();
}

#[test]
fn a_mutex_is_at_most_24_bytes() {
    assert!(
        size_of::<Mutex<()>>() <= 24,
        "{} bytes",
        size_of::<Mutex<()>>()
    );
}
