//! What the user table needs from a client's outgoing queue, and nothing more.
//!
//! The table ([`crate::users::Users`]) is a state machine over names and chats; every line it
//! decides on goes into a [`Sink`]. The server's sink is the socket's [`Outbox`]; the table's
//! unit tests use a recorder and run pairing, refusals and key forwarding with no socket.

use crate::outbox::Outbox;
use std::fmt;
use std::sync::Arc;

/// One client's outgoing queue, as the user table uses it.
pub trait Sink: Clone + Send + Sync + fmt::Debug {
    /// Queues whole lines. Called under the table lock, so it must only copy memory: a queue
    /// that decides here to cut its client off leaves the socket to [`flush`](Sink::flush).
    fn push(&self, bytes: &[u8]);
    /// No more lines will be queued: what is queued is sent, then the connection is closed.
    fn close(&self);
    /// Sends what is queued (or cuts the client off, if a push decided so). Called after the
    /// table lock is released.
    fn flush(&self);
    /// Whether `self` and `other` are the same client's queue.
    fn same(&self, other: &Self) -> bool;
}

impl Sink for Arc<Outbox> {
    fn push(&self, bytes: &[u8]) {
        Outbox::push(self, bytes);
    }

    fn close(&self) {
        Outbox::close(self);
    }

    fn flush(&self) {
        Outbox::flush(self);
    }

    fn same(&self, other: &Self) -> bool {
        Arc::ptr_eq(self, other)
    }
}
