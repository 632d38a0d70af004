//! The watchdog: actual deadlocks and long waits, found by the blocked threads.
//!
//! These tests change global settings (policy, handler, intervals), so they
//! serialise on one static lock. The order check is switched off (cycles are
//! ignored) so that only the watchdog can catch the deadlocks built here.
//! Under `Warn` the deadlocked threads stay blocked, as real ones would: they
//! are detached, and their locks leaked, so the test can end without them.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use lockgraph::report::Deadlock;
use lockgraph::{
    Condvar, LockId, Mutex, MutexGuard, Policy, RwLock, Violation, ViolationKind,
    set_deadlock_check, set_handler, set_kind_policy, set_long_wait, set_policy,
};

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
static SEEN: std::sync::Mutex<Vec<Violation>> = std::sync::Mutex::new(Vec::new());

const CHECK: Duration = Duration::from_millis(100);

/// Serialises the test and installs a handler that records every violation.
struct Setup {
    _serial: std::sync::MutexGuard<'static, ()>,
}

impl Setup {
    fn new(deadlock: Policy) -> Setup {
        let serial = SERIAL
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        set_policy(Policy::Warn);
        set_kind_policy(ViolationKind::Cycle, Policy::Ignore);
        set_kind_policy(ViolationKind::Deadlock, deadlock);
        set_kind_policy(ViolationKind::LongWait, Policy::Warn);
        set_deadlock_check(Some(CHECK));
        set_long_wait(None);
        recorded().clear();
        set_handler(Some(Box::new(|v| recorded().push(v.clone()))));
        Setup { _serial: serial }
    }

    fn seen(&self, kind: ViolationKind) -> Vec<Violation> {
        let seen = recorded();
        seen.iter().filter(|v| v.kind() == kind).cloned().collect()
    }

    /// The violations that involve any of `locks` (threads left deadlocked by
    /// earlier tests may report long waits on their own locks).
    fn seen_on(&self, locks: &[LockId]) -> Vec<Violation> {
        let seen = recorded();
        let mine = |v: &&Violation| v.locks().iter().any(|id| locks.contains(id));
        seen.iter().filter(mine).cloned().collect()
    }

    /// Waits up to `limit` for a violation of `kind`; returns it and when it came.
    fn await_first(&self, kind: ViolationKind, limit: Duration) -> Option<(Violation, Duration)> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(v) = self.seen(kind).into_iter().next() {
                return Some((v, start.elapsed()));
            }
            thread::sleep(Duration::from_millis(5));
        }
        None
    }
}

/// The recorded violations (also after a failed test panicked holding them).
fn recorded() -> std::sync::MutexGuard<'static, Vec<Violation>> {
    SEEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn leaked<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

/// Spawns `name`: takes a lock, meets the others at `barrier`, then runs `then`.
fn hold_then<G>(
    name: &str,
    barrier: &Arc<Barrier>,
    take: impl FnOnce() -> G + Send + 'static,
    then: impl FnOnce() + Send + 'static,
) -> JoinHandle<()> {
    let barrier = Arc::clone(barrier);
    let body = move || {
        let _held = take();
        barrier.wait();
        then();
    };
    thread::Builder::new()
        .name(name.into())
        .spawn(body)
        .unwrap()
}

fn names(violation: &Violation) -> Vec<String> {
    let Violation::Deadlock(deadlock) = violation else {
        panic!("not a deadlock: {violation}");
    };
    let mut names: Vec<String> = deadlock
        .threads()
        .iter()
        .map(|t| t.thread().into())
        .collect();
    names.sort();
    names
}

/// `count` threads in a ring, each holding its lock and wanting the next one.
fn ring(prefix: &str, count: usize, done: &'static AtomicUsize) -> Vec<JoinHandle<()>> {
    let locks: Vec<&'static Mutex<()>> = (0..count).map(|_| leaked(Mutex::new(()))).collect();
    let barrier = Arc::new(Barrier::new(count + 1));
    let handles = (0..count).map(|i| {
        let name = format!("{prefix}-{i}");
        let (first, second) = (locks[i], locks[(i + 1) % count]);
        let then = move || {
            let _second = second.lock();
            done.fetch_add(1, Ordering::SeqCst);
        };
        hold_then(&name, &barrier, || first.lock(), then)
    });
    let handles = handles.collect();
    barrier.wait();
    handles
}

/// Deadlocks `count` threads in a ring under Warn and returns the report,
/// checked to come within about twice the check interval and to name them all.
fn ring_report(setup: &Setup, prefix: &str, count: usize) -> (Deadlock, &'static AtomicUsize) {
    let done = leaked(AtomicUsize::new(0));
    let _detached = ring(prefix, count, done);
    let (found, after) = setup
        .await_first(ViolationKind::Deadlock, 20 * CHECK)
        .expect("the deadlock is reported");
    assert!(after <= 3 * CHECK, "reported after {after:?}");
    let expected: Vec<String> = (0..count).map(|i| format!("{prefix}-{i}")).collect();
    assert_eq!(names(&found), expected);
    let header = format!("lockgraph: deadlock: {count} threads");
    let text = found.to_string();
    assert!(text.starts_with(&header), "{text}");
    let Violation::Deadlock(deadlock) = found else {
        unreachable!()
    };
    // Each thread's backtrace, from where it started waiting, is captured...
    let captured = deadlock
        .threads()
        .iter()
        .filter(|t| t.backtrace().is_some());
    assert_eq!(captured.count(), count, "{text}");
    // ... and printed with a frame of this file (in debug builds: frames name
    // their files only with debug info, which a release build here lacks).
    let frame = |l: &&str| l.trim_start().starts_with("at ") && l.contains("watchdog.rs:");
    if cfg!(debug_assertions) {
        assert!(text.lines().filter(frame).count() >= count, "{text}");
    }
    (deadlock, done)
}

#[test]
fn two_threads_deadlocked_under_warn_are_reported_once_within_twice_the_interval() {
    let setup = Setup::new(Policy::Warn);
    let (_, done) = ring_report(&setup, "warn2", 2);
    thread::sleep(3 * CHECK);
    let reports = setup.seen(ViolationKind::Deadlock).len();
    assert_eq!(reports, 1, "reported once");
    let finished = done.load(Ordering::SeqCst);
    assert_eq!(finished, 0, "under Warn the threads stay blocked");
}

#[test]
fn three_threads_deadlocked_under_warn_are_all_named() {
    let setup = Setup::new(Policy::Warn);
    let (deadlock, _) = ring_report(&setup, "warn3", 3);
    // Each thread waits for the lock the next one holds.
    let threads = deadlock.threads();
    for (i, waiter) in threads.iter().enumerate() {
        let next = &threads[(i + 1) % threads.len()];
        let wanted = waiter.waiting_for().id();
        assert!(next.holds().iter().any(|h| h.lock().id() == wanted));
    }
}

#[test]
fn under_panic_one_thread_of_the_cycle_panics_and_the_others_finish() {
    let setup = Setup::new(Policy::Panic);
    let done = leaked(AtomicUsize::new(0));
    let start = Instant::now();
    let handles = ring("panic3", 3, done);
    while !handles.iter().all(JoinHandle::is_finished) {
        assert!(start.elapsed() < 20 * CHECK, "the deadlock was not broken");
        thread::sleep(Duration::from_millis(5));
    }
    let results: Vec<_> = handles.into_iter().map(JoinHandle::join).collect();
    let panics: Vec<String> = results
        .into_iter()
        .filter_map(Result::err)
        .map(|payload| *payload.downcast::<String>().expect("a report"))
        .collect();
    assert_eq!(panics.len(), 1, "exactly one thread panicked: {panics:?}");
    assert!(
        panics[0].starts_with("lockgraph: deadlock: 3 threads"),
        "{}",
        panics[0]
    );
    assert_eq!(
        done.load(Ordering::SeqCst),
        2,
        "the others finished their work"
    );
    assert_eq!(setup.seen(ViolationKind::Deadlock).len(), 1);
}

#[test]
fn readers_holding_while_a_writer_waits_in_a_cycle() {
    let setup = Setup::new(Policy::Warn);
    let table = leaked(RwLock::named("table", 0));
    let index = leaked(Mutex::named("index", ()));
    let barrier = Arc::new(Barrier::new(4));
    hold_then("reader", &barrier, || table.read(), || drop(index.lock()));
    let forever = || thread::sleep(Duration::from_secs(3600)); // holds, not blocked
    hold_then("idle-reader", &barrier, || table.read(), forever);
    hold_then("writer", &barrier, || index.lock(), || drop(table.write()));
    barrier.wait();
    let (found, _) = setup
        .await_first(ViolationKind::Deadlock, 20 * CHECK)
        .expect("the deadlock is reported");
    assert_eq!(names(&found), ["reader", "writer"]);
    assert!(
        found.to_string().contains("waits to lock \"table\""),
        "{found}"
    );
}

#[test]
fn a_deadlock_in_the_relock_after_unlocked_is_reported() {
    let setup = Setup::new(Policy::Warn);
    let a = leaked(Mutex::named("a", ()));
    let b = leaked(Mutex::named("b", ()));
    let (released, taken) = (Arc::new(Barrier::new(2)), Arc::new(Barrier::new(2)));
    let (r, t) = (Arc::clone(&released), Arc::clone(&taken));
    let body = move || {
        let _b = b.lock();
        let mut guard = a.lock();
        MutexGuard::unlocked(&mut guard, || {
            r.wait(); // the other thread takes `a` now
            t.wait();
        }); // taking `a` back waits for the other thread, which waits for `b`
    };
    thread::Builder::new()
        .name("relocker".into())
        .spawn(body)
        .unwrap();
    hold_then(
        "taker",
        &Arc::new(Barrier::new(1)),
        || (),
        move || {
            released.wait();
            let _a = a.lock();
            taken.wait();
            let _b = b.lock();
        },
    );
    let (found, _) = setup
        .await_first(ViolationKind::Deadlock, 20 * CHECK)
        .expect("the deadlock is reported");
    assert_eq!(names(&found), ["relocker", "taker"]);
}

#[test]
fn a_long_wait_on_a_slow_holder_is_one_long_wait_report() {
    let setup = Setup::new(Policy::Warn);
    let limit = Duration::from_millis(150);
    set_long_wait(Some(limit));
    let lock = Arc::new(Mutex::named("slow", 0));
    let taken = Arc::new(Barrier::new(2));
    let holder = {
        let (lock, taken) = (Arc::clone(&lock), Arc::clone(&taken));
        thread::Builder::new()
            .name("slow-holder".into())
            .spawn(move || {
                let mut guard = lock.lock();
                taken.wait();
                // Long enough that the report (due after `limit`, checked every
                // interval) comes while the lock is still held, even on a busy machine.
                thread::sleep(10 * limit);
                *guard += 1;
            })
    };
    taken.wait();
    let start = Instant::now();
    assert_eq!(*lock.lock(), 1);
    assert!(start.elapsed() >= 3 * limit);
    holder.unwrap().join().unwrap();
    let long = setup.seen_on(&[lock.id()]);
    assert_eq!(long.len(), 1, "one long wait, no deadlock: {long:?}");
    let Violation::LongWait(report) = &long[0] else {
        unreachable!()
    };
    assert!(report.waited() >= limit);
    let text = report.to_string();
    assert!(
        text.contains("held by thread \"slow-holder\": \"slow\" (lock() at"),
        "{text}"
    );
    assert!(text.contains(file!()), "{text}");
}

#[test]
fn heavy_contention_without_deadlock_reports_nothing() {
    let setup = Setup::new(Policy::Warn);
    set_deadlock_check(Some(Duration::from_millis(1))); // check as often as possible
    // One order, outer -> inner -> leaf, taken in every combination.
    let outer = leaked(Mutex::named("outer", 0u64));
    let inner = leaked(RwLock::named("inner", 0u64));
    let leaf = leaked(Mutex::named("leaf", 0u64));
    let threads: Vec<_> = (0..8u64)
        .map(|t| {
            thread::spawn(move || {
                for i in 0..12_500u64 {
                    match (i + t) % 4 {
                        0 => {
                            let _outer = outer.lock();
                            *inner.write() += 1;
                            if i % 500 == 0 {
                                // Long enough for the waiters to publish and check.
                                thread::sleep(Duration::from_millis(3));
                            }
                        }
                        1 => {
                            let read = inner.read();
                            *leaf.lock() += *read;
                        }
                        2 => {
                            let outer = outer.lock();
                            *leaf.lock() += *outer;
                        }
                        _ => *outer.lock() += 1,
                    }
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(*outer.lock() + *inner.read(), 8 * 12_500 / 4 * 2);
    let seen = setup.seen_on(&[outer.id(), inner.id(), leaf.id()]);
    assert!(seen.is_empty(), "{seen:?}");
}

#[test]
fn condvar_waits_and_timed_locks_are_never_reported() {
    let setup = Setup::new(Policy::Warn);
    set_deadlock_check(Some(Duration::from_millis(10)));
    set_long_wait(Some(Duration::from_millis(20)));
    let pair = Arc::new((Mutex::named("flag", false), Condvar::new()));
    let busy = Arc::new(Mutex::named("busy", ()));
    let held = Arc::new(Barrier::new(2));
    let other = {
        let (pair, busy, held) = (Arc::clone(&pair), Arc::clone(&busy), Arc::clone(&held));
        thread::spawn(move || {
            let _busy = busy.lock();
            held.wait();
            // Waits on the condvar while main waits (timed) for `busy`.
            let mut flag = pair.0.lock();
            while !*flag {
                pair.1.wait(&mut flag);
            }
        })
    };
    held.wait();
    let timed = busy.try_lock_for(Duration::from_millis(200));
    assert!(timed.is_none(), "held by the other thread");
    *pair.0.lock() = true;
    pair.1.notify_all();
    other.join().unwrap();
    let seen = setup.seen_on(&[pair.0.id(), busy.id()]);
    assert!(seen.is_empty(), "{seen:?}");
}

#[test]
fn stdsync_locks_deadlocked_under_panic_end_with_one_report() {
    let setup = Setup::new(Policy::Panic);
    let a = leaked(lockgraph::stdsync::Mutex::new(()));
    let b = leaked(lockgraph::stdsync::RwLock::new(()));
    let done = leaked(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(3));
    let first = hold_then(
        "std-a",
        &barrier,
        || a.lock(),
        move || {
            let _b = b.write();
            done.fetch_add(1, Ordering::SeqCst);
        },
    );
    let second = hold_then(
        "std-b",
        &barrier,
        || b.write(),
        move || {
            let _a = a.lock();
            done.fetch_add(1, Ordering::SeqCst);
        },
    );
    barrier.wait();
    let outcomes = [first.join(), second.join()];
    let panicked = outcomes.iter().filter(|o| o.is_err()).count();
    assert_eq!(panicked, 1, "exactly one thread panics out of the deadlock");
    assert_eq!(done.load(Ordering::SeqCst), 1, "the other one finishes");
    let found = setup.seen(ViolationKind::Deadlock);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(names(&found[0]), ["std-a", "std-b"]);
    // The report's unwinding poisoned neither the lock the panicking thread
    // held nor the one it waited for (which it never took) ...
    assert!(!a.is_poisoned() && !b.is_poisoned());
    // ... and left no mark that would take a panic of the program's own for
    // the report's.
    let _ = std::panic::catch_unwind(|| {
        let _a = a.lock().unwrap();
        let _b = b.write().unwrap();
        panic!("the program's own panic");
    });
    assert!(a.is_poisoned() && b.is_poisoned());
}
