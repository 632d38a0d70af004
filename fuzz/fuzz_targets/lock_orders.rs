//! Bytes -> a multi-thread program on real locks of every kind (the crate
//! root's and `stdsync`'s) and of up to three classes, with sets of them
//! (`lock_all`, `OrderedSet`, `try_lock_all`) mixing kinds and readers;
//! lockgraph's reports, class cycles among them, must be the model's
//! verdicts, step by step. A hang aborts (after 20 s per step), and any panic
//! other than lockgraph's own reports is a crash.
//!
//! Each run of a program of several classes leaves its classes and their
//! edges in the process-wide class graph, which is never pruned: a fuzzing
//! process grows with the number of inputs it runs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lockgraph::proptest::{Program, check};

mod reports;

fuzz_target!(|data: &[u8]| {
    reports::expect_lockgraph_panics();
    let program = Program::from_bytes(data);
    if let Err(disagreement) = check(&program) {
        panic!("{disagreement}");
    }
});
