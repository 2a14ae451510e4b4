//! How eve's rows look on a projector: long numbers shortened as `client --explain` shortens
//! them ([`crate::chat::explain::short`]), and each row broken between words at the
//! terminal's width with a hanging indent, by the client's own wrapper
//! ([`crate::terminal::wrap`]), which never breaks a safety code. Pure: a row in, rows out.
//!
//! Piped output (a log, a test) is shortened but not wrapped: one row is one line.

use crate::chat::explain;
use crate::terminal::wrap;
use std::time::Duration;
use unicode_width::UnicodeWidthStr;

/// A word longer than this (a commitment's 64 hex digits, a sealed message's base64) is
/// shortened too, unless `--full`.
const LONG_WORD: usize = 40;

/// The hanging indent of a row whose label is too long to indent under.
const WIRE_INDENT: usize = 4;

/// The most a label (`  eve (middle): `) may indent the rows after the first.
const MAX_LABEL_INDENT: usize = 24;

/// The narrowest terminal eve wraps for.
const MIN_WIDTH: usize = 30;

/// How eve lays out what it prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Columns to wrap at; `None`: not a terminal, one row per line.
    pub width: Option<usize>,
    /// `--full`: long numbers and words printed whole.
    pub full: bool,
}

impl Layout {
    /// The layout for stdout: wrapped at the terminal's width if it is a terminal (80 when the
    /// terminal does not say, as a pty nobody sized reports 0x0), not wrapped in a pipe.
    pub fn for_stdout(full: bool) -> Layout {
        use std::io::IsTerminal;
        let width = std::io::stdout().is_terminal().then(|| {
            let columns = crossterm::terminal::size().map_or(0, |(columns, _)| columns);
            width_of(columns)
        });
        Layout { width, full }
    }

    /// `row` as eve prints it: shortened unless `--full`, then wrapped.
    pub fn rows(&self, row: &str) -> Vec<String> {
        let row = if self.full {
            row.to_string()
        } else {
            shorten(row)
        };
        match self.width {
            Some(width) => hang(&row, width),
            None => vec![row],
        }
    }
}

/// The width to wrap at on a terminal `columns` wide: 80 when it says 0 (unknown).
pub fn width_of(columns: u16) -> usize {
    match columns {
        0 => wrap::NOTICE_WIDTH,
        columns => usize::from(columns).max(MIN_WIDTH),
    }
}

/// Every decimal number of more than 24 digits as `--explain` shows it
/// (`259893903009...006866 (617 digits)`), and every other word over 40 characters as its
/// first 16 and how long it is. Spacing is kept.
pub fn shorten(row: &str) -> String {
    row.split(' ')
        .map(|word| {
            if word.len() > 24 && word.bytes().all(|b| b.is_ascii_digit()) {
                explain::short(word)
            } else if word.chars().count() > LONG_WORD {
                let head: String = word.chars().take(16).collect();
                format!("{head}... ({} characters)", word.chars().count())
            } else {
                word.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `row` broken between words into rows of at most `width` columns; the rows after the first
/// hang under the text after the row's label (`  eve: `, `[alice -> server] `), or are
/// indented by 4 when the label is long.
pub fn hang(row: &str, width: usize) -> Vec<String> {
    match label_end(row) {
        Some(end) => wrap::wrap(&row[..end], &row[end..], width),
        None => {
            // Wrapped as if every row were indented, then the first one is not.
            let pad = " ".repeat(WIRE_INDENT);
            let mut rows = wrap::wrap(&pad, row, width);
            if let Some(first) = rows.first_mut() {
                *first = first[WIRE_INDENT..].to_string();
            }
            rows
        }
    }
}

/// Where the label of `row` ends (after `] ` of a line that crossed the wire, or after the
/// first `: `), if it is short enough to indent under.
fn label_end(row: &str) -> Option<usize> {
    let end = if row.starts_with('[') {
        row.find("] ")? + 2
    } else {
        row.find(": ")? + 2
    };
    let label = &row[..end];
    (label.width() <= MAX_LABEL_INDENT && !label.contains('"')).then_some(end)
}

/// A duration as a person reads it: `1.3 ms`, `0.42 ms`, `2.5 s`.
pub fn duration(took: Duration) -> String {
    let ms = took.as_secs_f64() * 1000.0;
    if ms < 1.0 {
        format!("{ms:.2} ms")
    } else if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.1} s", ms / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_numbers_are_shortened_as_explain_does() {
        let value = "259893903009".to_string() + &"1".repeat(599) + "006866";
        assert_eq!(value.len(), 617);
        assert_eq!(
            shorten(&format!("[alice -> server] key_param 7 {value}")),
            "[alice -> server] key_param 7 259893903009...006866 (617 digits)"
        );
        let hex = "ab".repeat(32);
        assert_eq!(
            shorten(&format!("key_commit 7 {hex}")),
            "key_commit 7 abababababababab... (64 characters)"
        );
        assert_eq!(shorten("  two  spaces 1999"), "  two  spaces 1999");
    }

    /// No row is wider than the terminal, none breaks a word, and a safety code stays on one
    /// row; rows after the first hang under the label.
    #[test]
    fn rows_hang_under_their_label() {
        let row = "  eve (middle): alice_with_a_rather_long_name will see the safety code \
                   0839 8818 1120, and bob will see another one";
        let rows = hang(row, 80);
        assert_eq!(
            rows,
            [
                "  eve (middle): alice_with_a_rather_long_name will see the safety code",
                "                0839 8818 1120, and bob will see another one",
            ]
        );
        let wire = "[alice -> server] ".to_string() + &"word ".repeat(30);
        let rows = hang(wire.trim_end(), 80);
        assert!(rows.iter().all(|r| r.width() <= 80), "{rows:#?}");
        assert!(
            rows[1..]
                .iter()
                .all(|r| r.starts_with(&format!("{}word", " ".repeat(18)))),
            "{rows:#?}"
        );
        let long = format!("[{} -> server] ", "n".repeat(32)) + &"word ".repeat(30);
        let rows = hang(long.trim_end(), 80);
        assert!(rows.iter().all(|r| r.width() <= 80), "{rows:#?}");
        assert!(rows[0].starts_with("[nnn"), "{rows:#?}");
        assert!(
            rows[1..].iter().all(|r| r.starts_with("    word")),
            "{rows:#?}"
        );
    }

    #[test]
    fn widths_and_durations() {
        assert_eq!(width_of(0), 80);
        assert_eq!(width_of(120), 120);
        assert_eq!(width_of(10), 30);
        assert_eq!(duration(Duration::from_micros(1_329)), "1.3 ms");
        assert_eq!(duration(Duration::from_micros(420)), "0.42 ms");
        assert_eq!(duration(Duration::from_micros(25)), "0.03 ms");
        assert_eq!(duration(Duration::from_millis(2_540)), "2.5 s");
    }
}
