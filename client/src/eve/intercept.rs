//! What an eavesdropper on the lab network learns from the wire, and what a relay in the
//! middle can change: the teaching tool `eve`.
//!
//! An [`Interceptor`] is fed every line that crosses a relay, in both directions, and says in
//! plain words what it shows. What it does besides depends on its [`Mode`], one file each:
//!
//! - [`Mode::Watch`] ([`crate::eve::watch`]): only watching. Who registers, who talks to whom,
//!   plain messages, sealed tokens, the public key values. In a chat of the original's toy
//!   group it recovers the private exponent from a public value by trying all of them, and
//!   from then on opens every secure message of that chat live; for a real group it says why
//!   it cannot. Every mode watches too.
//! - [`Mode::Middle`] ([`crate::eve::middle`]): a man in the middle. It answers each client's
//!   key exchange with a key of its own (committing to it first, as an honest client does, so
//!   the clients accept it), reads every secure message and seals it again for the other side.
//!   The chat keeps working, but the two safety codes differ, which is how a class sees code
//!   comparison catch it.
//! - [`Mode::Grind`] ([`crate::eve::grind`]): in the middle too, but holding back each
//!   client's public value until it has both, then handing out a
//!   [`GrindJob`]: the search for values that make the two codes
//!   agree ([`crate::eve::search`]). Its outcome comes back through [`Interceptor::ground`],
//!   which releases the held lines with the values found and says what follows: clients that
//!   committed first refuse them, clients that did not are fooled.
//!
//! No socket here: [`crate::eve::relay`] moves the bytes. Each line fed in gives [`Actions`]:
//! the lines to write (on any connection, not only the one the line came from, since a held
//! line goes out later), what to print, and any search to run outside the lock. Modular
//! exponentiations (eve's key pair for a chat, her secret with a client) are asked for first
//! ([`Interceptor::needs`]) so the relay can do them with no lock held and hand them in
//! ([`Interceptor::relay_prepared`]). When a chat ends eve prints a verdict on it
//! ([`crate::eve::verdict`]) and forgets it.

use crate::eve::actions::{Actions, Agreed, GrindJob, Needs, Prepared, Way};
use crate::eve::grind;
use crate::eve::middle::Middle;
use crate::eve::search::{Finding, Goal, SearchError};
use crate::eve::verdict::verdict;
use crate::eve::watch::{Between, CrackJob, Cracked, Heard, Watch};
use common::dh::PublicValue;
use common::protocol::{Command, ServerLine};

/// Key lines one connection may have waiting for its partner's `GEN_KEYS` (a commitment and a
/// value; more is a flood, and goes on unchanged).
const EARLY_PER_CONN: usize = 2;

/// What eve does besides watching.
#[derive(Debug)]
pub enum Mode {
    /// Only watching: every line goes on unchanged.
    Watch,
    /// In the middle: eve swaps in keys of her own, and reads and seals again every secure
    /// message.
    Middle(Middle),
    /// In the middle, holding back each client's public value until she has both, then
    /// searching for values of her own that make the two codes agree in `Goal::digits` digits.
    Grind(Middle, Goal),
}

impl Mode {
    /// In the middle, before any line.
    pub fn middle() -> Mode {
        Mode::Middle(Middle::default())
    }

    /// Grinding toward `goal`, before any line.
    pub fn grind(goal: Goal) -> Mode {
        Mode::Grind(Middle::default(), goal)
    }

    /// Eve's key exchanges with the clients, in the two modes that sit in the middle.
    pub(super) fn middle_mut(&mut self) -> Option<&mut Middle> {
        match self {
            Mode::Watch => None,
            Mode::Middle(middle) | Mode::Grind(middle, _) => Some(middle),
        }
    }
}

/// Eve's view of everything that crossed the relay.
#[derive(Debug)]
pub struct Interceptor {
    /// What eve knows from watching, in every mode.
    watch: Watch,
    /// What eve does besides watching.
    mode: Mode,
    /// In the middle: key lines from a client whose partner's `GEN_KEYS` has not passed yet
    /// (the server sends both at once, but they cross eve on two connections); swapped and
    /// passed on once it has.
    early: Vec<(usize, String, Option<Agreed>)>,
}

impl Interceptor {
    /// Eve, before any line, in `mode`.
    pub fn new(mode: Mode) -> Interceptor {
        let watch = Watch {
            in_middle: !matches!(mode, Mode::Watch),
            ..Watch::default()
        };
        Interceptor {
            watch,
            mode,
            early: Vec::new(),
        }
    }

    /// The key arithmetic the line that went `way` on `conn` will need, to be done with no
    /// lock held ([`Needs::compute`]) and handed to [`Interceptor::relay_prepared`]. Cheap.
    pub fn needs(&self, conn: usize, way: Way, line: &str) -> Needs {
        let Mode::Middle(middle) = &self.mode else {
            // Grinding makes its keys when a chat begins too, but rarely: a class runs it
            // for one pair.
            return match (&self.mode, way, ServerLine::parse(line)) {
                (Mode::Grind(..), Way::ToClient, Ok(ServerLine::GenKeys { group, .. })) => {
                    group.parse().map_or(Needs::Nothing, Needs::Pair)
                }
                _ => Needs::Nothing,
            };
        };
        match way {
            Way::ToClient => match ServerLine::parse(line) {
                Ok(ServerLine::GenKeys { group, .. }) => {
                    group.parse().map_or(Needs::Nothing, Needs::Pair)
                }
                _ => Needs::Nothing,
            },
            Way::ToServer => {
                let Ok(Command::KeyParam(rest)) = Command::parse(line) else {
                    return Needs::Nothing;
                };
                let Some(chat) = self.watch.conns.get(&conn).and_then(|c| c.chat) else {
                    return Needs::Nothing;
                };
                let Some(pair) = middle.pair_to_agree(chat, conn) else {
                    return Needs::Nothing;
                };
                let value = rest.rsplit(' ').next().unwrap_or_default();
                match PublicValue::parse(pair.group(), value) {
                    Ok(value) => Needs::Agree(pair, value),
                    Err(_) => Needs::Nothing,
                }
            }
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
        self.relay_prepared(conn, way, line, Prepared::default())
    }

    /// As [`Interceptor::relay`], with the key arithmetic [`Interceptor::needs`] asked for
    /// done beforehand (what is missing or stale is computed here).
    pub fn relay_prepared(
        &mut self,
        conn: usize,
        way: Way,
        line: &str,
        mut prepared: Prepared,
    ) -> Actions {
        let who = self.watch.label(conn);
        let mut actions = Actions::default();
        actions.print.push(match way {
            Way::ToServer => format!("[{who} -> server] {line}"),
            Way::ToClient => format!("[server -> {who}] {line}"),
        });
        match way {
            Way::ToServer => {
                actions.crack = self.watch.client_said(conn, line, &mut actions.print);
                match self.mode {
                    Mode::Watch => actions.forward(conn, way, line),
                    Mode::Middle(_) | Mode::Grind(..) => {
                        let agreed = prepared.agreed.take();
                        self.pass_to_server(conn, line, agreed, &mut actions);
                    }
                }
            }
            Way::ToClient => {
                // The line goes on before eve's verdict on a chat it ended is printed.
                let mut stripped = false;
                match (&self.mode, ServerLine::parse(line)) {
                    // In the middle eve cannot prove anyone's identity, so she asks for none:
                    // the clients run the exchange without identities (and a partner they
                    // pinned shows as changed, with secure: held).
                    (
                        Mode::Middle(_) | Mode::Grind(..),
                        Ok(ServerLine::GenKeys {
                            group,
                            chat,
                            identity: true,
                        }),
                    ) => {
                        let bare = ServerLine::GenKeys {
                            group,
                            chat,
                            identity: false,
                        };
                        actions.forward(conn, way, &bare.to_string());
                        stripped = true;
                    }
                    _ => actions.forward(conn, way, line),
                }
                self.follow_server(conn, line, prepared, &mut actions);
                if stripped {
                    self.asked_for_no_identity(conn, &mut actions.print);
                }
            }
        }
        actions
    }

    /// In the middle, the server asked `conn`'s client to prove its identity and eve passed
    /// `GEN_KEYS` on without it: says so, the first time in a chat at length, and remembers it
    /// for the verdict. Eve cannot see whether the clients pinned each other, only what she
    /// stripped.
    fn asked_for_no_identity(&mut self, conn: usize, print: &mut Vec<String>) {
        let who = self.watch.label(conn);
        let partner = self.watch.conns.get(&conn).and_then(|c| c.partner.clone());
        let Some(chat) = self.watch.chat_of(conn) else {
            return;
        };
        let first = chat.identity_stripped.is_empty();
        if !chat.identity_stripped.contains(&conn) {
            chat.identity_stripped.push(conn);
        }
        print.push(if first {
            let partner = partner.unwrap_or_else(|| "the partner".into());
            format!(
                "  eve (middle): the server asks {who} and {partner} to prove who they are; \
                 eve cannot sign as either, so she asks {who} for no identity (GEN_KEYS \
                 without \"identity\")"
            )
        } else {
            format!("  eve (middle): and asks {who} for no identity either")
        });
    }

    /// Connection `conn` is over (the server closed it): forgets it, and any line of it that
    /// waited for a partner; a chat nobody is left in ends, with eve's verdict on it.
    pub fn closed(&mut self, conn: usize) -> Actions {
        let mut actions = Actions::default();
        let ended = self.watch.leave(conn);
        self.chat_over(ended, &mut actions);
        self.watch.conns.remove(&conn);
        self.early.retain(|(c, ..)| *c != conn);
        actions
    }

    /// How many connections and chats eve remembers (for tests of her memory).
    pub fn remembered(&self) -> (usize, usize) {
        (self.watch.conns.len(), self.watch.chats.len())
    }

    /// A chat nobody is left in (`ended`, if any) is forgotten, with eve's verdict on it.
    fn chat_over(&mut self, ended: Option<(u64, crate::eve::watch::Chat)>, actions: &mut Actions) {
        let Some((chat_no, chat)) = ended else {
            return;
        };
        let codes = self
            .mode
            .middle_mut()
            .map(|middle| middle.forget(chat_no))
            .unwrap_or_default();
        actions
            .print
            .push(verdict(chat_no, &chat, self.watch.in_middle, &codes));
    }

    /// The search for a toy chat's key handed out as `job` is over: from now on eve opens the
    /// chat's secure messages.
    pub fn cracked(&mut self, job: &CrackJob, outcome: Option<Cracked>) -> Actions {
        let mut actions = Actions::default();
        self.watch.cracked(job, outcome, &mut actions.print);
        actions
    }

    /// In the middle: passes on the line `conn` sent to the server, as eve wants its partner
    /// to get it. A key line whose partner's `GEN_KEYS` has not passed yet waits for it.
    fn pass_to_server(
        &mut self,
        conn: usize,
        line: &str,
        agreed: Option<Agreed>,
        actions: &mut Actions,
    ) {
        let command = Command::parse(line);
        let key_line = matches!(command, Ok(Command::KeyCommit(_) | Command::KeyParam(_)));
        let Some((chat, partner)) = self.watch.partner(conn) else {
            let waiting = self.early.iter().filter(|(c, ..)| *c == conn).count();
            if key_line && waiting < EARLY_PER_CONN && self.watch.partner_on_the_way(conn) {
                // With the key arithmetic already done outside the lock, kept for later.
                self.early.push((conn, line.to_string(), agreed));
            } else {
                actions.forward(conn, Way::ToServer, line);
            }
            return;
        };
        let between = Between {
            conn,
            chat,
            partner,
        };
        match (&mut self.mode, command) {
            (Mode::Watch, _) => actions.forward(conn, Way::ToServer, line),
            (Mode::Grind(middle, goal), Ok(Command::KeyParam(rest))) => {
                grind::hold(
                    middle,
                    &mut self.watch,
                    *goal,
                    between,
                    &rest,
                    line,
                    actions,
                );
            }
            (Mode::Middle(middle), command) => {
                middle.swap_in(
                    &mut self.watch,
                    between,
                    command,
                    line,
                    false,
                    agreed,
                    actions,
                );
            }
            (Mode::Grind(middle, _), command) => {
                middle.swap_in(
                    &mut self.watch,
                    between,
                    command,
                    line,
                    true,
                    agreed,
                    actions,
                );
            }
        }
    }

    /// Follows a line the server sent `conn`. In the middle, a new chat's `GEN_KEYS` makes eve
    /// a key for this client, and the partner's key lines that waited for it go on.
    fn follow_server(
        &mut self,
        conn: usize,
        line: &str,
        prepared: Prepared,
        actions: &mut Actions,
    ) {
        let (chat, group) = match self.watch.server_said(conn, line, &mut actions.print) {
            Heard::Nothing => return,
            Heard::Ended(ended) => {
                self.early.retain(|(c, ..)| *c != conn);
                return self.chat_over(ended, actions);
            }
            Heard::Began(chat, group) => (chat, group),
        };
        // A line of this connection's previous chat that still waited is stale.
        self.early.retain(|(c, ..)| *c != conn);
        let Some(middle) = self.mode.middle_mut() else {
            return;
        };
        middle.begin(chat, conn, group, prepared.pair);
        let early = std::mem::take(&mut self.early);
        for (from, line, agreed) in early {
            if self.watch.partner(from).is_some() {
                self.pass_to_server(from, &line, agreed, actions);
            } else {
                self.early.push((from, line, agreed));
            }
        }
    }

    /// The search handed out for `job` is over: see [`grind::ground`].
    pub fn ground(&mut self, job: &GrindJob, outcome: Result<Finding, SearchError>) -> Actions {
        match self.mode.middle_mut() {
            Some(middle) => grind::ground(middle, job, outcome),
            None => Actions::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eve::actions::Outgoing;
    use common::commitment::Commitment;
    use common::dh::{Group, KeyPair, PublicValue};
    use common::exchange::{Exchange, ExchangeError, Step};
    use common::secure::Session;
    use std::time::Duration;

    const NAMES: [&str; 2] = ["alice", "bob"];

    /// Eve between two clients (connections 0 and 1) and a stand-in for the server, which
    /// passes each key line and secure message to the partner as the real one does.
    struct Wire {
        eve: Interceptor,
        printed: Vec<String>,
        jobs: Vec<GrindJob>,
    }

    impl Wire {
        fn new(eve: Interceptor) -> Wire {
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
        let mut wire = Wire::new(Interceptor::new(Mode::grind(goal)));
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
        let mut wire = Wire::new(Interceptor::new(Mode::grind(goal)));
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
        let mut wire = Wire::new(Interceptor::new(Mode::middle()));
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

        let mut alone = Interceptor::new(Mode::middle());
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
        let mut wire = Wire::new(Interceptor::new(Mode::grind(goal)));
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
        let mut wire = Wire::new(Interceptor::new(Mode::middle()));
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
            let mut eve = Interceptor::new(Mode::Watch);
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
            let crack = eve
                .relay(1, Way::ToServer, &format!("key_param 7 {}", b.public()))
                .crack;
            assert_eq!(
                crack.is_some(),
                readable,
                "the toy group's key is searched for"
            );
            if let Some(job) = crack {
                let outcome = job.run();
                eve.cracked(&job, outcome);
                // A second value is chat text to the server: no second search.
                let again = eve.relay(1, Way::ToServer, "key_param 7 3");
                assert!(again.crack.is_none());
            }
            let secret = a.agree(b.public());
            let mut alice = Session::new(group, a.public(), b.public(), &secret);
            let payload = alice.seal("meet at the library").unwrap();
            let seen = eve.observe(0, Way::ToServer, &format!("secure: {payload}"));
            let decrypted = seen.iter().any(|l| l.contains("\"meet at the library\""));
            assert_eq!(decrypted, readable, "{group}: {seen:#?}");
        }
    }

    /// When a chat ends eve prints one verdict and forgets the chat; when the connections
    /// close she forgets them too: a class that chats all afternoon costs her nothing.
    #[test]
    fn an_ended_chat_gets_a_verdict_and_is_forgotten() {
        let mut eve = Interceptor::new(Mode::middle());
        let mut printed = Vec::new();
        for (conn, name) in NAMES.iter().enumerate() {
            printed.extend(eve.observe(conn, Way::ToClient, &format!("(server): Hello {name}! Type status to see who is here, connect <user> to chat, help for more.")));
        }
        for conn in [0, 1] {
            eve.observe(conn, Way::ToClient, "GEN_KEYS toy 4");
        }
        assert_eq!(eve.remembered(), (2, 1));
        printed.extend(eve.observe(0, Way::ToClient, "(server): You ended the chat with bob"));
        assert_eq!(eve.remembered(), (2, 1), "bob is still in it");
        printed.extend(eve.observe(1, Way::ToClient, "(server): alice ended the chat"));
        assert_eq!(eve.remembered(), (2, 0));
        let verdicts: Vec<&String> = printed
            .iter()
            .filter(|l| l.starts_with("eve: verdict on alice and bob's chat (toy)"))
            .collect();
        assert_eq!(verdicts.len(), 1, "{printed:#?}");
        for conn in [0, 1] {
            let closed = eve.closed(conn);
            assert!(closed.print.is_empty(), "no second verdict");
        }
        assert_eq!(eve.remembered(), (0, 0));
    }
}
