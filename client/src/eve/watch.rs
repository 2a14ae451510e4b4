//! Watching, which eve does in every mode: what each line shows, and in a toy-group chat the
//! key, recovered from the public values, and every secure message opened with it.

use crate::eve::layout::duration;
use common::dh::{Group, KeyPair, PublicValue, SharedSecret};
use common::protocol::{Command, Notice, ServerLine};
use common::secure::Session;
use std::collections::HashMap;
use std::time::{Duration, Instant};

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
    /// The toy-group search for this chat's key was handed out (once per chat).
    pub(super) cracking: bool,
    /// The toy group's key, found: the exponent and how long the search took.
    pub(super) cracked: Option<(u64, Duration)>,
    /// In the middle: the server asked for identities and eve passed `GEN_KEYS` on without
    /// them (she cannot prove anyone's identity), to these connections.
    pub(super) identity_stripped: Vec<usize>,
    /// The two people of the chat (connection and name), as eve knew them when it began.
    pub(super) people: Vec<(usize, String)>,
    /// What went by in this chat, for the verdict at its end.
    pub(super) tally: Tally,
}

/// What went by in one chat, for the verdict at its end.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Tally {
    /// Plain messages: anyone on the wire reads them.
    pub(super) plain: u32,
    /// Sealed messages.
    pub(super) sealed: u32,
    /// Sealed messages eve opened (watching, with the toy key; or in the middle).
    pub(super) opened: u32,
}

/// What a line from the server meant for the connection's chat.
#[derive(Debug)]
pub(super) enum Heard {
    /// Nothing for the chat.
    Nothing,
    /// `GEN_KEYS`: a chat began, in this group.
    Began(u64, Group),
    /// The connection's chat is over (ended, the partner left, or the server says goodbye):
    /// the chat, if nobody eve relays is left in it, forgotten.
    Ended(Option<(u64, Chat)>),
}

/// The search for a toy-group chat's key, handed out once both public values went by, to run
/// outside eve's lock ([`CrackJob::run`]); its outcome goes back to
/// [`Interceptor::cracked`](crate::eve::intercept::Interceptor::cracked).
#[derive(Debug, Clone)]
pub struct CrackJob {
    /// The chat number.
    pub chat: u64,
    /// The two connections and the public values they revealed.
    values: [(usize, PublicValue); 2],
}

/// What the search for a toy-group key found.
#[derive(Debug)]
pub struct Cracked {
    x: u64,
    secret: SharedSecret,
    took: Duration,
}

impl CrackJob {
    /// Tries every exponent until one gives the first value (the toy group has fewer than
    /// 2,000), and computes the secret with the second. A few milliseconds: run it outside
    /// any lock. `None` if no exponent gives the value (not the toy group).
    pub fn run(&self) -> Option<Cracked> {
        let started = Instant::now();
        let (a, b) = (&self.values[0].1, &self.values[1].1);
        let (x, pair) = find_exponent(a.group(), a)?;
        let secret = pair.agree(b);
        Some(Cracked {
            x,
            secret,
            took: started.elapsed(),
        })
    }
}

/// What eve knows from watching: every connection, and every chat's key agreement.
#[derive(Debug, Default)]
pub struct Watch {
    pub(super) conns: HashMap<usize, Conn>,
    pub(super) chats: HashMap<u64, Chat>,
    /// Eve sits in the middle (`--mitm`, `--grind`): she reads secure messages with her own
    /// keys, so watching neither searches for keys nor calls a message unreadable.
    pub(super) in_middle: bool,
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

    /// Follows a line the server sent `conn`: who registered, who chats with whom, the key
    /// agreement each chat begins, and its end.
    pub(super) fn server_said(&mut self, conn: usize, line: &str, out: &mut Vec<String>) -> Heard {
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
            Ok(ServerLine::Notice(
                Notice::YouEndedChat(_)
                | Notice::PeerEndedChat(_)
                | Notice::PeerLeft(_)
                | Notice::Bye
                | Notice::ShuttingDown,
            )) => return Heard::Ended(self.leave(conn)),
            Ok(ServerLine::GenKeys { group, chat, .. }) => {
                let chat_no = chat.unwrap_or(0);
                let group = group.parse().unwrap_or(Group::Toy);
                let me = self.label(conn);
                self.conns.entry(conn).or_default().chat = Some(chat_no);
                let entry = self.chats.entry(chat_no).or_default();
                entry.group = Some(group);
                if entry.people.len() < 2 && !entry.people.iter().any(|(c, _)| *c == conn) {
                    entry.people.push((conn, me));
                }
                if !std::mem::replace(&mut entry.explained, true) {
                    out.push(explain_group(group, self.in_middle));
                }
                return Heard::Began(chat_no, group);
            }
            _ => {}
        }
        Heard::Nothing
    }

    /// `conn` is out of its chat (the chat ended, or the connection closed). Returns the chat
    /// if nobody eve relays is left in it: eve forgets it.
    pub(super) fn leave(&mut self, conn: usize) -> Option<(u64, Chat)> {
        let me = self.conns.get_mut(&conn)?;
        me.partner = None;
        let chat = me.chat.take()?;
        if self.conns.values().any(|c| c.chat == Some(chat)) {
            return None;
        }
        self.chats.remove(&chat).map(|c| (chat, c))
    }

    /// Follows a line `conn`'s client sent: what it gives away. Returns the search for a toy
    /// chat's key once both values went by.
    pub(super) fn client_said(
        &mut self,
        conn: usize,
        line: &str,
        out: &mut Vec<String>,
    ) -> Option<CrackJob> {
        match Command::parse(line) {
            Ok(Command::KeyParam(rest)) => {
                let value = rest.rsplit(' ').next().unwrap_or_default();
                return self.revealed(conn, value, out);
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
                if let Some(chat) = self.chat_of(conn) {
                    chat.tally.plain += 1;
                }
            }
            _ => {}
        }
        None
    }

    /// `conn`'s current chat, if eve knows it.
    pub(super) fn chat_of(&mut self, conn: usize) -> Option<&mut Chat> {
        let chat = self.conns.get(&conn)?.chat?;
        self.chats.get_mut(&chat)
    }

    /// A public value went by. A client's first value of a chat is the one that counts (a
    /// second `key_param` is chat text to the server); once a toy chat has both, the search
    /// for its key is handed out, once per chat.
    fn revealed(&mut self, conn: usize, value: &str, out: &mut Vec<String>) -> Option<CrackJob> {
        let in_middle = self.in_middle;
        let chat_no = self.conns.get(&conn)?.chat?;
        let chat = self.chats.get_mut(&chat_no)?;
        let group = chat.group.unwrap_or(Group::Toy);
        let value = PublicValue::parse(group, value).ok()?;
        if chat.values.iter().any(|(c, _)| *c == conn) || chat.values.len() >= 2 {
            return None;
        }
        chat.values.push((conn, value));
        if in_middle || group != Group::Toy || chat.values.len() != 2 || chat.cracking {
            return None;
        }
        chat.cracking = true;
        out.push("  eve: both public values went by; trying every exponent".into());
        Some(CrackJob {
            chat: chat_no,
            values: [chat.values[0].clone(), chat.values[1].clone()],
        })
    }

    /// The search handed out as `job` is over: with the key found, every secure message of the
    /// chat opens from now on.
    pub(super) fn cracked(
        &mut self,
        job: &CrackJob,
        outcome: Option<Cracked>,
        out: &mut Vec<String>,
    ) {
        let Some(chat) = self.chats.get_mut(&job.chat) else {
            return;
        };
        let Some(Cracked { x, secret, took }) = outcome else {
            out.push("  eve: no exponent gives that value (not the toy group?)".into());
            return;
        };
        let [(a_conn, a), (b_conn, b)] = job.values.clone();
        let group = a.group();
        out.push(format!(
            "  eve: tried exponents until g^x mod p = {a}: x = {x} ({}); shared secret = \
             {b}^{x} mod p",
            duration(took)
        ));
        chat.cracked = Some((x, took));
        // To open what a_conn sends, take b_conn's place, and the other way round.
        chat.openers
            .insert(a_conn, Session::new(group, &b, &a, &secret));
        chat.openers
            .insert(b_conn, Session::new(group, &a, &b, &secret));
        out.push("  eve: every secure message of this chat is now readable".into());
    }

    /// A sealed message went by: open it if the key is known. In the middle, eve opens it
    /// with her own key instead ([`crate::eve::middle`]).
    fn sealed(&mut self, conn: usize, payload: &str, out: &mut Vec<String>) {
        if self.in_middle {
            return;
        }
        let who = self.label(conn);
        let Some(chat) = self.chat_of(conn) else {
            out.push(format!(
                "  eve: a sealed message from {who}, outside any chat eve saw begin"
            ));
            return;
        };
        chat.tally.sealed += 1;
        match chat.openers.get_mut(&conn) {
            Some(session) => match session.open(payload) {
                Ok(text) => {
                    chat.tally.opened += 1;
                    out.push(format!("  eve: {who} wrote, decrypted: {text:?}"));
                }
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

/// The exponent `x` with `g^x mod p = value`, found by trying every one in turn (the toy
/// group has fewer than 2,000): `g^2, g^3, ...`, one multiplication each, until one is the
/// value. Only for a group whose `p` fits in 64 bits.
fn find_exponent(group: Group, value: &PublicValue) -> Option<(u64, KeyPair)> {
    let p = group
        .modulus_be_bytes()
        .iter()
        .try_fold(0u64, |n, &b| n.checked_mul(256).map(|n| n | u64::from(b)))?;
    let target: u64 = value.to_string().parse().ok()?;
    let g = u64::from(group.generator()) % p;
    let mut power = g * g % p;
    for x in 2..p.saturating_sub(1) {
        if power == target {
            let pair = KeyPair::from_private_be(group, &x.to_be_bytes()).ok()?;
            return (pair.public() == value).then_some((x, pair));
        }
        power = power * g % p;
    }
    None
}

/// What eve can do against a group, in plain words; `in_middle`: eve swaps in keys of her
/// own, so she reads the chat whatever the group.
pub(super) fn explain_group(group: Group, in_middle: bool) -> String {
    match (group, in_middle) {
        (Group::Toy, false) => "  eve: the toy group (p = 1999, g = 1777): fewer than 2,000 \
                                possible keys; eve will try them all as soon as it sees both \
                                public values"
            .into(),
        (Group::Toy, true) => "  eve: the toy group (p = 1999, g = 1777); eve need not even \
                               search: she is in the middle with keys of her own"
            .into(),
        (other, false) => format!(
            "  eve: {other}: a {}-bit prime; finding a private exponent is a discrete logarithm \
             in that group, whose best known attack (the number field sieve) costs roughly 2^{} \
             operations, far beyond any computer: eve sees the public values and the sealed \
             tokens, but cannot open them",
            other.modulus_bits(),
            strength(other)
        ),
        (other, true) => format!(
            "  eve: {other}: a {}-bit prime, roughly 2^{} operations to break by watching; but \
             eve is in the middle: each client agrees a key with eve, not with its partner, so \
             eve reads every secure message, and the two safety codes differ",
            other.modulus_bits(),
            strength(other)
        ),
    }
}

/// The work, as a power of two, the best known attack on `group` costs.
fn strength(group: Group) -> u32 {
    if group.modulus_bits() >= 3072 {
        128
    } else {
        103
    }
}
