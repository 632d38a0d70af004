//! A private graph's cache of backtrace indexes by call-site pair: a loop
//! makes the same few edge shapes again and again, so the last pairs looked
//! up are kept in small sets, ahead of the hash map.

use std::panic::Location;

use super::edges::Private;
use crate::id::LockId;
use crate::tracker::global;

/// How many sets of two call-site pairs a private graph remembers without a
/// hash lookup.
pub(super) const RECENT_SETS: usize = 8;

impl Private {
    /// The backtrace index of the call-site pair `sites`, captured
    /// (globally) if new, as this thread's stack when it makes `edge`.
    #[inline]
    pub(super) fn backtrace(
        &mut self,
        sites: (&'static Location<'static>, &'static Location<'static>),
        edge: (LockId, LockId),
    ) -> u32 {
        let pair = global::site_pair(sites.0, sites.1);
        let set = recent_set(pair);
        let ways = &mut self.recent_backtraces[set];
        match *ways {
            [Some((recent, index)), _] if recent == pair => index,
            [other, Some((recent, index))] if recent == pair => {
                *ways = [Some((recent, index)), other];
                index
            }
            _ => self.backtrace_not_recent(sites, edge, set),
        }
    }

    /// [`Self::backtrace`] for a pair not among the recent ones.
    #[cold]
    #[inline(never)]
    pub(super) fn backtrace_not_recent(
        &mut self,
        sites: (&'static Location<'static>, &'static Location<'static>),
        edge: (LockId, LockId),
        set: usize,
    ) -> u32 {
        let pair = global::site_pair(sites.0, sites.1);
        let Private {
            label, backtraces, ..
        } = self;
        let index = *backtraces
            .entry(pair)
            .or_insert_with(|| global::with(|g| g.backtrace_index(sites, edge, label)));
        let ways = &mut self.recent_backtraces[set];
        *ways = [Some((pair, index)), ways[0]];
        index
    }
}

/// The set of `pair` among a private graph's recent call-site pairs
/// (`Location`s are 24-byte statics: their addresses differ in the low bits).
pub(super) fn recent_set((from, to): global::SitePair) -> usize {
    let (from, to) = (from as u64, to as u64);
    let mixed = (from ^ to.rotate_left(17)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (mixed >> (u64::BITS - RECENT_SETS.trailing_zeros())) as usize
}
