//! A lockgraph report's panic does not poison the `stdsync` locks it unwinds
//! through, so a destructor that takes such a lock with `.unwrap()` does not
//! turn the report into an abort; a panic of the program's own poisons as
//! std's does. Every test builds its own locks; the policy is the default
//! (`Panic`).
//!
//! Without the rule, the first two tests abort this whole binary ("panic in
//! a destructor during cleanup"): that is the failure they guard against.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Barrier;
use std::thread;
use std::time::Duration;

use common::{CYCLE, panic_message};
use lockgraph::stdsync::{Condvar, Mutex, RwLock, TryLockError};

/// Makes `a -> b` known, on another thread.
fn establish_order(a: &Mutex<()>, b: &Mutex<()>) {
    thread::scope(|s| {
        s.spawn(|| drop((a.lock().unwrap(), b.lock().unwrap())));
    });
}

/// Two fresh locks with `a -> b` known: taking `a` while holding `b` panics
/// with a report.
fn inverted_pair() -> (Mutex<()>, Mutex<()>) {
    let (a, b) = (Mutex::named("a", ()), Mutex::named("b", ()));
    establish_order(&a, &b);
    (a, b)
}

/// Takes `b`, then `a`: the report's panic.
fn report(a: &Mutex<()>, b: &Mutex<()>) {
    let _b = b.lock().unwrap();
    let _a = a.lock().unwrap();
    unreachable!("the inversion is reported");
}

/// A library object whose destructor reads the table it registered in, as
/// code that is right about its own locks does.
struct Registered<'a> {
    table: &'a RwLock<Vec<u32>>,
    count: &'a Mutex<u32>,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        let entries = self.table.read().unwrap().len();
        *self.count.lock().unwrap() += entries as u32;
    }
}

#[test]
fn a_destructor_that_takes_locks_held_when_a_report_panicked_does_not_abort() {
    let (a, b) = inverted_pair();
    let (table, count) = (RwLock::named("table", vec![7]), Mutex::named("count", 0));
    let message = panic_message(|| {
        // Dropped after the guards below, during the report's unwinding.
        let _registered = Registered {
            table: &table,
            count: &count,
        };
        let mut entries = table.write().unwrap();
        let mut counted = count.lock().unwrap();
        entries.push(8);
        *counted += 1;
        report(&a, &b);
    });
    let message = message.expect("the report");
    assert!(message.starts_with(CYCLE), "{message}");
    // The destructor ran (it would have aborted on a poisoned lock) ...
    assert_eq!(*count.lock().unwrap(), 3);
    // ... and nothing the report unwound through is poisoned.
    assert!(!table.is_poisoned() && !count.is_poisoned() && !b.is_poisoned());
    assert_eq!(*table.read().unwrap(), [7, 8]);
}

#[test]
fn a_report_on_another_thread_leaves_the_lock_unpoisoned_for_the_next_taker() {
    let (a, b) = inverted_pair();
    let state = Mutex::named("state", 0);
    let config = RwLock::named("config", 0);
    let held = Barrier::new(4);
    thread::scope(|s| {
        let reporter = s.spawn(|| {
            let mut state = state.lock().unwrap();
            let mut config = config.write().unwrap();
            held.wait();
            // Let the others block on the locks: they are taken the moment
            // the unwinding releases them.
            thread::sleep(Duration::from_millis(50));
            (*state, *config) = (1, 1);
            report(&a, &b);
        });
        let waiter = s.spawn(|| {
            held.wait();
            *state.lock().expect("not poisoned by a report")
        });
        let readers = [(); 2].map(|()| {
            s.spawn(|| {
                held.wait();
                *config.read().expect("not poisoned by a report")
            })
        });
        assert!(reporter.join().is_err(), "the report panicked");
        assert_eq!(waiter.join().unwrap(), 1);
        for reader in readers {
            assert_eq!(reader.join().unwrap(), 1);
        }
    });
    assert!(!state.is_poisoned() && !config.is_poisoned());
}

#[test]
fn a_panic_of_the_programs_own_still_poisons_as_std_does() {
    let (mutex, rwlock) = (Mutex::named("mine", 0), RwLock::named("mine too", 0));
    let seen_in_drop = Mutex::new(None);
    struct Check<'a>(&'a Mutex<i32>, &'a Mutex<Option<bool>>);
    impl Drop for Check<'_> {
        fn drop(&mut self) {
            // Not `.unwrap()`: this is std's rule, and it would abort.
            *self.1.lock().unwrap() = Some(self.0.lock().is_err());
        }
    }
    let message = panic_message(|| {
        let _check = Check(&mutex, &seen_in_drop);
        let _m = mutex.lock().unwrap();
        let _w = rwlock.write().unwrap();
        panic!("the program's own panic");
    });
    assert_eq!(message.as_deref(), Some("the program's own panic"));
    assert_eq!(*seen_in_drop.lock().unwrap(), Some(true));
    assert!(mutex.is_poisoned() && rwlock.is_poisoned());
    assert!(mutex.lock().is_err() && rwlock.read().is_err());
}

#[test]
fn poison_that_was_there_before_the_report_stays() {
    let (a, b) = inverted_pair();
    let mutex = Mutex::named("poisoned before", 0);
    let rwlock = RwLock::named("poisoned before too", 0);
    let _ = panic_message(|| {
        let _m = mutex.lock().unwrap();
        let _w = rwlock.write().unwrap();
        panic!("poison them");
    });
    let message = panic_message(|| {
        let _m = mutex
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let _w = match rwlock.try_write() {
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            _ => panic!("poisoned, and free"),
        };
        report(&a, &b);
    });
    assert!(message.expect("the report").starts_with(CYCLE));
    assert!(mutex.is_poisoned() && rwlock.is_poisoned());
}

#[test]
fn once_the_report_is_caught_the_guards_it_did_not_release_poison_as_std_does() {
    let (a, b) = inverted_pair();
    let (outer, other) = (Mutex::named("outer", 0), Mutex::named("other", 0));
    let message = panic_message(|| {
        let _outer = outer.lock().unwrap();
        let other_guard = other.lock().unwrap();
        let caught = panic_message(|| report(&a, &b));
        assert!(caught.expect("the report").starts_with(CYCLE));
        // A guard held across the caught report, released outside a panic:
        // the report's unwinding is over.
        drop(other_guard);
        panic!("the program's own panic, later");
    });
    assert_eq!(message.as_deref(), Some("the program's own panic, later"));
    assert!(outer.is_poisoned(), "the program's panic poisons");
    assert!(!other.is_poisoned());
}

/// A waiter takes `state`, says so, and waits on `ready` until the step is
/// not 0, then runs `after_wait`; once it waits, another thread takes
/// `state`, sets the step to 1, notifies and reports, unwinding through its
/// guard. So the waiter takes the mutex back poisoned by the report.
fn wait_through_a_report<R: Send>(
    state: &Mutex<(bool, u32)>,
    after_wait: impl FnOnce(lockgraph::stdsync::MutexGuard<'_, (bool, u32)>) -> R + Send,
) -> thread::Result<R> {
    let (a, b) = inverted_pair();
    let ready = Condvar::new();
    thread::scope(|s| {
        let waiter = s.spawn(|| {
            let mut guard = state.lock().unwrap();
            guard.0 = true; // released only by the wait
            let guard = ready.wait_while(guard, |(_, step)| *step == 0);
            after_wait(guard.expect("not poisoned by the report"))
        });
        while !state.try_lock().is_ok_and(|guard| guard.0) {
            thread::yield_now();
        }
        let reporter = s.spawn(|| {
            let mut step = state.lock().unwrap();
            step.1 = 1;
            ready.notify_all();
            report(&a, &b); // unwinds through `step`
        });
        assert!(reporter.join().is_err(), "the report panicked");
        waiter.join()
    })
}

#[test]
fn a_condvar_wait_takes_back_a_mutex_a_report_unwound_through() {
    let state = Mutex::named("waited on", (false, 0));
    let step = wait_through_a_report(&state, |guard| guard.1);
    assert_eq!(step.unwrap(), 1);
    // The wait could not clear std's flag; the next taker does.
    assert!(state.lock().is_ok() && !state.is_poisoned());
}

#[test]
fn a_panic_of_the_holders_own_after_a_forgiven_wait_poisons_for_good() {
    let state = Mutex::named("waited on, then panicked", (false, 0));
    let outcome = wait_through_a_report(&state, |_guard| panic!("the waiter's own panic"));
    assert!(outcome.is_err());
    assert!(state.is_poisoned(), "the waiter's panic poisoned it");
    assert!(state.lock().is_err());
}

#[test]
fn get_mut_and_into_inner_see_no_poison_from_a_report() {
    let (a, b) = inverted_pair();
    let (mut mutex, rwlock) = (Mutex::named("owned", 1), RwLock::named("owned too", 2));
    let message = panic_message(|| {
        let _m = mutex.lock().unwrap();
        let _w = rwlock.write().unwrap();
        report(&a, &b);
    });
    assert!(message.expect("the report").starts_with(CYCLE));
    assert_eq!(*mutex.get_mut().unwrap(), 1);
    assert_eq!(rwlock.into_inner().unwrap(), 2);
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let _m = mutex.lock().unwrap();
        panic!("the program's own");
    }));
    assert!(mutex.get_mut().is_err() && mutex.into_inner().is_err());
}
