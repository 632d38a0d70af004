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

use lockgraph::{
    Condvar, Mutex, Policy, RwLock, Violation, ViolationKind, set_deadlock_check, set_handler,
    set_kind_policy, set_long_wait, set_policy,
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
        SEEN.lock().unwrap().clear();
        set_handler(Some(Box::new(|v| SEEN.lock().unwrap().push(v.clone()))));
        Setup { _serial: serial }
    }

    fn seen(&self, kind: ViolationKind) -> Vec<Violation> {
        let seen = SEEN.lock().unwrap();
        seen.iter().filter(|v| v.kind() == kind).cloned().collect()
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

fn leaked<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

/// Spawns `name`: takes `first`, meets the others at `barrier`, then takes `second`.
fn take_in_order(
    name: &str,
    first: &'static Mutex<()>,
    second: &'static Mutex<()>,
    barrier: Arc<Barrier>,
    done: &'static AtomicUsize,
) -> JoinHandle<()> {
    let body = move || {
        let _first = first.lock();
        barrier.wait();
        let _second = second.lock();
        done.fetch_add(1, Ordering::SeqCst);
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
        let next = locks[(i + 1) % count];
        take_in_order(&name, locks[i], next, Arc::clone(&barrier), done)
    });
    let handles = handles.collect();
    barrier.wait();
    handles
}

fn expected_names(prefix: &str, count: usize) -> Vec<String> {
    (0..count).map(|i| format!("{prefix}-{i}")).collect()
}

#[test]
fn two_threads_deadlocked_under_warn_are_reported_once_within_twice_the_interval() {
    let setup = Setup::new(Policy::Warn);
    let done = leaked(AtomicUsize::new(0));
    let _detached = ring("warn2", 2, done);
    let (found, after) = setup
        .await_first(ViolationKind::Deadlock, 20 * CHECK)
        .expect("the deadlock is reported");
    assert!(after <= 3 * CHECK, "reported after {after:?}");
    assert_eq!(names(&found), expected_names("warn2", 2));
    let report = found.to_string();
    assert!(
        report.starts_with("lockgraph: deadlock: 2 threads"),
        "{report}"
    );
    thread::sleep(3 * CHECK);
    assert_eq!(
        setup.seen(ViolationKind::Deadlock).len(),
        1,
        "reported once"
    );
    assert_eq!(
        done.load(Ordering::SeqCst),
        0,
        "under Warn the threads stay blocked"
    );
}

#[test]
fn three_threads_deadlocked_under_warn_are_all_named() {
    let setup = Setup::new(Policy::Warn);
    let done = leaked(AtomicUsize::new(0));
    let _detached = ring("warn3", 3, done);
    let (found, after) = setup
        .await_first(ViolationKind::Deadlock, 20 * CHECK)
        .expect("the deadlock is reported");
    assert!(after <= 3 * CHECK, "reported after {after:?}");
    assert_eq!(names(&found), expected_names("warn3", 3));
    let Violation::Deadlock(deadlock) = &found else {
        unreachable!()
    };
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
    let spawn = |name: &str, body: Box<dyn FnOnce() + Send>| {
        thread::Builder::new()
            .name(name.into())
            .spawn(body)
            .unwrap()
    };
    let b = Arc::clone(&barrier);
    spawn(
        "reader",
        Box::new(move || {
            let _r = table.read();
            b.wait();
            let _i = index.lock(); // held by the writer
        }),
    );
    let b = Arc::clone(&barrier);
    spawn(
        "idle-reader",
        Box::new(move || {
            let _r = table.read();
            b.wait();
            thread::sleep(Duration::from_secs(3600)); // holds, not blocked
        }),
    );
    let b = Arc::clone(&barrier);
    spawn(
        "writer",
        Box::new(move || {
            let _i = index.lock();
            b.wait();
            let _w = table.write(); // waits for both readers
        }),
    );
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
                thread::sleep(4 * limit);
                *guard += 1;
            })
    };
    taken.wait();
    let start = Instant::now();
    assert_eq!(*lock.lock(), 1);
    assert!(start.elapsed() >= 3 * limit);
    holder.unwrap().join().unwrap();
    let long = setup.seen(ViolationKind::LongWait);
    assert_eq!(long.len(), 1, "{long:?}");
    let Violation::LongWait(report) = &long[0] else {
        unreachable!()
    };
    assert!(report.waited() >= limit);
    let text = report.to_string();
    assert!(
        text.contains("held by thread \"slow-holder\": \"slow\" (lock at"),
        "{text}"
    );
    assert!(text.contains(file!()), "{text}");
    assert!(setup.seen(ViolationKind::Deadlock).is_empty());
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
    assert!(
        SEEN.lock().unwrap().is_empty(),
        "{:?}",
        SEEN.lock().unwrap()
    );
    drop(setup);
}

#[test]
fn condvar_waits_and_timed_locks_are_never_reported() {
    let setup = Setup::new(Policy::Panic);
    set_kind_policy(ViolationKind::LongWait, Policy::Panic);
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
    assert!(
        SEEN.lock().unwrap().is_empty(),
        "{:?}",
        SEEN.lock().unwrap()
    );
    drop(setup);
}
