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
//! Every socket has read and write timeouts (20 s), so a stuck peer cannot
//! hold a worker for ever; an idle `nc` session is closed after 20 s.
//!
//! ```text
//! cargo run --release --example echo_server -- --self-test 300
//! cargo run --example echo_server -- --port 15000
//! ```

#[path = "../recipes/cli.rs"]
mod cli;
mod client;
#[path = "../recipes/event.rs"]
mod event;
#[path = "../recipes/pool.rs"]
mod pool;
#[path = "../recipes/queue.rs"]
mod queue;
mod self_test;

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use lockgraph::Mutex;

use pool::{Outcome, Pool};

/// Worker threads serving connections: a fixed number, however many connect.
const WORKERS: usize = 128;
/// Accepted connections that may wait for a worker before `accept` pauses.
const BACKLOG: usize = 1024;
/// How long any socket read or write may block (server and clients).
const IO_TIMEOUT: Duration = Duration::from_secs(20);

fn main() {
    if cli::flag("self-test") {
        let clients = cli::arg("self-test", 300usize);
        let passed = self_test::run(clients);
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
