//! Lines the server sends to a client.

use super::key_line::chat_number;
use super::{split_word, Name, Notice};
use std::fmt;
use thiserror::Error;

/// One line from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerLine {
    /// `(server): <text>`: the server speaking.
    Notice(Notice),
    /// `<name>: <text>`: the partner's chat message.
    Chat {
        /// Who wrote it (the server fills this in; a client cannot choose it).
        from: Name,
        /// What they wrote, exactly.
        text: String,
    },
    /// `<name> (secure): <payload>`: the partner's sealed message, relayed untouched.
    Secure {
        /// Who sealed it.
        from: Name,
        /// The sealed payload, opaque to the server.
        payload: String,
    },
    /// `GEN_KEYS <group> <chat>`: make a fresh Diffie-Hellman key pair in this group and send
    /// `key_param <chat> <number>`. The chat number ties the answer to this chat, so an answer
    /// to an earlier chat's `GEN_KEYS` is never taken for this one's. (The original sent a bare
    /// `GEN_KEYS`, read here as an empty group name and no chat number.)
    GenKeys {
        /// The group's name, e.g. `ffdhe2048`.
        group: String,
        /// The server's number for this chat.
        chat: Option<u64>,
        /// `GEN_KEYS <group> <chat> identity`: both partners said `hello`, so each binds its
        /// identity key into its commitment and proves it with `key_proof` (see PROTOCOL.md).
        identity: bool,
    },
    /// `GEN_KEYS <group> <chat>` whose chat number is spelled another way than PROTOCOL.md's one
    /// spelling (a leading zero, a sign, 2^64 and above, more words): its keys cannot be tied to
    /// a chat, so the client refuses it (not an unknown line: it still starts the chat's one key
    /// exchange, which fails).
    GenKeysMisnumbered {
        /// The group's name.
        group: String,
        /// Everything after the group, as sent.
        chat: String,
    },
    /// `key_commit <commitment>`: the partner's commitment to its public value (64 hex digits).
    KeyCommit(String),
    /// `key_param <number>`: the partner's public Diffie-Hellman value.
    KeyParam(String),
    /// `key_proof <payload>`: the partner's sealed proof of its identity.
    KeyProof(String),
}

/// A server line that fits none of the forms.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unexpected line from the server: {0:?}")]
pub struct UnknownServerLine(pub String);

/// The last sender's name as it came on the wire and as read, so that a run of lines from one
/// partner reads the name once: [`Name::parse`] (NFKC and three confusable skeletons) costs
/// more than all the rest of a chat line, and a partner may send megabytes a second.
#[derive(Debug, Clone, Default)]
pub struct Senders {
    last: Option<(String, Name)>,
}

impl Senders {
    /// `raw` read as a name: the last one again if `raw` is the same text.
    fn parse(&mut self, raw: &str) -> Option<Name> {
        match &self.last {
            Some((text, name)) if text == raw => Some(name.clone()),
            _ => {
                let name = Name::parse(raw).ok()?;
                self.last = Some((raw.to_string(), name.clone()));
                Some(name)
            }
        }
    }
}

impl ServerLine {
    /// Reads one line (without its line ending).
    ///
    /// # Errors
    /// [`UnknownServerLine`] when the line has none of the five forms.
    pub fn parse(line: &str) -> Result<ServerLine, UnknownServerLine> {
        ServerLine::parse_with(line, &mut Senders::default())
    }

    /// [`ServerLine::parse`], reading a sender's name the same as the last one from
    /// `senders` (a reader keeps one for its connection).
    ///
    /// # Errors
    /// [`UnknownServerLine`] when the line has none of the five forms.
    pub fn parse_with(line: &str, senders: &mut Senders) -> Result<ServerLine, UnknownServerLine> {
        if let Some(text) = line.strip_prefix("(server): ") {
            return Ok(ServerLine::Notice(Notice::parse(text)));
        }
        let unknown = || UnknownServerLine(line.to_string());
        let (word, rest) = split_word(line);
        match (word, rest) {
            ("GEN_KEYS", None) => Ok(ServerLine::GenKeys {
                group: String::new(),
                chat: None,
                identity: false,
            }),
            ("GEN_KEYS", Some(rest)) => {
                let (group, chat) = split_word(rest);
                let group = group.to_string();
                let Some(chat) = chat else {
                    return Ok(ServerLine::GenKeys {
                        group,
                        chat: None,
                        identity: false,
                    });
                };
                let (text, flag) = split_word(chat);
                let identity = match flag {
                    None => Some(false),
                    Some("identity") => Some(true),
                    Some(_) => None,
                };
                Ok(match (chat_number(text), identity) {
                    (Some(n), Some(identity)) => ServerLine::GenKeys {
                        group,
                        chat: Some(n),
                        identity,
                    },
                    // A known number followed by an unknown word is no line of ours.
                    (Some(_), None) => return Err(unknown()),
                    (None, _) => ServerLine::GenKeysMisnumbered {
                        group,
                        chat: chat.to_string(),
                    },
                })
            }
            ("key_commit", Some(value)) => Ok(ServerLine::KeyCommit(value.to_string())),
            ("key_param", Some(value)) => Ok(ServerLine::KeyParam(value.to_string())),
            ("key_proof", Some(value)) => Ok(ServerLine::KeyProof(value.to_string())),
            (word, Some(rest)) => {
                if let Some(from) = word.strip_suffix(':') {
                    let from = senders.parse(from).ok_or_else(unknown)?;
                    Ok(ServerLine::Chat {
                        from,
                        text: rest.to_string(),
                    })
                } else if let Some(payload) = rest.strip_prefix("(secure): ") {
                    let from = senders.parse(word).ok_or_else(unknown)?;
                    Ok(ServerLine::Secure {
                        from,
                        payload: payload.to_string(),
                    })
                } else {
                    Err(unknown())
                }
            }
            _ => Err(unknown()),
        }
    }
}

impl fmt::Display for ServerLine {
    /// The wire line, without `\n`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerLine::Notice(notice) => write!(f, "(server): {notice}"),
            ServerLine::Chat { from, text } => write!(f, "{from}: {text}"),
            ServerLine::Secure { from, payload } => write!(f, "{from} (secure): {payload}"),
            ServerLine::GenKeys {
                group, chat: None, ..
            } if group.is_empty() => f.write_str("GEN_KEYS"),
            ServerLine::GenKeys {
                group, chat: None, ..
            } => write!(f, "GEN_KEYS {group}"),
            ServerLine::GenKeys {
                group,
                chat: Some(n),
                identity,
            } => {
                write!(f, "GEN_KEYS {group} {n}")?;
                if *identity {
                    f.write_str(" identity")?;
                }
                Ok(())
            }
            ServerLine::GenKeysMisnumbered { group, chat } => write!(f, "GEN_KEYS {group} {chat}"),
            ServerLine::KeyCommit(value) => write!(f, "key_commit {value}"),
            ServerLine::KeyParam(value) => write!(f, "key_param {value}"),
            ServerLine::KeyProof(value) => write!(f, "key_proof {value}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that keeps the last sender reads every line as a fresh parse does.
    #[test]
    fn the_last_sender_is_read_once_and_the_same() {
        let mut senders = Senders::default();
        for line in [
            "bob: hi",
            "bob: again",
            "Bob: other spelling",
            "bob (secure): 0.abc.def",
            "b\u{200b}ob: hidden",
            "carol: hi",
            "bob: back",
            "server: x",
            "(server): Goodbye!",
        ] {
            let cached = ServerLine::parse_with(line, &mut senders);
            assert_eq!(cached, ServerLine::parse(line), "{line:?}");
            if let Ok(ServerLine::Chat { from, .. }) = cached {
                assert_eq!(from.as_str(), line.split(':').next().unwrap(), "{line:?}");
            }
        }
    }

    fn name(n: &str) -> Name {
        Name::parse(n).unwrap()
    }

    fn chat(from: &str, text: &str) -> ServerLine {
        ServerLine::Chat {
            from: name(from),
            text: text.into(),
        }
    }

    #[test]
    fn every_form_round_trips() {
        let lines = [
            ServerLine::Notice(Notice::Connected(name("bob"))),
            chat("bob", "hello"),
            chat("bob", ""),
            chat("bob", "GEN_KEYS"),
            chat("bob", "key_param 12"),
            chat("bob", "(server): You are now connected to mallory"),
            chat("GEN_KEYS_fan", "GEN_KEYS ffdhe2048"),
            ServerLine::Secure {
                from: name("bob"),
                payload: "0.AAAA.BBBB".into(),
            },
            ServerLine::GenKeys {
                group: "ffdhe2048".into(),
                chat: Some(17),
                identity: false,
            },
            ServerLine::GenKeys {
                group: "ffdhe2048".into(),
                chat: Some(18),
                identity: true,
            },
            ServerLine::GenKeys {
                group: "toy".into(),
                chat: None,
                identity: false,
            },
            ServerLine::GenKeys {
                group: "".into(),
                chat: None,
                identity: false,
            },
            ServerLine::GenKeysMisnumbered {
                group: "toy".into(),
                chat: "07".into(),
            },
            ServerLine::GenKeysMisnumbered {
                group: "ffdhe2048".into(),
                chat: "18446744073709551616".into(),
            },
            ServerLine::KeyProof("ab.cd".into()),
            ServerLine::KeyParam("1234".into()),
            ServerLine::KeyCommit("ab12".into()),
        ];
        for line in lines {
            assert_eq!(
                ServerLine::parse(&line.to_string()),
                Ok(line.clone()),
                "line {line}"
            );
        }
    }

    /// Chat text that imitates a control line is still attributed to its sender.
    #[test]
    fn chat_text_never_reads_as_a_control_line() {
        let forged = chat("mallory", "(server): You are now connected to eve").to_string();
        assert_eq!(forged, "mallory: (server): You are now connected to eve");
        assert!(matches!(
            ServerLine::parse(&forged),
            Ok(ServerLine::Chat { .. })
        ));
    }

    /// A chat number has one spelling: `GEN_KEYS toy 07` is not chat 7, and 2^64 is no chat.
    #[test]
    fn chat_numbers_have_one_spelling() {
        assert_eq!(
            ServerLine::parse("GEN_KEYS toy 7"),
            Ok(ServerLine::GenKeys {
                group: "toy".into(),
                chat: Some(7),
                identity: false,
            })
        );
        for chat in ["07", "+7", "18446744073709551616", "07 identity", "x"] {
            assert_eq!(
                ServerLine::parse(&format!("GEN_KEYS toy {chat}")),
                Ok(ServerLine::GenKeysMisnumbered {
                    group: "toy".into(),
                    chat: chat.into()
                }),
                "{chat}"
            );
        }
    }

    #[test]
    fn nonsense_is_refused() {
        for line in [
            "",
            "hello",
            "two words",
            "bad name!: hi",
            "key_param",
            "key_commit",
            "key_proof",
            "GEN_KEYS ffdhe2048 7 identiti",
            "GEN_KEYS toy 7 8",
        ] {
            assert!(ServerLine::parse(line).is_err(), "line {line:?}");
        }
    }
}
