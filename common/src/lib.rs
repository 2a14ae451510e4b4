//! labchat's shared, pure code: everything that can be decided without a socket.
//!
//! Layout:
//! - [`protocol`]: every line that crosses the wire, as a typed value with `parse` and `Display`.
//! - [`framing`]: splits a byte stream into lines, bounded in memory.
//! - [`line_reader`]: the read loop over it: lines, and a clean close told from a broken one.
//! - [`input`]: what a person typed into the client, as a typed value.
//! - [`limits`]: the numbers both sides agree on (line length, name length).
//! - [`backpressure`]: how a relay bounds what waits for a slow reader (server and eve).
//! - [`escape`]: makes peer-supplied text safe to print on a terminal.
//! - [`fold`]: how typed text looks: the one folding rule names and command words share.
//! - [`rc4`]: the RC4 stream cipher, checked against RFC 6229.
//! - [`dh`]: Diffie-Hellman over named groups (the original's toy group and RFC 7919 groups).
//! - [`commitment`]: hash commitments to a public value, sent before the value itself.
//! - [`exchange`]: one chat's key agreement as a state machine (commit, reveal, agree).
//! - [`secure`]: per-chat keys, sealed secure messages and the safety code.
//! - [`identity`]: long-term identity keys (Ed25519), their private files, and pinned keys.
//! - [`discovery`]: what a server advertises on the LAN (mDNS/DNS-SD) and how a client chooses.
//! - [`usage`]: command-line errors in one line.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod backpressure;
pub mod commitment;
pub mod dh;
pub mod discovery;
pub mod escape;
pub mod exchange;
pub mod fold;
pub mod framing;
pub mod identity;
pub mod input;
pub mod limits;
pub mod line_reader;
pub mod protocol;
pub mod rc4;
pub mod secure;
pub mod usage;
