//! `proptest::check` returns only once its program's threads are gone,
//! thread-locals and all: a leak checker that runs right after it (libFuzzer's,
//! between two inputs) must not find a thread's state still allocated.
#![cfg(feature = "proptest")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering::SeqCst};

use lockgraph::proptest::{LockKind, Op, Program, check};

/// The system allocator, counting the allocations alive.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards every call to `System` unchanged; only counts them.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(1, SeqCst);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(1, SeqCst);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// The only test of this file: the count is process-wide, and another test
/// running at the same time would move it.
#[test]
fn check_returns_after_the_program_threads_have_ended() {
    // Four threads, each the first to use a lock of its own (a private graph
    // to publish at exit), then one shared by all; in turns, none ever waits.
    let own = |k: usize| vec![Op::Lock(k), Op::Lock(4), Op::UnlockAll, Op::Lock(k)];
    let program = Program {
        kinds: vec![LockKind::Mutex; 5],
        classes: vec![],
        threads: (0..4).map(own).collect(),
        turns: (0..4).flat_map(|k| [k; 4]).collect(),
    };
    // The first runs fill caches that stay (call-site pairs, table capacity).
    for _ in 0..30 {
        check(&program).expect("lockgraph agrees with the model");
    }
    let settled = LIVE.load(SeqCst);
    for run in 0..300 {
        check(&program).expect("lockgraph agrees with the model");
        // A worker whose thread-locals were still being torn down would show
        // here as allocations above `settled` (the scope's join does not wait
        // for that teardown; `check` joins each worker itself).
        let live = LIVE.load(SeqCst);
        assert!(
            live <= settled,
            "run {run}: {live} allocations alive after check(), {settled} after the first runs"
        );
    }
}
