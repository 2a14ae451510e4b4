//! A terminal the test controls: the real `client` on a pseudo-terminal whose other end is this
//! module, with a terminal emulator ([`vt100`]) keeping the screen as a person would see it.
//!
//! Unlike tmux, this terminal's behaviour is the test's to choose. In particular it decides how
//! it answers the cursor-position query (`ESC [ 6 n`) a line editor may send: at once, one
//! answer late, or never ([`Answers`]), as ssh lag, a loaded machine or an odd emulator do. It
//! counts the queries it saw.
//!
//! The client runs under `setsid -c`, so the pty is its controlling terminal: a resize
//! ([`FakeTerminal::resize`]) reaches it as `SIGWINCH`, as from a real window.

use crate::screen::Screen;
use crate::{binary, WAIT};
use parking_lot::Mutex;
use rustix::fs::{Mode, OFlags};
use rustix::pty::OpenptFlags;
use rustix::termios::Winsize;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// How the fake terminal answers cursor-position queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answers {
    /// Every query at once, as a local terminal does, except one the test makes late with
    /// [`FakeTerminal::answer_next_late`] (as ssh or a loaded machine does now and then).
    AtOnce,
    /// Never (some serial consoles and odd emulators).
    Never,
}

/// How long a screen must stay unchanged to count as settled.
pub const STEADY: Duration = Duration::from_millis(300);

/// The query a program sends to learn where the cursor is.
const CURSOR_QUERY: &[u8] = b"\x1b[6n";

/// The screen and what the terminal saw, shared with the thread that reads the client.
struct Seen {
    parser: vt100::Parser,
    /// Cursor-position queries received.
    queries: usize,
    /// How late to answer the next query.
    late: Option<Duration>,
    /// The end of the last chunk, in case a query is split across two reads.
    tail: Vec<u8>,
    /// How many bytes the client wrote, for failure messages.
    bytes: usize,
}

/// The client running on a pseudo-terminal that the test plays the terminal for.
pub struct FakeTerminal {
    child: Child,
    master: Arc<Mutex<File>>,
    seen: Arc<Mutex<Seen>>,
}

impl FakeTerminal {
    /// Starts `client <args>` on a `rows` x `cols` terminal that answers cursor queries as
    /// `answers` says, or `None` (with a note on stderr) where no pty or `setsid` is available.
    pub fn start(args: &[&str], rows: u16, cols: u16, answers: Answers) -> Option<FakeTerminal> {
        let Some((master, slave)) = open_pty(rows, cols) else {
            eprintln!("skipped: no pseudo-terminal can be opened here");
            return None;
        };
        let stdio = |fd: &OwnedFd| Stdio::from(fd.try_clone().expect("a pty fd can be cloned"));
        let child = Command::new("setsid")
            .arg("-c")
            .arg(binary("client"))
            .args(args)
            .env("TERM", "xterm-256color")
            .env_remove("NO_COLOR")
            .stdin(stdio(&slave))
            .stdout(stdio(&slave))
            .stderr(stdio(&slave))
            .spawn();
        drop(slave);
        let child = match child {
            Ok(child) => child,
            Err(err) => {
                eprintln!("skipped: setsid cannot be run here ({err})");
                return None;
            }
        };
        let master = File::from(master);
        let reader = master.try_clone().expect("the pty master can be cloned");
        let master = Arc::new(Mutex::new(master));
        let seen = Arc::new(Mutex::new(Seen {
            parser: vt100::Parser::new(non_zero(rows), non_zero(cols), 0),
            queries: 0,
            late: None,
            tail: Vec::new(),
            bytes: 0,
        }));
        {
            let (seen, master) = (Arc::clone(&seen), Arc::clone(&master));
            thread::spawn(move || play_terminal(reader, &seen, &master, answers));
        }
        Some(FakeTerminal {
            child,
            master,
            seen,
        })
    }

    /// Types `text` (as the terminal sends keys: Enter is `\r`, Ctrl+C is `\x03`).
    pub fn type_bytes(&self, text: &str) {
        let mut master = self.master.lock();
        master
            .write_all(text.as_bytes())
            .and_then(|()| master.flush())
            .expect("the client's terminal takes input");
    }

    /// Pastes `text` as a terminal does: inside bracketed-paste marks if the program asked for
    /// them, else as typed.
    pub fn paste(&self, text: &str) {
        if self.seen.lock().parser.screen().bracketed_paste() {
            self.type_bytes(&format!("\x1b[200~{text}\x1b[201~"));
        } else {
            self.type_bytes(text);
        }
    }

    /// Types `line` and presses Enter.
    pub fn enter(&self, line: &str) {
        self.type_bytes(line);
        self.type_bytes("\r");
    }

    /// Resizes the window: the screen changes size (without reflowing, like xterm) and the
    /// client gets `SIGWINCH`.
    pub fn resize(&self, rows: u16, cols: u16) {
        self.seen
            .lock()
            .parser
            .screen_mut()
            .set_size(non_zero(rows), non_zero(cols));
        let size = Winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        rustix::termios::tcsetwinsize(&*self.master.lock(), size).expect("the pty can be resized");
    }

    /// Answers the next cursor-position query `delay` late, the ones after it at once again.
    pub fn answer_next_late(&self, delay: Duration) {
        self.seen.lock().late = Some(delay);
    }

    /// How many cursor-position queries the client sent.
    pub fn queries(&self) -> usize {
        self.seen.lock().queries
    }

    /// Waits until the screen satisfies `pred` and stays the same for [`STEADY`]: a screen
    /// caught between a message printed and the redraw that erases it does not count.
    ///
    /// # Panics
    /// After [`WAIT`], showing the screen and what was awaited.
    pub fn wait_steady(&self, what: &str, pred: impl Fn(&[String]) -> bool) -> Vec<String> {
        let deadline = Instant::now() + WAIT;
        loop {
            let screen = self.wait(what, &pred);
            thread::sleep(STEADY);
            if self.screen() == screen {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "the terminal never settled on {what}; it shows:\n{}",
                self.screen().join("\n")
            );
        }
    }

    /// Waits for the client to exit.
    ///
    /// # Panics
    /// If it does not exit within [`WAIT`].
    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("the client can be waited for") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the client did not exit; the screen:\n{}",
                self.screen().join("\n")
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Screen for FakeTerminal {
    fn screen(&self) -> Vec<String> {
        let seen = self.seen.lock();
        let (_, cols) = seen.parser.screen().size();
        let mut rows: Vec<String> = seen
            .parser
            .screen()
            .rows(0, cols.get())
            .map(|r| r.trim_end().to_string())
            .collect();
        while rows.last().is_some_and(String::is_empty) {
            rows.pop();
        }
        rows
    }

    fn context(&self) -> String {
        let seen = self.seen.lock();
        format!(
            "(the client sent {} cursor queries and {} bytes)",
            seen.queries, seen.bytes
        )
    }
}

impl Drop for FakeTerminal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A pty pair of the given size: (master, slave).
fn open_pty(rows: u16, cols: u16) -> Option<(OwnedFd, OwnedFd)> {
    // Close-on-exec, both ends: the client gets the slave as its stdio (dup'ed, which clears
    // the flag), but no other test's child inherits this terminal.
    let master =
        rustix::pty::openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC).ok()?;
    rustix::pty::grantpt(&master).ok()?;
    rustix::pty::unlockpt(&master).ok()?;
    let name = rustix::pty::ptsname(&master, Vec::new()).ok()?;
    let slave = rustix::fs::open(
        name.as_c_str(),
        OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ok()?;
    let size = Winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    rustix::termios::tcsetwinsize(&master, size).ok()?;
    Some((master, slave))
}

/// Reads what the client writes, keeps the screen, and answers cursor queries.
fn play_terminal(
    mut reader: File,
    seen: &Mutex<Seen>,
    master: &Arc<Mutex<File>>,
    answers: Answers,
) {
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let mut seen = seen.lock();
        seen.bytes += n;
        // Feed the screen up to each query, so the answer names where the cursor was when asked.
        let mut joined = std::mem::take(&mut seen.tail);
        let mut fed = joined.len();
        joined.extend_from_slice(&chunk[..n]);
        let mut from = 0;
        while let Some(at) = find(&joined[from..], CURSOR_QUERY).map(|i| i + from) {
            let end = at + CURSOR_QUERY.len();
            seen.parser.process(&joined[fed..end.max(fed)]);
            fed = fed.max(end);
            from = end;
            seen.queries += 1;
            let (row, col) = seen.parser.screen().cursor_position();
            let answer = format!("\x1b[{};{}R", row + 1, col + 1);
            let delay = match answers {
                Answers::AtOnce => Some(seen.late.take().unwrap_or(Duration::ZERO)),
                Answers::Never => None,
            };
            match delay {
                Some(Duration::ZERO) => {
                    let _ = master.lock().write_all(answer.as_bytes());
                }
                Some(late) => {
                    let master = Arc::clone(master);
                    thread::spawn(move || {
                        thread::sleep(late);
                        let _ = master.lock().write_all(answer.as_bytes());
                    });
                }
                None => {}
            }
        }
        seen.parser.process(&joined[fed..]);
        // The last bytes (already on the screen) may start a query the next read finishes.
        let keep = joined
            .len()
            .saturating_sub(CURSOR_QUERY.len() - 1)
            .max(from);
        seen.tail = joined[keep..].to_vec();
    }
}

/// The first index of `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A terminal dimension, which is never zero.
fn non_zero(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n).expect("a terminal has at least one row and one column")
}
