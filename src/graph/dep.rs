//! How an edge was made: whether its source was held shared, and whether its
//! target was taken as a recursive read (lockdep's four kinds of dependency,
//! `-(EN)->`, `-(ER)->`, `-(SN)->`, `-(SR)->`).
//!
//! A recursive read (`read_recursive`) waits only for a writer that holds the
//! lock, never for a reader, not even behind a queued writer. So in a cycle,
//! a lock that one thread wants as a recursive read (the edge into it ends in
//! `R`) while the next thread holds it shared (the edge out of it starts with
//! `S`) is no wait at all, and that cycle cannot deadlock. A cycle counts
//! only if no two adjacent edges are `-(*R)->` then `-(S*)->`: a *strong*
//! cycle (see the kernel's `Documentation/locking/lockdep-design.rst`).
//! Everything else waits as a writer does: a mutex, a write, an upgradable
//! read (which excludes other upgradable reads and writes), and a plain
//! `read` of parking_lot's or std's writer-preferring locks, which queues
//! behind a waiting writer, so a read-read cycle with a writer queued
//! deadlocks and is strong (`-(SN)->`).

use crate::held::Access;

/// One kind of edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Kind(u8);

/// The source is held shared (a read, a recursive read, an upgradable read).
const SHARED: u8 = 0b10;
/// The target is taken as a recursive read.
const RECURSIVE: u8 = 0b01;

impl Kind {
    /// A lock held exclusively, then one taken as a lock (`EN`).
    pub(crate) const EXCLUSIVE: Kind = Kind(0);

    /// The kind of an edge from a lock held as `held` to one taken as `taken`.
    #[inline(always)]
    pub(crate) fn of(held: Access, taken: Access) -> Kind {
        Kind::of_bits(held as u8, taken)
    }

    /// [`Kind::of`] for a held access given as its bits (`access as u8`, as
    /// a held-set word keeps them): no decoding on the first-use path of
    /// every lock, a shift and a mask.
    #[inline(always)]
    pub(crate) fn of_bits(held: u8, taken: Access) -> Kind {
        const SHARED: u8 = 1 << Access::Read as u8
            | 1 << Access::ReadRecursive as u8
            | 1 << Access::Upgradable as u8;
        let shared = SHARED >> held & 1;
        let recursive = u8::from(taken == Access::ReadRecursive);
        Kind(shared << 1 | recursive)
    }

    /// The source was held shared.
    pub(crate) fn held_shared(self) -> bool {
        self.0 & SHARED != 0
    }

    /// The target was taken as a recursive read.
    pub(crate) fn taken_recursive(self) -> bool {
        self.0 & RECURSIVE != 0
    }

    /// The two letters lockdep writes for it (`EN`, `ER`, `SN`, `SR`).
    pub(crate) fn letters(self) -> &'static str {
        ["EN", "ER", "SN", "SR"][usize::from(self.0)]
    }

    /// The kind lockdep writes as `letters`, if it is one (records are read
    /// with the `record` feature).
    #[cfg(feature = "record")]
    pub(crate) fn from_letters(letters: &str) -> Option<Kind> {
        ["EN", "ER", "SN", "SR"]
            .iter()
            .position(|&known| known == letters)
            .map(|at| Kind(at as u8))
    }

    /// A small number for cache keys.
    pub(crate) fn bits(self) -> u8 {
        self.0
    }
}

/// The kinds an edge was made as (it may be made more than one way).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Kinds(u8);

impl Kinds {
    /// No kind (an edge not made yet).
    pub(crate) const NONE: Kinds = Kinds(0);

    /// Just `kind`.
    pub(crate) fn one(kind: Kind) -> Kinds {
        Kinds(1 << kind.0)
    }

    /// Adds `kind`; returns whether it was new.
    pub(crate) fn insert(&mut self, kind: Kind) -> bool {
        let before = self.0;
        self.0 |= 1 << kind.0;
        self.0 != before
    }

    /// Adds every kind of `other`; returns whether one was new.
    pub(crate) fn extend(&mut self, other: Kinds) -> bool {
        let before = self.0;
        self.0 |= other.0;
        self.0 != before
    }

    /// Every kind, in the order `EN`, `ER`, `SN`, `SR`.
    pub(crate) fn iter(self) -> impl Iterator<Item = Kind> {
        (0..4).filter(move |k| self.0 & 1 << k != 0).map(Kind)
    }

    /// The kinds a walk may take the edge as, having come into its source
    /// by a recursive read (`arrived_recursive`): only those whose source is
    /// held exclusively, since a lock held shared does not stop a recursive
    /// reader.
    fn usable(self, arrived_recursive: bool) -> Kinds {
        match arrived_recursive {
            // The kinds with an exclusive source: EN and ER, bits 0 and 1.
            true => Kinds(self.0 & 0b0011),
            false => self,
        }
    }

    /// Whether every kind takes the target as a recursive read.
    fn all_recursive(self) -> bool {
        self.0 & 0b0101 == 0 // no EN (bit 0), no SN (bit 2)
    }
}

/// The state of a walk for the strong rule: whether it came into its current
/// lock by a recursive read, after taking `edge` (made as `kinds`) from a
/// lock it came into as `arrived_recursive`; `None` if the walk cannot take
/// that edge at all.
pub(crate) fn step(arrived_recursive: bool, kinds: Kinds) -> Option<bool> {
    let usable = kinds.usable(arrived_recursive);
    (usable != Kinds::NONE).then(|| usable.all_recursive())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_how_the_locks_are_held_and_taken() {
        use Access::*;
        assert_eq!(Kind::of(Exclusive, Exclusive).letters(), "EN");
        assert_eq!(Kind::of(Exclusive, ReadRecursive).letters(), "ER");
        assert_eq!(Kind::of(Read, Read).letters(), "SN");
        assert_eq!(Kind::of(Upgradable, ReadRecursive).letters(), "SR");
        assert_eq!(Kind::of(Reentrant, Upgradable).letters(), "EN");
    }

    #[test]
    fn a_recursive_read_into_a_lock_held_shared_is_no_step() {
        let sr = Kinds::one(Kind::of(Access::Read, Access::ReadRecursive));
        let en = Kinds::one(Kind::of(Access::Exclusive, Access::Exclusive));
        assert_eq!(step(true, sr), None);
        assert_eq!(step(false, sr), Some(true));
        assert_eq!(step(true, en), Some(false));
        let mut both = sr;
        assert!(both.insert(Kind::of(Access::Read, Access::Read)));
        assert!(!both.insert(Kind::of(Access::Read, Access::Read)));
        assert_eq!(step(false, both), Some(false)); // SN usable: not recursive
        assert_eq!(step(true, both), None);
    }
}
