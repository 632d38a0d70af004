//! Which frames of a captured stack a report prints: the program's.
//!
//! A stack is captured deep inside lockgraph (the `backtrace` crate's frames,
//! lockgraph's, a hash map's, a lock's), and below the program's frames lie
//! the runtime's (thread start, the test harness). A report prints from the
//! first frame that belongs to none of the crates lockgraph is built on, up
//! to [`BACKTRACE_FRAMES`] frames and not past the runtime's, leaving out the
//! standard library's frames (closure shims) in between.
//!
//! Frames are told apart by the paths of their symbols, never by position:
//! what is inlined into what, and so which frames exist at all, differs
//! between debug and release builds. A symbol's path is read as the
//! demangler writes it in both manglings: `krate::f`, `krate::Type<T>::f`,
//! `<krate::Type<T>>::f`, `<krate::Type as other::Trait>::f`. An inlined
//! function built with line tables only (`debug = "line-tables-only"`) has
//! no path, only its name (`record`, `or_insert_with<K, V>`): its source
//! file tells whose it is (lockgraph's sources, the standard library's, or
//! a machinery crate's directory in Cargo's registry).

use std::fmt::{self, Formatter};
use std::path::Path;

use super::CapturedBacktrace;

/// Frames shown per backtrace, counted from the program's first frame.
const BACKTRACE_FRAMES: usize = 8;

/// Path prefixes of the code a stack passes through between the program and
/// the capture: lockgraph, the crates it is built on, the standard library.
const MACHINERY: [&str; 11] = [
    "lockgraph::",
    "backtrace::",
    "parking_lot::",
    "parking_lot_core::",
    "lock_api::",
    "hashbrown::",
    "petgraph::",
    "once_cell::",
    "std::",
    "core::",
    "alloc::",
];

/// Path prefixes of the standard library, whose frames among the program's
/// are closure shims and the like.
const STD: [&str; 3] = ["std::", "core::", "alloc::"];

/// Functions at the start of a thread or of the program: nothing under them
/// is the program's.
const ENTRIES: [&str; 8] = [
    "start_thread",
    "clone",
    "clone3",
    "__libc_start_main",
    "__libc_start_call_main",
    "_start",
    "thread_start",
    "_pthread_start",
];

/// Directories in Cargo's registry of the crates in [`MACHINERY`] (a
/// crate's sources sit in `NAME-VERSION/`), with the path each stands for.
const MACHINERY_SOURCES: [(&str, &str); 7] = [
    ("/backtrace-", "backtrace::"),
    ("/parking_lot-", "parking_lot::"),
    ("/parking_lot_core-", "parking_lot_core::"),
    ("/lock_api-", "lock_api::"),
    ("/hashbrown-", "hashbrown::"),
    ("/petgraph-", "petgraph::"),
    ("/once_cell-", "once_cell::"),
];

/// One function of a captured stack.
struct Symbol {
    /// As the demangler or the debug info names it.
    name: String,
    /// ` (file:line)`, or nothing.
    place: String,
    /// `name` with a path: a pathless name gets the path of the crate whose
    /// sources hold it, if that is known (see the module docs).
    path: String,
}

impl Symbol {
    fn new(name: String, file: Option<&Path>, line: Option<u32>) -> Symbol {
        let place = match (file, line) {
            (Some(file), Some(line)) => format!(" ({}:{line})", file.display()),
            _ => String::new(),
        };
        let path = match file.and_then(crate_of_source) {
            Some(krate) if pathless(&name) => format!("{krate}{name}"),
            _ => name.clone(),
        };
        Symbol { name, place, path }
    }
}

/// Whether `name` (a function, maybe with generic arguments) has no path.
fn pathless(name: &str) -> bool {
    let function = name.split('<').next().unwrap_or(name);
    !name.starts_with('<') && !function.contains("::")
}

/// The path prefix (one of [`MACHINERY`]) of the crate whose source file
/// `file` is, if it is one of them.
fn crate_of_source(file: &Path) -> Option<&'static str> {
    let file = file.to_string_lossy();
    let file = file.replace('\\', "/");
    let own = concat!(env!("CARGO_MANIFEST_DIR"), "/src/").replace('\\', "/");
    if file.starts_with(&own) {
        return Some("lockgraph::");
    }
    if let Some(krate) = crate::meta::std_crate_of(&file) {
        return Some(krate);
    }
    // `NAME-` then the version's first digit: not `NAME-utils-1.0/`.
    let in_crate_dir = |dir: &str| {
        file.match_indices(dir)
            .any(|(at, _)| file[at + dir.len()..].starts_with(|c: char| c.is_ascii_digit()))
    };
    MACHINERY_SOURCES
        .iter()
        .find(|(dir, _)| in_crate_dir(dir))
        .map(|&(_, krate)| krate)
}

/// Writes the program's frames of `backtrace`, resolving its symbols now
/// (once: they stay resolved), one `at function (file:line)` line each.
pub(super) fn write_backtrace(f: &mut Formatter<'_>, backtrace: &CapturedBacktrace) -> fmt::Result {
    let mut captured = backtrace.0.frames.lock();
    captured.resolve();
    // Every function of the stack, inlined ones included (innermost first).
    let symbols: Vec<Symbol> = captured
        .frames()
        .iter()
        .flat_map(|frame| frame.symbols())
        .filter_map(|symbol| {
            let name = format!("{:#}", symbol.name()?);
            Some(Symbol::new(name, symbol.filename(), symbol.lineno()))
        })
        .collect();
    drop(captured);
    for symbol in program_frames(&symbols).take(BACKTRACE_FRAMES) {
        writeln!(f, "        at {}{}", symbol.name, symbol.place)?;
    }
    Ok(())
}

/// The frames a report prints from `symbols` (a stack, innermost first):
/// from the program's first frame (if the program has none, as in lockgraph's
/// own tests, from the first one that is not the `backtrace` crate's) to the
/// runtime's first, without the standard library's.
fn program_frames(symbols: &[Symbol]) -> impl Iterator<Item = &Symbol> {
    let end = symbols
        .iter()
        .position(|symbol| runtime(&symbol.path))
        .unwrap_or(symbols.len());
    let symbols = &symbols[..end];
    let start = symbols
        .iter()
        .position(|symbol| !owned_by(&symbol.path, &MACHINERY))
        .or_else(|| {
            let capture = |name: &str| owned_by(name, &["backtrace::"]);
            symbols.iter().position(|symbol| !capture(&symbol.path))
        })
        .unwrap_or(end);
    symbols[start..]
        .iter()
        .filter(|symbol| !owned_by(&symbol.path, &STD))
}

/// Whether the function `name` is at or under the start of the program or of
/// a thread (std marks that place with `__rust_begin_short_backtrace`).
fn runtime(name: &str) -> bool {
    name.contains("__rust_begin_short_backtrace")
        || owned_by(name, &["std::rt::"])
        || ENTRIES.contains(&name)
        || name == "main"
}

/// Whether the function `name` belongs to one of `crates` (path prefixes).
///
/// A trait method `<Type as Trait>::f` does when both its type and its trait
/// do: the program's impl of a lockgraph trait, or of its own trait for a
/// lockgraph type, is the program's. An inherent method `<Type>::f` does
/// when its type does. A type without a path of its own (a slice, tuple,
/// reference, pointer, function pointer, primitive, or a generic parameter
/// as the legacy mangling prints it) belongs to the standard library.
fn owned_by(name: &str, crates: &[&str]) -> bool {
    let in_crates = |path: &str| crates.iter().any(|krate| path.starts_with(krate));
    let type_in_crates = |of_type: &str| {
        let of_type = of_type.strip_prefix("dyn ").unwrap_or(of_type);
        if of_type.starts_with('<') {
            // A closure of a method, `<Type>::f::{closure#0}`.
            return owned_by(of_type, crates);
        }
        let pathless = of_type.starts_with(['[', '(', '&', '*'])
            || ["fn(", "unsafe ", "extern "]
                .iter()
                .any(|p| of_type.starts_with(p))
            || !of_type.contains("::");
        match pathless {
            true => crates.contains(&"core::"),
            false => in_crates(of_type),
        }
    };
    match qualified(name) {
        Some((of_type, Some(of_trait))) => type_in_crates(of_type) && in_crates(of_trait),
        Some((of_type, None)) => type_in_crates(of_type),
        None => in_crates(name),
    }
}

/// The type, and the trait if any, of a method written `<Type>::f` or
/// `<Type as Trait>::f`.
fn qualified(name: &str) -> Option<(&str, Option<&str>)> {
    let inner = name.strip_prefix('<')?;
    let mut depth = 0usize;
    let mut of_type_end = None;
    for (at, c) in inner.char_indices() {
        match c {
            '<' | '(' | '[' => depth += 1,
            '>' if inner[..at].ends_with('-') => {} // `fn() -> T`
            '>' | ')' | ']' if depth > 0 => depth -= 1,
            '>' => {
                return Some(match of_type_end {
                    Some(end) => (&inner[..end], Some(&inner[end + " as ".len()..at])),
                    None => (&inner[..at], None),
                });
            }
            ' ' if depth == 0 && of_type_end.is_none() && inner[at..].starts_with(" as ") => {
                of_type_end = Some(at);
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(names: &[&str]) -> Vec<Symbol> {
        names
            .iter()
            .map(|n| Symbol::new(n.to_string(), None, None))
            .collect()
    }

    fn printed(names: &[&str]) -> Vec<String> {
        let symbols = stack(names);
        program_frames(&symbols).map(|s| s.name.clone()).collect()
    }

    /// A stack built with line tables only: inlined functions by name alone,
    /// each with its source file.
    #[test]
    fn pathless_inlined_frames_belong_to_their_source_files_crate() {
        let own = concat!(env!("CARGO_MANIFEST_DIR"), "/src/tracker/global.rs");
        let std = "/rustc/59807616/library/std/src/collections/hash/map.rs";
        let registry = "/home/u/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f";
        let lock_api = format!("{registry}/lock_api-0.4.14/src/mutex.rs");
        let not_machinery = format!("{registry}/backtrace-utils-1.0.0/src/lib.rs");
        let app = "/home/u/app/src/bank.rs";
        let symbols: Vec<Symbol> = [
            ("backtrace::capture::Backtrace::create", None),
            ("or_insert_with<(usize, usize), u32>", Some(std)),
            ("record", Some(own)),
            (
                "lock<parking_lot::raw_mutex::RawMutex, u64>",
                Some(lock_api.as_str()),
            ),
            ("transfer", Some(app)),
            ("capture", Some(not_machinery.as_str())),
            (
                "call_once<fn(), ()>",
                Some("/rustc/5980/library/core/src/ops/function.rs"),
            ),
            ("app::main", Some(app)),
        ]
        .into_iter()
        .map(|(name, file)| Symbol::new(name.to_string(), file.map(Path::new), Some(1)))
        .collect();
        let printed: Vec<&str> = program_frames(&symbols).map(|s| s.name.as_str()).collect();
        assert_eq!(printed, ["transfer", "capture", "app::main"]);
        assert_eq!(symbols[4].place, format!(" ({app}:1)"));
    }

    #[test]
    fn a_path_in_the_name_wins_over_the_file() {
        let own = concat!(env!("CARGO_MANIFEST_DIR"), "/src/lib.rs");
        let symbol = Symbol::new("app::f".to_string(), Some(Path::new(own)), None);
        assert_eq!(symbol.path, "app::f");
        let symbol = Symbol::new("<T as app::Tr>::f".to_string(), Some(Path::new(own)), None);
        assert_eq!(symbol.path, "<T as app::Tr>::f");
    }

    #[test]
    fn starts_at_the_program_in_both_manglings() {
        let frames = printed(&[
            "backtrace::backtrace::libunwind::trace",
            "backtrace::capture::Backtrace::create",
            "<lockgraph::report::parts::CapturedBacktrace>::capture",
            "<lockgraph::tracker::global::Backtraces>::index_for::{closure#0}",
            "<std::collections::hash::map::Entry<(usize, usize), u32>>::or_insert_with",
            "<hashbrown::map::HashMap<K,V,S,A>>::entry",
            "lockgraph::lock::mutex::Mutex<T>::lock",
            "<lockgraph::lock::mutex::MutexGuard<T> as core::ops::drop::Drop>::drop",
            "<parking_lot::raw_mutex::RawMutex as lock_api::mutex::RawMutex>::lock",
            "app::transfer",
            "core::ops::function::FnOnce::call_once",
            "<alloc::boxed::Box<F,A> as core::ops::function::FnOnce<Args>>::call_once",
            "app::main::{{closure}}",
            "std::sys::backtrace::__rust_begin_short_backtrace",
            "app::never_shown",
        ]);
        assert_eq!(frames, ["app::transfer", "app::main::{{closure}}"]);
    }

    fn machinery(name: &str) -> bool {
        owned_by(name, &MACHINERY)
    }

    #[test]
    fn the_programs_impls_are_the_programs() {
        assert!(!machinery("<app::Account as lockgraph::Lockable>::take"));
        assert!(!machinery("<lockgraph::Mutex<()> as app::Audit>::audit"));
        assert!(!machinery("<app::Ledger as core::fmt::Display>::fmt"));
        assert!(!machinery("<dyn app::Store>::get"));
        assert!(!machinery("<app::Pool<lockgraph::Mutex<u8>>>::take"));
        assert!(!machinery("app::lockgraph::wrapper"));
        assert!(machinery("<&app::Ledger as core::fmt::Display>::fmt"));
        assert!(machinery("<T as core::convert::Into<U>>::into"));
        assert!(machinery(
            "<lockgraph::stdsync::Mutex<(u8, [u8; 2])>>::lock"
        ));
        assert!(machinery(
            "<[app::Account]>::sort_by::<app::f::{closure#0}>"
        ));
        assert!(machinery("<std::sync::poison::mutex::Mutex<app::X>>::lock"));
        assert!(machinery("std::sync::poison::mutex::Mutex<T>::lock"));
        let shim = "<fn() -> core::result::Result<(), alloc::string::String> as \
                    core::ops::function::FnOnce<()>>::call_once";
        assert_eq!(
            qualified(shim).map(|(of_type, _)| of_type),
            Some("fn() -> core::result::Result<(), alloc::string::String>")
        );
        assert!(machinery(shim));
        let closure = "<<lockgraph::tracker::global::Global>::record::{closure#0} as \
                       core::ops::function::FnOnce<()>>::call_once";
        assert!(machinery(closure));
        assert!(!machinery(
            "<<app::Bank>::audit::{closure#0} as core::ops::FnOnce<()>>::call_once"
        ));
    }

    #[test]
    fn stops_at_the_start_of_the_thread() {
        let frames = printed(&["lockgraph::x", "app::f", "start_thread", "app::g"]);
        assert_eq!(frames, ["app::f"]);
    }

    #[test]
    fn without_program_frames_shows_lockgraphs_own() {
        let frames = printed(&[
            "backtrace::trace",
            "lockgraph::tracker::tests::a_test",
            "core::ops::function::FnOnce::call_once",
        ]);
        assert_eq!(frames, ["lockgraph::tracker::tests::a_test"]);
    }
}
