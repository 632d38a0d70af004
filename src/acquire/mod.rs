//! The acquisition pipeline: every lock type takes its locks through here.
//!
//! An acquisition, read top to bottom, goes through these steps (the function
//! that runs each is named in the last column):
//!
//! | step | when | what happens | where |
//! |---|---|---|---|
//! | 1. fast path | no [flags](crate::config::flags) set, the raw lock free, this held set known to have every edge into the lock | one try of the raw lock, then one chain-key lookup and a push into the held set: no global state | [`blocking`] (inlined into the caller) |
//! | 2. first use, new held set | the raw lock was free and taken, but step 1 did not apply | the full check, with the lock taken; a lock's first use records its edges without a check (none can close a cycle); if something is to be reported the lock is let go, the report delivered, and the lock taken as in step 4 | `check_taken` |
//! | 3. check before waiting | the raw lock was busy, or flags are set | the full check (self-deadlock, ascending order, lock order) before anything blocks | `check_then_wait` |
//! | 4. wait | the raw lock is busy | a short spin, then the raw lock's timed wait (it parks), one [watchdog](crate::watchdog) interval at a time; after a whole interval the wait is published and watched (actual deadlocks, long waits) | [`take_raw`], `wait.rs` |
//! | off switch | every kind ignored | the raw lock alone, nothing recorded (one out-of-line call: its test stays out of the steady state's code) | `check` |
//!
//! The other ways into the held set:
//!
//! | acquisition | steps | where |
//! |---|---|---|
//! | `try_*` (also timed) | the raw lock's own try; on success, recorded with no edge into the lock (it cannot block forever); busy if this thread holds the lock | [`held_here`], [`after_try`] |
//! | re-acquisition (condvar wait, `unlocked`, `bump`, upgrade) | the lock leaves the held set and its re-acquisition is checked before anything blocks ([`suspend`]); the raw lock is taken again, watched ([`Relock`], [`take_raw`]); the entry is put back | [`suspend`], [`Relock`] |
//! | one-time initialisation | checked as a blocking acquisition of the cell, held while the initialiser runs | [`before_blocking`] |
//! | `lock_all`, known | a set this thread took before under the same held set: each lock tried and pushed with its one-by-one chain key, in argument order (a slice: id order), the last looking up the set's key, with no set checks or bookkeeping; a busy member or an unknown set undoes it and the set goes the usual way | [`known_member`] |
//! | `lock_all` | the whole set checked first (same lock twice, ascending rule), then each lock by step 1-4 in id order | [`check_set`] |
//!
//! The checks and the held set live in the [tracker](crate::tracker); the
//! watched wait in the [watchdog](crate::watchdog). This module only orders the
//! steps and talks to the raw locks ([`raw`], [`raw_std`]).
//!
//! Nothing is ever reported with the lock being acquired taken: a handler may
//! take that very lock, and under `Panic` the lock must be left free (and, for
//! `stdsync`, unpoisoned).

pub(crate) mod poll;
pub(crate) mod raw;
pub(crate) mod raw_std;
mod wait;

use std::panic::Location;

use crate::config::flags;
use crate::held::Access;
use crate::meta::LockMeta;
use crate::tracker::{self, Taken};

pub use crate::tracker::SetChain;
pub(crate) use crate::tracker::{
    HeldToken, LockHeader, SetScope, after_try, before_blocking, change_access, check_set,
    held_here, suspend, suspend_at, unwound_by_report,
};
pub(crate) use raw::RawAcquire;
pub(crate) use wait::{Relock, take_raw};

/// A blocking acquisition of `raw`, the lock of `meta`, as `access` at
/// `site`: checked, recorded (the token) and taken (the guard). Steps 1-4 of
/// the [module docs](self).
///
/// With no [`flags`] set, the raw lock is tried first and an acquisition that
/// takes it at once is checked after. The steady state then reads the lock's
/// id from a cache line this core already owns; checked first, a contended
/// lock's line would move to this core once for the read and again for the
/// take. With flags set (the runtime off switch among them) every
/// acquisition goes the out-of-line way: tested here, the off switch would
/// cost the steady state instructions of its own.
///
/// Everything here is inlined into a lock type's `lock()` and from there
/// into the caller's own wrappers, as long as the whole stays under the
/// compiler's inlining budget: so there is one call of `make` (each copy of
/// a guard's construction counts), and the try's failure is matched, not
/// turned into an `Option` (`Result::ok` drops the error through the whole
/// `Result`'s drop, a call the budget counts).
#[inline(always)]
pub(crate) fn blocking<'a, R: RawAcquire + Copy, W>(
    raw: R,
    meta: &'a LockMeta,
    access: Access,
    site: &'static Location<'static>,
    make: impl FnOnce(R::Guard, HeldToken<'a>) -> W,
) -> W {
    // Not `Result::ok` (see above).
    #[allow(clippy::manual_ok_err)]
    let taken = match flags::get() {
        0 => match raw.try_now() {
            Ok(guard) => Some(guard),
            Err(_) => None,
        },
        _ => None,
    };
    let (guard, token) = match taken {
        Some(guard) if tracker::record_if_known(meta, access, site) => {
            (guard, HeldToken::recorded(meta))
        }
        // Also the runtime off switch (see `check`).
        taken => check(taken, raw, meta, access, site),
    };
    make(guard, token)
}

/// The way a lock type's blocking acquisition goes: on its own
/// ([`Blocking`], steps 1-4 of the [module docs](self)), or as a member of a
/// `lock_all` set on the known path (a [`SetChain`], see [`known_member`]).
/// A lock type writes its blocking acquisition once, for any route.
pub(crate) trait Route {
    /// What the acquisition gives for a guard `W`.
    type Out<W>;

    /// Takes `raw`, the lock of `meta`, as `access` at `site`; `make` builds
    /// the guard.
    fn take<'a, R: RawAcquire + Copy, W>(
        self,
        raw: R,
        meta: &'a LockMeta,
        access: Access,
        site: &'static Location<'static>,
        make: impl FnOnce(R::Guard, HeldToken<'a>) -> W,
    ) -> Self::Out<W>;
}

/// A blocking acquisition on its own: [`blocking`].
#[derive(Clone, Copy)]
pub(crate) struct Blocking;

impl Route for Blocking {
    type Out<W> = W;

    #[inline(always)]
    fn take<'a, R: RawAcquire + Copy, W>(
        self,
        raw: R,
        meta: &'a LockMeta,
        access: Access,
        site: &'static Location<'static>,
        make: impl FnOnce(R::Guard, HeldToken<'a>) -> W,
    ) -> W {
        blocking(raw, meta, access, site, make)
    }
}

impl Route for &SetChain {
    type Out<W> = Option<W>;

    #[inline(always)]
    fn take<'a, R: RawAcquire + Copy, W>(
        self,
        raw: R,
        meta: &'a LockMeta,
        access: Access,
        site: &'static Location<'static>,
        make: impl FnOnce(R::Guard, HeldToken<'a>) -> W,
    ) -> Option<W> {
        known_member(raw, meta, access, site, self, make)
    }
}

/// A member of a `lock_all` set on the known path (see [`SetChain`]): the
/// raw lock tried, then recorded as `chain` says. `None`, with nothing taken
/// or recorded, if it is busy or its held-set key is not known: the set then
/// takes the usual path. Records no edge (every edge into it is known).
#[inline(always)]
pub(crate) fn known_member<'a, R: RawAcquire, W>(
    raw: R,
    meta: &'a LockMeta,
    access: Access,
    site: &'static Location<'static>,
    chain: &SetChain,
    make: impl FnOnce(R::Guard, HeldToken<'a>) -> W,
) -> Option<W> {
    let guard = raw.try_now().ok()?;
    if !tracker::record_known_member(meta, access, site, chain) {
        drop(guard);
        return None;
    }
    Some(make(guard, HeldToken::recorded(meta)))
}

/// Every blocking acquisition but the steady state: step 2 if the raw lock
/// was free and is `taken`, else steps 3 and 4.
///
/// Out of line, and one call for both: what [`blocking`] inlines into every
/// caller must stay small enough that a caller's own small `#[inline]`
/// wrapper around `lock()` is inlined too (else every acquisition through
/// such a wrapper pays for a call and a guard returned through memory), and
/// each call in it counts.
#[inline(never)]
fn check<'a, R: RawAcquire>(
    taken: Option<R::Guard>,
    raw: R,
    meta: &'a LockMeta,
    access: Access,
    site: &'static Location<'static>,
) -> (R::Guard, HeldToken<'a>) {
    match taken {
        Some(guard) => check_taken(guard, raw, meta, access, site),
        // The runtime off switch: the raw lock alone (if it is free).
        None if flags::is_off(flags::get()) => match raw.try_now() {
            Ok(guard) => (guard, HeldToken::UNTRACKED),
            Err(raw) => check_then_wait(raw, meta, access, site),
        },
        None => check_then_wait(raw, meta, access, site),
    }
}

/// Step 2: the lock was free and is taken, and the fast path did not record
/// it. The full check runs with the lock taken; if it finds something to
/// report, the lock is let go, the report delivered and the lock taken again
/// (step 4); if the check cannot run here (this thread's thread-locals are
/// being torn down, so no report can be held back), the lock is let go and
/// checked first (step 3).
#[inline(always)]
fn check_taken<'a, R: RawAcquire>(
    guard: R::Guard,
    raw: R,
    meta: &'a LockMeta,
    access: Access,
    site: &'static Location<'static>,
) -> (R::Guard, HeldToken<'a>) {
    match tracker::after_taking(meta, access, site, R::FLAVOUR) {
        Taken::Recorded(token) => (guard, token),
        Taken::Found => {
            // Let go, report, and take it again.
            drop(guard);
            let token = tracker::report_then_record(meta, access, site);
            (take_raw(raw, meta, access, site), token)
        }
        Taken::CheckFirst => {
            drop(guard);
            check_then_wait(raw, meta, access, site)
        }
    }
}

/// Steps 3 and 4: the lock was not free, or [`flags`] are set (or step 2
/// could not check with the lock taken). Checks (nothing under the off
/// switch), then takes the lock, waiting if need be.
#[inline(never)]
fn check_then_wait<'a, R: RawAcquire>(
    raw: R,
    meta: &'a LockMeta,
    access: Access,
    site: &'static Location<'static>,
) -> (R::Guard, HeldToken<'a>) {
    let token = tracker::before_blocking(meta, access, site, R::FLAVOUR);
    (take_raw(raw, meta, access, site), token)
}
