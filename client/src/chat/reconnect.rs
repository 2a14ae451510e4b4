//! Connecting, and connecting again when the server goes away.

use crate::chat::event::Ending;
use crate::chat::link::Link;
use crate::chat::state::Shared;
use crate::terminal::screen::Screen;
use crossbeam_channel::Receiver;
use std::io;
use std::net::{TcpStream, ToSocketAddrs};
use std::thread;
use std::time::{Duration, Instant};

/// How long the client keeps trying to reach a server that went away.
pub const RECONNECT_FOR: Duration = Duration::from_secs(60);

/// How long one address of the server may take to answer a reconnection attempt.
const RECONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// How a reconnection attempt ended.
pub enum Reconnect {
    /// Connected again and the name was sent: a reader for this socket is needed.
    Back(TcpStream),
    /// Ctrl+C while waiting.
    Interrupted,
    /// The server did not come back within [`RECONNECT_FOR`] of first going away.
    GaveUp,
}

/// A connection lost sooner than this after it was made is lost "again": the back-off goes on
/// where it was instead of starting over (a server that welcomes and then hangs up).
pub const STEADY_AFTER: Duration = Duration::from_secs(10);

/// The first pause between attempts, and the longest.
const FIRST_WAIT: Duration = Duration::from_millis(500);
const LONGEST_WAIT: Duration = Duration::from_secs(8);

/// Where the server is, and how the attempts to reach it again have gone so far.
#[derive(Debug)]
pub struct Reconnector {
    host: String,
    port: u16,
    /// The back-off under way, if the connection was lost before.
    backoff: Option<Backoff>,
}

/// The pauses between attempts, kept across reconnects that did not last.
#[derive(Debug)]
struct Backoff {
    /// The next pause.
    wait: Duration,
    /// When the client gives up: [`RECONNECT_FOR`] after the connection was first lost.
    deadline: Instant,
    /// When the last attempt connected.
    connected: Option<Instant>,
}

impl Reconnector {
    /// Connects again to `host`:`port` when asked.
    pub fn new(host: String, port: u16) -> Reconnector {
        Reconnector {
            host,
            port,
            backoff: None,
        }
    }

    /// The server went away: tries to connect again, at once, then waiting 0.5 s, 1, 2, 4
    /// and 8 s between attempts, for at most [`RECONNECT_FOR`], and registers `name` again.
    /// A connection that lived less than [`STEADY_AFTER`] does not start this over: the
    /// pauses and the minute go on from where they were. Ctrl+C stops it at once, during an
    /// attempt too (each attempt runs in a thread of its own).
    pub fn again(
        &mut self,
        name: &common::protocol::Name,
        state: &Shared,
        link: &Link,
        screen: &Screen,
        endings: &Receiver<Ending>,
    ) -> Reconnect {
        let steady = |backoff: &Backoff| {
            backoff
                .connected
                .is_some_and(|connected| connected.elapsed() >= STEADY_AFTER)
        };
        // Rejoining before saying so: end of input read after the note must find the client
        // rejoining (and leave as Ctrl+C does), not registered on a dead connection. End of
        // input read before it has already closed: nobody is left to reconnect for.
        {
            let mut state = state.lock();
            if state.closing {
                return Reconnect::Interrupted;
            }
            // A new connection: its server may number chats from 1 again.
            state.new_connection();
            // Not registered on the new connection until the server says so.
            state.name = None;
            state.rejoining = Some(name.clone());
        }
        let mut backoff = match self.backoff.take() {
            Some(backoff) if !steady(&backoff) => {
                let left = backoff.deadline.saturating_duration_since(Instant::now());
                screen.note(&format!(
                    "lost the connection to the server again; trying to reconnect for {} s more \
                     (Ctrl+C stops)",
                    left.as_secs()
                ));
                backoff
            }
            _ => {
                screen.note(&format!(
                    "lost the connection to the server; trying to reconnect for up to {} s \
                     (Ctrl+C stops)",
                    RECONNECT_FOR.as_secs()
                ));
                Backoff {
                    wait: Duration::ZERO,
                    deadline: Instant::now() + RECONNECT_FOR,
                    connected: None,
                }
            }
        };
        let outcome = self.attempts(&mut backoff, name, state, link, screen, endings);
        self.backoff = Some(backoff);
        outcome
    }

    /// Attempts until one connects, the deadline passes, or Ctrl+C.
    fn attempts(
        &self,
        backoff: &mut Backoff,
        name: &common::protocol::Name,
        state: &Shared,
        link: &Link,
        screen: &Screen,
        endings: &Receiver<Ending>,
    ) -> Reconnect {
        loop {
            let left = backoff.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                screen.note("the server did not come back");
                return Reconnect::GaveUp;
            }
            if !backoff.wait.is_zero() {
                if let Ok(Ending::Interrupted) = endings.recv_timeout(backoff.wait.min(left)) {
                    return Reconnect::Interrupted;
                }
            }
            backoff.wait = (backoff.wait * 2).clamp(FIRST_WAIT, LONGEST_WAIT);
            match attempt(&self.host, self.port, backoff.deadline, endings) {
                Attempt::Interrupted => return Reconnect::Interrupted,
                Attempt::Connected(socket) => {
                    let _ = socket.set_nodelay(true);
                    if let Ok(writer) = socket.try_clone() {
                        let (awaiting, hello) = crate::chat::server_proof::ask();
                        state.lock().server_proof = awaiting;
                        if link.replace(writer).is_ok()
                            && link.send_line(&hello).is_ok()
                            && link.send_line(name.as_str()).is_ok()
                        {
                            screen.note(&format!(
                                "connected again; registering as {name}; any chat you were in \
                                 has ended"
                            ));
                            backoff.connected = Some(Instant::now());
                            return Reconnect::Back(socket);
                        }
                    }
                }
                Attempt::Failed => {}
            }
        }
    }
}

/// How one connection attempt ended.
enum Attempt {
    /// The server answered.
    Connected(TcpStream),
    /// No address answered in time (or the name did not resolve).
    Failed,
    /// Ctrl+C, during the attempt or as it ended.
    Interrupted,
}

/// One attempt to connect to `host`:`port`, before `deadline`; Ctrl+C ends it at once.
///
/// The attempt runs in a thread of its own, so that the wait can end on Ctrl+C: neither
/// resolving a name nor `connect` can be interrupted, and a server's machine that answers
/// nothing (switched off, cable out) holds a SYN for [`RECONNECT_TIMEOUT`] (a plain `connect`
/// for about two minutes of retries). A thread left behind ends by itself within that time.
fn attempt(host: &str, port: u16, deadline: Instant, endings: &Receiver<Ending>) -> Attempt {
    let (done, result) = crossbeam_channel::bounded(1);
    let host = host.to_string();
    let spawned = thread::Builder::new()
        .name("reconnect".into())
        .spawn(move || {
            let _ = done.send(connect(&host, port, RECONNECT_TIMEOUT, Some(deadline)).ok());
        });
    if spawned.is_err() {
        return Attempt::Failed;
    }
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        // `endings` never disconnects: the Ctrl+C handler keeps a sender for good.
        crossbeam_channel::select! {
            recv(endings) -> event => {
                if let Ok(Ending::Interrupted) = event {
                    return Attempt::Interrupted;
                }
            }
            recv(result) -> socket => {
                // A Ctrl+C that came as the attempt ended wins over its outcome.
                if endings.try_iter().any(|event| event == Ending::Interrupted) {
                    return Attempt::Interrupted;
                }
                return socket.ok().flatten().map_or(Attempt::Failed, Attempt::Connected);
            }
            default(left) => return Attempt::Failed,
        }
    }
}

/// Connects to the first address of `host`:`port` that answers, giving each at most
/// `per_address` and, with a `deadline`, none past it: a server machine that is off or
/// unplugged answers nothing, and a plain `connect` would wait about two minutes per address.
/// Used by `client HOST PORT`, and to connect again after the connection was lost.
///
/// # Errors
/// The name did not resolve, the last address's error, `NotFound` for a name with no address,
/// or `TimedOut` once the deadline has passed.
pub fn connect(
    host: &str,
    port: u16,
    per_address: Duration,
    deadline: Option<Instant>,
) -> io::Result<TcpStream> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "the name has no address");
    for address in (host, port).to_socket_addrs()? {
        let timeout = match deadline {
            Some(deadline) => match deadline.saturating_duration_since(Instant::now()) {
                left if left.is_zero() => return Err(io::ErrorKind::TimedOut.into()),
                left => left.min(per_address),
            },
            None => per_address,
        };
        match TcpStream::connect_timeout(&address, timeout) {
            Ok(socket) => return Ok(socket),
            Err(err) => last = err,
        }
    }
    Err(last)
}
