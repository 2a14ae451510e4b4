//! One line typed on the server console, as a typed value (pure: no table, no socket).
//!
//! ```text
//! list                          users, state, partner, address, since when; and the bans
//! say <text>                    (server): Operator says: <text>, to everyone
//! kick <user> [reason]          tell the user, disconnect it; the name is free at once
//! ban <user|address> [time]     kick everyone from that address and refuse it for a time
//! unban <address>               lift a ban
//! stop                          as Ctrl+C: end every chat, tell everyone, exit
//! help                          these lines
//! ```
//!
//! A time is a number of minutes (`30`), or a number with `s`, `m` or `h` (`45s`, `2h`).

use common::limits::MAX_LINE_LEN;
use common::protocol::Name;
use std::net::IpAddr;
use std::time::Duration;
use thiserror::Error;

/// How long `ban` lasts when no time is given.
pub const DEFAULT_BAN: Duration = Duration::from_secs(60 * 60);

/// The longest ban: 30 days (a ban is meant for a class, not forever; the server forgets it
/// when it restarts anyway).
pub const LONGEST_BAN: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// The most bytes of `say` text or a `kick` reason, so that the notice fits a line with room
/// to spare.
pub const MAX_TEXT_LEN: usize = MAX_LINE_LEN / 2;

/// An operator's command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsoleCommand {
    /// `list`
    List,
    /// `say <text>`
    Say(String),
    /// `kick <user> [reason]`
    Kick {
        /// Who (as typed: the table finds look-alikes and other cases too).
        user: Name,
        /// Told to the user, if given.
        reason: Option<String>,
    },
    /// `ban <user|address> [time]`
    Ban {
        /// Whose address.
        target: BanTarget,
        /// For how long ([`DEFAULT_BAN`] if not given).
        time: Duration,
    },
    /// `unban <address>`
    Unban(IpAddr),
    /// `stop`
    Stop,
    /// `help`
    Help,
}

/// What `ban` names: a user (whose address is banned) or an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BanTarget {
    /// The address the user is connected from.
    User(Name),
    /// An IPv4 or IPv6 address (IPv4-mapped ones as the IPv4 they are).
    Address(IpAddr),
}

/// The user's name or the address, as typed back to the operator.
impl std::fmt::Display for BanTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BanTarget::User(name) => write!(f, "{name}"),
            BanTarget::Address(ip) => write!(f, "{ip}"),
        }
    }
}

/// Why a console line is not a command; nothing was done.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConsoleError {
    /// The first word is no command.
    #[error("unknown command '{0}'; type help for the list")]
    Unknown(String),
    /// The command's arguments do not fit its usage.
    #[error("usage: {0}")]
    Usage(&'static str),
    /// The user is not a valid name.
    #[error("'{0}' is not a user name: {1}")]
    BadName(String, String),
    /// The time of a ban is not one.
    #[error("'{0}' is not a time; give minutes (30) or a number with s, m or h (45s, 2h), at most 30 days")]
    BadTime(String),
    /// The address of `unban` is not one.
    #[error("'{0}' is not an IP address")]
    BadAddress(String),
    /// The text is too long for a notice.
    #[error("the text is too long (more than {MAX_TEXT_LEN} bytes)")]
    TooLong,
    /// The text holds a control character (a terminal escape would reach every client).
    #[error("the text holds a control character")]
    ControlCharacter,
}

impl ConsoleCommand {
    /// Reads one console line. `Ok(None)` for a blank line.
    ///
    /// # Errors
    /// A [`ConsoleError`] saying what is wrong with the line.
    pub fn parse(line: &str) -> Result<Option<ConsoleCommand>, ConsoleError> {
        let line = line.trim();
        if line.is_empty() {
            return Ok(None);
        }
        let (word, rest) = match line.split_once(char::is_whitespace) {
            Some((word, rest)) => (word, rest.trim()),
            None => (line, ""),
        };
        let command = match word.to_ascii_lowercase().as_str() {
            "list" | "ls" | "who" => no_argument(rest, "list", ConsoleCommand::List)?,
            "say" => ConsoleCommand::Say(text(rest, "say <text>")?),
            "kick" => {
                let (user, reason) = split_word(rest);
                if user.is_empty() {
                    return Err(ConsoleError::Usage("kick <user> [reason]"));
                }
                let reason = if reason.is_empty() {
                    None
                } else {
                    Some(text(reason, "kick <user> [reason]")?)
                };
                ConsoleCommand::Kick {
                    user: name(user)?,
                    reason,
                }
            }
            "ban" => {
                let (target, rest) = split_word(rest);
                let (time, extra) = split_word(rest);
                if target.is_empty() || !extra.is_empty() {
                    return Err(ConsoleError::Usage("ban <user|address> [time]"));
                }
                let target = match target.parse::<IpAddr>() {
                    Ok(ip) => BanTarget::Address(ip.to_canonical()),
                    Err(_) => BanTarget::User(name(target)?),
                };
                let time = if time.is_empty() {
                    DEFAULT_BAN
                } else {
                    parse_time(time)?
                };
                ConsoleCommand::Ban { target, time }
            }
            "unban" => {
                let (address, extra) = split_word(rest);
                if address.is_empty() || !extra.is_empty() {
                    return Err(ConsoleError::Usage("unban <address>"));
                }
                let ip = address
                    .parse::<IpAddr>()
                    .map_err(|_| ConsoleError::BadAddress(address.to_string()))?;
                ConsoleCommand::Unban(ip.to_canonical())
            }
            "stop" => no_argument(rest, "stop", ConsoleCommand::Stop)?,
            "help" | "?" => ConsoleCommand::Help,
            _ => return Err(ConsoleError::Unknown(shorten(word))),
        };
        Ok(Some(command))
    }
}

/// The answer to `help`.
pub const HELP: [&str; 8] = [
    "Commands:",
    "  list                       who is connected: name, state, partner, address, since when",
    "  say <text>                 tell everyone: (server): Operator says: <text>",
    "  kick <user> [reason]       tell the user and disconnect it; its name is free at once",
    "  ban <user|address> [time]  disconnect that address and refuse it for a time (default 60 minutes; 45s, 30, 2h)",
    "  unban <address>            lift a ban",
    "  stop                       as Ctrl+C: end every chat, tell everyone, and exit",
    "  help                       this list",
];

fn no_argument(
    rest: &str,
    usage: &'static str,
    command: ConsoleCommand,
) -> Result<ConsoleCommand, ConsoleError> {
    if rest.is_empty() {
        Ok(command)
    } else {
        Err(ConsoleError::Usage(usage))
    }
}

/// The first word of `text` and the rest, trimmed.
fn split_word(text: &str) -> (&str, &str) {
    match text.split_once(char::is_whitespace) {
        Some((word, rest)) => (word, rest.trim()),
        None => (text, ""),
    }
}

/// Text for a notice: not empty, not too long, no control characters.
fn text(text: &str, usage: &'static str) -> Result<String, ConsoleError> {
    if text.is_empty() {
        return Err(ConsoleError::Usage(usage));
    }
    if text.len() > MAX_TEXT_LEN {
        return Err(ConsoleError::TooLong);
    }
    if text.chars().any(char::is_control) {
        return Err(ConsoleError::ControlCharacter);
    }
    Ok(text.to_string())
}

fn name(text: &str) -> Result<Name, ConsoleError> {
    Name::parse(text).map_err(|e| ConsoleError::BadName(shorten(text), e.to_string()))
}

/// `30` (minutes), `45s`, `30m`, `2h`: at least a second, at most [`LONGEST_BAN`].
fn parse_time(text: &str) -> Result<Duration, ConsoleError> {
    let bad = || ConsoleError::BadTime(shorten(text));
    let (number, unit) = match text.char_indices().last() {
        Some((at, 's')) => (&text[..at], 1),
        Some((at, 'm')) => (&text[..at], 60),
        Some((at, 'h')) => (&text[..at], 3600),
        _ => (text, 60),
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let seconds = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .filter(|&s| s > 0)
        .ok_or_else(bad)?;
    let time = Duration::from_secs(seconds);
    if time > LONGEST_BAN {
        return Err(bad());
    }
    Ok(time)
}

/// Text typed by the operator, cut for an error message.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> Name {
        Name::parse(n).unwrap()
    }

    /// Every command and its arguments, as typed.
    #[test]
    fn commands_parse() {
        let cases = [
            ("list", ConsoleCommand::List),
            ("  LIST  ", ConsoleCommand::List),
            (
                "say the lab closes in five minutes",
                ConsoleCommand::Say("the lab closes in five minutes".into()),
            ),
            (
                "kick alice",
                ConsoleCommand::Kick {
                    user: name("alice"),
                    reason: None,
                },
            ),
            (
                "kick alice   too many messages ",
                ConsoleCommand::Kick {
                    user: name("alice"),
                    reason: Some("too many messages".into()),
                },
            ),
            (
                "ban alice",
                ConsoleCommand::Ban {
                    target: BanTarget::User(name("alice")),
                    time: DEFAULT_BAN,
                },
            ),
            (
                "ban 127.0.0.5 45s",
                ConsoleCommand::Ban {
                    target: BanTarget::Address("127.0.0.5".parse().unwrap()),
                    time: Duration::from_secs(45),
                },
            ),
            (
                "ban ::ffff:10.0.0.7 30",
                ConsoleCommand::Ban {
                    target: BanTarget::Address("10.0.0.7".parse().unwrap()),
                    time: Duration::from_secs(30 * 60),
                },
            ),
            (
                "ban fe80::1 2h",
                ConsoleCommand::Ban {
                    target: BanTarget::Address("fe80::1".parse().unwrap()),
                    time: Duration::from_secs(2 * 3600),
                },
            ),
            (
                "unban 127.0.0.5",
                ConsoleCommand::Unban("127.0.0.5".parse().unwrap()),
            ),
            ("stop", ConsoleCommand::Stop),
            ("help", ConsoleCommand::Help),
        ];
        for (line, command) in cases {
            assert_eq!(ConsoleCommand::parse(line), Ok(Some(command)), "{line:?}");
        }
        assert_eq!(ConsoleCommand::parse("   "), Ok(None));
    }

    /// Bad lines are refused with what is wrong, and nothing is half-parsed.
    #[test]
    fn bad_lines_say_what_is_wrong() {
        let cases = [
            ("shutdown", ConsoleError::Unknown("shutdown".into())),
            ("list all", ConsoleError::Usage("list")),
            ("stop now", ConsoleError::Usage("stop")),
            ("say", ConsoleError::Usage("say <text>")),
            ("kick", ConsoleError::Usage("kick <user> [reason]")),
            ("ban", ConsoleError::Usage("ban <user|address> [time]")),
            (
                "ban alice 5 minutes",
                ConsoleError::Usage("ban <user|address> [time]"),
            ),
            ("ban alice 0", ConsoleError::BadTime("0".into())),
            ("ban alice -5", ConsoleError::BadTime("-5".into())),
            ("ban alice 5d", ConsoleError::BadTime("5d".into())),
            ("ban alice 31d", ConsoleError::BadTime("31d".into())),
            ("ban alice 999h", ConsoleError::BadTime("999h".into())),
            (
                "ban alice 99999999999999999999",
                ConsoleError::BadTime("99999999999999999999".into()),
            ),
            ("unban alice", ConsoleError::BadAddress("alice".into())),
            ("say a\u{1b}[2Jb", ConsoleError::ControlCharacter),
        ];
        for (line, error) in cases {
            assert_eq!(ConsoleCommand::parse(line), Err(error), "{line:?}");
        }
        let long = format!("say {}", "x".repeat(MAX_TEXT_LEN + 1));
        assert_eq!(ConsoleCommand::parse(&long), Err(ConsoleError::TooLong));
        assert!(matches!(
            ConsoleCommand::parse("kick a:b"),
            Err(ConsoleError::BadName(..))
        ));
    }
}
