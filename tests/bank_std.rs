//! The bank program of `programs/bank.rs`, on `std::sync`.

use std::sync;

include!("programs/bank.rs");
