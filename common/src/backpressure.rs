//! The back-pressure rules every relay of labchat follows, so that a peer that stops reading
//! costs bounded memory and slows only the one who floods it: the server's outboxes
//! (`server::outbox`) and `eve`'s (`client::eve::outbox`) both decide with these, so the two
//! cannot drift apart.
//!
//! The rules, for one connection's queue of outgoing bytes:
//!
//! - It holds at most a limit (the server's `--backlog-limit`, [`DEFAULT_BACKLOG_LIMIT`]
//!   unless the operator says otherwise); a push that would pass it
//!   ([`overflows`]) cuts the reader off instead of growing the queue.
//! - Whoever relays into it waits while more than a quarter of the limit is queued
//!   ([`high_water`]), so a flood slows its *sender* to the pace the reader reads.
//! - A reader that cannot read its backlog down to that mark within [`STALL`] is not keeping
//!   up with a chat at all: it is cut off, and the sender goes on.
//!
//! Pure numbers and comparisons: each relay keeps its own queue (the server's writes without
//! blocking and charges a shared budget; eve's is a thread per socket), and both ask here.

use std::time::Duration;

/// What a sender finds when it waits for room in a reader's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Room {
    /// The backlog is at or below the high-water mark: relay on.
    Ready,
    /// The queue is closing or its reader was cut off: nothing more goes to it.
    Gone,
    /// The backlog stayed above the high-water mark for [`STALL`]: the reader is not reading.
    Stalled,
}

/// Bytes that may wait for one reader before it is cut off, unless configured otherwise.
pub const DEFAULT_BACKLOG_LIMIT: usize = 1024 * 1024;

/// A reader that cannot read its backlog down to the high-water mark in this long is not
/// keeping up with a chat; it is also the longest a sender waits for it.
pub const STALL: Duration = Duration::from_secs(5);

/// The backlog above which a sender waits for the reader: a quarter of `limit`.
#[must_use]
pub fn high_water(limit: usize) -> usize {
    limit / 4
}

/// True if queueing `more` bytes on top of a `backlog` (queued and being sent) would pass
/// `limit`: the reader is then cut off instead.
#[must_use]
pub fn overflows(backlog: usize, more: usize, limit: usize) -> bool {
    backlog.saturating_add(more) > limit
}

/// True if a sender may relay on: the backlog is at or below the high-water mark.
#[must_use]
pub fn has_room(backlog: usize, limit: usize) -> bool {
    backlog <= high_water(limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules_in_numbers() {
        let limit = DEFAULT_BACKLOG_LIMIT;
        assert_eq!(high_water(limit), 256 * 1024);
        assert!(has_room(256 * 1024, limit));
        assert!(!has_room(256 * 1024 + 1, limit));
        assert!(!overflows(limit - 10, 10, limit));
        assert!(overflows(limit - 10, 11, limit));
        assert!(overflows(usize::MAX, 1, limit));
    }
}
