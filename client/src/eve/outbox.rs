//! The lines eve owes one socket, bounded by the server's back-pressure rules
//! ([`common::backpressure`]): a peer that stops reading costs eve at most the backlog limit,
//! slows only whoever floods it, and is cut off once it has not read for 5 s (`STALL`).
//!
//! Each socket eve writes (a client's, or the server connection made for it) has one
//! [`Outbox`] and one writer thread ([`Outbox::write_all_to`]). Lines are pushed under eve's
//! lock (a memory copy, never a wait); the reader that pushed then waits for room
//! ([`Outbox::wait_room`]) with no lock held, before it reads more, as the server's session
//! waits for its partner's outbox.

use common::backpressure::{has_room, overflows, STALL};
use parking_lot::{Condvar, Mutex};
use std::collections::VecDeque;
use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::time::Instant;

pub use common::backpressure::Room;

/// One socket's queued lines.
#[derive(Debug)]
pub struct Outbox {
    state: Mutex<State>,
    /// Notified when lines are queued, leave the queue, or the outbox is done.
    changed: Condvar,
    /// The socket, to shut down when the peer is cut off (which wakes a writer stuck in a
    /// write to a peer that stopped reading).
    socket: TcpStream,
    limit: usize,
}

#[derive(Debug, Default)]
struct State {
    lines: VecDeque<String>,
    /// Bytes queued, newlines included.
    queued: usize,
    /// Bytes taken by the writer and not yet written.
    in_flight: usize,
    /// No more lines: write what is queued, then end the stream.
    closing: bool,
    /// Too far behind, or not reading: everything is dropped.
    cut_off: bool,
}

impl Outbox {
    /// An outbox for `socket` (a clone of the one its writer writes) holding at most `limit`
    /// bytes.
    pub fn new(socket: TcpStream, limit: usize) -> Outbox {
        Outbox {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            socket,
            limit,
        }
    }

    /// Queues `line` (without its newline). A line that would take the backlog past the limit
    /// cuts the peer off instead; false if the line was not queued (cut off, or closing).
    pub fn push(&self, line: String) -> bool {
        let mut state = self.state.lock();
        if state.closing || state.cut_off {
            return false;
        }
        let bytes = line.len() + 1;
        if overflows(state.queued + state.in_flight, bytes, self.limit) {
            self.cut(&mut state);
            return false;
        }
        state.queued += bytes;
        state.lines.push_back(line);
        self.changed.notify_all();
        true
    }

    /// No more lines: the writer writes what is queued, then ends the stream.
    pub fn close(&self) {
        self.state.lock().closing = true;
        self.changed.notify_all();
    }

    /// Cuts the peer off: drops the queue and shuts the socket down both ways.
    pub fn cut_off(&self) {
        let mut state = self.state.lock();
        self.cut(&mut state);
    }

    fn cut(&self, state: &mut State) {
        state.cut_off = true;
        state.lines = VecDeque::new();
        state.queued = 0;
        let _ = self.socket.shutdown(Shutdown::Both);
        self.changed.notify_all();
    }

    /// True once the peer was cut off.
    pub fn is_cut_off(&self) -> bool {
        self.state.lock().cut_off
    }

    /// Bytes waiting for the peer: queued, or taken by the writer and not yet written.
    pub fn backlog(&self) -> usize {
        let state = self.state.lock();
        state.queued + state.in_flight
    }

    /// Waits while the backlog is above the high-water mark, at most [`STALL`]. Called with
    /// no lock held by the reader that pushed here, before it reads more.
    pub fn wait_room(&self) -> Room {
        let deadline = Instant::now() + STALL;
        let mut state = self.state.lock();
        let mut timed_out = false;
        loop {
            if state.closing || state.cut_off {
                return Room::Gone;
            }
            if has_room(state.queued + state.in_flight, self.limit) {
                return Room::Ready;
            }
            if timed_out {
                return Room::Stalled;
            }
            timed_out = self.changed.wait_until(&mut state, deadline).timed_out();
        }
    }

    /// The writer's loop: writes every queued line to `socket`, a batch at a time, until the
    /// outbox is closed and empty (then ends the stream) or cut off (or a write fails).
    pub fn write_all_to(&self, mut socket: TcpStream) {
        loop {
            let batch = {
                let mut state = self.state.lock();
                while state.lines.is_empty() && !state.closing && !state.cut_off {
                    self.changed.wait(&mut state);
                }
                if state.cut_off {
                    return;
                }
                if state.lines.is_empty() {
                    // Closing, and everything is written.
                    let _ = socket.shutdown(Shutdown::Write);
                    return;
                }
                let mut batch = String::with_capacity(state.queued);
                for line in state.lines.drain(..) {
                    batch.push_str(&line);
                    batch.push('\n');
                }
                state.in_flight = state.queued;
                state.queued = 0;
                batch
            };
            let written = socket.write_all(batch.as_bytes());
            let mut state = self.state.lock();
            state.in_flight = 0;
            self.changed.notify_all();
            if written.is_err() {
                self.cut(&mut state);
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let a = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (b, _) = listener.accept().unwrap();
        (a, b)
    }

    /// A peer that does not read costs at most the limit: the push past it cuts it off, and
    /// nothing more is queued.
    #[test]
    fn a_backlog_past_the_limit_cuts_the_peer_off() {
        let (a, _b) = pair();
        let outbox = Outbox::new(a, 100);
        assert!(outbox.push("x".repeat(19)));
        assert_eq!(outbox.backlog(), 20);
        assert_eq!(outbox.wait_room(), Room::Ready);
        assert!(outbox.push("y".repeat(59)));
        assert!(!outbox.push("z".repeat(30)), "past the limit");
        assert!(outbox.is_cut_off());
        assert_eq!(outbox.backlog(), 0);
        assert!(!outbox.push("z".into()));
        assert_eq!(outbox.wait_room(), Room::Gone);
    }

    /// A writer sends the lines in order and ends the stream when closed.
    #[test]
    fn the_writer_sends_in_order_then_ends() {
        let (a, mut b) = pair();
        let outbox = std::sync::Arc::new(Outbox::new(a.try_clone().unwrap(), 1 << 20));
        let writer = {
            let outbox = std::sync::Arc::clone(&outbox);
            std::thread::spawn(move || outbox.write_all_to(a))
        };
        for n in 0..100 {
            assert!(outbox.push(format!("line {n}")));
        }
        outbox.close();
        let mut got = String::new();
        std::io::Read::read_to_string(&mut b, &mut got).unwrap();
        writer.join().unwrap();
        let expected: String = (0..100).map(|n| format!("line {n}\n")).collect();
        assert_eq!(got, expected);
        assert_eq!(outbox.wait_room(), Room::Gone);
    }
}
