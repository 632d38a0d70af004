//! Bytes -> a multi-thread program on real locks; lockgraph's reports must be
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
