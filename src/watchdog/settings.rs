//! How often a blocked thread checks for a deadlock, and when a wait is long:
//! two process-wide durations, set by API or read once from the environment.

use std::sync::Once;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::flags;

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
static ENV_READ: Once = Once::new();
/// While long waits are on, the generation of the held-set mirrors in use
/// (a new one each time they are switched on); 0 while they are off, when
/// threads keep no mirror at all; `UNREAD` until the environment is read.
static MIRRORING: AtomicU32 = AtomicU32::new(UNREAD);
const UNREAD: u32 = u32::MAX;
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
    init_from_env();
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
    init_from_env();
    decode(store_long_wait(encode(threshold)))
}

/// Sets the long-wait threshold and starts or stops the held-set mirrors.
fn store_long_wait(raw: u64) -> u64 {
    let previous = LONG_WAIT.swap(raw, Relaxed);
    if raw == OFF {
        MIRRORING.store(0, Relaxed);
        flags::set(flags::MIRROR, false);
    } else if previous == OFF {
        let generation = GENERATIONS.fetch_add(1, Relaxed) % (UNREAD - 1) + 1;
        MIRRORING.store(generation, Relaxed);
        flags::set(flags::MIRROR, true);
    }
    previous
}

/// The deadlock check interval in force.
#[inline]
pub(crate) fn deadlock_check() -> Option<Duration> {
    init_from_env();
    decode(DEADLOCK_CHECK.load(Relaxed))
}

/// The generation of held-set mirrors to keep, or 0 when none are kept.
/// On the fast path: one relaxed load.
#[inline]
pub(crate) fn mirror_generation() -> u32 {
    match MIRRORING.load(Relaxed) {
        UNREAD => first_mirror_generation(),
        generation => generation,
    }
}

#[cold]
fn first_mirror_generation() -> u32 {
    init_from_env();
    // Still unread: `LOCKGRAPH_LONG_WAIT` is not set, long waits are off.
    match MIRRORING.compare_exchange(UNREAD, 0, Relaxed, Relaxed) {
        Ok(_) => 0,
        Err(generation) => generation,
    }
}

/// The long-wait threshold in force.
#[inline]
pub(crate) fn long_wait() -> Option<Duration> {
    init_from_env();
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

#[inline]
pub(crate) fn init_from_env() {
    if !ENV_READ.is_completed() {
        read_env_once();
    }
}

#[cold]
fn read_env_once() {
    ENV_READ.call_once(|| {
        read_env(ENV_DEADLOCK_CHECK, |raw| DEADLOCK_CHECK.store(raw, Relaxed));
        read_env(ENV_LONG_WAIT, |raw| {
            store_long_wait(raw);
        });
    });
}

fn read_env(name: &str, store: impl FnOnce(u64)) {
    let Ok(value) = std::env::var(name) else {
        return;
    };
    match parse_duration(&value) {
        Some(duration) => store(encode(duration)),
        None => eprintln!(
            "lockgraph: ignoring {name}={value:?}: accepted forms are a number with ms, s or m \
             (e.g. 250ms, 30s, 2m) or off; keeping the default"
        ),
    }
}

/// Parses `250ms`, `30s`, `2m` or `off`; `None` if the value is none of these.
pub(crate) fn parse_duration(value: &str) -> Option<Option<Duration>> {
    let value = value.trim().to_ascii_lowercase();
    if value == "off" {
        return Some(None);
    }
    let split = value.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = value.split_at(split);
    let number: u64 = number.parse().ok()?;
    let duration = match unit.trim() {
        "ms" => Duration::from_millis(number),
        "s" => Duration::from_secs(number),
        "m" => Duration::from_secs(number.checked_mul(60)?),
        _ => return None,
    };
    Some(Some(duration))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        let ms = Duration::from_millis;
        assert_eq!(parse_duration("250ms"), Some(Some(ms(250))));
        assert_eq!(parse_duration(" 30s"), Some(Some(ms(30_000))));
        assert_eq!(parse_duration("2m"), Some(Some(ms(120_000))));
        assert_eq!(parse_duration("OFF"), Some(None));
        assert_eq!(parse_duration("30"), None);
        assert_eq!(parse_duration("1h"), None);
        assert_eq!(parse_duration("ms"), None);
        assert_eq!(parse_duration("-1s"), None);
    }

    #[test]
    fn tiny_and_huge_values_are_kept_in_range() {
        assert_eq!(decode(encode(Some(Duration::ZERO))), Some(SHORTEST));
        assert!(decode(encode(Some(Duration::MAX))).is_some());
        assert_eq!(decode(encode(None)), None);
    }
}
