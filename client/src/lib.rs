//! The labchat client: a reader thread (server to screen) and a keyboard thread (typed lines to
//! server), with Ctrl+C ending the chat and disconnecting cleanly.
//!
//! Layout:
//! - [`reader`]: parses server lines, shows them escaped, follows the conversation.
//! - [`keyboard`]: registers, then turns typed lines into commands.
//! - [`keys`]: the current chat's key agreement and sealed session.
//! - [`link`]: the shared write half of the socket.
//! - [`state`]: what the threads know about the conversation.
//! - [`screen`]: where lines are shown.
#![forbid(unsafe_code)]

pub mod keyboard;
pub mod keys;
pub mod link;
pub mod reader;
pub mod screen;
pub mod state;

use crate::keyboard::Keyboard;
use crate::link::Link;
use crate::reader::Reader;
use crate::screen::Screen;
use crate::state::State;
use common::protocol::Command;
use parking_lot::Mutex;
use std::io;
use std::net::TcpStream;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// What the threads tell the main thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The server closed the connection; `expected` if we or it said goodbye first.
    Disconnected {
        /// True after `close`, the server's `Goodbye!` or its shutdown notice.
        expected: bool,
    },
    /// The name given with `--name` was refused; the text says why.
    NameRefused(String),
    /// Ctrl+C (or SIGTERM): goodbye and close have been sent.
    Interrupted,
}

/// How the client ended, as the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Closed normally, by the person or by the server's shutdown: exit 0.
    Done,
    /// The connection was lost or registration failed: exit 1.
    Failed,
}

/// Chats over `socket` with the person at stdin/stdout until they close, press Ctrl+C, or the
/// server goes away.
///
/// # Errors
/// Setting up the threads or the Ctrl+C handler failed.
pub fn run(socket: TcpStream, preset_name: Option<String>) -> io::Result<Outcome> {
    let link = Arc::new(Link::new(socket.try_clone()?));
    let state = Arc::new(Mutex::new(State::default()));
    let screen = Arc::new(Screen);
    let (events, event_rx) = crossbeam_channel::unbounded();
    let (registration, registration_rx) = crossbeam_channel::unbounded();

    let reader = Reader {
        socket,
        state: Arc::clone(&state),
        screen: Arc::clone(&screen),
        link: Arc::clone(&link),
        registration,
        events: events.clone(),
    };
    thread::Builder::new()
        .name("reader".into())
        .spawn(move || reader.run())?;

    {
        let (link, state, events) = (Arc::clone(&link), Arc::clone(&state), events.clone());
        ctrlc::set_handler(move || {
            let in_chat = {
                let mut state = state.lock();
                state.closing = true;
                state.partner.is_some()
            };
            if in_chat {
                let _ = link.send(&Command::Goodbye);
            }
            let _ = link.send(&Command::Close);
            link.finish();
            let _ = events.send(Event::Interrupted);
        })
        .map_err(io::Error::other)?;
    }

    let keyboard = Keyboard {
        input: io::BufReader::new(io::stdin()),
        link,
        state,
        screen: Arc::clone(&screen),
        registration: registration_rx,
        preset_name,
        events,
    };
    thread::Builder::new()
        .name("keyboard".into())
        .spawn(move || keyboard.run())?;

    match event_rx.recv() {
        Ok(Event::Disconnected { expected: true }) => Ok(Outcome::Done),
        Ok(Event::Disconnected { expected: false }) | Err(_) => {
            screen.note("lost the connection to the server");
            Ok(Outcome::Failed)
        }
        Ok(Event::NameRefused(reason)) => {
            screen.note(&format!("could not register: {reason}"));
            Ok(Outcome::Failed)
        }
        Ok(Event::Interrupted) => {
            // Let the server's goodbye arrive so the close is clean, but do not linger.
            let _ = event_rx.recv_timeout(Duration::from_secs(1));
            Ok(Outcome::Done)
        }
    }
}
