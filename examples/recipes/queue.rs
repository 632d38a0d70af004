//! A blocking FIFO queue shared between threads: a lockgraph `Mutex` around a
//! `VecDeque`, with one `Condvar` for "not empty" and one for "not full".

#![allow(dead_code)] // shared by several examples; each uses a part

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use lockgraph::{Condvar, Mutex};

/// A FIFO queue whose `put` blocks while it is full and whose `get` blocks
/// while it is empty. Items are moved in and moved out: the queue owns them
/// in between, so no two threads ever touch one item at the same time.
#[derive(Debug)]
pub struct Queue<T> {
    items: Mutex<VecDeque<T>>,
    not_empty: Condvar,
    not_full: Condvar,
    capacity: usize,
}

impl<T> Queue<T> {
    /// A queue holding at most `capacity` items; reports name its lock `name`.
    ///
    /// # Panics
    /// If `capacity` is zero (nothing could ever be put).
    pub fn bounded(name: &'static str, capacity: usize) -> Self {
        assert!(capacity > 0, "a queue needs room for one item");
        Queue {
            items: Mutex::named(name, VecDeque::new()),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            capacity,
        }
    }

    /// A queue without a size limit (`put` never blocks).
    pub fn unbounded(name: &'static str) -> Self {
        Self::bounded(name, usize::MAX)
    }

    /// Appends `item`, waiting while the queue is full.
    pub fn put(&self, item: T) {
        let mut items = self.items.lock();
        self.not_full
            .wait_while(&mut items, |items| items.len() >= self.capacity);
        items.push_back(item);
        drop(items);
        self.not_empty.notify_one();
    }

    /// Removes the oldest item, waiting while the queue is empty.
    pub fn get(&self) -> T {
        let mut items = self.items.lock();
        self.not_empty
            .wait_while(&mut items, |items| items.is_empty());
        self.take_front(items)
    }

    /// Like [`get`](Self::get), giving up after `timeout` (`None`).
    pub fn get_timeout(&self, timeout: Duration) -> Option<T> {
        let deadline = Instant::now() + timeout;
        let mut items = self.items.lock();
        self.not_empty
            .wait_while_until(&mut items, |items| items.is_empty(), deadline);
        if items.is_empty() {
            return None;
        }
        Some(self.take_front(items))
    }

    /// How many items are waiting.
    pub fn len(&self) -> usize {
        self.items.lock().len()
    }

    /// Pops the front of a non-empty queue and wakes one waiting producer.
    fn take_front(&self, mut items: lockgraph::MutexGuard<'_, VecDeque<T>>) -> T {
        let item = items.pop_front().expect("waited until not empty");
        drop(items);
        self.not_full.notify_one();
        item
    }
}
