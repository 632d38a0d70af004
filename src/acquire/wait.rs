//! Step 4 of the pipeline: taking a raw lock that an acquisition has already
//! checked, waiting if it is busy.
//!
//! The uncontended case is the raw lock's own try. A busy lock is spun on
//! briefly, then waited for with the raw lock's timed acquisition (which
//! parks), one [watchdog](crate::watchdog) interval at a time: only after a
//! whole interval is the wait published, and then every timeout checks it
//! for an actual deadlock and a long wait ([`Watch`]).

use std::panic::Location;

use super::raw::{RawAcquire, Retake};
use crate::held::Access;
use crate::meta::LockMeta;
use crate::tracker::{self, HeldToken, Suspended};
use crate::watchdog::{self, Watch};

/// Takes `raw` for a blocking acquisition of `meta` as `access` at `site`
/// (already checked), watching the wait if it cannot be taken at once.
#[inline]
pub(crate) fn take_raw<R: RawAcquire>(
    raw: R,
    meta: &LockMeta,
    access: Access,
    site: &'static Location<'static>,
) -> R::Guard {
    if raw.seen_taken() {
        return contended(raw, meta, access, site);
    }
    match raw.try_now() {
        Ok(guard) => guard,
        Err(raw) => contended(raw, meta, access, site),
    }
}

/// The lock is taken: wait one interval unpublished (most waits end there),
/// then publish the wait and check it at every timeout.
///
/// The waits are the raw lock's own: its timed acquisition spins as its
/// plain one does, then parks. No spinning of ours comes first, so a waiter
/// stays runnable exactly as long as with the raw lock, and a lock changes
/// hands in the same order (a waiter that spins longer takes a lock the
/// moment it is released, where the raw lock's waiter would be asleep and the
/// releasing thread would go on first). The price is a clock read per
/// contended acquisition, for the timed wait's deadline.
#[cold]
#[inline(never)]
fn contended<R: RawAcquire>(
    raw: R,
    meta: &LockMeta,
    access: Access,
    site: &'static Location<'static>,
) -> R::Guard {
    let Some(interval) = watchdog::first_interval() else {
        return raw.block();
    };
    let hidden = tracker::hide_wait(meta.id());
    let raw = match raw.try_for(interval) {
        Ok(guard) => return unhide(guard, hidden),
        Err(raw) => raw,
    };
    let Some(mut watch) = Watch::start(meta, access, site, interval) else {
        return unhide(raw.block(), hidden);
    };
    let mut raw = raw;
    loop {
        watch.check();
        match raw.try_for(watch.interval()) {
            Ok(guard) => return unhide(guard, hidden),
            Err(again) => raw = again,
        }
    }
}

fn unhide<G>(guard: G, hidden: bool) -> G {
    if hidden {
        tracker::unhide_wait();
    }
    guard
}

/// The re-acquisition at the end of a guard's `unlocked` (or `bump`), which
/// parking_lot makes itself, with a plain blocking lock.
///
/// The pipeline cannot take that lock in parking_lot's place, so after the
/// caller's closure it waits, watched, until it could take the lock, and lets
/// it go again; the raw re-acquisition right after then rarely has to wait
/// (a wait that begins in that moment is not watched).
pub(crate) struct Relock<'a, R> {
    again: R,
    meta: Option<&'a LockMeta>,
    access: Option<Access>,
    site: &'static Location<'static>,
}

impl<'a, R: RawAcquire> Relock<'a, R> {
    /// Prepares the re-acquisition of `guard`'s lock, suspended from this
    /// thread's held set as `suspended`.
    #[track_caller]
    pub(crate) fn new<G>(guard: &G, token: &HeldToken<'a>, suspended: &Suspended) -> Self
    where
        G: Retake<'a, Again = R>,
    {
        Relock {
            again: guard.again(),
            meta: token.meta(),
            access: suspended.access(),
            site: Location::caller(),
        }
    }

    /// Runs `f`, then waits (watched) until the lock is free.
    pub(crate) fn after<U>(self, f: impl FnOnce() -> U) -> U {
        let result = f();
        if let (Some(meta), Some(access)) = (self.meta, self.access) {
            drop(take_raw(self.again, meta, access, self.site));
        }
        result
    }
}
