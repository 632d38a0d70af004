//! One-time initialisation seen as a lock, for every instrumented cell
//! (`OnceCell`, `Lazy`, and stdsync's `OnceLock`, `LazyLock`, `Once`): a cycle
//! through an initialiser is reported, a re-entrant initialisation is a
//! self-deadlock, and an initialised cell is not tracked at all.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Barrier;
use std::thread;

use lockgraph::stdsync::{LazyLock, Once, OnceLock};
use lockgraph::{Lazy, Mutex, OnceCell};

fn report_of(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a lockgraph report");
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(_) => panic!("the panic was not a lockgraph report"),
    }
}

/// Thread 1 initialises a cell and takes `lock` inside the initialiser, then
/// waits (still initialising) until thread 2, holding `lock`, has tried to
/// get the cell: a real deadlock if both went on.
struct Choreography {
    lock: Mutex<u32>,
    inside_initialiser: Barrier,
    release: Barrier,
}

impl Choreography {
    fn new() -> Self {
        Choreography {
            lock: Mutex::named("taken inside the initialiser", 7),
            inside_initialiser: Barrier::new(2),
            release: Barrier::new(2),
        }
    }

    /// The initialiser's body: cell -> lock, then wait for the other thread.
    fn initialise(&self) -> u32 {
        let value = *self.lock.lock();
        self.inside_initialiser.wait();
        self.release.wait();
        value
    }

    /// Runs `initialise` on a thread; meanwhile holds `lock` and runs `wait`,
    /// which must be reported (lock -> cell closes the cycle).
    fn assert_cycle(&self, initialise: impl FnOnce() + Send, wait: impl FnOnce()) {
        thread::scope(|s| {
            s.spawn(initialise);
            self.inside_initialiser.wait();
            let report = report_of(|| {
                let _held = self.lock.lock();
                wait();
            });
            self.release.wait();
            assert!(
                report.starts_with("lockgraph: potential deadlock"),
                "{report}"
            );
            assert!(report.contains("taken inside the initialiser"), "{report}");
        });
    }
}

#[test]
fn a_cycle_through_a_once_cell_initialiser_is_reported() {
    let c = Choreography::new();
    let cell = OnceCell::named("once cell");
    c.assert_cycle(
        || {
            let _ = cell.get_or_init(|| c.initialise());
        },
        || {
            let _ = cell.wait();
        },
    );
    assert_eq!(cell.get(), Some(&7));
}

#[test]
fn a_cycle_through_a_lazy_initialiser_is_reported() {
    let c = Choreography::new();
    let lazy = Lazy::new(|| c.initialise());
    c.assert_cycle(
        || {
            let _ = *lazy;
        },
        || {
            let _ = *lazy;
        },
    );
    assert_eq!(Lazy::get(&lazy), Some(&7));
}

#[test]
fn a_cycle_through_a_once_lock_initialiser_is_reported() {
    let c = Choreography::new();
    let cell = OnceLock::named("once lock");
    c.assert_cycle(
        || {
            let _ = cell.get_or_init(|| c.initialise());
        },
        || {
            let _ = cell.set(0);
        },
    );
    assert_eq!(cell.get(), Some(&7));
}

#[test]
fn a_cycle_through_a_lazy_lock_initialiser_is_reported() {
    let c = Choreography::new();
    let lazy = LazyLock::new(|| c.initialise());
    c.assert_cycle(
        || {
            let _ = *lazy;
        },
        || {
            let _ = LazyLock::force(&lazy);
        },
    );
    assert_eq!(LazyLock::get(&lazy), Some(&7));
}

#[test]
fn a_cycle_through_a_once_is_reported() {
    let c = Choreography::new();
    let once = Once::named("once");
    c.assert_cycle(
        || {
            once.call_once(|| {
                c.initialise();
            })
        },
        || once.wait(),
    );
    assert!(once.is_completed());
}

static REENTRANT_LAZY: Lazy<u32> = Lazy::new(|| *REENTRANT_LAZY + 1);
static REENTRANT_LAZY_LOCK: LazyLock<u32> = LazyLock::new(|| *REENTRANT_LAZY_LOCK + 1);

fn assert_self_deadlock(initialise: impl FnOnce()) {
    let report = report_of(initialise);
    assert!(report.starts_with("lockgraph: self-deadlock"), "{report}");
    // The advice is about a cell, not a lock.
    assert!(
        report.contains("would wait for its own initialiser forever"),
        "{report}"
    );
    assert!(!report.contains("not reentrant"), "{report}");
}

#[test]
fn reentrant_initialisation_is_a_self_deadlock_instead_of_a_hang() {
    let cell = OnceCell::<u32>::new();
    assert_self_deadlock(|| {
        let _ = cell.get_or_init(|| *cell.get_or_init(|| 1));
    });
    assert_eq!(cell.get(), None);
    let lock = OnceLock::<u32>::new();
    assert_self_deadlock(|| {
        let _ = lock.get_or_init(|| *lock.wait());
    });
    assert_eq!(lock.get(), None);
    let once = Once::new();
    assert_self_deadlock(|| once.call_once(|| once.call_once(|| {})));
    assert!(!once.is_completed());
    assert_self_deadlock(|| {
        let _ = *REENTRANT_LAZY;
    });
    assert_self_deadlock(|| {
        let _ = *REENTRANT_LAZY_LOCK;
    });
}

#[test]
fn an_initialised_cell_is_not_tracked() {
    let lock = Mutex::named("used by initialisers", ());
    let cell = OnceCell::named("ready cell");
    let once_lock = OnceLock::named("ready once lock");
    let lazy = LazyLock::new(|| drop(lock.lock()));
    cell.get_or_init(|| drop(lock.lock())); // cell -> lock
    once_lock.get_or_init(|| drop(lock.lock()));
    LazyLock::force(&lazy);
    // Holding `lock` while using the cells would close cycles if they were
    // still tracked; initialised, they cost nothing and report nothing.
    let _held = lock.lock();
    cell.get_or_init(|| unreachable!());
    cell.wait();
    once_lock.wait();
    assert!(once_lock.set(()).is_err());
    LazyLock::force(&lazy);
}

#[test]
fn a_failed_initialiser_leaves_the_cell_tracked() {
    let lock = Mutex::named("taken by a failing initialiser", 1);
    let cell = OnceCell::<u32>::named("failing cell");
    let failed = catch_unwind(AssertUnwindSafe(|| {
        cell.get_or_init(|| {
            let _l = lock.lock(); // cell -> lock
            panic!("initialiser failed")
        })
    }));
    assert!(failed.is_err());
    let report = report_of(|| {
        let held = lock.lock();
        cell.get_or_init(|| *held); // lock -> cell
    });
    assert!(report.contains("failing cell"), "{report}");
}
