//! The bank program of `programs/bank.rs`, on `lockgraph::stdsync`: the only
//! difference from `bank_std.rs` is this `use` line.

use lockgraph::stdsync as sync;

include!("programs/bank.rs");
