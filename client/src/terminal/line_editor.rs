//! The line editor at a terminal: a prompt that says where you are, the half-typed line, and
//! incoming lines printed above both.
//!
//! The line editor is the client's own, on crossterm's raw mode and key events. It replaced
//! reedline 0.52, which asks the terminal where its cursor is (`ESC [ 6 n`) to anchor the
//! prompt and again after every batch of incoming lines (`Painter::print_external_message`),
//! through crossterm's `cursor::position()`. That call gives up after 2 s, but the answer, once
//! it comes, waits in crossterm's event queue and is taken as the answer to the *next* query:
//! one late answer (an ssh lag spike, a loaded machine, a long paste) left reedline one answer
//! behind for good, so each incoming line was printed and then erased by the redraw; a terminal
//! that never answers made every line wait 2 s; and an answer still in flight at exit was typed
//! into the shell. It also counted the rows of a wrapped half-typed line with the right prompt's
//! width (empty) plus 3, leaving stale copies of lines that just wrap.
//!
//! This editor never asks: the [`Painter`] knows what it drew and where it left the cursor,
//! so a redraw goes back up the rows it drew itself (see [`crate::terminal::render`]). The prompt follows
//! the conversation (`alice> ` becomes `alice -> bob> ` with no key pressed), and lines from
//! the reader thread are printed above the prompt and the half-typed line.
//!
//! Keys: Up/Down (Ctrl+P/N) history, Ctrl+R reverse search, Ctrl+A/E (Home/End) start and end,
//! Left/Right, Backspace/Delete, Ctrl+U/K/W cut, Ctrl+L clears the screen, Ctrl+D on an empty
//! line closes, Ctrl+C ends the chat and exits as in the original. A paste arrives whole
//! (bracketed paste). History lives in memory only: secure messages are typed in plain text and
//! never go to disk.

use crate::chat::state::State;
use crate::terminal::input::{prompt_text, split_entry, LineSource, Typed};
use crate::terminal::line::{History, Line};
use crate::terminal::render::Painter;
use crate::terminal::style::{Palette, Tone};
use crate::terminal::wrap;
use common::input::Input;
use common::protocol::Name;
use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::terminal;
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::Duration;

/// How often the editor looks for lines to print, a stop request and a changed prompt while
/// waiting for a key.
const POLL: Duration = Duration::from_millis(20);

/// The size assumed when the terminal does not say (a pty nobody sized).
const FALLBACK_SIZE: (u16, u16) = (80, 24);

/// Asks the terminal to mark pastes, so a pasted text arrives whole, and to stop again.
const BRACKETED_PASTE_ON: &[u8] = b"\x1b[?2004h";
const BRACKETED_PASTE_OFF: &[u8] = b"\x1b[?2004l";

/// A Ctrl+R search in progress.
#[derive(Debug)]
struct Search {
    term: String,
    /// The history entry found, if any.
    found: Option<usize>,
    /// The line as it was before the search, for Esc.
    before: Line,
}

/// What a key asks the editor to do once handled.
enum Outcome {
    /// Keep reading.
    Continue,
    /// Return this to the keyboard thread.
    Done(Typed),
}

/// The line editor at a terminal.
pub struct LineEditor {
    state: Arc<Mutex<State>>,
    printer: Receiver<String>,
    stop: Arc<AtomicBool>,
    painter: Painter,
    line: Line,
    history: History,
    search: Option<Search>,
    /// Lines of a multi-line paste not yet returned.
    pending: VecDeque<String>,
    /// Lines from the printer not yet on the screen.
    messages: Vec<String>,
    /// The prompt last drawn, to redraw when the conversation changes it.
    drawn_prompt: String,
    /// Raw mode is on (and bracketed paste asked for).
    raw: bool,
    /// [`State::chat_changes`] when the line being typed was begun, if anything is typed.
    begun_in: Option<u64>,
    /// A line held once with a note: Enter on it again sends it.
    confirmed: Option<String>,
    palette: Palette,
}

impl LineEditor {
    /// An editor whose prompt follows `state`, printing the lines that come through `printer`
    /// above the prompt, stopping when `stop` is set, with a blue prompt if `palette` colours.
    pub fn new(
        state: Arc<Mutex<State>>,
        printer: Receiver<String>,
        stop: Arc<AtomicBool>,
        palette: Palette,
    ) -> LineEditor {
        let (width, height) = terminal::size()
            .ok()
            .filter(|&(w, h)| w > 0 && h > 0)
            .unwrap_or(FALLBACK_SIZE);
        LineEditor {
            state,
            printer,
            stop,
            painter: Painter::new(width, height, palette.colour()),
            line: Line::new(),
            history: History::new(),
            search: None,
            pending: VecDeque::new(),
            messages: Vec::new(),
            drawn_prompt: String::new(),
            raw: false,
            begun_in: None,
            confirmed: None,
            palette,
        }
    }

    /// `alice> ` or `alice -> bob> `, or the search's own prompt during Ctrl+R.
    fn prompt(&self) -> String {
        match &self.search {
            Some(search) => {
                let failing = if search.found.is_none() && !search.term.is_empty() {
                    "failing "
                } else {
                    ""
                };
                format!("({failing}search: {}) ", search.term)
            }
            None => {
                let state = self.state.lock();
                // While the name is sent again after a reconnect, it is still the person's.
                let name = state.name.as_ref().or(state.rejoining.as_ref());
                format!("{}> ", prompt_text(name, state.partner.as_ref()))
            }
        }
    }

    /// The line shown: the search's match during Ctrl+R, else the line being typed.
    fn shown_line(&self) -> Line {
        match &self.search {
            Some(Search { found: Some(i), .. }) => {
                Line::from_text(self.history.get(*i).unwrap_or_default())
            }
            // No term yet, or nothing matches it: the line as it was, as bash shows it.
            Some(search) => search.before.clone(),
            None => self.line.clone(),
        }
    }

    /// Takes what the printer holds. An empty message is the screen's probe: it prints nothing.
    fn collect_messages(&mut self) {
        while let Ok(batch) = self.printer.try_recv() {
            if !batch.is_empty() {
                self.messages.extend(batch.split('\n').map(String::from));
            }
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(bytes);
        let _ = out.flush();
    }

    /// Prints waiting messages and draws the prompt and line.
    fn redraw(&mut self) {
        let prompt = self.prompt();
        let line = self.shown_line();
        let messages = std::mem::take(&mut self.messages);
        let bytes = self
            .painter
            .draw(&messages, &prompt, line.chars(), line.cursor());
        self.drawn_prompt = prompt;
        self.write(&bytes);
    }

    /// Prints waiting messages and `lines` as entered after the normal prompt, and leaves the
    /// cursor on a fresh row: the record of what was typed stays on screen.
    fn finish(&mut self, lines: &[String]) {
        self.search = None;
        let prompt = self.prompt();
        self.collect_messages();
        let messages = std::mem::take(&mut self.messages);
        let bytes = self.painter.finish(&messages, &prompt, lines);
        self.write(&bytes);
    }

    fn enter_raw(&mut self) -> bool {
        if !self.raw {
            if terminal::enable_raw_mode().is_err() {
                return false;
            }
            self.raw = true;
            self.write(BRACKETED_PASTE_ON);
        }
        true
    }

    fn leave_raw(&mut self) {
        if self.raw {
            self.write(BRACKETED_PASTE_OFF);
            let _ = terminal::disable_raw_mode();
            self.raw = false;
        }
    }

    /// Ends reading: the line so far stays on screen as a record, the terminal is given back.
    fn end_with(&mut self, typed: Typed) -> Typed {
        let text = self.shown_line().text();
        self.finish(&[text]);
        self.line = Line::new();
        self.leave_raw();
        typed
    }

    /// Sends the line: it stays on screen after the prompt, goes into the history, and the
    /// next line starts empty. Some lines are held once instead, on the prompt with a note,
    /// and Enter again sends them: a message begun in another chat (see [`held_for`]), and a
    /// word like `quit` that someone used to other programs types to leave (see [`QUIT_WORDS`]).
    fn submit(&mut self, line: Line) -> Outcome {
        let text = line.text();
        let (now, partner) = {
            let state = self.state.lock();
            (state.chat_changes, state.partner.clone())
        };
        let note = if let Some(partner) = held_for(&text, self.begun_in, now, partner.as_ref()) {
            Some(format!(
                "not sent: typed before this chat; Enter sends it to {partner}"
            ))
        } else if is_quit_word(&text) && self.confirmed.as_deref() != Some(&text[..]) {
            Some(match &partner {
                Some(partner) => format!(
                    "not sent: close leaves, goodbye ends the chat; Enter sends it to {partner}"
                ),
                None => "not sent: to leave, type close or press Ctrl+D".to_string(),
            })
        } else {
            None
        };
        if let Some(note) = note {
            self.line = line;
            self.begun_in = Some(now);
            self.confirmed = Some(text);
            // Wrapped like every other client note, so it stays within 80 columns.
            let width = wrap::notice_width(terminal::size().ok().map(|(w, _)| w));
            for row in wrap::wrap("(client): ", &note, width) {
                self.messages.push(self.palette.paint(Tone::Client, &row));
            }
            return Outcome::Continue;
        }
        self.begun_in = None;
        self.confirmed = None;
        self.finish(std::slice::from_ref(&text));
        self.history.push(&text);
        self.line = Line::new();
        Outcome::Done(Typed::Line(text))
    }

    /// A paste: inserted as typed, except that each line break in it sends the line so far.
    /// The lines up to the last break form one entry (see [`split_entry`]); the rest stays on
    /// the prompt.
    fn paste(&mut self, text: &str) -> Outcome {
        self.accept_search();
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let Some((head, tail)) = text.rsplit_once('\n') else {
            self.line.insert(&text);
            return Outcome::Continue;
        };
        let mut before = self.line.clone();
        before.kill_to_end();
        let after: String = self.line.chars()[self.line.cursor()..].iter().collect();
        // Each pasted line is filtered as typed text is (a tab becomes a space, control
        // characters such as escape sequences are dropped).
        let head = head
            .split('\n')
            .map(|line| Line::from_text(line).text())
            .collect::<Vec<_>>()
            .join("\n");
        let entry = format!("{}{head}", before.text());
        let lines = split_entry(&entry);
        self.finish(&lines);
        for line in &lines {
            self.history.push(line);
        }
        self.line = Line::from_text(tail);
        self.line.insert(&after);
        for _ in after.chars() {
            self.line.left();
        }
        self.pending = lines.into();
        match self.pending.pop_front() {
            Some(line) => Outcome::Done(Typed::Line(line)),
            None => Outcome::Continue,
        }
    }

    /// Ends a Ctrl+R search, keeping what it found as the line to edit.
    fn accept_search(&mut self) {
        if self.search.is_some() {
            self.line = self.shown_line();
            self.search = None;
        }
    }

    fn on_event(&mut self, event: Event) -> Outcome {
        match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => self.on_key(key),
            Event::Paste(text) => self.paste(&text),
            Event::Resize(width, height) => {
                self.painter.resize(width, height);
                Outcome::Continue
            }
            _ => Outcome::Continue,
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Outcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        if let Some(outcome) = self.on_search_key(key, ctrl) {
            return outcome;
        }
        match key.code {
            KeyCode::Enter => return self.submit(self.line.clone()),
            KeyCode::Char('c') if ctrl => return Outcome::Done(self.end_with(Typed::Interrupt)),
            KeyCode::Char('d') if ctrl && self.line.is_empty() => {
                return Outcome::Done(self.end_with(Typed::End))
            }
            KeyCode::Char('j' | 'm') if ctrl => return self.submit(self.line.clone()),
            KeyCode::Char('d') if ctrl => self.line.delete(),
            KeyCode::Char('a') if ctrl => self.line.home(),
            KeyCode::Char('e') if ctrl => self.line.end(),
            KeyCode::Char('b') if ctrl => self.line.left(),
            KeyCode::Char('f') if ctrl => self.line.right(),
            KeyCode::Char('h') if ctrl => self.line.backspace(),
            KeyCode::Char('u') if ctrl => self.line.kill_to_start(),
            KeyCode::Char('k') if ctrl => self.line.kill_to_end(),
            KeyCode::Char('w') if ctrl => self.line.kill_word_back(),
            KeyCode::Char('p') if ctrl => self.older(),
            KeyCode::Char('n') if ctrl => self.newer(),
            KeyCode::Char('r') if ctrl => {
                self.search = Some(Search {
                    term: String::new(),
                    found: None,
                    before: self.line.clone(),
                });
            }
            KeyCode::Char('l') if ctrl => {
                self.write(b"\x1b[H\x1b[2J");
                self.painter.forget();
            }
            KeyCode::Char(_) if ctrl || alt => {}
            KeyCode::Char(c) => self.line.insert(c.encode_utf8(&mut [0; 4])),
            KeyCode::Tab => self.line.insert(" "),
            KeyCode::Backspace => self.line.backspace(),
            KeyCode::Delete => self.line.delete(),
            KeyCode::Left => self.line.left(),
            KeyCode::Right => self.line.right(),
            KeyCode::Home => self.line.home(),
            KeyCode::End => self.line.end(),
            KeyCode::Up => self.older(),
            KeyCode::Down => self.newer(),
            _ => {}
        }
        Outcome::Continue
    }

    /// Keys during a Ctrl+R search. `None` for a key that ends the search and then acts as
    /// usual (Left, Ctrl+A, ...).
    fn on_search_key(&mut self, key: KeyEvent, ctrl: bool) -> Option<Outcome> {
        let search = self.search.as_mut()?;
        match key.code {
            KeyCode::Char('r') if ctrl => {
                if let Some(found) = search.found {
                    if let Some(older) = self.history.find(&search.term, Some(found)) {
                        search.found = Some(older);
                    }
                }
            }
            KeyCode::Char('g') if ctrl => self.cancel_search(),
            KeyCode::Esc => self.cancel_search(),
            KeyCode::Char('c') if ctrl => return None,
            KeyCode::Char(c) if !ctrl => {
                search.term.push(c);
                search.found = self.history.find(&search.term, None);
            }
            KeyCode::Backspace => {
                search.term.pop();
                search.found = match search.term.is_empty() {
                    true => None,
                    false => self.history.find(&search.term, None),
                };
            }
            KeyCode::Enter => {
                let line = self.shown_line();
                self.search = None;
                return Some(self.submit(line));
            }
            _ => {
                self.accept_search();
                return None;
            }
        }
        Some(Outcome::Continue)
    }

    fn cancel_search(&mut self) {
        if let Some(search) = self.search.take() {
            self.line = search.before;
        }
    }

    fn older(&mut self) {
        if let Some(line) = self.history.older(&self.line) {
            self.line = line;
        }
    }

    fn newer(&mut self) {
        if let Some(line) = self.history.newer() {
            self.line = line;
        }
    }

    /// Remembers in which chat the line was begun (forgotten when it is emptied).
    fn note_begun(&mut self) {
        if self.line.is_empty() {
            self.begun_in = None;
        } else if self.begun_in.is_none() {
            self.begun_in = Some(self.state.lock().chat_changes);
        }
    }

    /// Reads events until one ends the line; redraws once per batch of events and messages.
    fn read(&mut self) -> Typed {
        self.note_begun();
        self.redraw();
        loop {
            if self.stop.load(Ordering::SeqCst) {
                return self.end_with(Typed::Stopped);
            }
            self.collect_messages();
            let mut dirty = !self.messages.is_empty();
            let mut wait = if dirty { Duration::ZERO } else { POLL };
            loop {
                match event::poll(wait) {
                    Ok(true) => {}
                    Ok(false) => break,
                    // The terminal is gone (closed window): nothing more will be typed.
                    Err(_) => return self.end_with(Typed::End),
                }
                let Ok(event) = event::read() else {
                    return self.end_with(Typed::End);
                };
                if let Outcome::Done(typed) = self.on_event(event) {
                    return typed;
                }
                self.note_begun();
                dirty = true;
                wait = Duration::ZERO;
            }
            if dirty || self.prompt() != self.drawn_prompt {
                self.collect_messages();
                self.redraw();
            }
        }
    }
}

impl LineSource for LineEditor {
    fn next(&mut self) -> Typed {
        if let Some(line) = self.pending.pop_front() {
            return Typed::Line(line);
        }
        if !self.enter_raw() {
            return Typed::End;
        }
        let typed = self.read();
        // The terminal is given back between lines, as a shell does: while the client acts on
        // the line (or waits for the server), Ctrl+C is a signal again and output is cooked.
        self.leave_raw();
        typed
    }
}

impl Drop for LineEditor {
    fn drop(&mut self) {
        self.leave_raw();
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

/// Gives the terminal back from outside the editor (its thread is stuck): raw mode off and
/// bracketed paste off.
pub fn restore_terminal() {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(BRACKETED_PASTE_OFF);
    let _ = out.flush();
    let _ = terminal::disable_raw_mode();
}

#[cfg(test)]
mod tests {
    use super::held_for;
    use common::protocol::Name;

    #[test]
    fn quit_words_are_recognised_in_any_case() {
        assert!(super::is_quit_word(" QUIT "));
        assert!(super::is_quit_word("/quit"));
        assert!(!super::is_quit_word("quit it"));
        assert!(!super::is_quit_word("bye"));
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
}
