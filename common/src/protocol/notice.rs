//! What the server says in its own voice: every `(server): ...` line.
//!
//! Each notice is a typed value so the client can follow the conversation (registered, in a chat
//! with whom, chat over) without guessing from free text, while the text itself stays the
//! original's plain English for people on `nc`.

use super::Name;
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
    /// `No user name received within <n> seconds; disconnecting`
    NameTimeout(u64),
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
            Notice::NameTimeout(1) => {
                f.write_str("No user name received within 1 second; disconnecting")
            }
            Notice::NameTimeout(secs) => write!(
                f,
                "No user name received within {secs} seconds; disconnecting"
            ),
            Notice::Error(text) => write!(f, "Error: {text}"),
            Notice::Info(text) => f.write_str(text),
        }
    }
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
            return Some(Notice::Error(error.to_string()));
        }
        parse_status_entry(text).map(Notice::Status)
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
            Notice::NameTimeout(30),
            Notice::NameTimeout(1),
            Notice::Error("line too long".into()),
            Notice::Info("  status            list every user".into()),
        ];
        for notice in notices {
            assert_eq!(Notice::parse(&notice.to_string()), notice, "text {notice}");
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
