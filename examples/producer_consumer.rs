//! Producers and consumers linked by a bounded queue (a lockgraph `Mutex`
//! around a `VecDeque`, with two `Condvar`s), shut down with a sentinel: once
//! every producer is done, main puts one `Done` per consumer, and each
//! consumer stops at the first `Done` it takes.
//!
//! What travels is moved, never shared by accident: each `Batch` owns its
//! readings (a `Vec` moved into the queue, so the producer cannot touch it
//! afterwards: the compiler refuses), and every batch shares the one
//! immutable `Arc<Calibration>`. Mutable data shared between threads would
//! need a lock of its own; immutable data (behind `Arc`) and data moved or
//! cloned into the message need none, which is why they are the safe things
//! to send.
//!
//! ```text
//! cargo run --example producer_consumer -- --producers 3 --consumers 2 --batches 500 --capacity 4
//! ```

#[path = "recipes/cli.rs"]
mod cli;
#[path = "recipes/queue.rs"]
mod queue;

use std::sync::Arc;
use std::thread;

use queue::Queue;

/// Settings every batch refers to; never changed once made, so sharing them
/// through an `Arc` is safe.
#[derive(Debug)]
struct Calibration {
    offset: i64,
}

/// One message: readings owned by whoever holds the batch.
#[derive(Debug)]
struct Batch {
    readings: Vec<i64>,
    calibration: Arc<Calibration>,
}

/// What the queue carries: a batch, or the sentinel.
#[derive(Debug)]
enum Message {
    Batch(Batch),
    Done,
}

/// What one consumer saw.
#[derive(Debug, Default)]
struct Tally {
    batches: usize,
    sum: i64,
}

fn main() {
    let producers = cli::arg("producers", 3usize);
    let consumers = cli::arg("consumers", 2usize);
    let batches = cli::arg("batches", 500usize);
    let capacity = cli::arg("capacity", 4usize).max(1);
    println!(
        "{producers} producers -> queue of {capacity} -> {consumers} consumers, {batches} batches each"
    );

    let queue = Queue::bounded("batch queue", capacity);
    let calibration = Arc::new(Calibration { offset: 1000 });
    let tallies = thread::scope(|scope| {
        let consumers: Vec<_> = (0..consumers)
            .map(|_| scope.spawn(|| consume(&queue)))
            .collect();
        let producers: Vec<_> = (0..producers)
            .map(|_| {
                let calibration = Arc::clone(&calibration);
                let queue = &queue;
                scope.spawn(move || produce(queue, batches, calibration))
            })
            .collect();
        producers
            .into_iter()
            .for_each(|p| p.join().expect("producer"));
        consumers.iter().for_each(|_| queue.put(Message::Done)); // one sentinel each
        consumers
            .into_iter()
            .map(|c| c.join().expect("consumer"))
            .collect::<Vec<Tally>>()
    });
    report(&tallies, producers, batches, calibration.offset);
    let owners = Arc::strong_count(&calibration);
    println!("every batch has dropped its Arc: the calibration has {owners} owner (main) again");
}

/// Puts `batches` batches on the queue. Each `Vec` is moved into the queue.
fn produce(queue: &Queue<Message>, batches: usize, calibration: Arc<Calibration>) {
    for n in 0..batches {
        let readings: Vec<i64> = (0..4).map(|i| (n * 4 + i) as i64).collect();
        let batch = Batch {
            readings, // moved: `readings` can no longer be used here
            calibration: Arc::clone(&calibration),
        };
        queue.put(Message::Batch(batch));
    }
}

/// Takes batches until the sentinel, summing the calibrated readings.
fn consume(queue: &Queue<Message>) -> Tally {
    let mut tally = Tally::default();
    while let Message::Batch(batch) = queue.get() {
        let offset = batch.calibration.offset;
        tally.sum += batch.readings.iter().map(|r| r + offset).sum::<i64>();
        tally.batches += 1;
    }
    tally
}

/// Prints each consumer's share and checks the totals against the producers.
fn report(tallies: &[Tally], producers: usize, batches: usize, offset: i64) {
    for (c, tally) in tallies.iter().enumerate() {
        println!(
            "  consumer {c}: {} batches, sum {}",
            tally.batches, tally.sum
        );
    }
    let readings = (batches * 4) as i64;
    let per_producer = readings * (readings - 1) / 2 + readings * offset;
    let expected = per_producer * producers as i64;
    let sum: i64 = tallies.iter().map(|t| t.sum).sum();
    let taken: usize = tallies.iter().map(|t| t.batches).sum();
    assert_eq!(
        (taken, sum),
        (producers * batches, expected),
        "lost or doubled batches"
    );
    println!("all {taken} batches arrived exactly once; total {sum} is exact");
}
