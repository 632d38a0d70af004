//! Ids near 2^32, near 2^40 and at the end of the id space, reached without
//! creating billions of locks first: `lockgraph::__testing::skip_ids_to`
//! moves the id counter forward (never back), and the calling thread takes
//! its next id from there.
//!
//! One test, its phases in order of the ids they reach: the last one uses up
//! the id space of this process, which is why the test has a binary of its own.

mod common;

use common::{CYCLE, SELF_DEADLOCK, held_here, on_thread, reports};
use lockgraph::__testing::skip_ids_to;
use lockgraph::{LockId, Mutex, ReentrantMutex, RwLock, graph, lock_all};

/// Every id is below this (see `LockId::as_u64`).
const LIMIT: u64 = 1 << 56;

#[test]
fn ids_work_across_2_pow_32_and_2_pow_40_and_run_out_quietly_at_the_end() {
    checked_from((1 << 32) - 5);
    checked_from((1 << 40) - 3);
    checked_from(LIMIT - 1000); // about 350 ids are used from there
    past_the_end();
}

/// Runs `f` on a thread of its own (its own held set and private graph),
/// passing its panic on.
fn on_own_thread<R: Send>(name: &str, f: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|s| {
        let thread = std::thread::Builder::new().name(name.into());
        thread.spawn_scoped(s, f).expect("spawn").join().unwrap()
    })
}

/// Locks whose ids start at `first` get edges, private and global, report
/// cycles, self-deadlocks and out-of-order releases, and show in snapshots.
fn checked_from(first: u64) {
    on_own_thread("near", || {
        assert_eq!(skip_ids_to(first), first);
        let locks: Vec<Mutex<u64>> = (0..8).map(|_| Mutex::new(0)).collect();
        let ids: Vec<u64> = locks.iter().map(|lock| lock.id().as_u64()).collect();
        assert_eq!(ids, (first..first + 8).collect::<Vec<_>>());
        let id = locks[5].id();
        assert_eq!(
            format!("{id} {id:?}"),
            format!("#{0} LockId({0})", first + 5)
        );

        // A cycle among locks private to this thread: found in its private graph.
        let (a, b) = (&locks[0], &locks[1]);
        drop((a.lock(), b.lock()));
        assert!(reports(CYCLE, || drop((b.lock(), a.lock()))));

        // Private sinks dropped in numbers: queued, then buried; only the
        // live locks keep edges.
        let outer = &locks[2];
        for _ in 0..200 {
            let sink = Mutex::new(());
            let _outer = outer.lock();
            drop(sink.lock());
        }
        let inner = &locks[3];
        drop((outer.lock(), inner.lock()));
        let snapshot = graph::snapshot();
        let from_outer: Vec<LockId> = snapshot
            .edges
            .iter()
            .filter(|e| e.from == outer.id())
            .map(|e| e.to)
            .collect();
        assert_eq!(from_outer, [inner.id()], "the sinks' edges are gone");
        assert!(snapshot.has_edge(a.id(), b.id()));
        let (na, nb) = (a.id().as_u64(), b.id().as_u64());
        assert!(snapshot.to_dot().contains(&format!("n{na} -> n{nb}")));

        // The inversion from another thread: a cycle through the global graph.
        let inverted = on_thread("inverted", || drop((inner.lock(), outer.lock())));
        assert!(inverted.is_some_and(|report| report.starts_with(CYCLE)));

        // More held than the in-place entries, released out of order.
        let many: Vec<Mutex<()>> = (0..70).map(|_| Mutex::new(())).collect();
        // (All of them tracked, or the self-deadlock below would hang.)
        assert!(many.iter().all(|lock| lock.id().as_u64() < LIMIT));
        let mut guards: Vec<_> = many.iter().map(|lock| Some(lock.lock())).collect();
        assert!(many[40].try_lock().is_none(), "held here: busy, no report");
        assert!(reports(SELF_DEADLOCK, || drop(many[69].lock())));
        for k in (0..70)
            .step_by(3)
            .chain((1..70).step_by(3))
            .chain((2..70).step_by(3))
        {
            guards[k] = None;
        }
        assert!(many.iter().all(|lock| !held_here(lock.id())));
        drop(guards);

        // The other lock types, and an ordered set.
        let (rw, re) = (RwLock::new(()), ReentrantMutex::new(()));
        drop((rw.read(), re.lock(), re.lock()));
        assert!(reports(CYCLE, || drop((re.lock(), rw.write()))));
        let (low, high) = (&locks[6], &locks[7]);
        drop(lock_all((high, low)));
        assert!(graph::snapshot().has_edge(low.id(), high.id()));
    });
}

/// The last ids are handed out and checked; locks used after that share one
/// untracked id and are simply not checked: no report, no panic.
fn past_the_end() {
    on_own_thread("end", || {
        assert_eq!(skip_ids_to(LIMIT - 4), LIMIT - 4);
        let locks: Vec<Mutex<()>> = (0..8).map(|_| Mutex::new(())).collect();
        let ids: Vec<u64> = locks.iter().map(|lock| lock.id().as_u64()).collect();
        assert_eq!(&ids[..4], [LIMIT - 4, LIMIT - 3, LIMIT - 2, LIMIT - 1]);
        assert_eq!(&ids[4..], [u64::MAX; 4], "past the end: one id for all");
        assert_eq!(locks[6].id(), locks[6].id(), "and it does not change");

        // The last ids of the space are checked as any other.
        let (a, b) = (&locks[2], &locks[3]);
        drop((a.lock(), b.lock()));
        assert!(reports(CYCLE, || drop((b.lock(), a.lock()))));

        // Untracked locks, among themselves and with tracked ones: no report.
        let (x, y) = (&locks[5], &locks[6]);
        drop((x.lock(), y.lock()));
        drop((y.lock(), x.lock()));
        drop((a.lock(), x.lock()));
        drop((x.lock(), a.lock()));
        drop(lock_all((x, y))); // two locks sharing an id are not one lock twice
        let late = Mutex::new(());
        drop((late.lock(), x.lock()));
        assert_eq!(late.id().as_u64(), u64::MAX);

        // Other threads: their new locks are untracked too, and the locks
        // that have ids are still checked.
        let other = on_thread("after the end", || {
            let fresh = Mutex::new(());
            assert_eq!(fresh.id().as_u64(), u64::MAX);
            drop((fresh.lock(), a.lock()));
            drop((b.lock(), a.lock()));
        });
        assert!(other.is_some_and(|report| report.starts_with(CYCLE)));
        let snapshot = graph::snapshot();
        assert!(snapshot.locks.iter().all(|lock| lock.id.as_u64() < LIMIT));
        assert!(snapshot.has_edge(a.id(), b.id()));
    });
}
