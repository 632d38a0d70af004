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
