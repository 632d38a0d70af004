//! Notices (`Violation::Notice`): a lock dropped while its guard was leaked
//! goes through the handler and the policies like every report, is `Warn`
//! by default whatever `set_policy` says (but silenced by `Ignore`), is
//! printed once and in one piece, and never panics while the thread is
//! already panicking.
//!
//! The handler and the policies are process-wide: every in-process test takes
//! [`common::Settings`], which restores the defaults; the stderr tests run
//! this binary again as a child process.

mod common;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::panic_message;
use lockgraph::report::{Notice, NoticeKind};
use lockgraph::{
    Mutex, Policy, Violation, ViolationKind, clear_kind_policy, policy, set_handler,
    set_kind_policy, set_policy,
};

static NOTICES: std::sync::Mutex<Vec<Notice>> = std::sync::Mutex::new(Vec::new());

/// Takes the settings and records every notice until dropped.
fn record_notices() -> common::Settings {
    let settings = common::Settings::take();
    notices().clear();
    set_handler(Some(Box::new(|v: &Violation| {
        if let Violation::Notice(notice) = v {
            notices().push(notice.clone());
        }
    })));
    settings
}

fn notices() -> std::sync::MutexGuard<'static, Vec<Notice>> {
    NOTICES.lock().unwrap_or_else(|e| e.into_inner())
}

/// Makes a lock named `name`, leaks a guard of it and drops it: a notice.
fn drop_while_held(name: &'static str) {
    let lock = Mutex::named(name, ());
    std::mem::forget(lock.lock());
}

/// The notices recorded about the lock named `name`.
fn about(name: &str) -> Vec<Notice> {
    let notices = notices();
    let ours = notices.iter().filter(|n| n.lock().name() == Some(name));
    ours.cloned().collect()
}

#[test]
fn a_lock_dropped_while_its_guard_is_leaked_is_a_notice_for_the_handler() {
    let _r = record_notices();
    assert_eq!(policy(ViolationKind::Cycle), Policy::Panic);
    let outcome = common::on_thread("leaker", || drop_while_held("leaked guard"));
    assert!(
        outcome.is_none(),
        "the default for notices is Warn: no panic"
    );
    let [notice] = &about("leaked guard")[..] else {
        panic!("one notice: {:?}", notices());
    };
    assert_eq!(notice.kind(), NoticeKind::DroppedWhileHeld);
    assert_eq!(notice.thread(), "leaker");
    assert_eq!(
        notice.to_string(),
        "lockgraph: notice: \"leaked guard\" was dropped while thread \"leaker\" still held it \
         (its guard was leaked or forgotten); it is no longer tracked"
    );
    let as_violation = Violation::Notice(notice.clone());
    assert_eq!(as_violation.kind(), ViolationKind::Notice);
    assert_eq!(as_violation.locks(), [notice.lock().id()]);
}

#[test]
fn notices_stay_warn_under_set_policy_but_go_quiet_under_ignore() {
    let _r = record_notices();
    for (global, expected) in [
        (Policy::Panic, Policy::Warn),
        (Policy::Warn, Policy::Warn),
        (Policy::Ignore, Policy::Ignore),
    ] {
        set_policy(global);
        assert_eq!(policy(ViolationKind::Notice), expected, "under {global:?}");
    }
    // Ignored: the handler is not called.
    drop_while_held("ignored notice");
    assert!(about("ignored notice").is_empty());
    // Warn (the global Panic does not apply): recorded, no panic.
    set_policy(Policy::Panic);
    assert!(panic_message(|| drop_while_held("warned notice")).is_none());
    assert_eq!(about("warned notice").len(), 1);
}

#[test]
fn a_policy_set_for_notices_applies_as_given() {
    let _r = record_notices();
    set_policy(Policy::Ignore);
    assert_eq!(
        set_kind_policy(ViolationKind::Notice, Policy::Panic),
        Policy::Ignore
    );
    let message = panic_message(|| drop_while_held("panicking notice"));
    let message = message.expect("notice=panic panics");
    assert!(
        message.starts_with("lockgraph: notice: \"panicking notice\" was dropped"),
        "{message}"
    );
    assert_eq!(
        about("panicking notice").len(),
        1,
        "the handler saw it first"
    );
    set_kind_policy(ViolationKind::Notice, Policy::Ignore);
    set_policy(Policy::Warn);
    drop_while_held("pinned off");
    assert!(
        about("pinned off").is_empty(),
        "pinned: Warn does not apply"
    );
    assert_eq!(
        clear_kind_policy(ViolationKind::Notice),
        Policy::Ignore,
        "the previous policy"
    );
    assert_eq!(policy(ViolationKind::Notice), Policy::Warn);
}

#[test]
fn a_notice_while_panicking_never_panics_again() {
    let _r = record_notices();
    set_kind_policy(ViolationKind::Notice, Policy::Panic);
    // The lock is dropped by the unwinding of the test's own panic: a second
    // panic would abort the whole test binary.
    let message = panic_message(|| {
        let lock = Mutex::named("dropped while unwinding", ());
        std::mem::forget(lock.lock());
        panic!("the test's own panic");
    });
    assert_eq!(message.as_deref(), Some("the test's own panic"));
    assert_eq!(about("dropped while unwinding").len(), 1);
}

#[test]
fn a_handler_may_take_locks_and_drop_leaked_ones_during_a_notice() {
    let _r = record_notices();
    let shared = Arc::new(Mutex::named("taken by the handler", 0));
    let calls = Arc::new(AtomicUsize::new(0));
    let (in_handler, count) = (Arc::clone(&shared), Arc::clone(&calls));
    set_handler(Some(Box::new(move |v: &Violation| {
        if let Violation::Notice(notice) = v {
            count.fetch_add(1, Ordering::SeqCst);
            *in_handler.lock() += 1;
            let std_lock = lockgraph::stdsync::Mutex::new(());
            drop(std_lock.lock().unwrap());
            if notice.lock().name() == Some("outer notice") {
                // A notice raised inside the handler goes to the policy
                // only (Warn: printed), never to the handler again.
                drop_while_held("inner notice");
            }
        }
    })));
    drop_while_held("outer notice");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(*shared.lock(), 1);
}

/// Runs the ignored test `child` in a child process with `LOCKGRAPH=value`
/// (unset if `None`), checks that it succeeded, and returns its stderr.
fn stderr_of_child(child: &str, value: Option<&str>) -> String {
    let mut command = Command::new(std::env::current_exe().expect("test binary"));
    command.args([
        "--exact",
        child,
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    command.env("LOCKGRAPH_CHILD", "1").env_remove("LOCKGRAPH");
    if let Some(value) = value {
        command.env("LOCKGRAPH", value);
    }
    let output = command.output().expect("run child");
    assert!(output.status.success(), "child failed: {output:?}");
    String::from_utf8(output.stderr).expect("utf-8")
}

/// Two threads each drop a lock with a leaked guard, while a third writes to
/// stderr all along (run as a child).
#[test]
#[ignore = "run by the other tests in a child process"]
fn child_drops_leaked_locks() {
    if std::env::var_os("LOCKGRAPH_CHILD").is_none() {
        return;
    }
    std::thread::scope(|s| {
        let noise = s.spawn(|| (0..2000).for_each(|i| eprint!("{i} ")));
        for lock in LEAKED {
            let thread = std::thread::Builder::new().name(format!("{lock} thread"));
            thread.spawn_scoped(s, || drop_while_held(lock)).unwrap();
        }
        noise.join().unwrap();
    });
    eprintln!("\nchild finished");
}

const LEAKED: [&str; 2] = ["first leaked", "second leaked"];

/// The notice `child_drops_leaked_locks` gives for `lock`, as printed.
fn printed_notice(lock: &str) -> String {
    format!(
        "lockgraph: notice: \"{lock}\" was dropped while thread \"{lock} thread\" still held it \
         (its guard was leaked or forgotten); it is no longer tracked\n\n"
    )
}

#[test]
fn notices_are_printed_once_each_and_whole_by_default() {
    let stderr = stderr_of_child("child_drops_leaked_locks", None);
    assert!(stderr.contains("child finished"), "{stderr}");
    assert_eq!(stderr.matches("lockgraph: notice: ").count(), 2, "{stderr}");
    for lock in LEAKED {
        // In one piece: the other thread's output never lands inside it.
        assert!(stderr.contains(&printed_notice(lock)), "{stderr}");
    }
}

#[test]
fn off_and_notice_off_silence_notices_and_panic_does_not_make_them_panic() {
    for quiet in ["off", "panic,notice=off"] {
        let stderr = stderr_of_child("child_drops_leaked_locks", Some(quiet));
        assert!(stderr.contains("child finished"), "{quiet}: {stderr}");
        assert!(!stderr.contains("lockgraph"), "{quiet}: {stderr}");
    }
    let stderr = stderr_of_child("child_drops_leaked_locks", Some("panic"));
    assert_eq!(stderr.matches("lockgraph: notice: ").count(), 2, "{stderr}");
}
