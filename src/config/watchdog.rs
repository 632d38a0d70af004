//! How often a blocked thread checks for a deadlock, and when a wait is long:
//! two process-wide durations, set by API or read once from the environment.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use super::{ensure_read, env, flags};
use crate::report::deliver::print_whole;

/// The environment variable that sets the deadlock check interval.
pub const ENV_DEADLOCK_CHECK: &str = "LOCKGRAPH_DEADLOCK_CHECK";
/// The environment variable that sets the long-wait threshold.
pub const ENV_LONG_WAIT: &str = "LOCKGRAPH_LONG_WAIT";

/// Stored for "off".
const OFF: u64 = u64::MAX;
/// The shortest interval or threshold kept (a zero would spin).
const SHORTEST: Duration = Duration::from_millis(1);

static DEADLOCK_CHECK: AtomicU64 = AtomicU64::new(100_000_000);
static LONG_WAIT: AtomicU64 = AtomicU64::new(OFF);
/// While long waits are on, the generation of the held-set mirrors in use
/// (a new one each time they are switched on); 0 while they are off, when
/// threads keep no mirror at all.
static MIRRORING: AtomicU32 = AtomicU32::new(0);
static GENERATIONS: AtomicU32 = AtomicU32::new(0);

/// Sets how often a thread blocked on a lockgraph lock checks the wait-for
/// graph for an actual deadlock (`None`: never; blocked threads then block
/// as the raw lock does), and returns the previous setting.
///
/// The default is 100 ms, or `LOCKGRAPH_DEADLOCK_CHECK` (`250ms`, `1s`, `off`).
/// A deadlock is reported within about twice this interval. Values under a
/// millisecond are rounded up to one.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// let previous = lockgraph::set_deadlock_check(Some(Duration::from_millis(20)));
/// assert_eq!(lockgraph::set_deadlock_check(previous), Some(Duration::from_millis(20)));
/// ```
pub fn set_deadlock_check(interval: Option<Duration>) -> Option<Duration> {
    ensure_read();
    decode(DEADLOCK_CHECK.swap(encode(interval), Relaxed))
}

/// Sets how long a thread may wait for a lockgraph lock before it reports a
/// [`Violation::LongWait`](crate::Violation::LongWait) (`None`: never, the
/// default), and returns the previous setting. Also `LOCKGRAPH_LONG_WAIT`
/// (`30s`, `2m`, `off`).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// let previous = lockgraph::set_long_wait(Some(Duration::from_secs(30)));
/// assert_eq!(lockgraph::set_long_wait(previous), Some(Duration::from_secs(30)));
/// ```
pub fn set_long_wait(threshold: Option<Duration>) -> Option<Duration> {
    ensure_read();
    decode(store_long_wait(encode(threshold)))
}

/// Sets the long-wait threshold and starts or stops the held-set mirrors.
fn store_long_wait(raw: u64) -> u64 {
    let previous = LONG_WAIT.swap(raw, Relaxed);
    if raw == OFF {
        MIRRORING.store(0, Relaxed);
        flags::set(flags::MIRROR, false);
    } else if previous == OFF {
        let generation = GENERATIONS.fetch_add(1, Relaxed) % (u32::MAX - 1) + 1;
        MIRRORING.store(generation, Relaxed);
        flags::set(flags::MIRROR, true);
    }
    previous
}

/// The deadlock check interval in force.
#[inline]
pub(crate) fn deadlock_check() -> Option<Duration> {
    ensure_read();
    decode(DEADLOCK_CHECK.load(Relaxed))
}

/// The generation of held-set mirrors to keep, or 0 when none are kept.
#[inline]
pub(crate) fn mirror_generation() -> u32 {
    ensure_read();
    MIRRORING.load(Relaxed)
}

/// The long-wait threshold in force.
#[inline]
pub(crate) fn long_wait() -> Option<Duration> {
    ensure_read();
    decode(LONG_WAIT.load(Relaxed))
}

fn encode(duration: Option<Duration>) -> u64 {
    duration.map_or(OFF, |d| {
        let nanos = d.max(SHORTEST).as_nanos();
        u64::try_from(nanos).unwrap_or(OFF - 1).min(OFF - 1)
    })
}

fn decode(raw: u64) -> Option<Duration> {
    (raw != OFF).then(|| Duration::from_nanos(raw))
}

/// Applies the values of `LOCKGRAPH_DEADLOCK_CHECK` and `LOCKGRAPH_LONG_WAIT`,
/// where set (from [`super::read_env`]).
pub(super) fn apply_env(deadlock_check: Option<&str>, long_wait: Option<&str>) {
    if let Some(raw) = deadlock_check.and_then(|value| parse(ENV_DEADLOCK_CHECK, value)) {
        DEADLOCK_CHECK.store(raw, Relaxed);
    }
    if let Some(raw) = long_wait.and_then(|value| parse(ENV_LONG_WAIT, value)) {
        store_long_wait(raw);
    }
}

/// `value` of variable `name`, encoded; `None` (and a message) if it cannot be parsed.
fn parse(name: &str, value: &str) -> Option<u64> {
    let parsed = env::parse_duration(value).map(encode);
    if parsed.is_none() {
        print_whole(format!(
            "lockgraph: ignoring {name}={value:?}: accepted forms are a number with ms, s or m \
             (e.g. 250ms, 30s, 2m) or off; keeping the default\n"
        ));
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiny_and_huge_values_are_kept_in_range() {
        assert_eq!(decode(encode(Some(Duration::ZERO))), Some(SHORTEST));
        assert!(decode(encode(Some(Duration::MAX))).is_some());
        assert_eq!(decode(encode(None)), None);
    }
}
