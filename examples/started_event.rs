//! Waiting for a thread to start: the worker sets an
//! [`Event`](event::Event) (a lockgraph `Mutex<bool>` and `Condvar`) once it
//! has started, and the main thread waits on it, so "countdown is running" is
//! always printed after "countdown starting", however the threads are
//! scheduled. Each round records both lines in a shared log (a lockgraph
//! `Mutex<Vec<_>>`) and checks their order.
//!
//! ```text
//! cargo run --example started_event -- --rounds 50 --from 3
//! ```

#[path = "recipes/cli.rs"]
mod cli;
#[path = "recipes/event.rs"]
mod event;

use std::sync::Arc;
use std::thread;

use lockgraph::Mutex;

use event::Event;

/// The lines each round prints, in the order they must appear.
const STARTING: &str = "countdown starting";
const RUNNING: &str = "countdown is running";

fn main() {
    let rounds = cli::arg("rounds", 20usize);
    let from = cli::arg("from", 3u32);
    for round in 0..rounds {
        let log = run_round(from, round < 2);
        let starting = position(&log, STARTING);
        let running = position(&log, RUNNING);
        assert!(starting < running, "round {round}: {log:?}");
    }
    println!("{rounds} rounds: \"{RUNNING}\" always came after \"{STARTING}\"");
}

/// One round: start the countdown, wait for its started event, say so, join.
/// Returns the log of lines; prints them when `verbose`.
fn run_round(from: u32, verbose: bool) -> Vec<String> {
    let log = Arc::new(Mutex::named("log", Vec::new()));
    let started = Arc::new(Event::named("started"));
    let say = {
        let log = Arc::clone(&log);
        move |line: String| {
            if verbose {
                println!("  {line}");
            }
            log.lock().push(line);
        }
    };
    let worker = {
        let (say, started) = (say.clone(), Arc::clone(&started));
        thread::spawn(move || countdown(from, &started, say))
    };
    started.wait();
    say(RUNNING.to_owned());
    worker.join().expect("the countdown never panics");
    log.lock().clone()
}

/// The worker: announces itself, sets `started`, then counts down.
fn countdown(from: u32, started: &Event, say: impl Fn(String)) {
    say(STARTING.to_owned());
    started.set();
    for n in (1..=from).rev() {
        say(format!("T-minus {n}"));
    }
}

/// Where `line` appears in `log`.
fn position(log: &[String], line: &str) -> usize {
    log.iter()
        .position(|logged| logged == line)
        .unwrap_or_else(|| panic!("{line:?} is missing from {log:?}"))
}
