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

/// Every file of `fuzz/corpus/<target>`, with its name.
fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
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
    files
}

fn replay(target: &str, run: impl Fn(&Program) -> Result<(), String>) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for (path, bytes) in corpus(target) {
        let program = Program::from_bytes(&bytes);
        run(&program).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

#[test]
fn graph_ops_seeds() {
    replay("graph_ops", check_graph);
}

#[test]
fn lock_orders_seeds() {
    let kinds = Mutex::new(BTreeSet::new());
    replay("lock_orders", |program| {
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
    // The seeds are worth replaying: between them they report every kind.
    let kinds: Vec<String> = kinds.into_inner().unwrap().into_iter().flatten().collect();
    assert_eq!(kinds, ["Cycle", "OrderViolation", "SelfDeadlock"]);
}
