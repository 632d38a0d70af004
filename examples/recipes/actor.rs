//! An actor: a thread that owns its state and is reached only through a
//! mailbox (a [`Queue`]). `send` posts a message, `close` posts the sentinel
//! that ends the actor once every earlier message is handled, `join` waits
//! for it.
//!
//! Needs `#[path = "recipes/queue.rs"] mod queue;` next to it.

#![allow(dead_code)] // shared by several examples; each uses a part

use std::sync::Arc;
use std::thread::{self, JoinHandle};

use crate::queue::Queue;

/// What travels through a mailbox: a message, or the sentinel that closes it.
enum Letter<M> {
    Message(M),
    Close,
}

/// A handle to post messages to an actor; cheap to clone and to share.
pub struct Mailbox<M> {
    letters: Arc<Queue<Letter<M>>>,
}

impl<M> Clone for Mailbox<M> {
    fn clone(&self) -> Self {
        Mailbox {
            letters: Arc::clone(&self.letters),
        }
    }
}

impl<M> Mailbox<M> {
    /// Posts `message`; the actor handles messages in the order they arrive.
    pub fn send(&self, message: M) {
        self.letters.put(Letter::Message(message));
    }

    /// Posts the sentinel: the actor stops after the messages before it.
    pub fn close(&self) {
        self.letters.put(Letter::Close);
    }

    /// Whether `self` and `other` reach the same actor.
    pub fn same_actor(&self, other: &Mailbox<M>) -> bool {
        Arc::ptr_eq(&self.letters, &other.letters)
    }
}

/// A running actor: its mailbox and its thread.
pub struct Actor<M> {
    mailbox: Mailbox<M>,
    thread: JoinHandle<()>,
}

impl<M: Send + 'static> Actor<M> {
    /// Starts a thread called `name` that calls `handle` for each message
    /// until the mailbox is closed.
    pub fn spawn(name: &str, mut handle: impl FnMut(M) + Send + 'static) -> Actor<M> {
        let mailbox = Mailbox {
            letters: Arc::new(Queue::unbounded("actor mailbox")),
        };
        let letters = Arc::clone(&mailbox.letters);
        let run = move || {
            while let Letter::Message(message) = letters.get() {
                handle(message);
            }
        };
        let thread = thread::Builder::new()
            .name(name.to_owned())
            .spawn(run)
            .expect("spawn an actor");
        Actor { mailbox, thread }
    }

    /// Posts `message` to this actor.
    pub fn send(&self, message: M) {
        self.mailbox.send(message);
    }

    /// A handle other threads (and actors) can send through.
    pub fn mailbox(&self) -> Mailbox<M> {
        self.mailbox.clone()
    }

    /// Closes the mailbox: the actor ends after the messages already sent.
    pub fn close(&self) {
        self.mailbox.close();
    }

    /// Waits for the actor's thread to end (after [`close`](Self::close)).
    ///
    /// # Panics
    /// If the actor's handler panicked.
    pub fn join(self) {
        let name = self.thread.thread().name().unwrap_or("actor").to_owned();
        if self.thread.join().is_err() {
            panic!("actor {name} panicked");
        }
    }

    /// Closes the mailbox and waits for the actor to end.
    pub fn stop(self) {
        self.close();
        self.join();
    }
}
