//! Shared test support: catching lockgraph's panics as text.
#![allow(dead_code)]

use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `f` and returns the panic message, if it panicked.
pub fn panic_message<R>(f: impl FnOnce() -> R) -> Option<String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(_) => None,
        Err(payload) => Some(payload_text(payload)),
    }
}

/// The text of a panic payload (`panic!` with a format gives a `String`).
pub fn payload_text(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(text) => *text,
        Err(payload) => payload
            .downcast::<&str>()
            .map(|s| s.to_string())
            .unwrap_or_else(|_| "<non-text panic>".into()),
    }
}

/// Runs `f` on a new thread named `name` and waits for it; returns its panic message.
pub fn on_thread<R: Send>(name: &str, f: impl FnOnce() -> R + Send) -> Option<String> {
    std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .name(name.to_string())
            .spawn_scoped(s, f)
            .expect("spawn");
        handle.join().err().map(payload_text)
    })
}

/// Runs `f` and returns whether it panicked with a lockgraph report that
/// starts with `prefix` (e.g. `"lockgraph: potential deadlock"`).
pub fn reports(prefix: &str, f: impl FnOnce()) -> bool {
    panic_message(f).is_some_and(|message| message.starts_with(prefix))
}

/// The first line of a potential-deadlock report.
pub const CYCLE: &str = "lockgraph: potential deadlock";
/// The first line of a self-deadlock report.
pub const SELF_DEADLOCK: &str = "lockgraph: self-deadlock";

/// Whether this thread holds the lock `id` as far as lockgraph knows: a fresh
/// lock taken now is ordered after it.
pub fn held_here(id: lockgraph::LockId) -> bool {
    let probe = lockgraph::Mutex::new(());
    drop(probe.lock());
    lockgraph::graph::snapshot().has_edge(id, probe.id())
}

/// The process-wide settings (policies, mode, long waits, handler) held by one
/// test at a time; dropping it restores the defaults (also when the test
/// fails), then lets the next test in.
pub struct Settings {
    _serial: std::sync::MutexGuard<'static, ()>,
}

static SETTINGS: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl Settings {
    /// Waits for the other tests that change settings, then takes them.
    pub fn take() -> Settings {
        let serial = SETTINGS.lock().unwrap_or_else(|e| e.into_inner());
        Settings { _serial: serial }
    }
}

impl Drop for Settings {
    fn drop(&mut self) {
        lockgraph::set_handler(None);
        lockgraph::set_policy(lockgraph::Policy::Panic);
        for kind in lockgraph::ViolationKind::ALL {
            lockgraph::clear_kind_policy(kind);
        }
        lockgraph::set_mode(lockgraph::Mode::Graph);
        lockgraph::set_long_wait(None);
    }
}
