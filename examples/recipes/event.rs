//! An event: a flag that threads wait on until another thread sets it
//! (a lockgraph `Mutex<bool>` and a `Condvar`).

#![allow(dead_code)] // shared by several examples; each uses a part

use std::time::{Duration, Instant};

use lockgraph::{Condvar, Mutex};

/// A one-way flag: starts clear, is set once, and wakes everyone waiting.
#[derive(Debug)]
pub struct Event {
    flag: Mutex<bool>,
    changed: Condvar,
}

impl Event {
    /// A clear event; reports name its lock `name`.
    pub const fn named(name: &'static str) -> Self {
        Event {
            flag: Mutex::named(name, false),
            changed: Condvar::new(),
        }
    }

    /// Sets the flag and wakes every waiting thread.
    pub fn set(&self) {
        *self.flag.lock() = true;
        self.changed.notify_all();
    }

    /// Whether the flag is set.
    pub fn is_set(&self) -> bool {
        *self.flag.lock()
    }

    /// Blocks until the flag is set.
    pub fn wait(&self) {
        let mut flag = self.flag.lock();
        self.changed.wait_while(&mut flag, |set| !*set);
    }

    /// Blocks until the flag is set or `timeout` passes; returns whether it is set.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut flag = self.flag.lock();
        self.changed
            .wait_while_until(&mut flag, |set| !*set, deadline);
        *flag
    }
}
