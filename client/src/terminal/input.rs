//! Where typed lines come from: plain lines from a pipe ([`Piped`]), or the line editor at a
//! terminal ([`LineEditor`](crate::terminal::line_editor::LineEditor)); and how a pasted
//! multi-line entry becomes lines.

use common::input::Input;
use std::io::BufRead;

/// What the person did at the keyboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typed {
    /// A line, without its line ending.
    Line(String),
    /// End of input: the pipe closed, or Ctrl+D on an empty line.
    End,
    /// Ctrl+C in the line editor (in raw mode it is a key, not a signal).
    Interrupt,
    /// The client is exiting and asked the editor to stop.
    Stopped,
}

/// A source of typed lines.
pub trait LineSource {
    /// Waits for the next thing the person does.
    fn next(&mut self) -> Typed;
}

impl<S: LineSource + ?Sized> LineSource for Box<S> {
    fn next(&mut self) -> Typed {
        (**self).next()
    }
}

/// Plain lines from a pipe or file: no prompt, no escape codes.
#[derive(Debug)]
pub struct Piped<R>(pub R);

impl<R: BufRead> LineSource for Piped<R> {
    fn next(&mut self) -> Typed {
        let mut bytes = Vec::new();
        match self.0.read_until(b'\n', &mut bytes) {
            Ok(0) | Err(_) => Typed::End,
            Ok(_) => {
                if bytes.last() == Some(&b'\n') {
                    bytes.pop();
                }
                if bytes.last() == Some(&b'\r') {
                    bytes.pop();
                }
                Typed::Line(String::from_utf8_lossy(&bytes).into_owned())
            }
        }
    }
}

/// True if `line` is a `secure:` command, in any spelling [`Input::parse`] knows, with its
/// message or without one (`secure:` and spaces, then the message on the next pasted line).
pub fn is_secure(line: &str) -> bool {
    Input::parse(line).is_secure()
}

/// One typed line per non-empty line of a multi-line entry with no `secure:` line in it (see
/// [`sealed_entries`] for one that has).
pub fn split_entry(entry: &str) -> Vec<String> {
    entry
        .split(['\n', '\r'])
        .filter(|line| !line.trim().is_empty())
        .map(String::from)
        .collect()
}

/// The entries the lines of a paste make when one of them is a `secure:` line: each non-empty
/// line before it its own, and from it to the end one entry, a multi-line secure message that
/// is sealed whole or refused whole. Never a line of it left to go out in plain. `None` when
/// no line is a `secure:` line.
pub fn sealed_entries(rows: &[String]) -> Option<Vec<String>> {
    let secret = rows.iter().position(|row| is_secure(row))?;
    let mut entries: Vec<String> = rows[..secret]
        .iter()
        .filter(|row| !row.trim().is_empty())
        .cloned()
        .collect();
    let mut sealed = &rows[secret..];
    while let [rest @ .., last] = sealed {
        if !last.trim().is_empty() {
            break;
        }
        sealed = rest;
    }
    entries.push(sealed.join("\n"));
    Some(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A paste's lines are entries of their own, empty ones dropped.
    #[test]
    fn plain_lines_are_entries_of_their_own() {
        assert_eq!(split_entry("hi\nclose"), ["hi", "close"]);
        assert_eq!(split_entry("  \nnote\r\nmore"), ["note", "more"]);
        assert_eq!(split_entry("\n"), Vec::<String>::new());
    }

    /// From the first `secure:` line on, a paste is one secure message, to its end.
    #[test]
    fn a_secure_paste_is_one_message_to_its_end() {
        let rows = |text: &str| text.split('\n').map(String::from).collect::<Vec<_>>();
        assert_eq!(
            sealed_entries(&rows("note\n\nsecure: pin is\n1234\n\n")),
            Some(vec!["note".to_string(), "secure: pin is\n1234".to_string()])
        );
        assert_eq!(
            sealed_entries(&rows("secure: a\nb\nsecure: c")),
            Some(vec!["secure: a\nb\nsecure: c".to_string()])
        );
        assert_eq!(sealed_entries(&rows("hi\nthere")), None);
        // A `secure:` with nothing after it on its line still seals the lines under it.
        assert_eq!(
            sealed_entries(&rows("secure:   \n4711")),
            Some(vec!["secure:   \n4711".to_string()])
        );
    }

    #[test]
    fn piped_lines_lose_their_endings_and_end_at_eof() {
        let mut piped = Piped(&b"status\r\nconnect bob\n\nlast"[..]);
        let lines: Vec<Typed> = std::iter::from_fn(|| Some(piped.next())).take(5).collect();
        assert_eq!(
            lines,
            [
                Typed::Line("status".into()),
                Typed::Line("connect bob".into()),
                Typed::Line("".into()),
                Typed::Line("last".into()),
                Typed::End,
            ]
        );
    }
}
