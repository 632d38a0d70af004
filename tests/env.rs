//! The `LOCKGRAPH` environment variable, read once per process: each case runs
//! this test binary again as a child process with the variable set.

use std::process::Command;

use lockgraph::{Policy, ViolationKind, policy};

/// Runs the ignored test `child` in a child process with `LOCKGRAPH=value`,
/// checks that it succeeded, and returns its stdout and stderr.
fn run_test_in_child(child: &str, value: &str) -> (String, String) {
    let output = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            child,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("LOCKGRAPH", value)
        .env("LOCKGRAPH_CHILD", "1")
        .output()
        .expect("run child");
    assert!(output.status.success(), "child failed: {output:?}");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("utf-8");
    (text(output.stdout), text(output.stderr))
}

/// Runs the ignored test `child` in a child process with `LOCKGRAPH=value`
/// as `cargo test` runs a test, its output captured by the test harness,
/// checks that it succeeded, and returns its stderr: what a user sees of a
/// test that passes.
fn stderr_of_captured_child(child: &str, value: &str) -> String {
    let output = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", child, "--ignored", "--test-threads=1"])
        .env("LOCKGRAPH", value)
        .env("LOCKGRAPH_CHILD", "1")
        .output()
        .expect("run child");
    assert!(output.status.success(), "child failed: {output:?}");
    String::from_utf8(output.stderr).expect("utf-8")
}

/// [`run_test_in_child`] for `child_reports_policies`.
fn run_child(value: &str) -> (String, String) {
    run_test_in_child("child_reports_policies", value)
}

/// Prints the policy of every kind as `kind=policy` lines (run as a child).
#[test]
#[ignore = "run by the other tests in a child process"]
fn child_reports_policies() {
    if std::env::var_os("LOCKGRAPH_CHILD").is_none() {
        return;
    }
    for kind in ViolationKind::ALL {
        println!("policy {}={:?}", kind.env_name(), policy(kind));
    }
}

/// The child's `kind=Policy` lines.
fn policies(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.split("policy ").nth(1))
        .map(String::from)
        .collect()
}

/// [`policies`], checked to hold one line per kind (so that an empty output
/// cannot pass an "every policy is ..." test).
fn every_policy(stdout: &str) -> Vec<String> {
    let found = policies(stdout);
    assert_eq!(found.len(), ViolationKind::ALL.len(), "{stdout}");
    found
}

#[test]
fn off_ignores_everything() {
    let (stdout, _) = run_child("off");
    assert!(
        every_policy(&stdout).iter().all(|p| p.ends_with("=Ignore")),
        "{stdout}"
    );
}

#[test]
fn warn_with_a_per_kind_override() {
    let (stdout, stderr) = run_child("warn,deadlock=panic");
    let found = every_policy(&stdout);
    assert!(found.contains(&"cycle=Warn".to_string()), "{stdout}");
    assert!(found.contains(&"deadlock=Panic".to_string()), "{stdout}");
    assert!(!stderr.contains("lockgraph: ignoring"), "{stderr}");
}

#[test]
fn a_bad_value_is_reported_once_and_the_default_kept() {
    let (stdout, stderr) = run_child("warm");
    // The default: Panic, but notices Warn.
    let defaults = every_policy(&stdout);
    let (notices, others): (Vec<_>, Vec<_>) =
        defaults.iter().partition(|p| p.starts_with("notice="));
    assert_eq!(notices, ["notice=Warn"], "{stdout}");
    assert!(others.iter().all(|p| p.ends_with("=Panic")), "{stdout}");
    let complaints = stderr
        .matches("lockgraph: ignoring LOCKGRAPH=\"warm\"")
        .count();
    assert_eq!(complaints, 1, "{stderr}");
    assert!(stderr.contains("accepted: panic, warn, off"), "{stderr}");
    assert!(
        stderr.contains("long-wait, notice, class, recursive-read (e.g."),
        "{stderr}"
    );
}

/// Under `LOCKGRAPH=warn,cycle=off`: the API's settings win (run as a child).
#[test]
#[ignore = "run by the other tests in a child process"]
fn child_api_overrides() {
    if std::env::var_os("LOCKGRAPH_CHILD").is_none() {
        return;
    }
    assert_eq!(
        policy(ViolationKind::Cycle),
        Policy::Ignore,
        "the env applies"
    );
    lockgraph::set_kind_policy(ViolationKind::Cycle, Policy::Panic);
    lockgraph::set_policy(Policy::Panic);
    println!("policy cycle={:?}", policy(ViolationKind::Cycle));
    println!("policy order={:?}", policy(ViolationKind::OrderViolation));
}

#[test]
fn the_api_overrides_the_environment() {
    let (stdout, _) = run_test_in_child("child_api_overrides", "warn,cycle=off");
    assert_eq!(
        policies(&stdout),
        ["cycle=Panic", "order=Panic"],
        "{stdout}"
    );
}

/// Two distinct cycles, the first one hit twice (run as a child under `warn`).
#[test]
#[ignore = "run by the other tests in a child process"]
fn child_warns() {
    if std::env::var_os("LOCKGRAPH_CHILD").is_none() {
        return;
    }
    let (a, b, c) = (
        lockgraph::Mutex::named("a", ()),
        lockgraph::Mutex::named("b", ()),
        lockgraph::Mutex::named("c", ()),
    );
    for (x, y) in [(&a, &b), (&a, &b), (&b, &c)] {
        drop((x.lock(), y.lock()));
        drop((y.lock(), x.lock()));
    }
    println!("child finished");
}

#[test]
fn warn_prints_each_distinct_cycle_once_and_goes_on() {
    let (stdout, stderr) = run_test_in_child("child_warns", "warn");
    assert!(stdout.contains("child finished"), "{stdout}");
    let reports = stderr.matches("lockgraph: potential deadlock").count();
    assert_eq!(reports, 2, "{stderr}");
}

/// The harness captures what a passing test prints; a bad setting and the
/// reports of `warn` must still reach the user.
#[test]
fn a_bad_value_and_warnings_are_seen_through_the_harness_capture() {
    let stderr = stderr_of_captured_child("child_reports_policies", "warm");
    assert!(
        stderr.contains("lockgraph: ignoring LOCKGRAPH=\"warm\""),
        "{stderr}"
    );
    let stderr = stderr_of_captured_child("child_warns", "warn");
    let reports = stderr.matches("lockgraph: potential deadlock").count();
    assert_eq!(reports, 2, "{stderr}");
}

/// An inversion under `LOCKGRAPH=off`, with no API call first (run as a child).
#[test]
#[ignore = "run by the other tests in a child process"]
fn child_off_from_the_start() {
    if std::env::var_os("LOCKGRAPH_CHILD").is_none() {
        return;
    }
    let (a, b) = (lockgraph::Mutex::new(()), lockgraph::Mutex::new(()));
    drop((a.lock(), b.lock()));
    drop((b.lock(), a.lock())); // not reported: everything is off
    let snapshot = lockgraph::graph::snapshot();
    let recorded = snapshot.lock(a.id()).is_some() || snapshot.lock(b.id()).is_some();
    println!("child finished, bookkeeping done: {recorded}");
}

#[test]
fn off_skips_bookkeeping_from_the_first_acquisition() {
    let (stdout, _) = run_test_in_child("child_off_from_the_start", "off");
    let verdict = "child finished, bookkeeping done: false";
    assert!(stdout.contains(verdict), "{stdout}");
}
