//! What the server proved about itself on this connection: the one place the rest of the
//! client learns the server's identity key.
//!
//! On every connection the client's first line is `hello <nonce>`. A server with an identity
//! answers `(server): proof <key> <signature>`; the reader checks the signature against our
//! nonce and records [`ServerProof::Proven`]. An older server takes `hello ...` for a name and
//! refuses it: that refusal is the answer, recorded as [`ServerProof::NotOffered`] and not
//! shown. A proof whose signature does not verify ends the connection, loudly: whoever
//! answered claims a key it does not hold.
//!
//! This module only checks the proof. What to do with a proven key (compare it with a pin or
//! with `--server-key`) is decided by whoever reads [`State::server_proof`](crate::chat::state::State::server_proof).

use common::identity::server_proof::check_server_proof;
use common::identity::{Nonce, PublicKey, Signature};
use common::protocol::Hello;
use std::time::Duration;

/// How long the keyboard waits for the answer to `hello` before it sends the name anyway (a
/// server that says nothing is told about by the reader's silence note).
pub const HELLO_PATIENCE: Duration = Duration::from_secs(5);

/// The server's identity on this connection, as far as it is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerProof {
    /// `hello` was sent with this nonce; no answer yet.
    Awaiting(Nonce),
    /// The server proved that it holds this key (its signature over our nonce verified).
    Proven(PublicKey),
    /// The server did not prove any key: an older server, which took `hello` for a name.
    NotOffered,
}

impl ServerProof {
    /// Whether the answer to `hello` is still to come.
    pub fn is_awaiting(&self) -> bool {
        matches!(self, ServerProof::Awaiting(_))
    }

    /// The key the server proved, if it proved one.
    pub fn key(&self) -> Option<PublicKey> {
        match self {
            ServerProof::Proven(key) => Some(*key),
            _ => None,
        }
    }
}

/// A proof that does not verify: the connection is ended with this reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "WARNING: the server's proof of its identity does not verify (key {0}); whoever answered \
     does not hold the key it claims, so the client disconnected; check the address, and tell \
     whoever runs the server"
)]
pub struct InvalidServerProof(pub common::identity::Fingerprint);

/// What to say first on a new connection, and what we then wait for: `hello <nonce>` with a
/// fresh nonce, and [`ServerProof::Awaiting`] that nonce. The caller records the state before
/// it sends the line, so that no answer can come first.
pub fn ask() -> (ServerProof, String) {
    let nonce = Nonce::generate();
    (ServerProof::Awaiting(nonce), Hello(nonce).to_string())
}

/// Checks the server's `proof <key> <signature>` against the nonce we sent: the new
/// [`ServerProof`], or why the proof is refused. A proof that nobody asked for (no `hello`
/// waiting) changes nothing.
///
/// # Errors
/// [`InvalidServerProof`] when the signature does not verify.
pub fn check(
    current: ServerProof,
    key: PublicKey,
    signature: &Signature,
) -> Result<ServerProof, InvalidServerProof> {
    match current {
        ServerProof::Awaiting(nonce) if check_server_proof(&nonce, &key, signature) => {
            Ok(ServerProof::Proven(key))
        }
        ServerProof::Awaiting(_) => Err(InvalidServerProof(key.fingerprint())),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::identity::server_proof::prove_server;
    use common::identity::Identity;

    /// A proof for our nonce is taken; one for another nonce, or by another key, is refused.
    #[test]
    fn only_a_proof_of_our_nonce_is_taken() {
        let server = Identity::from_seed([4; 32]);
        let nonce = Nonce([9; 32]);
        let asked = ServerProof::Awaiting(nonce);
        let good = prove_server(&server, &nonce);
        assert_eq!(
            check(asked, server.public(), &good),
            Ok(ServerProof::Proven(server.public()))
        );
        let stale = prove_server(&server, &Nonce([8; 32]));
        assert!(check(asked, server.public(), &stale).is_err());
        let other = Identity::from_seed([5; 32]);
        assert!(check(asked, other.public(), &good).is_err());
        // Unasked: nothing changes.
        assert_eq!(
            check(ServerProof::NotOffered, server.public(), &good),
            Ok(ServerProof::NotOffered)
        );
    }
}
