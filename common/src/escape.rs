//! Makes text that came from another person safe to print on a terminal.
//!
//! A chat message or a user name could carry escape sequences that clear the partner's screen,
//! move the cursor to forge a `(server):` line, or reorder text with bidirectional overrides.
//! The client passes everything a peer wrote through [`escape_for_terminal`] before printing it.

use std::borrow::Cow;
use std::fmt::Write;

/// Returns `text` with every control, bidi-formatting or invisible character replaced by a
/// visible escape.
///
/// C0 controls, DEL and C1 controls become `\x1b`-style escapes (tab becomes `\t`); Unicode
/// bidirectional marks, overrides and isolates, and characters that print as nothing (zero
/// width space, word joiner, byte order mark, soft hyphen, Hangul fillers, tag characters: see
/// [`is_hidden`]) become `\u{202e}`-style escapes, so `Lab A` and `Lab A\u{200b}` look
/// different. Printable text, including non-ASCII letters and emoji (with their joiners and
/// variation selectors), is returned unchanged and without allocating.
///
/// ```
/// assert_eq!(common::escape::escape_for_terminal("hi\x1b[2J"), "hi\\x1b[2J");
/// assert_eq!(common::escape::escape_for_terminal("héllo"), "héllo");
/// ```
pub fn escape_for_terminal(text: &str) -> Cow<'_, str> {
    // Printable ASCII, most chat text, is checked a byte at a time: a client reads every line
    // of a partner's flood through here.
    if text.bytes().all(|b| (b' '..=b'~').contains(&b)) || !text.chars().any(needs_escape) {
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
    c.is_control() || is_hidden(c)
}

/// Characters that change how text reads without showing: bidi marks, overrides and isolates,
/// and format characters that print as nothing. Left out on purpose, because real text needs
/// them: the zero width joiner and non-joiner (emoji sequences, Persian), variation selectors
/// (emoji presentation), and a few script-specific joiners.
pub fn is_hidden(c: char) -> bool {
    matches!(c,
        '\u{00ad}' // soft hyphen
        | '\u{061c}' // Arabic letter mark
        | '\u{115f}' | '\u{1160}' | '\u{3164}' | '\u{ffa0}' // Hangul fillers
        | '\u{180e}' // Mongolian vowel separator
        | '\u{200b}' // zero width space
        | '\u{200e}' | '\u{200f}' // left-to-right and right-to-left marks
        | '\u{202a}'..='\u{202e}' // bidi embeddings and overrides
        | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
        | '\u{2066}'..='\u{206f}' // bidi isolates, deprecated format characters
        | '\u{feff}' // zero width no-break space (byte order mark)
        | '\u{1bca0}'..='\u{1bca3}' // shorthand format controls
        | '\u{1d173}'..='\u{1d17a}' // musical format controls
        | '\u{e0000}'..='\u{e00ff}' // tag characters
    )
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
            ("Lab A\u{200b}", "Lab A\\u{200b}"),
            ("Lab A\u{61c}", "Lab A\\u{61c}"),
            ("wj\u{2060}bom\u{feff}", "wj\\u{2060}bom\\u{feff}"),
            ("tag\u{e0041}", "tag\\u{e0041}"),
            ("\u{3164}", "\\u{3164}"),
            // Joiners and variation selectors that emoji and scripts need stay as they are.
            (
                "👩\u{200d}💻 ❤\u{fe0f} می\u{200c}خواهم",
                "👩\u{200d}💻 ❤\u{fe0f} می\u{200c}خواهم",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(escape_for_terminal(input), want, "input {input:?}");
        }
    }
}
