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

/// True if `line` is a `secure:` command, in any spelling [`Input::parse`] knows.
pub fn is_secure(line: &str) -> bool {
    matches!(Input::parse(line), Input::Secure(_))
}

/// One typed line per line of a multi-line entry. From its first `secure:` line on, an entry
/// stays secret to its end: every following line is sealed too, never sent as plain chat.
pub fn split_entry(entry: &str) -> Vec<String> {
    let mut secret = false;
    entry
        .split(['\n', '\r'])
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let sealed = is_secure(line);
            let typed = if secret && !sealed {
                format!("secure: {line}")
            } else {
                line.to_string()
            };
            secret |= sealed;
            typed
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pasted entry that starts with `secure:` is sealed line by line, to its end.
    #[test]
    fn a_secure_entry_stays_secure_to_its_end() {
        assert_eq!(
            split_entry("secure: a\nb\r\nsecure: c\n"),
            ["secure: a", "secure: b", "secure: c"]
        );
        assert_eq!(split_entry("hi\nclose"), ["hi", "close"]);
        assert_eq!(
            split_entry("  \nnote\nsecure: pin is\n1234"),
            ["note", "secure: pin is", "secure: 1234"]
        );
        assert_eq!(split_entry("\n"), Vec::<String>::new());
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
