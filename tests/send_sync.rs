//! Compile-time pins of Send/Sync: locks are Send + Sync (for T: Send), guards
//! are never Send (the held set is per thread), also with parking_lot's
//! `send_guard` feature on (the dev-dependency turns it on).

use lockgraph::*;

/// Fails to compile if `T: $Trait`, through an ambiguous trait method.
macro_rules! assert_not_impl {
    ($t:ty, $Trait:ident) => {
        const _: fn() = || {
            trait AmbiguousIfImpl<A> {
                fn check() {}
            }
            impl<T: ?Sized> AmbiguousIfImpl<()> for T {}
            impl<T: ?Sized + $Trait> AmbiguousIfImpl<u8> for T {}
            let _ = <$t as AmbiguousIfImpl<_>>::check;
        };
    };
}

/// Fails to compile if `T: Send`.
macro_rules! assert_not_send {
    ($t:ty) => {
        assert_not_impl!($t, Send);
    };
}

// A shared arc guard hands out `&T` to every thread that shares `&guard`: it
// is `Sync` only for `Sync` data (the `Arc` alone would be `Sync` for `Send`
// data).
#[cfg(feature = "arc_lock")]
assert_not_impl!(ArcMutexGuard<RawMutex, std::cell::Cell<u8>>, Sync);
#[cfg(feature = "arc_lock")]
assert_not_impl!(ArcRwLockReadGuard<RawRwLock, std::cell::Cell<u8>>, Sync);
#[cfg(feature = "arc_lock")]
assert_not_impl!(ArcReentrantMutexGuard<RawMutex, RawThreadId, std::cell::Cell<u8>>, Sync);
#[cfg(feature = "arc_lock")]
assert_not_send!(ArcReentrantMutexGuard<RawMutex, RawThreadId, u8>);

fn is_send_sync<T: Send + Sync>() {}
fn is_sync<T: Sync>() {}

assert_not_send!(MutexGuard<'static, u8>);
assert_not_send!(MappedMutexGuard<'static, u8>);
assert_not_send!(FairMutexGuard<'static, u8>);
assert_not_send!(MappedFairMutexGuard<'static, u8>);
assert_not_send!(ReentrantMutexGuard<'static, u8>);
assert_not_send!(MappedReentrantMutexGuard<'static, u8>);
assert_not_send!(RwLockReadGuard<'static, u8>);
assert_not_send!(RwLockWriteGuard<'static, u8>);
assert_not_send!(RwLockUpgradableReadGuard<'static, u8>);
assert_not_send!(MappedRwLockReadGuard<'static, u8>);
assert_not_send!(MappedRwLockWriteGuard<'static, u8>);
#[cfg(feature = "arc_lock")]
assert_not_send!(ArcMutexGuard<RawMutex, u8>);
#[cfg(feature = "arc_lock")]
assert_not_send!(ArcRwLockReadGuard<RawRwLock, u8>);
#[cfg(feature = "arc_lock")]
assert_not_send!(ArcRwLockWriteGuard<RawRwLock, u8>);
#[cfg(feature = "arc_lock")]
assert_not_send!(ArcRwLockUpgradableReadGuard<RawRwLock, u8>);
assert_not_send!(stdsync::MutexGuard<'static, u8>);
// std's guard is `Sync` only for `Sync` data: shared, it hands out `&T`.
assert_not_impl!(stdsync::MutexGuard<'static, std::cell::Cell<u8>>, Sync);
assert_not_impl!(stdsync::RwLockReadGuard<'static, std::cell::Cell<u8>>, Sync);
assert_not_impl!(
    stdsync::RwLockWriteGuard<'static, std::cell::Cell<u8>>,
    Sync
);
assert_not_send!(stdsync::RwLockReadGuard<'static, u8>);
assert_not_send!(stdsync::RwLockWriteGuard<'static, u8>);
// parking_lot's raw locks give `Send` guards here (`send_guard`); lock_api's
// wrappers over them are not `Send`.
assert_not_send!(lock_api::MutexGuard<'static, parking_lot::RawMutex, u8>);
assert_not_send!(lock_api::MappedMutexGuard<'static, parking_lot::RawMutex, u8>);
assert_not_send!(
    lock_api::ReentrantMutexGuard<'static, parking_lot::RawMutex, parking_lot::RawThreadId, u8>
);
assert_not_send!(lock_api::RwLockReadGuard<'static, parking_lot::RawRwLock, u8>);
assert_not_send!(lock_api::RwLockWriteGuard<'static, parking_lot::RawRwLock, u8>);
assert_not_send!(lock_api::RwLockUpgradableReadGuard<'static, parking_lot::RawRwLock, u8>);
assert_not_send!(lock_api::MappedRwLockReadGuard<'static, parking_lot::RawRwLock, u8>);

#[test]
fn locks_are_send_and_sync_and_guards_sync() {
    is_send_sync::<Mutex<u8>>();
    is_send_sync::<FairMutex<u8>>();
    is_send_sync::<ReentrantMutex<u8>>();
    is_send_sync::<RwLock<u8>>();
    is_send_sync::<Condvar>();
    is_send_sync::<Violation>();
    is_sync::<MutexGuard<'static, u8>>();
    is_sync::<RwLockReadGuard<'static, u8>>();
    is_send_sync::<stdsync::Mutex<std::cell::Cell<u8>>>();
    is_send_sync::<stdsync::Condvar>();
    is_sync::<stdsync::MutexGuard<'static, u8>>();
    is_sync::<stdsync::RwLockReadGuard<'static, u8>>();
    is_sync::<stdsync::RwLockWriteGuard<'static, u8>>();
    #[cfg(feature = "arc_lock")]
    {
        is_sync::<ArcMutexGuard<RawMutex, u8>>();
        is_sync::<ArcRwLockWriteGuard<RawRwLock, u8>>();
    }
}
