//! The inline size of every lock type: a 16-byte header (a 64-bit id word
//! whose low byte also describes the lock's origin, and one pointer) beside
//! the raw lock and the data. Bounds for 64-bit targets; a type that grows
//! past its bound fails here.

#![cfg(target_pointer_width = "64")]

use std::mem::size_of;

use lockgraph::stdsync;

macro_rules! sizes {
    ($($Type:ty => $bound:expr),* $(,)?) => {
        [$((stringify!($Type), size_of::<$Type>(), $bound)),*]
    };
}

#[test]
fn every_lock_type_is_as_small_as_its_header_allows() {
    let sizes = sizes![
        lockgraph::Mutex<()> => 24,
        lockgraph::Mutex<u32> => 24,
        lockgraph::Mutex<u64> => 32,
        lockgraph::FairMutex<()> => 24,
        lockgraph::FairMutex<u64> => 32,
        lockgraph::RwLock<()> => 24,
        lockgraph::RwLock<u64> => 32,
        lockgraph::ReentrantMutex<()> => 40,
        lockgraph::ReentrantMutex<u64> => 48,
        lockgraph::OnceCell<u64> => 40,
        lockgraph::Lazy<u64> => 48,
        stdsync::Mutex<()> => 24,
        // std's poison flag sits beside parking_lot's mutex, not in its
        // padding: 8 bytes more than the crate root's for 8-byte data.
        stdsync::Mutex<u64> => 40,
        stdsync::RwLock<()> => 32,
        stdsync::RwLock<u64> => 40,
        stdsync::OnceLock<u64> => 32,
        stdsync::LazyLock<u64> => 32,
        stdsync::Once => 24,
    ];
    let too_big: Vec<_> = sizes
        .iter()
        .filter(|(_, size, bound)| size > bound)
        .collect();
    assert!(too_big.is_empty(), "(type, size, bound): {too_big:?}");
}

/// A guard comes back from `lock()` in registers when it, and std's
/// `LockResult` of it, are at most two words: through memory, a caller's
/// wrapper around `lock().unwrap()` reads back what the lock just wrote. (A
/// `stdsync` read guard is two words, its `LockResult` three: see
/// docs/design.md.)
#[test]
fn std_guards_and_their_results_fit_in_two_words() {
    let sizes = sizes![
        stdsync::MutexGuard<'static, u64> => 8,
        std::sync::LockResult<stdsync::MutexGuard<'static, u64>> => 16,
        stdsync::RwLockReadGuard<'static, u64> => 16,
        stdsync::RwLockWriteGuard<'static, u64> => 8,
        std::sync::LockResult<stdsync::RwLockWriteGuard<'static, u64>> => 16,
        lockgraph::MutexGuard<'static, u64> => 24,
    ];
    let too_big: Vec<_> = sizes
        .iter()
        .filter(|(_, size, bound)| size > bound)
        .collect();
    assert!(too_big.is_empty(), "(type, size, bound): {too_big:?}");
}
