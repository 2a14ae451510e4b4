//! The client's main thread: starts the reader and keyboard threads, waits for the connection
//! to end (connecting again if it was lost), then gives the terminal back and says why it ended.

use crate::chat::event::{interrupt, Ending};
use crate::chat::keyboard::Keyboard;
use crate::chat::link::Link;
use crate::chat::prompt::ChatPrompt;
use crate::chat::reader::Incoming;
use crate::chat::reconnect::{Reconnect, Reconnector};
use crate::chat::state::{Shared, State};
use crate::chat::trust::Trust;
use crate::server_pin::ServerCheck;
use crate::terminal::input::{LineSource, Piped};
use crate::terminal::line_editor::{self, LineEditor};
use crate::terminal::screen::Screen;
use crate::terminal::style::{Console, Palette};
use common::identity::{Identity, Pins};
use crossbeam_channel::{Receiver, Sender};
use std::io;
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// How the client ended, as the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Closed normally, by the person or by the server's shutdown: exit 0.
    Done,
    /// The connection was lost, or the person never got in (name refused, server full, no
    /// name in time): exit 1.
    Failed,
}

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
    /// What the server must prove on every connection (the pins, `--server-key`); `None`
    /// checks nothing.
    pub server_check: Option<Arc<parking_lot::Mutex<ServerCheck>>>,
    /// `--timestamps`: the local time (`HH:MM`) before each chat line.
    pub timestamps: bool,
    /// Our long-term identity, proved to partners that have one too (see
    /// [`crate::chat::trust`]); `None` runs the client without one, as an older client.
    pub identity: Option<Arc<Identity>>,
    /// The file of partners' pinned identities (`$XDG_CONFIG_HOME/labchat/partners`).
    pub partners: Option<PathBuf>,
}

/// How long the main thread waits for the line editor to give the terminal back before
/// restoring it itself.
const EDITOR_STOP_WAIT: Duration = Duration::from_secs(2);

/// Chats over `socket` with the person at stdin/stdout until they close, press Ctrl+C, or the
/// server goes away. At a terminal (see [`Console::detect`]) with a line editor, else plainly.
///
/// # Errors
/// Setting up the threads or the Ctrl+C handler failed.
pub fn run(socket: TcpStream, options: Options) -> io::Result<Outcome> {
    run_in(Console::detect(), socket, options)
}

/// [`run`] at a given console: start the threads, follow the connection, finish.
fn run_in(console: Console, socket: TcpStream, options: Options) -> io::Result<Outcome> {
    let mut client = Client::start(console, socket, options)?;
    let ending = client.follow()?;
    Ok(client.finish(ending))
}

/// The main thread's view of a running client.
struct Client {
    console: Console,
    state: Arc<Shared>,
    link: Arc<Link>,
    screen: Arc<Screen>,
    /// Where the threads say how the connection ended.
    endings: Receiver<Ending>,
    /// Kept to start a reader for each new connection.
    ending_sender: Sender<Ending>,
    registration: Sender<crate::chat::reader::Registration>,
    /// Connects again when the connection is lost, if the client does.
    reconnector: Option<Reconnector>,
    /// Disconnected when the keyboard thread has ended, however it ended.
    keyboard_ended: Receiver<()>,
    /// False once the connection is gone for good and no reader runs (Ctrl+C while
    /// reconnecting).
    connected: bool,
}

impl Client {
    /// Starts the reader on `socket`, the Ctrl+C handler and the keyboard.
    fn start(console: Console, socket: TcpStream, options: Options) -> io::Result<Client> {
        let mut state = State::new(options.allow_toy_group, options.explain);
        state.preset_name = options.name.is_some();
        if let (Some(me), Some(partners)) = (&options.identity, &options.partners) {
            let pins = Pins::load(partners).map_err(io::Error::other)?;
            state = state.with_identity(Arc::clone(me), Trust::new(pins));
        }
        state.server_check = options.server_check.clone();
        // The first line on every connection: the server proves its key, if it has one.
        let (awaiting, hello) = crate::chat::server_proof::ask();
        state.server_proof = awaiting;
        let state = Arc::new(Shared::new(state));
        let link = Arc::new(Link::new(socket.try_clone()?)?);
        link.send_line(&hello)?;
        let palette = Palette::new(console.colour);
        let (screen, feed) = if console.interactive {
            let (screen, feed) = Screen::terminal(palette);
            (screen, Some(feed))
        } else {
            (Screen::plain(), None)
        };
        let mut screen = screen;
        screen.set_timestamps(options.timestamps);
        let screen = Arc::new(screen);
        let (ending_sender, endings) = crossbeam_channel::unbounded();
        let (registration, registration_rx) = crossbeam_channel::unbounded();
        let reconnector = options
            .server
            .clone()
            .filter(|_| console.interactive || options.reconnect)
            .map(|(host, port)| Reconnector::new(host, port));
        {
            let (link, state, endings) =
                (Arc::clone(&link), Arc::clone(&state), ending_sender.clone());
            ctrlc::set_handler(move || interrupt(&link, &state, &endings))
                .map_err(io::Error::other)?;
        }
        // Dropped when the keyboard thread ends, however it ends: the main thread waits for that.
        let (keyboard_alive, keyboard_ended) = crossbeam_channel::bounded::<()>(0);
        let client = Client {
            console,
            state,
            link,
            screen,
            endings,
            ending_sender,
            registration,
            reconnector,
            keyboard_ended,
            connected: true,
        };
        client.start_reader(socket)?;
        let (link, state, screen, endings) = (
            Arc::clone(&client.link),
            Arc::clone(&client.state),
            Arc::clone(&client.screen),
            client.ending_sender.clone(),
        );
        thread::Builder::new()
            .name("keyboard".into())
            .spawn(move || {
                let _alive = keyboard_alive;
                let input: Box<dyn LineSource> = match feed {
                    Some(feed) => {
                        let chat = Box::new(ChatPrompt(Arc::clone(&state)));
                        Box::new(LineEditor::new(chat, feed, palette))
                    }
                    None => Box::new(Piped(io::BufReader::new(io::stdin()))),
                };
                Keyboard {
                    input,
                    link,
                    state,
                    screen,
                    registration: registration_rx,
                    preset_name: options.name,
                    endings,
                    connect_sent: Default::default(),
                }
                .run();
            })?;
        Ok(client)
    }

    /// Starts a reader thread for `socket`.
    fn start_reader(&self, socket: TcpStream) -> io::Result<()> {
        let incoming = Incoming {
            socket,
            state: Arc::clone(&self.state),
            screen: Arc::clone(&self.screen),
            link: Arc::clone(&self.link),
            registration: self.registration.clone(),
            endings: self.ending_sender.clone(),
            status: None,
            senders: Default::default(),
        };
        thread::Builder::new()
            .name("reader".into())
            .spawn(move || incoming.run())
            .map(|_| ())
    }

    /// Waits for the connection to end, connecting again each time it is lost while
    /// registered (if the client reconnects); returns how it ended for good.
    fn follow(&mut self) -> io::Result<Option<Ending>> {
        loop {
            let ending = self.endings.recv().ok();
            let lost = matches!(
                ending,
                Some(Ending::Disconnected {
                    expected: false,
                    ..
                })
            );
            let registered = {
                let state = self.state.lock();
                state.name.clone().or_else(|| state.rejoining.clone())
            };
            let (Some(reconnector), true, Some(name)) = (&mut self.reconnector, lost, registered)
            else {
                return Ok(ending);
            };
            match reconnector.again(&name, &self.state, &self.link, &self.screen, &self.endings) {
                Reconnect::Back(socket) => self.start_reader(socket)?,
                Reconnect::Interrupted => {
                    self.connected = false;
                    return Ok(Some(Ending::Interrupted));
                }
                // "the server did not come back" is on screen; how the first connection broke
                // (a reset, say) is no longer the news.
                Reconnect::GaveUp => {
                    return Ok(Some(Ending::Disconnected {
                        expected: false,
                        broken: None,
                    }))
                }
            }
        }
    }

    /// The client ends: gives the terminal back and says why, if the person must be told.
    fn finish(self, ending: Option<Ending>) -> Outcome {
        // A line typed meanwhile, waiting for the name to be taken back after a reconnect, is
        // not sent.
        self.state.lock().closing = true;
        self.state.nudge();
        let (outcome, last_words) = self.judge(ending);
        if self.console.interactive {
            // Give the terminal back before the last words, on every way out: the editor
            // stops at once and restores the terminal; if its thread is stuck, do it here.
            self.screen.stop_editor();
            let _ = self.keyboard_ended.recv_timeout(EDITOR_STOP_WAIT);
            line_editor::restore_terminal();
            self.screen.use_stdout();
        }
        if let Some(text) = last_words {
            // One note per paragraph: each is wrapped to the terminal.
            for line in text.lines() {
                self.screen.note(line);
            }
        }
        outcome
    }

    /// The exit code for `ending`, and the last words to say, if any.
    fn judge(&self, ending: Option<Ending>) -> (Outcome, Option<String>) {
        match ending {
            Some(Ending::Disconnected { expected: true, .. }) => (Outcome::Done, None),
            Some(Ending::Disconnected {
                expected: false,
                broken: Some(kind),
            }) => (
                Outcome::Failed,
                Some(format!("lost the connection to the server ({kind})")),
            ),
            Some(Ending::Disconnected {
                expected: false, ..
            })
            | None => (
                Outcome::Failed,
                Some("lost the connection to the server".to_string()),
            ),
            Some(Ending::TurnedAway) => (Outcome::Failed, None),
            Some(Ending::RejoinRefused(text) | Ending::ServerProofInvalid(text)) => {
                (Outcome::Failed, Some(text))
            }
            Some(Ending::NameRefused(words)) => (Outcome::Failed, Some(words)),
            Some(Ending::Interrupted) => {
                // Let the server's goodbye arrive so the close is clean, but do not linger;
                // with no connection there is none to wait for.
                if self.connected {
                    let _ = self.endings.recv_timeout(Duration::from_secs(1));
                }
                (Outcome::Done, None)
            }
        }
    }
}
