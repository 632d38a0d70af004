//! Bytes -> a lock-order program (every lock kind, mixed sets with readers,
//! `try_lock_all`); after every step, the real lock-order graph
//! must equal the model's edge set (only live locks have edges, no cycle).
#![no_main]

use libfuzzer_sys::fuzz_target;
use lockgraph::proptest::{Program, check_graph};

mod reports;

fuzz_target!(|data: &[u8]| {
    reports::expect_lockgraph_panics();
    let program = Program::from_bytes(data);
    if let Err(disagreement) = check_graph(&program) {
        panic!("{disagreement}");
    }
});
