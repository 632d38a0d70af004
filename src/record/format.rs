//! The record format, version 1: JSON lines (`docs/record-format.md` in the
//! repository is its specification).
//!
//! ```text
//! {"format":"lockgraph-record","version":1,"exe":"orders-1f2e3d","pid":4242,"started":1765000000123456789}
//! {"from":{"name":"items"},"to":{"site":"src/log.rs:12:20"},"thread":"main","from_site":"src/a.rs:3:9","to_site":"src/a.rs:4:9","backtrace":["app::add (src/a.rs:4)"]}
//! ```
//!
//! The writer serialises borrowed values ([`HeaderOut`], [`EdgeOut`]); the
//! checker reads owned ones ([`HeaderIn`], [`EdgeIn`]). Both sides are here,
//! so that they cannot drift apart unnoticed (a test writes with one and
//! reads with the other).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// The `format` of a record's header line.
pub const FORMAT: &str = "lockgraph-record";

/// The record format version this lockgraph writes, and the only one it reads.
/// A change that an older reader would misread gets a new version; a new
/// optional field does not (readers ignore fields they do not know).
pub const VERSION: u32 = 1;

/// A lock class as a record writes it: `{"name": "items"}` for locks made
/// with `named`, `{"site": "src/ledger.rs:12:20"}` (file:line:column) for
/// locks made with `new`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ClassRepr {
    /// The class of locks made with `named(name, ..)`.
    Name(String),
    /// The class of locks made with `new` at this `file:line:column`.
    Site(String),
}

/// The first line of a record, as written.
#[derive(Serialize)]
pub(crate) struct HeaderOut<'a> {
    pub(crate) format: &'a str,
    pub(crate) version: u32,
    pub(crate) exe: &'a str,
    pub(crate) pid: u32,
    pub(crate) started: u64,
}

/// A class edge line, as written.
#[derive(Serialize)]
pub(crate) struct EdgeOut<'a> {
    pub(crate) from: &'a ClassRepr,
    pub(crate) to: &'a ClassRepr,
    pub(crate) thread: &'a str,
    pub(crate) from_site: String,
    pub(crate) to_site: String,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub(crate) backtrace: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) backtrace_of: Option<&'a str>,
    /// The kinds it was made as (`EN`, `ER`, `SN`, `SR`), left out when it
    /// is `EN` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) kinds: Option<Vec<&'static str>>,
}

/// What the checker reads of a first line before anything else: whether it
/// is a lockgraph record at all, and of which version.
#[derive(Deserialize)]
pub(crate) struct Probe {
    pub(crate) format: Option<String>,
    pub(crate) version: Option<u64>,
}

/// The first line of a record, as read.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct HeaderIn {
    pub(crate) exe: String,
    pub(crate) pid: u32,
    pub(crate) started: u64,
}

/// A class edge line, as read: borrowed from the file's bytes where the
/// JSON has no escapes, so that reading a large record allocates little.
#[derive(Debug, Deserialize)]
pub(crate) struct EdgeIn<'a> {
    #[serde(borrow)]
    pub(crate) from: ClassIn<'a>,
    #[serde(borrow)]
    pub(crate) to: ClassIn<'a>,
    #[serde(borrow)]
    pub(crate) thread: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) from_site: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) to_site: Cow<'a, str>,
    #[serde(default, borrow)]
    pub(crate) backtrace: Vec<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub(crate) backtrace_of: Option<Cow<'a, str>>,
    /// Absent: `EN` (a record that says nothing else is read as the
    /// strictest kind, so a cycle is never missed).
    #[serde(default, borrow)]
    pub(crate) kinds: Vec<Cow<'a, str>>,
}

/// A class, as read (see [`ClassRepr`]).
#[derive(Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ClassIn<'a> {
    Name(#[serde(borrow)] Cow<'a, str>),
    Site(#[serde(borrow)] Cow<'a, str>),
}

impl ClassIn<'_> {
    pub(crate) fn to_repr(&self) -> ClassRepr {
        match self {
            ClassIn::Name(name) => ClassRepr::Name(name.to_string()),
            ClassIn::Site(site) => ClassRepr::Site(site.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_reads_back() {
        let header = HeaderOut {
            format: FORMAT,
            version: VERSION,
            exe: "orders-1f2e",
            pid: 7,
            started: 1_765_000_000_123_456_789,
        };
        let line = serde_json::to_string(&header).unwrap();
        assert_eq!(
            line,
            r#"{"format":"lockgraph-record","version":1,"exe":"orders-1f2e","pid":7,"started":1765000000123456789}"#
        );
        let probe: Probe = serde_json::from_str(&line).unwrap();
        assert_eq!(
            (probe.format.as_deref(), probe.version),
            (Some(FORMAT), Some(1))
        );
        let read: HeaderIn = serde_json::from_str(&line).unwrap();
        assert_eq!((read.exe.as_str(), read.pid), ("orders-1f2e", 7));

        let (from, to) = (
            ClassRepr::Name("items".into()),
            ClassRepr::Site("src/a.rs:1:2".into()),
        );
        let frames = ["app::f (src/a.rs:4)".to_string()];
        let edge = EdgeOut {
            from: &from,
            to: &to,
            thread: "main",
            from_site: "src/a.rs:3:9".into(),
            to_site: "src/a.rs:4:9".into(),
            backtrace: &frames,
            backtrace_of: None,
            kinds: None,
        };
        let line = serde_json::to_string(&edge).unwrap();
        assert_eq!(
            line,
            r#"{"from":{"name":"items"},"to":{"site":"src/a.rs:1:2"},"thread":"main","from_site":"src/a.rs:3:9","to_site":"src/a.rs:4:9","backtrace":["app::f (src/a.rs:4)"]}"#
        );
        let read: EdgeIn = serde_json::from_str(&line).unwrap();
        assert_eq!(
            (read.from.to_repr(), read.to.to_repr()),
            (from.clone(), to.clone())
        );
        assert!(matches!(read.thread, Cow::Borrowed("main")));
        assert!(read.kinds.is_empty()); // EN
        let edge = EdgeOut {
            kinds: Some(vec!["SR", "EN"]),
            ..edge
        };
        let line = serde_json::to_string(&edge).unwrap();
        assert!(line.ends_with(r#","kinds":["SR","EN"]}"#), "{line}");
        let read: EdgeIn = serde_json::from_str(&line).unwrap();
        assert_eq!(read.kinds, ["SR", "EN"]);
        assert_eq!(read.backtrace, frames);
        assert_eq!(read.backtrace_of, None);
    }
}
