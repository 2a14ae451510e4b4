//! The labchat client: a reader thread (server to screen) and a keyboard thread (typed lines to
//! server), with Ctrl+C ending the chat and disconnecting cleanly.
//!
//! At a terminal the keyboard is a line editor with a prompt that says where you are
//! (`alice -> bob> `): incoming lines appear above the prompt and never garble a half-typed
//! line, with history and colours. With stdin or stdout not a terminal (pipes, scripts, tests)
//! the client reads plain lines and prints plain lines: no prompt, no escape codes.
//!
//! Layout:
//! - [`chat`]: the reader and keyboard threads, the shared state, the chat's key.
//! - [`terminal`]: typed lines (a pipe or the line editor) and shown lines (the screen).
//! - [`browse`]: `client` with no address: finds servers on the LAN, asks which if several.
//! - [`eve`]: the `eve` teaching tool: what a relay sees, and the relay in the middle.
#![forbid(unsafe_code)]

pub mod browse;
pub mod chat;
pub mod eve;
pub mod terminal;

use crate::chat::keyboard::Keyboard;
use crate::chat::link::Link;
use crate::chat::reader::Reader;
use crate::chat::state::State;
use crate::terminal::input::{LineSource, Piped};
use crate::terminal::line_editor::LineEditor;
use crate::terminal::screen::Screen;
use crate::terminal::style::{Mode, Palette};
use common::protocol::Command;
use crossbeam_channel::Sender;
use parking_lot::Mutex;
use std::io;
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// What the threads tell the main thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
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
    /// The name given with `--name` was refused; the text says why, in a few words
    /// (`the name 'alice' is already taken`).
    NameRefused(String),
    /// After a reconnect the server refused the name we had; the text says so.
    RejoinRefused(String),
    /// Ctrl+C (or SIGTERM), or `close` or end of input while reconnecting: `close` has been
    /// sent if registered, and the connection ended.
    Interrupted,
}

/// How the client ended, as the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Closed normally, by the person or by the server's shutdown: exit 0.
    Done,
    /// The connection was lost, or the person never got in (name refused, server full, no
    /// name in time): exit 1.
    Failed,
}

/// How long the main thread waits for the line editor to give the terminal back before
/// restoring it itself.
const EDITOR_STOP_WAIT: Duration = Duration::from_secs(2);

/// What the person chose on the command line.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Register with this name instead of asking (and give up if it is refused).
    pub name: Option<String>,
    /// Accept the original's toy Diffie-Hellman group (for teaching).
    pub allow_toy_group: bool,
    /// Show each key-agreement and secure-message step with its numbers (for teaching).
    pub explain: bool,
    /// Where the server is, to connect again if the connection is lost: always at a terminal,
    /// in piped mode only with `--reconnect`.
    pub server: Option<(String, u16)>,
    /// `--reconnect`: also reconnect in piped mode.
    pub reconnect: bool,
}

/// How long the client keeps trying to reach a server that went away.
pub const RECONNECT_FOR: Duration = Duration::from_secs(60);

/// How long one address of the server may take to answer a reconnection attempt.
const RECONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Chats over `socket` with the person at stdin/stdout until they close, press Ctrl+C, or the
/// server goes away. At a terminal (see [`Mode::detect`]) with a line editor, else plainly.
///
/// # Errors
/// Setting up the threads or the Ctrl+C handler failed.
pub fn run(socket: TcpStream, options: Options) -> io::Result<Outcome> {
    run_in(Mode::detect(), socket, options)
}

/// [`run`] in a given mode.
///
/// # Errors
/// Setting up the threads or the Ctrl+C handler failed.
fn run_in(mode: Mode, socket: TcpStream, options: Options) -> io::Result<Outcome> {
    let preset_name = options.name;
    let link = Arc::new(Link::new(socket.try_clone()?));
    let state = Arc::new(Mutex::new(State::new(
        options.allow_toy_group,
        options.explain,
    )));
    let palette = Palette::new(mode.colour);
    let (to_editor, printer) = std::sync::mpsc::sync_channel(crate::terminal::screen::EDITOR_SLOTS);
    let screen = Arc::new(if mode.interactive {
        Screen::terminal(to_editor, palette)?
    } else {
        Screen::plain()
    });
    let (events, event_rx) = crossbeam_channel::unbounded();
    let (registration, registration_rx) = crossbeam_channel::unbounded();

    let start_reader = {
        let (state, screen, link, events) = (
            Arc::clone(&state),
            Arc::clone(&screen),
            Arc::clone(&link),
            events.clone(),
        );
        move |socket: TcpStream| {
            let reader = Reader {
                socket,
                state: Arc::clone(&state),
                screen: Arc::clone(&screen),
                link: Arc::clone(&link),
                registration: registration.clone(),
                events: events.clone(),
                status: None,
            };
            thread::Builder::new()
                .name("reader".into())
                .spawn(move || reader.run())
                .map(|_| ())
        }
    };
    start_reader(socket)?;
    let reconnect_to = options
        .server
        .clone()
        .filter(|_| mode.interactive || options.reconnect);

    {
        let (link, state, events) = (Arc::clone(&link), Arc::clone(&state), events.clone());
        ctrlc::set_handler(move || interrupt(&link, &state, &events)).map_err(io::Error::other)?;
    }

    let stop_editor = Arc::new(AtomicBool::new(false));
    // Dropped when the keyboard thread ends, however it ends: the main thread waits for that.
    let (keyboard_alive, keyboard_ended) = crossbeam_channel::bounded::<()>(0);
    {
        let screen = Arc::clone(&screen);
        let stop = Arc::clone(&stop_editor);
        let (state, link) = (Arc::clone(&state), Arc::clone(&link));
        thread::Builder::new()
            .name("keyboard".into())
            .spawn(move || {
                let _alive = keyboard_alive;
                let input: Box<dyn LineSource> = if mode.interactive {
                    Box::new(LineEditor::new(Arc::clone(&state), printer, stop, palette))
                } else {
                    Box::new(Piped(io::BufReader::new(io::stdin())))
                };
                Keyboard {
                    input,
                    link,
                    state,
                    screen,
                    registration: registration_rx,
                    preset_name,
                    events,
                    connect_sent: Default::default(),
                }
                .run();
            })?;
    }

    // False once the connection is gone for good and no reader runs (Ctrl+C while reconnecting).
    let mut connected = true;
    let first = loop {
        let event = event_rx.recv();
        let lost = matches!(
            event,
            Ok(Event::Disconnected {
                expected: false,
                ..
            })
        );
        let registered = {
            let state = state.lock();
            state.name.clone().or_else(|| state.rejoining.clone())
        };
        let (Some((host, port)), true, Some(name)) = (&reconnect_to, lost, registered) else {
            break event;
        };
        match reconnect(host, *port, &name, &state, &link, &screen, &event_rx) {
            Reconnect::Back(socket) => start_reader(socket)?,
            Reconnect::Interrupted => {
                connected = false;
                break Ok(Event::Interrupted);
            }
            // "the server did not come back" is on screen; how the first connection broke
            // (a reset, say) is no longer the news.
            Reconnect::GaveUp => {
                break Ok(Event::Disconnected {
                    expected: false,
                    broken: None,
                })
            }
        }
    };
    // The client ends: a line typed meanwhile, waiting for the name to be taken back after a
    // reconnect, is not sent.
    state.lock().closing = true;
    let (outcome, last_words) = match first {
        Ok(Event::Disconnected { expected: true, .. }) => (Outcome::Done, None),
        Ok(Event::Disconnected {
            expected: false,
            broken: Some(kind),
        }) => (
            Outcome::Failed,
            Some(format!("lost the connection to the server ({kind})")),
        ),
        Ok(Event::Disconnected {
            expected: false, ..
        })
        | Err(_) => (
            Outcome::Failed,
            Some("lost the connection to the server".to_string()),
        ),
        Ok(Event::TurnedAway) => (Outcome::Failed, None),
        Ok(Event::RejoinRefused(text)) => (Outcome::Failed, Some(text)),
        Ok(Event::NameRefused(reason)) => (
            Outcome::Failed,
            Some(format!("{reason}; try again with another --name")),
        ),
        Ok(Event::Interrupted) => {
            // Let the server's goodbye arrive so the close is clean, but do not linger; with
            // no connection there is none to wait for.
            if connected {
                let _ = event_rx.recv_timeout(Duration::from_secs(1));
            }
            (Outcome::Done, None)
        }
    };
    if mode.interactive {
        // Give the terminal back before the last words, on every way out: the editor stops
        // at its next poll and restores the terminal; if its thread is stuck, do it here.
        stop_editor.store(true, Ordering::SeqCst);
        let _ = keyboard_ended.recv_timeout(EDITOR_STOP_WAIT);
        crate::terminal::line_editor::restore_terminal();
        screen.use_stdout();
    }
    if let Some(text) = last_words {
        screen.note(&text);
    }
    Ok(outcome)
}

/// How a reconnection attempt ended.
enum Reconnect {
    /// Connected again and the name was sent: a reader for this socket is needed.
    Back(TcpStream),
    /// Ctrl+C while waiting.
    Interrupted,
    /// The server did not come back within [`RECONNECT_FOR`].
    GaveUp,
}

/// The server went away: tries to connect again, waiting 0.5 s, then 1, 2, 4 and 8 s between
/// attempts, for at most [`RECONNECT_FOR`], and registers `name` again. Ctrl+C stops it at
/// once, during an attempt too (see [`attempt`]).
fn reconnect(
    host: &str,
    port: u16,
    name: &common::protocol::Name,
    state: &Mutex<State>,
    link: &Link,
    screen: &Screen,
    events: &crossbeam_channel::Receiver<Event>,
) -> Reconnect {
    screen.note(&format!(
        "lost the connection to the server; trying to reconnect for up to {} s (Ctrl+C stops)",
        RECONNECT_FOR.as_secs()
    ));
    {
        let mut state = state.lock();
        state.end_chat();
        // Not registered on the new connection until the server says so.
        state.name = None;
        state.rejoining = Some(name.clone());
    }
    let deadline = Instant::now() + RECONNECT_FOR;
    let mut wait = Duration::from_millis(500);
    loop {
        match attempt(host, port, deadline, events) {
            Attempt::Interrupted => return Reconnect::Interrupted,
            Attempt::Connected(socket) => {
                let _ = socket.set_nodelay(true);
                if let Ok(writer) = socket.try_clone() {
                    link.replace(writer);
                    if link.send_line(name.as_str()).is_ok() {
                        screen.note(&format!(
                            "connected again; registering as {name}; any chat you were in has ended"
                        ));
                        return Reconnect::Back(socket);
                    }
                }
            }
            Attempt::Failed => {}
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            screen.note("the server did not come back");
            return Reconnect::GaveUp;
        }
        if let Ok(Event::Interrupted) = events.recv_timeout(wait.min(left)) {
            return Reconnect::Interrupted;
        }
        wait = (wait * 2).min(Duration::from_secs(8));
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
fn attempt(
    host: &str,
    port: u16,
    deadline: Instant,
    events: &crossbeam_channel::Receiver<Event>,
) -> Attempt {
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
        // `events` never disconnects: the Ctrl+C handler keeps a sender for good.
        crossbeam_channel::select! {
            recv(events) -> event => {
                if let Ok(Event::Interrupted) = event {
                    return Attempt::Interrupted;
                }
            }
            recv(result) -> socket => {
                // A Ctrl+C that came as the attempt ended wins over its outcome.
                if events.try_iter().any(|event| event == Event::Interrupted) {
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

/// Ctrl+C: close, which also ends the chat, and tell the main thread. Shared by the SIGINT
/// handler and the line editor (which sees Ctrl+C as a key). Only `close` is sent, not
/// `goodbye` first: the partner is told "alice disconnected; the chat is over", which is what
/// happened, rather than "alice ended the chat" (which promises she is still there). Before a
/// name is accepted it only hangs up: the server would take a `close` line as the name `close`.
pub fn interrupt(link: &Link, state: &Mutex<State>, events: &Sender<Event>) {
    let registered = {
        let mut state = state.lock();
        state.closing = true;
        state.name.is_some()
    };
    if registered {
        let _ = link.send(&Command::Close);
    }
    link.finish();
    let _ = events.send(Event::Interrupted);
}
