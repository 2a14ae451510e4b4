//! A connection's outgoing bytes, and how they reach its socket without anyone waiting.
//!
//! Whoever has something to tell a client (its own session, its partner's session, the
//! shutdown path) [`push`](Outbox::push)es the bytes while holding the user-table lock (a
//! memory copy, so every client hears events in the order they happened), then, after
//! releasing the lock, calls [`flush`](Outbox::flush). Flushing writes with `MSG_DONTWAIT`: it
//! never blocks, so one stuck client can never stall the thread that is talking to it.
//!
//! Only one thread writes to a socket at a time; a flush that finds another one writing
//! leaves its bytes to it. Everything queued so far goes out in one `send`, which is how a
//! burst of chat lines costs one system call. When the client's socket buffer is full, a
//! short-lived writer thread takes over with blocking writes until the queue is empty, so a
//! client that reads slowly costs a thread only while it is behind. One that stops reading
//! lets its queue grow to the backlog limit; the push that would pass it cuts the client off
//! instead of letting it cost the server unbounded memory.
//!
//! Back-pressure: a partner's session that relays chat into this outbox waits
//! ([`wait_room`](Outbox::wait_room)) while more than a quarter of the limit is queued here, so
//! a flood slows its *sender* to the pace this client reads. The client is cut off only when it
//! cannot read that backlog down within [`STALL`]: then it is not keeping up with a chat at
//! all, not merely slower than the flood.
//!
//! A closing outbox shuts only the sending side once its last line is out, so the client reads
//! that line and then end of stream; the session then drains what the client still sends
//! before the socket is closed ([`crate::linger`]). Cutting a client off shuts both sides: it
//! is not reading anyway, and the session's blocked `read` must wake up.

use crate::budget::{Account, Budget, CutOff};
use common::backpressure;
use parking_lot::{Condvar, Mutex};
use socket2::SockRef;
use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::thread;
use std::time::{Duration, Instant};

/// Stack of a writer thread: it only moves bytes from the queue to the socket.
const WRITER_STACK: usize = 64 * 1024;

/// A client that cannot read its backlog down to the high-water mark in this long is not
/// keeping up with a chat; it is also the longest its partner's session waits for it. The
/// rules are shared with eve's relay: [`common::backpressure`].
pub use common::backpressure::STALL;

/// An emptied queue up to this size is kept for the next batch (see `State::spare`).
const KEEP_SPARE: usize = 4 * 1024;

/// The writer thread sends in pieces of this size, so progress can be seen while it blocks.
const WRITE_PIECE: usize = 16 * 1024;

pub use common::backpressure::Room;

/// Queued bytes for one client plus the means to send them or cut it off.
#[derive(Debug)]
pub struct Outbox {
    state: Mutex<State>,
    closed: Condvar,
    /// Notified whenever bytes leave the queue (or the outbox is done).
    progress: Condvar,
    socket: Arc<TcpStream>,
    limit: usize,
    /// Its place in the server's output budget (none in unit tests of the outbox alone).
    account: Option<Account>,
    /// Set once the client is cut off, so the session can look for it on every line without
    /// a lock.
    gone: AtomicBool,
}

#[derive(Debug, Default)]
struct State {
    queued: Vec<u8>,
    /// Bytes taken from the queue and being sent: they count against the limit too.
    in_flight: usize,
    /// The allocation of the batch being sent (freed when it is sent): charged to the budget.
    batch_alloc: usize,
    /// A small emptied queue kept for the next batch, so that a steady chat neither allocates
    /// nor changes what is charged to the budget on every line (at most [`KEEP_SPARE`]).
    spare: Vec<u8>,
    /// A thread is sending: others leave the queue to it.
    writing: bool,
    /// No more pushes: send what is queued, then shut the sending side down.
    closing: bool,
    /// The client fell too far behind or was aborted: drop everything and shut the socket
    /// down (at once, or by the flush after the push that decided it).
    cut_off: bool,
    /// The socket has been shut down.
    done: bool,
}

/// How one non-blocking send went.
enum Sent {
    /// Everything went out.
    All,
    /// The socket buffer is full; this many bytes went out.
    Partly(usize),
    /// The connection is broken.
    Failed,
}

impl Outbox {
    /// An outbox for `socket` (shared with the session that reads it) that holds at most
    /// `limit` bytes.
    pub fn new(socket: Arc<TcpStream>, limit: usize) -> Outbox {
        Outbox {
            state: Mutex::new(State::default()),
            closed: Condvar::new(),
            progress: Condvar::new(),
            socket,
            limit,
            account: None,
            gone: AtomicBool::new(false),
        }
    }

    /// An outbox for `socket`, a connection from `peer`, that holds at most `limit` bytes and
    /// charges what its queue holds to `budget` (see [`crate::budget`]).
    pub fn budgeted(
        socket: Arc<TcpStream>,
        limit: usize,
        budget: &Arc<Budget>,
        peer: SocketAddr,
    ) -> Arc<Outbox> {
        Arc::new_cyclic(|me| Outbox {
            account: Some(budget.open(me.clone() as Weak<dyn CutOff>, peer)),
            ..Outbox::new(socket, limit)
        })
    }

    /// Charges the budget with what `state` holds now (`queued` holding `queued_alloc`). False
    /// if the budget chose this client to be cut off.
    fn charge(&self, state: &State, queued_alloc: usize) -> bool {
        match &self.account {
            Some(account) => {
                account.charge(queued_alloc + state.batch_alloc + state.spare.capacity())
            }
            None => true,
        }
    }

    /// Bytes left the queue: the client is reading.
    fn moved(&self) {
        if let Some(account) = &self.account {
            account.moved();
        }
    }

    /// Cuts off connections the budget chose (by any outbox's push), after the locks are
    /// released.
    fn carry_out_budget_cuts(&self) {
        if let Some(account) = &self.account {
            account.carry_out_cuts();
        }
    }

    /// Queues `bytes` (whole lines) for the client; a [`flush`](Outbox::flush) sends them.
    /// Dropped if the outbox is closing or closed.
    ///
    /// Never touches the socket: it runs under the user-table lock. A push that would take the
    /// client past the backlog limit only marks it cut off (its later pushes are dropped); the
    /// flush that follows, after the lock is released, drops the queue and shuts the socket.
    pub fn push(&self, bytes: &[u8]) {
        let mut state = self.state.lock();
        if state.closing || state.cut_off {
            return;
        }
        let needed = state.queued.len() + bytes.len();
        if backpressure::overflows(state.in_flight, needed, self.limit) {
            state.cut_off = true;
            self.gone.store(true, Ordering::Relaxed);
            return;
        }
        let capacity = state.queued.capacity();
        if needed > capacity {
            // Grown here rather than by `extend`, so that the budget is charged before the
            // memory is taken: doubling, as `Vec` does, but never past the limit.
            let grown = needed
                .max(capacity * 2)
                .max(256)
                .min(self.limit.max(needed));
            if !self.charge(&state, grown) {
                state.cut_off = true;
                self.gone.store(true, Ordering::Relaxed);
                return;
            }
            let len = state.queued.len();
            state.queued.reserve_exact(grown - len);
        }
        state.queued.extend_from_slice(bytes);
    }

    /// Marks the outbox closing: what is queued is still sent (by the next
    /// [`flush`](Outbox::flush)), then the sending side is shut down (the client reads end of
    /// stream after the last line). Later pushes are dropped.
    pub fn close(&self) {
        self.state.lock().closing = true;
        // A partner's session waiting for room here stops waiting.
        self.progress.notify_all();
    }

    /// Sends what is queued without blocking. If the socket cannot take it all, a writer
    /// thread finishes the job. Call it after releasing the user-table lock: it also carries
    /// out a cut-off that a [`push`](Outbox::push) decided.
    pub fn flush(self: &Arc<Self>) {
        self.carry_out_budget_cuts();
        {
            let mut state = self.state.lock();
            if state.cut_off {
                self.cut_off_locked(&mut state);
                return;
            }
            if state.writing || state.done {
                return;
            }
            state.writing = true;
        }
        self.drain(false);
    }

    /// The writer's loop: sends until the queue is empty, then gives up the writer role (and
    /// shuts the socket down if the outbox is closing). Without `blocking`, a full socket
    /// buffer hands the role to a writer thread instead of waiting.
    fn drain(self: &Arc<Self>, blocking: bool) {
        let mut state = self.state.lock();
        loop {
            if state.cut_off {
                state.writing = false;
                return;
            }
            if state.queued.is_empty() {
                self.moved();
                state.writing = false;
                if state.closing {
                    self.shut(&mut state, Shutdown::Write);
                }
                return;
            }
            // The spare buffer becomes the queue: what is charged does not change.
            let spare = std::mem::take(&mut state.spare);
            let batch = std::mem::replace(&mut state.queued, spare);
            state.in_flight = batch.len();
            state.batch_alloc = batch.capacity();
            drop(state);
            let sent = if blocking {
                self.write_in_pieces(&batch)
            } else {
                send_now(&self.socket, &batch)
            };
            state = self.state.lock();
            state.in_flight = 0;
            state.batch_alloc = 0;
            if !matches!(sent, Sent::Partly(0) | Sent::Failed) {
                self.moved();
            }
            self.progress.notify_all();
            match sent {
                Sent::All => {
                    let mut batch = batch;
                    if batch.capacity() <= KEEP_SPARE && state.spare.capacity() == 0 {
                        batch.clear();
                        state.spare = batch;
                    } else {
                        drop(batch);
                    }
                    let queued = state.queued.capacity();
                    let _ = self.charge(&state, queued);
                }
                Sent::Failed => {
                    state.writing = false;
                    self.cut_off_locked(&mut state);
                    return;
                }
                Sent::Partly(_) if state.cut_off => {
                    state.writing = false;
                    return;
                }
                Sent::Partly(n) => {
                    // The rest goes first, before whatever was queued meanwhile.
                    let mut rest = Vec::with_capacity(batch.len() - n + state.queued.len());
                    rest.extend_from_slice(&batch[n..]);
                    rest.append(&mut state.queued);
                    let emptied = std::mem::replace(&mut state.queued, rest);
                    if emptied.capacity() <= KEEP_SPARE && state.spare.capacity() == 0 {
                        state.spare = emptied;
                    }
                    drop(batch);
                    let queued = state.queued.capacity();
                    let _ = self.charge(&state, queued);
                    drop(state);
                    self.hand_to_writer();
                    return;
                }
            }
        }
    }

    /// Blocking writes of `batch`, a piece at a time, counting each piece as sent at once so
    /// that [`wait_room`](Outbox::wait_room) sees a slow reader make progress.
    fn write_in_pieces(&self, batch: &[u8]) -> Sent {
        for piece in batch.chunks(WRITE_PIECE) {
            if (&*self.socket).write_all(piece).is_err() {
                return Sent::Failed;
            }
            let mut state = self.state.lock();
            state.in_flight = state.in_flight.saturating_sub(piece.len());
            self.moved();
            self.progress.notify_all();
        }
        Sent::All
    }

    /// True once the client was cut off (too far behind, not reading, or aborted): its session
    /// should stop carrying out what it already read.
    pub fn is_cut_off(&self) -> bool {
        self.gone.load(Ordering::Relaxed) || self.account.as_ref().is_some_and(Account::is_evicted)
    }

    /// Bytes waiting for the client: queued, or taken by a writer and not yet sent.
    pub fn backlog(&self) -> usize {
        let state = self.state.lock();
        state.queued.len() + state.in_flight
    }

    /// Waits while more than a quarter of the limit waits for the client (the high-water
    /// mark), at most [`STALL`] in all. Called by the partner's session, without the table
    /// lock, before it relays more: this is how a flood is slowed at its source instead of
    /// costing the reader its connection. A client that has not read its backlog down to the
    /// mark within [`STALL`] is not keeping up with a chat at all ([`Room::Stalled`]); the
    /// cap also means a slow partner can hold the sender's session up for at most that long.
    pub fn wait_room(&self) -> Room {
        let deadline = Instant::now() + STALL;
        let mut state = self.state.lock();
        let mut timed_out = false;
        loop {
            if state.closing || state.cut_off || state.done {
                return Room::Gone;
            }
            if backpressure::has_room(state.queued.len() + state.in_flight, self.limit) {
                return Room::Ready;
            }
            if timed_out {
                return Room::Stalled;
            }
            timed_out = self.progress.wait_until(&mut state, deadline).timed_out();
        }
    }

    /// Starts a thread that sends the queue with blocking writes; `writing` stays set for it.
    fn hand_to_writer(self: &Arc<Self>) {
        let outbox = Arc::clone(self);
        let spawned = thread::Builder::new()
            .name("writer".into())
            .stack_size(WRITER_STACK)
            .spawn(move || outbox.drain(true));
        if spawned.is_err() {
            // No thread to wait on this client: it cannot be served.
            let mut state = self.state.lock();
            state.writing = false;
            self.cut_off_locked(&mut state);
        }
    }

    /// Waits until the socket has been shut down (after the last line, or cut off) or
    /// `deadline` passes; true if it was.
    pub fn wait_closed(&self, deadline: Instant) -> bool {
        let mut state = self.state.lock();
        while !state.done {
            if self.closed.wait_until(&mut state, deadline).timed_out() {
                return state.done;
            }
        }
        true
    }

    /// Reads and discards what the client has sent and nobody read, without waiting, so that
    /// closing the socket does not reset it (see [`crate::linger`]).
    pub fn discard_input(&self) {
        crate::linger::discard_waiting(&self.socket);
    }

    /// Shuts the socket down at once, dropping what is queued.
    pub fn abort(&self) {
        let mut state = self.state.lock();
        self.cut_off_locked(&mut state);
    }

    fn cut_off_locked(&self, state: &mut State) {
        state.cut_off = true;
        self.gone.store(true, Ordering::Relaxed);
        state.queued = Vec::new();
        state.spare = Vec::new();
        let _ = self.charge(state, 0);
        if !state.done {
            // Nothing more is owed to this client: closing the socket will reset it and free
            // what the kernel still holds for it at once, instead of retrying for the user
            // timeout.
            let _ = SockRef::from(&*self.socket).set_linger(Some(Duration::ZERO));
        }
        // Both sides: also wakes a writer blocked in `write` on a client that stopped reading,
        // and the session blocked in `read`.
        self.shut(state, Shutdown::Both);
    }

    fn shut(&self, state: &mut State, how: Shutdown) {
        if !state.done {
            let _ = self.socket.shutdown(how);
            state.done = true;
            self.closed.notify_all();
            self.progress.notify_all();
        }
    }
}

/// One `send` with `MSG_DONTWAIT`, repeated while it makes progress.
fn send_now(socket: &TcpStream, bytes: &[u8]) -> Sent {
    let socket = SockRef::from(socket);
    let mut done = 0;
    while done < bytes.len() {
        match socket.send_with_flags(&bytes[done..], libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL) {
            Ok(0) => return Sent::Failed,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Sent::Partly(done),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return Sent::Failed,
        }
    }
    Sent::All
}

/// The budget cuts a connection off as [`Outbox::abort`] does.
impl CutOff for Outbox {
    fn cut_off(&self) {
        self.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::TcpListener;

    /// A push past the backlog limit happens under the user-table lock, so it only decides:
    /// the client is cut off at once (later pushes are dropped), but its socket is shut down
    /// by the flush that follows, after the lock is released.
    #[test]
    fn a_push_past_the_limit_leaves_the_socket_to_the_flush() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (served, _) = listener.accept().unwrap();
        let outbox = Arc::new(Outbox::new(Arc::new(served), 8));
        outbox.push(b"hello\n");
        outbox.push(b"world\n");
        assert!(outbox.is_cut_off());

        let mut buf = [0u8; 16];
        client
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let before = (&client).read(&mut buf);
        assert!(
            before.as_ref().is_err_and(|e| matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            )),
            "the push shut the socket: the client read {before:?}"
        );

        outbox.flush();
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        assert_eq!(
            (&client).read(&mut buf).unwrap(),
            0,
            "after the flush: end of stream, and nothing of the dropped queue"
        );
    }
}
