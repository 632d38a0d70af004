//! A lock's first use and the lazy forgetting of locks with no edge out of
//! them, at their edges: another thread using a brand-new lock at once, and
//! locks dropped while guards of theirs are leaked.
//!
//! Its own test file (its own process): it installs a counting handler and
//! the Warn policy for the whole process, so the tests here run one at a time.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier};

use lockgraph::{Mutex, Policy, RwLock, Violation, ViolationKind, graph, set_handler, set_policy};

static CYCLES: AtomicUsize = AtomicUsize::new(0);
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Counts cycle reports under Warn for the duration of `f`; returns the count.
fn count_cycles(f: impl FnOnce()) -> usize {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    set_policy(Policy::Warn);
    set_handler(Some(Box::new(|v: &Violation| {
        if v.kind() == ViolationKind::Cycle {
            CYCLES.fetch_add(1, SeqCst);
        }
    })));
    let before = CYCLES.load(SeqCst);
    f();
    set_handler(None);
    CYCLES.load(SeqCst) - before
}

/// Thread 1 holds `h` and takes a brand-new lock `l`; thread 2 grabs `l` the
/// moment it is shared and takes `y` under it, while `y -> h` is known. Each
/// round is a real cycle `h -> l -> y -> h`, whichever thread gets there first:
/// thread 1's unchecked first use must give way to the checked path, report it
/// (never panic), and every round must be reported once, to the handler and
/// on stderr. Run in a child process, whose stderr (a thousand reports) the
/// test reads instead of printing.
#[test]
fn a_new_lock_another_thread_uses_at_once_still_gets_its_cycle_reported() {
    const ROUNDS: usize = 1_000;
    const CHILD: &str = "LOCKGRAPH_FIRST_USE_CHILD";
    if std::env::var_os(CHILD).is_none() {
        let name = "a_new_lock_another_thread_uses_at_once_still_gets_its_cycle_reported";
        let output = std::process::Command::new(std::env::current_exe().expect("test binary"))
            .args(["--exact", name, "--nocapture", "--test-threads=1"])
            .env(CHILD, "1")
            .env_remove("LOCKGRAPH")
            .output()
            .expect("run the child");
        let (stdout, stderr) = (
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
        assert!(output.status.success(), "{stdout}\n{stderr}");
        assert!(stdout.contains("1 passed"), "{stdout}");
        let printed = stderr.matches("lockgraph: potential deadlock").count();
        assert_eq!(printed, ROUNDS, "printed once per round");
        return;
    }
    let reported = count_cycles(|| {
        let y = Arc::new(Mutex::named("y", ()));
        let h = Arc::new(Mutex::named("h", ()));
        drop((y.lock(), h.lock())); // y -> h
        let slot: Arc<std::sync::Mutex<Option<Arc<Mutex<()>>>>> = Default::default();
        let barrier = Arc::new(Barrier::new(2));
        let stop = Arc::new(AtomicBool::new(false));
        // Publications at random moments, as a test's snapshots would make.
        let snapshots = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(SeqCst) {
                    let _ = graph::snapshot();
                }
            })
        };
        let other = {
            let (slot, barrier, y) = (slot.clone(), barrier.clone(), y.clone());
            std::thread::spawn(move || {
                for _ in 0..ROUNDS {
                    barrier.wait();
                    let l = loop {
                        if let Some(l) = slot.lock().unwrap().take() {
                            break l;
                        }
                    };
                    drop((l.lock(), y.lock())); // l -> y
                    barrier.wait();
                }
            })
        };
        for _ in 0..ROUNDS {
            barrier.wait();
            let l = Arc::new(Mutex::named("l", ()));
            let held = h.lock();
            *slot.lock().unwrap() = Some(Arc::clone(&l));
            drop(l.lock()); // h -> l, its first use
            drop(held);
            barrier.wait();
        }
        other.join().expect("the other thread does not panic");
        stop.store(true, SeqCst);
        snapshots.join().unwrap();
    });
    assert_eq!(reported, ROUNDS, "one cycle per round");
}

/// A lock with an edge out of it, dropped while two read guards of it are
/// leaked (only one of them the source of that edge): its edges go with it,
/// so no cycle runs through it afterwards.
#[test]
fn a_dropped_lock_with_leaked_guards_takes_its_edges_with_it() {
    let reported = count_cycles(|| {
        std::thread::spawn(|| {
            let (k, m) = (Mutex::new(()), Mutex::new(()));
            let rw = RwLock::new(());
            let rw_id = rw.id();
            {
                let with_k = k.lock();
                let first = rw.read(); // k -> rw
                drop(with_k);
                drop(m.lock()); // rw -> m: `first` is a source
                let second = rw.read_recursive(); // not a source
                std::mem::forget(first);
                std::mem::forget(second);
            }
            drop(rw); // warns: dropped while held
            {
                let _m = m.lock();
                let _k = k.lock(); // m -> k: no cycle, rw is gone
            }
            let snapshot = graph::snapshot();
            assert!(
                !snapshot
                    .edges
                    .iter()
                    .any(|e| e.from == rw_id || e.to == rw_id),
                "edges of the dropped lock are gone"
            );
        })
        .join()
        .unwrap();
    });
    assert_eq!(reported, 0, "no cycle through a dropped lock");
}

/// A lock's first use under a held set caches its edges but not the set (the
/// set is new): taking it again under the same set, many times, must stay
/// silent (each re-take a report would count), and the opposite order
/// afterwards, in another thread, must still be reported: exactly one report.
#[test]
fn a_new_lock_taken_again_under_the_same_locks_keeps_its_edges() {
    let reported = count_cycles(|| {
        let outer = Arc::new(Mutex::named("outer", ()));
        let inner = Arc::new(Mutex::named("inner", ()));
        {
            let _outer = outer.lock();
            for _ in 0..100 {
                drop(inner.lock()); // the first round is the lock's first use
            }
        }
        let (outer, inner) = (Arc::clone(&outer), Arc::clone(&inner));
        std::thread::spawn(move || {
            let _inner = inner.lock();
            drop(outer.lock());
        })
        .join()
        .unwrap();
    });
    assert_eq!(reported, 1);
}
