//! The server's proof of its identity key, asked for with a nonce the client chose.
//!
//! A client that speaks identity opens with `hello <nonce>`; the server answers
//! `(server): proof <key> <signature>`, an Ed25519 signature over
//!
//! ```text
//! "labchat v1 server proof|" || nonce (32 bytes) || server key (32 bytes)
//! ```
//!
//! A fresh nonce means an old proof cannot be replayed: whoever answers holds the key now. What
//! a client then does with the key (pin it, compare it with `--server-key`) is its business;
//! this module only makes and checks the proof.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::key::{Identity, PublicKey};

/// The domain label that starts the signed message.
pub const SERVER_PROOF_LABEL: &[u8] = b"labchat v1 server proof|";

/// 32 random bytes a client sends in `hello`, so that the proof is made now, for it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Nonce(pub [u8; 32]);

impl std::fmt::Debug for Nonce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Nonce({})", self.to_base64())
    }
}

impl Nonce {
    /// A fresh nonce from the OS random source.
    pub fn generate() -> Nonce {
        use rand::RngCore;
        let mut bytes = [0; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Nonce(bytes)
    }

    /// Standard base64 with padding: 44 characters.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Reads the canonical spelling written by [`Nonce::to_base64`]; `None` for anything else.
    pub fn from_base64(text: &str) -> Option<Nonce> {
        let bytes: [u8; 32] = STANDARD.decode(text).ok()?.try_into().ok()?;
        let nonce = Nonce(bytes);
        (nonce.to_base64() == text).then_some(nonce)
    }
}

/// An Ed25519 signature, 64 bytes, written in standard base64 (88 characters).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature(pub [u8; 64]);

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signature({})", self.to_base64())
    }
}

impl Signature {
    /// Standard base64 with padding: 88 characters.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Reads the canonical spelling written by [`Signature::to_base64`]; `None` for anything
    /// else.
    pub fn from_base64(text: &str) -> Option<Signature> {
        let bytes: [u8; 64] = STANDARD.decode(text).ok()?.try_into().ok()?;
        let signature = Signature(bytes);
        (signature.to_base64() == text).then_some(signature)
    }
}

/// What the server signs for `nonce`: the label, the nonce, then its own key.
pub fn server_proof_message(nonce: &Nonce, key: &PublicKey) -> Vec<u8> {
    let mut message = Vec::with_capacity(SERVER_PROOF_LABEL.len() + 64);
    message.extend_from_slice(SERVER_PROOF_LABEL);
    message.extend_from_slice(&nonce.0);
    message.extend_from_slice(&key.0);
    message
}

/// The server's signature for `nonce`.
pub fn prove_server(identity: &Identity, nonce: &Nonce) -> Signature {
    Signature(identity.sign(&server_proof_message(nonce, &identity.public())))
}

/// Whether `signature` proves that whoever answered `nonce` holds `key`.
pub fn check_server_proof(nonce: &Nonce, key: &PublicKey, signature: &Signature) -> bool {
    key.verifies(&server_proof_message(nonce, key), &signature.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A proof verifies for its own nonce and key only.
    #[test]
    fn a_proof_holds_for_its_nonce_and_key_only() {
        let server = Identity::from_seed([7; 32]);
        let other = Identity::from_seed([8; 32]);
        let nonce = Nonce([1; 32]);
        let signature = prove_server(&server, &nonce);
        assert!(check_server_proof(&nonce, &server.public(), &signature));
        assert!(!check_server_proof(
            &Nonce([2; 32]),
            &server.public(),
            &signature
        ));
        assert!(!check_server_proof(&nonce, &other.public(), &signature));
        let mut bent = signature;
        bent.0[0] ^= 1;
        assert!(!check_server_proof(&nonce, &server.public(), &bent));
    }

    /// One spelling per nonce and signature.
    #[test]
    fn base64_spellings_are_canonical() {
        let nonce = Nonce::generate();
        assert_eq!(Nonce::from_base64(&nonce.to_base64()), Some(nonce));
        assert_eq!(nonce.to_base64().len(), 44);
        // Non-zero padding bits: the same bytes, another spelling.
        let mut odd = Nonce([0; 32]).to_base64();
        odd.replace_range(42..43, "B");
        assert_eq!(Nonce::from_base64(&odd), None);
        assert_eq!(Nonce::from_base64("AAAA"), None);
        let signature = Signature([9; 64]);
        assert_eq!(signature.to_base64().len(), 88);
        assert_eq!(
            Signature::from_base64(&signature.to_base64()),
            Some(signature)
        );
        assert_eq!(Signature::from_base64(&nonce.to_base64()), None);
    }
}
