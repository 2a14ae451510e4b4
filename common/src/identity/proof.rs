//! A partner's proof of its identity inside one chat: a signature over the chat's transcript,
//! sealed under keys only the two partners hold.
//!
//! After the Diffie-Hellman exchange of a chat whose `GEN_KEYS` says `identity`, each side sends
//! `key_proof <chat> <payload>`. The payload is its identity key and its signature over the
//! [`transcript`], sealed with keys derived from the shared secret, so the server (or anyone
//! watching) never learns who is talking, and a relay in the middle, which holds a different
//! secret with each side, cannot read or forward it. In the manner of SIGMA and Noise XX:
//!
//! ```text
//! transcript = "labchat v3 identity proof|" || group || "|" || chat
//!              || "|signer|" || signer's name || "|partner|" || partner's name || "|"
//!              || signer's commitment || partner's commitment        (32 bytes each)
//!              || signer's value || partner's value                  (L bytes each)
//!              || signer's identity key                              (32 bytes)
//! signature  = Ed25519(signer's identity, transcript)
//!
//! proof keys (sender S to receiver R) = HKDF-SHA256(salt "labchat v1", IKM Z_bytes,
//!     info "labchat v3 proof keys|" || group || "|from|" || S_bytes || "|to|" || R_bytes), 64 bytes:
//!     enc_key = the first 32, mac_key = the last 32
//! ciphertext = (identity key || signature) XOR RC4(enc_key), its first 3072 bytes dropped
//! tag        = HMAC-SHA256(mac_key, ciphertext)
//! payload    = base64(ciphertext) || "." || base64(tag)
//! ```
//!
//! Names are the ones the server gave: our own from its `Hello <name>!`, the partner's from
//! `You are now connected to <name>`. The signer's fields come first (its role: the signer), so
//! a signature cannot be sent back as the partner's, and a relay that renamed anyone breaks it.
//! Both identity keys are covered: the signer's as bytes, the partner's through the partner's
//! commitment, which binds it (a side sends its proof as soon as the key is agreed, before the
//! partner's proof has told it the partner's key; waiting for it would cost a round trip).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use thiserror::Error;

use super::key::{Identity, PublicKey};
use crate::commitment::Commitment;
use crate::dh::{Group, PublicValue, SharedSecret};
use crate::rc4::Rc4;
use crate::secure::RC4_DROP;

/// The label the signed transcript starts with.
pub const TRANSCRIPT_LABEL: &[u8] = b"labchat v3 identity proof|";
/// The label of the HKDF info for the keys that seal a proof.
pub const PROOF_KEYS_LABEL: &[u8] = b"labchat v3 proof keys|";

/// One side of a chat, as the transcript names it.
#[derive(Debug, Clone, Copy)]
pub struct Party<'a> {
    /// Its name, as the server gave it.
    pub name: &'a str,
    /// Its commitment (which binds its identity key).
    pub commitment: &'a Commitment,
    /// Its Diffie-Hellman public value.
    pub value: &'a PublicValue,
}

/// The bytes `signer`, whose identity key is `signer_key`, signs in the chat numbered `chat`
/// of `group` with `partner`.
pub fn transcript(
    group: Group,
    chat: u64,
    signer: &Party<'_>,
    signer_key: &PublicKey,
    partner: &Party<'_>,
) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(256 + 2 * group.byte_len());
    bytes.extend_from_slice(TRANSCRIPT_LABEL);
    bytes.extend_from_slice(group.name().as_bytes());
    bytes.push(b'|');
    bytes.extend_from_slice(chat.to_string().as_bytes());
    bytes.extend_from_slice(b"|signer|");
    bytes.extend_from_slice(signer.name.as_bytes());
    bytes.extend_from_slice(b"|partner|");
    bytes.extend_from_slice(partner.name.as_bytes());
    bytes.push(b'|');
    bytes.extend_from_slice(signer.commitment.as_bytes());
    bytes.extend_from_slice(partner.commitment.as_bytes());
    bytes.extend_from_slice(&signer.value.to_be_bytes());
    bytes.extend_from_slice(&partner.value.to_be_bytes());
    bytes.extend_from_slice(&signer_key.0);
    bytes
}

/// The keys that seal a proof from the side with public value `sender` to `receiver`.
#[derive(Clone)]
pub struct ProofKeys {
    enc: [u8; 32],
    mac: [u8; 32],
}

impl std::fmt::Debug for ProofKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProofKeys(..)")
    }
}

impl ProofKeys {
    /// Derives them from the chat's shared secret (see the module documentation).
    pub fn derive(
        group: Group,
        secret: &SharedSecret,
        sender: &PublicValue,
        receiver: &PublicValue,
    ) -> ProofKeys {
        let (enc, mac) =
            crate::secure::directional_keys(PROOF_KEYS_LABEL, group, secret, sender, receiver);
        ProofKeys { enc, mac }
    }

    /// The 32-byte RC4 key (for the worked example).
    pub fn enc_key(&self) -> &[u8; 32] {
        &self.enc
    }

    /// The 32-byte HMAC key (for the worked example).
    pub fn mac_key(&self) -> &[u8; 32] {
        &self.mac
    }

    fn keystream(&self, data: &mut [u8]) {
        let mut rc4 = Rc4::new(&self.enc).expect("a 32-byte key is a valid RC4 key");
        rc4.skip(RC4_DROP);
        rc4.apply_keystream(data);
    }

    fn tag(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as Mac>::new_from_slice(&self.mac).expect("HMAC takes any key length")
    }

    /// Seals `identity`'s key and its signature over `transcript`: the `key_proof` payload.
    pub fn seal(&self, identity: &Identity, transcript: &[u8]) -> String {
        let mut plain = Vec::with_capacity(96);
        plain.extend_from_slice(&identity.public().0);
        plain.extend_from_slice(&identity.sign(transcript));
        self.keystream(&mut plain);
        let mut mac = self.tag();
        mac.update(&plain);
        let tag = mac.finalize().into_bytes();
        format!("{}.{}", STANDARD.encode(&plain), STANDARD.encode(tag))
    }

    /// Opens a `key_proof` payload: the sender's identity key and signature, not yet checked
    /// against any transcript (the key is needed to build it).
    ///
    /// # Errors
    /// [`ProofError::Unreadable`] when it is not sealed with these keys (a relay in the
    /// middle holds other keys) or is not an identity key and a signature.
    pub fn open(&self, payload: &str) -> Result<(PublicKey, [u8; 64]), ProofError> {
        let (ciphertext, tag) = payload.split_once('.').ok_or(ProofError::Unreadable)?;
        let canonical = |text: &str| {
            STANDARD
                .decode(text)
                .ok()
                .filter(|bytes| STANDARD.encode(bytes) == text)
        };
        let mut plain = canonical(ciphertext).ok_or(ProofError::Unreadable)?;
        let tag = canonical(tag).ok_or(ProofError::Unreadable)?;
        let mut mac = self.tag();
        mac.update(&plain);
        mac.verify_slice(&tag).map_err(|_| ProofError::Unreadable)?;
        if plain.len() != 96 {
            return Err(ProofError::Unreadable);
        }
        self.keystream(&mut plain);
        let mut key = [0; 32];
        key.copy_from_slice(&plain[..32]);
        let mut signature = [0; 64];
        signature.copy_from_slice(&plain[32..]);
        Ok((PublicKey(key), signature))
    }
}

/// Why a partner's proof of identity was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ProofError {
    /// The payload does not open with this chat's keys.
    #[error(
        "the partner's proof of identity cannot be read with this chat's key: someone between \
         you holds a different key with each of you"
    )]
    Unreadable,
    /// The signature does not verify over this chat's transcript.
    #[error(
        "the partner's proof of identity does not verify for this chat (names, keys or \
         commitments differ between what each of you saw)"
    )]
    BadSignature,
}

/// Checks the partner's signature over the transcript it signed (its fields first).
///
/// # Errors
/// [`ProofError::BadSignature`] when it does not verify.
pub fn check_signature(
    group: Group,
    chat: u64,
    (signer, signer_key): (&Party<'_>, &PublicKey),
    partner: &Party<'_>,
    signature: &[u8; 64],
) -> Result<(), ProofError> {
    let bytes = transcript(group, chat, signer, signer_key, partner);
    if signer_key.verifies(&bytes, signature) {
        Ok(())
    } else {
        Err(ProofError::BadSignature)
    }
}

/// Whether `payload` has the shape of a `key_proof` payload: two canonical-alphabet base64
/// strings joined by one `.` (what the server checks before forwarding it).
pub fn is_proof_payload(payload: &str) -> bool {
    let Some((ciphertext, tag)) = payload.split_once('.') else {
        return false;
    };
    let base64 = |text: &str| {
        !text.is_empty()
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
    };
    base64(ciphertext) && base64(tag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dh::KeyPair;

    /// A proof sealed by one side opens with the other side's receiving keys and verifies over
    /// the same transcript; with any other keys, or a changed transcript, it is refused.
    #[test]
    fn a_proof_opens_and_verifies_only_where_it_should() {
        let group = Group::Ffdhe2048;
        let (a, b) = (KeyPair::generate(group), KeyPair::generate(group));
        let (ia, ib) = (Identity::from_seed([1; 32]), Identity::from_seed([2; 32]));
        let (ka, kb) = (ia.public(), ib.public());
        let ca = Commitment::with_identity(group, 3, a.public(), &ka);
        let cb = Commitment::with_identity(group, 3, b.public(), &kb);
        let alice = Party {
            name: "alice",
            commitment: &ca,
            value: a.public(),
        };
        let bob = Party {
            name: "bob",
            commitment: &cb,
            value: b.public(),
        };
        let secret = a.agree(b.public());
        let sealed = ProofKeys::derive(group, &secret, a.public(), b.public())
            .seal(&ia, &transcript(group, 3, &alice, &ka, &bob));
        assert!(is_proof_payload(&sealed), "{sealed}");
        let (key, signature) =
            ProofKeys::derive(group, &b.agree(a.public()), a.public(), b.public())
                .open(&sealed)
                .expect("bob opens alice's proof");
        assert_eq!(key, ka);
        assert_eq!(
            check_signature(group, 3, (&alice, &ka), &bob, &signature),
            Ok(())
        );
        // Reflected (bob's fields first), another chat, another name, another key: refused.
        assert!(check_signature(group, 3, (&bob, &ka), &alice, &signature).is_err());
        assert!(check_signature(group, 4, (&alice, &ka), &bob, &signature).is_err());
        let renamed = Party { name: "b0b", ..bob };
        assert!(check_signature(group, 3, (&alice, &ka), &renamed, &signature).is_err());
        assert!(check_signature(group, 3, (&alice, &kb), &bob, &signature).is_err());
        // The wrong direction's keys, or a relay's keys: unreadable.
        let backwards = ProofKeys::derive(group, &secret, b.public(), a.public());
        assert_eq!(backwards.open(&sealed), Err(ProofError::Unreadable));
        let relay = KeyPair::generate(group);
        let theirs = ProofKeys::derive(group, &relay.agree(a.public()), a.public(), relay.public());
        assert_eq!(theirs.open(&sealed), Err(ProofError::Unreadable));
        // A relay in the middle that shares its own key with alice can open her proof, and
        // seal her key and signature again for bob: bob sees the relay's value and commitment
        // in alice's place, which her signature does not cover.
        let relayed_key =
            ProofKeys::derive(group, &relay.agree(a.public()), a.public(), relay.public());
        let stolen =
            relayed_key.open(&relayed_key.seal(&ia, &transcript(group, 3, &alice, &ka, &bob)));
        let (stolen_key, stolen_signature) = stolen.expect("the relay opens what it can read");
        let c_relay = Commitment::with_identity(group, 3, relay.public(), &stolen_key);
        let as_bob_sees_it = Party {
            name: "alice",
            commitment: &c_relay,
            value: relay.public(),
        };
        assert!(
            check_signature(group, 3, (&as_bob_sees_it, &ka), &bob, &stolen_signature).is_err()
        );
        assert!(!is_proof_payload("abc"));
        assert!(!is_proof_payload("a.b c"));
    }
}
