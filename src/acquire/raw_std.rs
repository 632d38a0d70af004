//! [`RawAcquire`] for `stdsync`'s locks: parking_lot's raw locks, taken as
//! the crate root takes them, with reports that give std's advice.
//!
//! `stdsync` keeps std's API and poisoning on top of parking_lot's locks
//! (see `crate::stdsync`): std has no timed acquisition, and a watched wait
//! needs one, to park and still wake at every watchdog interval.

use std::time::Duration;

use super::raw::RawAcquire;
use crate::meta::Flavour;

/// The acquisition `R`, of a `stdsync` lock.
#[derive(Clone, Copy)]
pub(crate) struct Std<R>(pub(crate) R);

impl<R: RawAcquire> RawAcquire for Std<R> {
    type Guard = R::Guard;
    const FLAVOUR: Flavour = Flavour::Std;

    #[inline(always)]
    fn try_now(self) -> Result<Self::Guard, Self> {
        self.0.try_now().map_err(Std)
    }

    fn seen_taken(&self) -> bool {
        self.0.seen_taken()
    }

    fn try_for(self, timeout: Duration) -> Result<Self::Guard, Self> {
        self.0.try_for(timeout).map_err(Std)
    }

    fn block(self) -> Self::Guard {
        self.0.block()
    }
}
