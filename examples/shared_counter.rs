//! A counter shared by many threads, protected by a lockgraph `Mutex`.
//! Each increment is done twice over: once with an explicit guard released by
//! `drop`, once with a guard scoped to one expression. Either way the lock is
//! held only for the increment and the final count is exact.
//!
//! ```text
//! cargo run --example shared_counter -- --threads 8 --increments 100000
//! ```

#[path = "recipes/cli.rs"]
mod cli;

use std::thread;

use lockgraph::Mutex;

/// A count that any thread may increment.
struct SharedCounter {
    value: Mutex<u64>,
}

impl SharedCounter {
    const fn new() -> Self {
        SharedCounter {
            value: Mutex::named("counter", 0),
        }
    }

    /// Takes the lock, increments, and releases it explicitly with `drop`.
    fn increment_explicit(&self) {
        let mut value = self.value.lock();
        *value += 1;
        drop(value); // released here, not at the end of the function
    }

    /// The guard lives only for this one expression.
    fn increment_scoped(&self) {
        *self.value.lock() += 1;
    }

    fn get(&self) -> u64 {
        *self.value.lock()
    }
}

/// One way of incrementing the counter.
type Increment = fn(&SharedCounter);

fn main() {
    let threads = cli::arg("threads", 8u64);
    let increments = cli::arg("increments", 20_000u64);
    let counter = SharedCounter::new();
    let styles: [(&str, Increment); 2] = [
        ("explicit guard + drop", SharedCounter::increment_explicit),
        ("scoped guard", SharedCounter::increment_scoped),
    ];
    let mut expected = 0;
    for (style, increment) in styles {
        hammer(&counter, threads, increments, increment);
        expected += threads * increments;
        println!(
            "{style:>22}: {threads} threads x {increments} = count {}",
            counter.get()
        );
        assert_eq!(counter.get(), expected, "lost increments");
    }
    println!("the final count {expected} is exact");
}

/// Runs `threads` threads, each calling `increment` `increments` times.
fn hammer(counter: &SharedCounter, threads: u64, increments: u64, increment: Increment) {
    thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| (0..increments).for_each(|_| increment(counter)));
        }
    });
}
