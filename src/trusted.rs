//! The crate's only unsafe code: two small facts the compiler cannot check,
//! each behind a safe interface.
//!
//! - [`with_local`]: a thread-local reached without a closure boundary, so that
//!   the acquisition fast path compiles to straight-line code.
//! - [`AtomicSite`]: a call site (`&'static Location`) kept in an atomic, for
//!   the watchdog's mirror of held sets that other threads read.

use std::panic::Location;
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::thread::LocalKey;

/// Runs `f` on this thread's value of `key`, like [`LocalKey::try_with`]
/// (`None` where that fails), but with `f` outside `try_with`'s closure, so
/// that the compiler can inline both into the caller.
///
/// `LocalKey::try_with` is a generic function the compiler declines to inline
/// once the closure is more than a few instructions; on the lock fast path
/// that call boundary alone costs as much as the bookkeeping.
#[inline(always)]
pub(crate) fn with_local<T: 'static, R>(
    key: &'static LocalKey<T>,
    f: impl FnOnce(&T) -> R,
) -> Option<R> {
    let value: *const T = key.try_with(|value| ptr::from_ref(value)).ok()?;
    // SAFETY: `try_with` succeeded, so this thread's value is alive and was
    // not yet destroyed. Only the thread-local destructors that run when this
    // thread exits can end its life, and they are run one after another by
    // the runtime, never from inside the code running on this thread: not
    // while `f` (called right here, on this thread) runs. The reference is
    // given to `f` for the duration of that call only, as `try_with` would.
    Some(f(unsafe { &*value }))
}

/// A `&'static Location<'static>` (or nothing) in an atomic.
pub(crate) struct AtomicSite(AtomicPtr<Location<'static>>);

impl AtomicSite {
    pub(crate) const fn empty() -> Self {
        AtomicSite(AtomicPtr::new(ptr::null_mut()))
    }

    pub(crate) fn store(&self, site: &'static Location<'static>, order: Ordering) {
        self.0.store(ptr::from_ref(site).cast_mut(), order);
    }

    pub(crate) fn load(&self, order: Ordering) -> Option<&'static Location<'static>> {
        let site = self.0.load(order);
        // SAFETY: the pointer is either the initial null, which `as_ref` turns
        // into `None`, or was stored from a `&'static Location<'static>` by
        // `store`; such a location is never freed or mutated.
        unsafe { site.as_ref() }
    }
}
