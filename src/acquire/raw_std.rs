//! [`RawAcquire`] for `stdsync`'s locks: their raw locks (std's mutex
//! algorithm on parking_lot's parking lot, parking_lot's reader-writer lock),
//! taken as the crate root takes its own, with reports that give std's advice.
//!
//! `stdsync` keeps std's API and poisoning on locks with a timed acquisition
//! (see `crate::stdsync`): std's have none, and a watched wait needs one, to
//! sleep and still wake at every watchdog interval.

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
