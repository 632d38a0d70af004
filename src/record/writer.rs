//! Appending this process's class edges to its record file.
//!
//! The file is created at the first class edge (a process that never nests
//! locks of two classes leaves none), named `<exe>-<pid>-<nanos>.jsonl`.
//! Each line is formatted first (backtrace resolved) with no lock held, then
//! written with one `write_all` on an unbuffered file under the recorder's
//! own raw lock: nothing stays in a buffer of this process, so a crash or an
//! abort loses nothing written before it. An I/O error prints one line on
//! stderr and stops the recording; nothing here panics or takes a user lock.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::Mutex as RawMutex;

use super::format::{ClassRepr, EdgeOut, FORMAT, HeaderOut, VERSION};
use crate::class::LockClass;
use crate::graph::dep::{Kind, Kinds};
use crate::report::OrderEdge;
use crate::report::deliver::print_whole;

/// Whether class edges are recorded: the one load a new class edge pays
/// when recording is off. Read and written under the class graph's lock.
static ON: AtomicBool = AtomicBool::new(false);

/// Where the records go, and the file once it is open.
static RECORDER: RawMutex<Option<Recorder>> = RawMutex::new(None);

struct Recorder {
    dir: PathBuf,
    /// The open file, with the process it belongs to (a forked child opens
    /// its own).
    file: Option<(File, u32)>,
}

/// Whether new class edges are to be written (one relaxed load).
#[inline]
pub(crate) fn on() -> bool {
    ON.load(Relaxed)
}

/// Records into `dir` from now on: creates it if needed, then writes the
/// class edges already known, under the class graph's lock so that none is
/// missed or written twice.
pub(crate) fn start(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the directory name is empty",
        ));
    }
    std::fs::create_dir_all(dir)?;
    if !std::fs::metadata(dir)?.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it is not a directory",
        ));
    }
    *RECORDER.lock() = Some(Recorder {
        dir: dir.to_path_buf(),
        file: None,
    });
    let known = crate::class::graph::start_recording(|| ON.store(true, Relaxed));
    write(&known);
    Ok(())
}

/// Writes class edges (each the instance edge that first made it), one line
/// each. Called with no lock held.
pub(crate) fn write(edges: &[OrderEdge]) {
    if edges.is_empty() {
        return;
    }
    let lines: Vec<Vec<u8>> = edges.iter().map(line).collect();
    let mut recorder = RECORDER.lock();
    let Some(rec) = recorder.as_mut() else {
        return;
    };
    let result = rec.file().and_then(|file| {
        lines
            .iter()
            .try_for_each(|line| file.write_all(line))
            .map_err(|e| (e, "cannot write to"))
    });
    if let Err((error, what)) = result {
        let dir = rec.dir.display().to_string();
        *recorder = None;
        ON.store(false, Relaxed);
        drop(recorder);
        print_whole(format!(
            "lockgraph: {what} the record in {dir}: {error}; recording stopped\n"
        ));
    }
}

impl Recorder {
    /// The file of this process, created (with its header) if needed.
    fn file(&mut self) -> Result<&mut File, (io::Error, &'static str)> {
        let pid = std::process::id();
        if self.file.as_ref().is_none_or(|(_, of)| *of != pid) {
            let file = create(&self.dir, pid).map_err(|e| (e, "cannot create a file for"))?;
            self.file = Some((file, pid));
        }
        Ok(&mut self.file.as_mut().expect("just opened").0)
    }
}

/// Creates `<exe>-<pid>-<nanos>.jsonl` in `dir` and writes its header.
fn create(dir: &Path, pid: u32) -> io::Result<File> {
    let exe = exe_name();
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    let mut file = None;
    for attempt in 0u32..100 {
        let suffix = match attempt {
            0 => String::new(),
            n => format!("-{n}"),
        };
        let path = dir.join(format!("{exe}-{pid}-{started}{suffix}.jsonl"));
        let open = OpenOptions::new().append(true).create_new(true).open(&path);
        match open {
            Ok(opened) => {
                file = Some(opened);
                break;
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    let mut file = file.ok_or_else(|| io::Error::other("every file name is taken"))?;
    let header = HeaderOut {
        format: FORMAT,
        version: VERSION,
        exe: &exe,
        pid,
        started,
    };
    let mut line = serde_json::to_vec(&header).map_err(io::Error::other)?;
    line.push(b'\n');
    file.write_all(&line)?;
    Ok(file)
}

/// The executable's file name, with only `[A-Za-z0-9_.-]` kept (others are
/// `_`), for the file name and the header.
fn exe_name() -> String {
    let exe = std::env::current_exe().ok();
    let name = exe
        .as_deref()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .or_else(|| std::env::args().next())
        .unwrap_or_else(|| "process".to_string());
    let name = name.strip_suffix(".exe").unwrap_or(&name);
    name.chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '_' | '.' | '-' => c,
            _ => '_',
        })
        .collect()
}

pub(crate) fn class_repr(class: LockClass) -> ClassRepr {
    match (class.name(), class.site()) {
        (Some(name), _) => ClassRepr::Name(name.to_string()),
        (None, Some(site)) => ClassRepr::Site(site.to_string()),
        (None, None) => ClassRepr::Name(String::new()),
    }
}

/// The line of one class edge, newline included.
fn line(edge: &OrderEdge) -> Vec<u8> {
    let (from, to) = (
        class_repr(LockClass::of(edge.from.origin)),
        class_repr(LockClass::of(edge.to.origin)),
    );
    // The program's frames, as a report prints them ("at f (file:line)").
    let frames: Vec<String> = edge.backtrace.as_ref().map_or_else(Vec::new, |bt| {
        bt.to_string()
            .lines()
            .map(|l| l.trim().strip_prefix("at ").unwrap_or(l.trim()).to_string())
            .filter(|l| !l.is_empty())
            .collect()
    });
    let backtrace_of = match &edge.backtrace {
        Some(bt) if !edge.backtrace_is_own() => Some(bt.thread()),
        _ => None,
    };
    let out = EdgeOut {
        from: &from,
        to: &to,
        thread: &edge.thread,
        from_site: edge.from_site.to_string(),
        to_site: edge.to_site.to_string(),
        backtrace: &frames,
        backtrace_of,
        kinds: (edge.kinds != Kinds::one(Kind::EXCLUSIVE))
            .then(|| edge.kinds.iter().map(Kind::letters).collect()),
    };
    // Serialising strings into a Vec cannot fail.
    let mut line = serde_json::to_vec(&out).unwrap_or_default();
    line.push(b'\n');
    line
}
