//! The `serde` feature: the crate root's locks are written as their values
//! and read back into new, unlocked locks, as parking_lot's are.
#![cfg(all(feature = "serde", feature = "record"))] // serde_json comes with `record`

mod common;

use common::{CYCLE, reports};
use lockgraph::{FairMutex, Mutex, RecursiveRwLock, ReentrantMutex, RwLock};

#[derive(serde::Serialize, serde::Deserialize)]
struct Account {
    balance: Mutex<i64>,
    history: RwLock<Vec<i64>>,
    audit: FairMutex<u8>,
    log: ReentrantMutex<String>,
    cache: RecursiveRwLock<Option<u8>>,
}

#[test]
fn locks_round_trip_as_their_values() {
    let account = Account {
        balance: Mutex::new(70),
        history: RwLock::new(vec![100, -30]),
        audit: FairMutex::new(1),
        log: ReentrantMutex::new("opened".into()),
        cache: RecursiveRwLock::new(Some(7)),
    };
    let text = serde_json::to_string(&account).unwrap();
    assert_eq!(
        text,
        r#"{"balance":70,"history":[100,-30],"audit":1,"log":"opened","cache":7}"#
    );
    let back: Account = serde_json::from_str(&text).unwrap();
    assert!(!back.balance.is_locked() && !back.history.is_locked());
    assert_eq!(*back.balance.lock(), 70);
    assert_eq!(*back.history.read(), [100, -30]);
    assert_eq!(
        (*back.audit.lock(), back.log.lock().as_str()),
        (1, "opened")
    );
    assert_eq!(*back.cache.read(), Some(7));
    assert_ne!(back.balance.id(), account.balance.id(), "a new lock");
}

#[test]
fn serializing_takes_the_lock_and_is_checked() {
    let outer = Mutex::named("outer", ());
    let value = Mutex::named("value", 5);
    {
        let _o = outer.lock();
        assert_eq!(serde_json::to_string(&value).unwrap(), "5"); // outer -> value
    }
    let _v = value.lock();
    assert!(reports(CYCLE, || drop(outer.lock())));
}
