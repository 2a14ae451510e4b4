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

use crate::limits::MAX_NAME_LEN;
use std::fmt;
use thiserror::Error;

mod command;
mod key_line;
mod notice;
mod server_line;

pub use command::{Command, CommandError};
pub use key_line::{KeyLine, KeyOffer};
pub use notice::{Notice, Presence, StatusEntry};
pub use server_line::{ServerLine, UnknownServerLine};

/// A registered user's name: 1 to [`MAX_NAME_LEN`] letters, digits, `_`, `-` or `.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(String);

/// Why a proposed user name was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NameError {
    /// The name was empty.
    #[error("a name needs at least one character")]
    Empty,
    /// The name was longer than [`MAX_NAME_LEN`] characters.
    #[error("a name has at most {MAX_NAME_LEN} characters")]
    TooLong,
    /// The name held a character other than a letter, digit, `_`, `-` or `.`.
    #[error("a name may hold only letters, digits, '_', '-' and '.', not {0:?}")]
    BadChar(char),
    /// The name is kept for the protocol itself.
    #[error("'{0}' is reserved")]
    Reserved(String),
}

/// Names that would read like the server or like a control word on the wire.
const RESERVED_NAMES: [&str; 4] = ["server", "gen_keys", "key_commit", "key_param"];

impl Name {
    /// Checks a proposed name.
    ///
    /// # Errors
    /// A [`NameError`] saying which rule the name breaks.
    pub fn parse(text: &str) -> Result<Name, NameError> {
        if text.is_empty() {
            return Err(NameError::Empty);
        }
        if let Some(bad) = text
            .chars()
            .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.')))
        {
            return Err(NameError::BadChar(bad));
        }
        if text.chars().count() > MAX_NAME_LEN {
            return Err(NameError::TooLong);
        }
        if RESERVED_NAMES.iter().any(|r| r.eq_ignore_ascii_case(text)) {
            return Err(NameError::Reserved(text.to_string()));
        }
        Ok(Name(text.to_string()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Splits `text` at the first space: the word and the rest (without the space).
fn split_word(text: &str) -> (&str, Option<&str>) {
    match text.split_once(' ') {
        Some((word, rest)) => (word, Some(rest)),
        None => (text, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_rules() {
        let ok = [
            "alice",
            "Bob_2",
            "x",
            "a.b-c",
            "ünï",
            &"n".repeat(MAX_NAME_LEN),
        ];
        for name in ok {
            assert_eq!(
                Name::parse(name).map(|n| n.to_string()),
                Ok(name.to_string())
            );
        }
        let bad = [
            ("", NameError::Empty),
            ("two words", NameError::BadChar(' ')),
            ("(server)", NameError::BadChar('(')),
            ("col:on", NameError::BadChar(':')),
            ("esc\x1b", NameError::BadChar('\x1b')),
            ("SERVER", NameError::Reserved("SERVER".into())),
            ("GEN_KEYS", NameError::Reserved("GEN_KEYS".into())),
            ("key_param", NameError::Reserved("key_param".into())),
            ("Key_Commit", NameError::Reserved("Key_Commit".into())),
        ];
        for (name, err) in bad {
            assert_eq!(Name::parse(name), Err(err), "name {name:?}");
        }
        let long = "n".repeat(MAX_NAME_LEN + 1);
        assert_eq!(Name::parse(&long), Err(NameError::TooLong));
    }
}
