//! `lockgraph::debug` is lockgraph with `debug_assertions` and the plain
//! parking_lot / once_cell / std types without. Run in both profiles:
//! `cargo test --test debug_flavour` and `cargo test --release --test debug_flavour`.

use lockgraph::debug;

/// Compiles only if the two types are the same.
macro_rules! assert_same_type {
    ($($a:ty => $b:ty),* $(,)?) => {
        $( let _: fn($a) -> $b = |same| same; )*
    };
}

#[cfg(debug_assertions)]
#[test]
fn with_debug_assertions_the_names_are_lockgraphs() {
    assert_same_type!(
        debug::Mutex<u8> => lockgraph::Mutex<u8>,
        debug::RwLock<u8> => lockgraph::RwLock<u8>,
        debug::Condvar => lockgraph::Condvar,
        debug::OnceCell<u8> => lockgraph::OnceCell<u8>,
        debug::Lazy<u8> => lockgraph::Lazy<u8>,
        debug::stdsync::Mutex<u8> => lockgraph::stdsync::Mutex<u8>,
        debug::stdsync::OnceLock<u8> => lockgraph::stdsync::OnceLock<u8>,
        debug::stdsync::LazyLock<u8> => lockgraph::stdsync::LazyLock<u8>,
        debug::stdsync::Arc<u8> => std::sync::Arc<u8>,
    );
}

#[cfg(debug_assertions)]
#[test]
#[should_panic(expected = "lockgraph: potential deadlock")]
fn with_debug_assertions_an_inversion_is_reported() {
    let (a, b) = (debug::Mutex::new(()), debug::Mutex::new(()));
    drop((a.lock(), b.lock()));
    let _b = b.lock();
    let _a = a.lock();
}

#[cfg(all(debug_assertions, feature = "parking_lot_013"))]
#[test]
fn with_debug_assertions_the_0_13_names_are_lockgraphs() {
    assert_same_type!(
        debug::RecursiveRwLock<u8> => lockgraph::RecursiveRwLock<u8>,
        debug::Once => lockgraph::Once,
    );
}

#[cfg(all(not(debug_assertions), feature = "parking_lot_013"))]
#[test]
fn without_debug_assertions_the_names_are_parking_lot_0_13s() {
    assert_same_type!(
        debug::Mutex<u8> => parking_lot_013::Mutex<u8>,
        debug::RwLock<u8> => parking_lot_013::RwLock<u8>,
        debug::RecursiveRwLock<u8> => parking_lot_013::RecursiveRwLock<u8>,
        debug::Once => parking_lot_013::Once,
        debug::Condvar => parking_lot_013::Condvar,
    );
}

#[cfg(all(not(debug_assertions), not(feature = "parking_lot_013")))]
#[test]
fn without_debug_assertions_the_names_are_the_plain_types() {
    assert_same_type!(
        debug::Mutex<u8> => parking_lot::Mutex<u8>,
        debug::RwLock<u8> => parking_lot::RwLock<u8>,
        debug::Condvar => parking_lot::Condvar,
        debug::Once => parking_lot::Once,
        debug::OnceCell<u8> => once_cell::sync::OnceCell<u8>,
        debug::Lazy<u8> => once_cell::sync::Lazy<u8>,
        debug::stdsync::Mutex<u8> => std::sync::Mutex<u8>,
        debug::stdsync::OnceLock<u8> => std::sync::OnceLock<u8>,
        debug::stdsync::LazyLock<u8> => std::sync::LazyLock<u8>,
        debug::stdsync::Arc<u8> => std::sync::Arc<u8>,
    );
}

/// Code written against `debug` compiles in both profiles.
#[test]
fn portable_code_uses_only_the_shared_api() {
    static HITS: debug::Mutex<u32> = debug::Mutex::new(0);
    static TABLE: debug::stdsync::RwLock<Vec<u32>> = debug::stdsync::RwLock::new(Vec::new());
    static READY: debug::stdsync::OnceLock<u32> = debug::stdsync::OnceLock::new();
    *HITS.lock() += 1;
    TABLE.write().unwrap().push(*READY.get_or_init(|| 5));
    let shared = debug::stdsync::Arc::new(debug::Lazy::<u32>::new(|| 2));
    assert_eq!(**shared + TABLE.read().unwrap()[0] + *HITS.lock(), 8);
}

/// `Once` and `OnceState` are in both flavours, with the API both parking_lot
/// versions share.
#[test]
fn portable_code_can_use_once() {
    static INIT: debug::Once = debug::Once::new();
    assert_eq!(INIT.state(), debug::OnceState::New);
    INIT.call_once(|| {});
    INIT.call_once_force(|_| unreachable!("done"));
    assert!(INIT.state().done());
}
