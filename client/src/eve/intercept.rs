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
//! class sees code comparison catch it.
//!
//! In grinding mode ([`Observer::grinding`]) it sits in the middle too, but holds back each
//! client's public value until it has both, then hands out a [`GrindJob`]: the search for
//! values that make the two codes agree ([`crate::eve::search`]). Its outcome comes back through
//! [`Observer::ground`], which releases the held lines with the values found and says what
//! follows: clients that committed first refuse them, clients that did not are fooled.
//!
//! No socket here: `eve` (the binary) moves the bytes. Each line fed in gives [`Actions`]: the
//! lines to write (on any connection, not only the one the line came from, since a held line
//! goes out later), what to print, and any search to run outside the lock.

use crate::eve::search::{self, Finding, Formula, Goal, SearchError, Target};
use common::commitment::Commitment;
use common::dh::{Group, KeyPair, PublicValue, SharedSecret};
use common::protocol::{Command, KeyLine, Notice, ServerLine};
use common::secure::Session;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// Which way a line went through the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Way {
    /// From a client to the server.
    ToServer,
    /// From the server to a client.
    ToClient,
}

/// A line for eve to write: on connection `conn`, to the server or to its client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The connection (numbered by the relay, in accept order).
    pub conn: usize,
    /// To the server (a line the client sent, or eve's replacement) or to the client.
    pub way: Way,
    /// The line, without its newline.
    pub line: String,
}

/// What eve does after a line: write these, print these, maybe start a search.
#[derive(Debug, Default)]
pub struct Actions {
    /// Lines to write, in this order (per connection and direction, the order they must keep).
    pub send: Vec<Outgoing>,
    /// What eve prints, one line each (not yet escaped for the terminal).
    pub print: Vec<String>,
    /// A search for matching codes to run outside the lock, in a thread of its own; its outcome
    /// goes back to [`Observer::ground`].
    pub grind: Option<GrindJob>,
}

impl Actions {
    fn forward(&mut self, conn: usize, way: Way, line: &str) {
        self.send.push(Outgoing {
            conn,
            way,
            line: line.to_string(),
        });
    }
}

/// One chat's search for matching safety codes, handed out by [`Observer`] once it holds both
/// clients' values, and given back to [`Observer::ground`] with its outcome.
#[derive(Debug, Clone)]
pub struct GrindJob {
    /// The chat number.
    pub chat: u64,
    /// The two clients' connections, in the order of `targets`.
    conns: [usize; 2],
    targets: [Target; 2],
    goal: Goal,
}

impl GrindJob {
    /// Runs the search ([`search::grind`]): long work, to run outside any lock. `report` gets
    /// each line eve prints about it as it goes.
    ///
    /// # Errors
    ///
    /// [`SearchError`] if the two sides are in different groups (a lying server).
    pub fn run(&self, report: impl FnMut(String)) -> Result<Finding, SearchError> {
        search::grind(self.targets.clone(), self.goal, report)
    }
}

/// One client connection as eve knows it.
#[derive(Debug, Default)]
struct Conn {
    /// Its registered name, once the server said hello.
    name: Option<String>,
    /// Who the server said it is now chatting with.
    partner: Option<String>,
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
    /// Grinding: why eve must commit was explained already.
    commit_explained: bool,
    /// Grinding: the search for this chat was handed out.
    grinding: bool,
}

/// Eve's own side of one client's key exchange, in man-in-the-middle mode.
#[derive(Debug)]
struct Swap {
    /// The key eve uses with this client, and its commitment (sent before anything is known).
    /// Shared with a search, which starts from it.
    pair: Arc<KeyPair>,
    commitment: Commitment,
    /// What the client committed to.
    theirs: Option<Commitment>,
    /// Eve's session with this client, once both values are known.
    session: Option<Session>,
    /// Grinding: the client's `key_param` (the text after the word) and its value, held back
    /// until the search is over.
    held: Option<(String, PublicValue)>,
}

/// Eve's view of everything that crossed the relay.
#[derive(Debug, Default)]
pub struct Observer {
    conns: HashMap<usize, Conn>,
    chats: HashMap<u64, Chat>,
    /// `Some` in man-in-the-middle mode: eve's key exchange with each client, by (chat, conn).
    swaps: Option<HashMap<(u64, usize), Swap>>,
    /// `Some` in grinding mode: how far eve searches.
    goal: Option<Goal>,
    /// In the middle: key lines from a client whose partner's `GEN_KEYS` has not passed yet
    /// (the server sends both at once, but they cross eve on two connections); swapped and
    /// passed on once it has.
    early: Vec<(usize, String)>,
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

    /// Eve in the middle, grinding: she also holds back each client's public value until she
    /// has both, and searches for values of her own that make the two codes agree in
    /// `goal.digits` digits.
    pub fn grinding(goal: Goal) -> Observer {
        Observer {
            goal: Some(goal),
            ..Observer::in_the_middle()
        }
    }

    /// Takes one line that went `way` on connection `conn`; returns what eve prints about it.
    /// (Only watching: the line goes on unchanged.)
    pub fn observe(&mut self, conn: usize, way: Way, line: &str) -> Vec<String> {
        self.relay(conn, way, line).print
    }

    /// Takes one line that went `way` on connection `conn`; returns what to write (the same
    /// line, unless eve sits in the middle; in grinding mode a held line is written later),
    /// what eve prints about it, and any search to start.
    pub fn relay(&mut self, conn: usize, way: Way, line: &str) -> Actions {
        let who = self.label(conn);
        let mut actions = Actions::default();
        actions.print.push(match way {
            Way::ToServer => format!("[{who} -> server] {line}"),
            Way::ToClient => format!("[server -> {who}] {line}"),
        });
        match way {
            Way::ToServer => {
                self.client_said(conn, line, &mut actions.print);
                if self.swaps.is_some() {
                    self.swap_in(conn, line, &mut actions);
                } else {
                    actions.forward(conn, way, line);
                }
            }
            Way::ToClient => {
                self.server_said(conn, line, &mut actions);
                actions.forward(conn, way, line);
            }
        }
        actions
    }

    /// Connection `conn` is over (the server closed it): forgets it, and any line of it that
    /// waited for a partner.
    pub fn closed(&mut self, conn: usize) {
        self.conns.remove(&conn);
        self.early.retain(|(c, _)| *c != conn);
    }

    /// The other client in `conn`'s current chat.
    fn partner(&self, conn: usize) -> Option<(u64, usize)> {
        let chat = self.conns.get(&conn)?.chat?;
        self.conns
            .iter()
            .find(|(&other, c)| other != conn && c.chat == Some(chat))
            .map(|(&other, _)| (chat, other))
    }

    /// True if `conn` is in a chat with someone eve relays, whose `GEN_KEYS` has not passed yet.
    fn partner_on_the_way(&self, conn: usize) -> bool {
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

    /// Man in the middle: passes on the line `conn` sent to the server, as eve wants its
    /// partner to get it.
    fn swap_in(&mut self, conn: usize, line: &str, actions: &mut Actions) {
        let command = Command::parse(line);
        let key_line = matches!(command, Ok(Command::KeyCommit(_) | Command::KeyParam(_)));
        let Some((chat, partner)) = self.partner(conn) else {
            if key_line && self.partner_on_the_way(conn) {
                self.early.push((conn, line.to_string()));
            } else {
                actions.forward(conn, Way::ToServer, line);
            }
            return;
        };
        let who = self.label(conn);
        let grinding = self.goal.is_some();
        let Some(swaps) = self.swaps.as_mut() else {
            actions.forward(conn, Way::ToServer, line);
            return;
        };
        let forward = match command {
            Ok(Command::KeyCommit(rest)) => {
                if let Some(swap) = swaps.get_mut(&(chat, conn)) {
                    let hex = rest.rsplit(' ').next().unwrap_or_default();
                    swap.theirs = Commitment::parse(hex).ok();
                }
                match swaps.get(&(chat, partner)) {
                    Some(mine) => {
                        actions.print.push(format!(
                            "  eve (middle): passing on my own commitment instead of {who}'s"
                        ));
                        let explained = self
                            .chats
                            .get_mut(&chat)
                            .map(|c| std::mem::replace(&mut c.commit_explained, true));
                        if grinding && explained == Some(false) {
                            actions.print.push(
                                "  eve (grind): eve has to commit now, to a value for each \
                                 side, before it knows either real value: a client reveals \
                                 its own only once it holds the partner's commitment"
                                    .into(),
                            );
                        }
                        KeyLine::Commit
                            .command(chat, &mine.commitment.to_string())
                            .to_string()
                    }
                    None => line.to_string(),
                }
            }
            Ok(Command::KeyParam(rest)) if grinding => {
                self.hold(conn, chat, partner, &rest, line, actions);
                return;
            }
            Ok(Command::KeyParam(rest)) => {
                let value = rest.rsplit(' ').next().unwrap_or_default();
                if let Some(swap) = swaps.get_mut(&(chat, conn)) {
                    if let Ok(value) = PublicValue::parse(swap.pair.group(), value) {
                        let secret = swap.pair.agree(&value);
                        let session = eve_session(chat, swap, swap.pair.public(), &value, &secret);
                        actions.print.push(format!(
                            "  eve (middle): {who} will see the safety code {}",
                            session.safety_code()
                        ));
                        swap.session = Some(session);
                    }
                }
                match swaps.get(&(chat, partner)) {
                    Some(mine) => param_line(&rest, mine.pair.public()),
                    None => line.to_string(),
                }
            }
            Ok(Command::Secure(payload)) => {
                let opened = swaps
                    .get_mut(&(chat, conn))
                    .and_then(|s| s.session.as_mut())
                    .map(|s| s.open(&payload));
                match opened {
                    Some(Ok(text)) => {
                        actions.print.push(format!(
                            "  eve (middle): {who} wrote {text:?}; sealing it again"
                        ));
                        swaps
                            .get_mut(&(chat, partner))
                            .and_then(|s| s.session.as_mut())
                            .and_then(|s| s.seal(&text).ok())
                            .map_or_else(|| line.to_string(), |p| Command::Secure(p).to_string())
                    }
                    _ => line.to_string(),
                }
            }
            _ => line.to_string(),
        };
        actions.forward(conn, Way::ToServer, &forward);
    }

    /// Grinding: `conn`'s `key_param` (`rest` after the word) is held back; once its partner's
    /// is too, the search is handed out.
    fn hold(
        &mut self,
        conn: usize,
        chat: u64,
        partner: usize,
        rest: &str,
        line: &str,
        actions: &mut Actions,
    ) {
        let who = self.label(conn);
        let other = self.label(partner);
        let (Some(swaps), Some(goal)) = (self.swaps.as_mut(), self.goal) else {
            return actions.forward(conn, Way::ToServer, line);
        };
        let Some(swap) = swaps.get_mut(&(chat, conn)) else {
            return actions.forward(conn, Way::ToServer, line);
        };
        let value = rest.rsplit(' ').next().unwrap_or_default();
        // A second key_param is chat text to the server, and a malformed value is refused by
        // the partner itself: either goes on as it is.
        let value = match PublicValue::parse(swap.pair.group(), value) {
            Ok(value) if swap.held.is_none() => value,
            _ => return actions.forward(conn, Way::ToServer, line),
        };
        swap.held = Some((rest.to_string(), value));
        actions.print.push(format!(
            "  eve (grind): holding {who}'s value back: eve needs both before it can search"
        ));
        let both = [(conn, who), (partner, other)].map(|(c, name)| {
            let swap = swaps.get(&(chat, c))?;
            let (_, value) = swap.held.as_ref()?;
            let formula = match swap.theirs {
                Some(client) => Formula::Committed {
                    chat,
                    client,
                    eve: swap.commitment,
                },
                None => Formula::Uncommitted,
            };
            Some(Target {
                name,
                value: value.clone(),
                formula,
                start: Arc::clone(&swap.pair),
            })
        });
        let [Some(mine), Some(theirs)] = both else {
            return;
        };
        let Some(entry) = self.chats.get_mut(&chat) else {
            return;
        };
        if std::mem::replace(&mut entry.grinding, true) {
            return;
        }
        actions.grind = Some(GrindJob {
            chat,
            conns: [conn, partner],
            targets: [mine, theirs],
            goal,
        });
    }

    /// The search handed out for `job` is over: passes on the held values, replaced by what
    /// it found (or, if it found nothing, by the values eve committed to), and says what the
    /// clients will make of them.
    pub fn ground(&mut self, job: &GrindJob, outcome: Result<Finding, SearchError>) -> Actions {
        let mut actions = Actions::default();
        let chat = job.chat;
        let names = job.targets.clone().map(|t| t.name);
        let Some(swaps) = self.swaps.as_mut() else {
            return actions;
        };
        let held = job
            .conns
            .map(|c| swaps.get(&(chat, c)).and_then(|s| s.held.clone()));
        let [Some((rest_0, _)), Some((rest_1, _))] = held else {
            return actions;
        };
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(err) => {
                actions.print.push(format!(
                    "  eve (grind): cannot search: {err}; passing both values on unchanged"
                ));
                for (conn, rest) in [(job.conns[0], rest_0), (job.conns[1], rest_1)] {
                    actions.forward(conn, Way::ToServer, &format!("key_param {rest}"));
                }
                return actions;
            }
        };
        let mut refused = [false; 2];
        for (i, &conn) in job.conns.iter().enumerate() {
            let Some(swap) = swaps.get_mut(&(chat, conn)) else {
                continue;
            };
            let Some((_, honest)) = swap.held.clone() else {
                continue;
            };
            let reveal = &outcome.reveal[i];
            let group = swap.pair.group();
            refused[i] =
                swap.theirs.is_some() && !swap.commitment.opens_to(group, chat, &reveal.value);
            swap.session = Some(eve_session(
                chat,
                swap,
                &reveal.value,
                &honest,
                &reveal.secret,
            ));
            actions.print.push(if refused[i] {
                format!(
                    "  eve (grind): {who} will refuse eve's new value: it does not open the \
                     commitment eve sent {who} before it knew anything (\"does not match the \
                     commitment\")",
                    who = names[i]
                )
            } else {
                format!(
                    "  eve (grind): {} will accept eve's value and see the safety code {}",
                    names[i], reveal.code
                )
            });
        }
        // Each client's key_param reaches its partner: it carries eve's value for the partner.
        for (i, rest) in [rest_0, rest_1].iter().enumerate() {
            let line = param_line(rest, &outcome.reveal[1 - i].value);
            actions.forward(job.conns[i], Way::ToServer, &line);
        }
        let digits = job.goal.digits;
        actions
            .print
            .push(match (outcome.matched, refused.contains(&true)) {
                (true, true) => "  eve (grind): the commitments beat the search: eve committed to \
                 its values before it knew either real value, so the codes were settled \
                 before anyone could search, and every value found later is a new one that \
                 the clients refuse. secure: is off for this chat"
                    .to_string(),
                (true, false) => format!(
                    "  eve (grind): no client committed first (the original's exchange), so both \
                 accept, their codes agree in the first {digits} digits, and eve reads and \
                 seals again every secure message: the attack the commitment step stops"
                ),
                (false, _) => "  eve (grind): no match, so eve sends the values it committed to: \
                 the codes differ, as with --mitm"
                    .to_string(),
            });
        actions
    }

    fn label(&self, conn: usize) -> String {
        self.conns
            .get(&conn)
            .and_then(|c| c.name.clone())
            .unwrap_or_else(|| format!("connection {conn}"))
    }

    fn server_said(&mut self, conn: usize, line: &str, actions: &mut Actions) {
        let out = &mut actions.print;
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
            Ok(ServerLine::GenKeys { group, chat }) => {
                let chat_no = chat.unwrap_or(0);
                self.conns.entry(conn).or_default().chat = Some(chat_no);
                // A line of this connection's previous chat that still waited is stale.
                self.early.retain(|(c, _)| *c != conn);
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
                            pair: Arc::new(pair),
                            commitment,
                            theirs: None,
                            session: None,
                            held: None,
                        },
                    );
                }
                // The partner's key lines that waited for this GEN_KEYS go on now.
                let early = std::mem::take(&mut self.early);
                for (from, line) in early {
                    if self.partner(from).is_some() {
                        self.swap_in(from, &line, actions);
                    } else {
                        self.early.push((from, line));
                    }
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

/// Eve's session with the client of `swap`, as the client computes it: after commitments if
/// it committed, else the original's bare exchange.
fn eve_session(
    chat: u64,
    swap: &Swap,
    eve_value: &PublicValue,
    client_value: &PublicValue,
    secret: &SharedSecret,
) -> Session {
    let group = swap.pair.group();
    match &swap.theirs {
        Some(theirs) => Session::after_commitments(
            group,
            chat,
            (&swap.commitment, theirs),
            eve_value,
            client_value,
            secret,
        ),
        None => Session::new(group, eve_value, client_value, secret),
    }
}

/// A client's `key_param` (`rest` after the word: `<chat> <value>`, or the original's bare
/// `<value>`) with `value` in place of its own.
fn param_line(rest: &str, value: &PublicValue) -> String {
    match rest.rsplit_once(' ') {
        Some((chat, _)) => format!("key_param {chat} {value}"),
        None => format!("key_param {value}"),
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
    use common::exchange::{Exchange, ExchangeError, Step};
    use std::time::Duration;

    const NAMES: [&str; 2] = ["alice", "bob"];

    /// Eve between two clients (connections 0 and 1) and a stand-in for the server, which
    /// passes each key line and secure message to the partner as the real one does.
    struct Wire {
        eve: Observer,
        printed: Vec<String>,
        jobs: Vec<GrindJob>,
    }

    impl Wire {
        fn new(eve: Observer) -> Wire {
            let mut wire = Wire {
                eve,
                printed: Vec::new(),
                jobs: Vec::new(),
            };
            for (conn, name) in NAMES.iter().enumerate() {
                wire.down(conn, &format!("(server): Hello {name}! Type status to see who is here, connect <user> to chat, help for more."));
            }
            for (conn, other) in [(0, "bob"), (1, "alice")] {
                wire.down(conn, &format!("(server): You are now connected to {other}"));
            }
            wire
        }

        /// A line from the server to client `conn`, through eve: what the clients get.
        fn down(&mut self, conn: usize, line: &str) -> Vec<(usize, String)> {
            let actions = self.eve.relay(conn, Way::ToClient, line);
            self.follow(actions)
        }

        /// A line from client `conn` to the server, through eve: what the clients get.
        fn up(&mut self, conn: usize, line: &str) -> Vec<(usize, String)> {
            let actions = self.eve.relay(conn, Way::ToServer, line);
            self.follow(actions)
        }

        /// Runs the search handed out last, and lets the held lines go.
        fn grind(&mut self) -> Vec<(usize, String)> {
            let job = self.jobs.pop().expect("a search was handed out");
            let outcome = job.run(|l| self.printed.push(l));
            let actions = self.eve.ground(&job, outcome);
            self.follow(actions)
        }

        fn follow(&mut self, actions: Actions) -> Vec<(usize, String)> {
            self.printed.extend(actions.print);
            self.jobs.extend(actions.grind);
            let mut delivered = Vec::new();
            for out in actions.send {
                match out.way {
                    Way::ToClient => delivered.push((out.conn, out.line)),
                    Way::ToServer => {
                        let partner = 1 - out.conn;
                        let relayed = match Command::parse(&out.line) {
                            Ok(Command::KeyCommit(rest) | Command::KeyParam(rest)) => {
                                let word = out.line.split(' ').next().unwrap_or_default();
                                let value = rest.rsplit(' ').next().unwrap_or_default();
                                format!("{word} {value}")
                            }
                            Ok(Command::Secure(payload)) => {
                                format!("{} (secure): {payload}", NAMES[out.conn])
                            }
                            _ => continue,
                        };
                        delivered.extend(self.down(partner, &relayed));
                    }
                }
            }
            delivered
        }
    }

    /// The key lines in what the clients got, as (conn, word, text after the word).
    fn key_lines(delivered: &[(usize, String)]) -> Vec<(usize, String, String)> {
        delivered
            .iter()
            .filter_map(|(conn, line)| {
                let (word, rest) = line.split_once(' ')?;
                word.starts_with("key_")
                    .then(|| (*conn, word.to_string(), rest.to_string()))
            })
            .collect()
    }

    /// Two real key exchanges (the client's state machine, connections 0 and 1) through eve
    /// grinding for `goal`, run to their end: each client's outcome, and what eve printed.
    fn committing_clients(goal: Goal) -> ([Exchange; 2], Vec<Step>, String) {
        let mut wire = Wire::new(Observer::grinding(goal));
        let mut clients = [Exchange::new(false), Exchange::new(false)];
        let mut pending = Vec::new();
        for conn in [0, 1] {
            for (to, line) in wire.down(conn, "GEN_KEYS ffdhe2048 7") {
                assert_eq!((to, line.as_str()), (conn, "GEN_KEYS ffdhe2048 7"));
                let Step::Send(command) = clients[conn].on_gen_keys("ffdhe2048", Some(7)) else {
                    panic!("the client commits");
                };
                pending.push((conn, command.to_string()));
            }
        }
        let mut ends = Vec::new();
        while let Some((conn, line)) = pending.pop() {
            let mut delivered = wire.up(conn, &line);
            if delivered.is_empty() && !wire.jobs.is_empty() {
                delivered = wire.grind();
            }
            for (to, word, text) in key_lines(&delivered) {
                let step = match word.as_str() {
                    "key_commit" => clients[to].on_commit(&text),
                    _ => clients[to].on_param(&text),
                };
                match step {
                    Step::Send(command) => pending.push((to, command.to_string())),
                    end => ends.push(end),
                }
            }
        }
        (clients, ends, wire.printed.join("\n"))
    }

    /// Eve grinding between two clients that commit: each client's value is held until both
    /// are in, the search finds a 3-digit match, and both clients refuse the values found:
    /// they do not open the commitments eve sent first.
    #[test]
    fn grinding_is_refused_by_committing_clients() {
        let goal = Goal {
            digits: 3,
            budget: Duration::from_secs(60),
        };
        let (_, ends, printed) = committing_clients(goal);
        assert_eq!(ends.len(), 2, "{ends:?}\n{printed}");
        for end in ends {
            assert!(
                matches!(end, Step::Failed(ExchangeError::CommitmentMismatch)),
                "{end:?}\n{printed}"
            );
        }
        assert!(printed.contains("found after"), "{printed}");
        assert!(
            printed.contains("bob will refuse eve's new value"),
            "{printed}"
        );
        assert!(
            printed.contains("the commitments beat the search"),
            "{printed}"
        );
    }

    /// A search that runs out of time (12 digits in a tenth of a second) sends the values
    /// eve committed to: both clients accept them, and their codes differ, as with `--mitm`.
    #[test]
    fn out_of_time_eve_sends_what_she_committed_to() {
        let goal = Goal {
            digits: 12,
            budget: Duration::from_millis(100),
        };
        let (clients, ends, printed) = committing_clients(goal);
        assert_eq!(ends.len(), 2, "{ends:?}\n{printed}");
        assert!(ends.iter().all(|e| matches!(e, Step::Agreed)), "{ends:?}");
        let codes = clients.map(|c| c.session().expect("agreed").safety_code());
        assert_ne!(codes[0], codes[1]);
        assert!(printed.contains("out of time after"), "{printed}");
        for code in &codes {
            assert!(
                printed.contains(&format!(
                    "accept eve's value and see the safety code {code}"
                )),
                "{printed}"
            );
        }
        assert!(
            printed.contains("the codes differ, as with --mitm"),
            "{printed}"
        );
    }

    /// Clients that reveal at once (no commitment): eve holds both values, grinds, and the
    /// codes they compute from their own keys agree in the digits asked for; then eve opens
    /// and seals again what one of them sends.
    #[test]
    fn grinding_fools_clients_that_do_not_commit() {
        let group = Group::Ffdhe2048;
        let goal = Goal {
            digits: 3,
            budget: Duration::from_secs(60),
        };
        let mut wire = Wire::new(Observer::grinding(goal));
        let keys = [KeyPair::generate(group), KeyPair::generate(group)];
        for conn in [0, 1] {
            wire.down(conn, "GEN_KEYS ffdhe2048 7");
        }
        assert!(wire
            .up(0, &format!("key_param 7 {}", keys[0].public()))
            .is_empty());
        assert!(wire.jobs.is_empty(), "a search before both values are in");
        assert!(wire
            .up(1, &format!("key_param 7 {}", keys[1].public()))
            .is_empty());
        let delivered = key_lines(&wire.grind());
        assert_eq!(delivered.len(), 2, "{delivered:?}");
        let mut sessions: Vec<Option<Session>> = vec![None, None];
        for (to, word, text) in delivered {
            assert_eq!(word, "key_param");
            let value = PublicValue::parse(group, &text).unwrap();
            let secret = keys[to].agree(&value);
            sessions[to] = Some(Session::new(group, keys[to].public(), &value, &secret));
        }
        let [Some(mut alice), Some(mut bob)] = [sessions.remove(0), sessions.remove(0)] else {
            panic!("both got a value");
        };
        assert_eq!(alice.safety_code()[..3], bob.safety_code()[..3]);
        let printed = wire.printed.join("\n");
        assert!(printed.contains(&alice.safety_code()), "{printed}");
        assert!(
            printed.contains("the attack the commitment step stops"),
            "{printed}"
        );
        let payload = alice.seal("meet at noon").unwrap();
        let delivered = wire.up(0, &format!("secure: {payload}"));
        let [(1, line)] = delivered.as_slice() else {
            panic!("{delivered:?}");
        };
        let resealed = line.rsplit(' ').next().unwrap_or_default();
        assert_eq!(bob.open(resealed).as_deref(), Ok("meet at noon"));
    }

    /// In the middle, a client's commitment that overtakes its partner's `GEN_KEYS` on the
    /// way through eve waits for it, and then goes on swapped; a key line for a partner eve
    /// does not relay goes on at once, unchanged.
    #[test]
    fn an_early_commitment_waits_for_the_partner() {
        let mut wire = Wire::new(Observer::in_the_middle());
        wire.down(0, "GEN_KEYS ffdhe2048 7");
        let pair = KeyPair::generate(Group::Ffdhe2048);
        let real = Commitment::to(Group::Ffdhe2048, 7, pair.public());
        assert!(wire.up(0, &format!("key_commit 7 {real}")).is_empty());
        let delivered = key_lines(&wire.down(1, "GEN_KEYS ffdhe2048 7"));
        let [(1, word, text)] = delivered.as_slice() else {
            panic!("{delivered:?}");
        };
        assert_eq!(word, "key_commit");
        assert_ne!(
            text,
            &real.to_string(),
            "eve passed on alice's own commitment"
        );

        let mut alone = Observer::in_the_middle();
        alone.relay(0, Way::ToClient, "(server): Hello carol! Type status to see who is here, connect <user> to chat, help for more.");
        alone.relay(0, Way::ToClient, "(server): You are now connected to dave");
        alone.relay(0, Way::ToClient, "GEN_KEYS ffdhe2048 8");
        let line = format!("key_commit 8 {real}");
        let sent = alone.relay(0, Way::ToServer, &line).send;
        assert_eq!(
            sent,
            [Outgoing {
                conn: 0,
                way: Way::ToServer,
                line
            }]
        );
    }

    /// Grinding never panics on what a client or a lying server may send: key lines without
    /// a chat, values out of range, a second value, different groups for the two sides.
    #[test]
    fn grinding_survives_odd_lines() {
        let goal = Goal {
            digits: 2,
            budget: Duration::from_secs(10),
        };
        let mut wire = Wire::new(Observer::grinding(goal));
        wire.down(0, "GEN_KEYS toy 9");
        wire.down(1, "GEN_KEYS ffdhe2048 9");
        for line in [
            "key_param",
            "key_param 9 1",
            "key_param 9 0",
            "key_param 9 abc",
            "key_commit 9 zz",
            "secure: 1.2.3",
        ] {
            wire.up(0, line);
        }
        let toy = KeyPair::generate(Group::Toy);
        let real = KeyPair::generate(Group::Ffdhe2048);
        wire.up(0, &format!("key_param 9 {}", toy.public()));
        wire.up(0, &format!("key_param 9 {}", toy.public()));
        wire.up(1, &format!("key_param 9 {}", real.public()));
        let delivered = wire.grind();
        assert!(
            wire.jobs.is_empty(),
            "a second value started a second search"
        );
        assert!(
            wire.printed
                .iter()
                .any(|l| l.contains("different key groups")),
            "{:#?}",
            wire.printed
        );
        // The lines go on unchanged: eve cannot search.
        let sent: Vec<String> = key_lines(&delivered).into_iter().map(|k| k.2).collect();
        assert_eq!(sent, [real.public().to_string(), toy.public().to_string()]);

        // Plain man in the middle, with the same lying server.
        let mut wire = Wire::new(Observer::in_the_middle());
        wire.down(0, "GEN_KEYS toy 9");
        wire.down(1, "GEN_KEYS ffdhe2048 9");
        wire.up(0, &format!("key_param 9 {}", toy.public()));
        wire.up(1, &format!("key_param 9 {}", real.public()));
        wire.up(0, "secure: 0.AAE=.AAE=");
    }

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
