//! Makes text that came from another person safe to print on a terminal.
//!
//! A chat message or a user name could carry escape sequences that clear the partner's screen,
//! move the cursor to forge a `(server):` line, or reorder text with bidirectional overrides.
//! The client passes everything a peer wrote through [`escape_for_terminal`] before printing it.

use std::borrow::Cow;
use std::fmt::Write;

/// Returns `text` with every control or bidi-formatting character replaced by a visible escape.
///
/// C0 controls, DEL and C1 controls become `\x1b`-style escapes (tab becomes `\t`); Unicode
/// bidirectional overrides and isolates become `\u{202e}`-style escapes. Printable text, including
/// non-ASCII letters and emoji, is returned unchanged and without allocating.
///
/// ```
/// assert_eq!(common::escape::escape_for_terminal("hi\x1b[2J"), "hi\\x1b[2J");
/// assert_eq!(common::escape::escape_for_terminal("héllo"), "héllo");
/// ```
pub fn escape_for_terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !needs_escape(c) {
            out.push(c);
        } else if c == '\t' {
            out.push_str("\\t");
        } else if (c as u32) < 0x100 {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::escape_for_terminal;

    #[test]
    fn escapes_controls_and_bidi_but_keeps_text() {
        let cases = [
            ("plain text", "plain text"),
            ("\x1b[2J\x1b[H(server): hi", "\\x1b[2J\\x1b[H(server): hi"),
            ("a\rb", "a\\x0db"),
            ("nul\0", "nul\\x00"),
            ("tab\there", "tab\\there"),
            ("del\x7f", "del\\x7f"),
            ("c1\u{9b}31m", "c1\\x9b31m"),
            ("rtl\u{202e}txt", "rtl\\u{202e}txt"),
            ("ünïcødé 😀", "ünïcødé 😀"),
        ];
        for (input, want) in cases {
            assert_eq!(escape_for_terminal(input), want, "input {input:?}");
        }
    }
}
