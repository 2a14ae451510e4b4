//! A relay in the middle that grinds for matching safety codes: the strongest attack on the
//! code comparison that a relay (or a lying server) can run against two real clients.
//!
//! It lets the chat's `GEN_KEYS` through, answers each client's commitment with one of its own
//! (it must, or the client never reveals), waits until both clients have revealed their public
//! values, and then searches exponents `m, m+1, m+2, ...` for each side (one modular
//! multiplication per step, no exponentiation) until the two codes the clients would compute
//! collide. It reveals what it found. Against clients that reveal without commitments, this
//! forces matching codes in about two million steps; against committing clients the values it
//! found do not open the commitments it sent before it knew anything, and the clients refuse.

use crate::relay::{Direction, Relay};
use client::grind::{Event, Formula, Search, Target};
use common::commitment::Commitment;
use common::dh::{Group, KeyPair, PublicValue};
use parking_lot::{Condvar, Mutex};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How hard the relay searches.
#[derive(Debug, Clone, Copy)]
pub struct Goal {
    /// How many leading digits of the 12-digit codes must match (12: the real attack).
    pub digits: usize,
    /// Give up after this long.
    pub budget: Duration,
}

/// What the search did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Outcome {
    /// Candidate values tried, both sides together.
    pub candidates: u64,
    /// A pair of values whose codes match in [`Goal::digits`] digits was found.
    pub found: bool,
    /// How long the search ran.
    pub elapsed: Duration,
}

/// One client's view, as the relay builds it.
#[derive(Default)]
struct Side {
    group: Option<Group>,
    chat: Option<u64>,
    /// The relay's key pair for this side, and the commitment it sent this side.
    mine: Option<(Arc<KeyPair>, Commitment)>,
    /// What this client committed to and revealed.
    honest_commitment: Option<Commitment>,
    honest_value: Option<PublicValue>,
    /// The value the relay reveals to this side, once the search is over.
    reveal: Option<PublicValue>,
}

#[derive(Default)]
struct State {
    sides: [Side; 2],
    grinding: bool,
    outcome: Option<Outcome>,
}

/// A running grinding relay in front of a server.
pub struct Grinder {
    relay: Relay,
    state: Arc<(Mutex<State>, Condvar)>,
}

impl Grinder {
    /// Starts the relay in front of the server on `server_port`. The first two connections are
    /// the two sides (0 and 1, in accept order).
    pub fn start(server_port: u16, goal: Goal) -> Grinder {
        let state: Arc<(Mutex<State>, Condvar)> = Arc::default();
        let shared = Arc::clone(&state);
        let relay = Relay::start(
            server_port,
            Arc::new(move |conn, direction, line: &str| {
                if conn > 1 {
                    return line.to_string();
                }
                rewrite(&shared, goal, conn, direction, line)
            }),
        );
        Grinder { relay, state }
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.relay.port()
    }

    /// The relay, for what it recorded.
    pub fn relay(&self) -> &Relay {
        &self.relay
    }

    /// The search's outcome, once it ran.
    pub fn outcome(&self) -> Option<Outcome> {
        self.state.0.lock().outcome
    }
}

fn rewrite(
    shared: &(Mutex<State>, Condvar),
    goal: Goal,
    conn: usize,
    direction: Direction,
    line: &str,
) -> String {
    let (lock, wake) = shared;
    let mut state = lock.lock();
    match direction {
        Direction::ToServer => {
            let side = &mut state.sides[conn];
            if let Some((_, hex)) = line
                .strip_prefix("key_commit ")
                .and_then(|r| r.split_once(' '))
            {
                side.honest_commitment = Commitment::parse(hex).ok();
            }
            if let Some((_, value)) = line
                .strip_prefix("key_param ")
                .and_then(|r| r.split_once(' '))
            {
                side.honest_value = side
                    .group
                    .and_then(|group| PublicValue::parse(group, value).ok());
                wake.notify_all();
            }
            line.to_string()
        }
        Direction::ToClient => {
            if let Some(rest) = line.strip_prefix("GEN_KEYS ") {
                let (group, chat) = rest.split_once(' ').unwrap_or((rest, ""));
                if let (Ok(group), Ok(chat)) = (group.parse::<Group>(), chat.parse::<u64>()) {
                    let side = &mut state.sides[conn];
                    let pair = KeyPair::generate(group);
                    let commitment = Commitment::to(group, chat, pair.public());
                    side.group = Some(group);
                    side.chat = Some(chat);
                    side.mine = Some((Arc::new(pair), commitment));
                }
                return line.to_string();
            }
            if line.starts_with("key_commit ") {
                // The relay's own commitment, made before it knows either real value.
                if let Some((_, commitment)) = &state.sides[conn].mine {
                    return format!("key_commit {commitment}");
                }
                return line.to_string();
            }
            if line.starts_with("key_param ") {
                let deadline = Instant::now() + Duration::from_secs(30) + goal.budget;
                // Wait until both clients revealed, then one thread searches for both.
                while state.sides.iter().any(|s| s.honest_value.is_none()) {
                    if wake.wait_until(&mut state, deadline).timed_out() {
                        return line.to_string();
                    }
                }
                if !state.grinding {
                    state.grinding = true;
                    let outcome = grind(&mut state, goal);
                    state.outcome = Some(outcome);
                    wake.notify_all();
                }
                while state.outcome.is_none() {
                    if wake.wait_until(&mut state, deadline).timed_out() {
                        return line.to_string();
                    }
                }
                if let Some(value) = &state.sides[conn].reveal {
                    return format!("key_param {value}");
                }
            }
            line.to_string()
        }
    }
}

/// The search of `eve --grind` (`client::grind`): for k = 1, 2, ... on each side, the value
/// `g^(m+k)` and the secret it gives, one multiplication each, until the codes the two clients
/// would compute agree in `goal.digits` digits or the budget is spent.
fn grind(state: &mut State, goal: Goal) -> Outcome {
    let started = Instant::now();
    let mut outcome = Outcome::default();
    let mut targets = Vec::new();
    for (n, side) in state.sides.iter().enumerate() {
        let (Some((pair, mine)), Some(honest), Some(theirs), Some(chat)) = (
            &side.mine,
            &side.honest_value,
            side.honest_commitment,
            side.chat,
        ) else {
            return outcome;
        };
        targets.push(Target {
            name: format!("side {n}"),
            value: honest.clone(),
            formula: Formula::Committed {
                chat,
                client: theirs,
                eve: *mine,
            },
            start: Arc::clone(pair),
        });
    }
    let Ok(targets) = <[Target; 2]>::try_from(targets) else {
        return outcome;
    };
    let Ok(mut search) = Search::new(targets, goal.digits) else {
        return outcome;
    };
    while started.elapsed() < goal.budget {
        match search.run(64) {
            Event::Found(reveals) => {
                let [first, second] = *reveals;
                state.sides[0].reveal = Some(first.value);
                state.sides[1].reveal = Some(second.value);
                outcome.found = true;
                break;
            }
            Event::Exhausted => break,
            Event::Closer { .. } | Event::Batch => {}
        }
    }
    outcome.candidates = search.candidates();
    outcome.elapsed = started.elapsed();
    outcome
}
