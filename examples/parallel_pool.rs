//! The process-pool recipe, done the Rust way: a fixed pool of worker threads
//! (built on lockgraph's `Mutex` and `Condvar`) takes CPU-bound jobs through
//! `submit(job) -> Future`. The main thread collects results with the
//! blocking `result()`, a done-callback reports progress as chunks finish,
//! and the total is checked against a sequential run. A job that panics
//! reaches its future as an error; the pool and the program go on.
//!
//! Threads in one process share memory, so unlike a process pool nothing is
//! pickled: each job owns its range (moved into the closure), and the result
//! comes back through the future.
//!
//! ```text
//! cargo run --example parallel_pool -- --workers 4 --limit 2000000 --chunks 16
//! ```
//! (`--workers` defaults to the available parallelism.)

#[path = "recipes/cli.rs"]
mod cli;
#[path = "recipes/pool.rs"]
mod pool;
#[path = "recipes/queue.rs"]
mod queue;

use std::ops::Range;
use std::panic;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use lockgraph::Mutex;

use pool::{Future, JobPanic, Pool};

/// How long the main thread waits for any one result before giving up.
const RESULT_TIMEOUT: Duration = Duration::from_secs(60);

fn main() {
    let parallelism = thread::available_parallelism().map_or(2, |n| n.get());
    let workers = cli::arg("workers", parallelism).max(1);
    let limit = cli::arg("limit", 400_000u64);
    let chunks = cli::arg("chunks", 16u64).max(1);
    println!("counting primes below {limit} in {chunks} chunks on {workers} workers");

    let pool = Pool::new("prime worker", workers, 64);
    let started = Instant::now();
    let parallel = count_in_pool(&pool, limit, chunks);
    let pool_time = started.elapsed();

    let started = Instant::now();
    let sequential = count_primes(0..limit);
    let sequential_time = started.elapsed();
    println!(
        "pool: {parallel} primes in {pool_time:.2?}; sequential: {sequential} in {sequential_time:.2?}"
    );
    assert_eq!(
        parallel, sequential,
        "the pool and the sequential run disagree"
    );

    show_panicking_job(&pool);
    drop(pool); // stops and joins the workers
    println!("all workers joined");
}

/// Counts primes below `limit` by submitting one job per chunk; a callback
/// prints each chunk as it finishes, `result()` collects the counts.
fn count_in_pool(pool: &Pool, limit: u64, chunks: u64) -> u64 {
    let finished = Arc::new(Mutex::named("chunks finished", 0u64));
    let futures: Vec<Future<u64>> = split(limit, chunks)
        .map(|range| submit_chunk(pool, range, Arc::clone(&finished), chunks))
        .collect();
    futures.iter().map(wait_for).sum()
}

/// Submits one chunk and attaches its progress callback.
fn submit_chunk(
    pool: &Pool,
    range: Range<u64>,
    finished: Arc<Mutex<u64>>,
    chunks: u64,
) -> Future<u64> {
    let label = format!("{:>9}..{:<9}", range.start, range.end);
    let future = pool.submit(move || count_primes(range));
    future.add_done_callback(move |outcome| {
        let mut finished = finished.lock();
        *finished += 1;
        let worker = thread::current().name().unwrap_or("?").to_owned();
        match outcome {
            Ok(count) => println!(
                "  [{:>2}/{chunks}] {label} {count:>6} primes  ({worker})",
                *finished
            ),
            Err(panic) => println!("  [{:>2}/{chunks}] {label} {panic}", *finished),
        }
    });
    future
}

/// The value of a future that must succeed, waiting at most [`RESULT_TIMEOUT`].
fn wait_for(future: &Future<u64>) -> u64 {
    future
        .result_timeout(RESULT_TIMEOUT)
        .expect("a chunk finished in time")
        .expect("counting primes does not panic")
}

/// A job that panics: its future holds the error, the worker survives, and
/// the next job on the same pool runs normally.
fn show_panicking_job(pool: &Pool) {
    println!("submitting a job that panics:");
    let default_hook = panic::take_hook();
    panic::set_hook(Box::new(|info| println!("  the panic hook saw: {info}")));
    let failing: Future<u64> = pool.submit(|| panic!("deliberate failure in a job"));
    let outcome = failing.result_timeout(RESULT_TIMEOUT).expect("the job ran");
    panic::set_hook(default_hook);
    assert_eq!(
        outcome,
        Err(JobPanic("deliberate failure in a job".to_owned()))
    );
    println!("  its future holds: {}", outcome.unwrap_err());
    let after = pool.submit(|| count_primes(0..100));
    assert_eq!(wait_for(&after), 25);
    println!("  the pool still works: 25 primes below 100");
}

/// `0..limit` cut into `chunks` ranges of (nearly) equal length.
fn split(limit: u64, chunks: u64) -> impl Iterator<Item = Range<u64>> {
    let step = limit.div_ceil(chunks).max(1);
    (0..limit)
        .step_by(step as usize)
        .map(move |start| start..(start + step).min(limit))
}

/// How many primes `range` holds (trial division: deliberately CPU-bound).
fn count_primes(range: Range<u64>) -> u64 {
    range.filter(|&n| is_prime(n)).count() as u64
}

fn is_prime(n: u64) -> bool {
    if n < 4 {
        return n >= 2;
    }
    !n.is_multiple_of(2)
        && (3..)
            .step_by(2)
            .take_while(|d| d * d <= n)
            .all(|d| !n.is_multiple_of(d))
}
