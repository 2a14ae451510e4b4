//! One chat's key agreement, as a pure state machine: the server's `GEN_KEYS`, the partner's
//! `key_commit` and `key_param` in; the lines to send and a sealed [`Session`] out.
//!
//! ```text
//!            GEN_KEYS <group> <chat>                key_commit <c>              key_param <v>
//!   Idle ──────────────────────────► Committed ─────────────────► Revealed ─────────────────► Agreed
//!          send key_commit <chat> <mine>          send key_param <chat> <x>    check c opens to v
//!
//!   Idle ── bare GEN_KEYS (the original's toy group, only with allow_toy) ──► Legacy ── key_param ──► Agreed
//!
//!   With `GEN_KEYS <group> <chat> identity` (both sides have an identity key):
//!   Idle ─► Committed ─► Revealed ── key_param <v> ──► Proving ── key_proof <p> ──► Agreed
//!       commitment binds        send key_proof <chat> <ours>     open p, check c opens to
//!       our identity key too                                     (v, their key), check signature
//! ```
//!
//! Our public value leaves only after the partner's commitment arrived (see
//! [`crate::commitment`] for why that makes the safety code hard to force). Anything out of
//! order ends in [`ExchangeError`] for the rest of the chat: a second `GEN_KEYS` (someone trying
//! to swap a key that was already compared), a value before its commitment, a value that does
//! not open the commitment, our own value reflected back, a group this side does not accept.
//! A failed exchange never falls back to anything weaker; `secure:` is simply off.
//!
//! The exchange also remembers every chat number the connection has seen: a `GEN_KEYS` that
//! names one again is an earlier chat's keys replayed (an honest server numbers every chat
//! anew), and is refused.

use std::collections::HashSet;

use thiserror::Error;

use std::sync::Arc;

use crate::commitment::{Commitment, CommitmentError};
use crate::dh::{DhError, Group, KeyPair, PublicValue, SharedSecret, UnknownGroup};
use crate::identity::proof::{self, Party, ProofError, ProofKeys};
use crate::identity::{Identity, PublicKey};
use crate::protocol::{Command, KeyLine};
use crate::secure::Session;

/// Why a chat has no key. The text is meant for the person, after "key agreement failed: ".
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ExchangeError {
    /// `GEN_KEYS` named a group this client does not know.
    #[error("this client cannot use the server's key group: {0}")]
    UnknownGroup(UnknownGroup),
    /// The server chose the toy group and this client was not started to allow it.
    #[error(
        "the server chose the original's toy group (p = 1999), which anyone watching breaks in \
         a millisecond; start the client with --allow-toy-group to use it for teaching"
    )]
    ToyGroupRefused,
    /// `GEN_KEYS <group>` without a chat number, for a group other than the original's.
    #[error("GEN_KEYS {0} came without a chat number, so its keys cannot be tied to this chat")]
    NoChatNumber(Group),
    /// `GEN_KEYS` named a chat number that is not one plain decimal number below 2^64.
    #[error(
        "the server's chat number '{0}' is not a decimal number without leading zeros below \
         2^64, so its keys cannot be tied to this chat"
    )]
    BadChatNumber(String),
    /// `GEN_KEYS` named a chat number this connection has seen before.
    #[error(
        "the server named chat {0}, a number this connection already used, which an honest \
         server never does: these are an earlier chat's keys, replayed. End the chat with \
         goodbye and connect again"
    )]
    ChatNumberReused(u64),
    /// A second `GEN_KEYS` in one chat.
    #[error(
        "the server started a second key exchange in this chat, which an honest server never \
         does; a safety code compared earlier no longer vouches for this chat. End it with \
         goodbye and connect again"
    )]
    SecondExchange,
    /// A key line arrived at a moment the exchange does not expect it.
    #[error("{0} arrived that this client did not ask for")]
    Unexpected(&'static str),
    /// The partner's commitment is not 64 lowercase hex digits.
    #[error("the partner's commitment was refused: {0}")]
    BadCommitment(CommitmentError),
    /// The partner's public value is not a valid value of the group.
    #[error("the partner's public value was refused: {0}")]
    BadValue(DhError),
    /// The partner's value or commitment is this side's own: a reflection.
    #[error("the partner's key is this client's own, sent back (a reflected key exchange)")]
    Reflected,
    /// In the toy group, the partner's value equals this side's own: with only 998 values this
    /// happens by chance about once in 998 chats, and cannot be told apart from a reflection.
    #[error(
        "both sides drew the same public value, which the toy group's 998 values allow once in \
         about 998 chats (a reflection looks the same); end the chat with goodbye and connect \
         again"
    )]
    SameToyValue,
    /// The partner's public value does not open its commitment.
    #[error(
        "the partner's public value does not match the commitment it sent first: someone \
         between you changed it"
    )]
    CommitmentMismatch,
    /// The server asked for identities, but this side has none to prove.
    #[error("the server asked for a proof of identity, and this client has no identity key")]
    NoIdentity,
    /// The partner's proof of identity was refused.
    #[error(transparent)]
    Proof(ProofError),
}

/// The names in a chat that proves identities, as the server gave them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// Ours, from the server's `Hello <name>!`.
    pub mine: String,
    /// The partner's, from `You are now connected to <name>`.
    pub partner: String,
}

/// What a chat that proves identities carries through its stages.
#[derive(Debug)]
struct Binding {
    me: Arc<Identity>,
    names: Names,
}

/// What the caller should do after feeding the exchange one line.
#[derive(Debug)]
pub enum Step {
    /// Nothing (the exchange had already failed and says nothing more).
    Quiet,
    /// Send this line to the server.
    Send(Command),
    /// The key is agreed: [`Exchange::session`] holds it; show its safety code.
    Agreed,
    /// The exchange failed for this chat: show why.
    Failed(ExchangeError),
}

/// Where the exchange stands.
#[derive(Debug)]
enum Stage {
    /// The chat has had no `GEN_KEYS` yet.
    Idle,
    /// We sent our commitment and wait for the partner's.
    Committed {
        pair: KeyPair,
        chat: u64,
        mine: Commitment,
        binding: Option<Box<Binding>>,
    },
    /// We revealed our value and wait for the partner's.
    Revealed {
        pair: KeyPair,
        chat: u64,
        mine: Commitment,
        theirs: Commitment,
        binding: Option<Box<Binding>>,
    },
    /// The key is agreed and our proof sent; we wait for the partner's proof of identity.
    Proving(Box<Pending>),
    /// The original's bare exchange: we sent our value and wait for the partner's.
    Legacy { pair: KeyPair },
    /// Done.
    Agreed(Box<Session>),
    /// Failed for the rest of the chat.
    Failed(ExchangeError),
}

/// An agreed key that waits for the partner's proof of identity.
#[derive(Debug)]
struct Pending {
    chat: u64,
    mine: Commitment,
    theirs: Commitment,
    my_value: PublicValue,
    peer: PublicValue,
    secret: SharedSecret,
    binding: Binding,
}

/// The key agreement of the current chat, from one side's point of view.
#[derive(Debug)]
pub struct Exchange {
    stage: Stage,
    allow_toy: bool,
    /// Every chat number a `GEN_KEYS` named on this connection, kept across chats.
    used_chats: HashSet<u64>,
    /// The partner's identity key, once it proved it in this chat.
    partner_key: Option<PublicKey>,
}

impl Exchange {
    /// A chat with no key yet. `allow_toy` accepts the original's toy group (for teaching).
    pub fn new(allow_toy: bool) -> Exchange {
        Exchange {
            stage: Stage::Idle,
            allow_toy,
            used_chats: HashSet::new(),
            partner_key: None,
        }
    }

    /// Forgets the key: a new chat starts with none. The chat numbers already used stay used.
    pub fn reset(&mut self) {
        self.stage = Stage::Idle;
        self.partner_key = None;
    }

    /// A new connection to the server (after a reconnect): forgets the key and the chat
    /// numbers used, as the server may have restarted and numbers its chats from 1 again.
    pub fn new_connection(&mut self) {
        self.reset();
        self.used_chats.clear();
    }

    /// `GEN_KEYS <group> <chat>` whose chat number is not spelled as PROTOCOL.md says (`07`,
    /// 2^64 and above): refused, as the keys could not be tied to this chat.
    pub fn on_bad_chat_number(&mut self, chat: &str) -> Step {
        if !matches!(self.stage, Stage::Idle) {
            return self.fail(ExchangeError::SecondExchange);
        }
        self.fail(ExchangeError::BadChatNumber(chat.to_string()))
    }

    /// `GEN_KEYS <group> <chat>` from the server; `group` is empty and `chat` `None` for the
    /// original's bare `GEN_KEYS`.
    pub fn on_gen_keys(&mut self, group: &str, chat: Option<u64>) -> Step {
        self.on_gen_keys_proving(group, chat, None)
    }

    /// `GEN_KEYS <group> <chat> identity`: as [`Exchange::on_gen_keys`], and our commitment
    /// binds `me`'s key, which we prove once the key is agreed (see
    /// [`crate::identity::proof`]). `None` for a `GEN_KEYS` without `identity`. `me` is `None`
    /// when this side has no identity although the server asked for one: refused.
    pub fn on_gen_keys_with_identity(
        &mut self,
        group: &str,
        chat: Option<u64>,
        me: Option<Arc<Identity>>,
        names: Names,
    ) -> Step {
        let Some(me) = me else {
            if let Some(chat) = chat {
                self.used_chats.insert(chat);
            }
            if !matches!(self.stage, Stage::Idle) {
                return self.fail(ExchangeError::SecondExchange);
            }
            return self.fail(ExchangeError::NoIdentity);
        };
        self.on_gen_keys_proving(group, chat, Some(Box::new(Binding { me, names })))
    }

    fn on_gen_keys_proving(
        &mut self,
        group: &str,
        chat: Option<u64>,
        binding: Option<Box<Binding>>,
    ) -> Step {
        // Before anything else: a number seen once is used, whatever becomes of this line.
        let reused = chat.is_some_and(|chat| !self.used_chats.insert(chat));
        if !matches!(self.stage, Stage::Idle) {
            return self.fail(ExchangeError::SecondExchange);
        }
        if let (true, Some(chat)) = (reused, chat) {
            return self.fail(ExchangeError::ChatNumberReused(chat));
        }
        let bare = group.is_empty() && chat.is_none();
        // The original server's bare `GEN_KEYS` meant its group, n = 1999, g = 1777.
        let group = match if bare { "toy" } else { group }.parse::<Group>() {
            Ok(group) => group,
            Err(err) => return self.fail(ExchangeError::UnknownGroup(err)),
        };
        if group == Group::Toy && !self.allow_toy {
            return self.fail(ExchangeError::ToyGroupRefused);
        }
        let pair = KeyPair::generate(group);
        if bare {
            let line = Command::KeyParam(pair.public().to_string());
            self.stage = Stage::Legacy { pair };
            return Step::Send(line);
        }
        let Some(chat) = chat else {
            return self.fail(ExchangeError::NoChatNumber(group));
        };
        let mine = match &binding {
            Some(binding) => {
                Commitment::with_identity(group, chat, pair.public(), &binding.me.public())
            }
            None => Commitment::to(group, chat, pair.public()),
        };
        self.stage = Stage::Committed {
            pair,
            chat,
            mine,
            binding,
        };
        Step::Send(KeyLine::Commit.command(chat, &mine.to_string()))
    }

    /// `key_commit <commitment>`: the partner's commitment. Answered with our public value.
    pub fn on_commit(&mut self, text: &str) -> Step {
        match std::mem::replace(&mut self.stage, Stage::Idle) {
            Stage::Committed {
                pair,
                chat,
                mine,
                binding,
            } => {
                let theirs = match Commitment::parse(text) {
                    Ok(theirs) => theirs,
                    Err(err) => return self.fail(ExchangeError::BadCommitment(err)),
                };
                if theirs == mine {
                    return self.fail(same_value(pair.group()));
                }
                let line = KeyLine::Param.command(chat, &pair.public().to_string());
                self.stage = Stage::Revealed {
                    pair,
                    chat,
                    mine,
                    theirs,
                    binding,
                };
                Step::Send(line)
            }
            stage => self.refuse(stage, "a key_commit"),
        }
    }

    /// `key_param <number>`: the partner's public value. Completes the agreement.
    pub fn on_param(&mut self, text: &str) -> Step {
        match std::mem::replace(&mut self.stage, Stage::Idle) {
            Stage::Revealed {
                pair,
                chat,
                mine,
                theirs,
                binding: Some(binding),
            } => {
                let peer = match self.peer_value(&pair, text) {
                    Ok(peer) => peer,
                    Err(err) => return self.fail(err),
                };
                // The commitment binds the partner's identity key too: it is checked when the
                // proof tells us that key.
                let secret = pair.agree(&peer);
                let group = pair.group();
                let me = Party {
                    name: &binding.names.mine,
                    commitment: &mine,
                    value: pair.public(),
                };
                let them = Party {
                    name: &binding.names.partner,
                    commitment: &theirs,
                    value: &peer,
                };
                let signed = proof::transcript(group, chat, &me, &binding.me.public(), &them);
                let sealed = ProofKeys::derive(group, &secret, pair.public(), &peer)
                    .seal(&binding.me, &signed);
                let line = KeyLine::Proof.command(chat, &sealed);
                self.stage = Stage::Proving(Box::new(Pending {
                    chat,
                    mine,
                    theirs,
                    my_value: pair.public().clone(),
                    peer,
                    secret,
                    binding: *binding,
                }));
                Step::Send(line)
            }
            Stage::Revealed {
                pair,
                chat,
                mine,
                theirs,
                binding: None,
            } => {
                let peer = match self.peer_value(&pair, text) {
                    Ok(peer) => peer,
                    Err(err) => return self.fail(err),
                };
                if !theirs.opens_to(pair.group(), chat, &peer) {
                    return self.fail(ExchangeError::CommitmentMismatch);
                }
                let secret = pair.agree(&peer);
                let session = Session::after_commitments(
                    pair.group(),
                    chat,
                    (&mine, &theirs),
                    pair.public(),
                    &peer,
                    &secret,
                );
                self.stage = Stage::Agreed(Box::new(session));
                Step::Agreed
            }
            Stage::Legacy { pair } => {
                let peer = match self.peer_value(&pair, text) {
                    Ok(peer) => peer,
                    Err(err) => return self.fail(err),
                };
                let secret = pair.agree(&peer);
                let session = Session::new(pair.group(), pair.public(), &peer, &secret);
                self.stage = Stage::Agreed(Box::new(session));
                Step::Agreed
            }
            Stage::Committed { .. } => self.fail(ExchangeError::Unexpected(
                "a key_param before its key_commit",
            )),
            stage => self.refuse(stage, "a key_param"),
        }
    }

    /// `key_proof <payload>`: the partner's sealed proof of identity. Completes the agreement
    /// of a chat that proves identities.
    pub fn on_proof(&mut self, payload: &str) -> Step {
        match std::mem::replace(&mut self.stage, Stage::Idle) {
            Stage::Proving(pending) => match Self::check_proof(&pending, payload) {
                Ok(key) => {
                    let group = pending.my_value.group();
                    let session = Session::after_identities(
                        group,
                        pending.chat,
                        (&pending.mine, &pending.theirs),
                        (&pending.my_value, &pending.peer),
                        &pending.secret,
                        (&pending.binding.me.public(), &key),
                    );
                    self.partner_key = Some(key);
                    self.stage = Stage::Agreed(Box::new(session));
                    Step::Agreed
                }
                Err(err) => self.fail(err),
            },
            Stage::Committed { .. } | Stage::Revealed { .. } => self.fail(
                ExchangeError::Unexpected("a key_proof before the key was agreed"),
            ),
            stage => self.refuse(stage, "a key_proof"),
        }
    }

    /// Opens the partner's proof and checks it: its identity key must open its commitment
    /// together with its value, and its signature must verify over the transcript.
    fn check_proof(pending: &Pending, payload: &str) -> Result<PublicKey, ExchangeError> {
        let group = pending.my_value.group();
        let (key, signature) =
            ProofKeys::derive(group, &pending.secret, &pending.peer, &pending.my_value)
                .open(payload)
                .map_err(ExchangeError::Proof)?;
        if !pending
            .theirs
            .opens_with_identity(group, pending.chat, &pending.peer, &key)
        {
            return Err(ExchangeError::CommitmentMismatch);
        }
        let names = &pending.binding.names;
        let them = Party {
            name: &names.partner,
            commitment: &pending.theirs,
            value: &pending.peer,
        };
        let me = Party {
            name: &names.mine,
            commitment: &pending.mine,
            value: &pending.my_value,
        };
        proof::check_signature(group, pending.chat, (&them, &key), &me, &signature)
            .map_err(ExchangeError::Proof)?;
        Ok(key)
    }

    /// The identity key the partner proved in this chat, once the key is agreed (`None` for
    /// a chat without identities).
    pub fn partner_key(&self) -> Option<PublicKey> {
        self.partner_key
    }

    /// Whether this chat proves identities (its `GEN_KEYS` said `identity`).
    pub fn proves_identity(&self) -> bool {
        match &self.stage {
            Stage::Committed { binding, .. } | Stage::Revealed { binding, .. } => binding.is_some(),
            Stage::Proving(_) => true,
            Stage::Agreed(_) => self.partner_key.is_some(),
            _ => false,
        }
    }

    /// The partner's value, refused if it is malformed, out of range or our own.
    fn peer_value(&self, pair: &KeyPair, text: &str) -> Result<PublicValue, ExchangeError> {
        let peer = PublicValue::parse(pair.group(), text).map_err(ExchangeError::BadValue)?;
        if &peer == pair.public() {
            return Err(same_value(pair.group()));
        }
        Ok(peer)
    }

    /// A key line that this stage does not expect: fails, unless already failed (quietly).
    fn refuse(&mut self, stage: Stage, what: &'static str) -> Step {
        match stage {
            Stage::Failed(err) => {
                self.stage = Stage::Failed(err);
                Step::Quiet
            }
            _ => self.fail(ExchangeError::Unexpected(what)),
        }
    }

    fn fail(&mut self, err: ExchangeError) -> Step {
        self.stage = Stage::Failed(err.clone());
        Step::Failed(err)
    }

    /// The agreed session, if the key is agreed.
    pub fn session(&self) -> Option<&Session> {
        match &self.stage {
            Stage::Agreed(session) => Some(session),
            _ => None,
        }
    }

    /// The agreed session, to seal and open with.
    pub fn session_mut(&mut self) -> Option<&mut Session> {
        match &mut self.stage {
            Stage::Agreed(session) => Some(session),
            _ => None,
        }
    }

    /// This side's key pair while the exchange is under way (for teaching: `client --explain`).
    pub fn pair(&self) -> Option<&KeyPair> {
        match &self.stage {
            Stage::Committed { pair, .. }
            | Stage::Revealed { pair, .. }
            | Stage::Legacy { pair } => Some(pair),
            _ => None,
        }
    }

    /// This side's commitment while the exchange is under way, and the chat it is for.
    pub fn my_commitment(&self) -> Option<(u64, Commitment)> {
        match &self.stage {
            Stage::Committed { chat, mine, .. } | Stage::Revealed { chat, mine, .. } => {
                Some((*chat, *mine))
            }
            _ => None,
        }
    }

    /// The group of the exchange under way or done, if any.
    pub fn group(&self) -> Option<Group> {
        match &self.stage {
            Stage::Committed { pair, .. }
            | Stage::Revealed { pair, .. }
            | Stage::Legacy { pair } => Some(pair.group()),
            Stage::Proving(pending) => Some(pending.my_value.group()),
            Stage::Agreed(session) => Some(session.group()),
            Stage::Idle | Stage::Failed(_) => None,
        }
    }

    /// True once the exchange started and neither agreed nor failed.
    pub fn is_pending(&self) -> bool {
        matches!(
            self.stage,
            Stage::Committed { .. }
                | Stage::Revealed { .. }
                | Stage::Legacy { .. }
                | Stage::Proving(_)
        )
    }

    /// Why the exchange failed, if it did.
    pub fn failure(&self) -> Option<&ExchangeError> {
        match &self.stage {
            Stage::Failed(err) => Some(err),
            _ => None,
        }
    }
}

/// The error for a partner value (or commitment) equal to our own in `group`: a reflection,
/// except in the toy group, where it also happens by chance.
fn same_value(group: Group) -> ExchangeError {
    if group == Group::Toy {
        ExchangeError::SameToyValue
    } else {
        ExchangeError::Reflected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text after the word in a client line, e.g. `7 <hex>` from `key_commit 7 <hex>`.
    fn sent(step: Step) -> String {
        match step {
            Step::Send(Command::KeyCommit(text) | Command::KeyParam(text)) => text,
            other => panic!("expected a key line to send, got {other:?}"),
        }
    }

    /// `<chat> <value>` to what the server forwards: the value alone.
    fn value(text: &str) -> String {
        text.split_once(' ').map_or(text, |(_, v)| v).to_string()
    }

    /// Two sides run the committed exchange through an honest relay and get the same code.
    #[test]
    fn honest_exchange_agrees() {
        for group in ["toy", "ffdhe2048"] {
            let (mut a, mut b) = (Exchange::new(true), Exchange::new(true));
            let ca = sent(a.on_gen_keys(group, Some(4)));
            let cb = sent(b.on_gen_keys(group, Some(4)));
            assert!(ca.starts_with("4 "), "{ca}");
            let va = sent(a.on_commit(&value(&cb)));
            let vb = sent(b.on_commit(&value(&ca)));
            assert!(matches!(a.on_param(&value(&vb)), Step::Agreed));
            assert!(matches!(b.on_param(&value(&va)), Step::Agreed));
            let (sa, sb) = (a.session().unwrap(), b.session().unwrap());
            assert_eq!(sa.safety_code(), sb.safety_code());
            assert_eq!(sa.code_is_sound(), group != "toy");
        }
    }

    /// Our value never leaves before the partner's commitment, and a value that arrives
    /// first is refused.
    #[test]
    fn value_waits_for_the_commitment() {
        let mut a = Exchange::new(false);
        let commit = sent(a.on_gen_keys("ffdhe2048", Some(1)));
        assert_eq!(value(&commit).len(), 64, "only a 64-digit hash: {commit}");
        let other = KeyPair::generate(Group::Ffdhe2048);
        assert!(matches!(
            a.on_param(&other.public().to_string()),
            Step::Failed(ExchangeError::Unexpected(_))
        ));
        assert!(a.session().is_none());
    }

    /// A value that does not open the partner's commitment (a relay that changed its mind
    /// after seeing ours) is refused.
    #[test]
    fn value_must_open_the_commitment() {
        let (mut a, mut b) = (Exchange::new(false), Exchange::new(false));
        let ca = sent(a.on_gen_keys("ffdhe2048", Some(2)));
        let cb = sent(b.on_gen_keys("ffdhe2048", Some(2)));
        sent(a.on_commit(&value(&cb)));
        sent(b.on_commit(&value(&ca)));
        let substitute = KeyPair::generate(Group::Ffdhe2048);
        assert!(matches!(
            a.on_param(&substitute.public().to_string()),
            Step::Failed(ExchangeError::CommitmentMismatch)
        ));
        // A commitment for another chat number does not open either.
        let mut c = Exchange::new(false);
        sent(c.on_gen_keys("ffdhe2048", Some(3)));
        let other_chat = KeyPair::generate(Group::Ffdhe2048);
        let wrong = Commitment::to(Group::Ffdhe2048, 4, other_chat.public());
        sent(c.on_commit(&wrong.to_string()));
        assert!(matches!(
            c.on_param(&other_chat.public().to_string()),
            Step::Failed(ExchangeError::CommitmentMismatch)
        ));
    }

    /// Our own commitment or value sent back is refused.
    #[test]
    fn reflection_is_refused() {
        let mut a = Exchange::new(false);
        let ca = sent(a.on_gen_keys("ffdhe2048", Some(5)));
        assert!(matches!(
            a.on_commit(&value(&ca)),
            Step::Failed(ExchangeError::Reflected)
        ));

        // In the toy group equal values also happen by chance, and are refused as such.
        let mut legacy = Exchange::new(true);
        let mine = sent(legacy.on_gen_keys("", None));
        assert!(matches!(
            legacy.on_param(&mine),
            Step::Failed(ExchangeError::SameToyValue)
        ));
    }

    /// In the toy group both sides draw the same value by chance about once in 998 chats; equal
    /// values give equal commitments, so the chance is caught at key_commit, before either
    /// value is sent, and told as chance, not as a reflection (PROTOCOL.md).
    #[test]
    fn equal_toy_values_are_caught_at_the_commitment() {
        // 20,000 chats all differ with odds about e^-20.
        for chat in 1..=20_000 {
            let (mut a, mut b) = (Exchange::new(true), Exchange::new(true));
            let ca = sent(a.on_gen_keys("toy", Some(chat)));
            let cb = sent(b.on_gen_keys("toy", Some(chat)));
            if ca == cb {
                assert!(matches!(
                    a.on_commit(&value(&cb)),
                    Step::Failed(ExchangeError::SameToyValue)
                ));
                return;
            }
        }
        panic!("20,000 toy chats without equal values");
    }

    /// A second GEN_KEYS in a chat is refused at every stage, and secure stays off.
    #[test]
    fn one_key_per_chat() {
        let (mut a, mut b) = (Exchange::new(false), Exchange::new(false));
        let ca = sent(a.on_gen_keys("ffdhe2048", Some(6)));
        let cb = sent(b.on_gen_keys("ffdhe2048", Some(6)));
        sent(a.on_commit(&value(&cb)));
        let vb = sent(b.on_commit(&value(&ca)));
        assert!(matches!(a.on_param(&value(&vb)), Step::Agreed));
        assert!(matches!(
            a.on_gen_keys("ffdhe2048", Some(6)),
            Step::Failed(ExchangeError::SecondExchange)
        ));
        assert!(a.session().is_none());
        assert!(matches!(
            a.on_gen_keys("ffdhe2048", Some(7)),
            Step::Failed(ExchangeError::SecondExchange)
        ));
        // Mid-way too.
        let mut c = Exchange::new(false);
        sent(c.on_gen_keys("ffdhe2048", Some(8)));
        assert!(matches!(
            c.on_gen_keys("ffdhe2048", Some(8)),
            Step::Failed(ExchangeError::SecondExchange)
        ));
        // A new chat starts afresh.
        c.reset();
        assert!(matches!(c.on_gen_keys("ffdhe2048", Some(9)), Step::Send(_)));
    }

    /// A chat number once named on this connection is never taken again, in any later chat,
    /// whatever became of its exchange; a new connection starts with none used.
    #[test]
    fn a_chat_number_is_used_once_per_connection() {
        let mut a = Exchange::new(true);
        sent(a.on_gen_keys("ffdhe2048", Some(1)));
        a.reset();
        assert!(matches!(
            a.on_gen_keys("ffdhe2048", Some(1)),
            Step::Failed(ExchangeError::ChatNumberReused(1))
        ));
        // The refused toy group, and a second GEN_KEYS in a chat, use their numbers up too.
        let mut strict = Exchange::new(false);
        assert!(matches!(
            strict.on_gen_keys("toy", Some(2)),
            Step::Failed(ExchangeError::ToyGroupRefused)
        ));
        assert!(matches!(
            strict.on_gen_keys("ffdhe2048", Some(3)),
            Step::Failed(ExchangeError::SecondExchange)
        ));
        for used in [2, 3] {
            strict.reset();
            assert!(matches!(
                strict.on_gen_keys("ffdhe2048", Some(used)),
                Step::Failed(ExchangeError::ChatNumberReused(n)) if n == used
            ));
        }
        strict.reset();
        assert!(matches!(
            strict.on_gen_keys("ffdhe2048", Some(4)),
            Step::Send(_)
        ));
        strict.new_connection();
        assert!(matches!(
            strict.on_gen_keys("ffdhe2048", Some(2)),
            Step::Send(_)
        ));
        // A misspelled number is refused, and is no number to use up.
        let mut c = Exchange::new(false);
        assert!(matches!(
            c.on_bad_chat_number("07"),
            Step::Failed(ExchangeError::BadChatNumber(text)) if text == "07"
        ));
        assert!(c.session().is_none());
    }

    /// The toy group, named or bare, needs allow_toy; a named group needs a chat number.
    #[test]
    fn toy_group_is_opt_in() {
        for (group, chat) in [("toy", Some(1)), ("", None)] {
            let mut strict = Exchange::new(false);
            assert!(matches!(
                strict.on_gen_keys(group, chat),
                Step::Failed(ExchangeError::ToyGroupRefused)
            ));
            let mut allowed = Exchange::new(true);
            assert!(matches!(allowed.on_gen_keys(group, chat), Step::Send(_)));
            assert_eq!(allowed.group(), Some(Group::Toy));
        }
        let mut strict = Exchange::new(false);
        assert!(matches!(
            strict.on_gen_keys("ffdhe2048", None),
            Step::Failed(ExchangeError::NoChatNumber(Group::Ffdhe2048))
        ));
        assert!(matches!(
            Exchange::new(true).on_gen_keys("rot13", Some(1)),
            Step::Failed(ExchangeError::UnknownGroup(_))
        ));
    }

    /// The bare exchange agrees, but its code is marked as one a relay can force.
    #[test]
    fn bare_exchange_is_unsound() {
        let (mut a, mut b) = (Exchange::new(true), Exchange::new(true));
        let va = sent(a.on_gen_keys("", None));
        let vb = sent(b.on_gen_keys("", None));
        assert!(matches!(a.on_param(&vb), Step::Agreed));
        assert!(matches!(b.on_param(&va), Step::Agreed));
        assert_eq!(
            a.session().unwrap().safety_code(),
            b.session().unwrap().safety_code()
        );
        assert!(!a.session().unwrap().code_is_sound());
    }

    fn names(mine: &str, partner: &str) -> Names {
        Names {
            mine: mine.into(),
            partner: partner.into(),
        }
    }

    /// The text of a `key_proof` to send.
    fn proof_sent(step: Step) -> String {
        match step {
            Step::Send(Command::KeyProof(text)) => text,
            other => panic!("expected a key_proof to send, got {other:?}"),
        }
    }

    /// Two sides that both have identities agree, each learns the other's key, and the code
    /// is the same on both sides.
    #[test]
    fn identities_are_proved_and_agreed() {
        let (ia, ib) = (
            Arc::new(Identity::from_seed([1; 32])),
            Arc::new(Identity::from_seed([2; 32])),
        );
        let (mut a, mut b) = (Exchange::new(false), Exchange::new(false));
        let ca = sent(a.on_gen_keys_with_identity(
            "ffdhe2048",
            Some(4),
            Some(ia.clone()),
            names("alice", "bob"),
        ));
        let cb = sent(b.on_gen_keys_with_identity(
            "ffdhe2048",
            Some(4),
            Some(ib.clone()),
            names("bob", "alice"),
        ));
        let va = sent(a.on_commit(&value(&cb)));
        let vb = sent(b.on_commit(&value(&ca)));
        let pa = proof_sent(a.on_param(&value(&vb)));
        let pb = proof_sent(b.on_param(&value(&va)));
        assert!(
            a.session().is_none(),
            "not agreed before the partner's proof"
        );
        assert!(matches!(a.on_proof(&value(&pb)), Step::Agreed));
        assert!(matches!(b.on_proof(&value(&pa)), Step::Agreed));
        assert_eq!(a.partner_key(), Some(ib.public()));
        assert_eq!(b.partner_key(), Some(ia.public()));
        assert_eq!(
            a.session().unwrap().safety_code(),
            b.session().unwrap().safety_code()
        );
        // A name changed between the two (a relay renaming one side): the proof fails.
        let (mut c, mut d) = (Exchange::new(false), Exchange::new(false));
        let cc = sent(c.on_gen_keys_with_identity(
            "ffdhe2048",
            Some(5),
            Some(ia),
            names("alice", "bob"),
        ));
        let cd = sent(d.on_gen_keys_with_identity(
            "ffdhe2048",
            Some(5),
            Some(ib),
            names("bob", "alicia"),
        ));
        let vc = sent(c.on_commit(&value(&cd)));
        let vd = sent(d.on_commit(&value(&cc)));
        let pc = proof_sent(c.on_param(&value(&vd)));
        proof_sent(d.on_param(&value(&vc)));
        assert!(matches!(
            d.on_proof(&value(&pc)),
            Step::Failed(ExchangeError::Proof(ProofError::BadSignature))
        ));
        assert!(d.session().is_none());
    }

    /// A relay in the middle that commits to its value and a throwaway identity, then, after
    /// seeing the real values, proves another identity (or another value) to make the codes
    /// match: its proof does not open the commitment it had to send first.
    #[test]
    fn throwaway_identities_cannot_be_ground_after_the_reveal() {
        let group = Group::Ffdhe2048;
        let alice_id = Arc::new(Identity::from_seed([1; 32]));
        let mut alice = Exchange::new(false);
        let ca = sent(alice.on_gen_keys_with_identity(
            "ffdhe2048",
            Some(6),
            Some(alice_id),
            names("alice", "bob"),
        ));
        // The relay commits to its value and one throwaway identity...
        let relay = KeyPair::generate(group);
        let committed_id = Identity::from_seed([7; 32]);
        let relay_commit =
            Commitment::with_identity(group, 6, relay.public(), &committed_id.public());
        let va = sent(alice.on_commit(&relay_commit.to_string()));
        proof_sent(alice.on_param(&relay.public().to_string()));
        // ...and after the reveal proves another one, correctly signed and sealed.
        let ground_id = Identity::from_seed([8; 32]);
        let alice_value = PublicValue::parse(group, &value(&va)).unwrap();
        let secret = relay.agree(&alice_value);
        let ca = Commitment::parse(&value(&ca)).unwrap();
        let relay_party = Party {
            name: "bob",
            commitment: &relay_commit,
            value: relay.public(),
        };
        let alice_party = Party {
            name: "alice",
            commitment: &ca,
            value: &alice_value,
        };
        let signed = proof::transcript(group, 6, &relay_party, &ground_id.public(), &alice_party);
        let sealed = ProofKeys::derive(group, &secret, relay.public(), &alice_value)
            .seal(&ground_id, &signed);
        assert!(matches!(
            alice.on_proof(&sealed),
            Step::Failed(ExchangeError::CommitmentMismatch)
        ));
        assert!(alice.session().is_none());
        assert_eq!(alice.partner_key(), None);
    }

    /// A proof sealed under someone else's key (a relay forwarding the real partner's proof)
    /// cannot be read, and a proof before the key is agreed is refused.
    #[test]
    fn a_forwarded_or_early_proof_is_refused() {
        let me = Arc::new(Identity::from_seed([1; 32]));
        let mut a = Exchange::new(false);
        sent(a.on_gen_keys_with_identity(
            "ffdhe2048",
            Some(7),
            Some(me.clone()),
            names("alice", "bob"),
        ));
        assert!(matches!(
            a.on_proof("AAAA.BBBB"),
            Step::Failed(ExchangeError::Unexpected(_))
        ));
        let mut b = Exchange::new(false);
        sent(b.on_gen_keys_with_identity("ffdhe2048", Some(7), Some(me), names("alice", "bob")));
        let relay = KeyPair::generate(Group::Ffdhe2048);
        let fake = Commitment::with_identity(
            Group::Ffdhe2048,
            7,
            relay.public(),
            &Identity::from_seed([3; 32]).public(),
        );
        sent(b.on_commit(&fake.to_string()));
        proof_sent(b.on_param(&relay.public().to_string()));
        assert!(matches!(
            b.on_proof("AAAA.BBBB"),
            Step::Failed(ExchangeError::Proof(ProofError::Unreadable))
        ));
        // No identity of our own, though the server asked: refused.
        assert!(matches!(
            Exchange::new(false).on_gen_keys_with_identity(
                "ffdhe2048",
                Some(8),
                None,
                names("a", "b")
            ),
            Step::Failed(ExchangeError::NoIdentity)
        ));
    }

    /// After a failure, further key lines change nothing and say nothing.
    #[test]
    fn failure_is_final_and_quiet() {
        let mut a = Exchange::new(false);
        assert!(matches!(a.on_commit("00"), Step::Failed(_)));
        assert!(matches!(a.on_commit("00"), Step::Quiet));
        assert!(matches!(a.on_param("5"), Step::Quiet));
        assert!(a.failure().is_some());
    }
}
