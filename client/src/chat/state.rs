//! What the client knows about its own situation, shared by its threads.

use crate::chat::keys::Keys;
use crate::chat::server_proof::ServerProof;
use crate::chat::trust::Trust;
use common::protocol::Name;
use parking_lot::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The [`State`] shared by the client's threads, with a condition variable: a thread that
/// waits for the state to change (a typed line waiting for the key, for the answers before it,
/// or for the name to be taken back) sleeps until another thread says it changed something,
/// instead of looking again and again.
#[derive(Debug)]
pub struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    /// Shares `state`.
    pub fn new(state: State) -> Shared {
        Shared {
            state: Mutex::new(state),
            changed: Condvar::new(),
        }
    }

    /// Locks the state. Whoever changes something another thread may wait for calls
    /// [`Shared::nudge`] once the change is done and shown: the reader after each line it
    /// handled, so that a waiting typed line goes out only after the answer it waited for is on
    /// screen.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }

    /// Sleeps until `done` holds or `patience` has passed, whichever comes first. Whoever
    /// changes the state wakes the waiter (see [`Shared::nudge`]); the lock is not held while
    /// sleeping.
    pub fn wait_until(&self, patience: Duration, done: impl Fn(&State) -> bool) {
        let deadline = Instant::now() + patience;
        let mut state = self.state.lock();
        while !done(&state) {
            if self.changed.wait_until(&mut state, deadline).timed_out() {
                break;
            }
        }
    }

    /// Wakes every waiter in [`Shared::wait_until`] to look again.
    pub fn nudge(&self) {
        self.changed.notify_all();
    }
}

/// The client's view of the conversation, updated from what the server says.
#[derive(Debug)]
pub struct State {
    /// Our registered name, once the server accepted it.
    pub name: Option<Name>,
    /// What the server proved about its identity on this connection (see
    /// [`crate::chat::server_proof`]).
    pub server_proof: ServerProof,
    /// What the server's proof is checked against (pins, `--server-key`), if anything.
    pub server_check: Option<std::sync::Arc<parking_lot::Mutex<crate::server_pin::ServerCheck>>>,
    /// The server was refused (not the one expected): nothing more it says is shown.
    pub server_refused: bool,
    /// After a reconnect, the name sent again, until the server answers. A refusal then means
    /// someone took the name while we were away.
    pub rejoining: Option<Name>,
    /// Whom we are chatting with.
    pub partner: Option<Name>,
    /// The current chat's key.
    pub keys: Keys,
    /// Partners' pinned identities, and the verdict on the current chat's partner (`None`
    /// for a client without an identity).
    pub trust: Option<Trust>,
    /// Counts chats started and ended: a line typed while it had one value was typed for a
    /// different partner (or none) if it has another when the line is sent.
    pub chat_changes: u64,
    /// We sent `close` (or are exiting): the server closing the connection is expected.
    pub closing: bool,
    /// The server said goodbye or is shutting down: its closing is expected.
    pub server_said_bye: bool,
    /// In piped mode, `status`, `connect` and `goodbye` sent whose answer has not come yet: the
    /// client answers a line itself only after them, to keep a script's output in its input's
    /// order.
    pub awaiting_replies: usize,
    /// Rows of a `status` answer still to come.
    pub status_rows_left: usize,
    /// The name was given on the command line (`--name`): the client sends it itself, and
    /// nobody is asked for one.
    pub preset_name: bool,
    /// The server turned us away before we got in (full, or no name in time): the person
    /// never chatted, so the client exits 1.
    pub turned_away: bool,
}

impl State {
    /// Not registered, not in a chat; the toy group is accepted only if `allow_toy_group`;
    /// with `explain`, each key step is told with its numbers.
    pub fn new(allow_toy_group: bool, explain: bool) -> State {
        State {
            name: None,
            server_proof: ServerProof::NotOffered,
            server_check: None,
            server_refused: false,
            rejoining: None,
            partner: None,
            keys: if explain {
                Keys::new(allow_toy_group).explaining()
            } else {
                Keys::new(allow_toy_group)
            },
            trust: None,
            chat_changes: 0,
            closing: false,
            server_said_bye: false,
            turned_away: false,
            preset_name: false,
            awaiting_replies: 0,
            status_rows_left: 0,
        }
    }

    /// The same, proving `me` in chats that ask for identities, and judging partners with
    /// `trust`.
    pub fn with_identity(
        mut self,
        me: std::sync::Arc<common::identity::Identity>,
        trust: Trust,
    ) -> State {
        self.keys = std::mem::replace(&mut self.keys, Keys::new(false)).with_identity(me);
        self.trust = Some(trust);
        self
    }

    /// Whether `secure:` to the current partner is held: its identity changed, and the
    /// person has not yet compared the new code and typed `trust`.
    pub fn secure_held(&self) -> bool {
        self.trust
            .as_ref()
            .and_then(Trust::current)
            .is_some_and(|verdict| verdict.holds())
    }

    /// A chat with `peer` begins (ending any other first). Returns the partner of a chat that
    /// was still running: an honest server never starts a chat over a running one (it refuses
    /// `connect` until `goodbye`), so a restart is someone between us and the server, and a
    /// code compared in the old chat says nothing about the new one (see
    /// [`restart_warning`]).
    pub fn start_chat(&mut self, peer: Name) -> Option<Name> {
        let running = self.partner.take();
        self.end_chat();
        self.partner = Some(peer);
        running
    }

    /// A new connection to the server: no chat, no key, no chat number used yet.
    pub fn new_connection(&mut self) {
        self.end_chat();
        self.keys.new_connection();
    }

    /// One answer to a command has come.
    pub fn answered(&mut self) {
        self.awaiting_replies = self.awaiting_replies.saturating_sub(1);
    }

    /// Forgets the chat and its key.
    pub fn end_chat(&mut self) {
        self.chat_changes += 1;
        self.partner = None;
        self.keys.reset();
        if let Some(trust) = &mut self.trust {
            trust.end_chat();
        }
    }
}

/// What the client says when a chat with `now` starts while the chat with `was` is running:
/// loudly, because a safety code compared in that chat no longer vouches for this one.
pub fn restart_warning(was: &Name, now: &Name) -> String {
    format!(
        "WARNING: the server started a new chat with {now} while your chat with {was} was still \
         running, which an honest server never does (someone between you may have restarted \
         it); a safety code compared earlier no longer vouches for this chat: compare the new \
         code with {now} before you trust it"
    )
}
