//! The demo: two threads take two locks in opposite orders, one after the other,
//! so nothing actually deadlocks, and lockgraph reports the inversion anyway.
//!
//! Run with `cargo run --example detect`. It uses the Warn policy, so the report
//! is printed and the program exits 0; under the default Panic policy the second
//! thread would panic at `b -> a`, before it could block.

use std::sync::Arc;
use std::thread;

use lockgraph::{Mutex, Policy};

fn main() {
    lockgraph::set_policy(Policy::Warn);
    let accounts = Arc::new((
        Mutex::named("account a", 100),
        Mutex::named("account b", 50),
    ));

    let pair = Arc::clone(&accounts);
    let first = thread::Builder::new().name("transfer a->b".into());
    first
        .spawn(move || {
            let (a, b) = &*pair;
            let mut from = a.lock();
            let mut to = b.lock(); // records a -> b
            *from -= 10;
            *to += 10;
            println!("transfer a->b done");
        })
        .expect("spawn")
        .join()
        .expect("first thread");

    let pair = Arc::clone(&accounts);
    let second = thread::Builder::new().name("transfer b->a".into());
    second
        .spawn(move || {
            let (a, b) = &*pair;
            let mut from = b.lock();
            let mut to = a.lock(); // b -> a closes the cycle: reported here, before blocking
            *from -= 5;
            *to += 5;
            println!("transfer b->a done");
        })
        .expect("spawn")
        .join()
        .expect("second thread");

    let (a, b) = &*accounts;
    println!("balances: a = {}, b = {}", a.lock(), b.lock());
    println!("lockgraph caught the inversion above although no deadlock happened.");
}
