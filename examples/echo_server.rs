//! A TCP echo server on 127.0.0.1 whose connections are served by a fixed
//! pool of 128 worker threads (built on lockgraph's `Mutex` and `Condvar`):
//! the recipe's guard against running out of threads when many clients
//! connect at once. Connections beyond 128 wait in the pool's queue (and the
//! kernel's backlog) until a worker is free.
//!
//! - `--self-test N` starts the server on a free port, then N clients at
//!   once (more clients than workers, so some wait): most send messages and
//!   check every echoed byte, some send 1 MiB, some disconnect mid-message,
//!   some send nothing. It prints a summary and exits (status 1 if any
//!   client saw a wrong byte).
//! - Without it, it serves on `--port` (default 15000) until Ctrl-C; try
//!   `nc 127.0.0.1 15000`.
//!
//! Every socket has read and write timeouts, so a stuck peer cannot hold a
//! worker for ever.
//!
//! ```text
//! cargo run --release --example echo_server -- --self-test 300
//! cargo run --example echo_server -- --port 15000
//! ```

#[path = "recipes/cli.rs"]
mod cli;
#[path = "recipes/event.rs"]
mod event;
#[path = "recipes/pool.rs"]
mod pool;
#[path = "recipes/queue.rs"]
mod queue;

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use lockgraph::{Condvar, Mutex};

use event::Event;
use pool::{Outcome, Pool};

/// Worker threads serving connections: a fixed number, however many connect.
const WORKERS: usize = 128;
/// Accepted connections that may wait for a worker before `accept` pauses.
const BACKLOG: usize = 1024;
/// How long any socket read or write may block (server and clients).
const IO_TIMEOUT: Duration = Duration::from_secs(20);
/// Clients that may be connecting or waiting for `accept` at once: fewer than
/// the listen backlog std uses (128), which, overflowing, would reset
/// connections before the server ever saw them.
const CONNECTING: usize = 64;
/// How long a chatting client pauses after each message: long enough that
/// more than [`WORKERS`] connections are open at once.
const CHAT_PAUSE: Duration = Duration::from_millis(100);
/// One MiB, the "large message" of the self-test.
const MIB: usize = 1 << 20;

fn main() {
    if cli::flag("self-test") {
        let clients = cli::arg("self-test", 300usize);
        let passed = self_test(clients);
        std::process::exit(if passed { 0 } else { 1 });
    }
    let port = cli::arg("port", 15000u16);
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).unwrap_or_else(|error| {
        eprintln!("cannot listen on 127.0.0.1:{port}: {error}");
        std::process::exit(1);
    });
    println!("echo server on 127.0.0.1:{port} with {WORKERS} workers; Ctrl-C to stop");
    let server = Server::new(true);
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => server.serve(stream),
            Err(error) => eprintln!("accept failed: {error}"),
        }
    }
}

// ---------------------------------------------------------------- the server

/// Counts kept by the server; totals are updated by each connection's
/// done-callback.
#[derive(Debug, Default)]
struct Totals {
    connections: usize,
    bytes: u64,
    cut_short: usize,
}

/// What the server knows about its load.
#[derive(Debug, Default)]
struct Stats {
    busy: AtomicUsize,
    peak_busy: AtomicUsize,
    waited: AtomicUsize,
    totals: Mutex<Totals>,
}

/// The worker pool and the server's statistics.
struct Server {
    pool: Pool,
    stats: Arc<Stats>,
    verbose: bool,
}

impl Server {
    /// A server with its [`WORKERS`] threads started; `verbose` prints a line
    /// per connection.
    fn new(verbose: bool) -> Server {
        let stats = Arc::new(Stats {
            totals: Mutex::named("server totals", Totals::default()),
            ..Stats::default()
        });
        let pool = Pool::new("echo worker", WORKERS, BACKLOG);
        Server {
            pool,
            stats,
            verbose,
        }
    }

    /// Hands a new connection to the pool; waits if [`BACKLOG`] are queued.
    fn serve(&self, stream: TcpStream) {
        if self.stats.busy.load(Ordering::SeqCst) + self.pool.pending() >= WORKERS {
            self.stats.waited.fetch_add(1, Ordering::SeqCst);
        }
        let peer = stream.peer_addr().map_or("?".to_owned(), |a| a.to_string());
        let stats = Arc::clone(&self.stats);
        let future = self.pool.submit(move || echo(stream, &stats));
        let (stats, verbose) = (Arc::clone(&self.stats), self.verbose);
        future.add_done_callback(move |outcome| record(&stats, &peer, outcome, verbose));
    }
}

/// Adds one finished connection to the totals.
fn record(stats: &Stats, peer: &str, outcome: &Outcome<io::Result<u64>>, verbose: bool) {
    let mut totals = stats.totals.lock();
    totals.connections += 1;
    match outcome {
        Ok(Ok(bytes)) => {
            totals.bytes += bytes;
            if verbose {
                println!("{peer}: echoed {bytes} bytes");
            }
        }
        Ok(Err(error)) => {
            totals.cut_short += 1;
            if verbose {
                println!("{peer}: ended early: {error}");
            }
        }
        Err(panic) => eprintln!("{peer}: {panic}"),
    }
}

/// Echoes everything the peer sends until it closes; returns the byte count.
fn echo(mut stream: TcpStream, stats: &Stats) -> io::Result<u64> {
    let busy = stats.busy.fetch_add(1, Ordering::SeqCst) + 1;
    stats.peak_busy.fetch_max(busy, Ordering::SeqCst);
    let result = copy_back(&mut stream);
    stats.busy.fetch_sub(1, Ordering::SeqCst);
    result
}

/// The echo loop proper.
fn copy_back(stream: &mut TcpStream) -> io::Result<u64> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut buffer = vec![0u8; 64 * 1024];
    let mut echoed = 0u64;
    loop {
        let read = stream.read(&mut buffer)?;
        if read == 0 {
            return Ok(echoed);
        }
        stream.write_all(&buffer[..read])?;
        echoed += read as u64;
    }
}

// ------------------------------------------------------------- the self-test

/// Runs the server on a free port against `clients` clients; true if every
/// client saw exactly the bytes it sent.
fn self_test(clients: usize) -> bool {
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

/// What a client does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Behaviour {
    /// Several messages, each echo checked.
    Chat,
    /// One MiB, written while the echo is read back.
    Large,
    /// Sends part of a message, reads a little, hangs up.
    HangUp,
    /// Connects and closes without sending anything.
    Silent,
}

impl Behaviour {
    /// The behaviour of client number `index`.
    fn of(index: usize) -> Behaviour {
        match index % 25 {
            3 => Behaviour::Large,
            1 | 11 | 21 => Behaviour::HangUp,
            2 | 12 | 22 => Behaviour::Silent,
            _ => Behaviour::Chat,
        }
    }
}

/// A client's outcome: its behaviour and the bytes it checked, or what went wrong.
type ClientResult = (Behaviour, Result<usize, String>);

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
                let result = run_client(address, index, behaviour, &permits);
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

/// Connects and behaves as told; returns how many echoed bytes it checked.
fn run_client(
    address: SocketAddr,
    index: usize,
    behaviour: Behaviour,
    permits: &Permits,
) -> io::Result<usize> {
    permits.acquire()?; // given back by the acceptor once it accepts us
    let mut stream = TcpStream::connect_timeout(&address, IO_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    match behaviour {
        Behaviour::Chat => chat(&mut stream, index),
        Behaviour::Large => large(stream, index),
        Behaviour::HangUp => hang_up(stream, index),
        Behaviour::Silent => silent(stream),
    }
}

/// The byte at `offset` of message `message` of client `index`.
fn pattern(index: usize, message: usize, offset: usize) -> u8 {
    (index.wrapping_mul(31) ^ message.wrapping_mul(17) ^ offset.wrapping_mul(7) ^ (offset >> 8))
        as u8
}

/// Message `message` of client `index`, `len` bytes long.
fn message_bytes(index: usize, message: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|offset| pattern(index, message, offset))
        .collect()
}

/// Reads exactly `expected.len()` bytes and checks each one.
fn expect_echo(stream: &mut TcpStream, expected: &[u8]) -> io::Result<usize> {
    let mut echoed = vec![0u8; expected.len()];
    stream.read_exact(&mut echoed)?;
    match echoed.iter().zip(expected).position(|(a, b)| a != b) {
        None => Ok(expected.len()),
        Some(at) => Err(io::Error::other(format!("wrong byte at offset {at}"))),
    }
}

/// Closes the sending side and checks that the server then closes too.
fn expect_close(stream: &mut TcpStream) -> io::Result<()> {
    stream.shutdown(Shutdown::Write)?;
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest)?;
    if rest.is_empty() {
        Ok(())
    } else {
        Err(io::Error::other(format!("{} unexpected bytes", rest.len())))
    }
}

/// Three messages of 1 to 16 KiB, each echo checked, with pauses of
/// [`CHAT_PAUSE`] so that connections overlap and some clients wait for a worker.
fn chat(stream: &mut TcpStream, index: usize) -> io::Result<usize> {
    let mut checked = 0;
    for message in 0..3 {
        let len = 1 + (index * 7919 + message * 131) % (16 * 1024);
        let bytes = message_bytes(index, message, len);
        stream.write_all(&bytes)?;
        checked += expect_echo(stream, &bytes)?;
        thread::sleep(CHAT_PAUSE);
    }
    expect_close(stream)?;
    Ok(checked)
}

/// One MiB, written by a second thread while this one reads the echo (with
/// one thread doing both, both sides' buffers would fill and stall).
fn large(mut stream: TcpStream, index: usize) -> io::Result<usize> {
    let bytes = Arc::new(message_bytes(index, 0, MIB));
    let mut writer = stream.try_clone()?;
    let to_send = Arc::clone(&bytes);
    let sender = thread::spawn(move || {
        writer.write_all(&to_send)?;
        writer.shutdown(Shutdown::Write)
    });
    let checked = expect_echo(&mut stream, &bytes);
    sender
        .join()
        .expect("the writer returns errors, never panics")?;
    let checked = checked?;
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest)?;
    if !rest.is_empty() {
        return Err(io::Error::other("bytes after the echo"));
    }
    Ok(checked)
}

/// Sends 32 KiB of a longer message, checks the first KiB of the echo, and
/// hangs up without reading the rest (the server sees the connection reset).
fn hang_up(mut stream: TcpStream, index: usize) -> io::Result<usize> {
    let bytes = message_bytes(index, 0, 32 * 1024);
    stream.write_all(&bytes)?;
    let checked = expect_echo(&mut stream, &bytes[..1024])?;
    drop(stream);
    Ok(checked)
}

/// Connects, sends nothing, closes; the server must close its side too.
fn silent(mut stream: TcpStream) -> io::Result<usize> {
    expect_close(&mut stream)?;
    Ok(0)
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
