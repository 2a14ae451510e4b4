//! Lines the server sends to a client.

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

impl ServerLine {
    /// Reads one line (without its line ending).
    ///
    /// # Errors
    /// [`UnknownServerLine`] when the line has none of the five forms.
    pub fn parse(line: &str) -> Result<ServerLine, UnknownServerLine> {
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
                let (chat, identity) = match chat.map(split_word) {
                    None => (None, false),
                    Some((n, flag)) => {
                        let identity = match flag {
                            None => false,
                            Some("identity") => true,
                            Some(_) => return Err(unknown()),
                        };
                        (Some(n.parse().map_err(|_| unknown())?), identity)
                    }
                };
                Ok(ServerLine::GenKeys {
                    group: group.to_string(),
                    chat,
                    identity,
                })
            }
            ("key_commit", Some(value)) => Ok(ServerLine::KeyCommit(value.to_string())),
            ("key_param", Some(value)) => Ok(ServerLine::KeyParam(value.to_string())),
            ("key_proof", Some(value)) => Ok(ServerLine::KeyProof(value.to_string())),
            (word, Some(rest)) => {
                if let Some(from) = word.strip_suffix(':') {
                    let from = Name::parse(from).map_err(|_| unknown())?;
                    Ok(ServerLine::Chat {
                        from,
                        text: rest.to_string(),
                    })
                } else if let Some(payload) = rest.strip_prefix("(secure): ") {
                    let from = Name::parse(word).map_err(|_| unknown())?;
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
            ServerLine::KeyCommit(value) => write!(f, "key_commit {value}"),
            ServerLine::KeyParam(value) => write!(f, "key_param {value}"),
            ServerLine::KeyProof(value) => write!(f, "key_proof {value}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        ] {
            assert!(ServerLine::parse(line).is_err(), "line {line:?}");
        }
    }
}
