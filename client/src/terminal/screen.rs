//! Where lines are shown: straight to stdout in piped mode; at a terminal, through one bounded
//! queue to the line editor, which prints them above the prompt.
//!
//! At a terminal, whoever shows a line (the reader thread, mostly) puts it in the backlog
//! and, if the backlog was empty, rings a bell: a channel of one slot that the line editor waits
//! on beside the keyboard. The editor takes everything waiting at once and draws it in one go,
//! at most [`FRAMES_PER_SECOND`] times a second, so a flood of lines costs a few redraws, not one
//! per line; nothing wakes while nothing happens. The one who shows a line never waits for the
//! terminal: the reader keeps reading whatever the screen does (a server cuts a client that
//! stops reading).
//!
//! When chat lines come faster than the editor takes them, the oldest waiting *chat* lines go
//! beyond [`MAX_CHAT_LINES`] (or [`MAX_CHAT_BYTES`]), and the person is told how many. Notices,
//! the client's own notes and opened secure messages are never dropped.
//!
//! When the editor stops for good, [`Screen::use_stdout`] prints what still waits and writes
//! straight to stdout from then on: no line is lost, shown twice or reordered.

use crate::terminal::style::{Palette, Tone};
use crate::terminal::wrap;
use common::protocol::Name;
use crossbeam_channel::{Receiver, Sender};
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::io::Write;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The most chat lines that wait for the terminal; older ones are dropped (and counted).
pub const MAX_CHAT_LINES: usize = 2_000;

/// The most bytes of chat lines that wait for the terminal.
pub const MAX_CHAT_BYTES: usize = 1024 * 1024;

/// How often, at most, the editor draws lines that arrive: a flood is drawn in frames.
pub const FRAMES_PER_SECOND: u32 = 30;

/// The shortest time between two frames of arriving lines.
pub const FRAME: Duration = Duration::from_nanos(1_000_000_000 / FRAMES_PER_SECOND as u64);

/// The person's terminal, or whatever stdout is.
#[derive(Debug)]
pub struct Screen {
    palette: Palette,
    interactive: bool,
    backlog: Arc<Mutex<Backlog>>,
    bell: Option<Sender<()>>,
    /// The terminal's width, as the line editor last learned it (0: unknown).
    columns: Arc<AtomicU16>,
    /// `--timestamps`: the local time (`HH:MM `) before each chat line, as irssi shows it.
    timestamps: bool,
}

/// What the line editor draws from: the waiting lines and the bell that says there are some.
#[derive(Debug)]
pub struct Feed {
    backlog: Arc<Mutex<Backlog>>,
    bell: Receiver<()>,
    columns: Arc<AtomicU16>,
}

/// What the editor takes from the backlog in one go.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Taken {
    /// Rows to print above the prompt, oldest first (a note about dropped lines first).
    pub rows: Vec<String>,
    /// The client is ending: the editor must give the terminal back.
    pub stop: bool,
}

/// One waiting line, and whether it may be dropped under a flood (whole: never some rows of
/// it without the others).
#[derive(Debug)]
struct Entry {
    body: Body,
    /// A partner's plain chat line: dropped (and counted) when too many wait.
    chat: bool,
}

/// A waiting line's text.
#[derive(Debug)]
enum Body {
    /// Rows ready to print.
    Rows(Vec<String>),
    /// Someone's message, broken into rows only when it is taken to be drawn: under a flood
    /// most chat lines are dropped unseen, and they cost no wrapping (nor the terminal's
    /// width then matters).
    Said(Said),
}

/// `label text` from someone, as [`Screen::said`] shows it at a terminal.
#[derive(Debug)]
struct Said {
    tone: Tone,
    /// `14:05 ` with `--timestamps`, else empty.
    stamp: String,
    /// `bob:` or `bob (secure):`.
    label: String,
    text: String,
}

impl Said {
    /// The rows at `width` columns: broken between words, later rows indented under the text.
    fn rows(&self, width: usize, palette: Palette) -> Vec<String> {
        let plain = format!("{}{}", self.stamp, self.label);
        let mut rows = wrap::said(&plain, &self.text, width);
        if let Some(first) = rows.first_mut() {
            // The label is painted; the row began with it unpainted.
            let painted = palette.paint(self.tone, &self.label);
            *first = format!("{}{painted}{}", self.stamp, &first[plain.len()..]);
        }
        rows
    }
}

impl Entry {
    fn bytes(&self) -> usize {
        match &self.body {
            Body::Rows(rows) => rows.iter().map(String::len).sum(),
            Body::Said(said) => said.label.len() + said.text.len() + said.stamp.len() + 1,
        }
    }

    fn into_rows(self, width: usize, palette: Palette) -> Vec<String> {
        match self.body {
            Body::Rows(rows) => rows,
            Body::Said(said) => said.rows(width, palette),
        }
    }
}

/// Lines waiting for the terminal.
struct Backlog {
    entries: VecDeque<Entry>,
    /// Chat lines in `entries`, and their bytes.
    chat_lines: usize,
    chat_bytes: usize,
    /// Chat lines dropped since the person was last told.
    dropped: usize,
    /// The editor is gone: print straight to `out`.
    direct: bool,
    /// The client is ending: the editor is asked to stop.
    stop: bool,
    /// Stdout (a buffer in tests).
    out: Box<dyn Write + Send>,
    /// The terminal's width, as the line editor last learned it (0: unknown).
    columns: Arc<AtomicU16>,
    palette: Palette,
}

impl std::fmt::Debug for Backlog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backlog")
            .field("entries", &self.entries)
            .field("dropped", &self.dropped)
            .field("direct", &self.direct)
            .finish_non_exhaustive()
    }
}

impl Backlog {
    fn new(
        direct: bool,
        out: Box<dyn Write + Send>,
        columns: Arc<AtomicU16>,
        palette: Palette,
    ) -> Backlog {
        Backlog {
            columns,
            palette,
            entries: VecDeque::new(),
            chat_lines: 0,
            chat_bytes: 0,
            dropped: 0,
            direct,
            stop: false,
            out,
        }
    }

    /// The width lines are broken to at a terminal.
    fn width(&self) -> usize {
        wrap::notice_width(Some(self.columns.load(Ordering::Relaxed)))
    }

    fn write(&mut self, line: &str) {
        let _ = writeln!(self.out, "{line}");
        let _ = self.out.flush();
    }

    /// Queues a line; past the bounds, drops the oldest waiting chat lines.
    fn queue(&mut self, entry: Entry) {
        if entry.chat {
            self.chat_lines += 1;
            self.chat_bytes += entry.bytes();
        }
        self.entries.push_back(entry);
        while self.chat_lines > MAX_CHAT_LINES || self.chat_bytes > MAX_CHAT_BYTES {
            let Some(i) = self.entries.iter().position(|entry| entry.chat) else {
                break;
            };
            if let Some(old) = self.entries.remove(i) {
                self.chat_lines -= 1;
                self.chat_bytes -= old.bytes();
                self.dropped += 1;
            }
        }
    }

    /// Everything waiting, as rows, after a note about dropped lines if there were any.
    fn take(&mut self) -> Vec<String> {
        let mut rows = Vec::with_capacity(self.entries.len() + 1);
        if self.dropped > 0 {
            rows.push(dropped_note(std::mem::take(&mut self.dropped)));
        }
        let (width, palette) = (self.width(), self.palette);
        rows.extend(
            self.entries
                .drain(..)
                .flat_map(|entry| entry.into_rows(width, palette)),
        );
        self.chat_lines = 0;
        self.chat_bytes = 0;
        rows
    }
}

impl Screen {
    /// Plain lines straight to stdout: no colour, no prompt (pipes, scripts, tests).
    pub fn plain() -> Screen {
        let columns = Arc::new(AtomicU16::new(0));
        let palette = Palette::new(false);
        let stdout = Box::new(std::io::stdout());
        let backlog = Backlog::new(true, stdout, Arc::clone(&columns), palette);
        Screen {
            palette,
            interactive: false,
            backlog: Arc::new(Mutex::new(backlog)),
            bell: None,
            columns,
            timestamps: false,
        }
    }

    /// Lines for the line editor, coloured with `palette`; the editor draws from the [`Feed`].
    pub fn terminal(palette: Palette) -> (Screen, Feed) {
        Screen::terminal_to(palette, Box::new(std::io::stdout()))
    }

    /// [`Screen::terminal`], writing to `out` instead of stdout once the editor is gone.
    fn terminal_to(palette: Palette, out: Box<dyn Write + Send>) -> (Screen, Feed) {
        let (bell, rung) = crossbeam_channel::bounded(1);
        let columns = crossterm::terminal::size().map_or(0, |(width, _)| width);
        let columns = Arc::new(AtomicU16::new(columns));
        let backlog = Backlog::new(false, out, Arc::clone(&columns), palette);
        let backlog = Arc::new(Mutex::new(backlog));
        let screen = Screen {
            palette,
            interactive: true,
            backlog: Arc::clone(&backlog),
            bell: Some(bell),
            columns: Arc::clone(&columns),
            timestamps: false,
        };
        (
            screen,
            Feed {
                backlog,
                bell: rung,
                columns,
            },
        )
    }

    /// Puts the local time (`14:05 bob: hi`) before each chat line (plain and secure) from
    /// now on, or not.
    pub fn set_timestamps(&mut self, on: bool) {
        self.timestamps = on;
    }

    /// True at a terminal: the person reads tables, not the server's raw lines.
    pub fn interactive(&self) -> bool {
        self.interactive
    }

    /// The colours in use.
    pub fn palette(&self) -> Palette {
        self.palette
    }

    /// Prints one whole line, as given (already escaped and coloured). Never dropped.
    pub fn show(&self, line: &str) {
        self.put(Entry {
            body: Body::Rows(vec![line.to_string()]),
            chat: false,
        });
    }

    fn put(&self, entry: Entry) {
        let mut backlog = self.backlog.lock();
        if backlog.direct {
            let (width, palette) = (backlog.width(), backlog.palette);
            for row in entry.into_rows(width, palette) {
                backlog.write(&row);
            }
            return;
        }
        // Rung only when the backlog was empty: the editor takes everything when it wakes, so
        // a bell is already on its way for any line behind the first.
        let was_empty = backlog.entries.is_empty() && backlog.dropped == 0;
        backlog.queue(entry);
        drop(backlog);
        if was_empty {
            self.ring();
        }
    }

    fn ring(&self) {
        if let Some(bell) = &self.bell {
            let _ = bell.try_send(());
        }
    }

    /// `(server): <text>`; `text` must already be escaped. Wrapped at a terminal.
    pub fn notice(&self, text: &str) {
        self.voice(Tone::Server, "(server): ", text);
    }

    /// `<from>: <text>`, the partner's message; `text` must already be escaped. At a terminal
    /// it is broken between words with a hanging indent, like a notice, and under a flood it
    /// may be dropped, and the person told how many lines were.
    pub fn chat(&self, from: &Name, text: &str) {
        self.said(Tone::Partner, &format!("{from}:"), text, true);
    }

    /// `<from> (secure): <text>`, an opened secure message; `text` must already be escaped.
    /// Never dropped.
    pub fn secure(&self, from: &Name, text: &str) {
        self.said(Tone::Secure, &format!("{from} (secure):"), text, false);
    }

    /// `label` painted in `tone`, then `text`: one line in piped mode; at a terminal, rows
    /// broken between words to fit it (at most 80 columns), later rows indented under the text.
    fn said(&self, tone: Tone, label: &str, text: &str, chat: bool) {
        let stamp = if self.timestamps {
            format!("{} ", jiff::ZonedDateTime::now().strftime("%H:%M"))
        } else {
            String::new()
        };
        if !self.interactive {
            let painted = self.palette.paint(tone, label);
            self.put(Entry {
                body: Body::Rows(vec![format!("{stamp}{painted} {text}")]),
                chat,
            });
            return;
        }
        let said = Said {
            tone,
            stamp,
            label: label.to_string(),
            text: text.to_string(),
        };
        self.put(Entry {
            body: Body::Said(said),
            chat,
        });
    }

    /// The terminal's width in columns (80 when it is not known).
    pub fn columns(&self) -> usize {
        match self.columns.load(Ordering::Relaxed) {
            0 => wrap::NOTICE_WIDTH,
            columns => usize::from(columns),
        }
    }

    /// A row of a two-column list in the client's voice (`help`), whose second column starts
    /// `column` bytes into `row`: at a terminal, rows it is broken into are indented under the
    /// second column, not under `(client): `.
    pub fn note_row(&self, row: &str, column: usize) {
        let split = row.is_char_boundary(column) && row[..column].ends_with("  ");
        if !self.interactive || !split || row.len() <= column {
            self.note(row);
            return;
        }
        let prefix = format!("(client): {}", &row[..column]);
        for row in wrap::wrap(&prefix, &row[column..], self.width()) {
            self.show(&self.palette.paint(Tone::Client, &row));
        }
    }

    /// The width lines are broken to at a terminal.
    fn width(&self) -> usize {
        wrap::notice_width(Some(self.columns.load(Ordering::Relaxed)))
    }

    /// A step of `--explain`: `(explain): <text>`. Wrapped at a terminal.
    pub fn explain(&self, text: &str) {
        self.voice(Tone::Client, "(explain): ", text);
    }

    /// A line in the client's own voice: `(client): <text>`. Wrapped at a terminal.
    pub fn note(&self, text: &str) {
        self.voice(Tone::Client, "(client): ", text);
    }

    /// `prefix` and `text` in `tone`: one line in piped mode; at a terminal, rows broken
    /// between words to fit 80 columns (or the terminal, if narrower).
    fn voice(&self, tone: Tone, prefix: &str, text: &str) {
        if !self.interactive {
            self.show(&self.palette.paint(tone, &format!("{prefix}{text}")));
            return;
        }
        for row in wrap::wrap(prefix, text, self.width()) {
            self.show(&self.palette.paint(tone, &row));
        }
    }

    /// Asks the line editor to stop and give the terminal back (the client is ending).
    pub fn stop_editor(&self) {
        self.backlog.lock().stop = true;
        self.ring();
    }

    /// The line editor has stopped reading for good (call it with the terminal out of raw
    /// mode): print what still waits, then write straight to stdout from now on. Does nothing
    /// in piped mode.
    pub fn use_stdout(&self) {
        let mut backlog = self.backlog.lock();
        if backlog.direct {
            return;
        }
        for row in backlog.take() {
            backlog.write(&row);
        }
        backlog.direct = true;
    }
}

impl Feed {
    /// Rings when lines wait (or the editor is asked to stop): wait on it beside the keyboard.
    pub fn bell(&self) -> &Receiver<()> {
        &self.bell
    }

    /// The terminal is now `columns` wide: lines shown from now on are broken to fit.
    pub fn set_columns(&self, columns: u16) {
        self.columns.store(columns, Ordering::Relaxed);
    }

    /// Takes every waiting row, and whether the editor must stop.
    pub fn take(&self) -> Taken {
        let mut backlog = self.backlog.lock();
        Taken {
            rows: backlog.take(),
            stop: backlog.stop,
        }
    }
}

/// The note shown in place of `n` lines that were dropped.
fn dropped_note(n: usize) -> String {
    format!("(client): {n} lines came faster than the terminal could show them and were skipped")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the screen wrote once direct, shared with the test.
    #[derive(Clone, Default)]
    struct Written(Arc<Mutex<Vec<u8>>>);

    impl Write for Written {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Written {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().clone()).unwrap()
        }
    }

    fn screen() -> (Screen, Feed, Written) {
        let written = Written::default();
        let (screen, feed) = Screen::terminal_to(Palette::new(false), Box::new(written.clone()));
        (screen, feed, written)
    }

    /// One bell for a burst: the editor takes the whole burst when it wakes.
    #[test]
    fn a_burst_rings_once_and_is_taken_whole() {
        let (screen, feed, written) = screen();
        screen.show("one");
        screen.show("two");
        assert!(feed.bell().try_recv().is_ok());
        assert!(feed.bell().try_recv().is_err(), "one bell for the burst");
        assert_eq!(feed.take().rows, ["one", "two"]);
        screen.show("three");
        assert!(feed.bell().try_recv().is_ok(), "rung again once emptied");
        screen.use_stdout();
        assert_eq!(written.text(), "three\n");
        screen.show("four");
        assert_eq!(written.text(), "three\nfour\n");
    }

    /// A flood of chat lines the editor does not take keeps at most MAX_CHAT_LINES waiting:
    /// the oldest go, and the person is told how many; notices and secure lines all stay.
    #[test]
    fn a_flood_drops_only_chat_lines_and_says_how_many() {
        let (screen, feed, _) = screen();
        let bob = Name::parse("bob").unwrap();
        screen.notice("first");
        let flood = MAX_CHAT_LINES + 500;
        for i in 0..flood {
            screen.chat(&bob, &format!("line {i}"));
            if i == 10 {
                screen.secure(&bob, "psst");
                screen.note("a warning");
            }
        }
        let taken = feed.take();
        let rows = taken.rows;
        assert_eq!(
            rows[0],
            "(client): 500 lines came faster than the terminal could show them and were skipped"
        );
        assert_eq!(rows[1], "(server): first");
        assert_eq!(rows[2], "bob (secure): psst");
        assert_eq!(rows[3], "(client): a warning");
        assert_eq!(rows[4], "bob: line 500");
        assert_eq!(rows.last().unwrap(), &format!("bob: line {}", flood - 1));
        assert_eq!(rows.len(), 4 + MAX_CHAT_LINES);
    }

    /// A chat line wrapped into rows is dropped whole under a flood, never a row of it alone.
    #[test]
    fn a_wrapped_chat_line_is_dropped_whole() {
        let (screen, feed, _) = screen();
        let bob = Name::parse("bob").unwrap();
        // Three rows each at 80 columns (the width when the terminal is unknown).
        let long = |i: usize| format!("{i:04} {}", "word ".repeat(30));
        for i in 0..=MAX_CHAT_LINES {
            screen.chat(&bob, &long(i));
        }
        let rows = feed.take().rows;
        assert_eq!(
            rows[0],
            "(client): 1 lines came faster than the terminal could show them and were skipped"
        );
        assert!(rows[1].starts_with("bob: 0001 word"), "{:?}", rows[1]);
        assert_eq!(rows.len(), 1 + 3 * MAX_CHAT_LINES);
    }

    /// Asking the editor to stop rings, and says so in what it takes.
    #[test]
    fn stopping_rings_the_editor() {
        let (screen, feed, _) = screen();
        screen.stop_editor();
        assert!(feed.bell().try_recv().is_ok());
        assert!(feed.take().stop);
    }

    /// `--timestamps`: each chat line, plain or secure, starts with the local time, HH:MM.
    #[test]
    fn timestamps_come_before_chat_lines() {
        let (mut screen, feed, _) = screen();
        screen.set_timestamps(true);
        let bob = Name::parse("bob").unwrap();
        screen.chat(&bob, "hello");
        screen.secure(&bob, "psst");
        screen.notice("Goodbye!");
        let rows = feed.take().rows;
        let stamped = |row: &str, rest: &str| {
            let (time, after) = row.split_at(6);
            let digits = time.chars().filter(char::is_ascii_digit).count();
            digits == 4 && &time[2..3] == ":" && &time[5..] == " " && after == rest
        };
        assert!(stamped(&rows[0], "bob: hello"), "{rows:?}");
        assert!(stamped(&rows[1], "bob (secure): psst"), "{rows:?}");
        assert_eq!(rows[2], "(server): Goodbye!");
    }

    #[test]
    fn plain_lines_keep_the_scriptable_format() {
        let bob = Name::parse("bob").unwrap();
        let palette = Palette::new(false);
        assert_eq!(palette.paint(Tone::Server, "(server): hi"), "(server): hi");
        let (screen, feed, _) = screen();
        screen.chat(&bob, "hello");
        screen.secure(&bob, "psst");
        screen.notice("Goodbye!");
        screen.note("lost");
        assert_eq!(
            feed.take().rows,
            [
                "bob: hello",
                "bob (secure): psst",
                "(server): Goodbye!",
                "(client): lost"
            ]
        );
    }
}
