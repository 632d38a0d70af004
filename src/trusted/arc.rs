//! [`ArcHeld`]: a lock held through an `Arc` (feature `arc_lock`), the state of
//! every `Arc*Guard`.
//!
//! An arc guard owns the `Arc` of its lock, so it cannot also own a guard that
//! borrows from that `Arc`. It keeps the guard apart instead: the raw guard is
//! leaked (the raw lock stays held) and only the held-set token is kept, with
//! its lifetime extended to `'static`. Every operation makes the lockgraph
//! guard again from the lock and the token, borrowed from the `Arc` for just
//! that call, and takes it apart again afterwards. So an arc guard records and
//! releases exactly what the guard it was made from would.
//!
//! The invariant, stated once: while `ArcHeld::token` is `Some`, this thread
//! holds the lock in `P`'s mode through a raw guard that [`PartsAt::leak`] leaked
//! and no one has made again since, and the token refers to the header inside
//! `ArcHeld::lock`.

// The traits here are `pub` only so that the arc guards' sealed bounds can
// name them; nothing outside the crate can reach them or `HeldToken`.
#![allow(private_interfaces)]

use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::sync::Arc;

use crate::acquire::HeldToken;
use crate::lock::mutex::{FairMutex, FairMutexGuard, Mutex, MutexGuard};
use crate::lock::recursive_rwlock::RecursiveRwLock;
use crate::lock::reentrant::{ReentrantMutex, ReentrantMutexGuard};
use crate::lock::rwlock::{RwLock, RwLockReadGuard, RwLockUpgradableReadGuard, RwLockWriteGuard};

/// A kind of lockgraph guard, as an arc guard keeps it: its lock and its data.
///
/// Public in a private module: the public arc guards name it in their bounds.
///
/// # Safety
///
/// `data` points to the lock's data; `EXCLUSIVE` is true only for a guard that
/// holds the lock exclusively.
pub unsafe trait Parts {
    /// The lockgraph lock.
    type Lock: ?Sized;
    /// The data a guard gives access to.
    type Target: ?Sized;
    /// Whether the guard gives `&mut` access.
    const EXCLUSIVE: bool;
    /// A pointer to the lock's data.
    fn data(lock: &Self::Lock) -> *mut Self::Target;
}

/// The guard of a [`Parts`] kind that borrows its lock for `'a`, and how to
/// take it apart and make it again. (`Bound` is never given: as `&'a Self`,
/// it limits `for<'a> PartsAt<'a>` to the lifetimes `Self` outlives, which a
/// lifetime-generic associated type cannot express without requiring
/// `'static`.)
///
/// # Safety
///
/// `remake` makes a guard of the mode that `leak` leaves the lock held in.
pub unsafe trait PartsAt<'a, Bound = &'a Self>: Parts {
    /// The guard.
    type Guard;
    /// Takes `guard` apart: its raw guard is leaked (the lock stays held), the
    /// token is returned.
    fn leak(guard: Self::Guard) -> HeldToken<'a>;
    /// The guard again.
    ///
    /// # Safety
    /// `lock` is held by this thread through a raw guard of this mode that
    /// `leak` leaked and no one has made again since; `token` is the one
    /// `leak` returned.
    unsafe fn remake(lock: &'a Self::Lock, token: HeldToken<'a>) -> Self::Guard;
}

/// A [`Parts`] kind with its guards of every lifetime.
pub trait Kind: Parts + for<'a> PartsAt<'a> {}
impl<P: Parts + for<'a> PartsAt<'a>> Kind for P {}

/// The guard of kind `P` borrowing its lock for `'a`.
pub type GuardOf<'a, P> = <P as PartsAt<'a>>::Guard;

/// `Parts` for the guards of one lock type: the kind marker, its lock, its
/// guard, whether it is exclusive, and how to make its raw guard unchecked.
macro_rules! parts {
    ($($(#[$doc:meta])* $Kind:ident: $Lock:ident, $Guard:ident, $exclusive:literal,
        |$lock:ident| $make:expr;)*) => {$(
        $(#[$doc])*
        pub struct $Kind<T: ?Sized>(std::marker::PhantomData<fn() -> Box<T>>);

        // SAFETY: `remake` makes the raw guard of the mode `leak` leaked (each
        // `$make` is the unchecked constructor of `$Guard`'s raw guard).
        unsafe impl<'a, T: ?Sized> PartsAt<'a> for $Kind<T> {
            type Guard = $Guard<'a, T>;

            fn leak(guard: $Guard<'a, T>) -> HeldToken<'a> {
                let $Guard { token, inner, .. } = guard;
                std::mem::forget(inner);
                token
            }

            unsafe fn remake($lock: &'a $Lock<T>, token: HeldToken<'a>) -> $Guard<'a, T> {
                // SAFETY: by this function's contract, the lock is held in this
                // guard's mode by a raw guard that was leaked and not made again.
                let inner = unsafe { $make };
                $Guard { token, inner, lock: $lock }
            }
        }

        // SAFETY: `data` is the raw lock's own data pointer, and `$exclusive`
        // says whether `$Guard` holds the lock exclusively.
        unsafe impl<T: ?Sized> Parts for $Kind<T> {
            type Lock = $Lock<T>;
            type Target = T;
            const EXCLUSIVE: bool = $exclusive;

            fn data(lock: &$Lock<T>) -> *mut T {
                lock.inner.data_ptr()
            }
        }
    )*};
}

#[cfg(not(feature = "parking_lot_013"))]
parts!(
    /// [`MutexGuard`]'s parts.
    MutexParts: Mutex, MutexGuard, true, |lock| lock.inner.make_guard_unchecked();
    /// [`FairMutexGuard`]'s parts.
    FairMutexParts: FairMutex, FairMutexGuard, true, |lock| lock.inner.make_guard_unchecked();
);
// lock_api 0.5 keeps a per-acquisition state in the guard; parking_lot's is
// a stateless marker, made again with `Default`.
#[cfg(feature = "parking_lot_013")]
parts!(
    /// [`MutexGuard`]'s parts.
    MutexParts: Mutex, MutexGuard, true,
        |lock| lock.inner.make_guard_unchecked(Default::default());
    /// [`FairMutexGuard`]'s parts.
    FairMutexParts: FairMutex, FairMutexGuard, true,
        |lock| lock.inner.make_guard_unchecked(Default::default());
);
parts!(
    /// [`ReentrantMutexGuard`]'s parts.
    ReentrantParts: ReentrantMutex, ReentrantMutexGuard, false,
        |lock| lock.inner.make_guard_unchecked();
    /// [`RwLockReadGuard`]'s parts.
    ReadParts: RwLock, RwLockReadGuard, false, |lock| lock.inner.make_read_guard_unchecked();
    /// [`RwLockWriteGuard`]'s parts.
    WriteParts: RwLock, RwLockWriteGuard, true, |lock| lock.inner.make_write_guard_unchecked();
    /// [`RwLockUpgradableReadGuard`]'s parts.
    UpgradableParts: RwLock, RwLockUpgradableReadGuard, false,
        |lock| lock.inner.make_upgradable_guard_unchecked();
);

/// A lock held by this thread through its `Arc`: the guard's token, the raw
/// guard leaked (see the module docs for the invariant).
pub struct ArcHeld<P: Kind> {
    /// `None` only while an operation has the guard made again, and after an
    /// operation that consumed it (then `self` is gone too, or being dropped).
    token: Option<HeldToken<'static>>,
    lock: Arc<P::Lock>,
    /// `Sync` only if the data is: a shared arc guard hands out `&Target`
    /// (the `Arc` alone is `Sync` for a `Send` value). `HeldToken` already
    /// keeps it from being `Send`.
    _data: PhantomData<Box<P::Target>>,
}

/// Extends a token's lifetime; see [`ArcHeld`] for why that is sound where it
/// is called.
fn forever(token: HeldToken<'_>) -> HeldToken<'static> {
    // SAFETY: a `HeldToken` refers to its lock's header and nothing else. Each
    // caller stores the result in an `ArcHeld` next to the `Arc` that owns
    // that header, and `ArcHeld` hands the token out only with the lifetime of
    // a borrow of that `Arc`, and drops it before the `Arc` (or gives the
    // `Arc` away only after the token is gone).
    unsafe { std::mem::transmute::<HeldToken<'_>, HeldToken<'static>>(token) }
}

impl<P: Kind> ArcHeld<P> {
    /// Takes `lock` with `take` (a guard borrowing it, or `None`), keeping the
    /// `Arc`; gives the `Arc` back when `take` gives no guard.
    pub fn new(
        lock: Arc<P::Lock>,
        take: impl for<'a> FnOnce(&'a P::Lock) -> Option<GuardOf<'a, P>>,
    ) -> Result<Self, Arc<P::Lock>> {
        let Some(guard) = take(&lock) else {
            return Err(lock);
        };
        let token = Some(forever(P::leak(guard)));
        Ok(ArcHeld {
            token,
            lock,
            _data: PhantomData,
        })
    }

    /// The lock's `Arc`.
    pub fn lock(&self) -> &Arc<P::Lock> {
        &self.lock
    }

    /// The data, for as long as `self` is borrowed.
    pub fn get(&self) -> &P::Target {
        debug_assert!(self.token.is_some());
        // SAFETY: `self` exists outside an operation, so the lock is held in
        // `P`'s mode by this thread (the invariant): no one writes the data
        // while `self` is borrowed, except through `get_mut` on `self`.
        unsafe { &*P::data(&self.lock) }
    }

    /// The data, mutably; only for an exclusive guard.
    pub fn get_mut(&mut self) -> &mut P::Target {
        assert!(P::EXCLUSIVE, "a shared arc guard gives no &mut access");
        // SAFETY: as in `get`, and the lock is held exclusively (`EXCLUSIVE`),
        // so this `&mut self` is the only way to the data.
        unsafe { &mut *P::data(&self.lock) }
    }

    /// Runs `f` on the guard made again, and keeps it afterwards, also when `f`
    /// unwinds (the guard's own operations leave it holding the lock then).
    pub fn with_guard<R>(
        &mut self,
        f: impl for<'a> FnOnce(&'a P::Lock, &mut GuardOf<'a, P>) -> R,
    ) -> R {
        let token = self.token.take().expect("an arc guard holds its lock");
        // SAFETY: the invariant held until `take`, and the token is back in
        // `self.token` (below) before `self` can be used again.
        let guard = unsafe { P::remake(&self.lock, token) };
        let mut restore = Restore::<P> {
            guard: ManuallyDrop::new(guard),
            slot: &mut self.token,
        };
        f(&self.lock, &mut restore.guard)
    }

    /// Consumes `self`, handing its guard to `f` (which releases it, or turns it
    /// into another guard); gives back what `f` returns and the `Arc`.
    pub fn into_guard<R>(
        mut self,
        f: impl for<'a> FnOnce(&'a P::Lock, GuardOf<'a, P>) -> R,
    ) -> (R, Arc<P::Lock>) {
        let token = self.token.take().expect("an arc guard holds its lock");
        // SAFETY: the invariant held until `take`; `self.token` stays `None`,
        // so `self`'s drop makes nothing again.
        let result = f(&self.lock, unsafe { P::remake(&self.lock, token) });
        (result, Arc::clone(&self.lock))
    }

    /// Turns `self` into an arc guard of another mode, through `f` on the
    /// guards (an upgrade, a downgrade); `Err` gives `self` back when `f`
    /// gives the guard back.
    pub fn convert<Q: Kind + Parts<Lock = P::Lock>>(
        mut self,
        f: impl for<'a> FnOnce(&'a P::Lock, GuardOf<'a, P>) -> Result<GuardOf<'a, Q>, GuardOf<'a, P>>,
    ) -> Result<ArcHeld<Q>, Self> {
        let token = self.token.take().expect("an arc guard holds its lock");
        // Borrowed from a second `Arc` of the lock (the same allocation), so
        // that `self` can move.
        let lock = Arc::clone(&self.lock);
        // SAFETY: the invariant held until `take`; whichever guard `f` returns
        // is taken apart again at once, into an `ArcHeld` of its mode.
        let guard = unsafe { P::remake(&lock, token) };
        let converted = f(&lock, guard);
        match converted {
            Ok(guard) => {
                let token = Some(forever(Q::leak(guard)));
                Ok(ArcHeld {
                    token,
                    lock: Arc::clone(&lock),
                    _data: PhantomData,
                })
            }
            Err(guard) => {
                self.token = Some(forever(P::leak(guard)));
                Err(self)
            }
        }
    }
}

/// The `RwLock` inside an `Arc` of a [`RecursiveRwLock`], as an `Arc` of its own
/// (the same allocation and count): the arc guards of a `RecursiveRwLock` hold
/// its `RwLock`, whose guards they are.
pub fn recursive_as_rwlock<T: ?Sized>(lock: Arc<RecursiveRwLock<T>>) -> Arc<RwLock<T>> {
    let inner = Arc::into_raw(lock) as *const RwLock<T>;
    // SAFETY: `RecursiveRwLock<T>` is a `repr(transparent)` wrapper of
    // `RwLock<T>`: the same size, alignment and pointer metadata, so the
    // pointer `into_raw` gave is one `Arc::<RwLock<T>>::from_raw` accepts, and
    // the `Arc`'s one count moves over with it.
    unsafe { Arc::from_raw(inner) }
}

impl<P: Kind> Drop for ArcHeld<P> {
    fn drop(&mut self) {
        if let Some(token) = self.token.take() {
            // SAFETY: the invariant; the guard is dropped here, releasing the
            // lock as the guard would (its token first, then the raw lock).
            drop(unsafe { P::remake(&self.lock, token) });
        }
    }
}

/// A guard made again for one operation, taken apart again when it ends.
struct Restore<'a, P: Kind + 'a> {
    guard: ManuallyDrop<GuardOf<'a, P>>,
    slot: &'a mut Option<HeldToken<'static>>,
}

impl<P: Kind> Drop for Restore<'_, P> {
    fn drop(&mut self) {
        // SAFETY: `guard` is not used after this.
        let guard = unsafe { ManuallyDrop::take(&mut self.guard) };
        *self.slot = Some(forever(P::leak(guard)));
    }
}

// One lock, never nested, so no edge is made (and no backtrace taken): small
// enough to run under Miri (`cargo +nightly miri test --features arc_lock --lib arc`),
// which checks the lifetime extension and the guards made again.
#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::{ArcMutexGuard, ArcRwLockUpgradableReadGuard, ArcRwLockWriteGuard, Mutex, RwLock};

    #[test]
    fn an_arc_mutex_guard_outlives_the_callers_arc_and_unlocks() {
        let lock = Arc::new(Mutex::new(vec![1]));
        let mut guard = lock.lock_arc();
        drop(lock);
        guard.push(2);
        let seen = ArcMutexGuard::unlocked(&mut guard, || 3);
        guard.push(seen);
        let lock = ArcMutexGuard::into_arc(guard);
        assert!(!lock.is_locked());
        assert_eq!(*lock.lock(), [1, 2, 3]);
        let _again = lock.try_lock_arc().expect("free");
    }

    #[test]
    fn rwlock_arc_guards_convert_without_losing_the_lock() {
        let lock = Arc::new(RwLock::new(String::from("a")));
        let up = lock.upgradable_read_arc();
        let mut writer = ArcRwLockUpgradableReadGuard::upgrade(up);
        writer.push('b');
        let up = ArcRwLockWriteGuard::downgrade_to_upgradable(writer);
        let up = match ArcRwLockUpgradableReadGuard::try_upgrade(up) {
            Ok(writer) => ArcRwLockWriteGuard::downgrade_to_upgradable(writer),
            Err(_) => unreachable!("no other reader"),
        };
        let reader = ArcRwLockUpgradableReadGuard::downgrade(up);
        assert_eq!(&*reader, "ab");
        drop(reader);
        assert!(!lock.is_locked());
    }

    #[test]
    fn a_recursive_rwlock_arc_guard_shares_the_allocation_and_count() {
        let lock = Arc::new(crate::RecursiveRwLock::new([1u8, 2]));
        let (outer, inner) = (lock.read_arc(), lock.read_arc());
        assert_eq!(Arc::strong_count(&lock), 3);
        assert_eq!(outer[0] + inner[1], 3);
        drop((outer, inner));
        assert_eq!(Arc::strong_count(&lock), 1);
        let as_slice: Arc<crate::RecursiveRwLock<[u8]>> = lock;
        let mut writer = as_slice.write_arc(); // through an unsized `T`
        writer[0] = 7;
        drop(writer);
        assert_eq!(as_slice.read()[0], 7);
    }
}
