//! Hash commitments to a Diffie-Hellman public value: what makes the safety code hard to force.
//!
//! Without them, each client reveals its public value as soon as the server asks. A relay in
//! the middle then holds both real values before it has to pick its own, and can try exponent
//! after exponent (one modular multiplication each) until the two people's 12-digit safety codes
//! collide: about two million tries, half a minute on one core.
//!
//! So each client first sends `key_commit <chat> <commitment>`, a SHA-256 hash of its public
//! value, and reveals the value (`key_param`) only once it holds the partner's commitment.
//! Whoever sits in the middle must commit to its own values before it sees either real one, and
//! cannot change them afterwards: it gets one blind guess at a matching code (odds about
//! 10^-12), as in ZRTP. The commitment is bound to the group and the chat number, so one made
//! for another chat or group never opens here.
//!
//! ```text
//! commitment = SHA-256("labchat v2 commitment|" || group name || "|" || chat || "|" || value)
//! ```
//!
//! with the group name in ASCII (`ffdhe2048`), the chat number in decimal ASCII (`7`), and the
//! value as big-endian bytes of the modulus' length ([`Group::byte_len`]). On the wire it is 64
//! lowercase hexadecimal digits.

use std::fmt;

use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::dh::{Group, PublicValue};

/// The label the commitment hash starts with; it names the protocol version.
pub const COMMITMENT_LABEL: &[u8] = b"labchat v2 commitment|";

/// The label of a commitment that also binds the committer's identity key (a chat whose
/// `GEN_KEYS` says `identity`):
///
/// ```text
/// SHA-256("labchat v3 commitment|" || group || "|" || chat || "|" || value || identity key)
/// ```
///
/// The identity key (32 bytes) is bound before anything is revealed, so a relay cannot try
/// throwaway identities against the safety code after it saw the real values.
pub const IDENTITY_COMMITMENT_LABEL: &[u8] = b"labchat v3 commitment|";

/// A SHA-256 commitment to one side's public value for one chat.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Commitment([u8; 32]);

/// Why a commitment from the wire was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum CommitmentError {
    /// Not exactly 64 characters.
    #[error("a commitment is 64 hexadecimal digits")]
    WrongLength,
    /// A character other than `0-9` and `a-f`.
    #[error("a commitment holds only the digits 0-9 and a-f")]
    NotLowercaseHex,
}

impl Commitment {
    /// The commitment to `value` for the chat numbered `chat` in `group`.
    ///
    /// # Panics
    ///
    /// If `value` belongs to another group than `group`.
    pub fn to(group: Group, chat: u64, value: &PublicValue) -> Commitment {
        assert_eq!(
            value.group(),
            group,
            "a commitment binds a value of its own group"
        );
        let digest = Sha256::new()
            .chain_update(COMMITMENT_LABEL)
            .chain_update(group.name().as_bytes())
            .chain_update(b"|")
            .chain_update(chat.to_string().as_bytes())
            .chain_update(b"|")
            .chain_update(value.to_be_bytes())
            .finalize();
        Commitment(digest.into())
    }

    /// The commitment to `value` and the identity `key` for the chat numbered `chat` in
    /// `group` (see [`IDENTITY_COMMITMENT_LABEL`]).
    ///
    /// # Panics
    ///
    /// If `value` belongs to another group than `group`.
    pub fn with_identity(
        group: Group,
        chat: u64,
        value: &PublicValue,
        key: &crate::identity::PublicKey,
    ) -> Commitment {
        assert_eq!(
            value.group(),
            group,
            "a commitment binds a value of its own group"
        );
        let digest = Sha256::new()
            .chain_update(IDENTITY_COMMITMENT_LABEL)
            .chain_update(group.name().as_bytes())
            .chain_update(b"|")
            .chain_update(chat.to_string().as_bytes())
            .chain_update(b"|")
            .chain_update(value.to_be_bytes())
            .chain_update(key.0)
            .finalize();
        Commitment(digest.into())
    }

    /// Whether this commits to `value` and the identity `key` for the chat numbered `chat` in
    /// `group`.
    pub fn opens_with_identity(
        &self,
        group: Group,
        chat: u64,
        value: &PublicValue,
        key: &crate::identity::PublicKey,
    ) -> bool {
        value.group() == group && *self == Commitment::with_identity(group, chat, value, key)
    }

    /// Whether this commits to `value` for the chat numbered `chat` in `group`.
    pub fn opens_to(&self, group: Group, chat: u64, value: &PublicValue) -> bool {
        value.group() == group && *self == Commitment::to(group, chat, value)
    }

    /// Reads the wire form: exactly 64 lowercase hexadecimal digits.
    ///
    /// # Errors
    ///
    /// [`CommitmentError`] for any other text, so each commitment has one spelling.
    pub fn parse(text: &str) -> Result<Commitment, CommitmentError> {
        if text.len() != 64 {
            return Err(CommitmentError::WrongLength);
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(text.as_bytes().chunks(2)) {
            *byte = (hex_digit(pair[0])? << 4) | hex_digit(pair[1])?;
        }
        Ok(Commitment(bytes))
    }

    /// The 32 hash bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

fn hex_digit(b: u8) -> Result<u8, CommitmentError> {
    match b {
        b'0'..=b'9' => Ok(b - b'0'),
        b'a'..=b'f' => Ok(b - b'a' + 10),
        _ => Err(CommitmentError::NotLowercaseHex),
    }
}

/// The wire form: 64 lowercase hexadecimal digits.
impl fmt::Display for Commitment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Commitment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Commitment({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dh::KeyPair;

    /// A commitment opens only to its own value, chat and group, and survives the wire.
    #[test]
    fn binds_value_chat_and_group() {
        let pair = KeyPair::generate(Group::Toy);
        let other = KeyPair::generate(Group::Toy);
        let c = Commitment::to(Group::Toy, 7, pair.public());
        assert!(c.opens_to(Group::Toy, 7, pair.public()));
        assert!(!c.opens_to(Group::Toy, 8, pair.public()));
        if other.public() != pair.public() {
            assert!(!c.opens_to(Group::Toy, 7, other.public()));
        }
        assert_eq!(Commitment::parse(&c.to_string()), Ok(c));
        assert_eq!(c.to_string().len(), 64);
    }

    /// One spelling per commitment: lowercase hex of exactly 64 digits.
    #[test]
    fn refuses_other_spellings() {
        let good = "0123456789abcdef".repeat(4);
        assert!(Commitment::parse(&good).is_ok());
        assert_eq!(
            Commitment::parse(&good.to_uppercase()),
            Err(CommitmentError::NotLowercaseHex)
        );
        assert_eq!(
            Commitment::parse(&good[1..]),
            Err(CommitmentError::WrongLength)
        );
        assert_eq!(
            Commitment::parse(&format!("{}g", &good[1..])),
            Err(CommitmentError::NotLowercaseHex)
        );
        assert_eq!(
            Commitment::parse(&format!("{good} ")),
            Err(CommitmentError::WrongLength)
        );
        assert_eq!(
            Commitment::parse(&"é".repeat(32)),
            Err(CommitmentError::NotLowercaseHex)
        );
    }
}
