//! The writer thread: keyboard lines in, commands to the server out.
//!
//! The first lines are name proposals, sent as typed until the server accepts one. After that
//! each line is an [`Input`]: commands go out as commands, everything else as `msg <text>`, so
//! chat text that looks like a protocol line (`key_param 12`) stays chat text.

use crate::chat::event::Ending;
use crate::chat::keys::{
    KeyUnavailable, NotSealed, BARE_WARNING, KEY_EXCHANGE_PATIENCE, TOY_WARNING,
};
use crate::chat::link::Link;
use crate::chat::reader::Registration;
use crate::chat::server_proof::HELLO_PATIENCE;
use crate::chat::state::{Shared, State};
use crate::chat::trust::{Trust, TrustError, Verdict};
use crate::terminal::input::{LineSource, Typed};
use crate::terminal::screen::Screen;
use common::escape::escape_for_terminal;
use common::input::Input;
use common::limits::MAX_LINE_LEN;
use common::protocol::{Command, Name};
use crossbeam_channel::{Receiver, Sender};
use std::cell::Cell;
use std::sync::Arc;
use std::time::Duration;

/// Everything the keyboard thread needs.
pub struct Keyboard<S> {
    /// Typed lines: a pipe or the line editor.
    pub input: S,
    /// Where commands go.
    pub link: Arc<Link>,
    /// Shared situation.
    pub state: Arc<Shared>,
    /// Output for the client's own notes.
    pub screen: Arc<Screen>,
    /// Registration outcomes from the reader thread.
    pub registration: Receiver<Registration>,
    /// A name given on the command line: register with it, and give up if it is refused.
    pub preset_name: Option<String>,
    /// Where a fatal refusal is reported (to the main thread).
    pub endings: Sender<Ending>,
    /// [`State::chat_changes`] when the last `connect` was sent (piped mode waits on it).
    pub connect_sent: Cell<Option<u64>>,
}

/// How long piped mode waits for the server's answers before answering a line itself.
const REPLY_PATIENCE: Duration = Duration::from_secs(2);

/// How long a typed line waits, after a reconnect, for the server to take the name back.
const REJOIN_PATIENCE: Duration = Duration::from_secs(5);

/// Where the name sent again after a reconnect stands, for a typed line about to go out.
enum Rejoin {
    /// Registered (no reconnect under way, or the name was taken back): the line may go.
    Registered,
    /// The client is ending (the name was refused, Ctrl+C, the reconnect gave up): send
    /// nothing.
    Ending,
    /// No answer within [`REJOIN_PATIENCE`]: still reconnecting as this name.
    Pending(Name),
}

/// The local answer to `help`.
pub const HELP: [&str; 13] = [
    "Commands:",
    "  status            list every user, BUSY or FREE",
    "  connect <user>    start a chat with a FREE user",
    "  <any text>        send a message to your partner",
    "  secure: <text>    send your partner an end-to-end encrypted message",
    "  verify            show the safety code of this chat's key again, and your partner's pin",
    "  trust             after comparing the code: remember your partner's identity (later chats say verified)",
    "  forget <user>     forget the identity you trusted for that user (also: untrust <user>)",
    "  goodbye           end the current chat",
    "  close             disconnect and quit (also Ctrl+D or Ctrl+C)",
    "  help              this list",
    "Commands work in any case (STATUS, Goodbye, Secure:).",
    "client --timestamps puts the time (HH:MM) before each message.",
];

/// Where the second column of [`HELP`] starts: at a terminal, a row too long for it is
/// broken with its later rows lined up there.
pub const HELP_COLUMN: usize = 20;

/// Why the keyboard stopped reading.
enum Stop {
    /// `close`, end of input or Ctrl+D once registered: send `close` (while reconnecting,
    /// leave as Ctrl+C does).
    Close,
    /// Before a name was accepted (Ctrl+C, Ctrl+D, `close`, a refused `--name`): hang up
    /// without a word, since the server would take any line, `close` too, as the name.
    Leave,
    /// Ctrl+C: end the chat and close, as the SIGINT handler does.
    Interrupt,
    /// The client is exiting anyway: send nothing more.
    Exiting,
}

impl<S: LineSource> Keyboard<S> {
    /// Registers, then forwards typed lines until `close`, end of input or Ctrl+C, and says
    /// goodbye accordingly. Then the screen writes to stdout directly and the line source is
    /// dropped.
    pub fn run(mut self) {
        let stop = self.converse();
        // Reconnecting, the server would take `close` for a name, and the main thread waits
        // for Ctrl+C, not for the keyboard: leave as Ctrl+C does.
        let rejoining = self.state.lock().rejoining.is_some();
        match stop {
            Stop::Close if rejoining => {
                crate::chat::event::interrupt(&self.link, &self.state, &self.endings)
            }
            Stop::Close => {
                self.state.lock().closing = true;
                let _ = self.link.send(&Command::Close);
                self.link.finish();
            }
            Stop::Leave => {
                self.state.lock().closing = true;
                self.link.finish();
            }
            Stop::Interrupt => {
                crate::chat::event::interrupt(&self.link, &self.state, &self.endings)
            }
            Stop::Exiting => {}
        }
        // The editor has stopped reading; what it did not print is printed now, before it goes.
        self.screen.use_stdout();
        drop(self.input);
    }

    fn converse(&mut self) -> Stop {
        if let Err(stop) = self.register() {
            return stop;
        }
        loop {
            match self.input.next() {
                Typed::Line(line) => {
                    if !self.handle(&line) {
                        return Stop::Close;
                    }
                }
                Typed::End => return Stop::Close,
                Typed::Interrupt => return Stop::Interrupt,
                Typed::Stopped => return Stop::Exiting,
            }
        }
    }

    /// Proposes names until one is accepted. `Err` if input ended, Ctrl+C was pressed, `close`
    /// was typed, or a preset name was refused.
    ///
    /// A client that never got in exits 1 (README, "Exit codes"): a refused `--name`, and in
    /// piped mode the end of input before a name was accepted (a script's name was refused,
    /// or it sent none). At a terminal Ctrl+D at the `name>` prompt is the person leaving: 0.
    fn register(&mut self) -> Result<(), Stop> {
        let preset = self.preset_name.is_some();
        let again = "try again with another --name";
        // Why the last name proposed was refused, if it was.
        let mut refused: Option<String> = None;
        loop {
            let name = match self.preset_name.take() {
                Some(name) => name,
                None => match self.input.next() {
                    Typed::Line(line) => line,
                    Typed::End if !self.screen.interactive() => {
                        let words = match refused {
                            Some(reason) => format!(
                                "{reason}, and the input ended before the server accepted a name"
                            ),
                            None => "the input ended before a name was sent; give one as the \
                                     first line or with --name"
                                .to_string(),
                        };
                        let _ = self.endings.send(Ending::NameRefused(words));
                        return Err(Stop::Leave);
                    }
                    Typed::End => return Err(Stop::Leave),
                    Typed::Interrupt => return Err(Stop::Leave),
                    Typed::Stopped => return Err(Stop::Exiting),
                },
            };
            if let Some(word) = command_word(&name) {
                if word == "close" {
                    return Err(Stop::Leave);
                }
                let reason =
                    format!("{word} is a command word, not a name; type the name you want");
                if preset {
                    let _ = self
                        .endings
                        .send(Ending::NameRefused(format!("{reason}; {again}")));
                    return Err(Stop::Leave);
                }
                self.screen.note(&reason);
                refused = Some(format!("{word} is a command word, not a name"));
                continue;
            }
            // The server's proof comes first, so that whoever acts on it can do so before
            // the name goes out (an older server answers at once too, with a refusal).
            self.state
                .wait_until(HELLO_PATIENCE, |state| !state.server_proof.is_awaiting());
            if self.link.send_line(name.trim()).is_err() {
                return Err(Stop::Close);
            }
            match self.registration.recv() {
                Ok(Registration::Accepted) => return Ok(()),
                Ok(Registration::Refused { reason, .. }) if preset => {
                    let _ = self
                        .endings
                        .send(Ending::NameRefused(format!("{reason}; {again}")));
                    return Err(Stop::Leave);
                }
                Ok(Registration::Refused { notice, reason }) => {
                    self.screen.notice(&escape_for_terminal(&notice));
                    refused = Some(reason);
                }
                Err(_) => return Err(Stop::Close),
            }
        }
    }

    /// Acts on one typed line. False when the person asked to close.
    fn handle(&self, line: &str) -> bool {
        let input = Input::parse(line);
        let local = matches!(
            input,
            Input::Help
                | Input::Verify
                | Input::Trust
                | Input::Forget(_)
                | Input::Secure(_)
                | Input::Connect(_)
                | Input::Incomplete(_)
        );
        if local && !self.screen.interactive() {
            self.wait_for_replies();
        }
        let command = match input {
            Input::Status => Command::Status,
            Input::Connect(user) => Command::Connect(user),
            Input::Goodbye => Command::Goodbye,
            Input::Close => return false,
            Input::Help => {
                for line in HELP {
                    self.screen.note_row(line, HELP_COLUMN);
                }
                return true;
            }
            Input::Verify => {
                if !self.screen.interactive() {
                    self.wait_for_key();
                }
                self.verify();
                return true;
            }
            Input::Trust => {
                if !self.screen.interactive() {
                    self.wait_for_key();
                }
                self.trust();
                return true;
            }
            Input::Forget(name) => {
                self.forget(&name);
                return true;
            }
            Input::Incomplete(usage) => {
                self.screen.note(&usage.to_string());
                return true;
            }
            Input::Secure(text) => match self.seal(&text) {
                Ok(command) => command,
                Err(reason) => {
                    self.screen.note(&format!("{reason}; nothing was sent"));
                    return true;
                }
            },
            Input::Message(text) if text.trim().is_empty() => return true,
            // The server decides whether we are in a chat: our own view may be a moment old.
            Input::Message(text) => Command::Message(text),
        };
        let line = command.to_string();
        if line.len() > MAX_LINE_LEN {
            self.screen.note(&format!(
                "that line is too long ({} bytes on the wire, at most {MAX_LINE_LEN}); nothing was sent",
                line.len()
            ));
            return true;
        }
        match self.wait_for_rejoin() {
            Rejoin::Registered => {}
            Rejoin::Ending => return true,
            Rejoin::Pending(name) => {
                self.screen.note(&format!(
                    "not sent: still reconnecting as {name}; type it again once the server has welcomed you back"
                ));
                return true;
            }
        }
        if let Command::Connect(_) = command {
            self.connect_sent.set(Some(self.state.lock().chat_changes));
        }
        let answered = matches!(
            command,
            Command::Status | Command::Connect(_) | Command::Goodbye
        );
        if answered && !self.screen.interactive() {
            self.state.lock().awaiting_replies += 1;
        }
        if self.link.send_line(&line).is_err() {
            // The connection is down: the main thread reconnects or ends the client.
            self.screen
                .note("not sent: there is no connection to the server right now");
        } else if matches!(command, Command::Secure(_)) && self.screen.interactive() {
            // The typed line on screen looks like any other: say it went out sealed. (Piped
            // output stays as scripts know it.)
            let partner = self.state.lock().partner.clone();
            if let Some(partner) = partner {
                self.screen
                    .note(&format!("sealed and sent: only {partner} can read it"));
            }
        }
        true
    }

    /// After a reconnect the name is sent again, and until the server answers it takes any
    /// line for the next name proposal: a typed line waits (at most [`REJOIN_PATIENCE`]) for
    /// that answer.
    fn wait_for_rejoin(&self) -> Rejoin {
        // A refusal leaves `rejoining` set; the main thread, ending the client, sets `closing`.
        self.wait_until(REJOIN_PATIENCE, |state| {
            state.rejoining.is_none() || state.closing
        });
        let state = self.state.lock();
        match &state.rejoining {
            None => Rejoin::Registered,
            Some(_) if state.closing => Rejoin::Ending,
            Some(name) => Rejoin::Pending(name.clone()),
        }
    }

    /// In piped mode, before the client answers a line itself (`help`, `verify`, a refused
    /// `secure:`), it waits (at most [`REPLY_PATIENCE`]) for the server's answers to the
    /// commands sent before it, so that a script's output follows its input's order.
    fn wait_for_replies(&self) {
        self.wait_until(REPLY_PATIENCE, |state| state.awaiting_replies == 0);
    }

    /// Sleeps until `done` holds or `patience` has passed: the reader thread wakes it when it
    /// changes the state.
    fn wait_until(&self, patience: Duration, done: impl Fn(&State) -> bool) {
        self.state.wait_until(patience, done);
    }

    /// Seals `text` for the partner, or says why it cannot be sent securely.
    fn seal(&self, text: &str) -> Result<Command, NotSealed> {
        if !self.screen.interactive() {
            self.wait_for_key();
        }
        let mut state = self.state.lock();
        if state.secure_held() {
            let partner = state
                .partner
                .as_ref()
                .map_or_else(|| "your partner".to_string(), ToString::to_string);
            let proved = state
                .trust
                .as_ref()
                .and_then(Trust::current)
                .and_then(Verdict::key)
                .is_some();
            return Err(if proved {
                NotSealed::Held(partner)
            } else {
                NotSealed::HeldNoIdentity(partner)
            });
        }
        let toy = state.keys.is_toy();
        let explain = state.keys.explains();
        let (sealed, explained) = match state.keys.session_mut() {
            Some(session) => {
                let sealed = session.seal(text)?;
                let explained = if explain {
                    crate::chat::explain::message(session.send_keys(), &sealed, true)
                } else {
                    Vec::new()
                };
                (sealed, explained)
            }
            None => {
                return Err(state
                    .keys
                    .unavailable()
                    .unwrap_or(KeyUnavailable::NoChat)
                    .into())
            }
        };
        drop(state);
        for line in explained {
            self.screen.explain(&line);
        }
        if toy {
            self.screen
                .note("sent with the toy group: anyone watching can read it");
        }
        Ok(Command::Secure(sealed))
    }

    /// In piped mode, a `secure:` or `verify` line right after `connect` waits (at most
    /// [`KEY_EXCHANGE_PATIENCE`]) for the chat to start and its key to be agreed: a script
    /// cannot watch for the key note the way a person does, and was always refused.
    fn wait_for_key(&self) {
        let connect_sent = self.connect_sent.get();
        self.wait_until(KEY_EXCHANGE_PATIENCE, |state| {
            let connecting = connect_sent == Some(state.chat_changes);
            // In a chat whose key is not agreed yet: GEN_KEYS may still be on its way, or the
            // exchange under way.
            let agreeing = state.partner.is_some() && !state.keys.failed() && !state.keys.overdue();
            state.keys.session().is_some() || !(connecting || agreeing)
        });
    }

    /// `trust`: pins the partner's identity, once the person compared the code.
    fn trust(&self) {
        let said = {
            let mut state = self.state.lock();
            let agreed = state.keys.session().is_some();
            match (&mut state.trust, agreed) {
                (None, _) => "this client has no identity (start it without errors about --identity to use trust)".to_string(),
                (Some(_), false) => TrustError::NoChat.to_string(),
                (Some(trust), true) => match trust.trust_current() {
                    Ok((name, key)) => format!(
                        "you trust {name}'s identity {} from now on: your next chats with {name} say verified, with nothing to compare",
                        key.fingerprint()
                    ),
                    Err(err) => err.to_string(),
                },
            }
        };
        self.screen.note(&said);
    }

    /// `forget <name>`: removes its pin.
    fn forget(&self, name: &str) {
        let said = {
            let mut state = self.state.lock();
            match state.trust.as_mut().map(|trust| trust.forget(name)) {
                None => "this client has no identity, so nothing is trusted".to_string(),
                Some(Ok(true)) => format!(
                    "forgot the identity you trusted for {name}: your next chat with {name} has a code to compare again"
                ),
                Some(Ok(false)) => format!("you had not trusted an identity for {name}"),
                Some(Err(err)) => err.to_string(),
            }
        };
        self.screen.note(&said);
    }

    /// Shows the chat's safety code, or why there is none. The lines are made under the lock
    /// and shown after it: in piped mode showing is a write to stdout, which may block, and
    /// the reader thread and the Ctrl+C handler need the state meanwhile.
    fn verify(&self) {
        let lines = {
            let state = self.state.lock();
            match (state.keys.session(), &state.partner) {
                (Some(session), Some(partner)) => {
                    let mut lines = vec![format!(
                        "safety code of this chat with {partner}: {} (it must match the code {partner} sees)",
                        session.safety_code()
                    )];
                    if let Some(line) = state
                        .trust
                        .as_ref()
                        .map(|trust| pin_line(trust, partner.as_str()))
                    {
                        lines.push(line);
                    }
                    if let Some(me) = state.keys.identity() {
                        lines.push(format!("your own identity: {}", me.public().fingerprint()));
                    }
                    if !session.code_is_sound() {
                        lines.push(TOY_WARNING.to_string());
                    }
                    if !session.is_committed() {
                        lines.push(BARE_WARNING.to_string());
                    }
                    lines
                }
                _ => vec![state
                    .keys
                    .unavailable()
                    .unwrap_or(KeyUnavailable::NoChat)
                    .to_string()],
            }
        };
        for line in lines {
            self.screen.note(&line);
        }
    }
}

/// What `verify` says about the partner's pin.
fn pin_line(trust: &Trust, partner: &str) -> String {
    let pinned = trust.pin(partner);
    match (trust.current(), pinned) {
        (Some(Verdict::Verified { .. }), Some(pin)) => format!(
            "{partner} is verified: you trusted identity {} on {}",
            pin.key.fingerprint(),
            pin.date
        ),
        (Some(Verdict::Changed { now: Some(_), .. }), _) => format!(
            "WARNING: {partner}'s identity changed, and secure: to {partner} is held: compare the safety code with {partner}, then type trust"
        ),
        (Some(Verdict::Changed { now: None, .. }), _) => format!(
            "WARNING: {partner}'s identity changed, and secure: to {partner} is held: this chat proves no identity, so there is nothing to trust; type forget {partner} only once you are sure it is {partner}"
        ),
        (Some(Verdict::New(key)), _) => format!(
            "{partner} proved identity {}, which you have not trusted yet: once your codes match, type trust",
            key.fingerprint()
        ),
        (Some(Verdict::NoIdentity), _) => {
            format!("{partner} is not verified: this chat proves no identity ({partner}'s client has none, or someone in the middle left it out)")
        }
        (_, Some(pin)) => format!(
            "you trusted identity {} for {partner} on {}",
            pin.key.fingerprint(),
            pin.date
        ),
        (_, None) => format!("you have not trusted an identity for {partner}"),
    }
}

/// The command word a proposed name would be (`help`, `status`, `close`, `secure:` ...), if it
/// is one: such a line is never sent as a name, since the person meant the command.
fn command_word(name: &str) -> Option<&'static str> {
    Some(match Input::parse(name) {
        Input::Message(_) => return None,
        Input::Status => "status",
        Input::Connect(_) => "connect",
        Input::Goodbye => "goodbye",
        Input::Close => "close",
        Input::Help => "help",
        Input::Verify => "verify",
        Input::Trust => "trust",
        Input::Forget(_) => "forget",
        Input::Secure(_) => "secure:",
        Input::Incomplete(usage) => usage.word(),
    })
}

#[cfg(test)]
mod tests {
    use super::command_word;

    /// Command words are caught before they reach the server as names; names are not.
    #[test]
    fn command_words_are_not_names() {
        for (typed, word) in [
            ("help", Some("help")),
            (" status ", Some("status")),
            ("close", Some("close")),
            ("connect bob", Some("connect")),
            ("secure: x", Some("secure:")),
            ("verify", Some("verify")),
            ("goodbye", Some("goodbye")),
            ("alice", None),
            ("helper", None),
        ] {
            assert_eq!(command_word(typed), word, "{typed:?}");
        }
    }
}
