//! Locking inside thread-local destructors: never a panic or an abort.

use lockgraph::Mutex;

static OUTER: Mutex<u32> = Mutex::named("outer", 0);
static INNER: Mutex<u32> = Mutex::named("inner", 0);

struct LocksOnDrop;

impl Drop for LocksOnDrop {
    fn drop(&mut self) {
        let mut outer = OUTER.lock();
        let mut inner = INNER.lock();
        *outer += 1;
        *inner += 1;
    }
}

thread_local! {
    static GUARD: LocksOnDrop = const { LocksOnDrop };
}

#[test]
fn locking_in_a_thread_local_destructor_works() {
    let threads: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(|| {
                GUARD.with(|_| ());
                // Also use lockgraph on the thread, so its state exists and is
                // torn down around the destructor above.
                drop(OUTER.lock());
            })
        })
        .collect();
    for t in threads {
        t.join().expect("no panic in a TLS destructor");
    }
    assert_eq!(*OUTER.lock(), 4);
    assert_eq!(*INNER.lock(), 4);
}

static FIRST: Mutex<()> = Mutex::named("tls first", ());
static SECOND: Mutex<()> = Mutex::named("tls second", ());
/// Per handler call: whether `FIRST`, the lock being taken, was free.
static FIRST_FREE_WHEN_REPORTED: std::sync::Mutex<Vec<bool>> = std::sync::Mutex::new(Vec::new());

struct InvertsOnDrop;

impl Drop for InvertsOnDrop {
    fn drop(&mut self) {
        let _second = SECOND.lock();
        drop(FIRST.lock()); // second -> first again, found in a TLS destructor
    }
}

thread_local! {
    // Touched before the thread's first report: torn down after lockgraph's
    // thread-locals that the first report brings to life.
    static INVERTS: std::cell::RefCell<Option<InvertsOnDrop>> =
        const { std::cell::RefCell::new(None) };
}

/// A cycle found inside a thread-local destructor, once lockgraph's own
/// thread-locals are gone, is still reported with the lock being taken free:
/// a handler that takes that very lock does not hang.
#[test]
fn a_report_in_a_thread_local_destructor_comes_with_the_lock_free() {
    lockgraph::set_policy(lockgraph::Policy::Warn);
    lockgraph::set_handler(Some(Box::new(|_: &lockgraph::Violation| {
        let free = FIRST.try_lock().is_some();
        FIRST_FREE_WHEN_REPORTED.lock().unwrap().push(free);
        drop(FIRST.lock()); // allowed in a handler; hangs if FIRST is taken
    })));
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let worker = std::thread::spawn(|| {
            INVERTS.with(|slot| *slot.borrow_mut() = Some(InvertsOnDrop));
            drop((FIRST.lock(), SECOND.lock())); // first -> second
            let _second = SECOND.lock();
            drop(FIRST.lock()); // second -> first: the first report
        });
        let _ = done.send(worker.join().is_ok());
    });
    let joined = finished.recv_timeout(std::time::Duration::from_secs(20));
    lockgraph::set_handler(None);
    lockgraph::set_policy(lockgraph::Policy::Panic);
    assert_eq!(joined, Ok(true), "the thread hung or panicked");
    let seen = FIRST_FREE_WHEN_REPORTED.lock().unwrap().clone();
    assert_eq!(seen, [true, true], "the handler ran with the lock taken");
}
