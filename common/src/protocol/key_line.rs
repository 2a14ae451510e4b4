//! The two key-agreement lines a client sends, `key_commit <chat> <commitment>` and
//! `key_param <chat> <number>`: their grammar, shared by the server (which forwards them) and
//! every client (which writes them).
//!
//! The server only checks the shape: a chat number, one space, then 64 lowercase hex digits
//! (a commitment) or a decimal number (a public value). Whether the value is any good is the
//! partner client's business; the server forwards it as `key_commit <commitment>` or
//! `key_param <number>`.

use super::{Command, ServerLine};

/// Which of the two key-agreement lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyLine {
    /// `key_commit`: a hash of the public value, sent first.
    Commit,
    /// `key_param`: the public value itself, sent once the partner's commitment arrived.
    Param,
    /// `key_proof`: the sealed proof of identity, sent once the key is agreed (only in a chat
    /// whose `GEN_KEYS` said `identity`).
    Proof,
}

/// A client's key-agreement line taken apart: `<chat> <value>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyOffer<'a> {
    /// The chat number from `GEN_KEYS <group> <chat>`.
    pub chat: u64,
    /// The commitment or public value, as written.
    pub value: &'a str,
}

impl KeyLine {
    /// The line's first word.
    pub fn word(self) -> &'static str {
        match self {
            KeyLine::Commit => "key_commit",
            KeyLine::Param => "key_param",
            KeyLine::Proof => "key_proof",
        }
    }

    /// Reads `<chat> <value>` (the text after the word), or `None` if it does not have that
    /// shape: the server then treats the whole line as chat text.
    ///
    /// ```text
    /// key_commit 7 3f1c...e0      64 lowercase hex digits
    /// key_param 7 1234            a decimal number without leading zeros
    /// ```
    pub fn offer(self, rest: &str) -> Option<KeyOffer<'_>> {
        let (chat, value) = rest.split_once(' ')?;
        let chat = chat_number(chat)?;
        let well_formed = match self {
            KeyLine::Commit => {
                value.len() == 64
                    && value
                        .bytes()
                        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            }
            KeyLine::Param => canonical_decimal(value),
            KeyLine::Proof => crate::identity::proof::is_proof_payload(value),
        };
        well_formed.then_some(KeyOffer { chat, value })
    }

    /// The client's line for `chat`: `key_commit <chat> <value>` or `key_param <chat> <value>`.
    pub fn command(self, chat: u64, value: &str) -> Command {
        let text = format!("{chat} {value}");
        match self {
            KeyLine::Commit => Command::KeyCommit(text),
            KeyLine::Param => Command::KeyParam(text),
            KeyLine::Proof => Command::KeyProof(text),
        }
    }

    /// What the partner receives: `key_commit <value>` or `key_param <value>`.
    pub fn forwarded(self, value: &str) -> ServerLine {
        match self {
            KeyLine::Commit => ServerLine::KeyCommit(value.to_string()),
            KeyLine::Param => ServerLine::KeyParam(value.to_string()),
            KeyLine::Proof => ServerLine::KeyProof(value.to_string()),
        }
    }
}

/// A chat number as the wire spells it, in `GEN_KEYS <group> <chat>` and in the key lines:
/// digits only, no sign, no leading zero (`0` itself aside), at most 2^64 - 1. `None` for any
/// other spelling (`07`, `+7`, `18446744073709551616`), so a number has exactly one spelling
/// and the text hashed into a commitment is the text on the wire.
pub(crate) fn chat_number(text: &str) -> Option<u64> {
    canonical_decimal(text).then(|| text.parse::<u64>().ok())?
}

/// Digits only, no sign, no leading zero.
fn canonical_decimal(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only `<chat> <value>` of the right shape is an offer; anything else is chat text.
    #[test]
    fn offers_and_non_offers() {
        let hex = "0123456789abcdef".repeat(4);
        let commit = format!("7 {hex}");
        assert_eq!(
            KeyLine::Commit.offer(&commit),
            Some(KeyOffer {
                chat: 7,
                value: &hex
            })
        );
        assert_eq!(
            KeyLine::Param.offer("12 345"),
            Some(KeyOffer {
                chat: 12,
                value: "345"
            })
        );
        for bad in [
            "",
            "345",
            "12",
            "12 ",
            "x 345",
            "012 345",
            "12 0345",
            "12 345 6",
            "12  345",
            "-1 345",
            "18446744073709551616 5",
        ] {
            assert_eq!(KeyLine::Param.offer(bad), None, "{bad:?}");
        }
        for bad in [
            format!("7 {}", hex.to_uppercase()),
            format!("7 {}", &hex[1..]),
            format!("7 {hex}0"),
            format!("7 {hex} "),
            hex.clone(),
        ] {
            assert_eq!(KeyLine::Commit.offer(&bad), None, "{bad:?}");
        }
    }

    /// One spelling per chat number, and the range of a u64.
    #[test]
    fn chat_numbers() {
        for (text, number) in [
            ("0", Some(0)),
            ("7", Some(7)),
            ("18446744073709551615", Some(u64::MAX)),
            ("07", None),
            ("00", None),
            ("+7", None),
            ("-7", None),
            (" 7", None),
            ("7 ", None),
            ("", None),
            ("18446744073709551616", None),
            ("99999999999999999999999", None),
            ("٧", None),
        ] {
            assert_eq!(chat_number(text), number, "{text:?}");
        }
    }

    /// What a client writes is an offer, and what the partner gets is the value alone.
    #[test]
    fn command_and_forwarded_lines() {
        assert_eq!(
            KeyLine::Param.command(9, "1234").to_string(),
            "key_param 9 1234"
        );
        assert_eq!(
            KeyLine::Commit.command(9, "ab").to_string(),
            "key_commit 9 ab"
        );
        assert_eq!(KeyLine::Commit.forwarded("ab").to_string(), "key_commit ab");
        assert_eq!(KeyLine::Param.forwarded("12").to_string(), "key_param 12");
        assert_eq!(
            KeyLine::Proof.command(9, "ab.cd").to_string(),
            "key_proof 9 ab.cd"
        );
        assert_eq!(
            KeyLine::Proof.offer("9 ab.cd").map(|o| o.value),
            Some("ab.cd")
        );
        assert_eq!(KeyLine::Proof.offer("9 abcd"), None);
        assert_eq!(
            KeyLine::Proof.forwarded("ab.cd").to_string(),
            "key_proof ab.cd"
        );
    }
}
