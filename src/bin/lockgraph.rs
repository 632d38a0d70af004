//! `lockgraph check [--dot FILE] [--allow FILE] DIR...`: merges the class graphs that
//! processes recorded with `LOCKGRAPH_RECORD=DIR` and reports every lock
//! class cycle among them. Exit status: 1 if a cycle was found, 0 if not, 2
//! on bad input or usage (the rest of the input is still checked).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: lockgraph check [--dot FILE] [--allow FILE] DIR...

Merges the lock class graphs recorded in each DIR (by processes run with
LOCKGRAPH_RECORD=DIR) and reports every lock class cycle among them.

  --dot FILE     also write the merged class graph (Graphviz), cycles in red
  --allow FILE   allowed orders, lines `FROM -> TO: reason` (default: the
                 file named by LOCKGRAPH_ALLOW, if set)

Exit status: 1 if a class cycle was found, 0 if none, 2 on bad input (a file
or line that cannot be read: named on stderr, skipped, the rest still checked)
or bad usage.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("check") => check(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some("-V" | "--version") => {
            println!("lockgraph {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        _ => usage("expected a command: check"),
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("lockgraph: {problem}\n\n{USAGE}");
    ExitCode::from(2)
}

fn check(args: &[String]) -> ExitCode {
    let mut dot: Option<PathBuf> = None;
    let mut allow: Option<PathBuf> = std::env::var_os("LOCKGRAPH_ALLOW").map(PathBuf::from);
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dot" => match args.next() {
                Some(file) => dot = Some(file.into()),
                None => return usage("--dot needs a file name"),
            },
            "--allow" => match args.next() {
                Some(file) => allow = Some(file.into()),
                None => return usage("--allow needs a file name"),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--" => dirs.extend(args.by_ref().map(PathBuf::from)),
            option if option.starts_with('-') && option.len() > 1 => {
                return usage(&format!("unknown option {option}"));
            }
            dir => dirs.push(dir.into()),
        }
    }
    if dirs.is_empty() {
        return usage("check needs at least one directory");
    }
    let checked = lockgraph::record::check_allowing(&dirs, allow.as_deref());
    let mut out = std::io::stdout().lock();
    for report in checked.cycles() {
        let _ = writeln!(out, "{report}\n");
    }
    let _ = out.flush();
    for problem in checked.problems() {
        eprintln!("lockgraph: {problem}");
    }
    let mut code = checked.exit_code();
    if let Some(file) = dot
        && let Err(e) = std::fs::write(&file, checked.dot())
    {
        eprintln!("lockgraph: cannot write {}: {e}", file.display());
        code = 2;
    }
    eprintln!("{}", checked.summary());
    ExitCode::from(u8::try_from(code).unwrap_or(2))
}
