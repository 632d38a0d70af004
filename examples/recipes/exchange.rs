//! A publish/subscribe exchange: tasks (actors) attach to it, and every
//! message sent to the exchange goes to every task attached at that moment.
//! The list of subscribers is a lockgraph `RwLock` (senders only read it,
//! attaching and detaching write it); delivery happens after it is released,
//! so a subscriber may itself attach, detach or send.
//!
//! Needs `#[path = "recipes/actor.rs"] mod actor;` (and its queue) next to it.

#![allow(dead_code)] // shared by several examples; each uses a part

use lockgraph::RwLock;

use crate::actor::Mailbox;

/// Fans each message out to the mailboxes attached to it.
pub struct Exchange<M> {
    subscribers: RwLock<Vec<Mailbox<M>>>,
}

impl<M: Clone> Exchange<M> {
    /// An exchange with no subscribers.
    pub fn new() -> Self {
        Exchange {
            subscribers: RwLock::named("exchange subscribers", Vec::new()),
        }
    }

    /// Attaches a task: it receives every message sent from now on.
    pub fn attach(&self, task: Mailbox<M>) {
        self.subscribers.write().push(task);
    }

    /// Detaches a task (once, if it was attached more than once).
    pub fn detach(&self, task: &Mailbox<M>) {
        let mut subscribers = self.subscribers.write();
        if let Some(index) = subscribers.iter().position(|s| s.same_actor(task)) {
            subscribers.remove(index);
        }
    }

    /// Sends `message` to every attached task; returns how many got it.
    pub fn send(&self, message: M) -> usize {
        let subscribers = self.subscribers.read().clone();
        for task in &subscribers {
            task.send(message.clone());
        }
        subscribers.len()
    }

    /// How many tasks are attached.
    pub fn subscribers(&self) -> usize {
        self.subscribers.read().len()
    }

    /// Attaches `tasks` until the returned guard is dropped.
    pub fn subscribe(&self, tasks: &[Mailbox<M>]) -> Subscription<'_, M> {
        tasks.iter().for_each(|task| self.attach(task.clone()));
        Subscription {
            exchange: self,
            tasks: tasks.to_vec(),
        }
    }
}

impl<M: Clone> Default for Exchange<M> {
    fn default() -> Self {
        Self::new()
    }
}

/// Tasks attached to an exchange for as long as this guard lives.
#[must_use = "dropping the subscription detaches the tasks at once"]
pub struct Subscription<'a, M: Clone> {
    exchange: &'a Exchange<M>,
    tasks: Vec<Mailbox<M>>,
}

impl<M: Clone> Drop for Subscription<'_, M> {
    fn drop(&mut self) {
        self.tasks
            .iter()
            .for_each(|task| self.exchange.detach(task));
    }
}
