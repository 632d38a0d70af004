//! Bytes -> a multi-thread program on real locks of every kind (the crate
//! root's and `stdsync`'s), with sets of them (`lock_all`, `OrderedSet`,
//! `try_lock_all`) mixing kinds and readers; lockgraph's reports must be
//! the model's verdicts, step by step (known lockgraph bugs tolerated, see
//! `lockgraph::proptest::known_bug`). A hang aborts (after 20 s per step), and
//! any panic other than lockgraph's own reports is a crash.
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
