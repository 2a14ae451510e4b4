//! Long-term identities: a key that outlives one chat, for a person and for a server.
//!
//! A chat's safety code proves that nobody sat in the middle of *that* chat, but a new code every
//! chat is a chore, and people stop comparing. So each person (and each server) has one Ed25519
//! key kept in `$XDG_CONFIG_HOME/labchat/` (default `~/.config/labchat/`), created on first use,
//! and each side remembers the keys it has checked, under the name they go by (a pin, like ssh's
//! `known_hosts`).
//!
//! Layout:
//! - [`store`]: where the files live, and the ssh-style rule that they are private to their owner.
//! - [`key`]: one identity key: created, saved, loaded, its fingerprint, signing and checking.
//! - [`pins`]: the keys checked earlier, one per name, kept in a small text file.
//! - [`date`]: today's date for a pin, without a calendar crate.
//! - [`proof`]: a partner proves its identity inside a chat (a signed transcript, sealed).
//! - [`server_proof`]: the server proves its key by signing a nonce the client chose.

pub mod date;
pub mod key;
pub mod pins;
pub mod proof;
pub mod server_proof;
pub mod store;

pub use key::{Fingerprint, Identity, IdentityError, PublicKey};
pub use pins::{Pin, Pins, PinsError};
pub use server_proof::{Nonce, Signature};
pub use store::StoreError;
