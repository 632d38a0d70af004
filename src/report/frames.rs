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
//! `<krate::Type<T>>::f`, `<krate::Type as other::Trait>::f`.

use std::fmt::{self, Formatter};

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

/// Writes the program's frames of `backtrace`, resolving its symbols now
/// (once: they stay resolved), one `at function (file:line)` line each.
pub(super) fn write_backtrace(f: &mut Formatter<'_>, backtrace: &CapturedBacktrace) -> fmt::Result {
    let mut captured = backtrace.0.frames.lock();
    captured.resolve();
    // Every function of the stack, inlined ones included (innermost first).
    let symbols: Vec<(String, String)> = captured
        .frames()
        .iter()
        .flat_map(|frame| frame.symbols())
        .filter_map(|symbol| {
            let name = format!("{:#}", symbol.name()?);
            let place = match (symbol.filename(), symbol.lineno()) {
                (Some(file), Some(line)) => format!(" ({}:{line})", file.display()),
                _ => String::new(),
            };
            Some((name, place))
        })
        .collect();
    drop(captured);
    for (name, place) in program_frames(&symbols).take(BACKTRACE_FRAMES) {
        writeln!(f, "        at {name}{place}")?;
    }
    Ok(())
}

/// The frames a report prints from `symbols` (a stack, innermost first):
/// from the program's first frame (if the program has none, as in lockgraph's
/// own tests, from the first one that is not the `backtrace` crate's) to the
/// runtime's first, without the standard library's.
fn program_frames(symbols: &[(String, String)]) -> impl Iterator<Item = &(String, String)> {
    let end = symbols
        .iter()
        .position(|(name, _)| runtime(name))
        .unwrap_or(symbols.len());
    let symbols = &symbols[..end];
    let start = symbols
        .iter()
        .position(|(name, _)| !owned_by(name, &MACHINERY))
        .or_else(|| {
            let capture = |name: &str| owned_by(name, &["backtrace::"]);
            symbols.iter().position(|(name, _)| !capture(name))
        })
        .unwrap_or(end);
    symbols[start..]
        .iter()
        .filter(|(name, _)| !owned_by(name, &STD))
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

    fn stack(names: &[&str]) -> Vec<(String, String)> {
        names
            .iter()
            .map(|n| (n.to_string(), String::new()))
            .collect()
    }

    fn printed(names: &[&str]) -> Vec<String> {
        let symbols = stack(names);
        program_frames(&symbols).map(|(n, _)| n.clone()).collect()
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
