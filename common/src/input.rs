//! What a person typed at the client's keyboard, as a typed value.
//!
//! This is not the wire: `key_param 12` typed by a person is chat text, not a protocol line,
//! and `verify` or `help` never leave the client. The client turns an [`Input`] into zero or
//! more [`Command`](crate::protocol::Command)s.

/// One line typed by the person at the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// `status`
    Status,
    /// `connect <user>` (the user may be empty; the client then shows the usage).
    Connect(String),
    /// `goodbye`
    Goodbye,
    /// `close`
    Close,
    /// `help`
    Help,
    /// `verify`: show the safety code of the current chat's key again.
    Verify,
    /// `secure: <message>`
    Secure(String),
    /// Anything else: a chat message, sent exactly as typed.
    Message(String),
}

impl Input {
    /// Reads one typed line (without its line ending).
    ///
    /// `secure:` is recognised generously (leading spaces, any case, a space before the
    /// colon): a person who meant a secret must never have it sent as plain chat because of a
    /// stray space or a capital letter.
    pub fn parse(line: &str) -> Input {
        if let Some(text) = secure_text(line) {
            return Input::Secure(text.strip_prefix(' ').unwrap_or(text).to_string());
        }
        let trimmed = line.trim();
        match trimmed.split_once(char::is_whitespace) {
            None => match trimmed {
                "status" => Input::Status,
                "goodbye" => Input::Goodbye,
                "close" => Input::Close,
                "help" => Input::Help,
                "verify" => Input::Verify,
                "connect" => Input::Connect(String::new()),
                _ => Input::Message(line.to_string()),
            },
            Some(("connect", user)) => Input::Connect(user.trim().to_string()),
            Some(_) => Input::Message(line.to_string()),
        }
    }
}

/// The text after `secure:` if `line` is a secure command in any spelling a person might type.
///
/// Leading spaces and invisible marks a paste can bring (byte-order mark, zero-width space) are
/// skipped, and a fullwidth colon (from CJK input methods) counts as a colon.
fn secure_text(line: &str) -> Option<&str> {
    let start = line
        .trim_start_matches(|c: char| c.is_whitespace() || matches!(c, '\u{feff}' | '\u{200b}'));
    let word = start.get(..6)?;
    if !word.eq_ignore_ascii_case("secure") {
        return None;
    }
    let rest = start[6..].trim_start();
    rest.strip_prefix(':').or_else(|| rest.strip_prefix('：'))
}

#[cfg(test)]
mod tests {
    use super::Input;

    #[test]
    fn typed_lines() {
        let cases = [
            ("status", Input::Status),
            (" status ", Input::Status),
            ("goodbye", Input::Goodbye),
            ("close", Input::Close),
            ("help", Input::Help),
            ("verify", Input::Verify),
            ("connect bob", Input::Connect("bob".into())),
            ("connect", Input::Connect("".into())),
            ("secure: hi there", Input::Secure("hi there".into())),
            ("secure:x", Input::Secure("x".into())),
            (
                " secure: the door code",
                Input::Secure("the door code".into()),
            ),
            ("Secure: pin 1234", Input::Secure("pin 1234".into())),
            ("SECURE : x", Input::Secure("x".into())),
            ("securely done", Input::Message("securely done".into())),
            ("secure：x", Input::Secure("x".into())),
            ("\u{feff}secure: x", Input::Secure("x".into())),
            ("secure", Input::Message("secure".into())),
            ("key_param 12", Input::Message("key_param 12".into())),
            ("GEN_KEYS", Input::Message("GEN_KEYS".into())),
            ("msg hi", Input::Message("msg hi".into())),
            ("  hello  ", Input::Message("  hello  ".into())),
            ("", Input::Message("".into())),
        ];
        for (line, want) in cases {
            assert_eq!(Input::parse(line), want, "line {line:?}");
        }
    }
}
