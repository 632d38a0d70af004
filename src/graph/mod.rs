//! The process-wide lock-order graph: a read-only view for tests and tools.
//!
//! Nodes are live locks that have taken part in at least one ordered pair;
//! an edge `A -> B` means some thread took `B` while holding `A`. Dropped locks
//! leave the graph with all their edges.
//!
//! Inside the crate, `order` is the graph itself, a pure data structure (no
//! threads, no globals): nodes are identified by [`LockId`](crate::LockId)
//! with a payload, edges carry a payload built only when they are new. A node
//! is a lock today; other kinds of node (a lock class, an event such as a
//! condvar or a channel) fit the same structure with ids of their own.
//! [`snapshot`] is the one call into the tracker, which owns the graph.

pub(crate) mod dep;
pub(crate) mod gate;
mod index;
pub(crate) mod order;
mod snapshot;
pub(crate) mod walk;

pub use snapshot::{EdgeInfo, LockInfo, Snapshot, snapshot};
