// Scenarios written against `std::sync`, included by `stdsync_differential.rs`
// once with `use std::sync;` and once with `use lockgraph::stdsync as sync;`.
// Each returns what a program can observe, so the two runs can be compared.

use std::panic::catch_unwind;
use std::thread;
use std::time::Duration;

use sync::atomic::{AtomicUsize, Ordering};
use sync::{
    Arc, Barrier, Condvar, LazyLock, Mutex, Once, OnceLock, PoisonError, RwLock, TryLockError,
};

/// What a `try_*` call returned, as data.
#[derive(Debug, PartialEq, Eq)]
pub enum TryOutcome {
    Acquired(i32),
    WouldBlock,
    Poisoned(i32),
}

fn try_outcome<G: std::ops::Deref<Target = i32>>(
    result: Result<G, TryLockError<G>>,
) -> TryOutcome {
    match result {
        Ok(guard) => TryOutcome::Acquired(*guard),
        Err(TryLockError::WouldBlock) => TryOutcome::WouldBlock,
        Err(TryLockError::Poisoned(poisoned)) => TryOutcome::Poisoned(*poisoned.into_inner()),
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload.downcast::<&str>().map(|s| s.to_string()).unwrap_or_default(),
    }
}

/// Counters behind a Mutex and an RwLock, updated by 8 threads.
pub fn normal_use() -> (u64, Vec<u32>, bool) {
    let counter = Arc::new(Mutex::new(0u64));
    let log = Arc::new(RwLock::new(Vec::new()));
    let threads: Vec<_> = (0..8u32)
        .map(|i| {
            let (counter, log) = (Arc::clone(&counter), Arc::clone(&log));
            thread::spawn(move || {
                for _ in 0..500 {
                    *counter.lock().unwrap() += 1;
                }
                log.write().unwrap().push(i);
                log.read().unwrap().contains(&i)
            })
        })
        .collect();
    let all_seen_their_own = threads.into_iter().all(|t| t.join().unwrap());
    let mut log = Arc::try_unwrap(log).unwrap().into_inner().unwrap();
    log.sort();
    let mut counter = Arc::try_unwrap(counter).unwrap();
    *counter.get_mut().unwrap() += 1;
    (counter.into_inner().unwrap(), log, all_seen_their_own)
}

/// A panic while holding poisons (Mutex, RwLock write); a panic while reading
/// does not; the value survives in the error.
pub fn panic_while_holding_poisons() -> Vec<(bool, bool, i32)> {
    let mutex = Arc::new(Mutex::new(1));
    let rw_written = Arc::new(RwLock::new(2));
    let rw_read = Arc::new(RwLock::new(3));
    let (m, w, r) = (Arc::clone(&mutex), Arc::clone(&rw_written), Arc::clone(&rw_read));
    let joined = thread::spawn(move || {
        let _m = m.lock().unwrap();
        let _w = w.write().unwrap();
        let _r = r.read().unwrap();
        panic!("boom");
    })
    .join();
    assert!(joined.is_err());
    // One statement per acquisition: a guard kept alive by a temporary until
    // the end of a longer expression would make the next `lock` a self-deadlock.
    let mutex_err = mutex.lock().is_err();
    let mutex_value = *mutex.lock().unwrap_or_else(PoisonError::into_inner);
    let written_err = rw_written.read().is_err();
    let written_value = **rw_written.write().unwrap_err().get_ref();
    let read_err = rw_read.write().is_err();
    let read_value = *rw_read.read().unwrap();
    vec![
        (mutex.is_poisoned(), mutex_err, mutex_value),
        (rw_written.is_poisoned(), written_err, written_value),
        (rw_read.is_poisoned(), read_err, read_value),
    ]
}

/// A guard taken while its thread is already panicking (in a destructor that
/// the unwinding runs) does not poison when that panic releases it; one taken
/// before the panic does. Also for a write guard, and for a lock taken the
/// same way but released by a panic of its own inside the destructor.
pub fn guards_taken_during_unwinding() -> Vec<bool> {
    struct TakesOnDrop<'a>(&'a Mutex<i32>, &'a RwLock<i32>);
    impl Drop for TakesOnDrop<'_> {
        fn drop(&mut self) {
            // Taken and released while the thread panics: no poison.
            *self.0.lock().unwrap() += 1;
            *self.1.write().unwrap() += 1;
        }
    }
    let (during, during_rw, before) = (Mutex::new(0), RwLock::new(0), Mutex::new(0));
    let _ = catch_unwind(|| {
        let _before = before.lock().unwrap();
        let _takes = TakesOnDrop(&during, &during_rw);
        panic!("unwinds through both");
    });
    vec![
        during.is_poisoned(),
        during_rw.is_poisoned(),
        before.is_poisoned(),
        *during.lock().unwrap() == 1,
    ]
}

/// `get_mut` and `into_inner` report poisoning too; `clear_poison` clears it.
pub fn clear_poison() -> Vec<bool> {
    let mutex = Mutex::new(vec![1]);
    let rwlock = RwLock::new(0);
    let _ = catch_unwind(|| {
        let _m = mutex.lock().unwrap();
        let _w = rwlock.write().unwrap();
        panic!("poison both");
    });
    let mut observed = vec![mutex.is_poisoned(), rwlock.is_poisoned()];
    mutex.clear_poison();
    observed.extend([mutex.is_poisoned(), mutex.lock().is_ok(), rwlock.try_read().is_err()]);
    rwlock.clear_poison();
    observed.extend([rwlock.is_poisoned(), rwlock.try_write().is_ok()]);
    let mut poisoned_again = Mutex::new(5);
    let _ = catch_unwind(|| {
        let _m = poisoned_again.lock().unwrap();
        panic!("again");
    });
    observed.push(poisoned_again.get_mut().is_err());
    observed.push(poisoned_again.into_inner().unwrap_or_else(PoisonError::into_inner) == 5);
    observed
}

/// `try_lock` and friends on held locks, from this thread and another.
pub fn try_lock_on_held_locks() -> Vec<TryOutcome> {
    let mutex = Mutex::new(1);
    let rwlock = RwLock::new(2);
    let mut outcomes = Vec::new();
    {
        let _held = mutex.lock().unwrap();
        outcomes.push(try_outcome(mutex.try_lock()));
        thread::scope(|s| {
            outcomes.push(s.spawn(|| try_outcome(mutex.try_lock())).join().unwrap());
        });
    }
    {
        let _writing = rwlock.write().unwrap();
        outcomes.push(try_outcome(rwlock.try_read()));
        outcomes.push(try_outcome(rwlock.try_write()));
    }
    {
        let _reading = rwlock.read().unwrap();
        outcomes.push(try_outcome(rwlock.try_write()));
        thread::scope(|s| {
            outcomes.push(s.spawn(|| try_outcome(rwlock.try_read())).join().unwrap());
        });
    }
    let _ = catch_unwind(|| {
        let _m = mutex.lock().unwrap();
        panic!("poison");
    });
    outcomes.push(try_outcome(mutex.try_lock()));
    outcomes.push(try_outcome(rwlock.try_write()));
    outcomes
}

/// Condvar waits that time out, one that is notified, and a wait on a
/// poisoned mutex.
pub fn condvar_timeouts() -> Vec<(bool, i32)> {
    let pair = Arc::new((Mutex::new(0), Condvar::new()));
    let (lock, cvar) = &*pair;
    let mut observed = Vec::new();
    let (guard, result) = cvar.wait_timeout(lock.lock().unwrap(), Duration::from_millis(20)).unwrap();
    observed.push((result.timed_out(), *guard));
    let (guard, result) = cvar
        .wait_timeout_while(guard, Duration::from_millis(20), |v| *v == 0)
        .unwrap();
    observed.push((result.timed_out(), *guard));
    drop(guard);
    let notifier = {
        let pair = Arc::clone(&pair);
        thread::spawn(move || {
            *pair.0.lock().unwrap() = 7;
            pair.1.notify_all();
        })
    };
    let (guard, result) = cvar
        .wait_timeout_while(lock.lock().unwrap(), Duration::from_secs(30), |v| *v == 0)
        .unwrap();
    observed.push((result.timed_out(), *guard));
    let guard = cvar.wait_while(guard, |v| *v != 7).unwrap();
    observed.push((false, *guard));
    drop(guard);
    notifier.join().unwrap();
    let _ = catch_unwind(|| {
        let _g = lock.lock().unwrap();
        panic!("poison the condvar's mutex");
    });
    let guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
    let waited = cvar.wait_timeout(guard, Duration::from_millis(1));
    observed.push((waited.is_err(), *waited.unwrap_or_else(PoisonError::into_inner).0));
    observed
}

/// 8 threads race to initialise one OnceLock; one initialiser runs.
pub fn once_lock_race() -> (usize, Vec<usize>, bool, Option<usize>) {
    let cell = Arc::new(OnceLock::new());
    let runs = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let (cell, runs, start) = (Arc::clone(&cell), Arc::clone(&runs), Arc::clone(&start));
            thread::spawn(move || {
                start.wait();
                *cell.get_or_init(|| {
                    runs.fetch_add(1, Ordering::SeqCst);
                    thread::sleep(Duration::from_millis(5));
                    100 + i
                })
            })
        })
        .collect();
    let values: Vec<usize> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let first = values[0];
    let same: Vec<usize> = values.iter().map(|&v| usize::from(v == first)).collect();
    let rejected = cell.set(0).is_err();
    let mut cell = Arc::try_unwrap(cell).unwrap();
    let taken = cell.take().map(|v| usize::from(v == first));
    (runs.load(Ordering::SeqCst), same, rejected, taken)
}

/// A LazyLock whose initialiser panics is poisoned: every later access panics.
pub fn lazy_lock_panicking_initialiser() -> Vec<String> {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let lazy: LazyLock<u32> = LazyLock::new(|| {
        CALLS.fetch_add(1, Ordering::SeqCst);
        panic!("initialiser failed")
    });
    let mut observed = Vec::new();
    for _ in 0..2 {
        let result = catch_unwind(|| *lazy);
        observed.push(panic_message(result.unwrap_err()));
    }
    observed.push(format!("calls: {}", CALLS.load(Ordering::SeqCst)));
    observed.push(format!("get: {:?}", LazyLock::get(&lazy)));
    let working = LazyLock::new(|| 41);
    observed.push(format!("{} {}", *working + 1, LazyLock::get(&working).is_some()));
    observed
}

/// Once: a panicking call poisons; call_once_force sees it and completes.
pub fn once_poisoning() -> Vec<String> {
    let once = Once::new();
    let mut observed = Vec::new();
    let first = catch_unwind(|| once.call_once(|| panic!("first")));
    observed.push(panic_message(first.unwrap_err()));
    observed.push(format!("{}", once.is_completed()));
    let second = catch_unwind(|| once.call_once(|| {}));
    observed.push(format!("{}", second.is_err()));
    once.call_once_force(|state| observed.push(format!("poisoned: {}", state.is_poisoned())));
    observed.push(format!("{}", once.is_completed()));
    once.call_once(|| observed.push("never".into()));
    once.wait();
    observed
}

/// A downgraded write guard lets other readers in, not writers.
pub fn downgrade() -> Vec<TryOutcome> {
    use sync::RwLockWriteGuard;

    let lock = RwLock::new(1);
    let mut writing = lock.write().unwrap();
    *writing = 2;
    let reading = RwLockWriteGuard::downgrade(writing);
    let mut outcomes = Vec::new();
    thread::scope(|s| {
        outcomes.push(s.spawn(|| try_outcome(lock.try_read())).join().unwrap());
        outcomes.push(s.spawn(|| try_outcome(lock.try_write())).join().unwrap());
    });
    drop(reading);
    outcomes.push(try_outcome(lock.try_write()));
    outcomes
}

/// A write guard taken before a panic and downgraded while that panic
/// unwinds: the exclusive hold ends during the unwinding, which poisons the
/// lock (as a release would); one taken during the unwinding does not.
pub fn downgrade_during_unwinding() -> Vec<bool> {
    use sync::RwLockWriteGuard;

    struct DowngradesOnDrop<'a>(Option<RwLockWriteGuard<'a, i32>>, &'a RwLock<i32>);
    impl Drop for DowngradesOnDrop<'_> {
        fn drop(&mut self) {
            if let Some(writing) = self.0.take() {
                drop(RwLockWriteGuard::downgrade(writing));
            }
            let during = self.1.write().unwrap();
            drop(RwLockWriteGuard::downgrade(during));
        }
    }
    let (before, during) = (RwLock::new(0), RwLock::new(0));
    let _ = catch_unwind(|| {
        let _downgrades = DowngradesOnDrop(Some(before.write().unwrap()), &during);
        panic!("unwinds through the downgrades");
    });
    vec![before.is_poisoned(), during.is_poisoned()]
}
