//! The auto traits of `lockgraph::stdsync` match std's, so generic code and
//! `catch_unwind` callers written for std compile unchanged.

use std::panic::{RefUnwindSafe, UnwindSafe};

use lockgraph::stdsync::{
    Condvar, LazyLock, Mutex, MutexGuard, Once, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard,
};

fn send_sync<T: Send + Sync>() {}
fn sync<T: Sync>() {}
fn unwind_safe<T: UnwindSafe + RefUnwindSafe>() {}

/// Compiles only if `T` is not `Send` (two candidate impls would otherwise
/// make the call ambiguous).
trait AmbiguousIfSend<A> {
    fn not_send() {}
}
impl<T: ?Sized> AmbiguousIfSend<()> for T {}
impl<T: ?Sized + Send> AmbiguousIfSend<u8> for T {}

#[test]
fn locks_and_cells_are_send_sync_and_unwind_safe_like_std() {
    send_sync::<Mutex<Vec<u8>>>();
    send_sync::<RwLock<Vec<u8>>>();
    send_sync::<Condvar>();
    send_sync::<Once>();
    send_sync::<OnceLock<String>>();
    send_sync::<LazyLock<String>>();
    unwind_safe::<Mutex<Vec<u8>>>();
    unwind_safe::<RwLock<Vec<u8>>>();
    unwind_safe::<Condvar>();
    unwind_safe::<Once>();
    unwind_safe::<OnceLock<String>>();
    unwind_safe::<LazyLock<String>>();
}

#[test]
fn guards_are_sync_but_not_send_like_std() {
    sync::<MutexGuard<'static, u8>>();
    sync::<RwLockReadGuard<'static, u8>>();
    sync::<RwLockWriteGuard<'static, u8>>();
    <MutexGuard<'static, u8> as AmbiguousIfSend<_>>::not_send();
    <RwLockReadGuard<'static, u8> as AmbiguousIfSend<_>>::not_send();
    <RwLockWriteGuard<'static, u8> as AmbiguousIfSend<_>>::not_send();
}

/// std's `MutexGuard` is `UnwindSafe` and `RefUnwindSafe` whatever its data
/// (its mutex is, and it holds only a reference to it), so a closure that
/// uses a guard compiles in `catch_unwind`.
#[test]
fn guards_are_unwind_safe_like_std() {
    unwind_safe::<std::sync::MutexGuard<'static, std::cell::Cell<u8>>>();
    unwind_safe::<MutexGuard<'static, std::cell::Cell<u8>>>();
    unwind_safe::<MutexGuard<'static, [u8]>>();
    // std's RwLock write guard is both only for data that is
    // `RefUnwindSafe`. (lockgraph's read guard is neither: it keeps
    // parking_lot's guard.)
    unwind_safe::<std::sync::RwLockWriteGuard<'static, u8>>();
    unwind_safe::<RwLockWriteGuard<'static, u8>>();
}

/// `LazyLock::get` has no bound on `F`, as in std, so generic code compiles.
#[test]
fn lazy_lock_get_needs_no_bound_on_the_initialiser() {
    fn is_ready<T, F>(lazy: &LazyLock<T, F>) -> bool {
        LazyLock::get(lazy).is_some()
    }
    let lazy = LazyLock::new(|| 1);
    assert!(!is_ready(&lazy));
    assert_eq!(*lazy, 1);
    assert!(is_ready(&lazy));
}
