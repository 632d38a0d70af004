//! The one word every acquisition reads first.
//!
//! Each bit is a reason to leave the fast path: bookkeeping is off, the
//! environment has not been read yet, `Mode::Ascending` checks every
//! acquisition, or the watchdog wants held sets mirrored. While the word is 0
//! an acquisition runs the plain steady-state path; the settings that own each
//! bit (`policy`, `watchdog`) keep it up to date.

use std::sync::atomic::{AtomicU8, Ordering::Relaxed};

/// Every kind of violation is ignored: no bookkeeping at all.
pub(crate) const OFF: u8 = 1 << 0;
/// The environment variables have not been read yet (see [`super::read_env`]).
pub(crate) const UNREAD: u8 = 1 << 1;
/// `Mode::Ascending`: every blocking acquisition is checked against the id order.
pub(crate) const ASCENDING: u8 = 1 << 2;
/// Long waits are on: each thread mirrors its held set for the watchdog.
pub(crate) const MIRROR: u8 = 1 << 3;

static FLAGS: AtomicU8 = AtomicU8::new(UNREAD);

/// The flags as they are now (`UNREAD` included): one relaxed load.
#[inline(always)]
pub(crate) fn get() -> u8 {
    FLAGS.load(Relaxed)
}

/// Whether `flags` (as read by [`get`]) say the runtime off switch is on:
/// `OFF` set and the environment read (with `UNREAD` set, the environment
/// may still turn bookkeeping on).
#[inline(always)]
pub(crate) fn is_off(flags: u8) -> bool {
    flags & (OFF | UNREAD) == OFF
}

/// The flags, once the environment has been read.
#[inline]
pub(crate) fn current() -> u8 {
    match get() {
        flags if flags & UNREAD != 0 => {
            super::read_env();
            get()
        }
        flags => flags,
    }
}

/// Sets or clears `flag`; returns whether it was set before.
pub(crate) fn set(flag: u8, on: bool) -> bool {
    let before = match on {
        true => FLAGS.fetch_or(flag, Relaxed),
        false => FLAGS.fetch_and(!flag, Relaxed),
    };
    before & flag != 0
}
