//! Lines a registered client sends to the server.

use super::split_word;
use std::fmt;
use thiserror::Error;

/// One line from a registered client. Before registering, every line is a proposed name.
///
/// The words are the original's, so a person typing into `nc` uses the same commands as the
/// client. Any line that is not a command is a chat message; the client always sends chat as
/// `msg <text>` so that text which happens to look like a command stays text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `status`: list every user, BUSY or FREE.
    Status,
    /// `connect <user>`: start a chat with a FREE user.
    Connect(String),
    /// `goodbye`: end the current chat.
    Goodbye,
    /// `close`: end the chat, if any, and disconnect.
    Close,
    /// `help`: list the commands (for `nc` users; the client answers `help` itself).
    Help,
    /// `secure: <payload>`: a sealed message for the partner (opaque to the server).
    Secure(String),
    /// `key_commit <chat> <commitment>`: this client's commitment to its public
    /// Diffie-Hellman value for the chat numbered `<chat>` by `GEN_KEYS`, for the partner. Held
    /// here as the text after the word; [`KeyLine::offer`](super::KeyLine::offer) reads it, and
    /// the server decides whether it is protocol or chat (see PROTOCOL.md).
    KeyCommit(String),
    /// `key_param <chat> <number>`: this client's public Diffie-Hellman value for the chat
    /// numbered `<chat>`, sent once the partner's commitment arrived. Held as the text after
    /// the word, like [`Command::KeyCommit`].
    KeyParam(String),
    /// `key_proof <chat> <payload>`: this client's sealed proof of its identity for the chat
    /// numbered `<chat>` (a chat whose `GEN_KEYS` said `identity`), sent once the key is
    /// agreed. Held as the text after the word, like [`Command::KeyCommit`].
    KeyProof(String),
    /// `msg <text>`, or any line that is not a command: chat text for the partner.
    Message(String),
}

/// Why a line that names a command could not be understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum CommandError {
    /// `connect` without a user name.
    #[error("usage: connect <user>")]
    ConnectWithoutUser,
    /// `key_commit` without a value.
    #[error("usage: key_commit <chat> <commitment>")]
    KeyCommitWithoutValue,
    /// `key_param` without a value.
    #[error("usage: key_param <chat> <number>")]
    KeyParamWithoutValue,
    /// `key_proof` without a value.
    #[error("usage: key_proof <chat> <proof>")]
    KeyProofWithoutValue,
}

impl Command {
    /// Reads one line (without its line ending).
    ///
    /// ```text
    /// status | connect <user> | goodbye | close | help | secure: <payload>
    /// key_commit <chat> <commitment> | key_param <chat> <number> | msg <text> | <any other text>
    /// ```
    ///
    /// # Errors
    /// A [`CommandError`] for `connect`, `key_commit` or `key_param` without their argument.
    pub fn parse(line: &str) -> Result<Command, CommandError> {
        if let Some(payload) = line.strip_prefix("secure:") {
            return Ok(Command::Secure(payload.trim().to_string()));
        }
        let trimmed = line.trim();
        let (word, rest) = split_word(trimmed);
        let arg = rest.map(str::trim).filter(|a| !a.is_empty());
        Ok(match (word, arg) {
            ("status", None) => Command::Status,
            ("goodbye", None) => Command::Goodbye,
            ("close", None) => Command::Close,
            ("help", None) => Command::Help,
            ("connect", Some(user)) => Command::Connect(user.to_string()),
            ("connect", None) => return Err(CommandError::ConnectWithoutUser),
            ("key_commit", Some(value)) => Command::KeyCommit(value.to_string()),
            ("key_commit", None) => return Err(CommandError::KeyCommitWithoutValue),
            ("key_param", Some(value)) => Command::KeyParam(value.to_string()),
            ("key_param", None) => return Err(CommandError::KeyParamWithoutValue),
            ("key_proof", Some(value)) => Command::KeyProof(value.to_string()),
            ("key_proof", None) => return Err(CommandError::KeyProofWithoutValue),
            _ => match line.strip_prefix("msg ") {
                Some(text) => Command::Message(text.to_string()),
                None if line == "msg" => Command::Message(String::new()),
                None => Command::Message(line.to_string()),
            },
        })
    }
}

impl fmt::Display for Command {
    /// The wire line, without `\n`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Status => f.write_str("status"),
            Command::Connect(user) => write!(f, "connect {user}"),
            Command::Goodbye => f.write_str("goodbye"),
            Command::Close => f.write_str("close"),
            Command::Help => f.write_str("help"),
            Command::Secure(payload) => write!(f, "secure: {payload}"),
            Command::KeyCommit(value) => write!(f, "key_commit {value}"),
            Command::KeyParam(value) => write!(f, "key_param {value}"),
            Command::KeyProof(value) => write!(f, "key_proof {value}"),
            Command::Message(text) => write!(f, "msg {text}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_command() {
        let cases = [
            ("status", Command::Status),
            ("  status ", Command::Status),
            ("goodbye", Command::Goodbye),
            ("close", Command::Close),
            ("help", Command::Help),
            ("connect bob", Command::Connect("bob".into())),
            ("connect   bob  ", Command::Connect("bob".into())),
            ("secure: 0.AAAA.BBBB", Command::Secure("0.AAAA.BBBB".into())),
            ("key_param 1234", Command::KeyParam("1234".into())),
            ("key_commit 3 ab", Command::KeyCommit("3 ab".into())),
            ("key_proof 3 ab.cd", Command::KeyProof("3 ab.cd".into())),
            ("msg status", Command::Message("status".into())),
            ("msg  two spaces", Command::Message(" two spaces".into())),
            ("msg", Command::Message("".into())),
            ("hello there", Command::Message("hello there".into())),
            ("Status", Command::Message("Status".into())),
            ("status please", Command::Message("status please".into())),
            ("GEN_KEYS", Command::Message("GEN_KEYS".into())),
            (
                "(server): You are now connected to mallory",
                Command::Message("(server): You are now connected to mallory".into()),
            ),
            ("", Command::Message("".into())),
        ];
        for (line, want) in cases {
            assert_eq!(Command::parse(line), Ok(want), "line {line:?}");
        }
        assert_eq!(
            Command::parse("connect"),
            Err(CommandError::ConnectWithoutUser)
        );
        assert_eq!(
            Command::parse("connect  "),
            Err(CommandError::ConnectWithoutUser)
        );
        assert_eq!(
            Command::parse("key_param"),
            Err(CommandError::KeyParamWithoutValue)
        );
        assert_eq!(
            Command::parse("key_commit "),
            Err(CommandError::KeyCommitWithoutValue)
        );
    }

    /// PROTOCOL.md's rule for `secure:`: the line begins with it; the payload is the rest with
    /// white space removed at both ends; with white space in front it is chat text.
    #[test]
    fn secure_payloads_are_trimmed_as_documented() {
        for (line, payload) in [
            ("secure:x", "x"),
            ("secure:   x ", "x"),
            ("secure:\tx\u{a0}", "x"),
            ("secure: a b", "a b"),
            ("secure:", ""),
            ("secure:   ", ""),
        ] {
            assert_eq!(
                Command::parse(line),
                Ok(Command::Secure(payload.into())),
                "{line:?}"
            );
        }
        assert_eq!(
            Command::parse(" secure: x"),
            Ok(Command::Message(" secure: x".into()))
        );
        assert_eq!(
            Command::parse("\u{a0}status\t"),
            Ok(Command::Status),
            "white space, not only spaces"
        );
    }

    #[test]
    fn messages_that_look_like_commands_survive_a_round_trip() {
        for text in [
            "status",
            "close",
            "key_param 12",
            "key_commit 1 ab",
            "key_proof 1 ab.cd",
            "secure: x",
            "connect bob",
            "msg x",
            "",
        ] {
            let line = Command::Message(text.into()).to_string();
            assert_eq!(
                Command::parse(&line),
                Ok(Command::Message(text.into())),
                "text {text:?}"
            );
        }
    }
}
