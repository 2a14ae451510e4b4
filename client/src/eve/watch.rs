//! Watching, which eve does in every mode: what each line shows, and in a toy-group chat the
//! key, recovered from the public values, and every secure message opened with it.

use common::dh::{Group, KeyPair, PublicValue, SharedSecret};
use common::protocol::{Command, Notice, ServerLine};
use common::secure::Session;
use std::collections::HashMap;
use std::time::Instant;

/// One client connection as eve knows it.
#[derive(Debug, Default)]
pub(super) struct Conn {
    /// Its registered name, once the server said hello.
    pub(super) name: Option<String>,
    /// Who the server said it is now chatting with.
    pub(super) partner: Option<String>,
    /// The chat number of its current key agreement.
    pub(super) chat: Option<u64>,
}

/// One chat's key agreement as seen on the wire.
#[derive(Debug, Default)]
pub(super) struct Chat {
    pub(super) group: Option<Group>,
    /// Public values revealed, by connection.
    pub(super) values: Vec<(usize, PublicValue)>,
    /// To open messages sent by each connection, once the key is recovered.
    pub(super) openers: HashMap<usize, Session>,
    /// The group's strength was explained already.
    pub(super) explained: bool,
    /// Grinding: why eve must commit was explained already.
    pub(super) commit_explained: bool,
    /// Grinding: the search for this chat was handed out.
    pub(super) grinding: bool,
}

/// What eve knows from watching: every connection, and every chat's key agreement.
#[derive(Debug, Default)]
pub struct Watch {
    pub(super) conns: HashMap<usize, Conn>,
    pub(super) chats: HashMap<u64, Chat>,
}

impl Watch {
    /// The other client in `conn`'s current chat.
    pub(super) fn partner(&self, conn: usize) -> Option<(u64, usize)> {
        let chat = self.conns.get(&conn)?.chat?;
        self.conns
            .iter()
            .find(|(&other, c)| other != conn && c.chat == Some(chat))
            .map(|(&other, _)| (chat, other))
    }

    /// True if `conn` is in a chat with someone eve relays, whose `GEN_KEYS` has not passed yet.
    pub(super) fn partner_on_the_way(&self, conn: usize) -> bool {
        let Some(me) = self.conns.get(&conn) else {
            return false;
        };
        me.chat.is_some()
            && me.partner.as_ref().is_some_and(|partner| {
                self.conns
                    .iter()
                    .any(|(&other, c)| other != conn && c.name.as_ref() == Some(partner))
            })
    }

    pub(super) fn label(&self, conn: usize) -> String {
        self.conns
            .get(&conn)
            .and_then(|c| c.name.clone())
            .unwrap_or_else(|| format!("connection {conn}"))
    }

    /// Follows a line the server sent `conn`: who registered, who chats with whom, and the key
    /// agreement each chat begins. Returns the chat and group of a `GEN_KEYS`.
    pub(super) fn server_said(
        &mut self,
        conn: usize,
        line: &str,
        out: &mut Vec<String>,
    ) -> Option<(u64, Group)> {
        match ServerLine::parse(line) {
            Ok(ServerLine::Notice(Notice::Registered(name))) => {
                self.conns.entry(conn).or_default().name = Some(name.to_string());
                out.push(format!("  eve: connection {conn} is {name}"));
            }
            Ok(ServerLine::Notice(Notice::Connected(other))) => {
                let me = self.label(conn);
                self.conns.entry(conn).or_default().partner = Some(other.to_string());
                out.push(format!("  eve: {me} is now chatting with {other}"));
            }
            Ok(ServerLine::GenKeys { group, chat, .. }) => {
                let chat_no = chat.unwrap_or(0);
                self.conns.entry(conn).or_default().chat = Some(chat_no);
                let entry = self.chats.entry(chat_no).or_default();
                entry.group = group.parse().ok().or(Some(Group::Toy));
                let group = entry.group.unwrap_or(Group::Toy);
                if !std::mem::replace(&mut entry.explained, true) {
                    out.push(explain_group(group));
                }
                return Some((chat_no, group));
            }
            _ => {}
        }
        None
    }

    /// Follows a line `conn`'s client sent: what it gives away.
    pub(super) fn client_said(&mut self, conn: usize, line: &str, out: &mut Vec<String>) {
        match Command::parse(line) {
            Ok(Command::KeyParam(rest)) => {
                let value = rest.rsplit(' ').next().unwrap_or_default();
                self.revealed(conn, value, out);
            }
            Ok(Command::KeyCommit(_)) => {
                out.push("  eve: a commitment (a hash of the value to come)".into());
            }
            Ok(Command::Secure(payload)) => self.sealed(conn, &payload, out),
            // Before registering, a line is a proposed name, not a message.
            Ok(Command::Message(text))
                if !text.is_empty() && self.conns.get(&conn).is_some_and(|c| c.name.is_some()) =>
            {
                let who = self.label(conn);
                out.push(format!("  eve: {who} wrote, in plain text: {text:?}"));
            }
            _ => {}
        }
    }

    /// A public value went by: with both of a toy chat's, recover the key.
    fn revealed(&mut self, conn: usize, value: &str, out: &mut Vec<String>) {
        let Some(chat_no) = self.conns.get(&conn).and_then(|c| c.chat) else {
            return;
        };
        let Some(chat) = self.chats.get_mut(&chat_no) else {
            return;
        };
        let group = chat.group.unwrap_or(Group::Toy);
        let Ok(value) = PublicValue::parse(group, value) else {
            return;
        };
        chat.values.retain(|(c, _)| *c != conn);
        chat.values.push((conn, value));
        if group != Group::Toy || chat.values.len() != 2 {
            return;
        }
        let (a_conn, a) = chat.values[0].clone();
        let (b_conn, b) = chat.values[1].clone();
        let started = Instant::now();
        let Some((x, pair)) = find_exponent(group, &a) else {
            out.push("  eve: no exponent gives that value (not the toy group?)".into());
            return;
        };
        let secret: SharedSecret = pair.agree(&b);
        let took = started.elapsed();
        out.push(format!(
            "  eve: tried exponents until g^x mod p = {a}: x = {x} ({took:?}); shared secret = {b}^{x} mod p"
        ));
        // To open what a_conn sends, take b_conn's place, and the other way round.
        chat.openers
            .insert(a_conn, Session::new(group, &b, &a, &secret));
        chat.openers
            .insert(b_conn, Session::new(group, &a, &b, &secret));
        out.push("  eve: every secure message of this chat is now readable".into());
    }

    /// A sealed message went by: open it if the key is known.
    fn sealed(&mut self, conn: usize, payload: &str, out: &mut Vec<String>) {
        let who = self.label(conn);
        let opener = self
            .conns
            .get(&conn)
            .and_then(|c| c.chat)
            .and_then(|chat| self.chats.get_mut(&chat))
            .and_then(|chat| chat.openers.get_mut(&conn));
        match opener {
            Some(session) => match session.open(payload) {
                Ok(text) => out.push(format!("  eve: {who} wrote, decrypted: {text:?}")),
                Err(err) => out.push(format!("  eve: could not open it: {err}")),
            },
            None => out.push(format!(
                "  eve: a sealed message from {who}, {} bytes of ciphertext: unreadable without the key",
                payload.split('.').nth(1).map_or(0, |b| b.len() * 3 / 4)
            )),
        }
    }
}

/// A line's connection, its chat, and the partner's connection in it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Between {
    pub(super) conn: usize,
    pub(super) chat: u64,
    pub(super) partner: usize,
}

/// The exponent `x` with `g^x mod p = value`, found by trying every one (the toy group has
/// fewer than 2,000).
fn find_exponent(group: Group, value: &PublicValue) -> Option<(u64, KeyPair)> {
    let p = group
        .modulus_be_bytes()
        .iter()
        .try_fold(0u64, |n, &b| n.checked_mul(256).map(|n| n | u64::from(b)))?;
    (2..p.saturating_sub(1)).find_map(|x| {
        let pair = KeyPair::from_private_be(group, &x.to_be_bytes()).ok()?;
        (pair.public() == value).then_some((x, pair))
    })
}

/// What eve can do against a group, in plain words.
pub(super) fn explain_group(group: Group) -> String {
    match group {
        Group::Toy => "  eve: the toy group (p = 1999, g = 1777): fewer than 2,000 possible keys; \
                       eve will try them all as soon as it sees a public value"
            .into(),
        other => {
            format!(
            "  eve: {other}: a {}-bit prime; finding a private exponent is a discrete logarithm \
             in that group, whose best known attack (the number field sieve) costs roughly 2^{} \
             operations, far beyond any computer: eve sees the public values and the sealed \
             tokens, but cannot read them",
            other.modulus_bits(),
            if other.modulus_bits() >= 3072 { 128 } else { 103 }
        )
        }
    }
}
