//! A copy of the graph at one moment, with Graphviz output.

use std::fmt::Write as _;
use std::panic::Location;

use crate::id::LockId;

/// A lock in a [`Snapshot`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockInfo {
    /// The lock's id.
    pub id: LockId,
    /// The name given to `named`, if any.
    pub name: Option<&'static str>,
    /// Where the lock was created (known for locks made with `new`).
    pub created_at: Option<&'static Location<'static>>,
}

impl LockInfo {
    /// The label reports use: the name, else the creation site.
    ///
    /// # Examples
    ///
    #[doc = "```"]
    #[doc = "let lock = lockgraph::Mutex::named(\"config\", ());"]
    #[doc = "let other = lockgraph::Mutex::new(());"]
    #[doc = "drop((lock.lock(), other.lock()));"]
    #[doc = "let snap = lockgraph::graph::snapshot();"]
    #[doc = "assert_eq!(snap.lock(lock.id()).map(|l| l.label()).as_deref(), Some(\"config\"));"]
    #[doc = "```"]
    pub fn label(&self) -> String {
        match (self.name, self.created_at) {
            (Some(name), _) => name.to_string(),
            (None, Some(site)) => site.to_string(),
            (None, None) => self.id.to_string(),
        }
    }
}

/// An edge in a [`Snapshot`]: `to` was taken while `from` was held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EdgeInfo {
    /// The lock that was held.
    pub from: LockId,
    /// The lock that was taken.
    pub to: LockId,
    /// The thread that first established the edge.
    pub thread: String,
    /// Where `to` was taken when the edge was first established.
    pub site: &'static Location<'static>,
    /// The edge's gate: the locks held (exclusively) around it every time it
    /// was made, outermost first (at most eight: past that, the outermost
    /// of the first make). A cycle each of whose edges has one lock `G` in its gate
    /// cannot deadlock (`G` serialises it) and is not reported.
    pub gate: Vec<LockId>,
}

/// The live locks and edges of the lock-order graph at one moment.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Every lock that has an edge, in a topological order of the graph.
    pub locks: Vec<LockInfo>,
    /// Every edge.
    pub edges: Vec<EdgeInfo>,
}

/// Copies the process-wide lock-order graph.
///
/// # Examples
///
/// ```
/// use lockgraph::{graph, Mutex};
///
/// let outer = Mutex::named("outer", ());
/// let inner = Mutex::named("inner", ());
/// let _o = outer.lock();
/// drop(inner.lock()); // records outer -> inner
///
/// let snap = graph::snapshot();
/// assert!(snap.edges.iter().any(|e| e.from == outer.id() && e.to == inner.id()));
/// let (o, i) = (outer.id().as_u64(), inner.id().as_u64());
/// assert!(snap.to_dot().contains(&format!("n{o} -> n{i}")));
/// ```
pub fn snapshot() -> Snapshot {
    crate::tracker::snapshot()
}

impl Snapshot {
    /// The lock with this id, if it is in the snapshot.
    ///
    /// # Examples
    ///
    #[doc = "```"]
    #[doc = "let never_nested = lockgraph::Mutex::new(());"]
    #[doc = "drop(never_nested.lock());"]
    #[doc = "assert!(lockgraph::graph::snapshot().lock(never_nested.id()).is_none());"]
    #[doc = "```"]
    pub fn lock(&self, id: LockId) -> Option<&LockInfo> {
        self.locks.iter().find(|lock| lock.id == id)
    }

    /// How reports name the lock `id`: its label if it is in the snapshot,
    /// else its id.
    fn label_of(&self, id: LockId) -> String {
        self.lock(id)
            .map_or_else(|| id.to_string(), LockInfo::label)
    }

    /// Whether the snapshot has the edge `from -> to`.
    ///
    /// # Examples
    ///
    #[doc = "```"]
    #[doc = "let (a, b) = (lockgraph::Mutex::new(()), lockgraph::Mutex::new(()));"]
    #[doc = "drop((a.lock(), b.lock()));"]
    #[doc = "let snap = lockgraph::graph::snapshot();"]
    #[doc = "assert!(snap.has_edge(a.id(), b.id()) && !snap.has_edge(b.id(), a.id()));"]
    #[doc = "```"]
    pub fn has_edge(&self, from: LockId, to: LockId) -> bool {
        self.edges.iter().any(|e| e.from == from && e.to == to)
    }

    /// The graph in Graphviz `dot` syntax. Each lock is its own node (`n` and
    /// its id), labelled by name or creation site, so that locks sharing a
    /// name or a creation line stay apart.
    ///
    /// # Examples
    ///
    #[doc = "```"]
    #[doc = "let (a, b) = (lockgraph::Mutex::named(\"a\", ()), lockgraph::Mutex::named(\"b\", ()));"]
    #[doc = "drop((a.lock(), b.lock()));"]
    #[doc = "let dot = lockgraph::graph::snapshot().to_dot();"]
    #[doc = "let (na, nb) = (a.id().as_u64(), b.id().as_u64());"]
    #[doc = "assert!(dot.contains(&format!(\"n{na} [label=\")));"]
    #[doc = "assert!(dot.contains(&format!(\"n{na} -> n{nb}\")));"]
    #[doc = "```"]
    pub fn to_dot(&self) -> String {
        self.dot(&[])
    }

    /// [`to_dot`](Self::to_dot) with the locks `red`, and the edges among
    /// them, drawn in red.
    pub(crate) fn dot(&self, red: &[LockId]) -> String {
        const RED: &str = ", color=red, penwidth=2";
        let style = |on: bool| if on { RED } else { "" };
        let mut dot = String::from("digraph lockgraph {\n");
        for lock in &self.locks {
            let (id, label) = (lock.id.as_u64(), lock.label());
            let _ = writeln!(
                dot,
                "    n{id} [label={label:?}{}];",
                style(red.contains(&lock.id))
            );
        }
        for edge in &self.edges {
            let mut label = format!("{} at {}", edge.thread, edge.site);
            if !edge.gate.is_empty() {
                let gate: Vec<String> = edge.gate.iter().map(|id| self.label_of(*id)).collect();
                let _ = write!(label, ", gated by {}", gate.join(", "));
            }
            let _ = writeln!(
                dot,
                "    n{} -> n{} [label={label:?}{}];",
                edge.from.as_u64(),
                edge.to.as_u64(),
                style(red.contains(&edge.from) && red.contains(&edge.to))
            );
        }
        dot.push_str("}\n");
        dot
    }
}
