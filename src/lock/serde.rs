//! `Serialize` and `Deserialize` for the crate root's locks (feature `serde`),
//! as parking_lot's `serde` feature has them: a lock is written as its value,
//! taken for reading (`lock` or `read`) while it is written, and read back
//! into a new, unlocked lock.
//!
//! A lock made by `Deserialize` has no caller to name: its class is the one
//! place in this file where it is made, shared by every deserialized lock of
//! its type.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::mutex::{FairMutex, Mutex};
use super::recursive_rwlock::RecursiveRwLock;
use super::reentrant::ReentrantMutex;
use super::rwlock::RwLock;

macro_rules! serde_impls {
    ($($Lock:ident => $take:ident),*) => {$(
        /// The value, written while the lock is held.
        ///
        /// # Lock order
        #[doc = concat!("As [`", stringify!($Lock), "::", stringify!($take), "`]: a blocking acquisition, checked.")]
        impl<T: ?Sized + Serialize> Serialize for $Lock<T> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.$take().serialize(serializer)
            }
        }

        /// A new, unlocked lock holding the value read.
        impl<'de, T: Deserialize<'de>> Deserialize<'de> for $Lock<T> {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                T::deserialize(deserializer).map($Lock::new)
            }
        }
    )*};
}

serde_impls!(
    Mutex => lock,
    FairMutex => lock,
    ReentrantMutex => lock,
    RwLock => read,
    RecursiveRwLock => read
);
