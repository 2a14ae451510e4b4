//! Where typed lines come from: plain lines from a pipe, or a line editor at a terminal.
//!
//! The line editor is [reedline](https://docs.rs/reedline) (nushell's editor). It was chosen
//! over rustyline because its prompt is a trait object asked for its text on every redraw, so
//! the prompt can follow the conversation (`alice> ` becomes `alice -> bob> ` the moment the
//! chat starts, with no key pressed) while its external printer puts incoming lines above the
//! prompt and the half-typed line. rustyline fixes a pending `readline`'s prompt when the call
//! starts and offers no way to end that call from another thread.
//!
//! It is reedline 0.52, which needs Rust 1.95 (hence the client's `rust-version`). 0.49, the
//! newest for older compilers, counts one row per printed message and checks that count
//! against the cursor before flushing the messages: two lines arriving together make it scroll
//! a whole screen of blank rows (reedline issue #1005), and it redraws the prompt over the end
//! of a message that wrapped. Seen in tmux; 0.52 asks the terminal where the cursor is after
//! flushing.
//!
//! Keys are reedline's Emacs set: Up/Down history, Ctrl+A/E start/end of line, Ctrl+R search,
//! Ctrl+D on an empty line closes, Ctrl+C ends the chat and exits as in the original. History
//! lives in memory only: secure messages are typed in plain text and never go to disk.

use crate::state::State;
use crate::style::Palette;
use common::input::Input;
use common::protocol::Name;
use parking_lot::Mutex;
use reedline::{
    Color, ExternalPrinter, FileBackedHistory, Highlighter, Prompt, PromptEditMode,
    PromptHistorySearch, PromptHistorySearchStatus, Reedline, Signal, StyledText,
};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::io::{BufRead, Write};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

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

/// How often the editor looks for lines to print while waiting for a key.
const POLL: Duration = Duration::from_millis(20);

/// History kept for Up/Down, in memory only.
const HISTORY: usize = 500;

/// The line editor at a terminal.
pub struct LineEditor {
    editor: Reedline,
    prompt: ChatPrompt,
    /// Lines of a multi-line entry (Alt+Enter) not yet returned.
    pending: VecDeque<String>,
}

impl LineEditor {
    /// An editor whose prompt follows `state`, printing `printer`'s lines above the prompt,
    /// stopping when `stop` is set, in colour if `palette` says so.
    pub fn new(
        state: Arc<Mutex<State>>,
        printer: ExternalPrinter<String>,
        stop: Arc<AtomicBool>,
        palette: Palette,
    ) -> LineEditor {
        let history = FileBackedHistory::new(HISTORY)
            .expect("an in-memory history of a few hundred lines can be made");
        let editor = Reedline::create()
            .with_history(Box::new(history))
            .with_highlighter(Box::new(Unstyled))
            .with_external_printer(printer)
            .with_break_signal(stop)
            .with_poll_interval(POLL)
            .with_ansi_colors(palette.colour());
        LineEditor {
            editor,
            prompt: ChatPrompt { state },
            pending: VecDeque::new(),
        }
    }
}

impl LineSource for LineEditor {
    fn next(&mut self) -> Typed {
        if let Some(line) = self.pending.pop_front() {
            return Typed::Line(line);
        }
        match self.editor.read_line(&self.prompt) {
            // One wire line per typed line: a line break inside an entry must not smuggle a
            // second, raw line (`close`, `connect x`) past the `msg` prefix.
            Ok(Signal::Success(entry)) if entry.contains(['\n', '\r']) => {
                self.pending = split_entry(&entry).into();
                self.next()
            }
            Ok(Signal::Success(line)) => Typed::Line(line),
            Ok(Signal::CtrlD) => Typed::End,
            // The editor has already moved to a fresh line.
            Ok(Signal::CtrlC) => Typed::Interrupt,
            Ok(_) => {
                // Stopped from outside: the cursor is still on the prompt's line.
                newline();
                Typed::Stopped
            }
            // The terminal is gone (closed window): nothing more will be typed.
            Err(_) => Typed::End,
        }
    }
}

/// One typed line per line of a multi-line entry. From its first `secure:` line on, an entry
/// stays secret to its end: every following line is sealed too, never sent as plain chat.
fn split_entry(entry: &str) -> Vec<String> {
    let mut secret = false;
    entry
        .split(['\n', '\r'])
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let sealed = matches!(Input::parse(line), Input::Secure(_));
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

/// Ends the prompt's line so that what follows starts on a line of its own.
fn newline() {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(b"\r\n");
    let _ = out.flush();
}

/// `alice> ` or `alice -> bob> `, read from the shared state on every redraw.
struct ChatPrompt {
    state: Arc<Mutex<State>>,
}

impl Prompt for ChatPrompt {
    fn render_prompt_left(&self) -> Cow<'_, str> {
        let state = self.state.lock();
        Cow::Owned(prompt_text(state.name.as_ref(), state.partner.as_ref()))
    }

    fn render_prompt_right(&self) -> Cow<'_, str> {
        Cow::Borrowed("")
    }

    fn render_prompt_indicator(&self, _mode: PromptEditMode) -> Cow<'_, str> {
        Cow::Borrowed("> ")
    }

    fn render_prompt_multiline_indicator(&self) -> Cow<'_, str> {
        Cow::Borrowed("... ")
    }

    fn render_prompt_history_search_indicator(&self, search: PromptHistorySearch) -> Cow<'_, str> {
        let failing = match search.status {
            PromptHistorySearchStatus::Passing => "",
            PromptHistorySearchStatus::Failing => "failing ",
        };
        Cow::Owned(format!("({failing}search: {}) ", search.term))
    }

    fn get_prompt_color(&self) -> Color {
        Color::Blue
    }

    fn get_indicator_color(&self) -> Color {
        Color::Blue
    }
}

/// Shows typed text as typed: reedline's default highlighter paints it white, which vanishes
/// on a light background.
struct Unstyled;

impl Highlighter for Unstyled {
    fn highlight(&self, line: &str, _cursor: usize) -> StyledText {
        let mut text = StyledText::new();
        text.push((Default::default(), line.to_string()));
        text
    }
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
    fn the_prompt_says_where_you_are() {
        let alice = Name::parse("alice").unwrap();
        let bob = Name::parse("bob").unwrap();
        assert_eq!(prompt_text(None, None), "name");
        assert_eq!(prompt_text(Some(&alice), None), "alice");
        assert_eq!(prompt_text(Some(&alice), Some(&bob)), "alice -> bob");
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
