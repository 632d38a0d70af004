//! The registry of live stores and the public watermark: every id below
//! the watermark is public in every store, so an edge among such locks goes
//! straight to the global graph.

use std::sync::atomic::{
    AtomicU64,
    Ordering::{Acquire, Relaxed, Release},
    fence,
};
use std::sync::{Arc, LazyLock};

use parking_lot::RwLock as RawRwLock;

use super::Store;
use crate::hash::FastMap;
use crate::id::LockId;

/// The live threads' stores, by thread number.
pub(super) static STORES: LazyLock<RawRwLock<FastMap<u32, Arc<Store>>>> =
    LazyLock::new(Default::default);

/// Every id below it is public in every store: the lowest bound of the live
/// stores (of none: every id). An edge among such locks goes straight to the
/// global graph, without finding out which thread handed each id out.
///
/// Lowered when a store registers (before its thread hands out any id of the
/// store), recomputed when a bound rises or a store goes; always under the
/// write lock of [`STORES`], so it is exactly the lowest bound. A thread that sees
/// an id handed out by another thread sees the lowered value: the id is
/// assigned with `Release` after the registration, the only other write to
/// the id word (`LazyId::mark_in_graph`) reads it with `Acquire` and writes it
/// back with `Release`, and [`below_public`] fences with `Acquire` after the
/// ids were read.
pub(super) static PUBLIC_BELOW: AtomicU64 = AtomicU64::new(u64::MAX);

/// Whether every one of `ids` is public in every store (see [`PUBLIC_BELOW`]).
#[inline]
pub(crate) fn below_public(mut ids: impl Iterator<Item = LockId>) -> bool {
    fence(Acquire);
    let public_below = PUBLIC_BELOW.load(Relaxed);
    ids.all(|id| id.as_u64() < public_below)
}

/// Sets [`PUBLIC_BELOW`] from the stores (call with [`STORES`] locked).
pub(super) fn recompute_public_below(stores: &FastMap<u32, Arc<Store>>) {
    let lowest = stores
        .values()
        .map(|s| s.published_below.load(Acquire))
        .min()
        .unwrap_or(u64::MAX);
    // Written only if it changes: every new edge reads its cache line.
    if PUBLIC_BELOW.load(Relaxed) != lowest {
        PUBLIC_BELOW.store(lowest, Release);
    }
}

/// The store of thread `thread`, if it is alive.
pub(super) fn store_of(thread: u32) -> Option<Arc<Store>> {
    STORES.read().get(&thread).cloned()
}
