//! What an eavesdropper on the lab network learns from the wire: the teaching tool `eve`.
//!
//! [`Observer`] is fed every line that crosses a relay, in both directions, and says in plain
//! words what it shows: who registers, who talks to whom, plain messages, sealed tokens, the
//! public key values. In a chat of the original's toy group it recovers the private exponent
//! from a public value by trying all of them, and from then on opens every secure message of
//! that chat live; for a real group it says why it cannot.
//!
//! In man-in-the-middle mode ([`Observer::in_the_middle`]) it also changes what it relays: it
//! answers each client's key exchange with a key of its own (committing to it first, as an
//! honest client does, so the clients accept it), reads every secure message and seals it again
//! for the other side. The chat keeps working, but the two safety codes differ, which is how a
//! class sees code comparison catch it. No socket here: `eve` (the binary) moves the bytes.

use common::commitment::Commitment;
use common::dh::{Group, KeyPair, PublicValue, SharedSecret};
use common::protocol::{Command, KeyLine, Notice, ServerLine};
use common::secure::Session;
use std::collections::HashMap;
use std::time::Instant;

/// Which way a line went through the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// From a client to the server.
    ToServer,
    /// From the server to a client.
    ToClient,
}

/// One client connection as eve knows it.
#[derive(Debug, Default)]
struct Conn {
    /// Its registered name, once the server said hello.
    name: Option<String>,
    /// The chat number of its current key agreement.
    chat: Option<u64>,
}

/// One chat's key agreement as seen on the wire.
#[derive(Debug, Default)]
struct Chat {
    group: Option<Group>,
    /// Public values revealed, by connection.
    values: Vec<(usize, PublicValue)>,
    /// To open messages sent by each connection, once the key is recovered.
    openers: HashMap<usize, Session>,
    /// The group's strength was explained already.
    explained: bool,
}

/// Eve's own side of one client's key exchange, in man-in-the-middle mode.
#[derive(Debug)]
struct Swap {
    /// The key eve uses with this client, and its commitment (sent before anything is known).
    pair: KeyPair,
    commitment: Commitment,
    /// What the client committed to.
    theirs: Option<Commitment>,
    /// Eve's session with this client, once both values are known.
    session: Option<Session>,
}

/// Eve's view of everything that crossed the relay.
#[derive(Debug, Default)]
pub struct Observer {
    conns: HashMap<usize, Conn>,
    chats: HashMap<u64, Chat>,
    /// `Some` in man-in-the-middle mode: eve's key exchange with each client, by (chat, conn).
    swaps: Option<HashMap<(u64, usize), Swap>>,
}

impl Observer {
    /// Eve, before any line, only watching.
    pub fn new() -> Observer {
        Observer::default()
    }

    /// Eve, before any line, sitting in the middle: she swaps in keys of her own.
    pub fn in_the_middle() -> Observer {
        Observer {
            swaps: Some(HashMap::new()),
            ..Observer::default()
        }
    }

    /// Takes one line that went `way` on connection `conn`; returns what eve prints about it.
    /// (Only watching: the line goes on unchanged.)
    pub fn observe(&mut self, conn: usize, way: Way, line: &str) -> Vec<String> {
        self.relay(conn, way, line).1
    }

    /// Takes one line that went `way` on connection `conn`; returns the line to pass on (the
    /// same one, unless eve sits in the middle) and what eve prints about it.
    pub fn relay(&mut self, conn: usize, way: Way, line: &str) -> (String, Vec<String>) {
        let who = self.label(conn);
        let mut out = vec![match way {
            Way::ToServer => format!("[{who} -> server] {line}"),
            Way::ToClient => format!("[server -> {who}] {line}"),
        }];
        match way {
            Way::ToServer => self.client_said(conn, line, &mut out),
            Way::ToClient => self.server_said(conn, line, &mut out),
        }
        let forward = match (way, self.swaps.is_some()) {
            (Way::ToServer, true) => self.swap_in(conn, line, &mut out),
            _ => line.to_string(),
        };
        (forward, out)
    }

    /// The other client in `conn`'s current chat.
    fn partner(&self, conn: usize) -> Option<(u64, usize)> {
        let chat = self.conns.get(&conn)?.chat?;
        self.conns
            .iter()
            .find(|(&other, c)| other != conn && c.chat == Some(chat))
            .map(|(&other, _)| (chat, other))
    }

    /// Man in the middle: the line `conn` sent, as eve passes it on to its partner.
    fn swap_in(&mut self, conn: usize, line: &str, out: &mut Vec<String>) -> String {
        let Some((chat, partner)) = self.partner(conn) else {
            return line.to_string();
        };
        let group = self
            .chats
            .get(&chat)
            .and_then(|c| c.group)
            .unwrap_or(Group::Toy);
        let who = self.label(conn);
        let swaps = self.swaps.as_mut().expect("in the middle");
        match Command::parse(line) {
            Ok(Command::KeyCommit(rest)) => {
                if let Some(swap) = swaps.get_mut(&(chat, conn)) {
                    let hex = rest.rsplit(' ').next().unwrap_or_default();
                    swap.theirs = Commitment::parse(hex).ok();
                }
                match swaps.get(&(chat, partner)) {
                    Some(mine) => {
                        out.push(format!(
                            "  eve (middle): passing on my own commitment instead of {who}'s"
                        ));
                        KeyLine::Commit
                            .command(chat, &mine.commitment.to_string())
                            .to_string()
                    }
                    None => line.to_string(),
                }
            }
            Ok(Command::KeyParam(rest)) => {
                let value = rest.rsplit(' ').next().unwrap_or_default();
                if let (Some(swap), Ok(value)) = (
                    swaps.get_mut(&(chat, conn)),
                    PublicValue::parse(group, value),
                ) {
                    let secret = swap.pair.agree(&value);
                    // What the client computes: with its commitment, or (the original's bare
                    // exchange) without any.
                    let session = match &swap.theirs {
                        Some(theirs) => Session::after_commitments(
                            group,
                            chat,
                            (&swap.commitment, theirs),
                            swap.pair.public(),
                            &value,
                            &secret,
                        ),
                        None => Session::new(group, swap.pair.public(), &value, &secret),
                    };
                    out.push(format!(
                        "  eve (middle): {who} will see the safety code {}",
                        session.safety_code()
                    ));
                    swap.session = Some(session);
                }
                match swaps.get(&(chat, partner)) {
                    Some(mine) => KeyLine::Param
                        .command(chat, &mine.pair.public().to_string())
                        .to_string(),
                    None => line.to_string(),
                }
            }
            Ok(Command::Secure(payload)) => {
                let opened = swaps
                    .get_mut(&(chat, conn))
                    .and_then(|s| s.session.as_mut())
                    .map(|s| s.open(&payload));
                let Some(Ok(text)) = opened else {
                    return line.to_string();
                };
                out.push(format!(
                    "  eve (middle): {who} wrote {text:?}; sealing it again"
                ));
                let resealed = swaps
                    .get_mut(&(chat, partner))
                    .and_then(|s| s.session.as_mut())
                    .and_then(|s| s.seal(&text).ok());
                match resealed {
                    Some(payload) => Command::Secure(payload).to_string(),
                    None => line.to_string(),
                }
            }
            _ => line.to_string(),
        }
    }

    fn label(&self, conn: usize) -> String {
        self.conns
            .get(&conn)
            .and_then(|c| c.name.clone())
            .unwrap_or_else(|| format!("connection {conn}"))
    }

    fn server_said(&mut self, conn: usize, line: &str, out: &mut Vec<String>) {
        match ServerLine::parse(line) {
            Ok(ServerLine::Notice(Notice::Registered(name))) => {
                self.conns.entry(conn).or_default().name = Some(name.to_string());
                out.push(format!("  eve: connection {conn} is {name}"));
            }
            Ok(ServerLine::Notice(Notice::Connected(other))) => {
                let me = self.label(conn);
                out.push(format!("  eve: {me} is now chatting with {other}"));
            }
            Ok(ServerLine::GenKeys { group, chat }) => {
                let chat_no = chat.unwrap_or(0);
                self.conns.entry(conn).or_default().chat = Some(chat_no);
                let entry = self.chats.entry(chat_no).or_default();
                entry.group = group.parse().ok().or(Some(Group::Toy));
                let group = entry.group.unwrap_or(Group::Toy);
                if !std::mem::replace(&mut entry.explained, true) {
                    out.push(explain_group(group));
                }
                if let Some(swaps) = self.swaps.as_mut() {
                    // Committed to before eve has seen anything of this chat.
                    let pair = KeyPair::generate(group);
                    let commitment = Commitment::to(group, chat_no, pair.public());
                    swaps.insert(
                        (chat_no, conn),
                        Swap {
                            pair,
                            commitment,
                            theirs: None,
                            session: None,
                        },
                    );
                }
            }
            _ => {}
        }
    }

    fn client_said(&mut self, conn: usize, line: &str, out: &mut Vec<String>) {
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
fn explain_group(group: Group) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use common::commitment::Commitment;

    /// A toy-group chat seen from the wire: eve recovers the key and reads the secure message;
    /// in ffdhe2048 it sees the token and says it cannot.
    #[test]
    fn eve_reads_a_toy_chat_and_not_a_real_one() {
        for (group, readable) in [(Group::Toy, true), (Group::Ffdhe2048, false)] {
            let mut eve = Observer::new();
            let (a, b) = (KeyPair::generate(group), KeyPair::generate(group));
            if a.public() == b.public() {
                continue;
            }
            eve.observe(0, Way::ToClient, "(server): Hello alice! Type status to see who is here, connect <user> to chat, help for more.");
            eve.observe(1, Way::ToClient, "(server): Hello bob! Type status to see who is here, connect <user> to chat, help for more.");
            for conn in [0, 1] {
                eve.observe(conn, Way::ToClient, &format!("GEN_KEYS {group} 7"));
            }
            let ca = Commitment::to(group, 7, a.public());
            eve.observe(0, Way::ToServer, &format!("key_commit 7 {ca}"));
            eve.observe(0, Way::ToServer, &format!("key_param 7 {}", a.public()));
            eve.observe(1, Way::ToServer, &format!("key_param 7 {}", b.public()));
            let secret = a.agree(b.public());
            let mut alice = Session::new(group, a.public(), b.public(), &secret);
            let payload = alice.seal("meet at the library").unwrap();
            let seen = eve.observe(0, Way::ToServer, &format!("secure: {payload}"));
            let decrypted = seen.iter().any(|l| l.contains("\"meet at the library\""));
            assert_eq!(decrypted, readable, "{group}: {seen:#?}");
        }
    }
}
