//! Recording class graphs to files, and checking them together: lock class
//! cycles whose halves ran in different processes (`cargo test` runs each
//! integration test file as a process of its own, CI runs shards on several
//! machines, a fuzzer runs for days).
//!
//! 1. **Record.** With `LOCKGRAPH_RECORD=DIR` in the environment (or after
//!    [`record_to`]`(DIR)`), every process appends each new class edge of its
//!    class graph (see [`LockClass`](crate::LockClass)) to a file of its own
//!    in `DIR`, as the edge appears: the two classes, the thread, the two
//!    call sites and the program's frames of its backtrace. The file,
//!    `<exe>-<pid>-<nanos>.jsonl`, is created at the process's first class
//!    edge; each line is written in one `write` with nothing buffered, so a
//!    crash or an abort loses nothing recorded before it. The format is JSON
//!    lines, versioned ([`FORMAT`], [`VERSION`]; `docs/record-format.md` in
//!    the repository).
//! 2. **Check.** `lockgraph check DIR...` (the binary of the `cli` feature),
//!    or [`check`] from code, merges every record of the directories (say,
//!    those of several CI shards) and reports every class cycle, naming the
//!    processes and threads that made each edge and where. Its exit status
//!    is 1 when it found a cycle, 0 when not, and 2 on bad input (which it
//!    names by file and line, and skips: the rest is still checked and its
//!    cycles reported).
//!
//! ```sh
//! rm -rf target/lockgraph
//! LOCKGRAPH_RECORD=target/lockgraph cargo test
//! lockgraph check target/lockgraph
//! ```
//!
//! Recording is off unless asked for, and then costs a new class edge one
//! relaxed load. When on, a new class edge (one per pair of classes per
//! process) resolves its backtrace and writes one line, with no lock of the
//! program and none of lockgraph's held. A write that fails (disk full, the
//! directory removed) prints one line on stderr and stops the recording;
//! recording never panics. A process whose class checks are off
//! (`LOCKGRAPH=off`, or `class=off`) records nothing.

mod check;
mod format;
mod writer;

use std::io;
use std::path::Path;

use crate::report::deliver::print_whole;

pub use check::{Checked, MAX_CYCLES, check, check_allowing};
pub use format::{FORMAT, VERSION};
pub(crate) use writer::{on, write};

/// The environment variable naming the directory to record into.
pub const ENV_RECORD: &str = "LOCKGRAPH_RECORD";

/// Records this process's class graph into `dir` from now on (as
/// `LOCKGRAPH_RECORD=dir` does from the start): the class edges known so far
/// at once, then each new one as it appears, into a file of this process's
/// own, created at the first edge. Creates `dir` if needed. Overrides
/// `LOCKGRAPH_RECORD`; a second call switches to its directory.
///
/// # Errors
///
/// If `dir` is empty, or cannot be created, or is not a directory; the
/// recording is then as it was. An error while writing later stops the
/// recording with one line on stderr.
///
/// # Examples
///
/// ```
/// use lockgraph::Mutex;
///
/// let dir = std::env::temp_dir().join(format!("lockgraph-doc-record-{}", std::process::id()));
/// lockgraph::record_to(&dir).unwrap();
/// let (items, log) = (Mutex::named("items", ()), Mutex::named("log", ()));
/// drop((items.lock(), log.lock())); // the class edge items -> log, recorded
///
/// let checked = lockgraph::record::check(&[&dir]);
/// assert_eq!(checked.records(), 1);
/// assert_eq!(checked.exit_code(), 0); // one order: no cycle
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn record_to(dir: impl AsRef<Path>) -> io::Result<()> {
    crate::config::ensure_read();
    writer::start(dir.as_ref())
}

/// Applies `LOCKGRAPH_RECORD` (the settings' first read of the environment):
/// a bad value is reported on one stderr line and leaves recording off.
pub(crate) fn apply_env(value: Option<std::ffi::OsString>) {
    let Some(value) = value else {
        return;
    };
    if let Err(e) = writer::start(Path::new(&value)) {
        print_whole(format!(
            "lockgraph: {ENV_RECORD}={:?} cannot be recorded into ({e}); not recording\n",
            value.to_string_lossy()
        ));
    }
}
