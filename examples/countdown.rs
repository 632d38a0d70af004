//! Starting and stopping a thread: a countdown runs in its own thread, the
//! main thread asks whether it is still running (`JoinHandle::is_finished`),
//! stops it early through a shared flag, and joins it. A second countdown is
//! left to run to the end.
//!
//! The stop flag is an [`Event`](event::Event) (a lockgraph `Mutex<bool>` and
//! `Condvar`): the countdown waits on it between ticks instead of sleeping, so
//! a stop request is seen at once rather than after the current sleep.
//!
//! ```text
//! cargo run --example countdown -- --from 10 --tick-ms 100 --stop-after-ms 350
//! ```

#[path = "recipes/cli.rs"]
mod cli;
#[path = "recipes/event.rs"]
mod event;

use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use event::Event;

fn main() {
    let from = cli::arg("from", 10u32);
    let tick = Duration::from_millis(cli::arg("tick-ms", 100));
    let stop_after = Duration::from_millis(cli::arg("stop-after-ms", 350));

    println!("-- a countdown from {from}, stopped after {stop_after:?}");
    let stop = Arc::new(Event::named("countdown stop flag"));
    let countdown = spawn_countdown("countdown", from, tick, Arc::clone(&stop));
    thread::sleep(stop_after);
    println!("still running? {}", !countdown.is_finished());
    stop.set();
    let left = countdown.join().expect("the countdown never panics");
    println!("joined: it stopped early with {left} ticks left");

    println!("-- a countdown from 3, left to finish");
    let never = Arc::new(Event::named("second countdown stop flag"));
    let countdown = spawn_countdown("short countdown", 3, tick, never);
    while !countdown.is_finished() {
        thread::sleep(tick / 4); // bounded: the countdown ends after 3 ticks
    }
    println!("finished? {}", countdown.is_finished());
    let left = countdown.join().expect("the countdown never panics");
    assert_eq!(left, 0);
    println!("joined: it ran to the end");
}

/// Starts a thread that counts down from `from`, one number per `tick`, until
/// zero or until `stop` is set; it returns how many ticks were left.
fn spawn_countdown(name: &str, from: u32, tick: Duration, stop: Arc<Event>) -> JoinHandle<u32> {
    let count = move || {
        for left in (1..=from).rev() {
            println!("  T-minus {left}");
            if stop.wait_timeout(tick) {
                println!("  stop requested");
                return left - 1;
            }
        }
        0
    };
    thread::Builder::new()
        .name(name.to_owned())
        .spawn(count)
        .expect("spawn the countdown")
}
