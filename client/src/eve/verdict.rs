//! The few rows eve prints when a chat ends: what the class should take away from it, short
//! enough to stay on a 24-row projector screen after the chat's lines have scrolled by.

use crate::eve::layout::duration;
use crate::eve::watch::Chat;
use common::dh::Group;

/// The verdict on a chat that ended: `codes` are the safety codes eve's keys gave each client
/// (by connection) when eve sat in the middle, empty when she only watched.
pub(super) fn verdict(
    chat_no: u64,
    chat: &Chat,
    in_middle: bool,
    codes: &[(usize, String)],
) -> String {
    let name = |conn: usize| {
        chat.people
            .iter()
            .find(|(c, _)| *c == conn)
            .map_or_else(|| format!("connection {conn}"), |(_, n)| n.clone())
    };
    let who = match chat.people.as_slice() {
        [(_, a), (_, b)] => format!("{a} and {b}'s chat"),
        _ => format!("chat {chat_no}"),
    };
    let group = chat.group.unwrap_or(Group::Toy);
    let t = chat.tally;
    let read = match t.sealed {
        0 => "no secure message went by".to_string(),
        n => format!("eve read {} of {}", t.opened, count(n, "secure message")),
    };
    let plain = match t.plain {
        0 => String::new(),
        n => format!(", and {} anyone could read", count(n, "plain message")),
    };
    let head = format!("eve: verdict on {who} ({group})");
    if !in_middle {
        return match (group, chat.cracked) {
            (Group::Toy, Some((x, took))) => format!(
                "{head}: the key fell in {} (x = {x}); {read}{plain}",
                duration(took)
            ),
            (Group::Toy, None) => {
                format!("{head}: no key agreement went by in full; {read}{plain}")
            }
            _ => format!("{head}: the key held; {read}{plain}"),
        };
    }
    // Eve cannot see the clients' pins, only that she asked them for no identity. What a
    // pinned pair sees is said only when both agreed a key with her: a client that refused
    // her value never gets as far as judging the identity.
    let stripped = !chat.identity_stripped.is_empty();
    let asked = if stripped {
        "; eve asked for no identity (she cannot sign as them)"
    } else {
        ""
    };
    let identity = if stripped {
        format!("{asked}: a pair who typed trust before sees \"identity changed\", secure: held")
    } else {
        String::new()
    };
    match codes {
        [(a, code_a), (b, code_b)] => {
            let same = code_a
                .chars()
                .zip(code_b.chars())
                .take_while(|(x, y)| x == y)
                .filter(|(x, _)| x.is_ascii_digit())
                .count();
            let codes = format!("{} was shown {code_a}, {} {code_b}", name(*a), name(*b));
            let compared = if code_a == code_b {
                "the same code: only a pinned identity or a commitment stops this".to_string()
            } else if same == 0 {
                "different codes, so reading them aloud catches eve".to_string()
            } else {
                format!(
                    "they agree in the first {}, so only comparing all 12 catches eve",
                    count(same as u32, "digit")
                )
            };
            format!("{head}: eve sat in the middle; {read}{plain}; {codes}: {compared}{identity}")
        }
        _ => format!(
            "{head}: eve sat in the middle, but not both clients agreed a key with her (a \
             client refused her value, so secure: is off, or left first); {read}{plain}{asked}"
        ),
    }
}

/// `n thing`, or `n things`.
fn count(n: u32, thing: &str) -> String {
    match n {
        1 => format!("1 {thing}"),
        n => format!("{n} {thing}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chat(stripped: bool) -> Chat {
        Chat {
            group: Some(Group::Ffdhe2048),
            people: vec![(0, "alice".into()), (1, "bob".into())],
            identity_stripped: if stripped { vec![0, 1] } else { Vec::new() },
            ..Chat::default()
        }
    }

    /// In the middle of clients that asked for identities, the verdict says eve asked for
    /// none, and what a pinned pair sees only when both agreed a key with her; without
    /// identities it says nothing of them.
    #[test]
    fn the_verdict_says_what_eve_did_about_identities() {
        let codes = [
            (0, "1111 2222 3333".to_string()),
            (1, "4444 5555 6666".to_string()),
        ];
        let agreed = verdict(7, &chat(true), true, &codes);
        assert!(agreed.contains("eve asked for no identity (she cannot sign as them)"));
        assert!(agreed.contains("a pair who typed trust before sees \"identity changed\""));
        let refused = verdict(7, &chat(true), true, &[]);
        assert!(refused.contains("eve asked for no identity"), "{refused}");
        assert!(!refused.contains("identity changed"), "{refused}");
        for plain in [
            verdict(7, &chat(false), true, &codes),
            verdict(7, &chat(false), true, &[]),
        ] {
            assert!(!plain.contains("identity"), "{plain}");
        }
    }
}
