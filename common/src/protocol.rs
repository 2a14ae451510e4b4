//! Every line that crosses the wire, as a typed value: [`Command`] (client to server) and
//! [`ServerLine`] (server to client), each with `parse` and `Display`.
//!
//! The wire is plain text so that a person with only `nc HOST PORT` can chat by typing the same
//! words as in the client. The grammar keeps three kinds of server line apart so that nothing a
//! user types can pass for anything else:
//!
//! ```text
//! (server): <notice>             only the server writes "(server):"; names cannot hold "()"
//! <name>: <text>                 chat, always prefixed with the sender's registered name
//! <name> (secure): <payload>     sealed chat
//! GEN_KEYS <group> <chat>        start a key agreement (no colon after the first word)
//! key_commit <commitment>        the partner's commitment to its public value
//! key_param <number>             the partner's public Diffie-Hellman value
//! ```
//!
//! Names are letters, digits, `_`, `-` and `.`, so a chat line always has `:` or ` (secure):`
//! right after its first word, which no control line has. See PROTOCOL.md for the full list.

mod command;
mod hello;
mod key_line;
pub(crate) mod name;
mod notice;
mod server_line;

pub use command::{Command, CommandError};
pub use hello::{Hello, HELLO_WORD};
pub use key_line::{KeyLine, KeyOffer};
pub use name::{Name, NameError};
pub use notice::{with_commas, Notice, Presence, StatusEntry};
pub use server_line::{Senders, ServerLine, UnknownServerLine};

/// Splits `text` at the first space: the word and the rest (without the space).
fn split_word(text: &str) -> (&str, Option<&str>) {
    match text.split_once(' ') {
        Some((word, rest)) => (word, Some(rest)),
        None => (text, None),
    }
}
