//! Where the client shows things: whole lines, in order, never two threads mid-line.
//!
//! In piped mode every line goes straight to stdout.
//!
//! At a terminal the line editor owns the terminal while it reads (raw mode, a prompt, a
//! half-typed line), so lines go through its printer, which prints them above the prompt and
//! redraws the prompt and the line under them. The printer's channel has room for one message
//! and the editor drains it every few milliseconds, but only while it reads a line; when it
//! stops for good, what it still holds would be lost. So lines wait in an outbox, a small pump
//! thread hands them over in batches, and the outbox remembers the batch the editor may still
//! hold. [`Screen::use_stdout`] then asks the channel whether that batch was taken (an empty
//! probe message fits only if it was, and prints nothing), prints it if not, prints the rest of
//! the outbox, and writes straight to stdout from then on: no line is lost, shown twice or
//! reordered.

use crate::terminal::style::{Palette, Tone};
use crate::terminal::wrap;
use common::protocol::Name;
use parking_lot::{Condvar, Mutex};
use std::collections::VecDeque;
use std::io::Write;
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// Room in the line editor's printer channel: one message, so that whether it was taken is
/// known exactly (see the module doc).
pub const EDITOR_SLOTS: usize = 1;

/// How long the pump waits before offering a batch again while the editor has not taken the
/// last one.
const PUMP_RETRY: Duration = Duration::from_millis(5);

/// The most lines and bytes that wait for the terminal. Lines that come faster than it shows
/// them (a server pushing millions) drop the oldest waiting ones beyond this, and the person is
/// told how many, so the client's memory stays bounded whatever the server sends.
const MAX_WAITING_LINES: usize = 10_000;
const MAX_WAITING_BYTES: usize = 4 * 1024 * 1024;

/// The person's terminal, or whatever stdout is.
#[derive(Debug)]
pub struct Screen {
    palette: Palette,
    interactive: bool,
    outbox: Arc<(Mutex<Outbox>, Condvar)>,
    editor: Option<SyncSender<String>>,
}

struct Outbox {
    /// Lines not yet handed to the editor.
    waiting: VecDeque<String>,
    /// Bytes in `waiting`.
    waiting_bytes: usize,
    /// Lines dropped from `waiting` since the person was last told.
    dropped: usize,
    /// What the editor's channel may still hold.
    handed: Handed,
    /// The editor is gone: print straight to `out`.
    direct: bool,
    /// Stdout (a buffer in tests).
    out: Box<dyn Write + Send>,
}

impl Outbox {
    fn new(direct: bool, out: Box<dyn Write + Send>) -> Outbox {
        Outbox {
            waiting: VecDeque::new(),
            waiting_bytes: 0,
            dropped: 0,
            handed: Handed::Nothing,
            direct,
            out,
        }
    }

    fn write(&mut self, line: &str) {
        let _ = writeln!(self.out, "{line}");
        let _ = self.out.flush();
    }

    /// Queues a line for the editor, dropping the oldest waiting ones past the bounds.
    fn queue(&mut self, line: String) {
        self.waiting_bytes += line.len();
        self.waiting.push_back(line);
        while self.waiting.len() > MAX_WAITING_LINES || self.waiting_bytes > MAX_WAITING_BYTES {
            let Some(old) = self.waiting.pop_front() else {
                break;
            };
            self.waiting_bytes -= old.len();
            self.dropped += 1;
        }
    }

    /// Everything waiting, as rows, after a note about dropped lines if there were any.
    fn take_waiting(&mut self) -> Vec<String> {
        let mut rows = Vec::with_capacity(self.waiting.len() + 1);
        if self.dropped > 0 {
            rows.push(dropped_note(std::mem::take(&mut self.dropped)));
        }
        rows.extend(self.waiting.drain(..));
        self.waiting_bytes = 0;
        rows
    }
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("waiting", &self.waiting)
            .field("handed", &self.handed)
            .field("direct", &self.direct)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
enum Handed {
    Nothing,
    /// Lines, joined with `\n` (the editor prints each as a row).
    Lines(String),
}

impl Screen {
    /// Plain lines straight to stdout: no colour, no prompt (pipes, scripts, tests).
    pub fn plain() -> Screen {
        Screen {
            palette: Palette::new(false),
            interactive: false,
            outbox: Arc::new((
                Mutex::new(Outbox::new(true, Box::new(std::io::stdout()))),
                Condvar::new(),
            )),
            editor: None,
        }
    }

    /// Lines through the line editor's printer channel `editor` (of [`EDITOR_SLOTS`] slots),
    /// coloured with `palette`.
    ///
    /// # Errors
    /// The pump thread could not be started.
    pub fn terminal(editor: SyncSender<String>, palette: Palette) -> std::io::Result<Screen> {
        Screen::terminal_to(editor, palette, Box::new(std::io::stdout()))
    }

    /// [`Screen::terminal`], writing to `out` instead of stdout once the editor is gone.
    fn terminal_to(
        editor: SyncSender<String>,
        palette: Palette,
        out: Box<dyn Write + Send>,
    ) -> std::io::Result<Screen> {
        let outbox = Arc::new((Mutex::new(Outbox::new(false, out)), Condvar::new()));
        {
            let (outbox, editor) = (Arc::clone(&outbox), editor.clone());
            thread::Builder::new()
                .name("screen".into())
                .spawn(move || pump(&outbox, &editor))?;
        }
        Ok(Screen {
            palette,
            interactive: true,
            outbox,
            editor: Some(editor),
        })
    }

    /// True at a terminal: the person reads tables, not the server's raw lines.
    pub fn interactive(&self) -> bool {
        self.interactive
    }

    /// The colours in use.
    pub fn palette(&self) -> Palette {
        self.palette
    }

    /// Prints one whole line, as given (already escaped and coloured).
    pub fn show(&self, line: &str) {
        let (outbox, wake) = &*self.outbox;
        let mut outbox = outbox.lock();
        if outbox.direct {
            outbox.write(line);
        } else {
            outbox.queue(line.to_string());
            wake.notify_one();
        }
    }

    /// `(server): <text>`; `text` must already be escaped. Wrapped at a terminal.
    pub fn notice(&self, text: &str) {
        self.voice(Tone::Server, "(server): ", text);
    }

    /// `<from>: <text>`, the partner's message; `text` must already be escaped.
    pub fn chat(&self, from: &Name, text: &str) {
        let label = self.palette.paint(Tone::Partner, &format!("{from}:"));
        self.show(&format!("{label} {text}"));
    }

    /// `<from> (secure): <text>`, an opened secure message; `text` must already be escaped.
    pub fn secure(&self, from: &Name, text: &str) {
        let label = self
            .palette
            .paint(Tone::Secure, &format!("{from} (secure):"));
        self.show(&format!("{label} {text}"));
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
        let columns = crossterm::terminal::size().ok().map(|(w, _)| w);
        for row in wrap::wrap(prefix, text, wrap::notice_width(columns)) {
            self.show(&self.palette.paint(tone, &row));
        }
    }

    /// The line editor has stopped reading for good (call it before dropping the editor, with
    /// the terminal out of raw mode): print what the editor did not, then write straight to
    /// stdout from now on. Does nothing in piped mode.
    pub fn use_stdout(&self) {
        let (outbox, wake) = &*self.outbox;
        let mut outbox = outbox.lock();
        if outbox.direct {
            return;
        }
        let taken = self
            .editor
            .as_ref()
            .is_some_and(|editor| editor.try_send(String::new()).is_ok());
        if let (false, Handed::Lines(lines)) = (
            taken,
            std::mem::replace(&mut outbox.handed, Handed::Nothing),
        ) {
            outbox.write(&lines);
        }
        for line in outbox.take_waiting() {
            outbox.write(&line);
        }
        outbox.direct = true;
        wake.notify_one();
    }
}

/// The note shown in place of `n` lines that were dropped.
fn dropped_note(n: usize) -> String {
    format!("(client): {n} lines came faster than the terminal could show them and were skipped")
}

/// Hands waiting lines to the editor, one batch at a time, until the screen goes direct.
fn pump(outbox: &(Mutex<Outbox>, Condvar), editor: &SyncSender<String>) {
    let (outbox, wake) = outbox;
    let mut outbox = outbox.lock();
    loop {
        if outbox.direct {
            return;
        }
        if outbox.waiting.is_empty() {
            wake.wait(&mut outbox);
            continue;
        }
        let note = (outbox.dropped > 0).then(|| dropped_note(outbox.dropped));
        let batch = note
            .iter()
            .chain(outbox.waiting.iter())
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n");
        match editor.try_send(batch.clone()) {
            // The slot was free, so whatever was handed before has been taken and printed.
            Ok(()) => {
                outbox.waiting.clear();
                outbox.waiting_bytes = 0;
                outbox.dropped = 0;
                outbox.handed = Handed::Lines(batch);
            }
            // The editor has not taken the last batch (it may be between two lines): retry.
            Err(TrySendError::Full(_)) => {
                wake.wait_for(&mut outbox, PUMP_RETRY);
            }
            // The editor is gone; `use_stdout` prints what is left.
            Err(TrySendError::Disconnected(_)) => {
                wake.wait(&mut outbox);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::{sync_channel, Receiver};
    use std::time::Instant;

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

    fn screen() -> (Screen, Receiver<String>, Written) {
        let (editor, printed) = sync_channel(EDITOR_SLOTS);
        let written = Written::default();
        let screen =
            Screen::terminal_to(editor, Palette::new(false), Box::new(written.clone())).unwrap();
        (screen, printed, written)
    }

    /// Waits until the pump has handed something over (the editor's slot is taken).
    fn wait_handed(screen: &Screen) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(screen.outbox.0.lock().handed, Handed::Nothing) {
            assert!(
                Instant::now() < deadline,
                "the pump never handed a line over"
            );
            thread::sleep(Duration::from_millis(1));
        }
    }

    /// Lines the editor took are not printed again; lines after them wait their turn.
    #[test]
    fn taken_lines_are_printed_once() {
        let (screen, printed, written) = screen();
        screen.show("one");
        screen.show("two");
        let batch = printed.recv_timeout(Duration::from_secs(5)).unwrap();
        assert!(batch == "one\ntwo" || batch == "one", "{batch:?}");
        if batch == "one" {
            assert_eq!(printed.recv_timeout(Duration::from_secs(5)).unwrap(), "two");
        }
        screen.use_stdout();
        assert_eq!(written.text(), "");
        screen.show("three");
        assert_eq!(written.text(), "three\n");
    }

    /// A batch the editor never took (it stopped first) is printed when the screen goes direct,
    /// before the lines that were still waiting.
    #[test]
    fn lines_the_editor_never_took_are_printed_in_order() {
        let (screen, printed, written) = screen();
        screen.show("one");
        wait_handed(&screen);
        screen.show("two");
        screen.use_stdout();
        assert_eq!(written.text(), "one\ntwo\n");
        // The editor's slot held "one"; the probe did not fit, and nothing else was sent.
        assert_eq!(printed.try_recv().unwrap(), "one");
        assert!(printed.try_recv().is_err());
    }

    /// A flood the terminal does not take keeps at most MAX_WAITING_LINES waiting: the oldest
    /// go, and the person is told how many, before the newest.
    #[test]
    fn a_flood_the_terminal_cannot_show_is_bounded() {
        let (screen, printed, written) = screen();
        screen.show("first");
        wait_handed(&screen);
        // The editor does not take anything more (it holds "first").
        let flood = MAX_WAITING_LINES + 500;
        for i in 0..flood {
            screen.show(&format!("line {i}"));
        }
        {
            let outbox = screen.outbox.0.lock();
            assert_eq!(outbox.waiting.len(), MAX_WAITING_LINES);
            assert_eq!(outbox.dropped, 500);
        }
        screen.use_stdout();
        let text = written.text();
        let mut rows = text.lines();
        assert_eq!(rows.next(), Some("first"));
        assert_eq!(
            rows.next(),
            Some("(client): 500 lines came faster than the terminal could show them and were skipped")
        );
        assert_eq!(rows.next(), Some("line 500"));
        assert_eq!(rows.last(), Some(format!("line {}", flood - 1).as_str()));
        drop(printed);
    }

    #[test]
    fn plain_lines_keep_the_scriptable_format() {
        let bob = Name::parse("bob").unwrap();
        let palette = Palette::new(false);
        assert_eq!(palette.paint(Tone::Server, "(server): hi"), "(server): hi");
        let (screen, printed, _) = screen();
        screen.chat(&bob, "hello");
        screen.secure(&bob, "psst");
        screen.notice("Goodbye!");
        screen.note("lost");
        let mut got = Vec::new();
        while got.len() < 4 {
            let batch = printed.recv_timeout(Duration::from_secs(5)).unwrap();
            got.extend(batch.lines().map(String::from));
        }
        assert_eq!(
            got,
            [
                "bob: hello",
                "bob (secure): psst",
                "(server): Goodbye!",
                "(client): lost"
            ]
        );
    }
}
