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

use crate::terminal::input::{sealed_entries, split_entry, LineSource, Typed};
use crate::terminal::line::{History, Line};
use crate::terminal::render::{self, Painter};
use crate::terminal::screen::{Feed, FRAME};
use crate::terminal::style::{Palette, Tone};
use crate::terminal::wrap;
use crossbeam_channel::{select, Receiver};
use crossterm::event::{self, Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::terminal;
use std::collections::VecDeque;
use std::io::Write;
use std::thread;
use std::time::Instant;

/// What the editor asks of the program it edits lines for: the words of the prompt, and
/// whether an entered line must be held once instead of returned. The editor knows nothing of
/// chats; the chat answers these.
pub trait Conversation: Send {
    /// The prompt's words before the `> ` (`alice -> bob`).
    fn prompt(&self) -> String;
    /// A mark that changes whenever the line's recipient may have changed (a chat began or
    /// ended): the editor notes it when a line is begun and hands it back to [`Self::hold`].
    fn moment(&self) -> u64;
    /// Why `line`, begun at `begun` (see [`Self::moment`]), is held on the prompt with a note
    /// instead of being returned; `None` to let it go. `again` when Enter is pressed on a line
    /// that was held, unchanged.
    fn hold(&self, line: &str, begun: Option<u64>, again: bool) -> Option<Hold>;
}

/// A line held back, and what the person is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    /// The note, in the client's voice.
    pub note: String,
    /// Keep the line on the prompt (Enter again sends it), or clear it (the note says what
    /// to type instead).
    pub keep: bool,
}

/// How many terminal events may wait for the editor before the terminal thread waits.
const EVENT_SLOTS: usize = 256;

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
enum Handled {
    /// Keep reading.
    Continue,
    /// Return this to the keyboard thread.
    Done(Typed),
}

/// The line editor at a terminal.
pub struct LineEditor {
    conversation: Box<dyn Conversation>,
    feed: Feed,
    /// Keys, pastes and resizes, from a thread that waits on the terminal; started on the
    /// first line asked for.
    events: Option<Receiver<std::io::Result<TermEvent>>>,
    /// When lines from the feed were last drawn, to draw a flood in frames.
    last_frame: Option<Instant>,
    painter: Painter,
    line: Line,
    history: History,
    search: Option<Search>,
    /// Lines of a multi-line paste not yet returned.
    pending: VecDeque<String>,
    /// Lines to print above the prompt at the next redraw.
    messages: Vec<String>,
    /// Raw mode is on (and bracketed paste asked for).
    raw: bool,
    /// [`Conversation::moment`] when the line being typed was begun, if anything is typed.
    begun_in: Option<u64>,
    /// A line held once with a note: Enter on it again sends it.
    confirmed: Option<String>,
    palette: Palette,
}

impl LineEditor {
    /// An editor whose prompt and held lines `conversation` decides, printing the lines of
    /// `feed` above the prompt (and stopping when the feed says so), with a blue prompt if
    /// `palette` colours.
    pub fn new(conversation: Box<dyn Conversation>, feed: Feed, palette: Palette) -> LineEditor {
        let (width, height) = terminal::size()
            .ok()
            .filter(|&(w, h)| w > 0 && h > 0)
            .unwrap_or(FALLBACK_SIZE);
        LineEditor {
            conversation,
            feed,
            events: None,
            last_frame: None,
            painter: Painter::new(width, height, palette.colour())
                .reflowing(render::reflows(|name| std::env::var(name).ok())),
            line: Line::new(),
            history: History::new(),
            search: None,
            pending: VecDeque::new(),
            messages: Vec::new(),
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
            None => format!("{}> ", self.conversation.prompt()),
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

    /// Takes the lines waiting in the feed, to print at the next redraw. True if the client
    /// is ending and the editor must stop.
    fn take_feed(&mut self) -> bool {
        let taken = self.feed.take();
        self.messages.extend(taken.rows);
        self.last_frame = Some(Instant::now());
        taken.stop
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
        self.write(&bytes);
    }

    /// Prints waiting messages and `lines` as entered after the normal prompt, and leaves the
    /// cursor on a fresh row: the record of what was typed stays on screen.
    fn finish(&mut self, lines: &[String]) {
        self.search = None;
        let prompt = self.prompt();
        self.take_feed();
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
    /// When the client ends by itself (the server went away), a half-typed line is not left
    /// after a prompt that no longer holds: it is said, in a note, that it was not sent.
    fn end_with(&mut self, typed: Typed) -> Typed {
        let text = self.shown_line().text();
        if typed == Typed::Stopped {
            if !text.trim().is_empty() {
                let note = format!("(client): not sent: {text}");
                self.messages.push(self.palette.paint(Tone::Client, &note));
            }
            self.finish(&[]);
        } else {
            self.finish(&[text]);
        }
        self.line = Line::new();
        self.leave_raw();
        typed
    }

    /// Sends the line: it stays on screen after the prompt, goes into the history, and the
    /// next line starts empty. Some lines are held once instead, on the prompt with a note,
    /// and Enter again sends them: a message begun in another chat (see [`held_for`]), and a
    /// word like `quit` that someone used to other programs types to leave (see [`QUIT_WORDS`]).
    fn submit(&mut self, line: Line) -> Handled {
        let text = line.text();
        let again = self.confirmed.as_deref() == Some(&text[..]);
        if let Some(hold) = self.conversation.hold(&text, self.begun_in, again) {
            if hold.keep {
                self.line = line;
                self.begun_in = Some(self.conversation.moment());
                self.confirmed = Some(text);
            } else {
                self.line = Line::new();
                self.begun_in = None;
                self.confirmed = None;
            }
            // Wrapped like every other client note, so it stays within 80 columns.
            let width = wrap::notice_width(terminal::size().ok().map(|(w, _)| w));
            for row in wrap::wrap("(client): ", &hold.note, width) {
                self.messages.push(self.palette.paint(Tone::Client, &row));
            }
            return Handled::Continue;
        }
        self.begun_in = None;
        self.confirmed = None;
        self.finish(std::slice::from_ref(&text));
        self.history.push(&text);
        self.line = Line::new();
        Handled::Done(Typed::Line(text))
    }

    /// A paste: inserted as typed, except that each line break in it sends the line so far.
    /// The lines up to the last break form one entry (see [`split_entry`]); the rest stays on
    /// the prompt. From a line that starts with `secure:` on, the rest of the line being typed
    /// and of the paste is one secure message, sealed whole or refused whole: nothing of it
    /// stays on the prompt for the next Enter to send in plain.
    fn paste(&mut self, text: &str) -> Handled {
        self.accept_search();
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        if !text.contains('\n') {
            self.line.insert(&text);
            return Handled::Continue;
        }
        let mut before = self.line.clone();
        before.kill_to_end();
        let after: String = self.line.chars()[self.line.cursor()..].iter().collect();
        // Each pasted line is filtered as typed text is (a tab becomes a space, control
        // characters such as escape sequences are dropped).
        let filtered = |rows: &str| -> Vec<String> {
            rows.split('\n')
                .map(|row| Line::from_text(row).text())
                .collect()
        };
        let whole = filtered(&format!("{}{text}{after}", before.text()));
        if let Some(entries) = sealed_entries(&whole) {
            let shown: Vec<String> = entries
                .iter()
                .flat_map(|entry| entry.split('\n'))
                .map(String::from)
                .collect();
            self.finish(&shown);
            for row in &shown {
                self.history.push(row);
            }
            self.line = Line::new();
            return self.send_entries(entries);
        }
        let Some((head, tail)) = text.rsplit_once('\n') else {
            return Handled::Continue;
        };
        let entry = format!("{}{}", before.text(), filtered(head).join("\n"));
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
        self.send_entries(lines)
    }

    /// Returns the first of `entries` now, and the others on the next calls.
    fn send_entries(&mut self, entries: Vec<String>) -> Handled {
        self.pending = entries.into();
        match self.pending.pop_front() {
            Some(line) => Handled::Done(Typed::Line(line)),
            None => Handled::Continue,
        }
    }

    /// Ends a Ctrl+R search, keeping what it found as the line to edit.
    fn accept_search(&mut self) {
        if self.search.is_some() {
            self.line = self.shown_line();
            self.search = None;
        }
    }

    fn on_event(&mut self, event: TermEvent) -> Handled {
        match event {
            TermEvent::Key(key) if key.kind != KeyEventKind::Release => self.on_key(key),
            TermEvent::Paste(text) => self.paste(&text),
            TermEvent::Resize(width, height) => {
                self.painter.resize(width, height);
                self.feed.set_columns(width);
                Handled::Continue
            }
            _ => Handled::Continue,
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Handled {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        if let Some(outcome) = self.on_search_key(key, ctrl) {
            return outcome;
        }
        match key.code {
            KeyCode::Enter => return self.submit(self.line.clone()),
            KeyCode::Char('c') if ctrl => return Handled::Done(self.end_with(Typed::Interrupt)),
            KeyCode::Char('d') if ctrl && self.line.is_empty() => {
                return Handled::Done(self.end_with(Typed::End))
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
        Handled::Continue
    }

    /// Keys during a Ctrl+R search. `None` for a key that ends the search and then acts as
    /// usual (Left, Ctrl+A, ...).
    fn on_search_key(&mut self, key: KeyEvent, ctrl: bool) -> Option<Handled> {
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
        Some(Handled::Continue)
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
            self.begun_in = Some(self.conversation.moment());
        }
    }

    /// The terminal's events, from a thread that waits on the terminal for them (started the
    /// first time). Crossterm reads the terminal only by blocking or by polling; a thread of
    /// its own lets the editor wait on the terminal and the feed at once, with no timer.
    fn events(&mut self) -> Option<Receiver<std::io::Result<TermEvent>>> {
        if self.events.is_none() {
            let (sender, events) = crossbeam_channel::bounded(EVENT_SLOTS);
            thread::Builder::new()
                .name("terminal".into())
                .spawn(move || loop {
                    let event = event::read();
                    let gone = event.is_err();
                    if sender.send(event).is_err() || gone {
                        return;
                    }
                })
                .ok()?;
            self.events = Some(events);
        }
        self.events.clone()
    }

    /// Reads events until one ends the line. Sleeps until a key, a paste or a resize comes, or
    /// the feed rings; redraws once per batch of events, and draws lines from the feed at most
    /// once a [`FRAME`].
    fn read(&mut self) -> Typed {
        let Some(events) = self.events() else {
            return self.end_with(Typed::End);
        };
        if self.take_feed() {
            return self.end_with(Typed::Stopped);
        }
        self.note_begun();
        self.redraw();
        // The feed rang and its lines wait for the next frame.
        let mut lines_waiting = false;
        loop {
            let frame_due = self.last_frame.map_or(Instant::now(), |last| last + FRAME);
            let mut dirty = false;
            // Only lines waiting for their frame set a timer; else the editor sleeps until
            // something happens.
            let frame = if lines_waiting {
                crossbeam_channel::at(frame_due)
            } else {
                crossbeam_channel::never()
            };
            select! {
                recv(events) -> event => {
                    let Ok(Ok(event)) = event else {
                        // The terminal is gone (closed window): nothing more will be typed.
                        return self.end_with(Typed::End);
                    };
                    if let Handled::Done(typed) = self.on_event(event) {
                        return typed;
                    }
                    // Whatever else came with it (keys typed fast) is handled before drawing.
                    while let Ok(event) = events.try_recv() {
                        let Ok(event) = event else {
                            return self.end_with(Typed::End);
                        };
                        if let Handled::Done(typed) = self.on_event(event) {
                            return typed;
                        }
                    }
                    self.note_begun();
                    dirty = true;
                }
                recv(self.feed.bell()) -> _ => lines_waiting = true,
                recv(frame) -> _ => {}
            }
            if lines_waiting && (dirty || Instant::now() >= frame_due) {
                lines_waiting = false;
                if self.take_feed() {
                    return self.end_with(Typed::Stopped);
                }
                dirty = true;
            }
            if dirty {
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

/// Gives the terminal back from outside the editor (its thread is stuck): raw mode off and
/// bracketed paste off.
pub fn restore_terminal() {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(BRACKETED_PASTE_OFF);
    let _ = out.flush();
    let _ = terminal::disable_raw_mode();
}
