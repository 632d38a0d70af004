//! The lock types: thin layers over parking_lot's locks that call the tracker
//! before blocking and keep a [`HeldToken`](crate::tracker::HeldToken) in every guard.

pub(crate) mod cell_api;
pub(crate) mod condvar;
pub(crate) mod init;
pub(crate) mod lazy;
pub(crate) mod mutex;
pub(crate) mod once_cell;
pub(crate) mod reentrant;
pub(crate) mod rwlock;

/// `Deref` (and optionally `DerefMut`), `Debug` and `Display` for a guard that
/// keeps its raw guard in `inner`.
macro_rules! guard_impls {
    ($Guard:ident, mut) => {
        guard_impls!($Guard);
        impl<T: ?Sized> std::ops::DerefMut for $Guard<'_, T> {
            fn deref_mut(&mut self) -> &mut T {
                &mut self.inner
            }
        }
    };
    ($Guard:ident) => {
        impl<T: ?Sized> std::ops::Deref for $Guard<'_, T> {
            type Target = T;
            fn deref(&self) -> &T {
                &self.inner
            }
        }
        impl<T: ?Sized + std::fmt::Debug> std::fmt::Debug for $Guard<'_, T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(&**self, f)
            }
        }
        impl<T: ?Sized + std::fmt::Display> std::fmt::Display for $Guard<'_, T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(&**self, f)
            }
        }
    };
}
pub(crate) use guard_impls;

/// `Default`, `From<T>` and a `Debug` that never blocks, for a lock type with
/// `new`, a `header` and a raw `inner` lock.
macro_rules! lock_impls {
    ($Lock:ident) => {
        impl<T: Default> Default for $Lock<T> {
            #[track_caller]
            fn default() -> Self {
                $Lock::new(T::default())
            }
        }
        impl<T> From<T> for $Lock<T> {
            #[track_caller]
            fn from(value: T) -> Self {
                $Lock::new(value)
            }
        }
        impl<T: ?Sized + std::fmt::Debug> std::fmt::Debug for $Lock<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($Lock))
                    .field("lock", &self.header)
                    .field("inner", &&self.inner)
                    .finish()
            }
        }
    };
}
pub(crate) use lock_impls;

/// `unlocked`, `unlock_fair`, `unlocked_fair` and `bump` for a guard with fields
/// `inner` (the raw guard of type `$Raw`) and `token`.
macro_rules! relock_fns {
    ($Guard:ident, $Raw:ty) => {
        /// Unlocks the lock, runs `f`, and takes it again.
        ///
        /// # Lock order
        /// The lock leaves this thread's held set while `f` runs; taking it again
        /// is a blocking acquisition, checked before `f` runs.
        #[track_caller]
        pub fn unlocked<F, U>(s: &mut Self, f: F) -> U
        where
            F: FnOnce() -> U,
        {
            let suspended = $crate::tracker::suspend(&s.token, None);
            let relock = $crate::watchdog::Relock::new(&s.inner, &s.token, &suspended);
            let result = <$Raw>::unlocked(&mut s.inner, || relock.after(f));
            suspended.resume();
            result
        }

        /// Unlocks with a fair unlock: a waiting thread gets the lock first.
        pub fn unlock_fair(s: Self) {
            let $Guard { inner, token, .. } = s;
            <$Raw>::unlock_fair(inner);
            drop(token);
        }

        /// Like [`unlocked`](Self::unlocked), with a fair unlock.
        ///
        /// # Lock order
        /// As [`unlocked`](Self::unlocked).
        #[track_caller]
        pub fn unlocked_fair<F, U>(s: &mut Self, f: F) -> U
        where
            F: FnOnce() -> U,
        {
            let suspended = $crate::tracker::suspend(&s.token, None);
            let relock = $crate::watchdog::Relock::new(&s.inner, &s.token, &suspended);
            let result = <$Raw>::unlocked_fair(&mut s.inner, || relock.after(f));
            suspended.resume();
            result
        }

        /// Lets a waiting thread take the lock, then takes it back (a fair
        /// unlock and a re-lock, also when no thread waits).
        ///
        /// # Lock order
        /// Taking it back is a blocking acquisition, checked first.
        #[track_caller]
        pub fn bump(s: &mut Self) {
            Self::unlocked_fair(s, || ());
        }
    };
}
pub(crate) use relock_fns;

/// `new`, `named` and `into_inner` for a lock type with fields `header` and
/// `inner` (a raw lock of type `$Raw` with a `const fn new` and `into_inner`).
macro_rules! constructors {
    ($Lock:ident, $Raw:ty) => {
        impl<T> $Lock<T> {
            /// Creates an unlocked lock; reports name it by this call's `file:line:column`.
            #[track_caller]
            pub const fn new(value: T) -> Self {
                let site = std::panic::Location::caller();
                $Lock {
                    header: $crate::tracker::LockHeader::new($crate::meta::LockMeta::created(site)),
                    inner: <$Raw>::new(value),
                }
            }

            /// Creates an unlocked lock that reports call `name`.
            pub const fn named(name: &'static str, value: T) -> Self {
                $Lock {
                    header: $crate::tracker::LockHeader::new($crate::meta::LockMeta::named(name)),
                    inner: <$Raw>::new(value),
                }
            }

            /// Consumes the lock and returns the value; its graph node and edges go with it.
            pub fn into_inner(self) -> T {
                let $Lock { header, inner } = self;
                drop(header);
                inner.into_inner()
            }
        }
    };
}
pub(crate) use constructors;
