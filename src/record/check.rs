//! Checking records: every record file of some directories read (in
//! parallel), their class edges merged, and every class cycle reported.
//!
//! Merged by `(from, to)`: a class edge keeps every process and thread that
//! made it, ordered by when the process started and then by line, so the
//! first is the earliest known. The cycles are found per strongly connected
//! component (Tarjan): for each class edge of a component not yet shown in
//! a report, in order, the shortest path back closes one elementary cycle,
//! reported once (rotated to start at its least class). So every class edge
//! that lies on some cycle is shown in at least one report, each component
//! gives at least one, and the same records give the same reports in the
//! same order. At most [`MAX_CYCLES`] are reported.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use super::format::{ClassIn, ClassRepr, EdgeIn, FORMAT, HeaderIn, Probe, VERSION};
use crate::graph::dep::{Kind, Kinds};
use crate::graph::gate::Gate;
use crate::graph::walk::{self, ClosingEdge, Step};

/// The most class cycles one check reports (the first ones, in order).
pub const MAX_CYCLES: usize = 200;

/// Other makers of a class edge a report lists after the first, at most.
const OTHER_MAKERS: usize = 4;

/// The result of [`check`]: the cycles found, the bad input met, and the
/// merged class graph.
///
/// # Examples
///
/// ```
/// let dir = std::env::temp_dir().join(format!("lockgraph-doc-check-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// std::fs::write(
///     dir.join("a.jsonl"),
///     concat!(
///         r#"{"format":"lockgraph-record","version":1,"exe":"test_a","pid":1,"started":1}"#, "\n",
///         r#"{"from":{"name":"items"},"to":{"name":"log"},"thread":"t","from_site":"a.rs:1:1","to_site":"a.rs:2:1"}"#, "\n",
///     ),
/// )
/// .unwrap();
/// std::fs::write(
///     dir.join("b.jsonl"),
///     concat!(
///         r#"{"format":"lockgraph-record","version":1,"exe":"test_b","pid":2,"started":2}"#, "\n",
///         r#"{"from":{"name":"log"},"to":{"name":"items"},"thread":"u","from_site":"b.rs:1:1","to_site":"b.rs:2:1"}"#, "\n",
///     ),
/// )
/// .unwrap();
/// let checked = lockgraph::record::check(&[&dir]);
/// assert_eq!(checked.exit_code(), 1);
/// let report = &checked.cycles()[0];
/// assert!(report.starts_with("lockgraph: potential deadlock (lock class inversion of 2 classes) across 2 processes"));
/// assert!(report.contains(r#"class items -> class log, first by thread "t" in process "test_a" (pid 1)"#));
/// std::fs::remove_dir_all(&dir).unwrap();
/// ```
#[derive(Debug)]
pub struct Checked {
    files: usize,
    processes: Vec<Process>,
    classes: Vec<ClassRepr>,
    /// Every class edge, sorted, with its makers (a range of `makers`).
    edges: Vec<((u32, u32), Range<usize>)>,
    /// Every line of every record, by class edge, then earliest first.
    makers: Vec<Maker>,
    problems: Vec<String>,
    cycles: Vec<Vec<u32>>,
    reports: Vec<String>,
    /// Whether more cycles than [`MAX_CYCLES`] were there to report.
    truncated: bool,
    /// The class edges an allowance names (left out of the cycle search).
    allowed: HashSet<(u32, u32)>,
}

/// One record file's process.
#[derive(Debug)]
struct Process {
    exe: String,
    pid: u32,
}

/// A line that made a class edge: the rest of it (thread, sites, stack) is
/// read again only if a report shows it.
#[derive(Clone, Copy, Debug)]
struct Maker {
    /// The process's rank (in order of start).
    process: u32,
    /// The record file, as an index into the files read.
    file: u32,
    line: u32,
    /// The line's bytes in the file.
    start: usize,
    end: usize,
    /// The kinds the line says the edge was made as.
    kinds: Kinds,
}

/// One file, read: its class edges as pairs of classes of the file.
struct Parsed {
    header: Option<HeaderIn>,
    bytes: Vec<u8>,
    classes: Vec<ClassRepr>,
    /// `(from, to, line, start, end, kinds)`, classes as indices into `classes`.
    edges: Vec<(u32, u32, u32, usize, usize, Kinds)>,
    problems: Vec<String>,
}

/// Reads every record (`*.jsonl`) in `dirs`, merges their class graphs and
/// finds the class cycles. Bad input (a directory or file that cannot be
/// read, a line that is not a record, a truncated line, another format
/// version) is listed in [`Checked::problems`] with its file and line, and
/// skipped: the rest is still checked.
pub fn check<P: AsRef<Path>>(dirs: &[P]) -> Checked {
    check_allowing(dirs, None)
}

/// [`check`], with the allowed orders of `allow_file` (the format of
/// `LOCKGRAPH_ALLOW`: lines `FROM -> TO: reason`, classes as reports name
/// them, a site with or without its column, `#` starting a comment): a
/// cycle with an allowed class edge is not reported, as in a process. A
/// file that cannot be read, or a line of it that is not an order, is a
/// problem (the rest still counts).
///
/// Orders allowed with `allow_order` in a program's code are not in its
/// record: give them to the checker in a file.
pub fn check_allowing<P: AsRef<Path>>(dirs: &[P], allow_file: Option<&Path>) -> Checked {
    let mut problems = Vec::new();
    let allowances = allow_file.map_or_else(Vec::new, |file| read_allowances(file, &mut problems));
    let mut files = Vec::new();
    for dir in dirs {
        let dir = dir.as_ref();
        match std::fs::read_dir(dir) {
            Err(e) => problems.push(format!("{}: cannot read the directory: {e}", dir.display())),
            Ok(entries) => {
                let mut found: Vec<PathBuf> = Vec::new();
                for entry in entries {
                    match entry {
                        Ok(entry) => {
                            let path = entry.path();
                            if path.extension().is_some_and(|e| e == "jsonl") && !path.is_dir() {
                                found.push(path);
                            }
                        }
                        Err(e) => problems
                            .push(format!("{}: cannot read the directory: {e}", dir.display())),
                    }
                }
                found.sort();
                files.extend(found);
            }
        }
    }
    let parsed = parse_all(&files);
    merge(files, parsed, problems, &allowances)
}

/// An allowed order: `(from, to)` class patterns.
type Allowance = (String, String);

/// The orders of an allow file; its bad lines are problems.
fn read_allowances(file: &Path, problems: &mut Vec<String>) -> Vec<Allowance> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) => {
            problems.push(format!("{}: cannot read: {e}", file.display()));
            return Vec::new();
        }
    };
    let mut allowances = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let order = line.split_once("->").and_then(|(from, rest)| {
            let to = rest.split_once(": ").map_or(rest, |(to, _)| to);
            let (from, to) = (from.trim(), to.trim());
            (!from.is_empty() && !to.is_empty()).then(|| (from.to_string(), to.to_string()))
        });
        match order {
            Some(order) => allowances.push(order),
            None => problems.push(format!(
                "{}:{}: not an allowed order `FROM -> TO: reason`",
                file.display(),
                index + 1
            )),
        }
    }
    allowances
}

/// Whether `class` is the one `pattern` names: a name, a site
/// `file:line:column`, or every site of `file:line`.
fn matches(class: &ClassRepr, pattern: &str) -> bool {
    match class {
        ClassRepr::Name(name) => name == pattern,
        ClassRepr::Site(site) => {
            site == pattern
                || site
                    .rsplit_once(':')
                    .is_some_and(|(line, _)| line == pattern)
        }
    }
}

/// Parses `files` on as many threads as there are cores.
fn parse_all(files: &[PathBuf]) -> Vec<Parsed> {
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(files.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let mut parsed: Vec<(usize, Parsed)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let at = next.fetch_add(1, Relaxed);
                        let Some(path) = files.get(at) else {
                            return done;
                        };
                        done.push((at, parse_file(path)));
                    }
                })
            })
            .collect();
        let joined = handles.into_iter().map(|h| h.join());
        joined.flat_map(|r| r.unwrap_or_default()).collect()
    });
    parsed.sort_by_key(|(at, _)| *at);
    parsed.into_iter().map(|(_, p)| p).collect()
}

/// Reads one record file.
fn parse_file(path: &Path) -> Parsed {
    let mut parsed = Parsed {
        header: None,
        bytes: Vec::new(),
        classes: Vec::new(),
        edges: Vec::new(),
        problems: Vec::new(),
    };
    let name = path.display();
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            parsed.problems.push(format!("{name}: cannot read: {e}"));
            return parsed;
        }
    };
    let ends_complete = bytes.ends_with(b"\n");
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    if ends_complete {
        lines.pop();
    }
    let count = lines.len();
    // The file's classes, each once (borrowed from the bytes while read).
    let mut local: HashMap<ClassIn<'_>, u32> = HashMap::new();
    let mut start = 0;
    for (at, raw) in lines.into_iter().enumerate() {
        let number = at + 1;
        let (line_start, line_end) = (start, start + raw.len());
        start = line_end + 1;
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let unfinished = number == count && !ends_complete;
        // `file:line:column: ...`, serde's message without its own "at line 1 column N".
        let bad = |e: serde_json::Error, what: &str| {
            let (column, text) = (e.column(), e.to_string());
            let message = text.split(" at line ").next().unwrap_or_default();
            match unfinished || e.is_eof() {
                true => format!(
                    "{name}:{number}:{column}: truncated line (the process may have stopped while writing it): {message}"
                ),
                false => format!("{name}:{number}:{column}: not a {what}: {message}"),
            }
        };
        if parsed.header.is_none() {
            match header(raw) {
                Ok(header) => parsed.header = Some(header),
                Err(Some(e)) => {
                    parsed.problems.push(bad(e, "lockgraph record header"));
                    return parsed;
                }
                Err(None) => {
                    let found = serde_json::from_slice::<Probe>(raw).ok();
                    let message = match found {
                        Some(Probe {
                            format: Some(format),
                            version: Some(version),
                        }) if format == FORMAT => format!(
                            "{name}:{number}: record format version {version}; this lockgraph reads version {VERSION} only (use the lockgraph that wrote it)"
                        ),
                        _ => format!(
                            "{name}:{number}: not a lockgraph record (the first line has no \"format\": \"{FORMAT}\")"
                        ),
                    };
                    parsed.problems.push(message);
                    return parsed;
                }
            }
            continue;
        }
        match serde_json::from_slice::<EdgeIn<'_>>(raw) {
            Ok(edge) => {
                let mut intern = |class| {
                    let next = u32::try_from(parsed.classes.len()).unwrap_or(u32::MAX);
                    *local.entry(class).or_insert_with_key(|class| {
                        parsed.classes.push(class.to_repr());
                        next
                    })
                };
                let (from, to) = (intern(edge.from), intern(edge.to));
                let number = u32::try_from(number).unwrap_or(u32::MAX);
                let mut kinds = Kinds::NONE;
                for letters in &edge.kinds {
                    match Kind::from_letters(letters) {
                        Some(kind) => _ = kinds.insert(kind),
                        None => parsed.problems.push(format!(
                            "{name}:{number}: unknown edge kind {letters:?} (EN, ER, SN or SR); read as EN"
                        )),
                    }
                }
                if kinds == Kinds::NONE || edge.kinds.len() > kinds.iter().count() {
                    kinds.insert(Kind::EXCLUSIVE); // absent, or not understood: the strictest
                }
                parsed
                    .edges
                    .push((from, to, number, line_start, line_end, kinds));
            }
            Err(e) => parsed.problems.push(bad(e, "class edge")),
        }
    }
    drop(local);
    if parsed.header.is_none() {
        parsed.problems.push(format!("{name}: no header line"));
    }
    parsed.bytes = bytes;
    parsed
}

/// The header, or `Err(None)` if the line is JSON but not a version-1
/// lockgraph header, `Err(Some(e))` if it is not JSON or not a whole header.
fn header(raw: &[u8]) -> Result<HeaderIn, Option<serde_json::Error>> {
    let probe: Probe = serde_json::from_slice(raw).map_err(Some)?;
    if probe.format.as_deref() != Some(FORMAT) || probe.version != Some(u64::from(VERSION)) {
        return Err(None);
    }
    serde_json::from_slice(raw).map_err(Some)
}

/// Merges what was read into one class graph, and finds its cycles.
fn merge(
    files: Vec<PathBuf>,
    parsed: Vec<Parsed>,
    mut problems: Vec<String>,
    allowances: &[Allowance],
) -> Checked {
    // Processes in order of start (then pid, then file), for "first by".
    let mut order: Vec<(u64, u32, usize)> = parsed
        .iter()
        .enumerate()
        .filter_map(|(at, p)| p.header.as_ref().map(|h| (h.started, h.pid, at)))
        .collect();
    order.sort_unstable();
    let mut rank = vec![u32::MAX; parsed.len()];
    let mut processes = Vec::with_capacity(order.len());
    for (r, &(_, _, at)) in order.iter().enumerate() {
        rank[at] = u32::try_from(r).unwrap_or(u32::MAX);
        let header = parsed[at].header.as_ref().expect("has a header");
        processes.push(Process {
            exe: header.exe.clone(),
            pid: header.pid,
        });
    }
    let mut index: HashMap<ClassRepr, u32> = HashMap::new();
    let mut classes: Vec<ClassRepr> = Vec::new();
    let mut makers: Vec<(u32, u32, Maker)> = Vec::new();
    let mut bytes = Vec::with_capacity(parsed.len());
    for (file, parsed) in parsed.into_iter().enumerate() {
        problems.extend(parsed.problems);
        let global: Vec<u32> = parsed
            .classes
            .into_iter()
            .map(|class| {
                let next = u32::try_from(classes.len()).unwrap_or(u32::MAX);
                *index.entry(class).or_insert_with_key(|class| {
                    classes.push(class.clone());
                    next
                })
            })
            .collect();
        let file_index = u32::try_from(file).unwrap_or(u32::MAX);
        for (from, to, line, start, end, kinds) in parsed.edges {
            let (from, to) = (global[from as usize], global[to as usize]);
            if from == to {
                continue; // same-class nesting is never a class cycle
            }
            let maker = Maker {
                process: rank[file],
                file: file_index,
                line,
                start,
                end,
                kinds,
            };
            makers.push((from, to, maker));
        }
        bytes.push(parsed.bytes);
    }
    // Classes renumbered in sorted order: the same records, the same output.
    let mut sorted: Vec<u32> = (0..u32::try_from(classes.len()).unwrap_or(u32::MAX)).collect();
    sorted.sort_unstable_by(|&a, &b| classes[a as usize].cmp(&classes[b as usize]));
    let mut renumber = vec![0u32; classes.len()];
    for (new, &old) in sorted.iter().enumerate() {
        renumber[old as usize] = u32::try_from(new).unwrap_or(u32::MAX);
    }
    let mut slots: Vec<Option<ClassRepr>> = classes.into_iter().map(Some).collect();
    let classes: Vec<ClassRepr> = sorted
        .iter()
        .map(|&old| slots[old as usize].take().expect("each class once"))
        .collect();
    for (from, to, _) in &mut makers {
        (*from, *to) = (renumber[*from as usize], renumber[*to as usize]);
    }
    makers.sort_unstable_by_key(|&(from, to, m)| (from, to, m.process, m.line));
    let mut edges: Vec<((u32, u32), Range<usize>)> = Vec::new();
    for (at, &(from, to, _)) in makers.iter().enumerate() {
        match edges.last_mut() {
            Some((key, range)) if *key == (from, to) => range.end = at + 1,
            _ => edges.push(((from, to), at..at + 1)),
        }
    }
    // An allowed edge is left out of the graph the cycles are looked for
    // in: no cycle through it is reported.
    let allowed: HashSet<(u32, u32)> = edges
        .iter()
        .map(|&(key, _)| key)
        .filter(|&(from, to)| {
            let (from, to) = (&classes[from as usize], &classes[to as usize]);
            allowances
                .iter()
                .any(|(a, b)| matches(from, a) && matches(to, b))
        })
        .collect();
    let mut out: Vec<Vec<(u32, Kinds)>> = vec![Vec::new(); classes.len()];
    for ((from, to), range) in edges.iter().filter(|(key, _)| !allowed.contains(key)) {
        let mut kinds = Kinds::NONE;
        makers[range.clone()]
            .iter()
            .for_each(|(_, _, m)| _ = kinds.extend(m.kinds));
        out[*from as usize].push((*to, kinds));
    }
    let makers = makers.into_iter().map(|(_, _, m)| m).collect();
    let (cycles, truncated) = cycles(&out);
    let mut checked = Checked {
        files: files.len(),
        processes,
        classes,
        edges,
        makers,
        problems,
        cycles,
        reports: Vec::new(),
        truncated,
        allowed,
    };
    let reports = checked.cycles.iter().map(|c| checked.report(c, &bytes));
    checked.reports = reports.collect();
    checked
}

/// The strongly connected components of two or more nodes (Tarjan's
/// algorithm, without recursion), each sorted, in order of their least node.
fn components(out: &[Vec<u32>]) -> Vec<Vec<u32>> {
    const NONE: u32 = u32::MAX;
    let n = out.len();
    let (mut index, mut low) = (vec![NONE; n], vec![0u32; n]);
    let mut on_stack = vec![false; n];
    let (mut stack, mut calls) = (Vec::new(), Vec::<(u32, usize)>::new());
    let (mut next, mut found) = (0u32, Vec::new());
    for root in 0..n {
        if index[root] != NONE {
            continue;
        }
        let visit = |v: u32, next: &mut u32, index: &mut [u32], low: &mut [u32]| {
            index[v as usize] = *next;
            low[v as usize] = *next;
            *next += 1;
        };
        let root = u32::try_from(root).unwrap_or(NONE);
        visit(root, &mut next, &mut index, &mut low);
        stack.push(root);
        on_stack[root as usize] = true;
        calls.push((root, 0));
        while let Some((v, at)) = calls.last_mut() {
            let v = *v;
            if let Some(&w) = out[v as usize].get(*at) {
                *at += 1;
                if index[w as usize] == NONE {
                    visit(w, &mut next, &mut index, &mut low);
                    stack.push(w);
                    on_stack[w as usize] = true;
                    calls.push((w, 0));
                } else if on_stack[w as usize] {
                    low[v as usize] = low[v as usize].min(index[w as usize]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                low[parent as usize] = low[parent as usize].min(low[v as usize]);
            }
            if low[v as usize] == index[v as usize] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w as usize] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort_unstable();
                    found.push(component);
                }
            }
        }
    }
    found.sort_unstable_by_key(|c| c[0]);
    found
}

/// The cycles to report (each rotated to start at its least node), and
/// whether there were more than [`MAX_CYCLES`]. A cycle counts only if it
/// can deadlock by lockdep's strong rule (see [`crate::graph::dep`]): where
/// an edge of a component was made as a recursive read, its way back is
/// searched with the edges' kinds.
fn cycles(out_kinds: &[Vec<(u32, Kinds)>]) -> (Vec<Vec<u32>>, bool) {
    let out: Vec<Vec<u32>> = out_kinds
        .iter()
        .map(|edges| edges.iter().map(|&(to, _)| to).collect())
        .collect();
    let mut component_of = vec![u32::MAX; out.len()];
    let mut cycles = Vec::new();
    let mut seen_cycles: HashSet<Vec<u32>> = HashSet::new();
    // Breadth-first search state, reset by stamping.
    let (mut stamp, mut seen, mut parent) = (0u32, vec![0u32; out.len()], vec![0u32; out.len()]);
    for (c, component) in components(&out).into_iter().enumerate() {
        let c = u32::try_from(c).unwrap_or(u32::MAX);
        component.iter().for_each(|&v| component_of[v as usize] = c);
        let recursive = component.iter().any(|&u| {
            let mut edges = out_kinds[u as usize].iter();
            edges.any(|&(_, kinds)| kinds.iter().any(|k| k.taken_recursive()))
        });
        let mut covered: HashSet<(u32, u32)> = HashSet::new();
        for &u in &component {
            for &(v, kinds) in &out_kinds[u as usize] {
                if component_of[v as usize] != c || covered.contains(&(u, v)) {
                    continue;
                }
                if cycles.len() == MAX_CYCLES {
                    return (cycles, true);
                }
                // The shortest way v -> ... -> u in the component that,
                // with u -> v, can deadlock.
                let path = match recursive {
                    true => match strong_path(out_kinds, &component_of, c, (u, v), kinds) {
                        Some(path) => path,
                        None => continue,
                    },
                    false => {
                        stamp += 1;
                        let mut queue = std::collections::VecDeque::from([v]);
                        seen[v as usize] = stamp;
                        while let Some(x) = queue.pop_front() {
                            if x == u {
                                break;
                            }
                            for &y in &out[x as usize] {
                                if component_of[y as usize] == c && seen[y as usize] != stamp {
                                    seen[y as usize] = stamp;
                                    parent[y as usize] = x;
                                    queue.push_back(y);
                                }
                            }
                        }
                        let mut path = vec![u];
                        let mut at = u;
                        while at != v {
                            at = parent[at as usize];
                            path.push(at);
                        }
                        path.reverse(); // v ... u
                        path
                    }
                };
                let mut cycle = vec![u];
                cycle.extend(&path[..path.len() - 1]);
                for i in 0..cycle.len() {
                    covered.insert((cycle[i], cycle[(i + 1) % cycle.len()]));
                }
                let least = (0..cycle.len()).min_by_key(|&i| cycle[i]).unwrap_or(0);
                cycle.rotate_left(least);
                if seen_cycles.insert(cycle.clone()) {
                    cycles.push(cycle);
                }
            }
        }
    }
    (cycles, false)
}

/// The shortest way `v -> ... -> u` inside component `c` that, with the edge
/// `u -> v` (made as `kinds`), closes a strong cycle, as the classes from `v`
/// to `u`.
fn strong_path(
    out: &[Vec<(u32, Kinds)>],
    component_of: &[u32],
    c: u32,
    (u, v): (u32, u32),
    kinds: Kinds,
) -> Option<Vec<u32>> {
    let walk = kinds.iter().find_map(|kind| {
        let closing = ClosingEdge {
            gate: Gate::NONE,
            kind,
        };
        walk::deadlock_walk(v, u, closing, |node, steps| {
            let inside = out[node as usize]
                .iter()
                .filter(|(to, _)| component_of[*to as usize] == c);
            steps.extend(inside.map(|&(to, kinds)| Step {
                to,
                gate: Gate::NONE,
                kinds,
                edge: (),
            }));
        })
    })?;
    let mut path = vec![v];
    path.extend(walk.iter().map(|&(_, to, ())| to));
    Some(path)
}

/// A class as reports name it: its name, or its creation site.
fn class_label(class: &ClassRepr) -> &str {
    match class {
        ClassRepr::Name(label) | ClassRepr::Site(label) => label,
    }
}

impl Checked {
    /// How many record files were found.
    pub fn records(&self) -> usize {
        self.files
    }

    /// How many processes the records came from (the readable ones).
    pub fn processes(&self) -> usize {
        self.processes.len()
    }

    /// How many classes and class edges the merged graph has.
    pub fn graph_size(&self) -> (usize, usize) {
        (self.classes.len(), self.edges.len())
    }

    /// Bad input, one message each, naming the file (and line): what could
    /// not be read, lines that are not records or were cut short, records of
    /// another format version. What they name was skipped.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    /// A report per class cycle found, in a deterministic order (at most
    /// [`MAX_CYCLES`]).
    pub fn cycles(&self) -> &[String] {
        &self.reports
    }

    /// The exit status of `lockgraph check`: 2 if there was bad input (the
    /// check is incomplete, whatever it found in the rest), else 1 if a class
    /// cycle was found, else 0.
    pub fn exit_code(&self) -> i32 {
        match (self.problems.is_empty(), self.reports.is_empty()) {
            (false, _) => 2,
            (true, false) => 1,
            (true, true) => 0,
        }
    }

    /// One line: what was checked and found.
    pub fn summary(&self) -> String {
        let (classes, edges) = self.graph_size();
        let mut line = format!(
            "lockgraph: checked {} record(s) from {} process(es): {edges} class edge(s) among {classes} class(es); ",
            self.files,
            self.processes.len()
        );
        match self.reports.len() {
            0 => line.push_str("no class cycle"),
            1 => line.push_str("1 class cycle"),
            n if self.truncated => {
                let _ = write!(line, "{n} class cycles shown, more not shown");
            }
            n => {
                let _ = write!(line, "{n} class cycles");
            }
        }
        if !self.allowed.is_empty() {
            let _ = write!(line, "; {} class edge(s) allowed", self.allowed.len());
        }
        if !self.problems.is_empty() {
            let _ = write!(line, "; {} problem(s) in the input", self.problems.len());
        }
        line
    }

    fn makers(&self, from: u32, to: u32) -> &[Maker] {
        let at = self
            .edges
            .binary_search_by_key(&(from, to), |(key, _)| *key);
        at.map_or(&[], |at| &self.makers[self.edges[at].1.clone()])
    }

    fn made_by(&self, maker: &Maker, edge: &EdgeIn<'_>) -> String {
        let process = self.processes.get(maker.process as usize);
        let (exe, pid) = process.map_or(("?", 0), |p| (p.exe.as_str(), p.pid));
        format!(
            "thread \"{}\" in process \"{exe}\" (pid {pid}): held since {}, then took the second at {}",
            edge.thread, edge.from_site, edge.to_site
        )
    }

    /// The report of one cycle, in the style of an in-process
    /// [`ClassCycle`](crate::report::ClassCycle).
    fn report(&self, cycle: &[u32], bytes: &[Vec<u8>]) -> String {
        // The line of a maker, read again (it was read once already).
        let line = |m: &Maker| {
            let raw = bytes.get(m.file as usize)?.get(m.start..m.end)?;
            serde_json::from_slice::<EdgeIn<'_>>(raw).ok()
        };
        let n = cycle.len();
        let steps: Vec<(u32, u32)> = (0..n).map(|i| (cycle[i], cycle[(i + 1) % n])).collect();
        let mut processes: Vec<u32> = steps
            .iter()
            .flat_map(|&(from, to)| self.makers(from, to).iter().map(|m| m.process))
            .collect();
        processes.sort_unstable();
        processes.dedup();
        let kind = match n {
            2 => "lock class inversion",
            _ => "lock class cycle",
        };
        let scope = match processes.len() {
            1 => "in one process".to_string(),
            count => format!("across {count} processes"),
        };
        let mut text = String::new();
        let _ = writeln!(
            text,
            "lockgraph: potential deadlock ({kind} of {n} classes) {scope}:"
        );
        let _ = writeln!(
            text,
            "locks made at the same places (of the same classes) were taken in these orders:"
        );
        for &(from, to) in &steps {
            let makers: Vec<(&Maker, EdgeIn<'_>)> = self
                .makers(from, to)
                .iter()
                .filter_map(|m| Some((m, line(m)?)))
                .collect();
            let Some((first, edge)) = makers.first() else {
                continue;
            };
            let _ = writeln!(
                text,
                "  class {} -> class {}, first by {}",
                class_label(&self.classes[from as usize]),
                class_label(&self.classes[to as usize]),
                self.made_by(first, edge)
            );
            if let Some(thread) = &edge.backtrace_of {
                let _ = writeln!(
                    text,
                    "        (stack of thread \"{thread}\" when it first took these two lines in this order, with other locks)"
                );
            }
            for frame in &edge.backtrace {
                let _ = writeln!(text, "        at {frame}");
            }
            let key = |(m, e): &(&Maker, EdgeIn<'_>)| {
                (
                    m.process,
                    e.thread.to_string(),
                    e.from_site.to_string(),
                    e.to_site.to_string(),
                )
            };
            let mut seen = HashSet::from([key(&makers[0])]);
            let others: Vec<&(&Maker, EdgeIn<'_>)> = makers[1..]
                .iter()
                .filter(|other| seen.insert(key(other)))
                .collect();
            for (maker, edge) in others.iter().take(OTHER_MAKERS) {
                let _ = writeln!(text, "    also by {}", self.made_by(maker, edge));
            }
            if others.len() > OTHER_MAKERS {
                let _ = writeln!(
                    text,
                    "    and by {} more thread(s) or process(es)",
                    others.len() - OTHER_MAKERS
                );
            }
        }
        let _ = write!(
            text,
            "No deadlock has happened yet: two threads that run these orders on shared objects can deadlock."
        );
        text
    }

    /// The merged class graph in Graphviz's dot language: a node per class,
    /// an edge per class edge (labelled with the number of processes that
    /// made it), the classes and edges of the reported cycles in red, and
    /// allowed edges dashed.
    pub fn dot(&self) -> String {
        let on_cycle: HashSet<(u32, u32)> = self
            .cycles
            .iter()
            .flat_map(|c| (0..c.len()).map(move |i| (c[i], c[(i + 1) % c.len()])))
            .collect();
        let in_cycle: HashSet<u32> = self.cycles.iter().flatten().copied().collect();
        let quote = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
        let mut dot =
            String::from("digraph lockgraph {\n    node [shape=box, fontname=\"monospace\"];\n");
        for (at, class) in self.classes.iter().enumerate() {
            let at = u32::try_from(at).unwrap_or(u32::MAX);
            let style = match in_cycle.contains(&at) {
                true => ", color=red, fontcolor=red",
                false => "",
            };
            let _ = writeln!(
                dot,
                "    n{at} [label=\"{}\"{style}];",
                quote(class_label(class))
            );
        }
        for ((from, to), makers) in &self.edges {
            let makers = &self.makers[makers.clone()];
            let mut processes: Vec<u32> = makers.iter().map(|m| m.process).collect();
            processes.sort_unstable();
            processes.dedup();
            let style = match (
                on_cycle.contains(&(*from, *to)),
                self.allowed.contains(&(*from, *to)),
            ) {
                (true, _) => ", color=red, penwidth=2",
                (false, true) => ", style=dashed, color=gray",
                (false, false) => "",
            };
            let count = match processes.len() {
                1 => "1 process".to_string(),
                n => format!("{n} processes"),
            };
            let _ = writeln!(dot, "    n{from} -> n{to} [label=\"{count}\"{style}];");
        }
        dot.push_str("}\n");
        dot
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_and_cycles() {
        // 0 -> 1 -> 2 -> 0, 2 -> 3, 3 -> 4 -> 3, 5 alone.
        let out = vec![vec![1], vec![2], vec![0, 3], vec![4], vec![3], vec![]];
        assert_eq!(components(&out), vec![vec![0, 1, 2], vec![3, 4]]);
        let (found, truncated) = cycles(&with_kind(&out, "EN"));
        assert_eq!(found, vec![vec![0, 1, 2], vec![3, 4]]);
        assert!(!truncated);
        // Two cycles through 0: both shown, each once.
        let out = vec![vec![1, 2], vec![0], vec![0]];
        assert_eq!(
            cycles(&with_kind(&out, "EN")).0,
            vec![vec![0, 1], vec![0, 2]]
        );
    }

    /// Every edge of `out` made as `kind`.
    fn with_kind(out: &[Vec<u32>], kind: &str) -> Vec<Vec<(u32, Kinds)>> {
        let kinds = Kinds::one(Kind::from_letters(kind).unwrap());
        out.iter()
            .map(|e| e.iter().map(|&to| (to, kinds)).collect())
            .collect()
    }

    #[test]
    fn a_cycle_of_recursive_reads_of_locks_held_shared_is_no_cycle() {
        let out = vec![vec![1], vec![0]];
        assert!(cycles(&with_kind(&out, "SR")).0.is_empty());
        assert_eq!(cycles(&with_kind(&out, "SN")).0, vec![vec![0, 1]]);
        assert_eq!(cycles(&with_kind(&out, "ER")).0, vec![vec![0, 1]]);
        // 0 -(SR)-> 1 -(EN)-> 0: strong.
        let sr = Kinds::one(Kind::from_letters("SR").unwrap());
        let en = Kinds::one(Kind::EXCLUSIVE);
        let mixed = vec![vec![(1, sr)], vec![(0, en)]];
        assert_eq!(cycles(&mixed).0, vec![vec![0, 1]]);
    }
}
