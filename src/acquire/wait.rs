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
    match raw.try_now() {
        Ok(guard) => guard,
        Err(raw) => contended(raw, meta, access, site),
    }
}

/// The lock is taken: spin, then wait one interval unpublished (most waits
/// end there), then publish the wait and check it at every timeout.
#[cold]
#[inline(never)]
fn contended<R: RawAcquire>(
    raw: R,
    meta: &LockMeta,
    access: Access,
    site: &'static Location<'static>,
) -> R::Guard {
    let raw = match spin(raw) {
        Ok(guard) => return guard,
        Err(raw) => raw,
    };
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

/// How many times a contended acquisition retries before it waits with a
/// timeout: one short busy-wait, then yields.
const SPINS: u32 = 10;

/// Retries `raw` for a short while before the timed wait (which parks, as
/// parking_lot does after its own spinning). Most contended waits are short;
/// this keeps them off the timed path, which reads the clock.
///
/// After one short busy-wait it yields between looks: every look at the lock
/// takes its cache line away from the holder, whose next write then waits
/// for it, so growing busy-waits make a hammered lock change hands more often
/// and cost more in all (measured: docs/performance.md).
fn spin<R: RawAcquire>(mut raw: R) -> Result<R::Guard, R> {
    for round in 0..SPINS {
        if round == 0 {
            (0..2).for_each(|_| std::hint::spin_loop());
        } else {
            std::thread::yield_now();
        }
        if !raw.looks_free() {
            continue;
        }
        raw = match raw.try_now() {
            Ok(guard) => return Ok(guard),
            Err(raw) => raw,
        };
    }
    Err(raw)
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
