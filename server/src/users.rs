//! The user table: who is connected, under which name, and who is chatting with whom.
//!
//! It is one `parking_lot::Mutex` around all of it because every interesting change touches
//! two users at once (a pairing, an ending) and `status` must never see half of one. The rule:
//! decide under the lock and queue every resulting line to the affected outboxes under the same
//! lock, so each client hears events in the order they happened; never read or write a socket
//! under it. Queuing is a memory copy ([`Sink::push`]); the table remembers which sinks it
//! touched, and the guard (`Locked`) flushes them after the lock is released.
//!
//! The table holds no socket: each client's queue is a [`Sink`] ([`Outbox`] in the server), so
//! the unit tests below drive it as the state machine it is.

use crate::kept::{Keeping, KeptNames};
use crate::outbox::Outbox;
use crate::sink::Sink;
use common::limits::MAX_NAME_LEN;
use common::protocol::{KeyLine, Name, Notice, ServerLine, StatusEntry};
use parking_lot::{Mutex, MutexGuard};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Identifies one accepted connection for its whole life.
pub type ConnId = u64;

/// Everything a session can ask of the table, with what the table decided.
#[derive(Debug)]
pub struct Users<S: Sink = Arc<Outbox>> {
    table: Mutex<Table<S>>,
    max_clients: usize,
    /// How long a name stays kept for its owner's address after the connection was lost.
    name_kept: Duration,
}

/// How long a name is kept for its owner after a connection ends without `close` (a crash, a
/// cut-off, a vanished host), so that whoever caused it cannot take the name meanwhile.
pub const NAME_KEPT: Duration = Duration::from_secs(60);

/// How a connection ended, for what happens to its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parting {
    /// The client said `close`: the name is free at once.
    Closed,
    /// Anything else (end of stream, error, cut off): the name is kept for the same address
    /// for [`NAME_KEPT`].
    Lost,
}

#[derive(Debug)]
struct Table<S: Sink> {
    next_id: ConnId,
    conns: HashMap<ConnId, Conn<S>>,
    by_name: BTreeMap<Name, ConnId>,
    shutting_down: bool,
    /// The number the next chat gets.
    next_chat: u64,
    /// Sinks queued to under the current lock, to flush once it is released.
    touched: Vec<S>,
    /// Names whose connection was lost a moment ago, kept for their owner's address.
    kept: KeptNames,
}

impl<S: Sink> Table<S> {
    fn new(max_clients: usize) -> Table<S> {
        Table {
            next_id: 0,
            conns: HashMap::new(),
            by_name: BTreeMap::new(),
            shutting_down: false,
            next_chat: 0,
            touched: Vec::new(),
            kept: KeptNames::new(max_clients),
        }
    }
}

/// The locked table; dropping it releases the lock, then flushes every outbox queued to.
struct Locked<'a, S: Sink> {
    guard: Option<MutexGuard<'a, Table<S>>>,
}

impl<S: Sink> std::ops::Deref for Locked<'_, S> {
    type Target = Table<S>;
    fn deref(&self) -> &Table<S> {
        self.guard.as_ref().expect("held until drop")
    }
}

impl<S: Sink> std::ops::DerefMut for Locked<'_, S> {
    fn deref_mut(&mut self) -> &mut Table<S> {
        self.guard.as_mut().expect("held until drop")
    }
}

impl<S: Sink> Drop for Locked<'_, S> {
    fn drop(&mut self) {
        let Some(mut guard) = self.guard.take() else {
            return;
        };
        let touched = std::mem::take(&mut guard.touched);
        drop(guard);
        for outbox in touched {
            outbox.flush();
        }
    }
}

#[derive(Debug)]
struct Conn<S> {
    outbox: S,
    /// The client's address (IPv4-mapped addresses as IPv4).
    host: IpAddr,
    name: Option<Name>,
    partner: Option<ConnId>,
    /// The number of the chat this client is in, as sent in its `GEN_KEYS`.
    chat: Option<u64>,
    /// The number of the latest chat this client was in (kept after it ends): a `key_param`
    /// for that chat or an earlier one is a late answer.
    latest_chat: Option<u64>,
    /// The key lines this client still owes its current chat: its first `key_commit` and its
    /// first `key_param` for this chat's number are protocol; any later one is chat text.
    owes: Owed,
    /// The client opened with `hello` and got the server's proof: it has an identity, and its
    /// chats with another such client prove identities (`GEN_KEYS ... identity`).
    speaks_identity: bool,
}

/// Why a connection was not let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinRefused {
    /// `max_clients` connections are open already.
    Full(usize),
    /// The server is shutting down.
    ShuttingDown,
}

/// For the log: `server full (3 connections, --max-clients)`.
impl std::fmt::Display for JoinRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JoinRefused::Full(1) => f.write_str("server full (1 connection, --max-clients)"),
            JoinRefused::Full(n) => write!(f, "server full ({n} connections, --max-clients)"),
            JoinRefused::ShuttingDown => f.write_str("shutting down"),
        }
    }
}

/// Which key lines a client may still send for its current chat.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Owed {
    commit: bool,
    param: bool,
    proof: bool,
}

impl Owed {
    /// Both lines, for a chat that has a key agreement.
    const BOTH: Owed = Owed {
        commit: true,
        param: true,
        proof: false,
    };

    /// All three, for a chat that proves identities.
    const WITH_PROOF: Owed = Owed {
        commit: true,
        param: true,
        proof: true,
    };

    /// Whether `line` is still owed; marks it as sent.
    fn take(&mut self, line: KeyLine) -> bool {
        let owed = match line {
            KeyLine::Commit => &mut self.commit,
            KeyLine::Param => &mut self.param,
            KeyLine::Proof => &mut self.proof,
        };
        std::mem::take(owed)
    }
}

/// What became of a `key_commit` or `key_param` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyTurn {
    /// It was the awaited public value and went to the partner.
    Forwarded,
    /// It answered a chat that is over; it was dropped.
    Stale,
    /// Not a public value this chat waits for: the line is chat text.
    NotExpected,
}

/// What happened to a chat, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatChange {
    /// Nothing changed.
    None,
    /// `0` and `1` are now chatting.
    Started(Name, Name),
    /// The chat between `0` and `1` ended, ended by `0`.
    Ended(Name, Name),
}

impl<S: Sink> Table<S> {
    fn name_of(&self, id: ConnId) -> Option<&Name> {
        self.conns.get(&id).and_then(|c| c.name.as_ref())
    }

    /// Queues one server line for `id` (an outbox cuts its client off if it is too far behind).
    fn send(&mut self, id: ConnId, line: &ServerLine) {
        let mut bytes = line.to_string().into_bytes();
        bytes.push(b'\n');
        self.push(id, &bytes);
    }

    /// Queues raw bytes (whole lines) for `id` and remembers to flush its outbox.
    fn push(&mut self, id: ConnId, bytes: &[u8]) {
        if let Some(conn) = self.conns.get(&id) {
            conn.outbox.push(bytes);
            if !self.touched.iter().any(|o| o.same(&conn.outbox)) {
                self.touched.push(conn.outbox.clone());
            }
        }
    }

    fn notify(&mut self, id: ConnId, notice: Notice) {
        self.send(id, &ServerLine::Notice(notice));
    }

    /// Unpairs `id` from its partner, if any; returns the partner.
    fn unpair(&mut self, id: ConnId) -> Option<ConnId> {
        let me = self.conns.get_mut(&id)?;
        me.owes = Owed::default();
        me.chat = None;
        let partner = me.partner.take()?;
        if let Some(p) = self.conns.get_mut(&partner) {
            p.partner = None;
            p.owes = Owed::default();
            p.chat = None;
        }
        Some(partner)
    }
}

impl<S: Sink> Users<S> {
    fn lock(&self) -> Locked<'_, S> {
        Locked {
            guard: Some(self.table.lock()),
        }
    }

    /// An empty table that admits at most `max_clients` connections.
    pub fn new(max_clients: usize) -> Users<S> {
        Users {
            table: Mutex::new(Table::new(max_clients)),
            max_clients,
            name_kept: NAME_KEPT,
        }
    }

    /// The same table, keeping at most `quota` names for the addresses of one network (see
    /// [`crate::kept`]).
    pub fn keeping_per_network(self, quota: usize) -> Users<S> {
        {
            let mut table = self.table.lock();
            let kept = std::mem::replace(&mut table.kept, KeptNames::new(0));
            table.kept = kept.with_network_quota(quota);
        }
        self
    }

    /// The same table, keeping a lost connection's name for `kept` instead of [`NAME_KEPT`].
    pub fn keeping_names_for(mut self, kept: Duration) -> Users<S> {
        self.name_kept = kept;
        self
    }

    /// Admits a new connection (not yet named).
    ///
    /// # Errors
    /// [`JoinRefused`] when the server is full or shutting down.
    /// `host` is the client's address: a name kept after a lost connection goes back only to
    /// a client from the same address.
    pub fn join(&self, outbox: S, host: IpAddr) -> Result<ConnId, JoinRefused> {
        let mut table = self.lock();
        if table.shutting_down {
            return Err(JoinRefused::ShuttingDown);
        }
        if table.conns.len() >= self.max_clients {
            return Err(JoinRefused::Full(self.max_clients));
        }
        table.next_id += 1;
        let id = table.next_id;
        table.conns.insert(
            id,
            Conn {
                outbox,
                host: host.to_canonical(),
                name: None,
                partner: None,
                chat: None,
                latest_chat: None,
                owes: Owed::default(),
                speaks_identity: false,
            },
        );
        Ok(id)
    }

    /// Gives connection `id` the name `name` if nobody has it, nor one that looks like it (see
    /// [`Name`]); tells the client either way. Returns true if the name is now theirs.
    pub fn register(&self, id: ConnId, name: &Name) -> bool {
        let mut table = self.lock();
        if let Some((owner, _)) = table.by_name.get_key_value(name) {
            let refusal = if owner.as_str() == name.as_str() {
                Notice::NameTaken(name.clone())
            } else {
                Notice::NameInvalid(format!(
                    "'{name}' looks too much like '{owner}', who is online"
                ))
            };
            table.notify(id, refusal);
            return false;
        }
        let Some(host) = table.conns.get(&id).map(|c| c.host) else {
            return false;
        };
        if let Err(left) = table.kept.claim(name, host, Instant::now()) {
            table.notify(
                id,
                Notice::NameInvalid(format!(
                    "'{name}' lost the connection a moment ago, and the name is kept for \
                     them for {} more seconds",
                    left.as_secs().max(1)
                )),
            );
            return false;
        }
        let Some(conn) = table.conns.get_mut(&id) else {
            return false;
        };
        conn.name = Some(name.clone());
        table.by_name.insert(name.clone(), id);
        table.notify(id, Notice::Registered(name.clone()));
        true
    }

    /// Queues a consistent snapshot of every user for `id`.
    ///
    /// Only the snapshot is taken under the lock: a copy of each name and partner. The rows are
    /// formatted and queued after it is released, so that a long list does not keep everyone
    /// else waiting. The answer shows the table as it was when the snapshot was taken; a notice
    /// about a change made just after it may reach the asker first.
    pub fn status(&self, id: ConnId) {
        let (outbox, rows) = {
            let table = self.lock();
            let Some(me) = table.conns.get(&id) else {
                return;
            };
            let rows: Vec<StatusEntry> = table
                .by_name
                .iter()
                .map(|(name, &uid)| StatusEntry {
                    name: name.clone(),
                    partner: table.conns[&uid]
                        .partner
                        .and_then(|p| table.name_of(p))
                        .cloned(),
                    is_you: uid == id,
                })
                .collect();
            (me.outbox.clone(), rows)
        };
        // The table orders names by how they look (see `Name`); people read them sorted by
        // their spelling. Sorted here, outside the lock.
        let mut rows = rows;
        rows.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
        let mut text = String::with_capacity(64 * (rows.len() + 1));
        let header = ServerLine::Notice(Notice::StatusHeader(rows.len()));
        let _ = writeln!(text, "{header}");
        for entry in rows {
            let _ = writeln!(text, "{}", ServerLine::Notice(Notice::Status(entry)));
        }
        outbox.push(text.as_bytes());
        outbox.flush();
    }

    /// Pairs `id` with the user named `target` if both are FREE; tells both, or tells `id` why
    /// not. With a Diffie-Hellman `group`, both are sent `GEN_KEYS <group> <chat>` right after
    /// the connect notice.
    pub fn connect(&self, id: ConnId, target: &str, group: Option<&str>) -> ChatChange {
        let mut table = self.lock();
        let Some(me) = table.name_of(id).cloned() else {
            return ChatChange::None;
        };
        let refusal = if let Some(partner) = table.conns[&id].partner {
            Some(Notice::AlreadyInChat(
                table.name_of(partner).cloned().unwrap_or(me.clone()),
            ))
        } else {
            match Name::parse(target)
                .ok()
                .and_then(|n| table.by_name.get(&n).copied())
            {
                None => Some(Notice::NoSuchUser(shorten(target))),
                Some(other) if other == id => Some(Notice::ConnectToSelf),
                Some(other) if table.conns[&other].partner.is_some() => Some(Notice::UserBusy(
                    table.name_of(other).cloned().unwrap_or(me.clone()),
                )),
                Some(other) => {
                    let them = table.name_of(other).cloned().unwrap_or(me.clone());
                    table.next_chat += 1;
                    let chat = table.next_chat;
                    let identity =
                        table.conns[&id].speaks_identity && table.conns[&other].speaks_identity;
                    for (a, b) in [(id, other), (other, id)] {
                        if let Some(conn) = table.conns.get_mut(&a) {
                            conn.partner = Some(b);
                            conn.chat = Some(chat);
                            conn.latest_chat = Some(chat);
                            conn.owes = match (group, identity) {
                                (Some(_), true) => Owed::WITH_PROOF,
                                (Some(_), false) => Owed::BOTH,
                                (None, _) => Owed::default(),
                            };
                        }
                    }
                    table.notify(id, Notice::Connected(them.clone()));
                    table.notify(other, Notice::Connected(me.clone()));
                    if let Some(group) = group {
                        let line = ServerLine::GenKeys {
                            group: group.to_string(),
                            chat: Some(chat),
                            identity,
                        };
                        table.send(id, &line);
                        table.send(other, &line);
                    }
                    return ChatChange::Started(me, them);
                }
            }
        };
        if let Some(notice) = refusal {
            table.notify(id, notice);
        }
        ChatChange::None
    }

    /// Ends `id`'s chat, telling both; or tells `id` there is no chat to end.
    pub fn goodbye(&self, id: ConnId) -> ChatChange {
        let mut table = self.lock();
        let Some(me) = table.name_of(id).cloned() else {
            return ChatChange::None;
        };
        match table.unpair(id) {
            None => {
                table.notify(id, Notice::NothingToEnd);
                ChatChange::None
            }
            Some(partner) => {
                let them = table.name_of(partner).cloned().unwrap_or(me.clone());
                table.notify(id, Notice::YouEndedChat(them.clone()));
                table.notify(partner, Notice::PeerEndedChat(me.clone()));
                ChatChange::Ended(me, them)
            }
        }
    }

    /// Queues `bytes` (whole, already formatted lines from `id`) for `id`'s partner in one
    /// piece, or tells `id` it is not in a chat. Returns the partner's queue, so the caller can
    /// wait for it to drain (back-pressure) without taking the lock again.
    pub fn relay(&self, id: ConnId, bytes: &[u8]) -> Option<S> {
        let mut table = self.lock();
        match table.conns.get(&id).and_then(|c| c.partner) {
            Some(partner) => {
                table.push(partner, bytes);
                table.conns.get(&partner).map(|p| p.outbox.clone())
            }
            None => {
                table.notify(id, Notice::NotInChat);
                None
            }
        }
    }

    /// Forwards `id`'s `key_commit` or `key_param` (`rest` is `<chat> <value>`, the text after
    /// the word) to its partner as `key_commit <value>` or `key_param <value>`, if the chat
    /// numbered `<chat>` is the current one and still waits for that line from `id`. An answer
    /// to one of this client's earlier chats is dropped; anything else (a second one, a number
    /// that was never its chat, text of another shape) is chat text.
    ///
    /// The server does not enforce the order (commitment first): each client refuses a value
    /// that came before its commitment, and the security of the exchange rests on the clients.
    pub fn relay_key(&self, id: ConnId, line: KeyLine, rest: &str) -> KeyTurn {
        let mut table = self.lock();
        let Some(conn) = table.conns.get_mut(&id) else {
            return KeyTurn::Stale;
        };
        let Some(offer) = line.offer(rest) else {
            return KeyTurn::NotExpected;
        };
        if conn.chat != Some(offer.chat) {
            return if conn.latest_chat.is_some_and(|latest| offer.chat <= latest) {
                KeyTurn::Stale
            } else {
                KeyTurn::NotExpected
            };
        }
        if !conn.owes.take(line) {
            return KeyTurn::NotExpected;
        }
        let Some(partner) = conn.partner else {
            return KeyTurn::Stale;
        };
        table.send(partner, &line.forwarded(offer.value));
        KeyTurn::Forwarded
    }

    /// Marks `id` as a client with an identity (it said `hello` and got the server's proof).
    pub fn speaks_identity(&self, id: ConnId) {
        if let Some(conn) = self.lock().conns.get_mut(&id) {
            conn.speaks_identity = true;
        }
    }

    /// Queues a notice for `id` alone.
    pub fn tell(&self, id: ConnId, notice: Notice) {
        self.lock().notify(id, notice);
    }

    /// Removes `id` (after `close`, end of stream or a broken socket); frees and tells its
    /// partner. Returns the name it had, the chat that ended and what became of the name, for
    /// the log.
    ///
    /// After a [`Parting::Lost`] connection its name is kept for its address for a while (see
    /// [`NAME_KEPT`] and [`crate::kept`]): a client that crashed, or that someone got cut off,
    /// can come back to it.
    pub fn leave(
        &self,
        id: ConnId,
        parting: Parting,
    ) -> (Option<Name>, ChatChange, Option<Keeping>) {
        let mut table = self.lock();
        let partner = table.unpair(id);
        let Some(conn) = table.conns.remove(&id) else {
            return (None, ChatChange::None, None);
        };
        let mut keeping = None;
        if let Some(name) = &conn.name {
            table.by_name.remove(name);
            if parting == Parting::Lost && !self.name_kept.is_zero() {
                let kept = table
                    .kept
                    .keep(name.clone(), conn.host, self.name_kept, Instant::now());
                keeping = Some(kept);
            }
        }
        conn.outbox.close();
        table.touched.push(conn.outbox.clone());
        let change = match (partner, &conn.name) {
            (Some(partner), Some(me)) => {
                table.notify(partner, Notice::PeerLeft(me.clone()));
                let them = table.name_of(partner).cloned().unwrap_or(me.clone());
                ChatChange::Ended(me.clone(), them)
            }
            _ => ChatChange::None,
        };
        (conn.name, change, keeping)
    }

    /// Tells every connection the server is shutting down, ends every chat, closes every
    /// outbox and refuses new connections. Returns the outboxes (already flushed) so the
    /// caller can wait for them to finish sending.
    pub fn shut_down(&self) -> Vec<S> {
        let mut table = self.lock();
        table.shutting_down = true;
        let notice = format!("{}\n", ServerLine::Notice(Notice::ShuttingDown));
        let conns = std::mem::take(&mut table.conns);
        table.by_name.clear();
        let outboxes: Vec<S> = conns
            .into_values()
            .map(|conn| {
                conn.outbox.push(notice.as_bytes());
                conn.outbox.close();
                conn.outbox
            })
            .collect();
        table.touched.extend(outboxes.iter().cloned());
        outboxes
    }

    /// Number of open connections (named or not).
    pub fn len(&self) -> usize {
        self.lock().conns.len()
    }

    /// True when no connection is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `text` cut to a little over a name's length, so that echoing what someone typed after
/// `connect` can never take the notice past the line limit the client accepts.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_NAME_LEN + 1) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_string(),
    }
}

#[cfg(test)]
#[path = "users_tests.rs"]
mod tests;
