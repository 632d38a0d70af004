//! A measure of precision: safe locking patterns that must stay silent, and
//! unsafe ones that must be reported. Each pattern builds its own locks (at
//! its own lines, so its own classes) and runs its threads one after the
//! other: nothing ever deadlocks here, lockgraph judges the orders.
//!
//! `every_pattern_is_judged_as_expected` prints the counts.

use std::sync::{Arc, Barrier};
use std::thread;

use lockgraph::{Condvar, Mutex, OnceCell, RwLock, lock_all};

/// Whether a report (a `lockgraph:` panic, the default policy) came out of
/// `f` or a thread it ran.
fn reported(f: impl FnOnce() + Send) -> bool {
    let outcome = thread::scope(|s| s.spawn(f).join());
    match outcome {
        Ok(()) => false,
        Err(panic) => {
            let text = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            assert!(text.starts_with("lockgraph:"), "not a report: {text}");
            true
        }
    }
}

/// Runs `f` on a thread of its own and passes its report on as a panic.
fn run<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    thread::scope(|s| match s.spawn(f).join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

type Pattern = (&'static str, fn() -> bool);

/// A collection of locks made through a function pointer: Rust gives every
/// such lock one caller inside std, which is no class.
fn collection(n: usize) -> Vec<Mutex<usize>> {
    (0..n).map(Mutex::new).collect()
}

/// One lock class for every audit lock.
fn audit() -> Mutex<()> {
    Mutex::new(())
}

const SAFE: [Pattern; 20] = [
    ("two recursive reads in opposite orders", || {
        let (a, b) = (RwLock::new(()), RwLock::new(()));
        reported(|| {
            run(|| drop((a.read_recursive(), b.read_recursive())));
            run(|| drop((b.read_recursive(), a.read_recursive())));
        })
    }),
    (
        "a write then a recursive read, against a read then that write",
        || {
            let (a, b) = (RwLock::new(()), RwLock::new(()));
            reported(|| {
                run(|| drop((a.write(), b.read_recursive())));
                run(|| drop((b.read(), a.write())));
            })
        },
    ),
    ("two orders, both under one gate lock", || {
        let (gate, a, b) = (Mutex::new(()), Mutex::new(()), Mutex::new(()));
        reported(|| {
            run(|| drop((gate.lock(), a.lock(), b.lock())));
            run(|| drop((gate.lock(), b.lock(), a.lock())));
        })
    }),
    (
        "two orders under one gate lock, one of them inside an outer lock too",
        || {
            let (outer, gate) = (Mutex::new(()), Mutex::new(()));
            let (a, b) = (Mutex::new(()), Mutex::new(()));
            reported(|| {
                run(|| drop((gate.lock(), a.lock(), b.lock())));
                run(|| drop((outer.lock(), gate.lock(), a.lock(), b.lock())));
                run(|| drop((gate.lock(), b.lock(), a.lock())));
            })
        },
    ),
    (
        "two orders under one gate lock, the first made inside an outer lock",
        || {
            let (outer, gate) = (Mutex::new(()), Mutex::new(()));
            let (a, b) = (Mutex::new(()), Mutex::new(()));
            reported(|| {
                run(|| drop((outer.lock(), gate.lock(), a.lock(), b.lock())));
                run(|| drop((gate.lock(), b.lock(), a.lock())));
            })
        },
    ),
    (
        "two collections made by `.map(Mutex::new)`, each ordered against one audit lock",
        || {
            reported(|| {
                run(|| {
                    let (accounts, audit) = (collection(1), audit());
                    drop((accounts[0].lock(), audit.lock()));
                });
                run(|| {
                    let (sessions, audit) = (collection(1), audit());
                    drop((audit.lock(), sessions[0].lock()));
                });
            })
        },
    ),
    (
        "a cycle of three locks, every edge under one gate lock",
        || {
            let (gate, a, b, c) = (
                Mutex::new(()),
                Mutex::new(()),
                Mutex::new(()),
                Mutex::new(()),
            );
            reported(|| {
                run(|| drop((gate.lock(), a.lock(), b.lock())));
                run(|| drop((gate.lock(), b.lock(), c.lock())));
                run(|| drop((gate.lock(), c.lock(), a.lock())));
            })
        },
    ),
    (
        "two orders under one gate taken for writing and upgradably",
        || {
            let gate = RwLock::new(());
            let (a, b) = (Mutex::new(()), Mutex::new(()));
            reported(|| {
                run(|| drop((gate.write(), a.lock(), b.lock())));
                run(|| drop((gate.upgradable_read(), b.lock(), a.lock())));
            })
        },
    ),
    (
        "two classes in opposite orders on other instances, under one gate lock",
        || {
            let gate = Mutex::new(());
            let pair = || (Mutex::new(()), Mutex::new(()));
            reported(|| {
                let (a, b) = pair();
                run(|| drop((gate.lock(), a.lock(), b.lock())));
                let (a, b) = pair();
                run(|| drop((gate.lock(), b.lock(), a.lock())));
            })
        },
    ),
    ("one order on two threads", || {
        let (a, b) = (Mutex::new(()), Mutex::new(()));
        reported(|| {
            run(|| drop((a.lock(), b.lock())));
            run(|| drop((a.lock(), b.lock())));
        })
    }),
    ("one lock at a time", || {
        let (a, b) = (Mutex::new(()), Mutex::new(()));
        reported(|| {
            run(|| {
                drop(a.lock());
                drop(b.lock());
            });
            run(|| {
                drop(b.lock());
                drop(a.lock());
            });
        })
    }),
    ("hand-over-hand down a list of one class", || {
        let nodes: Vec<Mutex<u32>> = (0..5).map(Mutex::new).collect();
        let walk = |nodes: &[Mutex<u32>]| {
            let mut held = nodes[0].lock();
            for node in &nodes[1..] {
                let next = node.lock();
                held = next;
            }
            drop(held);
        };
        reported(|| {
            run(|| walk(&nodes));
            run(|| walk(&nodes));
        })
    }),
    ("two instances of one class, nested in both orders", || {
        let accounts: Vec<Mutex<i64>> = (0..4).map(|_| Mutex::new(100)).collect();
        reported(|| {
            run(|| drop((accounts[0].lock(), accounts[1].lock())));
            run(|| drop((accounts[3].lock(), accounts[2].lock())));
        })
    }),
    ("lock_all in both argument orders", || {
        let (a, b) = (Mutex::new(()), Mutex::new(()));
        reported(|| {
            run(|| drop(lock_all((&a, &b))));
            run(|| drop(lock_all((&b, &a))));
        })
    }),
    ("a condvar wait with no other lock held", || {
        let pair = Arc::new((Mutex::new(false), Condvar::new()));
        reported(|| {
            let other = Arc::clone(&pair);
            let waiter = thread::spawn(move || {
                let mut ready = other.0.lock();
                while !*ready {
                    other.1.wait(&mut ready);
                }
            });
            *pair.0.lock() = true;
            pair.1.notify_all();
            waiter.join().unwrap();
        })
    }),
    ("read_recursive of a lock this thread reads", || {
        let table = RwLock::new(1);
        reported(|| run(|| drop((table.read(), table.read_recursive()))))
    }),
    ("try_lock in the opposite order", || {
        let (a, b) = (Mutex::new(()), Mutex::new(()));
        reported(|| {
            run(|| drop((a.lock(), b.lock())));
            run(|| {
                let _b = b.lock();
                drop(a.try_lock());
            });
        })
    }),
    (
        "a cell initialised under a lock, read under it later",
        || {
            let (lock, cell) = (Mutex::new(()), OnceCell::new());
            reported(|| {
                run(|| {
                    let _held = lock.lock();
                    cell.get_or_init(|| 1);
                });
                run(|| {
                    let _held = lock.lock();
                    assert_eq!(cell.get(), Some(&1));
                });
            })
        },
    ),
    ("a downgraded write, then a lock in the known order", || {
        let (table, log) = (RwLock::new(0), Mutex::new(()));
        reported(|| {
            run(|| drop((table.write(), log.lock())));
            run(|| {
                let write = table.write();
                let _read = lockgraph::RwLockWriteGuard::downgrade(write);
                drop(log.lock());
            });
        })
    }),
    ("two threads meeting at a barrier with no lock held", || {
        let (a, b) = (Mutex::new(()), Mutex::new(()));
        let barrier = Barrier::new(2);
        reported(|| {
            thread::scope(|s| {
                s.spawn(|| {
                    drop((a.lock(), b.lock()));
                    barrier.wait();
                });
                s.spawn(|| {
                    barrier.wait();
                    drop((a.lock(), b.lock()));
                });
            })
        })
    }),
];

const UNSAFE: [Pattern; 15] = [
    (
        "a write then a recursive read, against a write then a recursive read",
        || {
            let (a, b) = (RwLock::new(()), RwLock::new(()));
            reported(|| {
                run(|| drop((a.write(), b.read_recursive())));
                run(|| drop((b.write(), a.read_recursive())));
            })
        },
    ),
    (
        "two orders under a gate lock held for reading (it serialises nothing)",
        || {
            let gate = RwLock::new(());
            let (a, b) = (Mutex::new(()), Mutex::new(()));
            reported(|| {
                run(|| drop((gate.read(), a.lock(), b.lock())));
                run(|| drop((gate.read(), b.lock(), a.lock())));
            })
        },
    ),
    ("two orders under two different gate locks", || {
        let (g1, g2, a, b) = (
            Mutex::new(()),
            Mutex::new(()),
            Mutex::new(()),
            Mutex::new(()),
        );
        reported(|| {
            run(|| drop((g1.lock(), a.lock(), b.lock())));
            run(|| drop((g2.lock(), b.lock(), a.lock())));
        })
    }),
    (
        "a gated cycle whose first order is later taken without the gate",
        || {
            let (gate, a, b) = (Mutex::new(()), Mutex::new(()), Mutex::new(()));
            reported(|| {
                run(|| drop((gate.lock(), a.lock(), b.lock())));
                run(|| drop((gate.lock(), b.lock(), a.lock())));
                run(|| drop((a.lock(), b.lock())));
            })
        },
    ),
    (
        "two classes in opposite orders, each instance pair under its own gate",
        || {
            let trio = || (Mutex::new(()), Mutex::new(()), Mutex::new(()));
            reported(|| {
                let (gate, a, b) = trio();
                run(|| drop((gate.lock(), a.lock(), b.lock())));
                let (gate, a, b) = trio();
                run(|| drop((gate.lock(), b.lock(), a.lock())));
            })
        },
    ),
    ("two locks in opposite orders", || {
        let (a, b) = (Mutex::new(()), Mutex::new(()));
        reported(|| {
            run(|| drop((a.lock(), b.lock())));
            run(|| drop((b.lock(), a.lock())));
        })
    }),
    ("a cycle of three locks", || {
        let (a, b, c) = (Mutex::new(()), Mutex::new(()), Mutex::new(()));
        reported(|| {
            run(|| drop((a.lock(), b.lock())));
            run(|| drop((b.lock(), c.lock())));
            run(|| drop((c.lock(), a.lock())));
        })
    }),
    ("two classes in opposite orders, on other instances", || {
        let pair = || (Mutex::new(()), Mutex::new(()));
        reported(|| {
            let (a, b) = pair();
            run(|| drop((a.lock(), b.lock())));
            let (a, b) = pair();
            run(|| drop((b.lock(), a.lock())));
        })
    }),
    ("a read and a write in opposite orders", || {
        let (a, b) = (RwLock::new(()), RwLock::new(()));
        reported(|| {
            run(|| drop((a.read(), b.write())));
            run(|| drop((b.read(), a.write())));
        })
    }),
    (
        "two reads in opposite orders (a queued writer deadlocks them)",
        || {
            let (a, b) = (RwLock::new(()), RwLock::new(()));
            reported(|| {
                run(|| drop((a.read(), b.read())));
                run(|| drop((b.read(), a.read())));
            })
        },
    ),
    ("a second plain read on one thread", || {
        let table = RwLock::new(());
        reported(|| run(|| drop((table.read(), table.read()))))
    }),
    ("re-locking a mutex this thread holds", || {
        let m = Mutex::new(());
        reported(|| run(|| drop((m.lock(), m.lock()))))
    }),
    ("lock_all while holding a higher lock", || {
        let (low, high, other) = (Mutex::new(()), Mutex::new(()), Mutex::new(()));
        let (_, _) = (low.id(), high.id()); // ids follow first use: low < high
        reported(|| {
            run(|| {
                let _high = high.lock();
                drop(lock_all((&low, &other)));
            })
        })
    }),
    (
        "a condvar wait whose re-acquisition inverts an order",
        || {
            let (outer, inner, cv) = (Mutex::new(()), Mutex::new(()), Condvar::new());
            reported(|| {
                run(|| drop((inner.lock(), outer.lock())));
                run(|| {
                    let mut guard = inner.lock();
                    let _outer = outer.lock();
                    // Waiting gives `inner` up; taking it back while `outer`
                    // is held is `outer -> inner`.
                    cv.wait_for(&mut guard, std::time::Duration::from_millis(1));
                });
            })
        },
    ),
    (
        "an initialiser that takes a lock, and that lock held around such a cell",
        || {
            let lock = Mutex::new(());
            let cell = || OnceCell::<()>::new(); // one place, one class
            reported(|| {
                let first = cell();
                run(|| {
                    first.get_or_init(|| drop(lock.lock())); // cell -> lock
                });
                let second = cell();
                run(|| {
                    let _held = lock.lock();
                    second.get_or_init(|| ()); // lock -> cell, for a cell of that class
                });
            })
        },
    ),
];

#[test]
fn every_pattern_is_judged_as_expected() {
    let judge = |patterns: &[Pattern]| -> Vec<(&str, bool)> {
        patterns
            .iter()
            .map(|&(name, pattern)| (name, pattern()))
            .collect()
    };
    let safe = judge(&SAFE);
    let unsafe_ = judge(&UNSAFE);
    let silent = safe.iter().filter(|(_, r)| !r).count();
    let caught = unsafe_.iter().filter(|(_, r)| *r).count();
    println!(
        "precision: {silent} of {} safe patterns silent; {caught} of {} unsafe patterns reported",
        safe.len(),
        unsafe_.len()
    );
    let loud: Vec<_> = safe.iter().filter(|(_, r)| *r).map(|(n, _)| *n).collect();
    assert!(loud.is_empty(), "safe patterns reported: {loud:?}");
    let missed: Vec<_> = unsafe_
        .iter()
        .filter(|(_, r)| !r)
        .map(|(n, _)| *n)
        .collect();
    assert!(
        missed.is_empty(),
        "unsafe patterns not reported: {missed:?}"
    );
}
