//! Allowed lock orders: kept back, counted and listed, never lost; declared
//! by `allow_order` or a `LOCKGRAPH_ALLOW` file (run in a child process).

mod common;

use std::process::Command;

use common::panic_message;
use lockgraph::{Mutex, allow_order, allowed};

#[test]
fn an_allowed_order_is_counted_not_reported_and_others_still_are() {
    let (config, registry) = (
        Mutex::named("allow-config", ()),
        Mutex::named("allow-registry", ()),
    );
    drop((config.lock(), registry.lock()));
    let report = panic_message(|| drop((registry.lock(), config.lock()))).expect("a cycle");
    // The report says how to allow the order it shows.
    assert!(
        report.contains(r#"lockgraph::allow_order("allow-registry", "allow-config", "why")"#),
        "{report}"
    );
    assert!(
        report.contains("`allow-registry -> allow-config: why`"),
        "{report}"
    );
    allow_order("allow-registry", "allow-config", "only at start-up");
    for _ in 0..3 {
        assert_eq!(
            panic_message(|| drop((registry.lock(), config.lock()))),
            None
        );
    }
    let kept: Vec<_> = allowed()
        .into_iter()
        .filter(|a| a.order == "allow-registry -> allow-config")
        .collect();
    assert_eq!(kept.len(), 1, "listed once");
    assert_eq!(kept[0].count, 3);
    assert_eq!(kept[0].reason, "only at start-up");
    assert!(
        kept[0]
            .violation
            .to_string()
            .contains("lock order inversion")
    );
    // Another order is not allowed by it.
    let other = Mutex::named("allow-other", ());
    drop((config.lock(), other.lock()));
    assert!(panic_message(|| drop((other.lock(), config.lock()))).is_some());
}

#[test]
fn a_class_order_is_allowed_by_its_creation_line() {
    let pair = || (Mutex::new(()), Mutex::new(()));
    let (a, b) = pair();
    let line = format!("{}:{}", file!(), line!() - 2);
    drop((a.lock(), b.lock()));
    allow_order(
        &line,
        &line,
        "two fields made on one line: never nested the other way",
    );
    // Both classes are made on that line (two columns): the class edge
    // back closes a class cycle, which the allowance keeps back.
    let (a, b) = pair();
    assert_eq!(panic_message(|| drop((b.lock(), a.lock()))), None);
    assert!(
        allowed()
            .iter()
            .any(|k| k.order == format!("{line} -> {line}"))
    );
}

/// Takes two named locks in both orders; prints what was allowed (run as a
/// child with `LOCKGRAPH_ALLOW` set).
#[test]
#[ignore = "run by allow_file_is_read in a child process"]
fn child_with_allow_file() {
    if std::env::var_os("LOCKGRAPH_CHILD").is_none() {
        return;
    }
    let (a, b) = (Mutex::named("file-a", ()), Mutex::named("file-b", ()));
    drop((a.lock(), b.lock()));
    drop((b.lock(), a.lock())); // allowed by the file: no panic
    for kept in allowed() {
        println!("allowed {} ({}) x{}", kept.order, kept.reason, kept.count);
    }
}

#[test]
fn allow_file_is_read() {
    let dir = std::env::temp_dir().join(format!("lockgraph-allow-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("allow.txt");
    std::fs::write(
        &file,
        "# orders\nfile-b -> file-a: start-up only\nnonsense\n",
    )
    .unwrap();
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_with_allow_file",
            "--ignored",
            "--nocapture",
        ])
        .env("LOCKGRAPH_ALLOW", &file)
        .env("LOCKGRAPH_CHILD", "1")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("allowed file-b -> file-a (start-up only) x1"),
        "{stdout}"
    );
    assert!(
        stderr.contains("allow.txt:3"),
        "the bad line is named: {stderr}"
    );
}
