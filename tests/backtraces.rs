//! The stack printed under the earlier edge of a cycle report: it starts at
//! the program's first frame (no frame of lockgraph, of the `backtrace` crate
//! or of std's locking before it) and reaches the caller of the function that
//! took the locks, whether the edge was recorded in the thread's private graph
//! or in the global one, for both flavours, in debug and release builds and
//! whatever `RUST_BACKTRACE` and `RUST_LIB_BACKTRACE` say (the last tests run
//! the others again in child processes with those variables set). A stack kept
//! for a pair of call sites and shared with another edge is labelled with the
//! thread it belongs to.
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

use std::cell::RefCell;
use std::hint::black_box;
use std::process::Command;
use std::sync::Once;

use common::{on_thread, panic_message};
use lockgraph::report::OrderEdge;
use lockgraph::stdsync::Mutex as StdMutex;
use lockgraph::{Mutex, Violation, set_handler};

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

#[inline(never)]
fn root_shared_in_order(a: &Mutex<()>, b: &Mutex<()>) {
    drop((a.lock(), b.lock()));
}

#[inline(never)]
fn std_shared_in_order(a: &StdMutex<()>, b: &StdMutex<()>) {
    drop((a.lock(), b.lock()));
}

/// Makes the edge `a -> b` by calling `in_order`: the caller's frame the
/// stacks must reach.
#[inline(never)]
fn make_first_edge<L>(in_order: fn(&L, &L), a: &L, b: &L) {
    in_order(a, b);
    black_box("first edge"); // not the same code as the two below
}

/// What thread "B" runs in [`shared_sites`].
#[inline(never)]
fn for_thread_b<L>(in_order: fn(&L, &L), a: &L, b: &L) {
    in_order(a, b);
    black_box("B"); // merged with the same code elsewhere, its frame could take that name
}

/// What thread "A" runs in [`shared_sites`].
#[inline(never)]
fn for_thread_a<L>(in_order: fn(&L, &L), a: &L, b: &L) {
    in_order(a, b);
    black_box("A");
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

/// Whether a printed frame (`function (file:line)`) is not the program's: by
/// its symbol's path, or, for a function inlined without a path (a build with
/// line tables only), by its source file (lockgraph's, the standard
/// library's, a crate's in Cargo's registry).
fn foreign(frame: &str) -> bool {
    let symbol = frame.trim_start_matches(['<', '&']);
    let file = frame.rsplit_once(" (").map_or("", |(_, place)| place);
    let own_sources = concat!(env!("CARGO_MANIFEST_DIR"), "/src/");
    NOT_THE_PROGRAM.iter().any(|p| symbol.starts_with(p))
        || file.starts_with(own_sources)
        || file.contains("/library/")
        || file.contains("/registry/src/")
}

/// Whether a printed frame is of this test's `function`: its path, or its
/// bare name where it was inlined with line tables only.
fn frame_of(frame: &str, function: &str) -> bool {
    let bare = frame
        .strip_prefix(function)
        .is_some_and(|rest| rest.starts_with([' ', '<']));
    frame.starts_with(&format!("backtraces::{function}")) || bare
}

/// The line that introduces the stack under the report's first edge, if it
/// has one (a stack that is not the edge's own), and that stack's frames
/// (the function names and places after `at `).
fn first_edge_stack(report: &str) -> (Option<String>, Vec<String>) {
    let mut after_edge = report
        .lines()
        .skip_while(|line| !line.contains("first by thread"))
        .skip(1)
        .map(str::trim_start)
        .peekable();
    let label = after_edge
        .next_if(|line| line.starts_with("(stack of"))
        .map(String::from);
    let frames = after_edge.map_while(|line| line.strip_prefix("at ").map(String::from));
    (label, frames.collect())
}

/// Asserts that the earlier edge's stack is its own, that `functions` appear
/// in it in this order, and that no frame before the first of them is
/// lockgraph's, the `backtrace` crate's or std's.
fn assert_own_stack(report: &str, functions: &[&str]) {
    let (label, frames) = first_edge_stack(report);
    assert_eq!(label, None, "the edge's own stack, unlabelled: {report}");
    let mut rest = frames.as_slice();
    for (rank, function) in functions.iter().enumerate() {
        let Some(found) = rest.iter().position(|frame| frame_of(frame, function)) else {
            panic!("no frame of {function} in the stack of the first edge: {report}");
        };
        if rank == 0 {
            let before = &rest[..found];
            assert!(
                !before.iter().any(|frame| foreign(frame)),
                "frames before {function} that are not the program's: {report}"
            );
        }
        rest = &rest[found + 1..];
    }
}

thread_local! {
    /// The violations the handler saw on this thread.
    static SEEN: RefCell<Vec<Violation>> = const { RefCell::new(Vec::new()) };
}

/// The cycle `inversion` panics with (the `Panic` policy): its text, and
/// the earlier edge as the handler saw it. The handler, installed once for
/// the whole binary and never removed, keeps each violation on the thread
/// that found it, so tests running at the same time do not mix theirs up.
fn cycle_of(inversion: impl FnOnce()) -> (String, OrderEdge) {
    static HANDLER: Once = Once::new();
    HANDLER.call_once(|| {
        let keep = |v: &Violation| SEEN.with(|seen| seen.borrow_mut().push(v.clone()));
        set_handler(Some(Box::new(keep)));
    });
    let report = panic_message(inversion).expect("a cycle");
    assert!(report.starts_with(common::CYCLE), "{report}");
    let seen = SEEN.with(|seen| seen.borrow_mut().pop());
    let Some(Violation::Cycle(cycle)) = seen else {
        panic!("the handler saw no cycle: {report}");
    };
    (report, cycle.path()[0].clone())
}

/// Both edges made on this thread: the first goes into its private graph.
fn private_path<L: Lock>(in_order: fn(&L, &L), in_order_name: &str) {
    let (a, b) = (L::create(), L::create());
    make_first_edge(in_order, &a, &b);
    let (report, edge) = cycle_of(|| L::reversed(&a, &b));
    assert!(edge.backtrace_is_own(), "{report}");
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
    let (report, edge) = cycle_of(|| L::reversed(&a, &b));
    assert!(report.contains("first by thread \"first\""), "{report}");
    assert!(edge.backtrace_is_own(), "{report}");
    assert_own_stack(&report, &[in_order_name, "make_first_edge"]);
}

/// Threads "B" and then "A" take locks at the same two lines in the same
/// order, each with locks of its own: the stack of that pair of call sites
/// was captured on "B". The edge reported is "A"'s, so the stack printed
/// under it must say that it is "B"'s.
fn shared_sites<L: Lock>(in_order: fn(&L, &L)) {
    let (p, q) = (L::create(), L::create());
    let (x, y) = (L::create(), L::create());
    assert_eq!(on_thread("B", || for_thread_b(in_order, &p, &q)), None);
    assert_eq!(on_thread("A", || for_thread_a(in_order, &x, &y)), None);
    let (report, edge) = cycle_of(|| L::reversed(&x, &y));
    assert!(report.contains("first by thread \"A\""), "{report}");
    assert_eq!(edge.thread(), "A");
    assert!(!edge.backtrace_is_own(), "{report}");
    assert_eq!(edge.backtrace().map(|b| b.thread()), Some("B"));
    let (label, frames) = first_edge_stack(&report);
    let label = label.unwrap_or_else(|| panic!("B's stack, unlabelled: {report}"));
    assert!(
        label.starts_with("(stack of thread \"B\" when it first took these two lines"),
        "{report}"
    );
    assert!(
        frames.iter().any(|f| frame_of(f, "for_thread_b")),
        "{report}"
    );
    assert!(
        !frames.iter().any(|f| frame_of(f, "for_thread_a")),
        "{report}"
    );
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

    #[test]
    fn a_shared_stack_names_its_thread_root() {
        shared_sites(root_shared_in_order);
    }

    #[test]
    fn a_shared_stack_names_its_thread_stdsync() {
        shared_sites(std_shared_in_order);
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
    assert!(text.contains("6 passed"), "with {vars:?}: {text}");
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
