//! The self-test: the server on a free port against many clients at once.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use lockgraph::{Condvar, Mutex};

use crate::client::{self, Behaviour};
use crate::event::Event;
use crate::{IO_TIMEOUT, Server, Stats, WORKERS};

/// Clients that may be connecting or waiting for `accept` at once: fewer than
/// the listen backlog std uses (128), which, overflowing, would reset
/// connections before the server ever saw them.
const CONNECTING: usize = 64;

/// A client's outcome: its behaviour and the bytes it checked, or what went wrong.
type ClientResult = (Behaviour, Result<usize, String>);

/// Runs the server on a free port against `clients` clients; true if every
/// client saw exactly the bytes it sent.
pub fn run(clients: usize) -> bool {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a free port");
    let address = listener.local_addr().expect("the listener's address");
    println!("self-test: {clients} clients against {WORKERS} workers on {address}");
    let started = Instant::now();
    let server = Arc::new(Server::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let permits = Arc::new(Permits::new(CONNECTING));
    let acceptor = spawn_acceptor(
        listener,
        Arc::clone(&server),
        Arc::clone(&stop),
        Arc::clone(&permits),
    );
    let results = run_clients(address, clients, &permits);
    stop.store(true, Ordering::SeqCst);
    let _ = TcpStream::connect_timeout(&address, IO_TIMEOUT); // wakes `accept`
    acceptor.join().expect("the acceptor never panics");
    let server = Arc::into_inner(server).expect("the acceptor is gone");
    let stats = Arc::clone(&server.stats);
    drop(server); // the pool finishes every connection and joins its workers
    summarize(&results, &stats, clients, started.elapsed())
}

/// Accepts connections and hands them to the server until `stop` is set;
/// each accepted connection frees a connect permit.
fn spawn_acceptor(
    listener: TcpListener,
    server: Arc<Server>,
    stop: Arc<AtomicBool>,
    permits: Arc<Permits>,
) -> JoinHandle<()> {
    let accept = move || {
        for stream in listener.incoming() {
            permits.release();
            if stop.load(Ordering::SeqCst) {
                break;
            }
            match stream {
                Ok(stream) => server.serve(stream),
                Err(error) => eprintln!("accept failed: {error}"),
            }
        }
    };
    thread::Builder::new()
        .name("acceptor".into())
        .spawn(accept)
        .expect("spawn the acceptor")
}

/// A counting semaphore (a lockgraph `Mutex<usize>` and a `Condvar`) that
/// bounds how many clients are between `connect` and the server's `accept`.
struct Permits {
    free: Mutex<usize>,
    freed: Condvar,
}

impl Permits {
    fn new(permits: usize) -> Permits {
        Permits {
            free: Mutex::named("connect permits", permits),
            freed: Condvar::new(),
        }
    }

    /// Takes a permit, waiting at most [`IO_TIMEOUT`] for one.
    fn acquire(&self) -> io::Result<()> {
        let deadline = Instant::now() + IO_TIMEOUT;
        let mut free = self.free.lock();
        self.freed
            .wait_while_until(&mut free, |free| *free == 0, deadline);
        if *free == 0 {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "no connect permit"));
        }
        *free -= 1;
        Ok(())
    }

    /// Gives a permit back.
    fn release(&self) {
        *self.free.lock() += 1;
        self.freed.notify_one();
    }
}
/// Starts `clients` clients together (they wait for one start signal) and
/// collects their results.
fn run_clients(address: SocketAddr, clients: usize, permits: &Arc<Permits>) -> Vec<ClientResult> {
    let go = Arc::new(Event::named("start signal"));
    let handles: Vec<_> = (0..clients)
        .map(|index| {
            let (go, permits) = (Arc::clone(&go), Arc::clone(permits));
            let behaviour = Behaviour::of(index);
            let client = move || {
                go.wait();
                let result = permits
                    .acquire() // given back by the acceptor once it accepts us
                    .and_then(|()| client::run(address, index, behaviour));
                (behaviour, result.map_err(|e| e.to_string()))
            };
            thread::Builder::new()
                .name(format!("client {index}"))
                .stack_size(256 * 1024)
                .spawn(client)
                .expect("spawn a client")
        })
        .collect();
    go.set();
    handles
        .into_iter()
        .map(|h| h.join().expect("clients return errors, never panic"))
        .collect()
}
/// Prints what the clients and the server saw; true if every client passed.
fn summarize(results: &[ClientResult], stats: &Stats, clients: usize, took: Duration) -> bool {
    for behaviour in [
        Behaviour::Chat,
        Behaviour::Large,
        Behaviour::HangUp,
        Behaviour::Silent,
    ] {
        let mine = results.iter().filter(|(b, _)| *b == behaviour);
        let passed: Vec<usize> = mine
            .clone()
            .filter_map(|(_, r)| r.as_ref().ok().copied())
            .collect();
        let bytes: usize = passed.iter().sum();
        println!(
            "  {:<7} clients: {:>4} of {:>4} passed, {bytes:>9} echoed bytes checked",
            format!("{behaviour:?}"),
            passed.len(),
            mine.count()
        );
    }
    for (index, (behaviour, result)) in results.iter().enumerate() {
        if let Err(error) = result {
            println!("  client {index} ({behaviour:?}) FAILED: {error}");
        }
    }
    let totals = stats.totals.lock();
    println!(
        "  server: {} connections ({} ended early), {} bytes echoed; peak {} of {WORKERS} workers busy; {} connections waited for a worker",
        totals.connections,
        totals.cut_short,
        totals.bytes,
        stats.peak_busy.load(Ordering::SeqCst),
        stats.waited.load(Ordering::SeqCst),
    );
    let passed = results.iter().all(|(_, r)| r.is_ok()) && totals.connections == clients;
    println!(
        "self-test {} in {took:.2?}",
        if passed { "passed" } else { "FAILED" }
    );
    passed
}
