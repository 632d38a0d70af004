//! Actors: each one a thread that owns its state and is reached only through
//! its mailbox (a lockgraph `Mutex` + `Condvar` queue). Shows `send`, the
//! sentinel that closes an actor after the messages before it, and `join`,
//! with two actors:
//!
//! - a printing actor, fed from several threads at once;
//! - a calculator actor that keeps a running total and answers requests that
//!   carry their own reply channel (`std::sync::mpsc`), so callers get an
//!   answer without sharing any state with the actor.
//!
//! ```text
//! cargo run --example actor -- --senders 4 --messages 5 --requests 1000
//! ```

#[path = "recipes/actor.rs"]
mod actor;
#[path = "recipes/cli.rs"]
mod cli;
#[path = "recipes/queue.rs"]
mod queue;

use std::sync::mpsc::{self, Sender};
use std::thread;
use std::time::Duration;

use actor::Actor;

/// How long a caller waits for a reply before calling the actor stuck.
const REPLY_TIMEOUT: Duration = Duration::from_secs(30);

fn main() {
    let senders = cli::arg("senders", 3usize);
    let messages = cli::arg("messages", 4usize);
    let requests = cli::arg("requests", 1000u64);

    printing_actor(senders, messages);
    calculator_actor(requests);
}

/// Several threads send lines to one printer; the printer handles them one at
/// a time, so lines never interleave, and counts what it printed.
fn printing_actor(senders: usize, messages: usize) {
    println!("-- a printing actor, {senders} senders x {messages} messages");
    let (count_tx, count_rx) = mpsc::channel();
    let mut printed = 0usize;
    let printer = Actor::spawn("printer", move |line: String| {
        printed += 1;
        println!("  printer #{printed:<3} {line}");
        count_tx.send(printed).expect("main keeps the receiver");
    });
    thread::scope(|scope| {
        for sender in 0..senders {
            let mailbox = printer.mailbox();
            scope.spawn(move || {
                for n in 0..messages {
                    mailbox.send(format!("hello {n} from sender {sender}"));
                }
            });
        }
    });
    printer.stop(); // the sentinel goes after every message already sent
    let total = count_rx.try_iter().last().unwrap_or(0);
    assert_eq!(total, senders * messages, "the printer missed messages");
    println!("  printer closed and joined after {total} messages");
}

/// A request to the calculator; `Total` carries where to send the answer.
enum Request {
    Add(u64),
    Total(Sender<u64>),
}

/// A calculator actor owns a running total; requests carrying a reply
/// channel read it back.
fn calculator_actor(requests: u64) {
    println!("-- a calculator actor that replies, {requests} additions");
    let mut total = 0u64;
    let calculator = Actor::spawn("calculator", move |request: Request| match request {
        Request::Add(n) => total += n,
        Request::Total(reply) => {
            // The caller may have given up waiting: then nobody needs the answer.
            let _ = reply.send(total);
        }
    });
    for n in 1..=requests {
        calculator.send(Request::Add(n));
        if n % (requests / 4).max(1) == 0 {
            println!(
                "  after adding 1..={n}: total is {}",
                ask_total(&calculator)
            );
        }
    }
    let expected = requests * (requests + 1) / 2;
    assert_eq!(
        ask_total(&calculator),
        expected,
        "the calculator lost additions"
    );
    calculator.stop();
    println!("  calculator closed and joined; final total {expected} is exact");
}

/// Sends a `Total` request with a fresh reply channel and waits for the answer.
fn ask_total(calculator: &Actor<Request>) -> u64 {
    let (reply, answer) = mpsc::channel();
    calculator.send(Request::Total(reply));
    answer
        .recv_timeout(REPLY_TIMEOUT)
        .expect("the calculator answers")
}
