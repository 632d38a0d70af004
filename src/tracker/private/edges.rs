//! The edges of one thread's private graph, and the search for a path
//! through them (breadth-first: private graphs are small).

use std::panic::Location;

use super::sites::RECENT_SETS;
use crate::graph::dep::{Kind, Kinds};
use crate::graph::gate::Gate;
use crate::hash::FastMap;
use crate::held::Access;
use crate::held::HeldLock;
use crate::id::LockId;
use crate::meta::Origin;
use crate::report::{LockRef, ThreadLabel};
use crate::tracker::global;

pub(super) struct Private {
    /// The thread whose graph it is, as reports name it.
    pub(super) label: ThreadLabel,
    pub(super) edges: Vec<PrivateEdge>,
    /// Backtrace indexes (in the global store) by call-site pair.
    pub(super) backtraces: FastMap<global::SitePair, u32>,
    /// The pairs looked up last, in sets chosen by a hash of the pair, two
    /// to a set, the more recent first: a loop makes the same few edge shapes
    /// again and again. Two to a set, because the few pairs of one loop often
    /// share a set, and with one to a set each would evict the other and
    /// every edge would take a hash lookup.
    pub(super) recent_backtraces: [[Option<(global::SitePair, u32)>; 2]; RECENT_SETS],
    /// Public locks found fit to be the source of an edge kept here (see
    /// `Store::public_source`), the most recent first ([`LockId::VACANT`]:
    /// none). Being public is for good, and a lock dropped since, whose node
    /// is gone, can no longer be held (but through a leaked guard's entry,
    /// whose edges the next publication then drops), so an entry never goes
    /// stale in a way that matters.
    pub(super) public_sources: [LockId; PUBLIC_SOURCES],
}

/// How many public sources a private graph remembers (a registry lock or
/// two, held while short-lived locks are made under them).
pub(super) const PUBLIC_SOURCES: usize = 4;

/// The lock an edge goes to: its id and origin, where it is being taken and
/// how.
pub(super) type Target = (LockId, Origin, &'static Location<'static>, Access);

#[derive(Clone, Copy)]
pub(super) struct PrivateEdge {
    pub(super) from: LockId,
    pub(super) to: LockId,
    pub(super) from_origin: Origin,
    pub(super) to_origin: Origin,
    /// The index of the edge's call sites and backtrace (see
    /// [`global::EdgeData::backtrace`]).
    pub(super) backtrace: u32,
    /// The locks held around the edge every time it was made.
    pub(super) gate: Gate,
    /// The ways the edge was made.
    pub(super) kinds: Kinds,
}

impl PrivateEdge {
    /// The two locks it joins.
    pub(super) fn ends(&self) -> (LockRef, LockRef) {
        (
            LockRef::new(self.from, self.from_origin),
            LockRef::new(self.to, self.to_origin),
        )
    }
}

impl Private {
    /// The empty private graph of the thread called `label`.
    pub(super) fn new(label: ThreadLabel) -> Self {
        Private {
            label,
            edges: Vec::new(),
            backtraces: FastMap::default(),
            recent_backtraces: Default::default(),
            public_sources: [LockId::VACANT; PUBLIC_SOURCES],
        }
    }

    /// Whether `id` is among the remembered public sources.
    #[inline]
    pub(super) fn is_public_source(&self, id: LockId) -> bool {
        self.public_sources.contains(&id)
    }

    /// Remembers `id` as a public source, forgetting the oldest one.
    pub(super) fn remember_public_source(&mut self, id: LockId) {
        self.public_sources.rotate_right(1);
        self.public_sources[0] = id;
    }

    /// Where the edge `from -> to` is, the most recent first: a loop re-makes
    /// the edges it made last.
    #[inline]
    pub(super) fn find(&self, from: LockId, to: LockId) -> Option<usize> {
        let mut edges = self.edges.iter().enumerate().rev();
        edges
            .find(|(_, edge)| (edge.from, edge.to) == (from, to))
            .map(|(at, _)| at)
    }

    /// The shortest path of private edges from `from` to `to` (breadth first).
    pub(super) fn path(&self, from: LockId, to: LockId) -> Option<Vec<PrivateEdge>> {
        if !self.edges.iter().any(|e| e.from == from) {
            return None; // the usual case: `from` is new, a sink
        }
        // (lock reached, index of the edge that reached it)
        let mut reached: Vec<(LockId, Option<usize>)> = vec![(from, None)];
        let mut next = 0;
        while let Some(&(at, _)) = reached.get(next) {
            next += 1;
            for (index, edge) in self.edges.iter().enumerate() {
                if edge.from != at || reached.iter().any(|&(r, _)| r == edge.to) {
                    continue;
                }
                reached.push((edge.to, Some(index)));
                if edge.to == to {
                    return Some(self.walk_back(&reached, to));
                }
            }
        }
        None
    }

    pub(super) fn walk_back(
        &self,
        reached: &[(LockId, Option<usize>)],
        to: LockId,
    ) -> Vec<PrivateEdge> {
        let mut path = Vec::new();
        let mut at = to;
        while let Some(&(_, Some(index))) = reached.iter().find(|&&(r, _)| r == at) {
            let edge = self.edges[index];
            path.push(edge);
            at = edge.from;
        }
        path.reverse();
        path
    }

    /// Adds the edge from the held `source` to the lock `to` (its id and
    /// origin, where it is being taken and how), made under `gate` as `kind`.
    #[inline(always)]
    pub(super) fn push_edge(
        &mut self,
        source: &HeldLock,
        (target, target_origin, site, _): Target,
        (gate, kind): (Gate, Kind),
    ) {
        let backtrace = self.backtrace((source.site, site), (source.id, target));
        self.edges.push(PrivateEdge {
            from: source.id,
            to: target,
            from_origin: source.origin,
            to_origin: target_origin,
            backtrace,
            gate,
            kinds: Kinds::one(kind),
        });
    }

    /// Removes the edges of a dropped lock, and, given `ungated`, drops it
    /// from every other edge's gate: a dead lock is not held again (unless a
    /// guard of it was leaked: see `Store::forget`), so every later make of
    /// such an edge would narrow it away anyway, and doing it now changes no
    /// verdict (a private graph has no cycle; a cycle a later edge closes
    /// counts that edge's gate, which cannot have the dead lock).
    /// `ungated` sees each edge whose gate that leaves empty.
    ///
    /// Each removed edge is replaced by the last one, not closed up on: the
    /// edges of a lock that others were taken under lie spread over the
    /// newest ones, and closing up would move nearly all of them (each
    /// with its gate inline) at every drop of such a lock. No verdict
    /// depends on the order of the edges. It decides how fast `Store::bury`
    /// is (its shortcut is for locks dropped in the order they were made;
    /// otherwise it makes its full pass), and, where there are several,
    /// which shortest path a report shows and which of two edges between the
    /// same locks gives the call sites once published.
    pub(super) fn remove(&mut self, id: LockId, mut ungated: Option<impl FnMut(&PrivateEdge)>) {
        let mut index = 0;
        while let Some(edge) = self.edges.get_mut(index) {
            if edge.from == id || edge.to == id {
                self.edges.swap_remove(index);
                continue;
            }
            if let Some(ungated) = &mut ungated
                && edge.gate.contains(id)
            {
                edge.gate.narrow_to(|gate| gate != id);
                if edge.gate.is_empty() {
                    ungated(edge);
                }
            }
            index += 1;
        }
    }
}
