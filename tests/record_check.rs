//! `lockgraph::record::check` on hand-written records: merging, cycles, and
//! bad input (named by file and line, skipped, the rest still checked).

#![cfg(feature = "record")]

use std::path::{Path, PathBuf};

use lockgraph::record::check;

/// A fresh directory for one test.
fn dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("record-check")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn header(exe: &str, pid: u32) -> String {
    format!(
        r#"{{"format":"lockgraph-record","version":1,"exe":"{exe}","pid":{pid},"started":{pid}}}"#
    )
}

fn edge(from: &str, to: &str, thread: &str) -> String {
    format!(
        r#"{{"from":{{"name":"{from}"}},"to":{{"name":"{to}"}},"thread":"{thread}","from_site":"src/{thread}.rs:1:1","to_site":"src/{thread}.rs:2:1","backtrace":["app::{thread} (src/{thread}.rs:2)"]}}"#
    )
}

/// Writes a record of `lines` (each ended by a newline) as `dir/name`.
fn record(dir: &Path, name: &str, lines: &[String]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();
    path
}

#[test]
fn one_order_per_process_is_no_cycle_two_are() {
    let dir = dir("inversion");
    record(
        &dir,
        "a.jsonl",
        &[header("test_a", 1), edge("items", "log", "t1")],
    );
    let checked = check(&[&dir]);
    assert_eq!((checked.exit_code(), checked.cycles().len()), (0, 0));
    assert_eq!(checked.graph_size(), (2, 1));

    record(
        &dir,
        "b.jsonl",
        &[header("test_b", 2), edge("log", "items", "t2")],
    );
    // The same edge again, from a third process: merged, listed as "also by".
    record(
        &dir,
        "c.jsonl",
        &[header("test_c", 3), edge("items", "log", "t3")],
    );
    let checked = check(&[&dir]);
    assert_eq!(checked.exit_code(), 1);
    assert_eq!((checked.records(), checked.processes()), (3, 3));
    assert_eq!(checked.graph_size(), (2, 2));
    let [report] = checked.cycles() else {
        panic!("{:?}", checked.cycles())
    };
    let expected = "\
lockgraph: potential deadlock (lock class inversion of 2 classes) across 3 processes:
locks made at the same places (of the same classes) were taken in these orders:
  class items -> class log, first by thread \"t1\" in process \"test_a\" (pid 1): held since src/t1.rs:1:1, then took the second at src/t1.rs:2:1
        at app::t1 (src/t1.rs:2)
    also by thread \"t3\" in process \"test_c\" (pid 3): held since src/t3.rs:1:1, then took the second at src/t3.rs:2:1
  class log -> class items, first by thread \"t2\" in process \"test_b\" (pid 2): held since src/t2.rs:1:1, then took the second at src/t2.rs:2:1
        at app::t2 (src/t2.rs:2)
No deadlock has happened yet: two threads that run these orders on shared objects can deadlock.";
    assert_eq!(report, expected);
}

#[test]
fn shards_in_several_directories_are_merged() {
    let (one, two, three) = (dir("shard1"), dir("shard2"), dir("shard3"));
    record(&one, "a.jsonl", &[header("a", 1), edge("x", "y", "a")]);
    record(&two, "b.jsonl", &[header("b", 2), edge("y", "z", "b")]);
    record(&three, "c.jsonl", &[header("c", 3), edge("z", "x", "c")]);
    let checked = check(&[&one, &two, &three]);
    assert_eq!(checked.exit_code(), 1);
    let [report] = checked.cycles() else {
        panic!("{:?}", checked.cycles())
    };
    assert!(report.starts_with(
        "lockgraph: potential deadlock (lock class cycle of 3 classes) across 3 processes:"
    ));
    let order: Vec<usize> = [
        "class x -> class y",
        "class y -> class z",
        "class z -> class x",
    ]
    .iter()
    .map(|step| report.find(step).expect(step))
    .collect();
    assert!(order.is_sorted(), "{report}");
    let dot = checked.dot();
    assert_eq!(dot.matches("color=red, penwidth=2").count(), 3, "{dot}");
}

#[test]
fn bad_input_is_named_by_file_and_line_and_the_rest_is_checked() {
    let dir = dir("bad");
    record(
        &dir,
        "a.jsonl",
        &[header("a", 1), edge("items", "log", "t1")],
    );
    // A bad line in the middle, then a good one.
    let b = record(
        &dir,
        "b.jsonl",
        &[
            header("b", 2),
            "{\"from\": 3}".to_string(),
            edge("log", "items", "t2"),
        ],
    );
    // Cut short by a crash: the last line has no end.
    let c = dir.join("c.jsonl");
    let cut = edge("p", "q", "t3");
    std::fs::write(&c, format!("{}\n{}", header("c", 3), &cut[..cut.len() / 2])).unwrap();
    // Written by a later lockgraph.
    let d = record(
        &dir,
        "d.jsonl",
        &[
            r#"{"format":"lockgraph-record","version":2,"exe":"d","pid":4,"started":4}"#.into(),
            edge("q", "p", "t4"),
        ],
    );
    // Not a record at all, and a file that cannot be read.
    let e = record(&dir, "e.jsonl", &["{\"hello\": 1}".to_string()]);
    let f = dir.join("f.jsonl");
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.join("missing"), &f).unwrap();
    // Empty: created, but the process stopped before its header.
    let g = dir.join("g.jsonl");
    std::fs::write(&g, "").unwrap();
    // Other files are not records and are left alone.
    std::fs::write(dir.join("notes.txt"), "not json").unwrap();

    let checked = check(&[&dir, &dir.join("no-such-dir")]);
    let problems = checked.problems();
    let has = |start: String, contains: &str| {
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with(&start) && p.contains(contains)),
            "no problem {start}...{contains} in {problems:#?}"
        );
    };
    has(format!("{}:2:10: ", b.display()), "not a class edge");
    has(format!("{}:2:", c.display()), "truncated line");
    has(
        format!("{}:1: ", d.display()),
        "record format version 2; this lockgraph reads version 1 only",
    );
    has(format!("{}:1: ", e.display()), "not a lockgraph record");
    #[cfg(unix)]
    has(format!("{}: ", f.display()), "cannot read");
    has(format!("{}: ", g.display()), "no header line");
    has(
        format!("{}: ", dir.join("no-such-dir").display()),
        "cannot read the directory",
    );
    assert_eq!(problems.len(), if cfg!(unix) { 7 } else { 6 });
    // The rest was checked: the inversion of a and b (b's third line) is
    // reported, and d's edge (another version) is not merged, so p -> q
    // (c's first edge was cut) makes no cycle.
    assert_eq!(checked.cycles().len(), 1);
    assert!(checked.cycles()[0].contains("class items -> class log"));
    assert_eq!(checked.exit_code(), 2, "bad input wins over a cycle");
    assert!(
        checked
            .summary()
            .ends_with("1 class cycle; 7 problem(s) in the input")
            || !cfg!(unix)
    );
}

#[test]
fn an_allowed_order_hides_the_cycles_through_it_only() {
    let dir = dir("allowed");
    record(
        &dir,
        "a.jsonl",
        &[header("a", 1), edge("x", "y", "a"), edge("p", "q", "a")],
    );
    record(
        &dir,
        "b.jsonl",
        &[header("b", 2), edge("y", "x", "b"), edge("q", "p", "b")],
    );
    let allow = dir.join("allow.txt");
    std::fs::write(
        &allow,
        "# start-up only\ny -> x: only at start-up\nnot an order\n",
    )
    .unwrap();
    let checked = lockgraph::record::check_allowing(&[&dir], Some(&allow));
    let [report] = checked.cycles() else {
        panic!("{:?}", checked.cycles())
    };
    assert!(report.contains("class p -> class q"), "{report}");
    assert_eq!(
        checked.problems(),
        [format!(
            "{}:3: not an allowed order `FROM -> TO: reason`",
            allow.display()
        )]
    );
    assert!(checked.summary().contains("; 1 class edge(s) allowed;"));
    assert!(checked.dot().contains("style=dashed"));
    std::fs::write(&allow, "y -> x\nq -> p: reason").unwrap();
    let checked = lockgraph::record::check_allowing(&[&dir], Some(&allow));
    assert_eq!((checked.exit_code(), checked.cycles().len()), (0, 0));
}

#[test]
fn no_records_is_no_cycle() {
    let dir = dir("empty");
    let checked = check(&[&dir]);
    assert_eq!((checked.exit_code(), checked.records()), (0, 0));
}

/// The `lockgraph` binary: usage errors are status 2, an empty directory 0.
#[cfg(feature = "cli")]
#[test]
fn the_binary_exit_statuses() {
    let run = |args: &[&std::ffi::OsStr]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_lockgraph"))
            .args(args)
            .env_remove("LOCKGRAPH_ALLOW")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status.code(), stderr)
    };
    let os = |s: &str| std::ffi::OsString::from(s);
    let (code, stderr) = run(&[&os("check")]);
    assert_eq!(code, Some(2));
    assert!(stderr.starts_with("lockgraph: check needs at least one directory"));
    let (code, stderr) = run(&[&os("check"), &os("--frobnicate"), &os(".")]);
    assert_eq!(code, Some(2));
    assert!(stderr.starts_with("lockgraph: unknown option --frobnicate"));
    assert_eq!(run(&[&os("verify")]).0, Some(2));
    assert_eq!(run(&[&os("--help")]).0, Some(0));
    let dir = dir("binary-empty");
    let (code, stderr) = run(&[&os("check"), dir.as_os_str()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("checked 0 record(s)"), "{stderr}");
    // A --dot file that cannot be written is bad input too.
    let (code, stderr) = run(&[
        &os("check"),
        dir.as_os_str(),
        &os("--dot"),
        dir.join("no/such/dir.dot").as_os_str(),
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("cannot write"), "{stderr}");
}

/// `edge` made as `kinds` (lockdep's letters).
fn edge_as(from: &str, to: &str, thread: &str, kinds: &str) -> String {
    let line = edge(from, to, thread);
    format!("{},\"kinds\":[{kinds}]}}", &line[..line.len() - 1])
}

#[test]
fn recursive_reads_across_processes_follow_the_strong_rule() {
    let dir = dir("kinds");
    // table -(SR)-> index in one process, index -(SR)-> table in another:
    // each recursive read is of a lock the other holds shared, no wait.
    record(
        &dir,
        "a.jsonl",
        &[
            header("reads_a", 1),
            edge_as("table", "index", "t1", "\"SR\""),
        ],
    );
    record(
        &dir,
        "b.jsonl",
        &[
            header("reads_b", 2),
            edge_as("index", "table", "t2", "\"SR\""),
        ],
    );
    let checked = check(&[&dir]);
    assert_eq!((checked.exit_code(), checked.cycles().len()), (0, 0));
    assert!(checked.problems().is_empty(), "{:?}", checked.problems());
    // A third process takes index for writing, then table: now strong.
    record(
        &dir,
        "c.jsonl",
        &[header("writes", 3), edge("index", "table", "t3")],
    );
    let checked = check(&[&dir]);
    assert_eq!((checked.exit_code(), checked.cycles().len()), (1, 1));
    // An unknown kind is named and read as the strictest.
    record(
        &dir,
        "d.jsonl",
        &[header("odd", 4), edge_as("x", "y", "t4", "\"XY\"")],
    );
    let checked = check(&[&dir]);
    let [problem] = checked.problems() else {
        panic!("{:?}", checked.problems())
    };
    assert!(
        problem.contains("d.jsonl:2: unknown edge kind \"XY\""),
        "{problem}"
    );
}
