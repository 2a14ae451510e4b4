//! What the server says in its own voice: every `(server): ...` line.
//!
//! Each notice is a typed value so the client can follow the conversation (registered, in a chat
//! with whom, chat over) without guessing from free text, while the text itself stays the
//! original's plain English for people on `nc`.

use super::{CommandError, Name};
use crate::framing::LineError;
use crate::identity::{PublicKey, Signature};
use crate::limits::MAX_NAME_LEN;
use std::fmt;

/// Whether a user can be asked for a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Not in a chat: `connect` to them works.
    Free,
    /// In a chat.
    Busy,
}

impl fmt::Display for Presence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Presence::Free => "FREE",
            Presence::Busy => "BUSY",
        })
    }
}

/// One row of a `status` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEntry {
    /// The user.
    pub name: Name,
    /// Whom they are chatting with; `None` means FREE.
    pub partner: Option<Name>,
    /// True on the row of the user who asked.
    pub is_you: bool,
}

impl StatusEntry {
    /// BUSY when the user has a partner, else FREE.
    pub fn presence(&self) -> Presence {
        if self.partner.is_some() {
            Presence::Busy
        } else {
            Presence::Free
        }
    }
}

/// A `(server): <text>` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// `Welcome to labchat! Please enter your user name:`
    AskName,
    /// `You have <n> seconds to send a name.` (right after [`Notice::AskName`])
    NameTimeLimit(u64),
    /// `The name '<name>' is already taken; please choose another:`
    NameTaken(Name),
    /// `That name is not valid: <reason>; please choose another:`
    NameInvalid(String),
    /// `Hello <name>! Type status to see who is here, connect <user> to chat, help for more.`
    Registered(Name),
    /// `<n> users online:` (first line of a `status` answer; `n` rows follow).
    StatusHeader(usize),
    /// `- <name>: FREE`, `- <name>: BUSY with <partner>`, with ` (you)` on the asker's row.
    Status(StatusEntry),
    /// `You are now connected to <name>`
    Connected(Name),
    /// `There is no user named '<name>'; type status to see who is online`
    NoSuchUser(String),
    /// `You cannot connect to yourself`
    ConnectToSelf,
    /// `<name> is BUSY in another chat; try again later`
    UserBusy(Name),
    /// `You are already in a chat with <name>; type goodbye to end it first`
    AlreadyInChat(Name),
    /// `You are not in a chat; type connect <user> to start one, status to see who is FREE, or help`
    NotInChat,
    /// `You are not in a chat, so there is nothing to end`
    NothingToEnd,
    /// `You ended the chat with <name>`
    YouEndedChat(Name),
    /// `<name> ended the chat`
    PeerEndedChat(Name),
    /// `<name> disconnected; the chat is over`
    PeerLeft(Name),
    /// `Goodbye!` (answer to `close`, just before the server closes the connection)
    Bye,
    /// `Server is shutting down; every chat has ended. Goodbye!`
    ShuttingDown,
    /// `Server full (<n> users); try again later`
    ServerFull(usize),
    /// `Too many connections from your address (at most <n> at once); close one of them and
    /// try again` (the connection is then closed).
    TooManyFromHost(usize),
    /// `Too many connections from your network (at most <n> at once from its addresses); try
    /// again later` (the connection is then closed): the addresses of this one's network (an
    /// IPv6 /64, or loopback) hold `server --max-per-network` connections together.
    TooManyFromNetwork(usize),
    /// `No user name received within <n> seconds; disconnecting`
    NameTimeout(u64),
    /// `Error: <the line error>`, e.g. `Error: line too long (more than 8192 bytes); it was
    /// dropped`: a line that could not be read was dropped.
    LineDropped(LineError),
    /// `Error: <the command error>`, e.g. `Error: usage: connect <user>`.
    BadCommand(CommandError),
    /// `Error: usage: secure: <message>`
    SecureWithoutText,
    /// `Error: message too long (more than <n> bytes after your name); it was not sent`
    MessageTooLong(usize),
    /// `Error: you sent over 1 MiB without a line break; disconnecting`
    NoLineBreak,
    /// `Error: status asked too often (at most <burst> in a row, then <per_second> a second);
    /// try again in a moment`
    StatusTooOften {
        /// Requests let through at once.
        burst: u32,
        /// Requests a second after the burst.
        per_second: u32,
    },
    /// `Error: too many commands (at most <burst> in a row, then <per_second> a second); this
    /// one was ignored` (one connection's budget for lines that make the server work).
    CommandsTooOften {
        /// Commands let through at once.
        burst: u32,
        /// Commands a second after the burst.
        per_second: u32,
    },
    /// `Error: too many commands from your address (at most <burst> in a row, then
    /// <per_second> a second); this one was ignored` (the budget shared by every connection
    /// from one address).
    AddressCommandsTooOften {
        /// Commands let through at once.
        burst: u32,
        /// Commands a second after the burst.
        per_second: u32,
    },
    /// `1 more line like that was ignored`, `1,234 more lines like that were ignored`: the
    /// refusals of a burst of lines, after the first, told as one count.
    Ignored(u64),
    /// `proof <server key> <signature>`: the answer to `hello <nonce>`, the server's identity
    /// key and its signature over the nonce (see [`crate::identity::server_proof`]), both in
    /// standard base64.
    ServerProof {
        /// The server's identity key.
        key: PublicKey,
        /// Its signature over the label, the nonce and the key.
        signature: Signature,
    },
    /// `Operator says: <text>`: the server's operator (`say` on the server console) to
    /// everyone.
    Announcement(String),
    /// `You were disconnected by the operator`, with `: <reason>` when one was given (`kick`
    /// on the server console; the connection is then closed).
    Kicked(Option<String>),
    /// `You are banned from this server; try again in <n> minutes` (`1 minute`): the operator
    /// banned this address (`ban` on the server console); sent to its connections as they are
    /// closed, and to each new one before it is closed. Minutes are rounded up.
    Banned(u64),
    /// `Error: <what went wrong and what to do>`
    Error(String),
    /// Any other text, e.g. the lines of the `help` answer.
    Info(String),
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::AskName => f.write_str("Welcome to labchat! Please enter your user name:"),
            Notice::NameTimeLimit(1) => f.write_str("You have 1 second to send a name."),
            Notice::NameTimeLimit(n) => write!(f, "You have {n} seconds to send a name."),
            Notice::NameTaken(name) => {
                write!(f, "The name '{name}' is already taken; please choose another:")
            }
            Notice::NameInvalid(reason) => {
                write!(f, "That name is not valid: {reason}; please choose another:")
            }
            Notice::Registered(name) => write!(
                f,
                "Hello {name}! Type status to see who is here, connect <user> to chat, help for more."
            ),
            Notice::StatusHeader(1) => f.write_str("1 user online:"),
            Notice::StatusHeader(n) => write!(f, "{n} users online:"),
            Notice::Status(entry) => {
                write!(f, "- {}: {}", entry.name, entry.presence())?;
                if let Some(partner) = &entry.partner {
                    write!(f, " with {partner}")?;
                }
                if entry.is_you {
                    f.write_str(" (you)")?;
                }
                Ok(())
            }
            Notice::Connected(name) => write!(f, "You are now connected to {name}"),
            Notice::NoSuchUser(name) => {
                write!(f, "There is no user named '{name}'; type status to see who is online")
            }
            Notice::ConnectToSelf => f.write_str("You cannot connect to yourself"),
            Notice::UserBusy(name) => write!(f, "{name} is BUSY in another chat; try again later"),
            Notice::AlreadyInChat(name) => write!(
                f,
                "You are already in a chat with {name}; type goodbye to end it first"
            ),
            Notice::NotInChat => f.write_str(
                "You are not in a chat; type connect <user> to start one, status to see who is FREE, or help",
            ),
            Notice::NothingToEnd => f.write_str("You are not in a chat, so there is nothing to end"),
            Notice::YouEndedChat(name) => write!(f, "You ended the chat with {name}"),
            Notice::PeerEndedChat(name) => write!(f, "{name} ended the chat"),
            Notice::PeerLeft(name) => write!(f, "{name} disconnected; the chat is over"),
            Notice::Bye => f.write_str("Goodbye!"),
            Notice::ShuttingDown => {
                f.write_str("Server is shutting down; every chat has ended. Goodbye!")
            }
            Notice::ServerFull(1) => f.write_str("Server full (1 user); try again later"),
            Notice::ServerFull(n) => write!(f, "Server full ({n} users); try again later"),
            Notice::TooManyFromHost(n) => write!(
                f,
                "Too many connections from your address (at most {n} at once); close one of them and try again"
            ),
            Notice::TooManyFromNetwork(n) => write!(
                f,
                "Too many connections from your network (at most {n} at once from its addresses); try again later"
            ),
            Notice::NameTimeout(1) => {
                f.write_str("No user name received within 1 second; disconnecting")
            }
            Notice::NameTimeout(secs) => write!(
                f,
                "No user name received within {secs} seconds; disconnecting"
            ),
            Notice::LineDropped(err) => write!(f, "Error: {err}"),
            Notice::BadCommand(err) => write!(f, "Error: {err}"),
            Notice::SecureWithoutText => f.write_str("Error: usage: secure: <message>"),
            Notice::MessageTooLong(room) => write!(
                f,
                "Error: message too long (more than {room} bytes after your name); it was not sent"
            ),
            Notice::NoLineBreak => {
                f.write_str("Error: you sent over 1 MiB without a line break; disconnecting")
            }
            Notice::StatusTooOften { burst, per_second } => write!(
                f,
                "Error: status asked too often (at most {burst} in a row, then {per_second} a second); try again in a moment"
            ),
            Notice::CommandsTooOften { burst, per_second } => write!(
                f,
                "Error: too many commands (at most {burst} in a row, then {per_second} a second); this one was ignored"
            ),
            Notice::AddressCommandsTooOften { burst, per_second } => write!(
                f,
                "Error: too many commands from your address (at most {burst} in a row, then {per_second} a second); this one was ignored"
            ),
            Notice::Ignored(1) => f.write_str("1 more line like that was ignored"),
            Notice::Ignored(n) => {
                write!(f, "{} more lines like that were ignored", with_commas(*n))
            }
            Notice::ServerProof { key, signature } => {
                write!(f, "proof {} {}", key.to_base64(), signature.to_base64())
            }
            Notice::Announcement(text) => write!(f, "Operator says: {text}"),
            Notice::Kicked(None) => f.write_str("You were disconnected by the operator"),
            Notice::Kicked(Some(reason)) => {
                write!(f, "You were disconnected by the operator: {reason}")
            }
            Notice::Banned(1) => {
                f.write_str("You are banned from this server; try again in 1 minute")
            }
            Notice::Banned(minutes) => write!(
                f,
                "You are banned from this server; try again in {minutes} minutes"
            ),
            Notice::Error(text) => write!(f, "Error: {text}"),
            Notice::Info(text) => f.write_str(text),
        }
    }
}

/// `n` with a comma between thousands: `1,234,567` (the server's counts; eve's figures).
pub fn with_commas(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The two numbers of `(at most <a> in a row, then <b> a second)`, between `prefix` and
/// `suffix`.
fn rate_between(text: &str, prefix: &str, suffix: &str) -> Option<(u32, u32)> {
    let inner = between(text, prefix, suffix)?;
    let (burst, per_second) = inner.split_once(" in a row, then ")?;
    Some((parse_number(burst)?, parse_number(per_second)?))
}

/// The part of `text` between `prefix` and `suffix`, if it has both.
fn between<'a>(text: &'a str, prefix: &str, suffix: &str) -> Option<&'a str> {
    text.strip_prefix(prefix)?.strip_suffix(suffix)
}

/// Like [`between`], but only if the part is a valid name.
fn name_between(text: &str, prefix: &str, suffix: &str) -> Option<Name> {
    between(text, prefix, suffix).and_then(|n| Name::parse(n).ok())
}

impl Notice {
    /// Reads the text after `(server): `. Text that matches no known notice is
    /// [`Notice::Info`]; this never fails.
    pub fn parse(text: &str) -> Notice {
        Self::parse_known(text).unwrap_or_else(|| Notice::Info(text.to_string()))
    }

    fn parse_known(text: &str) -> Option<Notice> {
        let fixed = [
            Notice::AskName,
            Notice::ConnectToSelf,
            Notice::NotInChat,
            Notice::NothingToEnd,
            Notice::Bye,
            Notice::ShuttingDown,
        ];
        if let Some(notice) = fixed.into_iter().find(|n| n.to_string() == text) {
            return Some(notice);
        }
        // First: the operator's words could look like any other notice.
        if let Some(said) = text.strip_prefix("Operator says: ") {
            return Some(Notice::Announcement(said.to_string()));
        }
        if let Some(rest) = text.strip_prefix("You were disconnected by the operator") {
            if rest.is_empty() {
                return Some(Notice::Kicked(None));
            }
            if let Some(reason) = rest.strip_prefix(": ") {
                return Some(Notice::Kicked(Some(reason.to_string())));
            }
        }
        if let Some(n) = between(
            text,
            "You are banned from this server; try again in ",
            " minutes",
        )
        .or_else(|| {
            between(
                text,
                "You are banned from this server; try again in ",
                " minute",
            )
        })
        .and_then(parse_number)
        {
            return Some(Notice::Banned(n));
        }
        type NameNotice = fn(Name) -> Notice;
        let by_name: [(&str, &str, NameNotice); 8] = [
            (
                "The name '",
                "' is already taken; please choose another:",
                Notice::NameTaken,
            ),
            (
                "Hello ",
                "! Type status to see who is here, connect <user> to chat, help for more.",
                Notice::Registered,
            ),
            ("You are now connected to ", "", Notice::Connected),
            (
                "",
                " is BUSY in another chat; try again later",
                Notice::UserBusy,
            ),
            (
                "You are already in a chat with ",
                "; type goodbye to end it first",
                Notice::AlreadyInChat,
            ),
            ("You ended the chat with ", "", Notice::YouEndedChat),
            ("", " ended the chat", Notice::PeerEndedChat),
            ("", " disconnected; the chat is over", Notice::PeerLeft),
        ];
        for (prefix, suffix, make) in by_name {
            if let Some(name) = name_between(text, prefix, suffix) {
                return Some(make(name));
            }
        }
        if let Some(reason) = between(text, "That name is not valid: ", "; please choose another:")
        {
            return Some(Notice::NameInvalid(reason.to_string()));
        }
        if let Some(name) = between(
            text,
            "There is no user named '",
            "'; type status to see who is online",
        ) {
            return Some(Notice::NoSuchUser(name.to_string()));
        }
        if text == "1 user online:" {
            return Some(Notice::StatusHeader(1));
        }
        if let Some(n) = between(text, "", " users online:").and_then(parse_number) {
            return Some(Notice::StatusHeader(n));
        }
        if let Some(n) = between(text, "You have ", " seconds to send a name.")
            .or_else(|| between(text, "You have ", " second to send a name."))
            .and_then(parse_number)
        {
            return Some(Notice::NameTimeLimit(n));
        }
        if let Some(n) = between(text, "Server full (", " users); try again later")
            .or_else(|| between(text, "Server full (", " user); try again later"))
            .and_then(parse_number)
        {
            return Some(Notice::ServerFull(n));
        }
        if let Some(n) = between(
            text,
            "Too many connections from your address (at most ",
            " at once); close one of them and try again",
        )
        .and_then(parse_number)
        {
            return Some(Notice::TooManyFromHost(n));
        }
        if let Some(n) = between(
            text,
            "Too many connections from your network (at most ",
            " at once from its addresses); try again later",
        )
        .and_then(parse_number)
        {
            return Some(Notice::TooManyFromNetwork(n));
        }
        if let Some(secs) = between(
            text,
            "No user name received within ",
            " seconds; disconnecting",
        )
        .or_else(|| {
            between(
                text,
                "No user name received within ",
                " second; disconnecting",
            )
        })
        .and_then(parse_number)
        {
            return Some(Notice::NameTimeout(secs));
        }
        if let Some(error) = text.strip_prefix("Error: ") {
            return Some(Self::parse_error(error));
        }
        if let Some(proof) = text.strip_prefix("proof ") {
            let (key, signature) = proof.split_once(' ')?;
            return Some(Notice::ServerProof {
                key: PublicKey::from_base64(key)?,
                signature: Signature::from_base64(signature)?,
            });
        }
        if text == "1 more line like that was ignored" {
            return Some(Notice::Ignored(1));
        }
        if let Some(written) = between(text, "", " more lines like that were ignored") {
            let count = parse_number::<u64>(&written.replace(',', ""))
                .filter(|&n| n != 1 && with_commas(n) == written);
            if let Some(n) = count {
                return Some(Notice::Ignored(n));
            }
        }
        parse_status_entry(text).map(Notice::Status)
    }
}

impl Notice {
    /// Reads the text after `(server): Error: `: one of the typed errors, else
    /// [`Notice::Error`].
    fn parse_error(error: &str) -> Notice {
        let line_errors = [LineError::TooLong, LineError::NotUtf8, LineError::Nul];
        if let Some(err) = line_errors.into_iter().find(|e| e.to_string() == error) {
            return Notice::LineDropped(err);
        }
        let command_errors = [
            CommandError::ConnectWithoutUser,
            CommandError::KeyCommitWithoutValue,
            CommandError::KeyParamWithoutValue,
            CommandError::KeyProofWithoutValue,
        ];
        if let Some(err) = command_errors.into_iter().find(|e| e.to_string() == error) {
            return Notice::BadCommand(err);
        }
        let text = format!("Error: {error}");
        if text == Notice::SecureWithoutText.to_string() {
            return Notice::SecureWithoutText;
        }
        if text == Notice::NoLineBreak.to_string() {
            return Notice::NoLineBreak;
        }
        if let Some(room) = between(
            error,
            "message too long (more than ",
            " bytes after your name); it was not sent",
        )
        .and_then(parse_number)
        {
            return Notice::MessageTooLong(room);
        }
        if let Some((burst, per_second)) = rate_between(
            error,
            "status asked too often (at most ",
            " a second); try again in a moment",
        ) {
            return Notice::StatusTooOften { burst, per_second };
        }
        if let Some((burst, per_second)) = rate_between(
            error,
            "too many commands (at most ",
            " a second); this one was ignored",
        ) {
            return Notice::CommandsTooOften { burst, per_second };
        }
        if let Some((burst, per_second)) = rate_between(
            error,
            "too many commands from your address (at most ",
            " a second); this one was ignored",
        ) {
            return Notice::AddressCommandsTooOften { burst, per_second };
        }
        Notice::Error(error.to_string())
    }
}

/// A plain decimal number as written by `Display` (no sign, no leading zeros beyond `0`).
fn parse_number<T: std::str::FromStr + ToString>(text: &str) -> Option<T> {
    let n: T = text.parse().ok()?;
    (n.to_string() == text).then_some(n)
}

/// `- <name>: FREE`, `- <name>: BUSY with <partner>`, optionally followed by ` (you)`.
fn parse_status_entry(text: &str) -> Option<StatusEntry> {
    let rest = text.strip_prefix("- ")?;
    let (rest, is_you) = match rest.strip_suffix(" (you)") {
        Some(rest) => (rest, true),
        None => (rest, false),
    };
    let (name, state) = rest.split_once(": ")?;
    if name.chars().count() > MAX_NAME_LEN {
        return None;
    }
    let name = Name::parse(name).ok()?;
    let partner = match state {
        "FREE" => None,
        busy => Some(Name::parse(busy.strip_prefix("BUSY with ")?).ok()?),
    };
    Some(StatusEntry {
        name,
        partner,
        is_you,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> Name {
        Name::parse(n).unwrap()
    }

    /// Every notice reads back as itself, including names that look like words of the text.
    #[test]
    fn every_notice_round_trips() {
        let notices = [
            Notice::AskName,
            Notice::NameTaken(name("bob")),
            Notice::NameInvalid("a name needs at least one character".into()),
            Notice::Registered(name("alice")),
            Notice::StatusHeader(0),
            Notice::StatusHeader(1),
            Notice::StatusHeader(12),
            Notice::Status(StatusEntry {
                name: name("alice"),
                partner: None,
                is_you: true,
            }),
            Notice::Status(StatusEntry {
                name: name("bob"),
                partner: Some(name("carol")),
                is_you: false,
            }),
            Notice::Status(StatusEntry {
                name: name("You"),
                partner: Some(name("with")),
                is_you: true,
            }),
            Notice::Connected(name("bob")),
            Notice::NoSuchUser("nobody here".into()),
            Notice::ConnectToSelf,
            Notice::UserBusy(name("carol")),
            Notice::AlreadyInChat(name("bob")),
            Notice::NotInChat,
            Notice::NothingToEnd,
            Notice::YouEndedChat(name("bob")),
            Notice::PeerEndedChat(name("You")),
            Notice::PeerLeft(name("alice")),
            Notice::Bye,
            Notice::ShuttingDown,
            Notice::ServerFull(10000),
            Notice::ServerFull(1),
            Notice::NameTimeLimit(30),
            Notice::NameTimeLimit(1),
            Notice::TooManyFromHost(32),
            Notice::TooManyFromNetwork(512),
            Notice::NameTimeout(30),
            Notice::NameTimeout(1),
            Notice::Error("line too long".into()),
            Notice::LineDropped(LineError::TooLong),
            Notice::LineDropped(LineError::NotUtf8),
            Notice::LineDropped(LineError::Nul),
            Notice::BadCommand(CommandError::ConnectWithoutUser),
            Notice::BadCommand(CommandError::KeyParamWithoutValue),
            Notice::SecureWithoutText,
            Notice::MessageTooLong(8150),
            Notice::NoLineBreak,
            Notice::StatusTooOften {
                burst: 10,
                per_second: 2,
            },
            Notice::CommandsTooOften {
                burst: 20,
                per_second: 5,
            },
            Notice::AddressCommandsTooOften {
                burst: 80,
                per_second: 20,
            },
            Notice::Ignored(1),
            Notice::Ignored(999),
            Notice::Ignored(1234),
            Notice::Ignored(1_234_567),
            Notice::Info("  status            list every user".into()),
            Notice::ServerProof {
                key: crate::identity::Identity::from_seed([5; 32]).public(),
                signature: Signature([6; 64]),
            },
            // Not a proof: a key of the wrong length.
            Notice::Info("proof AAAA BBBB".into()),
            Notice::Announcement("the lab closes in five minutes".into()),
            Notice::Announcement("bob ended the chat".into()),
            Notice::Kicked(None),
            Notice::Kicked(Some("too many messages".into())),
            Notice::Banned(1),
            Notice::Banned(60),
        ];
        for notice in notices {
            assert_eq!(Notice::parse(&notice.to_string()), notice, "text {notice}");
        }
    }

    /// The wire text of the typed errors, byte for byte as PROTOCOL.md gives it.
    #[test]
    fn typed_errors_keep_their_wire_text() {
        let cases = [
            (
                Notice::LineDropped(LineError::TooLong),
                "Error: line too long (more than 8192 bytes); it was dropped",
            ),
            (
                Notice::BadCommand(CommandError::ConnectWithoutUser),
                "Error: usage: connect <user>",
            ),
            (
                Notice::SecureWithoutText,
                "Error: usage: secure: <message>",
            ),
            (
                Notice::MessageTooLong(8150),
                "Error: message too long (more than 8150 bytes after your name); it was not sent",
            ),
            (
                Notice::NoLineBreak,
                "Error: you sent over 1 MiB without a line break; disconnecting",
            ),
            (
                Notice::StatusTooOften {
                    burst: 10,
                    per_second: 2,
                },
                "Error: status asked too often (at most 10 in a row, then 2 a second); try again in a moment",
            ),
            (
                Notice::CommandsTooOften {
                    burst: 20,
                    per_second: 5,
                },
                "Error: too many commands (at most 20 in a row, then 5 a second); this one was ignored",
            ),
            (
                Notice::AddressCommandsTooOften {
                    burst: 80,
                    per_second: 20,
                },
                "Error: too many commands from your address (at most 80 in a row, then 20 a second); this one was ignored",
            ),
            (
                Notice::Announcement("the lab closes at six".into()),
                "Operator says: the lab closes at six",
            ),
            (
                Notice::Kicked(Some("be kind".into())),
                "You were disconnected by the operator: be kind",
            ),
            (
                Notice::Banned(60),
                "You are banned from this server; try again in 60 minutes",
            ),
            (Notice::Ignored(1), "1 more line like that was ignored"),
            (Notice::Ignored(12), "12 more lines like that were ignored"),
            (
                Notice::Ignored(1234),
                "1,234 more lines like that were ignored",
            ),
        ];
        for (notice, text) in cases {
            assert_eq!(notice.to_string(), text);
        }
    }

    #[test]
    fn the_original_words_stay() {
        assert_eq!(
            Notice::Connected(name("bob")).to_string(),
            "You are now connected to bob"
        );
        let busy = StatusEntry {
            name: name("bob"),
            partner: Some(name("al")),
            is_you: false,
        };
        assert_eq!(Notice::Status(busy).to_string(), "- bob: BUSY with al");
    }
}
