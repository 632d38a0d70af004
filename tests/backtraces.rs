//! The stack printed under the earlier edge of a cycle report: it starts at
//! the program's first frame (no frame of lockgraph, of the `backtrace` crate
//! or of std's locking before it) and reaches the caller of the function that
//! took the locks, whether the edge was recorded in the thread's private graph
//! or in the global one, for both flavours, in debug and release builds and
//! whatever `RUST_BACKTRACE` and `RUST_LIB_BACKTRACE` say (the last tests run
//! the others again in child processes with those variables set).
//!
//! Symbol names differ between builds (what is inlined into what) and between
//! manglings (`lockgraph::Mutex<T>::lock` in the legacy one, stable's default;
//! `<lockgraph::Mutex<()>>::lock` in v0, nightly's default since 2025-11): CI
//! runs this file in debug and release builds, and with
//! `RUSTFLAGS="-C symbol-mangling-version=v0"`.
//!
//! The functions whose frames are looked for are `#[inline(never)]`, so that
//! they are frames in release builds too. Each scenario takes its locks at
//! call sites of its own: a stack is kept once per pair of call sites, and
//! the tests run in parallel.

mod common;

use std::hint::black_box;
use std::process::Command;

use common::{on_thread, panic_message};
use lockgraph::Mutex;
use lockgraph::stdsync::Mutex as StdMutex;

/// The two flavours, as the scenarios below use them.
trait Lock: Send + Sync + Sized {
    fn create() -> Self;
    /// Takes the lock alone.
    fn touch(&self);
    /// Takes `b`, then `a` while holding it: the inversion that is reported.
    fn reversed(a: &Self, b: &Self);
}

impl Lock for Mutex<()> {
    fn create() -> Self {
        Mutex::new(())
    }

    fn touch(&self) {
        drop(self.lock());
    }

    fn reversed(a: &Self, b: &Self) {
        drop((b.lock(), a.lock()));
    }
}

impl Lock for StdMutex<()> {
    fn create() -> Self {
        StdMutex::new(())
    }

    fn touch(&self) {
        drop(self.lock());
    }

    fn reversed(a: &Self, b: &Self) {
        drop((b.lock(), a.lock()));
    }
}

// The acquisitions whose stacks the reports show: `a`, then `b` while `a` is
// held. One function, and so one pair of call sites, per scenario and flavour.

#[inline(never)]
fn root_private_in_order(a: &Mutex<()>, b: &Mutex<()>) {
    drop((a.lock(), b.lock()));
}

#[inline(never)]
fn std_private_in_order(a: &StdMutex<()>, b: &StdMutex<()>) {
    drop((a.lock(), b.lock()));
}

#[inline(never)]
fn root_global_in_order(a: &Mutex<()>, b: &Mutex<()>) {
    drop((a.lock(), b.lock()));
}

#[inline(never)]
fn std_global_in_order(a: &StdMutex<()>, b: &StdMutex<()>) {
    drop((a.lock(), b.lock()));
}

/// Makes the edge `a -> b` by calling `in_order`: the caller's frame the
/// stacks must reach.
#[inline(never)]
fn make_first_edge<L>(in_order: fn(&L, &L), a: &L, b: &L) {
    in_order(a, b);
    black_box(());
}

/// Symbol prefixes of frames that are never the program's own.
const NOT_THE_PROGRAM: [&str; 7] = [
    "lockgraph::",
    "backtrace::",
    "std::",
    "core::",
    "alloc::",
    "parking_lot",
    "lock_api::",
];

/// The frames printed under the report's first edge (the function names and
/// places after `at `).
fn first_edge_stack(report: &str) -> Vec<String> {
    let after_edge = report
        .lines()
        .skip_while(|line| !line.contains("first by thread"))
        .skip(1)
        .map(str::trim_start);
    let frames = after_edge.map_while(|line| line.strip_prefix("at ").map(String::from));
    frames.collect()
}

/// Asserts that `functions` appear in the earlier edge's stack in this
/// order, and that no frame before the first of them is lockgraph's, the
/// `backtrace` crate's or std's.
fn assert_own_stack(report: &str, functions: &[&str]) {
    let frames = first_edge_stack(report);
    let mut rest = frames.as_slice();
    for (rank, function) in functions.iter().enumerate() {
        let name = format!("backtraces::{function}");
        let Some(found) = rest.iter().position(|frame| frame.starts_with(&name)) else {
            panic!("no frame of {name} in the stack of the first edge: {report}");
        };
        if rank == 0 {
            let before = &rest[..found];
            let foreign = |frame: &String| {
                let symbol = frame.trim_start_matches(['<', '&']);
                NOT_THE_PROGRAM.iter().any(|p| symbol.starts_with(p))
            };
            assert!(
                !before.iter().any(foreign),
                "frames before {name} that are not the program's: {report}"
            );
        }
        rest = &rest[found + 1..];
    }
}

/// Both edges made on this thread: the first goes into its private graph.
fn private_path<L: Lock>(in_order: fn(&L, &L), in_order_name: &str) {
    let (a, b) = (L::create(), L::create());
    make_first_edge(in_order, &a, &b);
    let report = panic_message(|| L::reversed(&a, &b)).expect("a cycle");
    assert!(report.starts_with(common::CYCLE), "{report}");
    assert_own_stack(&report, &[in_order_name, "make_first_edge", "private_path"]);
}

/// The locks used by several threads first, then the first edge made on
/// another thread: it goes through the global graph.
fn global_path<L: Lock>(in_order: fn(&L, &L), in_order_name: &str) {
    let (a, b) = (L::create(), L::create());
    for user in ["user 1", "user 2"] {
        assert_eq!(on_thread(user, || (a.touch(), b.touch())), None);
    }
    assert_eq!(
        on_thread("first", || make_first_edge(in_order, &a, &b)),
        None
    );
    let report = panic_message(|| L::reversed(&a, &b)).expect("a cycle");
    assert!(report.contains("first by thread \"first\""), "{report}");
    assert_own_stack(&report, &[in_order_name, "make_first_edge"]);
}

/// The scenarios, which the tests at the end run again in child processes.
mod scenarios {
    use super::*;

    #[test]
    fn private_path_root() {
        private_path(root_private_in_order, "root_private_in_order");
    }

    #[test]
    fn private_path_stdsync() {
        private_path(std_private_in_order, "std_private_in_order");
    }

    #[test]
    fn global_path_root() {
        global_path(root_global_in_order, "root_global_in_order");
    }

    #[test]
    fn global_path_stdsync() {
        global_path(std_global_in_order, "std_global_in_order");
    }
}

/// Runs the scenarios again in a child process (this test binary, filtered)
/// with the backtrace variables set as `vars` says (`None`: unset).
fn scenarios_in_child(vars: &[(&str, Option<&str>)]) {
    if std::env::var_os("LOCKGRAPH_BACKTRACES_CHILD").is_some() {
        return; // no grandchildren
    }
    let mut child = Command::new(std::env::current_exe().expect("test binary"));
    child
        .args(["scenarios::", "--test-threads=2"])
        .env("LOCKGRAPH_BACKTRACES_CHILD", "1")
        .env_remove("LOCKGRAPH");
    for (var, value) in vars {
        match value {
            Some(value) => child.env(var, value),
            None => child.env_remove(var),
        };
    }
    let output = child.output().expect("run the child");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "with {vars:?}: {text}");
    assert!(text.contains("4 passed"), "with {vars:?}: {text}");
}

#[test]
fn with_the_backtrace_variables_unset() {
    scenarios_in_child(&[("RUST_BACKTRACE", None), ("RUST_LIB_BACKTRACE", None)]);
}

#[test]
fn with_rust_backtrace_set() {
    scenarios_in_child(&[("RUST_BACKTRACE", Some("1")), ("RUST_LIB_BACKTRACE", None)]);
}

#[test]
fn with_rust_lib_backtrace_set() {
    scenarios_in_child(&[("RUST_BACKTRACE", None), ("RUST_LIB_BACKTRACE", Some("1"))]);
}
