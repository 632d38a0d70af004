//! Waiting on a raw lock that has no timed acquisition (a `lock_api` raw
//! lock without the `*Timed` traits, such as a spin lock): its own try, again
//! and again, until a deadline.
//!
//! The watched wait (step 4 of the pipeline) needs a wait that ends after an
//! interval, and a set's `try_lock_all_until` one that ends at a deadline; a
//! raw lock that can only be taken now or for as long as it takes gives
//! neither. Polling its try does: a few spins first, then the CPU is yielded
//! between tries, as a spin lock waits. A raw lock that parks but has no
//! timed acquisition is then waited for on the CPU; with the deadlock check
//! off (`set_deadlock_check(None)`), a blocking acquisition calls its own
//! `lock` instead.

use std::time::{Duration, Instant};

/// Tries `attempt` (which gives `state` back on failure) until it succeeds or
/// `timeout` has passed; at least once, and never giving up before the
/// timeout. A timeout too long for the clock never ends.
pub(crate) fn within<S, G>(
    state: S,
    timeout: Duration,
    attempt: impl FnMut(S) -> Result<G, S>,
) -> Result<G, S> {
    until(state, Instant::now().checked_add(timeout), attempt)
}

/// Tries `attempt` until it succeeds or the `deadline` (if any) has passed.
pub(crate) fn until<S, G>(
    mut state: S,
    deadline: Option<Instant>,
    mut attempt: impl FnMut(S) -> Result<G, S>,
) -> Result<G, S> {
    let mut round = 0;
    loop {
        state = match attempt(state) {
            Ok(taken) => return Ok(taken),
            Err(state) => state,
        };
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            return Err(state);
        }
        back_off(&mut round);
    }
}

/// Between two tries: spins that double each round (a lock held for a few
/// instructions is taken without a trip to the scheduler), then a yield.
fn back_off(round: &mut u32) {
    const SPIN_ROUNDS: u32 = 6;
    if *round < SPIN_ROUNDS {
        (0..1u32 << *round).for_each(|_| std::hint::spin_loop());
        *round += 1;
    } else {
        std::thread::yield_now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_up_only_after_the_timeout() {
        let start = Instant::now();
        let tries = within(0u32, Duration::from_millis(20), |n| Err::<(), _>(n + 1));
        assert!(start.elapsed() >= Duration::from_millis(20));
        assert!(tries.unwrap_err() > 1);
    }

    #[test]
    fn returns_what_the_attempt_takes() {
        let taken = until(
            0u32,
            None,
            |n| if n == 3 { Ok("taken") } else { Err(n + 1) },
        );
        assert_eq!(taken, Ok("taken"));
    }
}
