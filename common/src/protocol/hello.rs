//! `hello <nonce>`: the first line of a client that speaks identity, sent before its name.
//!
//! The server answers with [`Notice::ServerProof`](super::Notice::ServerProof), its key and a
//! signature over the nonce (see [`crate::identity::server_proof`]), and from then on knows that
//! this client speaks identity. A server that does not know `hello` takes the line for a name
//! and refuses it (a name holds no space): the client then goes on without a proof.

use crate::identity::Nonce;
use std::fmt;

/// The line's first word.
pub const HELLO_WORD: &str = "hello";

/// A client's `hello <nonce>` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hello(pub Nonce);

impl Hello {
    /// Reads a `hello <nonce>` line (the nonce in canonical base64, 44 characters), or `None`
    /// when the line is anything else (the server then reads it as a proposed name).
    pub fn parse(line: &str) -> Option<Hello> {
        let nonce = line.strip_prefix(HELLO_WORD)?.strip_prefix(' ')?;
        Nonce::from_base64(nonce).map(Hello)
    }
}

impl fmt::Display for Hello {
    /// `hello <nonce>`, without `\n`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{HELLO_WORD} {}", self.0.to_base64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line round-trips; anything else is not a hello.
    #[test]
    fn hello_round_trips_and_nothing_else_is_one() {
        let hello = Hello(Nonce([3; 32]));
        let line = hello.to_string();
        assert_eq!(line, format!("hello {}", "AwMD".repeat(10) + "AwM="));
        assert_eq!(Hello::parse(&line), Some(hello));
        for other in [
            "hello",
            "hello ",
            "Hello AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=",
            "hello  AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=",
            "hello AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM= ",
            "hello AwMD",
            "alice",
        ] {
            assert_eq!(Hello::parse(other), None, "{other:?}");
        }
    }
}
