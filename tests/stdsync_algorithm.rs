//! `stdsync::Mutex` and `Condvar` on std's algorithms (src/trusted/std_mutex.rs):
//! unsized data through the one-word guard (its marks beside a wide pointer),
//! condition variables with many waiters, and no lost wake-ups.

use std::fmt::Debug;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::Duration;

use lockgraph::stdsync::{Arc, Condvar, Mutex, PoisonError, TryLockError};

/// Runs `f` on its own thread and fails if it does not end within `limit`
/// (a lost wake-up hangs rather than fails).
fn within(limit: Duration, f: impl FnOnce() + Send + 'static) {
    let (done, finished) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        f();
        let _ = done.send(());
    });
    match finished.recv_timeout(limit) {
        Ok(()) => worker.join().unwrap(),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            std::panic::resume_unwind(worker.join().unwrap_err())
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("still blocked after {limit:?}"),
    }
}

#[test]
fn an_unsized_slice_mutex_locks_poisons_and_reads_through_marked_guards() {
    let mutex: &Mutex<[u8]> = &Mutex::new([1u8, 2, 3]);
    mutex.lock().unwrap()[1] = 20;
    assert!(matches!(mutex.try_lock(), Ok(guard) if guard.len() == 3));
    {
        let held = mutex.lock().unwrap();
        assert!(matches!(mutex.try_lock(), Err(TryLockError::WouldBlock)));
        assert_eq!(&*held, &[1, 20, 3]);
    }
    // Taken while the thread panics (the guard's PANICKING mark): the data
    // reads through the untagged wide pointer, and its release does not poison.
    struct ReadsOnDrop<'a>(&'a Mutex<[u8]>, &'a mut Vec<u8>);
    impl Drop for ReadsOnDrop<'_> {
        fn drop(&mut self) {
            let mut guard = self.0.lock().unwrap();
            guard[2] += 1;
            self.1.extend_from_slice(&guard);
        }
    }
    let mut seen = Vec::new();
    let unwound = catch_unwind(AssertUnwindSafe(|| {
        let _reads = ReadsOnDrop(mutex, &mut seen);
        panic!("unwinds through the drop");
    }));
    assert!(unwound.is_err());
    assert_eq!(seen, [1, 20, 4]);
    assert!(!mutex.is_poisoned());
    // Held across the panic: poisoned, and the data survives in the error.
    let _ = catch_unwind(|| {
        let mut guard = mutex.lock().unwrap();
        guard[0] = 10;
        panic!("poisons");
    });
    assert!(mutex.is_poisoned());
    let guard = mutex.lock().unwrap_err().into_inner();
    assert_eq!(&*guard, &[10, 20, 4]);
}

#[test]
fn a_trait_object_mutex_locks_through_the_guard() {
    let boxed: Box<Mutex<dyn Debug + Send>> = Box::new(Mutex::new(vec![7u32, 8]));
    assert_eq!(format!("{:?}", boxed.lock().unwrap()), "[7, 8]");
    let shared: Arc<Mutex<dyn Debug + Send>> = Arc::new(Mutex::new(String::from("s")));
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let _guard = shared.lock().unwrap();
        panic!("poisons");
    }));
    let poisoned = shared.lock().unwrap_err();
    assert_eq!(format!("{:?}", *poisoned.get_ref()), "\"s\"");
    drop(poisoned);
    assert!(
        shared
            .try_lock()
            .is_err_and(|e| matches!(e, TryLockError::Poisoned(_)))
    );
}

#[test]
fn notify_all_wakes_every_waiter() {
    const WAITERS: usize = 8;
    within(Duration::from_secs(10), || {
        // (waiting, go): every waiter counts itself in before it sleeps.
        let state = Arc::new((Mutex::new((0usize, false)), Condvar::new(), Condvar::new()));
        let waiters: Vec<_> = (0..WAITERS)
            .map(|_| {
                let state = Arc::clone(&state);
                std::thread::spawn(move || {
                    let (lock, go, counted) = &*state;
                    let mut guard = lock.lock().unwrap();
                    guard.0 += 1;
                    counted.notify_one();
                    let (guard, result) = go
                        .wait_timeout_while(guard, Duration::from_secs(60), |s| !s.1)
                        .unwrap();
                    assert!(!result.timed_out() && guard.1);
                })
            })
            .collect();
        let (lock, go, counted) = &*state;
        let guard = counted
            .wait_while(lock.lock().unwrap(), |s| s.0 < WAITERS)
            .unwrap();
        drop(guard);
        lock.lock().unwrap().1 = true;
        go.notify_all();
        for waiter in waiters {
            waiter.join().unwrap();
        }
    });
}

#[test]
fn every_notify_one_reaches_a_waiter() {
    // Each notification carries one token, and each waiter takes one: a
    // notification lost between a waiter's unlock and its sleep leaves a
    // waiter asleep with a token to take.
    const WAITERS: usize = 6;
    const ROUNDS: usize = 50;
    within(Duration::from_secs(10), || {
        for _ in 0..ROUNDS {
            let pair = Arc::new((Mutex::new(0usize), Condvar::new()));
            let waiters: Vec<_> = (0..WAITERS)
                .map(|_| {
                    let pair = Arc::clone(&pair);
                    std::thread::spawn(move || {
                        let (tokens, cv) = &*pair;
                        let mut guard = cv.wait_while(tokens.lock().unwrap(), |t| *t == 0).unwrap();
                        *guard -= 1;
                    })
                })
                .collect();
            for _ in 0..WAITERS {
                *pair.0.lock().unwrap() += 1;
                pair.1.notify_one();
            }
            for waiter in waiters {
                waiter.join().unwrap();
            }
            assert_eq!(*pair.0.lock().unwrap(), 0);
        }
    });
}

#[test]
fn a_ping_pong_on_one_condvar_loses_no_turn() {
    const TURNS: usize = 5_000;
    within(Duration::from_secs(10), || {
        let pair = Arc::new((Mutex::new(0usize), Condvar::new()));
        let players: Vec<_> = (0..2)
            .map(|me| {
                let pair = Arc::clone(&pair);
                std::thread::spawn(move || {
                    let (turn, cv) = &*pair;
                    let mut guard = turn.lock().unwrap();
                    while *guard < TURNS {
                        guard = cv
                            .wait_while(guard, |t| *t % 2 != me && *t < TURNS)
                            .unwrap();
                        if *guard < TURNS {
                            *guard += 1;
                            cv.notify_one();
                        }
                    }
                })
            })
            .collect();
        for player in players {
            player.join().unwrap();
        }
        assert_eq!(*pair.0.lock().unwrap(), TURNS);
    });
}

#[test]
fn a_contended_mutex_with_sleepers_loses_no_update_and_no_wake_up() {
    const THREADS: usize = 4;
    const ROUNDS: usize = 2_000;
    within(Duration::from_secs(10), || {
        let counter = Arc::new(Mutex::new(0usize));
        let threads: Vec<_> = (0..THREADS)
            .map(|_| {
                let counter = Arc::clone(&counter);
                std::thread::spawn(move || {
                    for round in 0..ROUNDS {
                        let mut guard = counter.lock().unwrap_or_else(PoisonError::into_inner);
                        let read = *guard;
                        if round % 64 == 0 {
                            // Long enough that the others sleep on the mutex.
                            std::thread::sleep(Duration::from_micros(50));
                        }
                        *guard = read + 1;
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(*counter.lock().unwrap(), THREADS * ROUNDS);
    });
}

/// One condition variable with two waiters at once, each waiting with its
/// own mutex, as std's futex condvar allows (parking_lot's panics): a
/// `notify_all` wakes both, each back on its own mutex.
#[test]
fn one_condvar_serves_waiters_on_two_mutexes_at_once() {
    within(Duration::from_secs(20), || {
        let shared = Arc::new((Mutex::new(false), Mutex::new(false), Condvar::new()));
        for _ in 0..100 {
            let (waiting, all_waiting) = mpsc::channel();
            let waiters: Vec<_> = [true, false]
                .into_iter()
                .map(|on_a| {
                    let (shared, waiting) = (Arc::clone(&shared), waiting.clone());
                    std::thread::spawn(move || {
                        let (a, b, ready) = &*shared;
                        let flag = if on_a { a } else { b };
                        let mut set = flag.lock().unwrap();
                        waiting.send(()).unwrap();
                        while !*set {
                            set = ready.wait(set).unwrap();
                        }
                        *set = false;
                    })
                })
                .collect();
            all_waiting.recv().unwrap();
            all_waiting.recv().unwrap();
            let (a, b, ready) = &*shared;
            // Each waiter holds its mutex until it waits: setting a flag
            // under it means the waiter is asleep or has not checked yet.
            *a.lock().unwrap() = true;
            *b.lock().unwrap() = true;
            ready.notify_all();
            for waiter in waiters {
                waiter.join().unwrap();
            }
        }
    });
}
