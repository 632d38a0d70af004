//! Optional `--name value` arguments, so every example can be scaled from the
//! command line (`cargo run --example NAME -- --rounds 10`).

#![allow(dead_code)] // shared by every example; each uses a part

use std::fmt::Display;
use std::str::FromStr;

/// The value after `--name` on the command line, or `default` when absent.
///
/// Exits with status 2 and a usage line when the value does not parse.
pub fn arg<T: FromStr + Display>(name: &str, default: T) -> T {
    let Some(text) = value_of(name) else {
        return default;
    };
    text.parse().unwrap_or_else(|_| {
        eprintln!("--{name}: cannot read {text:?} (default {default})");
        std::process::exit(2);
    })
}

/// Whether `--name` appears on the command line (with or without a value).
pub fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == format!("--{name}"))
}

/// The text after `--name`, if any.
fn value_of(name: &str) -> Option<String> {
    let wanted = format!("--{name}");
    let mut args = std::env::args().skip_while(|a| *a != wanted);
    args.next()?;
    args.next()
}
