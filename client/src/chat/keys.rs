//! The key of the current chat, in the person's words: what to show when the server asks for
//! keys, when the key is agreed or refused, and why `secure:` cannot be used yet.
//!
//! The protocol itself (commit, reveal, check, agree) is [`common::exchange::Exchange`]; this
//! module adds what a person needs to hear: loud warnings for the toy group and for a key
//! exchange that someone tampered with, and a plain answer when the partner never finishes it.

use crate::chat::explain;
use common::dh::{Group, PublicValue};
use common::exchange::{Exchange, ExchangeError, Names, Step};
use common::identity::{Identity, PublicKey};
use common::protocol::Command;
use common::secure::Session;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a key exchange may take before `secure:` says the partner cannot do it.
pub const KEY_EXCHANGE_PATIENCE: Duration = Duration::from_secs(5);

/// The warning shown when a chat uses the toy group, and again on `verify`.
pub const TOY_WARNING: &str = "WARNING: this chat uses the original's toy group (p = 1999): \
     anyone watching the network can read its secure: messages, and matching safety codes \
     prove nothing. Use it only to see how it breaks";

/// The warning shown with the code of the original's bare exchange, and again on `verify`: it
/// has no commitments, so comparing its code proves nothing.
pub const BARE_WARNING: &str = "WARNING: this safety code cannot be verified: the original's \
     bare key exchange (GEN_KEYS with no group) has no commitments, so someone in the middle can \
     make both codes match";

/// The mark after every secure line of a toy-group chat.
pub const TOY_MARK: &str = "[toy group: readable by anyone watching]";

/// The current chat's key agreement.
#[derive(Debug)]
pub struct Keys {
    exchange: Exchange,
    /// Our identity, proved in chats whose `GEN_KEYS` says `identity`.
    me: Option<Arc<Identity>>,
    /// `client --explain`: each step is also told with its numbers.
    explain: bool,
    /// Lines explaining the last step, not yet shown.
    explained: Vec<String>,
    /// When this chat's `GEN_KEYS` arrived.
    started: Option<Instant>,
    /// The partner's name, for `--explain` ("bob's value").
    partner: String,
}

/// What the reader thread should do after a key line.
#[derive(Debug)]
pub enum KeyStep {
    /// Nothing to send or show.
    Quiet,
    /// Send this to the server; if `warn` is set, show it first.
    Send {
        /// Our `key_commit` or `key_param`.
        command: Command,
        /// A warning to show (the toy group).
        warn: Option<&'static str>,
    },
    /// The key is agreed; show this safety code, and whether the code can be trusted.
    Agreed {
        /// The safety code.
        code: String,
        /// False for the toy group and the original's bare exchange.
        sound: bool,
        /// The original's bare exchange: the code cannot be verified at all.
        bare: bool,
        /// The identity key the partner proved in this chat (`None`: a chat without
        /// identities).
        partner_key: Option<PublicKey>,
    },
    /// The agreement failed; show this reason. `alarm` for signs of tampering.
    Failed {
        /// Why.
        reason: String,
        /// The failure points at someone interfering, not at a missing feature.
        alarm: bool,
    },
}

impl Keys {
    /// No key yet; the toy group is accepted only if `allow_toy`.
    pub fn new(allow_toy: bool) -> Keys {
        Keys {
            exchange: Exchange::new(allow_toy),
            me: None,
            explain: false,
            explained: Vec::new(),
            started: None,
            partner: "your partner".into(),
        }
    }

    /// The partner of the chat whose keys come next, as `--explain` names it.
    pub fn set_partner(&mut self, name: &str) {
        name.clone_into(&mut self.partner);
    }

    /// The same, with our identity to prove in chats that ask for it.
    pub fn with_identity(mut self, me: Arc<Identity>) -> Keys {
        self.me = Some(me);
        self
    }

    /// The same, telling each step with its numbers (`client --explain`).
    pub fn explaining(mut self) -> Keys {
        self.explain = true;
        self
    }

    /// True with `--explain`.
    pub fn explains(&self) -> bool {
        self.explain
    }

    /// The explanation of the last steps, to show (empty without `--explain`).
    pub fn take_explanation(&mut self) -> Vec<String> {
        std::mem::take(&mut self.explained)
    }

    /// A new chat starts with no key.
    pub fn reset(&mut self) {
        self.exchange.reset();
        self.started = None;
    }

    /// A new connection to the server: no key, and no chat number used yet.
    pub fn new_connection(&mut self) {
        self.exchange.new_connection();
        self.started = None;
    }

    /// The server sent `GEN_KEYS <group> <chat>` with a chat number spelled another way than
    /// the protocol's one spelling: refused.
    pub fn gen_keys_misnumbered(&mut self, chat: &str) -> KeyStep {
        let step = self.exchange.on_bad_chat_number(chat);
        self.step(step, None)
    }

    /// The server sent `GEN_KEYS <group> <chat>`.
    pub fn gen_keys(&mut self, group: &str, chat: Option<u64>) -> KeyStep {
        self.gen_keys_with(group, chat, None)
    }

    /// The server sent `GEN_KEYS <group> <chat>`, with `identity` when `names` is given (ours
    /// and the partner's, as the server gave them): we then prove our identity in this chat.
    pub fn gen_keys_with(
        &mut self,
        group: &str,
        chat: Option<u64>,
        names: Option<Names>,
    ) -> KeyStep {
        self.started.get_or_insert_with(Instant::now);
        let asked = names.is_some();
        let step = match names {
            Some(names) => {
                self.exchange
                    .on_gen_keys_with_identity(group, chat, self.me.clone(), names)
            }
            None => self.exchange.on_gen_keys(group, chat),
        };
        if let (true, Some(pair)) = (self.explain, self.exchange.pair()) {
            let identity = self.exchange.proves_identity();
            let mut lines =
                explain::started(pair, self.exchange.my_commitment(), &self.partner, identity);
            match (&self.me, asked) {
                (Some(me), true) => {
                    lines.insert(0, explain::identity_asked(&me.public(), &self.partner));
                }
                // Only a chat the server numbered could have said identity.
                (Some(_), false) if chat.is_some() => {
                    lines.insert(0, explain::identity_not_asked(&self.partner));
                }
                _ => {}
            }
            self.explained.extend(lines);
        }
        let toy = self.exchange.group() == Some(Group::Toy);
        self.step(step, toy.then_some(TOY_WARNING))
    }

    /// The partner's `key_commit` arrived.
    pub fn commit(&mut self, text: &str) -> KeyStep {
        let step = self.exchange.on_commit(text);
        if self.explain && matches!(step, Step::Send(_)) {
            self.explained
                .extend(explain::partner_committed(text, &self.partner));
        }
        self.step(step, None)
    }

    /// The partner's `key_param` arrived.
    pub fn param(&mut self, text: &str) -> KeyStep {
        // Explained before the exchange takes it: our key pair is gone once it is agreed.
        let before = match (self.explain, self.exchange.pair()) {
            (true, Some(pair)) => PublicValue::parse(pair.group(), text)
                .map(|peer| explain::agreed(pair, &peer, &self.partner))
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let step = self.exchange.on_param(text);
        if let (true, Step::Agreed, Some(session)) = (self.explain, &step, self.exchange.session())
        {
            self.explained.extend(before);
            self.explained
                .push(explain::code(&session.safety_code(), false));
        } else if self.explain && matches!(step, Step::Send(_)) {
            // A chat with identities: the key is agreed, the code waits for the partner's proof.
            self.explained.extend(before);
            self.explained.push(explain::proof_sent(&self.partner));
        }
        self.step(step, None)
    }

    /// The partner's `key_proof` arrived.
    pub fn proof(&mut self, text: &str) -> KeyStep {
        let step = self.exchange.on_proof(text);
        if let (true, Step::Agreed, Some(session)) = (self.explain, &step, self.exchange.session())
        {
            if let Some(key) = self.exchange.partner_key() {
                self.explained
                    .push(explain::proof_checked(&self.partner, &key));
            }
            self.explained.push(explain::code(
                &session.safety_code(),
                self.exchange.partner_key().is_some(),
            ));
        }
        self.step(step, None)
    }

    /// Our identity, if the client has one.
    pub fn identity(&self) -> Option<&Identity> {
        self.me.as_deref()
    }

    fn step(&self, step: Step, warn: Option<&'static str>) -> KeyStep {
        match step {
            Step::Quiet => KeyStep::Quiet,
            Step::Send(command) => KeyStep::Send { command, warn },
            Step::Agreed => {
                let session = self.exchange.session().expect("agreed means a session");
                KeyStep::Agreed {
                    code: session.safety_code(),
                    sound: session.code_is_sound(),
                    bare: !session.is_committed(),
                    partner_key: self.exchange.partner_key(),
                }
            }
            Step::Failed(err) => KeyStep::Failed {
                alarm: is_alarm(&err),
                reason: err.to_string(),
            },
        }
    }

    /// The agreed session, to seal and open with.
    pub fn session_mut(&mut self) -> Option<&mut Session> {
        self.exchange.session_mut()
    }

    /// The agreed session.
    pub fn session(&self) -> Option<&Session> {
        self.exchange.session()
    }

    /// True when the agreed key is in the toy group.
    pub fn is_toy(&self) -> bool {
        self.exchange.group() == Some(Group::Toy)
    }

    /// True once this chat's exchange has failed for good.
    pub fn failed(&self) -> bool {
        self.exchange.failure().is_some()
    }

    /// True while this chat's exchange has begun and is neither agreed nor failed.
    pub fn pending(&self) -> bool {
        self.exchange.is_pending()
    }

    /// True once the exchange has waited [`KEY_EXCHANGE_PATIENCE`] for the partner and is
    /// still not done: [`Keys::unavailable`] then says secure messages are not possible.
    pub fn overdue(&self) -> bool {
        self.exchange.is_pending()
            && self
                .started
                .is_some_and(|t| t.elapsed() >= KEY_EXCHANGE_PATIENCE)
    }

    /// Why `secure:` cannot be used now, or `None` if it can.
    pub fn unavailable(&self) -> Option<KeyUnavailable> {
        if self.exchange.session().is_some() {
            return None;
        }
        if let Some(err) = self.exchange.failure() {
            return Some(KeyUnavailable::Failed(err.clone()));
        }
        Some(if self.overdue() {
            KeyUnavailable::PartnerSilent {
                waited: self.started.map_or(0, |t| t.elapsed().as_secs()),
            }
        } else if self.exchange.is_pending() {
            KeyUnavailable::Agreeing
        } else {
            KeyUnavailable::NoChat
        })
    }
}

/// Why there is no key to seal or open a secure message with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyUnavailable {
    /// Not in a chat, so no key was ever agreed.
    #[error("no key is agreed: connect to someone first")]
    NoChat,
    /// The chat has begun and its key is being agreed.
    #[error("the key is still being agreed; try again in a moment")]
    Agreeing,
    /// The partner's client has not finished the exchange in [`KEY_EXCHANGE_PATIENCE`].
    #[error(
        "your partner's client has not finished the key exchange in {waited} s (an old \
         client, nc, or a client that refused this key group), so secure: is not possible \
         with this partner"
    )]
    PartnerSilent {
        /// Seconds waited so far.
        waited: u64,
    },
    /// This chat's exchange failed for good.
    #[error("key agreement failed ({0})")]
    Failed(ExchangeError),
}

/// Why a `secure:` message was not sealed.
#[derive(Debug, thiserror::Error)]
pub enum NotSealed {
    /// There is no key.
    #[error(transparent)]
    NoKey(#[from] KeyUnavailable),
    /// The session refused the text (too long, or the chat used up its messages).
    #[error(transparent)]
    Refused(#[from] common::secure::SealError),
    /// The partner's identity changed: `secure:` is held until the person decides.
    #[error(
        "secure: to {0} is held: {0}'s identity changed; compare the safety code with {0} \
         (type verify to see it), then type trust"
    )]
    Held(String),
    /// The partner was pinned, and this chat proves no identity at all: nothing to trust.
    #[error(
        "secure: to {0} is held: {0}'s identity changed, and this chat proves no identity \
         (an older client, or someone in the middle who cannot prove one); type forget {0} \
         only once you are sure it is {0}"
    )]
    HeldNoIdentity(String),
}

/// Failures that mean someone between the two clients interfered.
fn is_alarm(err: &ExchangeError) -> bool {
    matches!(
        err,
        ExchangeError::SecondExchange
            | ExchangeError::ChatNumberReused(_)
            | ExchangeError::Unexpected(_)
            | ExchangeError::Reflected
            | ExchangeError::CommitmentMismatch
            | ExchangeError::Proof(_)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Our public value is never sent with the first answer: a commitment goes first, tied to
    /// the chat the server named.
    #[test]
    fn first_answer_is_a_commitment() {
        let mut keys = Keys::new(false);
        let KeyStep::Send {
            command: Command::KeyCommit(text),
            warn: None,
        } = keys.gen_keys("ffdhe2048", Some(7))
        else {
            panic!("GEN_KEYS ffdhe2048 7 must be answered with a commitment");
        };
        let (chat, commitment) = text.split_once(' ').expect("chat and commitment");
        assert_eq!(chat, "7");
        assert_eq!(commitment.len(), 64);
        assert_eq!(keys.unavailable(), Some(KeyUnavailable::Agreeing));
    }

    /// The toy group, named or bare, is refused without the flag, and warned about with it.
    #[test]
    fn toy_group_needs_the_flag_and_is_warned_about() {
        for (group, chat) in [("toy", Some(1)), ("", None)] {
            let KeyStep::Failed { reason, .. } = Keys::new(false).gen_keys(group, chat) else {
                panic!("the toy group must be refused without --allow-toy-group");
            };
            assert!(reason.contains("--allow-toy-group"), "{reason}");
            let KeyStep::Send { warn, .. } = Keys::new(true).gen_keys(group, chat) else {
                panic!("the toy group is allowed with the flag");
            };
            assert_eq!(warn, Some(TOY_WARNING));
        }
    }
}
