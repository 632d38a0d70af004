//! Blocking on a raw lock under the watchdog.
//!
//! The uncontended path is the raw lock's own `try_*`. A thread that cannot
//! take the lock at once waits on the raw lock's timed acquisition, one check
//! interval at a time; only after a whole interval does it publish what it
//! waits for, and at every timeout it looks for a wait-for cycle through
//! itself and for a long wait. A cycle is reported when the same waits (by
//! serial) form it at two consecutive checks, so a wait that ended a moment
//! ago is never mistaken for a deadlock; it is reported by the first thread of
//! the cycle that confirms it, once. Under `Panic` that thread panics out of
//! its wait, and its unwinding releases its locks.

use std::collections::HashSet;
use std::panic::Location;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex as RawMutex;

use super::cycle;
use super::raw::{RawAcquire, Retake};
use super::registry::{self, ThreadRecord, Waiting};
use super::settings;
use crate::flags;
use crate::held::Access;
use crate::meta::LockMeta;
use crate::policy::{Policy, policy};
use crate::report::deliver;
use crate::report::{
    BlockedThread, CapturedBacktrace, Deadlock, HeldRef, LockRef, LongWait, ThreadLabel, Violation,
    ViolationKind,
};
use crate::tracker::{self, HeldToken, Suspended, Taken};

/// How long a thread sleeps between checks when both checks are off.
const IDLE: Duration = Duration::from_secs(1);
/// The shortest wait before a long-wait check.
const SHORTEST: Duration = Duration::from_millis(1);

/// The deadlocks already reported, by the serials of their waits.
static REPORTED: RawMutex<Option<HashSet<Vec<u64>>>> = RawMutex::new(None);
/// How many reported deadlocks are remembered before the set is cleared.
const REPORTED_LIMIT: usize = 10_000;

/// A blocking acquisition of `raw`, the lock of `meta`, as `access` at
/// `site`: checked, recorded (the token) and taken (the guard).
///
/// With no [`flags`] set, the raw lock is tried first and an acquisition that
/// takes it at once is checked after (under the runtime off switch alone it is
/// tried first too, and nothing is checked). The steady state then reads the lock's
/// id from a cache line this core already owns; checked first, it fetched the
/// line once to read the id and again to take the lock, which made a contended
/// lock's hand-offs slower. Nothing is reported with the lock taken: if the
/// check finds a violation, the lock is let go, the violation reported, and
/// the lock taken again, blocking as usual.
///
/// `make` builds the caller's guard on each path: the raw guard goes straight
/// into it, instead of through a merged return value (which, for std's guards,
/// a byte-wide store read back word-wide, stalled every acquisition).
#[inline(always)]
pub(crate) fn take<'a, R: RawAcquire + Copy, W>(
    raw: R,
    meta: &'a LockMeta,
    access: Access,
    site: &'static Location<'static>,
    make: impl FnOnce(R::Guard, HeldToken<'a>) -> W,
) -> W {
    let flags = flags::get();
    if (flags == 0 || flags::is_off(flags))
        && let Ok(guard) = raw.try_now()
    {
        if flags != 0 {
            // The runtime off switch: the raw lock alone.
            return make(guard, HeldToken::UNTRACKED);
        }
        if tracker::record_if_known(meta, access, site) {
            return make(guard, HeldToken::recorded(meta));
        }
        let (guard, token) = check_taken(guard, raw, meta, access, site);
        return make(guard, token);
    }
    // (Untracked under the off switch too: `before_blocking` checks it first.)
    let (guard, token) = check_then_wait(raw, meta, access, site);
    make(guard, token)
}

/// [`take`] for a lock that was free and is taken, when the steady state did
/// not record it: the full check, with the lock let go and taken again if it
/// finds something to report, or let go and checked first if the check could
/// not run here (this thread's thread-locals are being torn down).
///
/// Out of line, as [`check_then_wait`]: what `take` inlines into every caller
/// is the steady state and the off switch, one try of the raw lock for both,
/// small enough that a caller's own small `#[inline]` wrapper around `lock()`
/// is inlined too. With this match inline it was not, and every acquisition
/// through such a wrapper paid for a call and a guard returned through
/// memory: 1.2x parking_lot instead of 1.0x for lock+unlock.
#[inline(never)]
fn check_taken<'a, R: RawAcquire>(
    guard: R::Guard,
    raw: R,
    meta: &'a LockMeta,
    access: Access,
    site: &'static Location<'static>,
) -> (R::Guard, HeldToken<'a>) {
    match tracker::after_taking(meta, access, site) {
        Taken::Recorded(token) => (guard, token),
        Taken::Found => {
            // Let go, report, and take it again.
            drop(guard);
            let token = tracker::report_then_record(meta, access, site);
            (acquire(raw, meta, access, site), token)
        }
        Taken::CheckFirst => {
            drop(guard);
            check_then_wait(raw, meta, access, site)
        }
    }
}

/// [`take`] for a lock that was not free, or with [`flags`] set (and
/// [`check_taken`] for a check that could not run with the lock taken):
/// checks (nothing under the off switch), then takes it, waiting if need be.
#[inline(never)]
fn check_then_wait<'a, R: RawAcquire>(
    raw: R,
    meta: &'a LockMeta,
    access: Access,
    site: &'static Location<'static>,
) -> (R::Guard, HeldToken<'a>) {
    let token = tracker::before_blocking(meta, access, site);
    (acquire(raw, meta, access, site), token)
}

/// Takes `raw` for a blocking acquisition of `meta` as `access` at `site`,
/// watching the wait if it cannot be taken at once.
#[inline]
pub(crate) fn acquire<R: RawAcquire>(
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

/// The lock is taken: wait one interval unpublished (most waits end there),
/// then publish the wait and check at every timeout.
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
    let Some(interval) = first_interval() else {
        return raw.block();
    };
    let id = meta.id();
    let hidden = tracker::hide_wait(id);
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
/// this keeps them off the timed path, which reads the clock and publishes
/// nothing until a whole interval has passed anyway.
///
/// After one short busy-wait it yields between looks (nine times at most):
/// every look at the lock takes its cache line away from the holder, whose
/// next write then waits for it. With growing busy-waits first, as in
/// parking_lot's own spinning (ours did 2, 4, 8 and 16 pauses: four looks in
/// a fraction of a microsecond, then six yields), two threads hammering one
/// lock handed it over every 60 acquisitions, against 130-220 now, and took
/// 1.2-1.4x parking_lot's time instead of 0.9-1.2x (S8); with work inside or
/// outside the critical section (20-200 ns) the two ways measured the same.
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

/// The first check interval, or `None` when nothing is to be checked.
fn first_interval() -> Option<Duration> {
    let deadlock = settings::deadlock_check().filter(|_| reported(ViolationKind::Deadlock));
    let long = settings::long_wait().filter(|_| reported(ViolationKind::LongWait));
    deadlock.into_iter().chain(long).min()
}

fn reported(kind: ViolationKind) -> bool {
    policy(kind) != Policy::Ignore
}

/// A published wait and what its checks have found so far.
struct Watch {
    record: Arc<ThreadRecord>,
    wait: Arc<Waiting>,
    /// The cycle (sorted serials) the previous check found.
    seen: Option<Vec<u64>>,
    long_reported: bool,
}

impl Watch {
    /// Publishes this thread's wait, which began `waited` ago.
    fn start(
        meta: &LockMeta,
        access: Access,
        site: &'static Location<'static>,
        waited: Duration,
    ) -> Option<Watch> {
        let id = meta.id();
        if !id.is_tracked() {
            return None;
        }
        let (record, thread, holds) = tracker::waiter(id)?;
        let now = Instant::now();
        let wait = Arc::new(Waiting {
            serial: registry::next_serial(),
            started: now.checked_sub(waited).unwrap_or(now),
            blocked: BlockedThread {
                thread,
                waiting_for: LockRef::new(id, meta.origin()),
                access,
                since: site,
                holds,
                backtrace: Some(CapturedBacktrace::capture()),
            },
        });
        record.publish(Some(Arc::clone(&wait)));
        Some(Watch {
            record,
            wait,
            seen: None,
            long_reported: false,
        })
    }

    /// How long to wait before the next check.
    fn interval(&self) -> Duration {
        let deadlock = settings::deadlock_check();
        let long = settings::long_wait()
            .filter(|_| !self.long_reported)
            .map(|limit| {
                limit
                    .saturating_sub(self.wait.started.elapsed())
                    .max(SHORTEST)
            });
        deadlock.into_iter().chain(long).min().unwrap_or(IDLE)
    }

    fn check(&mut self) {
        self.check_deadlock();
        self.check_long_wait();
    }

    fn check_deadlock(&mut self) {
        if settings::deadlock_check().is_none() || !reported(ViolationKind::Deadlock) {
            self.seen = None;
            return;
        }
        let cycle = cycle::through(&registry::waits(), self.wait.serial);
        let serials = cycle.as_deref().map(sorted_serials);
        let confirmed = serials.is_some() && serials == self.seen;
        self.seen = serials;
        if let (true, Some(cycle)) = (confirmed, cycle)
            && first_report(&sorted_serials(&cycle))
        {
            let threads = cycle.iter().map(|w| w.blocked.clone()).collect();
            deliver::report(Violation::Deadlock(Deadlock { threads }));
        }
    }

    fn check_long_wait(&mut self) {
        let Some(limit) = settings::long_wait() else {
            return;
        };
        let waited = self.wait.started.elapsed();
        if self.long_reported || waited < limit || !reported(ViolationKind::LongWait) {
            return;
        }
        self.long_reported = true;
        deliver::report(Violation::LongWait(LongWait {
            waiter: self.wait.blocked.clone(),
            waited,
            holders: self.holders(),
        }));
    }

    /// The other threads that hold the lock, as their mirrors say now.
    fn holders(&self) -> Vec<(ThreadLabel, HeldRef)> {
        let lock = &self.wait.blocked.waiting_for;
        let generation = settings::mirror_generation();
        let others = registry::threads().into_iter();
        let others = others.filter(|t| !Arc::ptr_eq(t, &self.record));
        others
            .flat_map(|t| {
                let held = t.holding(lock.id, generation).into_iter();
                held.map(move |(access, site)| {
                    let lock = lock.clone();
                    (t.label.clone(), HeldRef { lock, access, site })
                })
            })
            .collect()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.record.publish(None);
    }
}

fn sorted_serials(cycle: &[Arc<Waiting>]) -> Vec<u64> {
    let mut serials: Vec<u64> = cycle.iter().map(|w| w.serial).collect();
    serials.sort_unstable();
    serials
}

/// Whether this deadlock is reported now for the first time.
fn first_report(serials: &[u64]) -> bool {
    let mut reported = REPORTED.lock();
    let reported = reported.get_or_insert_with(HashSet::new);
    // Serials are never reused, so old entries only cost memory: forget them in
    // bulk (a deadlock still standing then may be reported once more).
    if reported.len() >= REPORTED_LIMIT {
        reported.clear();
    }
    reported.insert(serials.to_vec())
}

/// The re-acquisition at the end of a guard's `unlocked` (or `bump`), which
/// parking_lot makes itself, with a plain blocking lock.
///
/// The watchdog cannot take that lock in parking_lot's place, so after the
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
            drop(acquire(self.again, meta, access, self.site));
        }
        result
    }
}
