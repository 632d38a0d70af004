//! Recording class graphs across processes, end to end: `cargo test` on a
//! fixture crate whose two test binaries take one order each, recorded with
//! `LOCKGRAPH_RECORD`, then checked together.

#![cfg(feature = "record")]

use std::path::{Path, PathBuf};
use std::process::Command;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/record");

/// Copies the fixture into `to`, depending on this lockgraph by absolute
/// path, with this crate's Cargo.lock (so that it resolves offline, to the
/// versions already built and cached).
fn lay_out_fixture(to: &Path) {
    let manifest_dir = env!("CARGO_MANIFEST_DIR");
    for dir in ["src", "tests"] {
        std::fs::create_dir_all(to.join(dir)).unwrap();
        for entry in std::fs::read_dir(Path::new(FIXTURE).join(dir)).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(dir).join(entry.file_name());
            let text = std::fs::read_to_string(entry.path()).unwrap();
            // Rewritten only if changed: cargo rebuilds what is newer.
            if std::fs::read_to_string(&target).ok().as_deref() != Some(&text) {
                std::fs::write(&target, text).unwrap();
            }
        }
    }
    let manifest = std::fs::read_to_string(Path::new(FIXTURE).join("Cargo.toml")).unwrap();
    let manifest = manifest.replace(
        "path = \"../../..\"",
        &format!("path = {:?}", manifest_dir.replace('\\', "/")),
    );
    std::fs::write(to.join("Cargo.toml"), manifest).unwrap();
    let lock = Path::new(manifest_dir).join("Cargo.lock");
    if lock.exists() {
        // Cargo trims it to the fixture's packages, offline.
        std::fs::copy(lock, to.join("Cargo.lock")).unwrap();
    }
}

#[test]
fn two_test_binaries_one_order_each_make_a_cycle() {
    if !Path::new(FIXTURE).join("Cargo.toml").exists() {
        // A published crate has no fixture (cargo leaves sub-crates out).
        eprintln!("skipped: no fixture crate at {FIXTURE}");
        return;
    }
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("record-fixture");
    let (crate_dir, records) = (work.join("crate"), work.join("records"));
    lay_out_fixture(&crate_dir);
    let _ = std::fs::remove_dir_all(&records);

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let status = Command::new(cargo)
        .args(["test", "--offline", "--quiet"])
        .current_dir(&crate_dir)
        .env("CARGO_TARGET_DIR", work.join("target"))
        .env("LOCKGRAPH_RECORD", &records)
        .env_remove("LOCKGRAPH")
        .env_remove("LOCKGRAPH_ALLOW")
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo test on the fixture: {status}");

    let checked = lockgraph::record::check(&[&records]);
    assert_eq!(checked.records(), 2, "one record per test binary");
    assert_eq!(checked.problems(), [] as [String; 0]);
    assert_eq!(checked.exit_code(), 1, "{}", checked.summary());
    let [report] = checked.cycles() else {
        panic!("one cycle expected: {:?}", checked.cycles());
    };
    println!("{report}");
    assert!(report.starts_with(
        "lockgraph: potential deadlock (lock class inversion of 2 classes) across 2 processes:"
    ));
    for exe in ["order_a-", "order_b-"] {
        assert!(report.contains(&format!("in process \"{exe}")), "{report}");
    }
    // The classes are the two creation sites in the fixture's lib.rs, and
    // each edge shows the program's frames (a method by its path, or by its
    // bare name where it was inlined in a build with line tables only).
    assert_eq!(report.matches("class src/lib.rs:").count(), 4, "{report}");
    let names = |method: &str| {
        [
            format!("Ledger>::{method}"),
            format!("Ledger::{method}"),
            format!("at {method} ("),
        ]
        .iter()
        .any(|name| report.contains(name.as_str()))
    };
    assert!(names("add"), "{report}");
    assert!(names("audit"), "{report}");

    let dot = checked.dot();
    assert_eq!(dot.matches("color=red, penwidth=2").count(), 2, "{dot}");

    #[cfg(feature = "cli")]
    {
        let dot_file = work.join("classes.dot");
        let output = Command::new(env!("CARGO_BIN_EXE_lockgraph"))
            .arg("check")
            .arg(&records)
            .arg("--dot")
            .arg(&dot_file)
            .env_remove("LOCKGRAPH_ALLOW")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert_eq!(stdout.trim_end(), report.as_str());
        assert_eq!(std::fs::read_to_string(dot_file).unwrap(), dot);
    }
}
