//! Replays every committed fuzz seed through the fuzz targets' own functions,
//! so that a plain `cargo test --features proptest` exercises them.
//!
//! The runs set the global policy and handler (and `graph_ops` reads the
//! global graph), so the tests of this file serialise on one lock.
#![cfg(feature = "proptest")]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Mutex;

use lockgraph::proptest::{Program, check, check_graph};

static SERIAL: Mutex<()> = Mutex::new(());

/// Every file of `fuzz/corpus/<target>`, with its name; `None` in the
/// crates.io package, which leaves the fuzz crate and its corpus out. In the
/// repository the fuzz crate is there, so a missing corpus fails the test.
fn corpus(target: &str) -> Option<Vec<(PathBuf, Vec<u8>)>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    if !root.join("fuzz/Cargo.toml").exists() {
        eprintln!("no fuzz crate here (the crates.io package has none): no seeds to replay");
        return None;
    }
    let dir = root.join("fuzz/corpus").join(target);
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut files: Vec<(PathBuf, Vec<u8>)> = entries
        .map(|entry| entry.expect("a corpus entry").path())
        .map(|path| {
            let bytes = std::fs::read(&path).expect("a readable corpus file");
            (path, bytes)
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    Some(files)
}

/// Runs every seed of `target`; false when there is no corpus to replay.
fn replay(target: &str, run: impl Fn(&Program) -> Result<(), String>) -> bool {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(seeds) = corpus(target) else {
        return false;
    };
    for (path, bytes) in seeds {
        let program = Program::from_bytes(&bytes);
        run(&program).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    true
}

#[test]
fn graph_ops_seeds() {
    replay("graph_ops", check_graph);
}

#[test]
fn lock_orders_seeds() {
    let kinds = Mutex::new(BTreeSet::new());
    let replayed = replay("lock_orders", |program| {
        let seen = check(program)?;
        let mut kinds = kinds.lock().unwrap_or_else(|e| e.into_inner());
        kinds.extend(seen.iter().map(|o| {
            format!("{:?}", o.verdict)
                .split(' ')
                .next()
                .map(String::from)
        }));
        Ok(())
    });
    if !replayed {
        return;
    }
    // The seeds are worth replaying: between them they report every kind.
    let kinds: Vec<String> = kinds.into_inner().unwrap().into_iter().flatten().collect();
    assert_eq!(kinds, ["Cycle", "OrderViolation", "SelfDeadlock"]);
}
