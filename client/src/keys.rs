//! The key of the current chat: from `GEN_KEYS` through `key_param` to a sealed session.
//!
//! Every chat starts with no key. `GEN_KEYS <group>` makes a fresh key pair and sends our
//! public value; the partner's `key_param` completes the agreement. Anything unexpected (an
//! unknown group, a public value out of range, a second `key_param`) makes the key
//! [`Keys::Failed`] for the rest of the chat: `secure:` is then refused, never sent in plain.

use common::dh::{DhError, Group, KeyPair, PublicValue};
use common::protocol::Command;
use common::secure::Session;

/// Where the current chat's key agreement stands.
#[derive(Debug, Default)]
pub enum Keys {
    /// No chat, or the server has not asked for keys yet.
    #[default]
    None,
    /// We sent our public value and wait for the partner's.
    Waiting(KeyPair),
    /// Agreed: secure messages can be sealed and opened.
    Agreed(Box<Session>),
    /// Agreement failed; the text says why. Secure messages are off for this chat.
    Failed(String),
}

/// What the reader thread should do after a key event.
#[derive(Debug)]
pub enum KeyStep {
    /// Send this to the server (our `key_param`).
    Send(Command),
    /// The key is agreed; show this safety code.
    Agreed(String),
    /// The agreement failed; show this reason.
    Failed(String),
}

impl Keys {
    /// The server asked for keys in the group named `group` for the chat numbered `chat`.
    pub fn start(&mut self, group: &str, chat: Option<u64>) -> KeyStep {
        // The original server sent a bare `GEN_KEYS`: its group was n = 1999, g = 1777.
        let group = if group.is_empty() { "toy" } else { group };
        match group.parse::<Group>() {
            Ok(group) => {
                let pair = KeyPair::generate(group);
                let value = pair.public();
                // The chat number ties our answer to this chat (an original server sends none).
                let command = Command::KeyParam(match chat {
                    Some(chat) => format!("{chat} {value}"),
                    None => value.to_string(),
                });
                *self = Keys::Waiting(pair);
                KeyStep::Send(command)
            }
            Err(err) => self.fail(format!(
                "this client cannot use the server's key group: {err}"
            )),
        }
    }

    /// The partner's public value arrived.
    pub fn finish(&mut self, value: &str) -> KeyStep {
        let Keys::Waiting(pair) = std::mem::take(self) else {
            return self.fail("a key_param arrived that this client did not ask for".into());
        };
        match PublicValue::parse(pair.group(), value) {
            Ok(peer) => {
                let secret = pair.agree(&peer);
                let session = Session::new(pair.group(), pair.public(), &peer, &secret);
                let code = session.safety_code();
                *self = Keys::Agreed(Box::new(session));
                KeyStep::Agreed(code)
            }
            Err(err) => self.fail(describe(err)),
        }
    }

    fn fail(&mut self, reason: String) -> KeyStep {
        *self = Keys::Failed(reason.clone());
        KeyStep::Failed(reason)
    }

    /// Why `secure:` cannot be used now, or `None` if it can.
    pub fn unavailable(&self) -> Option<String> {
        match self {
            Keys::Agreed(_) => None,
            Keys::None => Some("no key is agreed: connect to someone first".into()),
            Keys::Waiting(_) => Some("the key is still being agreed; try again in a moment".into()),
            Keys::Failed(reason) => Some(format!("key agreement failed ({reason})")),
        }
    }
}

fn describe(err: DhError) -> String {
    format!("the partner's public value was refused: {err}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The original server's bare `GEN_KEYS` means its toy group, answered without a chat
    /// number; ours names the group and the chat.
    #[test]
    fn answers_name_the_chat_when_the_server_does() {
        let mut keys = Keys::default();
        let KeyStep::Send(Command::KeyParam(bare)) = keys.start("", None) else {
            panic!("a bare GEN_KEYS must be answered");
        };
        assert!(PublicValue::parse(Group::Toy, &bare).is_ok(), "{bare}");
        let KeyStep::Send(Command::KeyParam(numbered)) = keys.start("ffdhe2048", Some(7)) else {
            panic!("GEN_KEYS ffdhe2048 7 must be answered");
        };
        let (chat, value) = numbered.split_once(' ').expect("chat and value");
        assert_eq!(chat, "7");
        assert!(PublicValue::parse(Group::Ffdhe2048, value).is_ok());
        assert!(matches!(keys.start("rot13", Some(8)), KeyStep::Failed(_)));
    }
}
