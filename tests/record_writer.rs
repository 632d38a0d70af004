//! Recording: `LOCKGRAPH_RECORD` and `record_to`, each case in a child
//! process (the recording is process-wide): what a record holds, that an
//! abort loses nothing, and that bad directories and I/O errors are one
//! stderr line, never a panic.

#![cfg(feature = "record")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use lockgraph::Mutex;

/// Runs the ignored test `child` as a child process, with `LOCKGRAPH_CHILD`
/// set to `case` and `LOCKGRAPH_RECORD` to `record` (if given).
fn run_child(case: &str, record: Option<&Path>) -> Output {
    let mut command = Command::new(std::env::current_exe().expect("test binary"));
    command
        .args([
            "--exact",
            "child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("LOCKGRAPH_CHILD", case)
        .env_remove("LOCKGRAPH")
        .env_remove("LOCKGRAPH_RECORD");
    if let Some(dir) = record {
        command.env("LOCKGRAPH_RECORD", dir);
    }
    command.output().expect("run child")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A fresh directory path (not created) for one case.
fn fresh(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("record-writer")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The record files in `dir`, each as its lines.
fn records(dir: &Path) -> Vec<Vec<String>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    let read = |path: &PathBuf| {
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.ends_with('\n'), "every line is whole: {text:?}");
        text.lines().map(String::from).collect()
    };
    files.iter().map(read).collect()
}

fn nest(outer: &Mutex<()>, inner: &Mutex<()>) {
    let _outer = outer.lock();
    drop(inner.lock());
}

/// What the parent asks for, by `LOCKGRAPH_CHILD`.
#[test]
#[ignore = "run by the other tests in a child process"]
fn child() {
    let Ok(case) = std::env::var("LOCKGRAPH_CHILD") else {
        return;
    };
    let (a, b, c) = (Mutex::named("a", ()), Mutex::named("b", ()), Mutex::new(()));
    match case.as_str() {
        // Three class edges (a -> b twice, and a same-class nesting that
        // makes none), the last closing a class cycle (reported, Warn), then
        // an abort: nothing recorded is lost.
        "abort" => {
            lockgraph::set_policy(lockgraph::Policy::Warn);
            nest(&a, &b);
            nest(&a, &b);
            std::thread::scope(|s| {
                let worker = std::thread::Builder::new().name("worker".into());
                worker.spawn_scoped(s, || nest(&b, &c)).unwrap();
            });
            nest(&a, &Mutex::named("a", ()));
            nest(&c, &a);
            std::process::abort();
        }
        // Edges made before `record_to` are written when it is called.
        "record_to" => {
            nest(&a, &b);
            let dir = std::env::var("RECORD_INTO").unwrap();
            lockgraph::record_to(&dir).unwrap();
            nest(&b, &c);
            let empty = lockgraph::record_to("").unwrap_err();
            assert_eq!(empty.kind(), std::io::ErrorKind::InvalidInput);
        }
        // The directory is gone before the first edge: one stderr line, no
        // panic, and nothing more.
        "vanished" => {
            let dir = std::env::var("RECORD_INTO").unwrap();
            lockgraph::record_to(&dir).unwrap();
            std::fs::remove_dir_all(&dir).unwrap();
            nest(&a, &b);
            nest(&b, &c);
            println!("child done");
        }
        // Whatever the environment says, locks work.
        _ => {
            nest(&a, &b);
            println!("child done");
        }
    }
}

#[test]
fn a_record_holds_every_class_edge_once_even_after_an_abort() {
    let dir = fresh("abort");
    let output = run_child("abort", Some(&dir));
    assert!(!output.status.success(), "the child aborts");
    let [record] = records(&dir).try_into().expect("one record file");
    assert_eq!(record.len(), 4, "{record:#?}");
    let header: serde_json::Value = serde_json::from_str(&record[0]).unwrap();
    assert_eq!(header["format"], "lockgraph-record");
    assert_eq!(header["version"], 1);
    let exe = header["exe"].as_str().unwrap();
    assert!(exe.starts_with("record_writer-"), "{exe}");
    assert!(header["pid"].as_u64().unwrap() > 0);
    let edges: Vec<serde_json::Value> = record[1..]
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(edges[0]["from"], serde_json::json!({"name": "a"}));
    assert_eq!(edges[0]["to"], serde_json::json!({"name": "b"}));
    assert_eq!(edges[0]["thread"], "child");
    let site = edges[0]["to_site"].as_str().unwrap();
    assert!(site.starts_with("tests/record_writer.rs:"), "{site}");
    assert!(
        edges[0]["backtrace"]
            .as_array()
            .is_some_and(|b| !b.is_empty())
    );
    assert_eq!(edges[1]["thread"], "worker");
    let to = edges[1]["to"]["site"].as_str().unwrap();
    assert!(to.starts_with("tests/record_writer.rs:"), "{to}");
    assert_eq!(edges[2]["to"], serde_json::json!({"name": "a"}));
    // Checked alone: a -> b -> c -> a, in one process (which reported it
    // itself, too).
    let checked = lockgraph::record::check(&[&dir]);
    assert_eq!(checked.exit_code(), 1);
    assert!(checked.cycles()[0].starts_with(
        "lockgraph: potential deadlock (lock class cycle of 3 classes) in one process:"
    ));
}

#[test]
fn record_to_writes_the_edges_known_so_far_then_the_new_ones() {
    let dir = fresh("record_to");
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--ignored", "--test-threads=1"])
        .env("LOCKGRAPH_CHILD", "record_to")
        .env("RECORD_INTO", &dir)
        .env_remove("LOCKGRAPH_RECORD")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let [record] = records(&dir).try_into().expect("one record file");
    assert_eq!(record.len(), 3, "{record:#?}");
    assert!(record[1].starts_with(r#"{"from":{"name":"a"},"to":{"name":"b"}"#));
    assert!(record[2].starts_with(r#"{"from":{"name":"b"},"to":{"site":"#));
}

#[test]
fn a_vanished_directory_stops_the_recording_with_one_line() {
    let dir = fresh("vanished");
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("LOCKGRAPH_CHILD", "vanished")
        .env("RECORD_INTO", &dir)
        .env_remove("LOCKGRAPH_RECORD")
        .output()
        .unwrap();
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("child done"));
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("lockgraph:"))
        .collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].starts_with("lockgraph: cannot create a file for the record in ")
            && lines[0].ends_with("; recording stopped"),
        "{err}"
    );
}

#[test]
fn a_bad_lockgraph_record_is_one_line_and_no_recording() {
    // Empty, and under a plain file (cannot be created).
    let file = fresh("bad").with_extension("file");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "").unwrap();
    for value in [PathBuf::new(), file.join("records")] {
        let output = run_child("plain", Some(&value));
        let err = stderr(&output);
        assert!(output.status.success(), "{err}");
        assert!(String::from_utf8_lossy(&output.stdout).contains("child done"));
        let lines: Vec<&str> = err
            .lines()
            .filter(|l| l.starts_with("lockgraph:"))
            .collect();
        assert_eq!(lines.len(), 1, "{err}");
        let expected = format!(
            "lockgraph: LOCKGRAPH_RECORD={:?} cannot be recorded into (",
            value.display().to_string()
        );
        assert!(lines[0].starts_with(&expected), "{err}");
        assert!(lines[0].ends_with("; not recording"), "{err}");
    }
}
