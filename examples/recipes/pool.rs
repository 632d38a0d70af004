//! A fixed pool of worker threads fed by a shared [`Queue`]: `submit(job)`
//! returns a [`Future`] with a blocking `result()` and `add_done_callback`,
//! and a job that panics reaches its future as a [`JobPanic`], not a crash.
//!
//! Needs `#[path = "recipes/queue.rs"] mod queue;` next to it.

#![allow(dead_code)] // shared by several examples; each uses a part

use std::any::Any;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use lockgraph::{Condvar, Mutex};

use crate::queue::Queue;

/// A job as the workers see it; `None` is the sentinel that stops one worker.
type Job = Option<Box<dyn FnOnce() + Send>>;

/// A fixed number of worker threads taking jobs from one queue.
pub struct Pool {
    jobs: Arc<Queue<Job>>,
    workers: Vec<JoinHandle<()>>,
}

impl Pool {
    /// Starts `workers` threads named `"{name} {i}"`; at most `backlog` jobs
    /// wait in the queue (`submit` blocks beyond that).
    pub fn new(name: &str, workers: usize, backlog: usize) -> Pool {
        let jobs = Arc::new(Queue::bounded("pool jobs", backlog));
        let workers = (0..workers)
            .map(|i| spawn_worker(format!("{name} {i}"), Arc::clone(&jobs)))
            .collect();
        Pool { jobs, workers }
    }

    /// How many worker threads the pool runs.
    pub fn workers(&self) -> usize {
        self.workers.len()
    }

    /// How many submitted jobs no worker has taken yet.
    pub fn pending(&self) -> usize {
        self.jobs.len()
    }

    /// Queues `job` for the next free worker and returns its future.
    pub fn submit<T, F>(&self, job: F) -> Future<T>
    where
        T: Send + Sync + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let future = Future::pending();
        let completion = future.clone();
        self.jobs.put(Some(Box::new(move || {
            completion.complete(catch_unwind(AssertUnwindSafe(job)).map_err(JobPanic::from));
        })));
        future
    }
}

impl Drop for Pool {
    /// Lets queued jobs finish, then stops and joins every worker.
    fn drop(&mut self) {
        for _ in &self.workers {
            self.jobs.put(None);
        }
        for worker in self.workers.drain(..) {
            worker
                .join()
                .expect("a worker never panics: jobs are caught");
        }
    }
}

/// One worker: runs jobs until it takes the sentinel.
fn spawn_worker(name: String, jobs: Arc<Queue<Job>>) -> JoinHandle<()> {
    let run = move || {
        while let Some(job) = jobs.get() {
            job();
        }
    };
    thread::Builder::new()
        .name(name)
        .spawn(run)
        .expect("spawn a pool worker")
}

/// A job that panicked; carries the panic message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobPanic(pub String);

impl From<Box<dyn Any + Send>> for JobPanic {
    fn from(payload: Box<dyn Any + Send>) -> Self {
        let text = match payload.downcast::<String>() {
            Ok(text) => *text,
            Err(payload) => payload
                .downcast::<&str>()
                .map_or("a non-text panic".to_owned(), |text| (*text).to_owned()),
        };
        JobPanic(text)
    }
}

impl fmt::Display for JobPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the job panicked: {}", self.0)
    }
}

impl std::error::Error for JobPanic {}

/// What a job ended with.
pub type Outcome<T> = Result<T, JobPanic>;

/// A function run once the job is done, with its outcome.
type Callback<T> = Box<dyn FnOnce(&Outcome<T>) + Send>;

/// The shared state of one future: its outcome once known, and the callbacks
/// waiting for it.
struct Slot<T> {
    outcome: Option<Arc<Outcome<T>>>,
    callbacks: Vec<Callback<T>>,
}

/// The result of a submitted job, available once a worker has run it.
pub struct Future<T> {
    shared: Arc<(Mutex<Slot<T>>, Condvar)>,
}

impl<T> Clone for Future<T> {
    fn clone(&self) -> Self {
        Future {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Future<T> {
    /// A future whose job has not run yet.
    fn pending() -> Self {
        let slot = Slot {
            outcome: None,
            callbacks: Vec::new(),
        };
        Future {
            shared: Arc::new((Mutex::named("future", slot), Condvar::new())),
        }
    }

    /// Records the outcome, wakes `result()` callers, then runs the callbacks
    /// (outside the lock, so a callback may take any lock it likes).
    fn complete(&self, outcome: Outcome<T>) {
        let (slot, done) = &*self.shared;
        let outcome = Arc::new(outcome);
        let callbacks = {
            let mut slot = slot.lock();
            slot.outcome = Some(Arc::clone(&outcome));
            std::mem::take(&mut slot.callbacks)
        };
        done.notify_all();
        for callback in callbacks {
            run_callback(callback, &outcome);
        }
    }

    /// Whether the job has finished (returned or panicked).
    pub fn done(&self) -> bool {
        self.shared.0.lock().outcome.is_some()
    }

    /// Runs `callback` with the outcome once the job is done: in the worker
    /// that finished it, or right now in this thread if it is already done.
    /// A callback that panics is reported on stderr; the worker goes on.
    pub fn add_done_callback(&self, callback: impl FnOnce(&Outcome<T>) + Send + 'static) {
        let mut slot = self.shared.0.lock();
        match slot.outcome.clone() {
            Some(outcome) => {
                drop(slot);
                run_callback(Box::new(callback), &outcome);
            }
            None => slot.callbacks.push(Box::new(callback)),
        }
    }
}

impl<T: Clone> Future<T> {
    /// Blocks until the job is done and returns its value, or the panic.
    pub fn result(&self) -> Outcome<T> {
        let (slot, done) = &*self.shared;
        let mut slot = slot.lock();
        done.wait_while(&mut slot, |slot| slot.outcome.is_none());
        Outcome::clone(slot.outcome.as_ref().expect("waited until done"))
    }

    /// Like [`result`](Self::result), giving up after `timeout` (`None`).
    pub fn result_timeout(&self, timeout: Duration) -> Option<Outcome<T>> {
        let (slot, done) = &*self.shared;
        let mut slot = slot.lock();
        let deadline = Instant::now() + timeout;
        done.wait_while_until(&mut slot, |slot| slot.outcome.is_none(), deadline);
        slot.outcome.as_deref().cloned()
    }
}

/// Runs one done-callback; a panic in it is printed, not passed on, so that a
/// faulty callback cannot kill a worker.
fn run_callback<T>(callback: Callback<T>, outcome: &Outcome<T>) {
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| callback(outcome))) {
        eprintln!("a done-callback panicked: {}", JobPanic::from(panic).0);
    }
}
