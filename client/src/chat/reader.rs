//! The reader thread: server lines in, screen lines out.
//!
//! Every line is parsed into a [`ServerLine`] and shown with peer-written text escaped, so a
//! partner cannot clear our screen or forge a `(server):` line with terminal tricks. Notices that
//! change our situation (registered, connected, chat over) update the shared [`State`](crate::chat::state::State).
//!
//! At a terminal the rows of a `status` answer are gathered and shown as one aligned table
//! (see [`crate::terminal::status`]); in piped mode they are printed as the server sent them.

use crate::chat::event::Ending;
use crate::chat::explain;
use crate::chat::keys::{
    KeyStep, KeyUnavailable, BARE_WARNING, KEY_EXCHANGE_PATIENCE, TOY_MARK, TOY_WARNING,
};
use crate::chat::link::Link;
use crate::chat::server_proof::{self, ServerProof};
use crate::chat::state::{restart_warning, Shared};
use crate::chat::trust::{Expected, Verdict};
use crate::terminal::screen::Screen;
use crate::terminal::status::{self, StatusRows};
use crate::terminal::style::Tone;
use common::escape::escape_for_terminal;
use common::exchange::Names;
use common::identity::{PublicKey, Signature};
use common::line_reader::{Fill, LineReader};
use common::protocol::{Name, Notice, Senders, ServerLine};
use crossbeam_channel::Sender;
use std::net::TcpStream;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// The mark after every secure line from a partner whose identity changed (not yet trusted).
pub const CHANGED_MARK: &str = "[identity changed: not verified]";

/// What the person is told when a chat's key is agreed: the code, and what the partner's
/// identity (judged by [`crate::chat::trust`]) means for it.
pub fn agreed_lines(
    partner: &str,
    code: &str,
    sound: bool,
    verdict: Option<&Verdict>,
) -> Vec<String> {
    let ready = format!("secure messages to {partner} are ready; safety code {code}");
    let mut lines = match verdict {
        Some(Verdict::Verified { since }) if sound => vec![format!(
            "{ready} ({partner} is verified: the identity you trusted on {since}; nothing to compare)"
        )],
        Some(Verdict::Verified { since }) => vec![format!(
            "{ready} ({partner} is verified: the identity you trusted on {since}; but this toy-group chat is readable by anyone watching)"
        )],
        Some(Verdict::Changed { now, expected }) => {
            let was = match expected {
                Expected::Pinned(key, since) => {
                    format!("you trusted identity {} on {since}", key.fingerprint())
                }
                Expected::SeenEarlier(key) => format!(
                    "earlier in this run of the client {partner} proved identity {}",
                    key.fingerprint()
                ),
            };
            let is = match now {
                Some(key) => format!("this chat proves identity {}", key.fingerprint()),
                None => "this chat proves no identity at all (an older client, or someone in the middle who cannot prove it)".to_string(),
            };
            let fix = match now {
                Some(_) => format!("until you compare the new safety code {code} with {partner} (in person or by phone) and type trust"),
                None => format!("until you are sure it is {partner} and type forget {partner}"),
            };
            vec![format!(
                "WARNING: {partner}'s identity changed: {was}, and {is}. It may be someone in the middle, or {partner} on a new machine or with a new key. secure: to {partner} is held (nothing is sealed to them) {fix}"
            )]
        }
        Some(Verdict::New(_)) => vec![format!(
            "{ready} (compare it with {partner}; type verify to see it again; once they match, type trust and your next chats with {partner} are verified)"
        )],
        Some(Verdict::NoIdentity) => vec![format!(
            "{ready} (compare it with {partner}; type verify to see it again; {partner} is not verified: this chat proves no identity ({partner}'s client has none, or someone in the middle left it out))"
        )],
        None => vec![format!(
            "{ready} (compare it with {partner}; type verify to see it again)"
        )],
    };
    if !sound {
        lines.push(TOY_WARNING.to_string());
    }
    lines
}

/// How long the server may say nothing after the connection is made before the person is told.
pub const SERVER_SILENCE: Duration = Duration::from_secs(5);

/// The server's welcome, as shown when the client sends the name itself: the rest of it
/// (`Please enter your user name:`) asks for what nobody has to type.
pub const WELCOME: &str = "Welcome to labchat!";

/// The outcome of one name we proposed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registration {
    /// The server accepted the name.
    Accepted,
    /// The server refused it.
    Refused {
        /// The server's notice, which asks for another name: shown when the person is at
        /// the `name>` prompt.
        notice: String,
        /// Why, in a few words (`the name 'alice' is already taken`): the last words of a
        /// client whose `--name` was refused.
        reason: String,
    },
}

/// Everything the reader thread needs.
pub struct Incoming {
    /// The connection's read half.
    pub socket: TcpStream,
    /// Shared situation.
    pub state: Arc<Shared>,
    /// Output.
    pub screen: Arc<Screen>,
    /// Where our `key_param` goes.
    pub link: Arc<Link>,
    /// Where registration outcomes go (to the keyboard thread).
    pub registration: Sender<Registration>,
    /// Where the end of the connection is reported (to the main thread).
    pub endings: Sender<Ending>,
    /// A `status` answer being gathered into a table (terminal only).
    pub status: Option<StatusRows>,
    /// The last sender's name, read once for a run of lines from one partner.
    pub senders: Senders,
}

impl Incoming {
    /// Reads until the server closes the connection, then reports [`Ending::Disconnected`] (or
    /// [`Ending::TurnedAway`]).
    pub fn run(mut self) {
        let mut lines = LineReader::new(4 * 1024, 64 * 1024);
        let mut broken = None;
        // Dropped at the first line: until then a watcher waits to say the server is silent.
        let mut silence = Some(self.watch_silence());
        loop {
            match lines.fill(&mut self.socket) {
                Fill::Data | Fill::TimedOut => {}
                Fill::Closed => break,
                Fill::Broken(kind) => {
                    broken = Some(kind);
                    break;
                }
            }
            while let Some(line) = lines.next_line() {
                drop(silence.take());
                match line {
                    Ok(line) => self.handle(&line),
                    Err(err) => {
                        self.show_status();
                        self.screen
                            .note(&format!("the server sent a bad line: {err}"));
                    }
                }
                // What this line changed is on screen now: a typed line waiting for it may go.
                self.state.nudge();
            }
        }
        self.show_status();
        let state = self.state.lock();
        let event = if state.turned_away {
            Ending::TurnedAway
        } else {
            Ending::Disconnected {
                expected: state.closing || state.server_said_bye,
                broken,
            }
        };
        drop(state);
        self.state.nudge();
        let _ = self.endings.send(event);
    }

    fn handle(&mut self, line: &str) {
        if self.state.lock().server_refused {
            // Not the server expected: nothing it says is shown.
            return;
        }
        let parsed = ServerLine::parse_with(line, &mut self.senders);
        if let Some(rows) = &mut self.status {
            if let Ok(ServerLine::Notice(Notice::Status(entry))) = &parsed {
                if rows.push(entry.clone()) {
                    self.show_status();
                }
                return;
            }
            // The answer was cut short: show what came.
            self.show_status();
        }
        if let Ok(ServerLine::Notice(Notice::Registered(_))) = &parsed {
            // Registered with no answer to `hello` (it did not come in time): no proof is
            // coming, and that is checked before the welcome is shown.
            if self.state.lock().server_proof.is_awaiting() && !self.settle(ServerProof::NotOffered)
            {
                return;
            }
        }
        match parsed {
            Ok(ServerLine::Notice(Notice::ServerProof { key, signature })) => {
                self.server_proved(key, &signature);
            }
            Ok(ServerLine::Notice(Notice::NameInvalid(_)))
                if self.state.lock().server_proof.is_awaiting() =>
            {
                // An older server took our `hello` for a name: that is its answer.
                self.settle(ServerProof::NotOffered);
            }
            Ok(ServerLine::Notice(notice)) => {
                // A chat that starts over a running one: said after the notice itself.
                let running = match &notice {
                    Notice::Connected(_) => self.state.lock().partner.clone(),
                    _ => None,
                };
                let registration = self.follow(&notice);
                // A refused name is shown by the keyboard thread, which knows whether the
                // person is asked again or the client gives up (`--name`).
                if !matches!(registration, Some(Registration::Refused { .. })) {
                    if let Some(text) = self.shown(&notice) {
                        self.screen.notice(&escape_for_terminal(&text));
                    }
                }
                let rejoining = self.state.lock().rejoining.clone();
                match (registration, rejoining) {
                    (Some(Registration::Refused { notice, .. }), Some(name)) => {
                        // After a reconnect no one is asked for a name: the client ends.
                        self.screen.notice(&escape_for_terminal(&notice));
                        let _ = self.endings.send(Ending::RejoinRefused(format!(
                            "while you were away the server gave the name '{name}' to someone \
                             else; start the client again and choose another name"
                        )));
                    }
                    (Some(outcome), _) => {
                        let _ = self.registration.send(outcome);
                    }
                    (None, _) => {}
                }
                if let (Some(was), Notice::Connected(now)) = (&running, &notice) {
                    self.screen.note(&restart_warning(was, now));
                }
                if let Notice::StatusHeader(n) = notice {
                    if self.screen.interactive() && n > 0 {
                        self.status = Some(StatusRows::new(n));
                    }
                }
            }
            Ok(ServerLine::Chat { from, text }) => {
                self.screen.chat(&from, &escape_for_terminal(&text));
            }
            Ok(ServerLine::Secure { from, payload }) => self.open(&from, &payload),
            Ok(ServerLine::GenKeys { .. } | ServerLine::GenKeysMisnumbered { .. })
                if self.state.lock().partner.is_none() =>
            {
                // An honest server sends GEN_KEYS only right after "You are now connected":
                // outside a chat there is nothing to tie a key to, so it is not answered.
                self.screen.note(&format!(
                    "the server sent {} outside a chat, which an honest server never does; it \
                     was not answered",
                    escape_for_terminal(line)
                ));
            }
            Ok(ServerLine::GenKeysMisnumbered { chat, .. }) => {
                let step = self.state.lock().keys.gen_keys_misnumbered(&chat);
                self.key_step(step);
            }
            Ok(ServerLine::GenKeys {
                group,
                chat,
                identity,
            }) => {
                let (step, this_chat) = {
                    let mut state = self.state.lock();
                    if let Some(partner) = state.partner.as_ref().map(ToString::to_string) {
                        state.keys.set_partner(&partner);
                    }
                    let names = identity.then(|| Names {
                        mine: state.name.as_ref().map(Name::to_string).unwrap_or_default(),
                        partner: state
                            .partner
                            .as_ref()
                            .map(Name::to_string)
                            .unwrap_or_default(),
                    });
                    (
                        state.keys.gen_keys_with(&group, chat, names),
                        state.chat_changes,
                    )
                };
                let waiting = matches!(step, KeyStep::Send { .. });
                self.key_step(step);
                if waiting {
                    self.watch_key_exchange(this_chat);
                }
            }
            Ok(ServerLine::KeyCommit(value)) => {
                let step = self.state.lock().keys.commit(&value);
                self.key_step(step);
            }
            Ok(ServerLine::KeyParam(value)) => {
                let step = self.state.lock().keys.param(&value);
                self.key_step(step);
            }
            Ok(ServerLine::KeyProof(value)) => {
                let step = self.state.lock().keys.proof(&value);
                self.key_step(step);
            }
            Err(err) => self.screen.note(&escape_for_terminal(&err.to_string())),
        }
    }

    /// A notice as the person is shown it. When the client sends the name itself (`--name`,
    /// or the name sent again after a reconnect) nobody is asked for one: the welcome is shown
    /// without its request for a name, and the time limit for sending one not at all.
    fn shown(&self, notice: &Notice) -> Option<String> {
        let names_itself = {
            let state = self.state.lock();
            state.preset_name || state.rejoining.is_some()
        };
        match notice {
            Notice::AskName if names_itself => Some(WELCOME.to_string()),
            Notice::NameTimeLimit(_) if names_itself => None,
            _ => Some(notice.to_string()),
        }
    }

    /// The server's answer to `hello`: its key and a signature over our nonce. A proof that
    /// does not verify ends the connection, loudly.
    fn server_proved(&self, key: PublicKey, signature: &Signature) {
        let state = self.state.lock();
        match server_proof::check(state.server_proof, key, signature) {
            Ok(proof) => {
                drop(state);
                self.settle(proof);
            }
            Err(invalid) => {
                let mut state = state;
                state.closing = true;
                drop(state);
                // Said as the client's last words, after the terminal is given back.
                self.link.finish();
                let _ = self
                    .endings
                    .send(Ending::ServerProofInvalid(invalid.to_string()));
            }
        }
    }

    /// The answer to `hello` is in (`proof`: a key proven, or none): checks it against what the
    /// person expects of this server (pins, `--server-key`: [`crate::server_pin`]) and records
    /// it. A server that is not the one expected ends the connection loudly, and before the
    /// name goes out: the keyboard waits for this answer, and finds the connection finished.
    /// `false` when the connection was ended.
    fn settle(&self, proof: ServerProof) -> bool {
        let mut state = self.state.lock();
        let verdict = match (&state.server_check, proof) {
            (_, ServerProof::Awaiting(_)) | (None, _) => Ok(None),
            (Some(check), proof) => check.lock().judge(proof.key()),
        };
        state.server_proof = proof;
        match verdict {
            Ok(note) => {
                drop(state);
                self.state.nudge();
                for line in note.iter().flat_map(|note| note.lines()) {
                    self.screen.note(line);
                }
                true
            }
            Err(refusal) => {
                state.closing = true;
                state.server_refused = true;
                // Finished while the keyboard still waits on the lock: the name cannot go out.
                self.link.finish();
                drop(state);
                self.state.nudge();
                let _ = self
                    .endings
                    .send(Ending::ServerProofInvalid(refusal.to_string()));
                false
            }
        }
    }

    /// Says so, once, if the server sends nothing in [`SERVER_SILENCE`] after the connection
    /// is made (a server that accepts but never speaks, or something that is not a labchat
    /// server): the person is not left at a bare `name>` for the server's whole name timeout.
    /// The watcher sleeps on a channel that the reader drops at the first line it gets.
    fn watch_silence(&self) -> crossbeam_channel::Sender<()> {
        let (heard, first_line) = crossbeam_channel::bounded::<()>(0);
        let screen = Arc::clone(&self.screen);
        let _ = thread::Builder::new()
            .name("server-silence".into())
            .spawn(move || {
                if first_line.recv_timeout(SERVER_SILENCE)
                    == Err(crossbeam_channel::RecvTimeoutError::Timeout)
                {
                    screen.note(&format!(
                        "the server has said nothing in {} s since the connection was made; it \
                         may be busy, or not a labchat server (Ctrl+C leaves)",
                        SERVER_SILENCE.as_secs()
                    ));
                }
            });
        heard
    }

    fn key_step(&self, step: KeyStep) {
        // `--explain`: how we got here, before what it led to.
        let explained = self.state.lock().keys.take_explanation();
        for line in explained {
            self.screen.explain(&line);
        }
        match step {
            KeyStep::Quiet => {}
            KeyStep::Send { command, warn } => {
                if let Some(warning) = warn {
                    self.screen.note(warning);
                }
                // A failed send means the server is gone; the read loop will notice.
                let _ = self.link.send(&command);
            }
            KeyStep::Agreed {
                code,
                sound,
                bare,
                partner_key,
            } => {
                let partner = self.partner_label();
                let (verdict, toy) = {
                    let mut state = self.state.lock();
                    let toy = state.keys.is_toy();
                    let verdict = state
                        .trust
                        .as_mut()
                        .map(|trust| trust.judge(&partner, partner_key));
                    (verdict, toy)
                };
                for line in agreed_lines(&partner, &code, sound, verdict.as_ref()) {
                    // The toy group's warning was shown when the chat began: once is enough.
                    if toy && line == TOY_WARNING {
                        continue;
                    }
                    self.screen.note(&line);
                }
                if bare {
                    self.screen.note(BARE_WARNING);
                }
            }
            KeyStep::Failed { reason, alarm } => {
                let loud = if alarm { "WARNING: " } else { "" };
                self.screen.note(&format!(
                    "{loud}key agreement failed: {reason}; secure: is off for this chat"
                ));
            }
        }
    }

    /// Says so, unasked, if this chat's key exchange is still not done after
    /// [`KEY_EXCHANGE_PATIENCE`] (a partner on `nc` or an old client never answers): the person
    /// learns it before typing a secret, not only when `secure:` is refused.
    fn watch_key_exchange(&self, this_chat: u64) {
        let (state, screen) = (Arc::clone(&self.state), Arc::clone(&self.screen));
        let _ = thread::Builder::new()
            .name("key-patience".into())
            .spawn(move || {
                // Woken early when the chat changes or its exchange ends (the reader nudges
                // after every line); otherwise the patience runs out.
                state.wait_until(KEY_EXCHANGE_PATIENCE, |state| {
                    state.chat_changes != this_chat || !state.keys.pending()
                });
                let why = {
                    let state = state.lock();
                    let same_chat = state.chat_changes == this_chat;
                    (same_chat && state.keys.overdue())
                        .then(|| state.keys.unavailable())
                        .flatten()
                };
                if let Some(why) = why {
                    screen.note(&why.to_string());
                }
                // A line waiting for this key (piped mode) may now be refused.
                state.nudge();
            });
    }

    /// Shows a sealed message if it opens, or says why it was not shown.
    /// A message from a partner whose identity changed is shown marked as such.
    fn open(&self, from: &Name, payload: &str) {
        let mut explained = Vec::new();
        let opened = {
            let mut state = self.state.lock();
            let toy = state.keys.is_toy();
            let held = state.secure_held();
            let explain = state.keys.explains();
            match state.keys.session_mut() {
                Some(session) => {
                    let opened = session.open(payload);
                    if explain && opened.is_ok() {
                        explained = explain::message(session.receive_keys(), payload, false);
                    }
                    opened
                        .map(|text| (text, toy, held))
                        .map_err(|e| e.to_string())
                }
                None => Err(format!(
                    "it cannot be read: {}",
                    state.keys.unavailable().unwrap_or(KeyUnavailable::NoChat)
                )),
            }
        };
        for line in explained {
            self.screen.explain(&line);
        }
        match opened {
            // A pasted secret may have several lines: each is shown as sealed.
            Ok((text, toy, held)) => {
                for row in text.split('\n') {
                    let row = escape_for_terminal(row);
                    if toy {
                        self.screen.secure(from, &format!("{row}   {TOY_MARK}"));
                    } else if held {
                        self.screen.secure(from, &format!("{row}   {CHANGED_MARK}"));
                    } else {
                        self.screen.secure(from, &row);
                    }
                }
            }
            Err(reason) => self.screen.note(&format!(
                "a secure message from {from} failed verification: {reason}"
            )),
        }
    }

    /// Shows a gathered `status` answer as a table, if one is being gathered.
    fn show_status(&mut self) {
        let Some(rows) = self.status.take().filter(|r| !r.rows().is_empty()) else {
            return;
        };
        let palette = self.screen.palette();
        let shown = status::render(rows.rows(), self.screen.columns());
        // Names cannot hold control characters, but the rule is: peer text is escaped.
        if let Some(titles) = shown.titles {
            let titles = escape_for_terminal(&titles);
            self.screen.show(&palette.paint(Tone::Server, &titles));
        }
        for line in shown.rows {
            self.screen.show(&escape_for_terminal(&line));
        }
    }

    fn partner_label(&self) -> String {
        self.state
            .lock()
            .partner
            .as_ref()
            .map_or_else(|| "your partner".into(), |p| p.to_string())
    }

    /// Updates the shared state from a notice.
    /// Returns the outcome of a name proposal, to pass on once the notice is shown.
    fn follow(&self, notice: &Notice) -> Option<Registration> {
        let mut state = self.state.lock();
        match notice {
            Notice::StatusHeader(0)
            | Notice::Connected(_)
            | Notice::NoSuchUser(_)
            | Notice::ConnectToSelf
            | Notice::UserBusy(_)
            | Notice::AlreadyInChat(_)
            | Notice::NothingToEnd
            | Notice::YouEndedChat(_) => state.answered(),
            Notice::StatusHeader(rows) => state.status_rows_left = *rows,
            Notice::Status(_) if state.status_rows_left > 0 => {
                state.status_rows_left -= 1;
                if state.status_rows_left == 0 {
                    state.answered();
                }
            }
            _ => {}
        }
        match notice {
            Notice::Registered(name) if state.name.is_none() => {
                // An unanswered `hello` was settled before this line was followed (`handle`).
                state.name = Some(name.clone());
                state.rejoining = None;
                return Some(Registration::Accepted);
            }
            Notice::NameTaken(name) if state.name.is_none() => {
                return Some(Registration::Refused {
                    notice: notice.to_string(),
                    reason: format!("the name '{name}' is already taken"),
                });
            }
            Notice::NameInvalid(why) if state.name.is_none() => {
                return Some(Registration::Refused {
                    notice: notice.to_string(),
                    reason: format!("that name is not valid: {why}"),
                });
            }
            Notice::Connected(peer) => {
                // A chat still running is said in `handle`, after the notice.
                let _ = state.start_chat(peer.clone());
            }
            Notice::YouEndedChat(_) | Notice::PeerEndedChat(_) | Notice::PeerLeft(_) => {
                state.end_chat();
            }
            Notice::Bye | Notice::ShuttingDown => {
                state.end_chat();
                state.server_said_bye = true;
            }
            // Kicked or banned by the operator: coming back at once is what the operator
            // just ruled out, so the client does not reconnect.
            Notice::ServerFull(_)
            | Notice::TooManyFromHost(_)
            | Notice::TooManyFromNetwork(_)
            | Notice::NameTimeout(_)
            | Notice::Kicked(_)
            | Notice::Banned(_) => {
                state.end_chat();
                state.server_said_bye = true;
                state.turned_away = true;
            }
            _ => {}
        }
        None
    }
}
