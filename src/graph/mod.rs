//! The process-wide lock-order graph: a read-only view for tests and tools.
//!
//! Nodes are live locks that have taken part in at least one ordered pair;
//! an edge `A -> B` means some thread took `B` while holding `A`. Dropped locks
//! leave the graph with all their edges.

mod index;
pub(crate) mod order;
mod snapshot;

pub use snapshot::{EdgeInfo, LockInfo, Snapshot, snapshot};
