//! The one-word holds inside `stdsync`'s exclusive guards: [`HeldStd`] (a
//! `stdsync::Mutex`) and [`HeldWrite`] (a `stdsync::RwLock` written), each a
//! lock this thread holds, kept as a [`Marked`] reference to the
//! whole lock: what a guard of its raw lock is, but one that also reaches the
//! lock's header and poison flag, and keeps two bits of its owner's
//! ([`marks`](HeldStd::marks)). So such a guard (of sized data) is one
//! word, and std's `LockResult` of one is two, returned in registers: with
//! the held token, the poison flag's address, "taken while panicking" and
//! the raw guard side by side it was four words, returned through memory.
//!
//! The invariant of each: while one lives, this thread holds the raw lock of
//! the lock it refers to, in its mode, through a raw guard that was
//! forgotten (every constructor takes that guard from the lock itself);
//! dropping it runs the guard's release (the held set, poisoning: the marks
//! say how) and then releases that hold. The guards are these holds alone,
//! with no drop of their own, so that a downgrade can take its hold out.

use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use super::marked::Marked;
use super::std_mutex::{StdCondvar, StdMutexGuard};
use crate::stdsync::poisoning;
use crate::stdsync::{Mutex, RwLock};

/// A hold that takes its lock itself: what the acquisition pipeline takes
/// for a `stdsync` exclusive lock (`acquire::raw_std::Holding`).
pub(crate) trait Hold<'a>: Sized {
    /// The lock held.
    type Lock: ?Sized + 'a;
    /// Takes `lock` if that needs no wait.
    fn try_now(lock: &'a Self::Lock) -> Option<Self>;
    /// Takes `lock`, waiting at most `timeout`.
    fn try_for(lock: &'a Self::Lock, timeout: Duration) -> Option<Self>;
    /// Takes `lock`, however long that takes.
    fn block(lock: &'a Self::Lock) -> Self;
    /// Whether `lock` is seen taken, by a read alone (see
    /// `RawAcquire::seen_taken`).
    fn seen_taken(lock: &Self::Lock) -> bool;
}

/// One hold type: `$Held` holds a `$Lock`'s raw lock (its field `inner`)
/// and stands for a forgotten `$Guard`, made by `$try`, `$try_for`,
/// `$try_until` and `$block` on the raw lock, released by `$unlock`. Its
/// drop runs `$release` (with the lock and the marks) first: the guard's own
/// release (the held set, poisoning), before the raw lock's. `$seen_taken`
/// is [`Hold::seen_taken`].
macro_rules! hold {
    ($(#[$doc:meta])* $Held:ident: $Lock:ident, $Guard:ty, $try:ident, $try_for:ident,
        $try_until:ident, $block:ident, $unlock:ident,
        release = |$lock:ident, $marks:ident| $release:expr,
        seen_taken = |$seen:ident| $seen_taken:expr) => {
        $(#[$doc])*
        pub(crate) struct $Held<'a, T: ?Sized> {
            lock: Marked<'a, $Lock<T>>,
            /// The lifetime; `UnwindSafe` and `RefUnwindSafe` for any `T`, as
            /// std's guards are (the lock is both, and the hold is only a
            /// reference to it), where the raw guard's `&mut T` would make it
            /// neither.
            _guard: PhantomData<&'a $Lock<T>>,
            /// Never `Send`, whatever the raw guard is (parking_lot's
            /// `send_guard` feature, enabled by any crate of a program, makes
            /// its guards `Send`): the held set its drop forgets the lock in
            /// is this thread's.
            _this_thread: PhantomData<std::sync::MutexGuard<'static, ()>>,
        }

        // SAFETY: sharing a hold across threads shares `&T` (through
        // `Deref`), which is `Sync` when `T` is: std's bound for its guards.
        // It also reaches the `&'a $Lock<T>` (`lock`), which is not `Sync`
        // for a `T` that is `Sync` but not `Send` (another thread could take
        // the lock once this hold ends, and move the data out): only the
        // owner's code (the guard's release and held-set token, a condvar
        // wait, a downgrade) uses it, on the thread that holds the lock.
        unsafe impl<T: ?Sized + Sync> Sync for $Held<'_, T> {}

        impl<'a, T: ?Sized> $Held<'a, T> {
            /// The hold of `guard`, a guard of `lock.inner`; no marks.
            #[inline(always)]
            fn holding(lock: &'a $Lock<T>, guard: $Guard) -> Self {
                std::mem::forget(guard);
                $Held {
                    lock: Marked::new(lock),
                    _guard: PhantomData,
                    _this_thread: PhantomData,
                }
            }

            /// Takes `lock`'s raw lock if that needs no wait.
            #[inline(always)]
            pub(crate) fn try_now(lock: &'a $Lock<T>) -> Option<Self> {
                let guard = lock.inner.$try()?;
                Some(Self::holding(lock, guard))
            }

            /// Takes `lock`'s raw lock, waiting at most `timeout`.
            pub(crate) fn try_for(lock: &'a $Lock<T>, timeout: Duration) -> Option<Self> {
                let guard = lock.inner.$try_for(timeout)?;
                Some(Self::holding(lock, guard))
            }

            /// Takes `lock`'s raw lock, waiting until `deadline` at most.
            pub(crate) fn try_until(lock: &'a $Lock<T>, deadline: Instant) -> Option<Self> {
                let guard = lock.inner.$try_until(deadline)?;
                Some(Self::holding(lock, guard))
            }

            /// Takes `lock`'s raw lock, however long that takes.
            pub(crate) fn block(lock: &'a $Lock<T>) -> Self {
                Self::holding(lock, lock.inner.$block())
            }

            /// This hold with `marks` (below 4) for its owner's marks.
            #[inline(always)]
            pub(crate) fn marked(self, marks: usize) -> Self {
                let this = ManuallyDrop::new(self);
                $Held {
                    lock: this.lock.marked(marks),
                    _guard: PhantomData,
                    _this_thread: PhantomData,
                }
            }

            /// The owner's marks (see [`marked`](Self::marked)).
            #[inline(always)]
            pub(crate) fn marks(&self) -> usize {
                self.lock.marks()
            }

            /// The lock held.
            #[inline(always)]
            pub(crate) fn lock(&self) -> &'a $Lock<T> {
                self.lock.get()
            }
        }

        impl<'a, T: ?Sized> Hold<'a> for $Held<'a, T> {
            type Lock = $Lock<T>;

            #[inline(always)]
            fn try_now(lock: &'a $Lock<T>) -> Option<Self> {
                Self::try_now(lock)
            }

            fn try_for(lock: &'a $Lock<T>, timeout: Duration) -> Option<Self> {
                Self::try_for(lock, timeout)
            }

            fn block(lock: &'a $Lock<T>) -> Self {
                Self::block(lock)
            }

            fn seen_taken($seen: &$Lock<T>) -> bool {
                $seen_taken
            }
        }

        impl<T: ?Sized> Deref for $Held<'_, T> {
            type Target = T;

            #[inline(always)]
            fn deref(&self) -> &T {
                // SAFETY: the raw lock is held in this hold's mode (the
                // invariant), which lets every holder read, and `&self` lends
                // the data no longer than this value lives.
                unsafe { &*self.lock().inner.data_ptr() }
            }
        }

        impl<T: ?Sized> Drop for $Held<'_, T> {
            #[inline(always)]
            fn drop(&mut self) {
                let ($lock, $marks) = (self.lock(), self.marks());
                $release;
                // SAFETY: the raw lock is held in this mode by this value (the
                // invariant), whose hold ends here.
                unsafe { $lock.inner.$unlock() }
            }
        }
    };
}

/// `DerefMut` for a hold that excludes every other holder.
macro_rules! exclusive {
    ($Held:ident) => {
        impl<T: ?Sized> DerefMut for $Held<'_, T> {
            #[inline(always)]
            fn deref_mut(&mut self) -> &mut T {
                // SAFETY: the raw lock is held exclusively (the invariant), so
                // no one else reads or writes, and `&mut self` makes the loan
                // unique.
                unsafe { &mut *self.lock().inner.data_ptr() }
            }
        }
    };
}

hold!(
    /// A `stdsync::Mutex` this thread holds (see the module docs).
    HeldStd: Mutex, StdMutexGuard<'a, T>, try_lock, try_lock_for, try_lock_until, lock, force_unlock,
    release = |lock, marks| poisoning::release_exclusive(&lock.poison, &lock.header, marks),
    // std's algorithm tries with a write: read first.
    seen_taken = |lock| lock.inner.is_locked()
);
exclusive!(HeldStd);

hold!(
    /// A `stdsync::RwLock` this thread holds for writing (see the module docs).
    HeldWrite: RwLock, parking_lot::RwLockWriteGuard<'a, T>, try_write, try_write_for,
        try_write_until, write, force_unlock_write,
    release = |lock, marks| poisoning::release_exclusive(&lock.poison, &lock.header, marks),
    // parking_lot's try reads first.
    seen_taken = |_lock| false
);
exclusive!(HeldWrite);

impl<'a, T: ?Sized> HeldStd<'a, T> {
    /// Waits on `condvar` until notified (or spuriously woken, or `deadline`
    /// passes), with the raw lock released meanwhile and held again when it
    /// returns (or unwinds); returns whether the deadline passed.
    ///
    /// Not a closure on the raw guard: with `&mut` to it, safe code could
    /// swap it for another and drop this hold's guard, which would release
    /// the raw lock while this value still hands out the data.
    pub(crate) fn wait_on(&mut self, condvar: &StdCondvar, deadline: Option<Instant>) -> bool {
        // SAFETY: this thread holds the raw lock (the invariant), and the
        // guard made here stands for that hold. Only `wait_until` uses it,
        // which releases and retakes the lock in place (lock_api's
        // `unlocked`, which retakes it also if the wait unwinds) and neither
        // moves nor drops the guard; nor is it dropped here, so the lock is
        // released once, by this value's drop.
        let mut guard = ManuallyDrop::new(unsafe { self.lock().inner.make_guard_unchecked() });
        condvar.wait_until(&mut guard, deadline)
    }
}

impl<'a, T: ?Sized> HeldWrite<'a, T> {
    /// Turns the write hold into a read lock's guard, atomically (no writer
    /// can come in between). The write hold's release is not run: the
    /// caller ends the exclusive hold (the held set's access).
    pub(crate) fn downgrade(self) -> parking_lot::RwLockReadGuard<'a, T> {
        let lock = self.lock();
        // The write hold passes to the guard made here: this value must not
        // release it.
        std::mem::forget(self);
        // SAFETY: this thread holds the raw lock for writing (the invariant of
        // the value just forgotten), and the guard made here stands for that
        // hold, once.
        let write = unsafe { lock.inner.make_write_guard_unchecked() };
        parking_lot::RwLockWriteGuard::downgrade(write)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stdsync::poisoning::UNTRACKED;

    #[test]
    fn a_write_hold_excludes_and_a_downgrade_keeps_the_lock_read() {
        // Marked untracked: taken here without the held set, so their drops
        // leave it alone.
        fn write(hold: Option<HeldWrite<'_, i32>>) -> Option<HeldWrite<'_, i32>> {
            hold.map(|hold| hold.marked(UNTRACKED))
        }
        let lock = RwLock::new(5);
        let mut writing = write(HeldWrite::try_now(&lock)).expect("free");
        *writing += 1;
        assert!(write(HeldWrite::try_for(&lock, Duration::from_millis(1))).is_none());
        assert!(lock.inner.try_read().is_none());
        let reading = writing.downgrade();
        assert_eq!(*reading, 6);
        assert!(write(HeldWrite::try_now(&lock)).is_none());
        let other = lock.inner.try_read().expect("readers share");
        drop((reading, other));
        assert!(write(HeldWrite::try_until(&lock, Instant::now())).is_some());
    }
}
