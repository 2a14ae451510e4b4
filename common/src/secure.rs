//! Per-chat keys, sealed secure messages and the safety code.
//!
//! A Diffie-Hellman [`SharedSecret`] is not a key: this module turns it into one key pair per
//! direction, seals each message so the peer can tell it is authentic, unaltered, new and in
//! order, and derives a short safety code the two people can compare out of band to detect a
//! man in the middle, which Diffie-Hellman alone cannot.
//!
//! # Keys
//!
//! HKDF-SHA256 with salt `labchat v1` and the shared secret as input keying material yields,
//! for each direction, 64 bytes: a 32-byte RC4 master key, then a 32-byte MAC key. The info
//! string names the group and both public values, sender's first, so the two directions get
//! unrelated keys and a key is bound to the exchange that produced it.
//!
//! # Sealed messages
//!
//! Message number `n` (a per-direction counter from 0) is encrypted with RC4 under the key
//! `HMAC-SHA256(enc_key, "rc4" || n)`, dropping the first 3072 keystream bytes, so no two
//! messages share a keystream and RC4's biased first bytes are never used. The tag is
//! `HMAC-SHA256(mac_key, n || ciphertext)` (encrypt-then-MAC, `n` as 8 big-endian bytes). On
//! the wire a sealed message is one token, with standard padded base64:
//!
//! ```text
//! <n>.<base64 ciphertext>.<base64 tag>
//! 3.kM4x.<44 base64 characters: the 32-byte tag>
//! ```
//!
//! A message holds at most [`MAX_SECURE_TEXT`] bytes of text, so that its sealed line fits the
//! line limit even after the server puts the longest possible name in front of it.
//!
//! # The safety code
//!
//! After a key agreement with commitments ([`crate::commitment`]), the code is
//!
//! ```text
//! SHA-256("labchat v2 safety code|" || group name || "|" || chat || "|"
//!         || lower commitment || higher commitment || lower value || higher value || secret)
//! ```
//!
//! (pairs sorted as byte strings; values and secret as big-endian bytes of the modulus'
//! length), of which the first 8 bytes, read as a big-endian integer mod 10^12, are printed as
//! three groups of four digits. The original's bare `GEN_KEYS` has no commitments; its code
//! ([`Session::new`], label `labchat v1 safety code|`) can be forced by a relay that grinds,
//! and [`Session::code_is_sound`] says so.
//!
//! # What this does not protect
//!
//! The message length and timing are visible. Nothing stops a man in the middle who swaps
//! public values unless the two people compare [`Session::safety_code`]s. A lost last message
//! cannot be noticed (only a gap before a later one).

use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::commitment::Commitment;
use crate::dh::{Group, PublicValue, SharedSecret};
use crate::limits::{MAX_LINE_LEN, MAX_NAME_LEN};
use crate::rc4::Rc4;

type HmacSha256 = Hmac<Sha256>;

/// The HKDF salt; it names the protocol version so a future version derives different keys.
pub const KDF_SALT: &[u8] = b"labchat v1";

/// How many keystream bytes each message's RC4 instance discards before encrypting.
pub const RC4_DROP: usize = 3072;

/// The length of a message tag in bytes (a full HMAC-SHA256).
pub const TAG_LEN: usize = 32;

/// The longest sealed payload that the server can relay: the relayed line
/// `<name> (secure): <payload>` must fit [`MAX_LINE_LEN`] with a name of [`MAX_NAME_LEN`]
/// characters of up to 4 UTF-8 bytes each.
const MAX_PAYLOAD_LEN: usize = MAX_LINE_LEN - 4 * MAX_NAME_LEN - " (secure): ".len();

/// The most text, in UTF-8 bytes, that one secure message can carry (5988): the sealed payload
/// `<n>.<base64 ciphertext>.<base64 tag>` with a 20-digit counter then still fits
/// `MAX_PAYLOAD_LEN`. [`Session::seal`] refuses longer text before it uses a counter.
pub const MAX_SECURE_TEXT: usize = (MAX_PAYLOAD_LEN - 20 - 2 - 44) / 4 * 3;

/// HKDF-SHA256 (salt `labchat v1`, input the shared secret) of
/// `label || group || "|from|" || sender || "|to|" || receiver`: 32 bytes of encryption key and
/// 32 of MAC key for one direction of a chat. Public values have the fixed length of the
/// group's modulus, so the concatenation has exactly one reading. The sealed messages and the
/// sealed identity proofs ([`crate::identity::proof`]) differ only in `label`.
pub(crate) fn directional_keys(
    label: &[u8],
    group: Group,
    secret: &SharedSecret,
    sender: &PublicValue,
    receiver: &PublicValue,
) -> ([u8; 32], [u8; 32]) {
    let mut info = Vec::new();
    info.extend_from_slice(label);
    info.extend_from_slice(group.name().as_bytes());
    info.extend_from_slice(b"|from|");
    info.extend_from_slice(&sender.to_be_bytes());
    info.extend_from_slice(b"|to|");
    info.extend_from_slice(&receiver.to_be_bytes());
    let mut okm = [0u8; 64];
    Hkdf::<Sha256>::new(Some(KDF_SALT), secret.as_be_bytes())
        .expand(&info, &mut okm)
        .expect("64 bytes is a valid HKDF-SHA256 output length");
    let (mut enc, mut mac) = ([0; 32], [0; 32]);
    enc.copy_from_slice(&okm[..32]);
    mac.copy_from_slice(&okm[32..]);
    (enc, mac)
}

/// The keys for one direction of a chat.
pub struct MessageKeys {
    /// Master key for the per-message RC4 keys.
    enc: [u8; 32],
    /// Key for the message tags.
    mac: [u8; 32],
}

/// Shows nothing of the keys.
impl fmt::Debug for MessageKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MessageKeys(..)")
    }
}

impl MessageKeys {
    /// The 32-byte master key of the per-message RC4 keys (for test vectors and teaching).
    pub fn enc_key(&self) -> &[u8; 32] {
        &self.enc
    }

    /// The 32-byte HMAC-SHA256 key of the tags (for test vectors and teaching).
    pub fn mac_key(&self) -> &[u8; 32] {
        &self.mac
    }

    /// The RC4 key of message `n`: `HMAC-SHA256(enc_key, "rc4" || n as 8 big-endian bytes)`.
    pub fn rc4_key(&self, n: u64) -> [u8; 32] {
        let mut mac = new_hmac(&self.enc);
        mac.update(b"rc4");
        mac.update(&n.to_be_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Derives the keys for messages from `sender` to `receiver`.
    fn derive(
        group: Group,
        secret: &SharedSecret,
        sender: &PublicValue,
        receiver: &PublicValue,
    ) -> MessageKeys {
        let (enc, mac) =
            directional_keys(b"labchat v1 message keys|", group, secret, sender, receiver);
        MessageKeys { enc, mac }
    }

    /// The RC4 instance for message `n`, with the first [`RC4_DROP`] bytes already discarded.
    fn cipher(&self, n: u64) -> Rc4 {
        let key = self.rc4_key(n);
        let mut cipher = Rc4::new(&key).expect("a 32-byte key is a valid RC4 key");
        cipher.skip(RC4_DROP);
        cipher
    }

    /// An HMAC over `n || ciphertext`, ready to finalize or verify.
    fn tag(&self, n: u64, ciphertext: &[u8]) -> HmacSha256 {
        let mut mac = new_hmac(&self.mac);
        mac.update(&n.to_be_bytes());
        mac.update(ciphertext);
        mac
    }
}

/// An HMAC-SHA256 instance keyed with a 32-byte key.
fn new_hmac(key: &[u8; 32]) -> HmacSha256 {
    <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length")
}

/// Why [`Session::open`] refused a payload. In every case the text is not shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// The payload is not `<n>.<base64>.<base64>` with a 32-byte tag. The session is unchanged.
    #[error("secure message is malformed ({reason}); its text was not shown")]
    Malformed {
        /// Which part was wrong.
        reason: &'static str,
    },
    /// The tag does not match: the message was altered, truncated, or sealed with other keys
    /// (for example by a man in the middle, or for the other direction). The session is
    /// unchanged.
    #[error("secure message failed verification (tampered or truncated); its text was not shown")]
    BadTag,
    /// The tag is valid but the counter is below the next expected one: the message was
    /// already shown, or was skipped over after a gap. The session is unchanged.
    #[error(
        "secure message #{counter} is a replay (expected #{expected} or later); \
         its text was not shown again"
    )]
    Replayed {
        /// The message's counter.
        counter: u64,
        /// The counter that was expected.
        expected: u64,
    },
    /// The tag is valid but earlier messages are missing (lost or reordered). The session
    /// moves on to expect `counter + 1`, so the chat recovers with the next message.
    #[error(
        "secure message #{counter} arrived while #{expected} was expected; \
         earlier messages were lost or reordered, so its text was not shown"
    )]
    OutOfOrder {
        /// The message's counter.
        counter: u64,
        /// The counter that was expected.
        expected: u64,
    },
    /// The message is authentic and in order but its text is not UTF-8, which [`Session::seal`]
    /// never produces. The message is consumed: the next counter is expected.
    #[error("secure message is authentic but its text is not UTF-8; its text was not shown")]
    NotUtf8,
}

/// Why [`Session::seal`] refused to seal a text. No counter was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The text is longer than [`MAX_SECURE_TEXT`] bytes.
    #[error(
        "that secure message is {len} bytes long; secure: takes at most {max} bytes (UTF-8)",
        max = MAX_SECURE_TEXT
    )]
    TooLong {
        /// The text's length in bytes.
        len: usize,
    },
    /// 2^64 - 1 messages were sealed in this chat; a counter (and so a keystream) would repeat.
    #[error("this chat has sealed all the messages it can; end it with goodbye and connect again")]
    Exhausted,
}

/// The keys and counters of one secure chat, from one side's point of view.
pub struct Session {
    group: Group,
    send: MessageKeys,
    receive: MessageKeys,
    /// Counter of the next message [`Session::seal`] produces.
    next_send: u64,
    /// Counter of the next message [`Session::open`] accepts.
    next_receive: u64,
    safety_code: String,
    /// Whether the safety code came after commitments (and so cannot be forced).
    committed: bool,
}

impl Session {
    /// Derives the session from a Diffie-Hellman exchange *without* commitments, as the
    /// original's bare `GEN_KEYS` runs it. Its safety code can be forced by a relay that
    /// grinds ([`Session::code_is_sound`] is false); use [`Session::after_commitments`]
    /// wherever the peer committed first.
    ///
    /// Both sides call this with their own public value as `my_public`; the keys this side
    /// sends with are the keys the peer receives with.
    ///
    /// # Panics
    ///
    /// If either public value belongs to another group than `group`.
    pub fn new(
        group: Group,
        my_public: &PublicValue,
        peer_public: &PublicValue,
        secret: &SharedSecret,
    ) -> Session {
        let code = uncommitted_safety_code(group, my_public, peer_public, secret);
        Session::derive(group, my_public, peer_public, secret, code, false)
    }

    /// Derives the session from a Diffie-Hellman exchange in which each side committed to its
    /// public value before revealing it (see [`crate::commitment`]); the safety code covers the
    /// chat number and both commitments.
    ///
    /// The caller has checked that `peer_commitment` opens to `peer_public`.
    ///
    /// # Panics
    ///
    /// If either public value belongs to another group than `group`.
    pub fn after_commitments(
        group: Group,
        chat: u64,
        (my_commitment, peer_commitment): (&Commitment, &Commitment),
        my_public: &PublicValue,
        peer_public: &PublicValue,
        secret: &SharedSecret,
    ) -> Session {
        let code = committed_safety_code(
            group,
            chat,
            [my_commitment, peer_commitment],
            [my_public, peer_public],
            secret,
        );
        Session::derive(group, my_public, peer_public, secret, code, true)
    }

    /// Derives the session of a chat whose `GEN_KEYS` said `identity`: as
    /// [`Session::after_commitments`], with a safety code that also covers both identity keys
    /// (label `labchat v3 safety code|`, see [`identity_safety_code`]). The caller has checked
    /// the partner's proof of its identity.
    ///
    /// # Panics
    ///
    /// If either public value belongs to another group than `group`.
    pub fn after_identities(
        group: Group,
        chat: u64,
        commitments: (&Commitment, &Commitment),
        publics: (&PublicValue, &PublicValue),
        secret: &SharedSecret,
        identities: (&crate::identity::PublicKey, &crate::identity::PublicKey),
    ) -> Session {
        let code = identity_safety_code(
            group,
            chat,
            [commitments.0, commitments.1],
            [publics.0, publics.1],
            secret,
            [identities.0, identities.1],
        );
        Session::derive(group, publics.0, publics.1, secret, code, true)
    }

    fn derive(
        group: Group,
        my_public: &PublicValue,
        peer_public: &PublicValue,
        secret: &SharedSecret,
        safety_code: String,
        committed: bool,
    ) -> Session {
        assert!(
            my_public.group() == group && peer_public.group() == group,
            "public values must belong to the session's Diffie-Hellman group {group}"
        );
        Session {
            group,
            send: MessageKeys::derive(group, secret, my_public, peer_public),
            receive: MessageKeys::derive(group, secret, peer_public, my_public),
            next_send: 0,
            next_receive: 0,
            safety_code,
            committed,
        }
    }

    /// The Diffie-Hellman group the key was agreed in.
    pub fn group(&self) -> Group {
        self.group
    }

    /// Whether matching safety codes really rule out a man in the middle: true only when both
    /// sides committed first and the group is not the toy group (whose 998 possible values let
    /// anyone open a commitment by trying them all).
    pub fn code_is_sound(&self) -> bool {
        self.committed && self.group != Group::Toy
    }

    /// Whether both sides committed first: false after the original's bare `GEN_KEYS`, whose
    /// code a relay can force in any group, so it cannot be verified by comparing it.
    pub fn is_committed(&self) -> bool {
        self.committed
    }

    /// The keys this side seals with (for test vectors and teaching).
    pub fn send_keys(&self) -> &MessageKeys {
        &self.send
    }

    /// The keys this side opens with (for test vectors and teaching).
    pub fn receive_keys(&self) -> &MessageKeys {
        &self.receive
    }

    /// Encrypts and authenticates `plaintext` as the next message, returning the wire payload
    /// `<n>.<base64 ciphertext>.<base64 tag>` (one token, no spaces).
    ///
    /// # Errors
    ///
    /// [`SealError::TooLong`] for more than [`MAX_SECURE_TEXT`] bytes, [`SealError::Exhausted`]
    /// after 2^64 - 1 messages. Either way no counter is used, so the partner's next message
    /// arrives in sequence.
    pub fn seal(&mut self, plaintext: &str) -> Result<String, SealError> {
        if plaintext.len() > MAX_SECURE_TEXT {
            return Err(SealError::TooLong {
                len: plaintext.len(),
            });
        }
        let n = self.next_send;
        if n == u64::MAX {
            return Err(SealError::Exhausted);
        }
        self.next_send = n + 1;

        let mut ciphertext = plaintext.as_bytes().to_vec();
        self.send.cipher(n).apply_keystream(&mut ciphertext);
        let tag = self.send.tag(n, &ciphertext).finalize().into_bytes();
        Ok(format!(
            "{n}.{}.{}",
            BASE64.encode(&ciphertext),
            BASE64.encode(tag)
        ))
    }

    /// Verifies and decrypts a payload from [`Session::seal`] on the peer's side.
    ///
    /// Only a payload with a valid tag can change the session: an accepted message advances
    /// the expected counter by one, and one that shows a gap moves it past that message.
    ///
    /// # Errors
    ///
    /// [`OpenError::Malformed`] for a payload of the wrong shape (counter 2^64 - 1 included,
    /// which [`Session::seal`] never uses), [`OpenError::BadTag`] if it was altered or
    /// truncated, [`OpenError::Replayed`] and [`OpenError::OutOfOrder`] for authentic messages
    /// out of sequence, [`OpenError::NotUtf8`] for authentic non-text.
    pub fn open(&mut self, payload: &str) -> Result<String, OpenError> {
        let (n, ciphertext, tag) = parse_payload(payload)?;
        self.receive
            .tag(n, &ciphertext)
            .verify_slice(&tag)
            .map_err(|_| OpenError::BadTag)?;

        let expected = self.next_receive;
        if n < expected {
            return Err(OpenError::Replayed {
                counter: n,
                expected,
            });
        }
        // n < u64::MAX (parse_payload refuses it), so n + 1 cannot overflow.
        self.next_receive = n + 1;
        if n > expected {
            return Err(OpenError::OutOfOrder {
                counter: n,
                expected,
            });
        }

        let mut plaintext = ciphertext;
        self.receive.cipher(n).apply_keystream(&mut plaintext);
        String::from_utf8(plaintext).map_err(|_| OpenError::NotUtf8)
    }

    /// The safety code both people should see, as three groups of four digits
    /// (`0412 9981 2271`).
    ///
    /// It hashes the group, both public values (in a canonical order, so both sides agree),
    /// the shared secret and, after commitments, the chat number and both commitments. A man in
    /// the middle runs one exchange with each side, so the two sides hash different values and
    /// almost surely see different codes; reading the codes to each other over another channel
    /// (voice, in person) detects that.
    pub fn safety_code(&self) -> String {
        self.safety_code.clone()
    }
}

/// Shows the counters, never the keys.
impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("next_send", &self.next_send)
            .field("next_receive", &self.next_receive)
            .finish_non_exhaustive()
    }
}

/// Splits `<n>.<ciphertext>.<tag>` into the counter, ciphertext bytes and tag bytes.
fn parse_payload(payload: &str) -> Result<(u64, Vec<u8>, Vec<u8>), OpenError> {
    let malformed = |reason| OpenError::Malformed { reason };
    let mut parts = payload.split('.');
    let (Some(counter), Some(ciphertext), Some(tag), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("expected <counter>.<ciphertext>.<tag>"));
    };
    // One spelling per counter: digits only, no sign, no leading zero.
    let canonical = !counter.is_empty()
        && counter.bytes().all(|b| b.is_ascii_digit())
        && (counter == "0" || !counter.starts_with('0'));
    let n = counter
        .parse::<u64>()
        .ok()
        .filter(|&n| canonical && n != u64::MAX)
        .ok_or(malformed("counter is not a decimal number below 2^64 - 1"))?;
    let ciphertext = BASE64
        .decode(ciphertext)
        .map_err(|_| malformed("ciphertext is not standard base64"))?;
    let tag = BASE64
        .decode(tag)
        .map_err(|_| malformed("tag is not standard base64"))?;
    if tag.len() != TAG_LEN {
        return Err(malformed("tag is not 32 bytes"));
    }
    Ok((n, ciphertext, tag))
}

/// The safety code of an exchange with commitments (see the module documentation): what each
/// side shows, and what a relay in the middle would have to make equal on both sides.
///
/// `commitments` and `publics` are given as (this side's, the peer's); the order does not
/// matter, as each pair is sorted.
pub fn committed_safety_code(
    group: Group,
    chat: u64,
    commitments: [&Commitment; 2],
    publics: [&PublicValue; 2],
    secret: &SharedSecret,
) -> String {
    code_over(
        b"labchat v2 safety code|",
        group,
        chat,
        commitments,
        publics,
        secret,
        &[],
    )
}

/// The safety code of a chat with identities: as [`committed_safety_code`] under the label
/// `labchat v3 safety code|`, followed by both identity keys (32 bytes each), sorted as byte
/// strings:
///
/// ```text
/// SHA-256("labchat v3 safety code|" || group || "|" || chat || "|" || lower commitment
///         || higher commitment || lower value || higher value || secret
///         || lower identity key || higher identity key)
/// ```
pub fn identity_safety_code(
    group: Group,
    chat: u64,
    commitments: [&Commitment; 2],
    publics: [&PublicValue; 2],
    secret: &SharedSecret,
    identities: [&crate::identity::PublicKey; 2],
) -> String {
    let mut identities = identities.map(|k| k.0);
    identities.sort();
    code_over(
        b"labchat v3 safety code|",
        group,
        chat,
        commitments,
        publics,
        secret,
        &identities,
    )
}

/// The committed codes' hash: `label || group || "|" || chat || "|"`, the two commitments and
/// the two values each sorted as byte strings, the secret, then `tail` (already sorted).
fn code_over(
    label: &[u8],
    group: Group,
    chat: u64,
    commitments: [&Commitment; 2],
    publics: [&PublicValue; 2],
    secret: &SharedSecret,
    tail: &[[u8; 32]],
) -> String {
    let mut commitments = commitments.map(|c| *c.as_bytes());
    commitments.sort();
    let mut publics = publics.map(PublicValue::to_be_bytes);
    publics.sort();
    let mut hash = Sha256::new()
        .chain_update(label)
        .chain_update(group.name().as_bytes())
        .chain_update(b"|")
        .chain_update(chat.to_string().as_bytes())
        .chain_update(b"|")
        .chain_update(commitments[0])
        .chain_update(commitments[1])
        .chain_update(&publics[0])
        .chain_update(&publics[1])
        .chain_update(secret.as_be_bytes());
    for piece in tail {
        hash.update(piece);
    }
    code_digits(&hash.finalize())
}

/// The safety code of an exchange without commitments (the original's bare `GEN_KEYS`):
/// SHA-256 over a label, the group, both public values sorted as byte strings, and the secret.
pub fn uncommitted_safety_code(
    group: Group,
    my_public: &PublicValue,
    peer_public: &PublicValue,
    secret: &SharedSecret,
) -> String {
    let mut publics = [my_public.to_be_bytes(), peer_public.to_be_bytes()];
    publics.sort();
    let digest = Sha256::new()
        .chain_update(b"labchat v1 safety code|")
        .chain_update(group.name().as_bytes())
        .chain_update(b"|")
        .chain_update(&publics[0])
        .chain_update(&publics[1])
        .chain_update(secret.as_be_bytes())
        .finalize();
    code_digits(&digest)
}

/// The first 8 bytes of `digest` as a big-endian integer, reduced mod 10^12, as
/// `dddd dddd dddd`.
fn code_digits(digest: &[u8]) -> String {
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    // 2^64 is not a multiple of 10^12; the resulting bias is below 10^-7, irrelevant here.
    format_safety_code(u64::from_be_bytes(first) % 1_000_000_000_000)
}

/// A safety code, a number below 10^12, as people read it: three groups of four digits,
/// `0412 9981 2271` (also how a relay that searches for matching codes shows its candidates).
pub fn format_safety_code(code: u64) -> String {
    format!(
        "{:04} {:04} {:04}",
        code / 100_000_000,
        code / 10_000 % 10_000,
        code % 10_000
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dh::KeyPair;

    /// An authentic message whose text is not UTF-8 (which `seal` cannot produce) is refused
    /// as such, and consumes its counter.
    #[test]
    fn authentic_non_utf8_is_refused() {
        let group = Group::Toy;
        let (a, b) = (KeyPair::generate(group), KeyPair::generate(group));
        let alice = Session::new(group, a.public(), b.public(), &a.agree(b.public()));
        let mut bob = Session::new(group, b.public(), a.public(), &b.agree(a.public()));

        let mut ciphertext = vec![0xff, 0xfe, b'x'];
        alice.send.cipher(0).apply_keystream(&mut ciphertext);
        let tag = alice.send.tag(0, &ciphertext).finalize().into_bytes();
        let payload = format!("0.{}.{}", BASE64.encode(&ciphertext), BASE64.encode(tag));
        assert_eq!(bob.open(&payload), Err(OpenError::NotUtf8));
        assert_eq!(bob.next_receive, 1);
    }

    /// The longest text seals, at the largest counter, into a payload that the server can
    /// relay after the longest name; one byte more is refused without using a counter, and
    /// would not have fitted.
    #[test]
    fn longest_text_fits_the_relayed_line() {
        let group = Group::Toy;
        let (a, b) = (KeyPair::generate(group), KeyPair::generate(group));
        let mut alice = Session::new(group, a.public(), b.public(), &a.agree(b.public()));
        alice.next_send = u64::MAX - 1;
        let relayed = |payload_len: usize| 4 * MAX_NAME_LEN + " (secure): ".len() + payload_len;

        assert_eq!(
            alice.seal(&"x".repeat(MAX_SECURE_TEXT + 1)),
            Err(SealError::TooLong {
                len: MAX_SECURE_TEXT + 1
            })
        );
        assert_eq!(
            alice.next_send,
            u64::MAX - 1,
            "a refused text uses no counter"
        );
        let payload = alice.seal(&"x".repeat(MAX_SECURE_TEXT)).unwrap();
        assert!(relayed(payload.len()) <= MAX_LINE_LEN, "{}", payload.len());
        // One more byte needs one more base64 block of 4 characters.
        assert!(relayed(payload.len() + 4) > MAX_LINE_LEN);
        assert_eq!(alice.seal("x"), Err(SealError::Exhausted));
    }

    /// Payload parsing accepts the canonical shape and refuses everything else as malformed.
    #[test]
    fn payload_shapes() {
        let tag = BASE64.encode([7u8; 32]);
        assert_eq!(
            parse_payload(&format!("12.AAE=.{tag}")),
            Ok((12, vec![0, 1], vec![7; 32]))
        );
        assert_eq!(
            parse_payload(&format!("0..{tag}")),
            Ok((0, vec![], vec![7; 32]))
        );
        for bad in [
            String::new(),
            "0".to_owned(),
            format!("0.{tag}"),
            format!("0..{tag}."),
            format!("01..{tag}"),
            format!("+1..{tag}"),
            format!("-1..{tag}"),
            format!(" 1..{tag}"),
            format!("18446744073709551616..{tag}"),
            format!("18446744073709551615..{tag}"),
            format!("1.AAE.{tag}"),
            format!("1.AA E=.{tag}"),
            format!("1.AAE=.{}", BASE64.encode([7u8; 31])),
            format!("1.AAE=.{tag} "),
        ] {
            assert!(
                matches!(parse_payload(&bad), Err(OpenError::Malformed { .. })),
                "{bad:?}"
            );
        }
    }
}
