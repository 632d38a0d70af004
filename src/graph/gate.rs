//! Gates: the locks held around an edge every time it was made.
//!
//! An edge `A -> B` made while `G` was also held (exclusively) is *gated* by
//! `G`; if every edge of a cycle was always made under one and the same `G`,
//! the threads running the cycle's orders are serialised by `G` and cannot
//! deadlock (the common-lockset rule of iGoodlock, and ThreadSanitizer's
//! issue 814). An edge's gate is the intersection of the gate candidates of
//! every held set it was made under; it only ever shrinks.
//!
//! A new edge keeps every candidate, up to [`Gate::MAX`] (the outermost
//! ones, if there are more); made again, its gate narrows to every lock held
//! exclusively then ([`Gate::narrow_to`]). So a gate is the exact
//! intersection for edges first made under at most [`Gate::MAX`] other
//! exclusive locks, and a subset of it past that: a cut can only make a
//! cycle look ungated (reported), never hide one. Eight, because the cycle
//! search keeps one bit per gate lock in a byte ([`Gate::broken_by`]).

use crate::held::Access;
use crate::id::LockId;

/// Whether a lock held as `access` (`access as u8`) serialises the threads
/// that take it: held exclusively (a lock two threads can both hold,
/// shared, serialises nothing).
#[inline(always)]
pub(crate) fn serialises(access: u8) -> bool {
    const SERIALISING: u8 =
        1 << Access::Exclusive as u8 | 1 << Access::Upgradable as u8 | 1 << Access::Reentrant as u8;
    SERIALISING >> access & 1 != 0
}

/// The locks that were held around an edge every time it was made.
///
/// The locks come first in `ids`, outermost first, the places after them
/// are [`LockId::VACANT`] (never a lock's id): no length is kept, so that
/// every operation is over a fixed number of places, which the compiler
/// unrolls (every edge of the graph keeps a gate, and most are made again
/// under the same gate, which must then cost little).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Gate {
    ids: [LockId; Gate::MAX],
}

impl Gate {
    /// The most locks a gate keeps.
    pub(crate) const MAX: usize = 8;

    /// No gate.
    pub(crate) const NONE: Gate = Gate {
        ids: [LockId::VACANT; Gate::MAX],
    };

    /// The gate candidates of an edge `source -> target` made while `held`
    /// (ids, each with its access as `access as u8`) is held: the other locks
    /// held exclusively (a lock two threads can both hold, shared, serialises
    /// nothing), outermost first.
    #[inline]
    pub(crate) fn around(
        held: impl IntoIterator<Item = (LockId, u8)>,
        source: LockId,
        target: LockId,
    ) -> Gate {
        let held = held.into_iter().filter(|&(id, _)| id != target);
        Outermost::of(held).gate_of(source)
    }

    /// A gate of the given locks (at most [`Gate::MAX`] are kept).
    #[cfg(test)]
    pub(crate) fn of(ids: &[LockId]) -> Gate {
        let mut gate = Gate::NONE;
        for (place, &id) in gate.ids.iter_mut().zip(ids) {
            *place = id;
        }
        gate
    }

    /// How many locks the gate has (counted, not searched: the compiler
    /// makes it a few compares without a branch).
    #[inline]
    fn len(&self) -> usize {
        self.ids.iter().filter(|&&id| id != LockId::VACANT).count()
    }

    /// The locks of the gate.
    pub(crate) fn ids(&self) -> &[LockId] {
        &self.ids[..self.len()]
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ids[0] == LockId::VACANT
    }

    /// Whether `id` is one of the gate's locks: looked for up to the first
    /// [`LockId::VACANT`] (a gate usually has a few locks, not eight).
    #[inline]
    pub(crate) fn contains(&self, id: LockId) -> bool {
        let mut ids = self.ids.iter().take_while(|&&gate| gate != LockId::VACANT);
        ids.any(|&gate| gate == id)
    }

    /// Keeps only the locks `other` has too, in place; returns whether that
    /// changed anything.
    #[inline]
    pub(crate) fn narrow(&mut self, other: &Gate) -> bool {
        self.narrow_to(|id| other.contains(id))
    }

    /// Keeps only the locks that are `held_exclusively` around the edge made
    /// again now (other than its ends: a lock edge's gate never has them, a
    /// class edge's may), in place: the intersection with every lock the new
    /// held set serialises, not only its outermost ones. Returns whether
    /// that changed anything; writes nothing when it does not (the usual
    /// case: an edge made again under its own gate).
    #[inline]
    pub(crate) fn narrow_to(&mut self, held_exclusively: impl Fn(LockId) -> bool) -> bool {
        let mut kept = 0;
        for at in 0..Gate::MAX {
            let id = self.ids[at];
            if id == LockId::VACANT {
                break;
            }
            if held_exclusively(id) {
                self.ids[kept] = id;
                kept += 1;
            }
        }
        let changed = kept < Gate::MAX && self.ids[kept] != LockId::VACANT;
        if changed {
            // Every place, each kept or cleared: no fill of a length known
            // only now (a call to `memset`).
            for (at, id) in self.ids.iter_mut().enumerate() {
                if at >= kept {
                    *id = LockId::VACANT;
                }
            }
        }
        changed
    }

    /// The bits (one per lock of `self`, by position) of the locks of `self`
    /// that `edge` lacks: on a path, an edge with such a lock missing breaks
    /// that lock's claim to gate the whole cycle.
    pub(crate) fn broken_by(&self, edge: &Gate) -> u8 {
        self.ids()
            .iter()
            .enumerate()
            .filter(|&(_, &id)| !edge.contains(id))
            .fold(0, |bits, (k, _)| bits | 1 << k)
    }

    /// The bits of every lock of `self`: a path whose edges break all of them
    /// closes an ungated cycle.
    pub(crate) fn all_bits(&self) -> u8 {
        ((1u16 << self.len()) - 1) as u8
    }
}

/// A gate as the global graph keeps it with each edge: nothing for an
/// ungated edge (most edges of a big graph), a boxed [`Gate`] for a gated
/// one, so that an edge keeps one word for its gate, not [`Gate::MAX`].
#[derive(Clone, Debug, Default)]
pub(crate) struct StoredGate(Option<Box<Gate>>);

impl StoredGate {
    /// `gate`, stored.
    pub(crate) fn new(gate: Gate) -> StoredGate {
        StoredGate((!gate.is_empty()).then(|| Box::new(gate)))
    }

    /// The gate.
    #[inline]
    pub(crate) fn get(&self) -> Gate {
        self.0.as_deref().copied().unwrap_or(Gate::NONE)
    }

    /// [`Gate::narrow_to`] in place.
    #[inline]
    pub(crate) fn narrow_to(&mut self, held_exclusively: impl Fn(LockId) -> bool) -> bool {
        self.change(|gate| gate.narrow_to(held_exclusively))
    }

    /// [`Gate::narrow`] in place.
    pub(crate) fn narrow(&mut self, other: &Gate) -> bool {
        self.change(|gate| gate.narrow(other))
    }

    /// Applies `change` to a stored gate (an ungated edge stays so), and
    /// lets an emptied gate go; returns what `change` returned.
    #[inline]
    fn change(&mut self, change: impl FnOnce(&mut Gate) -> bool) -> bool {
        let Some(gate) = &mut self.0 else {
            return false;
        };
        let changed = change(gate);
        if gate.is_empty() {
            self.0 = None;
        }
        changed
    }
}

/// The gate candidates of a held set taking a lock it does not hold, for
/// every held lock as the source at once: the first [`Gate::MAX`] + 1
/// distinct locks held exclusively, outermost first (one of them may be the
/// source itself), then [`LockId::VACANT`].
pub(crate) struct Outermost {
    ids: [LockId; Gate::MAX + 1],
}

impl Outermost {
    /// The candidates of `held` (ids, each with its access as `access as u8`).
    #[inline]
    pub(crate) fn of(held: impl IntoIterator<Item = (LockId, u8)>) -> Outermost {
        let mut ids = [LockId::VACANT; Gate::MAX + 1];
        let mut len = 0;
        for (id, access) in held {
            // A lock is held twice only through recursive reads or a
            // reentrant lock: the search is over the few found so far.
            if serialises(access) && !ids[..len].contains(&id) {
                ids[len] = id;
                len += 1;
                if len == ids.len() {
                    break;
                }
            }
        }
        Outermost { ids }
    }

    /// The gate of a new edge from `source` (a held lock): as
    /// [`Gate::around`] the held set, `source` and a target not held. The
    /// candidates without `source` (the first [`Gate::MAX`] of them, if it
    /// is not one), copied whole: no loop over the gate's places.
    #[inline]
    pub(crate) fn gate_of(&self, source: LockId) -> Gate {
        let at = self.ids[..Gate::MAX]
            .iter()
            .position(|&id| id == source)
            .unwrap_or(Gate::MAX);
        // Place by place, each from one of two: no copy of a length known
        // only now (a call to `memcpy`).
        let ids = std::array::from_fn(|k| self.ids[k + usize::from(k >= at)]);
        Gate { ids }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u64) -> LockId {
        LockId::from_u64(n)
    }

    #[test]
    fn narrowing_keeps_the_common_locks_and_says_whether_it_changed() {
        let mut gate = Gate::of(&[id(1)]);
        assert!(!gate.narrow(&Gate::of(&[id(1)])));
        assert_eq!(gate.ids(), [id(1)]);
        assert!(gate.narrow(&Gate::of(&[id(2)])));
        assert!(gate.is_empty());
        assert!(!gate.narrow(&Gate::NONE));
    }

    #[test]
    fn a_gate_has_as_many_locks_as_it_lists() {
        assert_eq!(Gate::NONE.ids(), []);
        assert!(Gate::NONE.is_empty());
        let two = Gate::of(&[id(7), id(8)]);
        assert_eq!(two.ids(), [id(7), id(8)]);
        assert!(!two.is_empty());
        assert!(two.contains(id(8)) && !two.contains(id(9)));
        let mut narrowed = two;
        assert!(!narrowed.narrow_to(|_| true));
        assert_eq!(narrowed, two);
        assert!(narrowed.narrow_to(|id| id == LockId::from_u64(8)));
        assert_eq!(narrowed.ids(), [id(8)]);
        assert!(narrowed.narrow_to(|_| false));
        assert_eq!(narrowed, Gate::NONE);
        let mut full = Gate::of(&(1..=9).map(id).collect::<Vec<_>>());
        assert_eq!(full.ids().len(), Gate::MAX);
        assert!(full.narrow_to(|id| id.as_u64() % 2 == 0));
        assert_eq!(full.ids(), [id(2), id(4), id(6), id(8)]);
    }

    #[test]
    fn broken_bits_name_the_locks_an_edge_lacks() {
        let gate = Gate::of(&[id(1), id(2), id(3)]);
        assert_eq!(gate.all_bits(), 0b111);
        assert_eq!(gate.broken_by(&Gate::of(&[id(2)])), 0b101);
        assert_eq!(gate.broken_by(&gate), 0);
        assert_eq!(Gate::NONE.all_bits(), 0);
        let full = Gate::of(&(1..=8).map(id).collect::<Vec<_>>());
        assert_eq!(full.all_bits(), 0xFF);
        assert_eq!(full.broken_by(&Gate::NONE), 0xFF);
    }

    #[test]
    fn candidates_are_the_outermost_exclusively_held_locks() {
        let held = [
            (id(1), Access::Read as u8),
            (id(2), Access::Exclusive as u8),
            (id(3), Access::Upgradable as u8),
            (id(4), Access::Exclusive as u8),
        ];
        let gate = Gate::around(held, id(4), id(9));
        assert_eq!(gate.ids(), [id(2), id(3)]);
        assert_eq!(
            Gate::around(held, id(1), id(9)).ids(),
            [id(2), id(3), id(4)]
        );
        assert!(Gate::around(held[..1].iter().copied(), id(4), id(9)).is_empty());
    }

    #[test]
    fn a_stored_gate_is_boxed_only_while_it_has_locks() {
        assert_eq!(size_of::<StoredGate>(), size_of::<usize>());
        let mut none = StoredGate::new(Gate::NONE);
        assert!(none.0.is_none() && none.get().is_empty());
        assert!(!none.narrow_to(|_| false));
        let mut stored = StoredGate::new(Gate::of(&[id(1), id(2)]));
        assert!(!stored.narrow_to(|_| true));
        assert!(stored.narrow(&Gate::of(&[id(2), id(3)])));
        assert_eq!(stored.get().ids(), [id(2)]);
        assert!(stored.narrow_to(|_| false));
        assert!(stored.0.is_none(), "an emptied gate is let go");
        assert_eq!(stored.get(), Gate::NONE);
    }

    #[test]
    fn past_the_most_a_gate_keeps_the_outermost_locks() {
        let held: Vec<_> = (1..=10).map(|n| (id(n), Access::Exclusive as u8)).collect();
        let outermost = Outermost::of(held.iter().copied());
        // The source among the first ones: the next candidate takes its place.
        let inner: Vec<_> = (1..=9).filter(|&n| n != 3).map(id).collect();
        assert_eq!(outermost.gate_of(id(3)).ids(), inner);
        // The source past them: the first ones.
        let outer: Vec<_> = (1..=8).map(id).collect();
        assert_eq!(outermost.gate_of(id(10)).ids(), outer);
        assert_eq!(
            Gate::around(held.iter().copied(), id(10), id(11)).ids(),
            outer
        );
        // A lock taken twice (a reentrant lock) is one candidate.
        let twice = [held[0], held[0], held[1]];
        assert_eq!(Gate::around(twice, id(5), id(6)).ids(), [id(1), id(2)]);
    }
}
