//! What eve does with a line: the lines to write, on which connection and which way, and what
//! to print.

use crate::eve::search::{self, Finding, Goal, SearchError, Target};
use crate::eve::watch::CrackJob;
use common::dh::{Group, KeyPair, PublicValue, SharedSecret};
use std::sync::Arc;

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
    /// goes back to
    /// [`Interceptor::ground`](crate::eve::intercept::Interceptor::ground).
    pub grind: Option<GrindJob>,
    /// The search for a toy-group chat's key, to run outside the lock (once per chat); its
    /// outcome goes back to
    /// [`Interceptor::cracked`](crate::eve::intercept::Interceptor::cracked).
    pub crack: Option<CrackJob>,
}

impl Actions {
    pub(super) fn forward(&mut self, conn: usize, way: Way, line: &str) {
        self.send.push(Outgoing {
            conn,
            way,
            line: line.to_string(),
        });
    }
}

/// One chat's search for matching safety codes, handed out by
/// [`Interceptor`](crate::eve::intercept::Interceptor) once it holds both
/// clients' values, and given back to
/// [`Interceptor::ground`](crate::eve::intercept::Interceptor::ground) with its outcome.
#[derive(Debug, Clone)]
pub struct GrindJob {
    /// The chat number.
    pub chat: u64,
    /// The two clients' connections, in the order of `targets`.
    pub(super) conns: [usize; 2],
    pub(super) targets: [Target; 2],
    pub(super) goal: Goal,
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

/// The key arithmetic a line needs, found under eve's lock by
/// [`Interceptor::needs`](crate::eve::intercept::Interceptor::needs) (cheap) and done by
/// [`Needs::compute`] with no lock held: a key pair for a new chat, or eve's secret with a
/// client from its public value. Each costs a modular exponentiation (milliseconds in
/// ffdhe2048), which under the lock would stall every other chat.
#[derive(Debug)]
pub enum Needs {
    /// No arithmetic.
    Nothing,
    /// Eve's key pair toward a client, in a chat of this group.
    Pair(Group),
    /// Eve's secret with a client: her key pair toward it, and the client's value.
    Agree(Arc<KeyPair>, PublicValue),
}

/// What [`Needs::compute`] computed, handed to
/// [`Interceptor::relay_prepared`](crate::eve::intercept::Interceptor::relay_prepared).
#[derive(Debug, Default)]
pub struct Prepared {
    pub(super) pair: Option<KeyPair>,
    pub(super) agreed: Option<Agreed>,
}

/// Eve's secret with a client, computed outside the lock.
#[derive(Debug)]
pub(super) struct Agreed {
    pub(super) pair: Arc<KeyPair>,
    pub(super) value: PublicValue,
    pub(super) secret: SharedSecret,
}

impl Needs {
    /// Does the arithmetic: call it with no lock held.
    pub fn compute(self) -> Prepared {
        match self {
            Needs::Nothing => Prepared::default(),
            Needs::Pair(group) => Prepared {
                pair: Some(KeyPair::generate(group)),
                agreed: None,
            },
            Needs::Agree(pair, value) => {
                let secret = pair.agree(&value);
                Prepared {
                    pair: None,
                    agreed: Some(Agreed {
                        pair,
                        value,
                        secret,
                    }),
                }
            }
        }
    }
}
