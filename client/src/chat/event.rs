//! How a connection ends, as the reader and keyboard threads and the Ctrl+C handler tell the
//! main thread, and Ctrl+C itself.

use crate::chat::link::Link;
use crate::chat::state::Shared;
use common::protocol::Command;
use crossbeam_channel::Sender;
use std::io;

/// How the connection ended (or the client must end), as the threads tell the main thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// The server closed the connection; `expected` if we or it said goodbye first.
    Disconnected {
        /// True after `close`, the server's `Goodbye!` or its shutdown notice.
        expected: bool,
        /// How the connection broke, if it did not end with a clean end of stream.
        broken: Option<io::ErrorKind>,
    },
    /// The server turned us away before we got in (`Server full`, or no name in time); its
    /// notice, on screen already, says why.
    TurnedAway,
    /// The client never got in: the name given with `--name` was refused, or in piped mode
    /// the input ended before the server accepted a name. The text is the last words, saying
    /// why and what to do (`the name 'alice' is already taken; try again with another --name`).
    NameRefused(String),
    /// After a reconnect the server refused the name we had; the text says so.
    RejoinRefused(String),
    /// The server's proof of its identity did not verify: the client hung up. The text says
    /// so, loudly.
    ServerProofInvalid(String),
    /// Ctrl+C (or SIGTERM), or `close` or end of input while reconnecting: `close` has been
    /// sent if registered, and the connection ended.
    Interrupted,
}

/// How long Ctrl+C waits for a send in progress before it gives up on sending `close`.
const CLOSE_PATIENCE: std::time::Duration = std::time::Duration::from_millis(200);

/// Ctrl+C: close, which also ends the chat, and tell the main thread. Shared by the SIGINT
/// handler and the keyboard (the line editor sees Ctrl+C as a key). Only `close` is sent, not
/// `goodbye` first: the partner is told "alice disconnected; the chat is over", which is what
/// happened, rather than "alice ended the chat" (which promises she is still there). Before a
/// name is accepted it only hangs up: the server would take a `close` line as the name `close`.
pub fn interrupt(link: &Link, state: &Shared, endings: &Sender<Ending>) {
    let registered = {
        let mut state = state.lock();
        state.closing = true;
        state.name.is_some()
    };
    // A typed line waiting for the name to be taken back is not sent now.
    state.nudge();
    // A send blocked on a server that stopped reading must not keep Ctrl+C from ending the
    // client: `close` goes only if the socket comes free soon, and the shutdown never waits.
    if registered {
        link.try_send(&Command::Close, CLOSE_PATIENCE);
    }
    link.finish();
    let _ = endings.send(Ending::Interrupted);
}
