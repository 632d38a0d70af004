//! `lockgraph::record::check` at scale: 1,000 record files, 100,000 class
//! edge lines in all (about 99,000 distinct class edges among 5,000
//! classes, each line with a three-frame backtrace), ten inversions among
//! them (one large cycle-ridden component). Prints the time of the check; asserts only what it finds.
//!
//! `cargo bench --bench record_check` (also runs under `cargo test --benches`);
//! with `RECORD_CHECK_KEEP=1` the records stay, for `lockgraph check` by hand.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

const FILES: usize = 1_000;
const EDGES_PER_FILE: usize = 100;
const CLASSES: u64 = 5_000;
const INVERSIONS: usize = 10;

fn main() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("record-check-bench");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut random = move |below: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % below
    };
    let class = |c: u64| match c % 2 {
        0 => format!(r#"{{"name":"class {c}"}}"#),
        _ => format!(r#"{{"site":"src/module_{}.rs:{}:9"}}"#, c % 97, c),
    };
    let started = Instant::now();
    let mut bytes = 0;
    for file in 0..FILES {
        let mut text = format!(
            r#"{{"format":"lockgraph-record","version":1,"exe":"shard_test_{}-0123456789abcdef","pid":{},"started":{}}}"#,
            file % 50,
            10_000 + file,
            1_765_000_000_000_000_000u64 + file as u64
        );
        text.push('\n');
        for line in 0..EDGES_PER_FILE {
            // Lower class first (one global order), except for the inversions.
            let (a, b) = loop {
                let (a, b) = (random(CLASSES), random(CLASSES));
                if a != b {
                    break (a.min(b), a.max(b));
                }
            };
            let (from, to) = match file < INVERSIONS && line == 0 {
                true => (3_000 + 100 * file as u64, 500 + 100 * file as u64),
                false => (a, b),
            };
            let _ = writeln!(
                text,
                r#"{{"from":{},"to":{},"thread":"tests::case_{line}","from_site":"src/a.rs:{line}:13","to_site":"src/b.rs:{line}:17","backtrace":["app::store::Store::put (src/store.rs:{line})","app::tests::case_{line} (src/tests.rs:{line})","app::tests::case_{line}::{{{{closure}}}} (src/tests.rs:{line})"]}}"#,
                class(from),
                class(to)
            );
        }
        bytes += text.len();
        std::fs::write(dir.join(format!("shard-{file:04}.jsonl")), text).unwrap();
    }
    println!(
        "wrote {FILES} records, {} class edge lines, {:.1} MB, in {:.2?}",
        FILES * EDGES_PER_FILE,
        bytes as f64 / 1e6,
        started.elapsed()
    );
    // Ten inversions: the first ten records each make an edge from a class
    // to one 2,500 below it, to which the random edges have paths: one
    // large strongly connected component, with more cycles than a check shows.
    for round in 0..3 {
        let started = Instant::now();
        let checked = lockgraph::record::check(&[&dir]);
        let took = started.elapsed();
        assert!(checked.problems().is_empty(), "{:?}", checked.problems());
        let (classes, edges) = checked.graph_size();
        println!(
            "check {round}: {took:.2?} ({} records, {edges} class edges among {classes} classes, {} cycles)",
            checked.records(),
            checked.cycles().len()
        );
    }
    match std::env::var_os("RECORD_CHECK_KEEP") {
        Some(_) => println!("kept in {}", dir.display()),
        None => drop(std::fs::remove_dir_all(&dir)),
    }
}
