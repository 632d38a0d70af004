//! libFuzzer's panic hook aborts on every panic, but a self-deadlock report
//! panics on purpose (the runner catches it): let those unwind quietly.

use std::panic::{self, PanicHookInfo};
use std::sync::Once;

fn is_report(info: &PanicHookInfo<'_>) -> bool {
    let payload = info.payload();
    let message = (payload.downcast_ref::<String>().map(String::as_str))
        .or_else(|| payload.downcast_ref::<&str>().copied());
    message.is_some_and(|m| m.starts_with("lockgraph: "))
}

/// Installs (once) a panic hook that lets lockgraph's reports unwind and hands
/// every other panic to libFuzzer's hook, which aborts: a crash.
pub fn expect_lockgraph_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let crash = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !is_report(info) {
                crash(info);
            }
        }));
    });
}
