//! A connection's outgoing bytes, and the thread that writes them.
//!
//! Whoever has something to tell a client (its own session, its partner's session, the
//! shutdown path) appends to that client's [`Outbox`]; only the client's own writer thread
//! touches the socket. Appending is a memory copy that never blocks on the network, which is
//! what lets the user table append while it holds its lock (so every client hears events in
//! the order they happened) without ever letting one slow client stall anyone else.
//!
//! The writer takes everything queued in one go and sends it with one `write`, so a burst of
//! chat lines costs one system call. A client that stops reading lets its queue grow to the
//! backlog limit; past that it is cut off rather than costing the server unbounded memory.

use parking_lot::{Condvar, Mutex};
use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::time::Instant;

/// Queued bytes for one client plus the means to cut it off.
#[derive(Debug)]
pub struct Outbox {
    state: Mutex<State>,
    wake_writer: Condvar,
    writer_done: Condvar,
    /// Used only to shut the socket down from outside the writer (overflow, shutdown).
    socket: TcpStream,
    limit: usize,
}

#[derive(Debug, Default)]
struct State {
    queued: Vec<u8>,
    /// No more pushes: send what is queued, then close.
    closing: bool,
    /// The client fell too far behind: drop what is queued and close now.
    cut_off: bool,
    /// The writer thread has finished and the socket is shut down.
    done: bool,
}

/// What [`Outbox::push`] did with the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// Queued for the writer.
    Queued,
    /// The outbox is closing or closed; the bytes were dropped.
    Closed,
    /// This push took the backlog over the limit: the client has been cut off.
    Overflowed,
}

impl Outbox {
    /// An outbox for `socket` (a clone of the connection) that holds at most `limit` bytes.
    pub fn new(socket: TcpStream, limit: usize) -> Outbox {
        Outbox {
            state: Mutex::new(State::default()),
            wake_writer: Condvar::new(),
            writer_done: Condvar::new(),
            socket,
            limit,
        }
    }

    /// Queues `bytes` (whole lines) for the client. Never blocks on the network.
    pub fn push(&self, bytes: &[u8]) -> Pushed {
        let mut state = self.state.lock();
        if state.closing || state.cut_off {
            return Pushed::Closed;
        }
        if state.queued.len() + bytes.len() > self.limit {
            state.cut_off = true;
            state.queued = Vec::new();
            drop(state);
            // Wakes a writer blocked in `write` on a client that stopped reading.
            let _ = self.socket.shutdown(Shutdown::Both);
            self.wake_writer.notify_one();
            return Pushed::Overflowed;
        }
        let was_empty = state.queued.is_empty();
        state.queued.extend_from_slice(bytes);
        drop(state);
        if was_empty {
            self.wake_writer.notify_one();
        }
        Pushed::Queued
    }

    /// Sends what is queued, then closes the connection. Later pushes are dropped.
    pub fn close(&self) {
        self.state.lock().closing = true;
        self.wake_writer.notify_one();
    }

    /// Waits until the writer has finished or `deadline` passes; true if it finished.
    pub fn wait_closed(&self, deadline: Instant) -> bool {
        let mut state = self.state.lock();
        while !state.done {
            if self
                .writer_done
                .wait_until(&mut state, deadline)
                .timed_out()
            {
                return state.done;
            }
        }
        true
    }

    /// Shuts the socket down at once, without sending what is queued.
    pub fn abort(&self) {
        self.state.lock().cut_off = true;
        let _ = self.socket.shutdown(Shutdown::Both);
        self.wake_writer.notify_one();
    }

    /// The writer loop: run it on the connection's own writer thread with the write half.
    /// Returns when the outbox is closed, cut off, or the socket fails.
    pub fn run_writer(&self, mut socket: TcpStream) {
        let mut batch = Vec::new();
        loop {
            let closing = {
                let mut state = self.state.lock();
                while state.queued.is_empty() && !state.closing && !state.cut_off {
                    self.wake_writer.wait(&mut state);
                }
                if state.cut_off {
                    break;
                }
                batch.clear();
                std::mem::swap(&mut batch, &mut state.queued);
                state.closing
            };
            if !batch.is_empty() && socket.write_all(&batch).is_err() {
                break;
            }
            if closing && self.state.lock().queued.is_empty() {
                break;
            }
            if batch.capacity() > 64 * 1024 {
                // A burst is over: do not keep its buffer for an idle client.
                batch = Vec::new();
            }
        }
        let _ = socket.shutdown(Shutdown::Both);
        let mut state = self.state.lock();
        state.done = true;
        state.queued = Vec::new();
        self.writer_done.notify_all();
    }
}
