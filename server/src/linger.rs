//! Ending a connection without a reset, so that the last notice arrives.
//!
//! A TCP socket closed while the peer's bytes wait unread in its receive queue is reset, not
//! closed: the kernel sends a RST and throws away whatever it had not yet delivered, which is
//! usually the last notice (`(server): Goodbye!`, `Server full`, a flood's error). Data that
//! arrives after a full `shutdown` (both directions) resets the connection too. So a
//! connection the server ends is ended in three steps: the outbox sends the last lines and
//! shuts the sending side only (`shutdown(Write)`, the peer sees end of stream after them);
//! the session thread then reads and discards what the peer still sends, until the peer closes
//! too, [`DRAIN_LIMIT`] bytes or [`DRAIN_TIME`], whichever comes first; only then is the
//! socket closed.
//!
//! The bounds keep a hostile peer from holding a thread: one that goes on sending is reset
//! after 64 KiB, one that neither sends nor closes is closed after a second (its FIN and the
//! last lines are already on their way, and a closed socket with nothing unread keeps
//! delivering them). And at most [`MAX_DRAINING`] connections wait like this at once: a host
//! that opens connections only to be refused (server full, too many from its address) would
//! otherwise keep a thread busy for a second per connection. Past that number a closing
//! connection only has what already waits discarded, and is closed at once.

use socket2::SockRef;
use std::io::{self, Read};
use std::mem::MaybeUninit;
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Most bytes read and thrown away from a connection being closed.
pub const DRAIN_LIMIT: usize = 64 * 1024;
/// Longest a session thread waits for the peer to close after the server ended its session.
pub const DRAIN_TIME: Duration = Duration::from_secs(1);
/// Most connections drained at once (each on its session thread).
pub const MAX_DRAINING: usize = 256;

/// Connections being drained now, across the server.
static DRAINING: AtomicUsize = AtomicUsize::new(0);

/// One connection counted in [`DRAINING`] while it lives.
struct Draining;

impl Draining {
    /// Counts one more connection being drained, unless [`MAX_DRAINING`] already are.
    fn start() -> Option<Draining> {
        let before = DRAINING.fetch_add(1, Ordering::SeqCst);
        if before >= MAX_DRAINING {
            DRAINING.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Draining)
    }
}

impl Drop for Draining {
    fn drop(&mut self) {
        DRAINING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Reads and discards what the peer sends until it closes, [`DRAIN_LIMIT`] bytes have come or
/// [`DRAIN_TIME`] has passed. Call it after the session has left the user table (never under
/// its lock), on the session's own thread; the caller then drops its handle on the socket.
/// When [`MAX_DRAINING`] connections are being drained already, it only discards what waits.
pub fn drain(stream: &TcpStream) {
    let Some(_counted) = Draining::start() else {
        discard_waiting(stream);
        return;
    };
    let deadline = Instant::now() + DRAIN_TIME;
    let mut chunk = [0u8; 4096];
    let mut drained = 0;
    while drained <= DRAIN_LIMIT {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return;
        }
        match (&*stream).read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => drained += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// Discards what is waiting in `stream`'s receive queue now, up to [`DRAIN_LIMIT`] bytes,
/// without waiting: for shutdown, when the process is about to exit and close every socket.
pub fn discard_waiting(stream: &TcpStream) {
    let socket = SockRef::from(stream);
    let mut chunk = [MaybeUninit::<u8>::uninit(); 4096];
    let mut drained = 0;
    while drained <= DRAIN_LIMIT {
        match socket.recv_with_flags(&mut chunk, libc::MSG_DONTWAIT) {
            Ok(0) => return,
            Ok(n) => drained += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// With [`MAX_DRAINING`] connections already being drained, the next one is not waited
    /// on: a flood of connections the server refuses, from peers that neither send nor close,
    /// cannot hold a thread each for [`DRAIN_TIME`]. The places come back as drains end.
    #[test]
    fn past_the_bound_a_silent_peer_is_not_waited_for() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let _silent = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (served, _) = listener.accept().unwrap();

        let taken: Vec<Draining> = (0..MAX_DRAINING)
            .map(|_| Draining::start().expect("a place"))
            .collect();
        assert!(
            Draining::start().is_none(),
            "more than {MAX_DRAINING} places"
        );
        let started = Instant::now();
        drain(&served);
        let took = started.elapsed();
        assert!(took < DRAIN_TIME / 2, "waited {took:?} for a silent peer");

        drop(taken);
        assert!(Draining::start().is_some(), "the places came back");
    }
}
