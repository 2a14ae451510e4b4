//! What the line editor asks of the chat: the prompt's words, and which entered lines are held
//! once instead of sent.

use crate::chat::state::Shared;
use crate::terminal::line_editor::{Conversation, Hold};
use common::input::Input;
use common::protocol::Name;
use std::sync::Arc;

/// The chat as the line editor sees it.
#[derive(Debug)]
pub struct ChatPrompt(pub Arc<Shared>);

impl Conversation for ChatPrompt {
    fn prompt(&self) -> String {
        let state = self.0.lock();
        // While the name is sent again after a reconnect, it is still the person's.
        let name = state.name.as_ref().or(state.rejoining.as_ref());
        prompt_text(name, state.partner.as_ref())
    }

    fn moment(&self) -> u64 {
        self.0.lock().chat_changes
    }

    /// Held once, with a note, and sent by Enter again: a message begun in another chat (see
    /// `held_for`), and in a chat a word like `quit` that someone used to other programs
    /// types to leave (see [`QUIT_WORDS`]). Outside a chat such a word would only be refused:
    /// it is cleared, and the note says what to type.
    fn hold(&self, line: &str, begun: Option<u64>, again: bool) -> Option<Hold> {
        let (now, partner) = {
            let state = self.0.lock();
            (state.chat_changes, state.partner.clone())
        };
        if let Some(partner) = held_for(line, begun, now, partner.as_ref()) {
            return Some(Hold {
                note: format!("not sent: typed before this chat; Enter sends it to {partner}"),
                keep: true,
            });
        }
        if !is_quit_word(line) || again {
            return None;
        }
        Some(match &partner {
            Some(partner) => Hold {
                note: format!(
                    "not sent: close leaves, goodbye ends the chat; Enter sends it to {partner}"
                ),
                keep: true,
            },
            None => Hold {
                note: "not sent: to leave, type close or press Ctrl+D".to_string(),
                keep: false,
            },
        })
    }
}

/// The prompt's text before the `> `: where you are.
///
/// ```text
/// name        before the server accepted a name
/// alice       registered, not in a chat
/// alice -> bob  in a chat with bob
/// ```
pub fn prompt_text(name: Option<&Name>, partner: Option<&Name>) -> String {
    match (name, partner) {
        (None, _) => "name".into(),
        (Some(name), None) => name.to_string(),
        (Some(name), Some(partner)) => format!("{name} -> {partner}"),
    }
}

/// What people type to leave other programs. In a chat the server would send them to the
/// partner as text, so they are held once with a hint about `close` and `goodbye`.
pub const QUIT_WORDS: [&str; 7] = ["quit", "exit", "/quit", "/exit", "/close", "/q", ":q"];

/// True for a line that is one of [`QUIT_WORDS`], in any case.
fn is_quit_word(text: &str) -> bool {
    let text = text.trim();
    QUIT_WORDS.iter().any(|w| w.eq_ignore_ascii_case(text))
}

/// The partner a line would wrongly go to: `Some` when `text` is a message (plain or secure)
/// begun while the chat count was `begun_in`, the count is now `now` (a chat started or ended
/// since), and there is a partner now. Commands are never held.
fn held_for<'a>(
    text: &str,
    begun_in: Option<u64>,
    now: u64,
    partner: Option<&'a Name>,
) -> Option<&'a Name> {
    let message = match Input::parse(text) {
        Input::Message(text) | Input::Secure(text) => !text.trim().is_empty(),
        _ => false,
    };
    (message && begun_in.is_some_and(|begun| begun != now)).then_some(partner?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::state::State;

    #[test]
    fn quit_words_are_recognised_in_any_case() {
        assert!(is_quit_word(" QUIT "));
        assert!(is_quit_word("/quit"));
        assert!(!is_quit_word("quit it"));
        assert!(!is_quit_word("bye"));
    }

    /// Only a message begun in another chat, with someone to receive it now, is held.
    #[test]
    fn a_message_begun_in_another_chat_is_held() {
        let carol = Name::parse("carol").unwrap();
        let carol = Some(&carol);
        assert_eq!(held_for("hi", Some(1), 3, carol), carol);
        assert_eq!(held_for("secure: pin", Some(1), 3, carol), carol);
        assert_eq!(held_for("hi", Some(3), 3, carol), None);
        assert_eq!(held_for("hi", None, 3, carol), None);
        assert_eq!(held_for("hi", Some(1), 3, None), None);
        assert_eq!(held_for("status", Some(1), 3, carol), None);
        assert_eq!(held_for("goodbye", Some(1), 3, carol), None);
    }

    /// Outside a chat, `quit` is cleared from the prompt: typing `close` as the note says
    /// then sends `close`, not `quitclose`. In a chat it stays, for Enter to send it.
    #[test]
    fn a_quit_word_outside_a_chat_is_cleared() {
        let shared = Arc::new(Shared::new(State::new(false, false)));
        let chat = ChatPrompt(Arc::clone(&shared));
        let hold = chat.hold("quit", None, false).expect("held");
        assert!(!hold.keep, "{hold:?}");
        assert!(hold.note.contains("type close"), "{hold:?}");
        shared.lock().start_chat(Name::parse("bob").unwrap());
        let hold = chat.hold("quit", None, false).expect("held");
        assert!(hold.keep, "{hold:?}");
        assert_eq!(chat.hold("quit", None, true), None);
    }

    #[test]
    fn the_prompt_says_where_you_are() {
        let alice = Name::parse("alice").unwrap();
        let bob = Name::parse("bob").unwrap();
        assert_eq!(prompt_text(None, None), "name");
        assert_eq!(prompt_text(Some(&alice), None), "alice");
        assert_eq!(prompt_text(Some(&alice), Some(&bob)), "alice -> bob");
    }
}
