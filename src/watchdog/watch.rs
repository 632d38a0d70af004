//! A published wait and its checks.
//!
//! A thread that has waited a whole check interval for a lock publishes what
//! it waits for ([`Watch::start`]); at every timeout after that it looks for a
//! wait-for cycle through itself and for a long wait. A cycle is reported when
//! the same waits (by serial) form it at two consecutive checks, so a wait
//! that ended a moment ago is never mistaken for a deadlock; it is reported by
//! the first thread of the cycle that confirms it, once. Under `Panic` that
//! thread panics out of its wait, and its unwinding releases its locks.

use std::collections::HashSet;
use std::panic::Location;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex as RawMutex;

use super::cycle;
use super::registry::{self, ThreadRecord, Waiting};
use crate::config::{self, Policy, policy};
use crate::held::Access;
use crate::meta::LockMeta;
use crate::report::{
    BlockedThread, CapturedBacktrace, Deadlock, HeldRef, LockRef, LongWait, ThreadLabel, Violation,
    ViolationKind,
};
use crate::tracker;

/// How long a thread sleeps between checks when both checks are off.
const IDLE: Duration = Duration::from_secs(1);
/// The shortest wait before a long-wait check.
const SHORTEST: Duration = Duration::from_millis(1);

/// The deadlocks already reported, by the serials of their waits.
static REPORTED: RawMutex<Option<HashSet<Vec<u64>>>> = RawMutex::new(None);
/// How many reported deadlocks are remembered before the set is cleared.
const REPORTED_LIMIT: usize = 10_000;

/// The first check interval, or `None` when nothing is to be checked.
pub(crate) fn first_interval() -> Option<Duration> {
    let deadlock = config::watchdog::deadlock_check().filter(|_| reported(ViolationKind::Deadlock));
    let long = config::watchdog::long_wait().filter(|_| reported(ViolationKind::LongWait));
    deadlock.into_iter().chain(long).min()
}

fn reported(kind: ViolationKind) -> bool {
    policy(kind) != Policy::Ignore
}

/// A published wait and what its checks have found so far.
pub(crate) struct Watch {
    record: Arc<ThreadRecord>,
    wait: Arc<Waiting>,
    /// The cycle (sorted serials) the previous check found.
    seen: Option<Vec<u64>>,
    long_reported: bool,
}

impl Watch {
    /// Publishes this thread's wait, which began `waited` ago.
    pub(crate) fn start(
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
        let backtrace = CapturedBacktrace::capture(thread.clone(), None);
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
                backtrace: Some(backtrace),
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
    pub(crate) fn interval(&self) -> Duration {
        let deadlock = config::watchdog::deadlock_check();
        let long = config::watchdog::long_wait()
            .filter(|_| !self.long_reported)
            .map(|limit| {
                limit
                    .saturating_sub(self.wait.started.elapsed())
                    .max(SHORTEST)
            });
        deadlock.into_iter().chain(long).min().unwrap_or(IDLE)
    }

    pub(crate) fn check(&mut self) {
        self.check_deadlock();
        self.check_long_wait();
    }

    fn check_deadlock(&mut self) {
        if config::watchdog::deadlock_check().is_none() || !reported(ViolationKind::Deadlock) {
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
            let waiting_for = self.wait.blocked.waiting_for.id();
            tracker::report_while_waiting(Violation::Deadlock(Deadlock { threads }), waiting_for);
        }
    }

    fn check_long_wait(&mut self) {
        let Some(limit) = config::watchdog::long_wait() else {
            return;
        };
        let waited = self.wait.started.elapsed();
        if self.long_reported || waited < limit || !reported(ViolationKind::LongWait) {
            return;
        }
        self.long_reported = true;
        let waiting_for = self.wait.blocked.waiting_for.id();
        let long_wait = Violation::LongWait(LongWait {
            waiter: self.wait.blocked.clone(),
            waited,
            holders: self.holders(),
        });
        tracker::report_while_waiting(long_wait, waiting_for);
    }

    /// The other threads that hold the lock, as their mirrors say now.
    fn holders(&self) -> Vec<(ThreadLabel, HeldRef)> {
        let lock = &self.wait.blocked.waiting_for;
        let generation = config::watchdog::mirror_generation();
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
