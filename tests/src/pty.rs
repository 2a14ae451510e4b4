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
//!
//! What a tmux test reads from a real terminal it reads here too: the screen with its colours
//! ([`FakeTerminal::screen_with_escapes`]), and after the client exits its exit code and
//! whether it gave the terminal back in cooked mode ([`FakeTerminal::wait_exit_report`]).

use crate::screen::Screen;
use crate::{binary, WAIT};
use parking_lot::Mutex;
use rustix::fs::{Mode, OFlags};
use rustix::pty::OpenptFlags;
use rustix::termios::{LocalModes, Winsize};
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

/// Whether the client may colour its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    /// `NO_COLOR` unset, `TERM=xterm-256color`: the client colours what it prints.
    Allowed,
    /// `NO_COLOR=1`, which asks the client for no colour at all.
    NoColor,
}

/// Keys as the terminal sends them, for [`FakeTerminal::type_bytes`].
pub mod keys {
    /// Enter.
    pub const ENTER: &str = "\r";
    /// Ctrl+A: the start of the line.
    pub const CTRL_A: &str = "\x01";
    /// Ctrl+C: interrupt (the client has the terminal raw, so it reads this, not `SIGINT`).
    pub const CTRL_C: &str = "\x03";
    /// Ctrl+D: end of input on an empty line.
    pub const CTRL_D: &str = "\x04";
    /// Ctrl+E: the end of the line.
    pub const CTRL_E: &str = "\x05";
    /// The up arrow: the previous line in the history.
    pub const UP: &str = "\x1b[A";
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
    /// The client's side of the pty is closed (every process on it gone): all it wrote is on
    /// the screen.
    closed: bool,
}

/// The client running on a pseudo-terminal that the test plays the terminal for.
pub struct FakeTerminal {
    child: Child,
    /// The client's own XDG_CONFIG_HOME.
    _home: crate::ConfigHome,
    master: Arc<Mutex<File>>,
    seen: Arc<Mutex<Seen>>,
}

/// How to start a [`FakeTerminal`]: by default 24 x 80, answering cursor queries at once, with
/// colour allowed.
#[derive(Debug, Clone)]
pub struct FakeTerminalBuilder {
    /// The binary run on the terminal: `client` unless [`FakeTerminalBuilder::program`] says.
    program: String,
    args: Vec<String>,
    rows: u16,
    cols: u16,
    answers: Answers,
    colour: Colour,
}

impl FakeTerminalBuilder {
    /// The terminal's size.
    pub fn size(mut self, rows: u16, cols: u16) -> FakeTerminalBuilder {
        self.rows = rows;
        self.cols = cols;
        self
    }

    /// Runs `program` (a binary of the workspace, e.g. `eve`) instead of `client`.
    pub fn program(mut self, program: &str) -> FakeTerminalBuilder {
        self.program = program.to_string();
        self
    }

    /// How the terminal answers cursor-position queries.
    pub fn answers(mut self, answers: Answers) -> FakeTerminalBuilder {
        self.answers = answers;
        self
    }

    /// Whether the client may colour its output (`NO_COLOR` unset or set).
    pub fn colour(mut self, colour: Colour) -> FakeTerminalBuilder {
        self.colour = colour;
        self
    }

    /// Starts the client, or returns `None` (with a note on stderr) where no pty or `setsid`
    /// is available.
    pub fn start(self) -> Option<FakeTerminal> {
        let FakeTerminalBuilder {
            program,
            args,
            rows,
            cols,
            answers,
            colour,
        } = self;
        let Some((master, slave)) = open_pty(rows, cols) else {
            eprintln!("skipped: no pseudo-terminal can be opened here");
            return None;
        };
        let stdio = |fd: &OwnedFd| Stdio::from(fd.try_clone().expect("a pty fd can be cloned"));
        let mut command = Command::new("setsid");
        command
            .arg("-c")
            .arg(binary(&program))
            .args(args)
            .env("TERM", "xterm-256color");
        // Like xterm, this terminal does not rewrap its rows on a resize: nothing may say
        // otherwise to the client (the tests may run inside tmux or GNOME Terminal).
        for reflowing in [
            "TMUX",
            "VTE_VERSION",
            "KITTY_WINDOW_ID",
            "KONSOLE_VERSION",
            "WT_SESSION",
            "ALACRITTY_WINDOW_ID",
            "TERM_PROGRAM",
        ] {
            command.env_remove(reflowing);
        }
        let home = crate::ConfigHome::new();
        home.apply(&mut command);
        match colour {
            Colour::Allowed => command.env_remove("NO_COLOR"),
            Colour::NoColor => command.env("NO_COLOR", "1"),
        };
        let child = command
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
            closed: false,
        }));
        {
            let (seen, master) = (Arc::clone(&seen), Arc::clone(&master));
            thread::spawn(move || play_terminal(reader, &seen, &master, answers));
        }
        Some(FakeTerminal {
            child,
            _home: home,
            master,
            seen,
        })
    }
}

impl FakeTerminal {
    /// How to start `client <args>` on a fake terminal.
    pub fn builder(args: &[&str]) -> FakeTerminalBuilder {
        FakeTerminalBuilder {
            program: "client".into(),
            args: args.iter().map(|a| a.to_string()).collect(),
            rows: 24,
            cols: 80,
            answers: Answers::AtOnce,
            colour: Colour::Allowed,
        }
    }

    /// Starts `client <args>` on a `rows` x `cols` terminal that answers cursor queries as
    /// `answers` says, or `None` (with a note on stderr) where no pty or `setsid` is available.
    pub fn start(args: &[&str], rows: u16, cols: u16, answers: Answers) -> Option<FakeTerminal> {
        FakeTerminal::builder(args)
            .size(rows, cols)
            .answers(answers)
            .start()
    }

    /// `client 127.0.0.1 <port> --name <name>` against `server` on a `rows` x `cols` terminal
    /// that answers cursor queries at once, once its prompt `<name>>` shows; `None` (with a
    /// note) where no pty can be had.
    pub fn named(server: &crate::Server, name: &str, rows: u16, cols: u16) -> Option<FakeTerminal> {
        let port = server.port().to_string();
        let terminal = FakeTerminal::start(
            &["127.0.0.1", &port, "--name", name],
            rows,
            cols,
            Answers::AtOnce,
        )?;
        terminal.wait_last_row(&format!("{name}>"));
        Some(terminal)
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

    /// Waits for the client to exit and for all it wrote to be on the screen.
    ///
    /// # Panics
    /// If it does not exit within [`WAIT`].
    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("the client can be waited for") {
                if self.seen.lock().closed {
                    return status;
                }
            }
            assert!(
                Instant::now() < deadline,
                "the client did not exit (or something else still holds its terminal); the \
                 screen:\n{}",
                self.screen().join("\n")
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the client to exit, and reports as a shell would after it, in the words of the
    /// tmux tests (`tests/terminal.rs`): `[exit N, terminal T]`, where N is the exit code and T
    /// is `cooked` if the client gave the terminal back (canonical mode and echo on) or `raw`
    /// if it did not.
    ///
    /// # Panics
    /// If it does not exit within [`WAIT`].
    pub fn wait_exit_report(&mut self) -> String {
        let status = self.wait_exit();
        let code = status
            .code()
            .map_or_else(|| status.to_string(), |c| c.to_string());
        let terminal = if self.cooked() { "cooked" } else { "raw" };
        format!("[exit {code}, terminal {terminal}]")
    }

    /// Whether the terminal is in cooked mode now: canonical mode (line editing by the kernel)
    /// and echo on, as a shell expects it. The master reports the line discipline's settings,
    /// which the client changes through its side.
    pub fn cooked(&self) -> bool {
        let termios =
            rustix::termios::tcgetattr(&*self.master.lock()).expect("the pty's modes can be read");
        termios
            .local_modes
            .contains(LocalModes::ICANON | LocalModes::ECHO)
    }

    /// The rows the terminal itself broke because the text ran past the last column (what a
    /// program that wraps its own rows never causes), numbered from 0.
    pub fn soft_wrapped_rows(&self) -> Vec<u16> {
        let seen = self.seen.lock();
        let screen = seen.parser.screen();
        let (rows, _) = screen.size();
        (0..rows.get())
            .filter(|&row| screen.row_wrapped(row))
            .collect()
    }

    /// The screen's rows as `tmux capture-pane -e` shows them: where the colour or style
    /// (bold, underline, ...) changes along a row, an SGR escape code (`ESC [ ... m`) setting
    /// the new one; a row that ends styled ends with a reset. Plain text has no escape code.
    pub fn screen_with_escapes(&self) -> Vec<String> {
        let seen = self.seen.lock();
        let screen = seen.parser.screen();
        let (rows, cols) = screen.size();
        let mut out: Vec<String> = (0..rows.get())
            .map(|row| {
                let mut text = String::new();
                let mut style = Style::default();
                let mut blanks = 0;
                for col in 0..cols.get() {
                    let Some(cell) = screen.cell(row, col) else {
                        continue;
                    };
                    if cell.is_wide_continuation() {
                        continue;
                    }
                    let cell_style = Style::of(cell);
                    if matches!(cell.contents(), "" | " ") && cell_style == Style::default() {
                        // Trailing blanks are dropped; inner ones are written when text follows.
                        blanks += 1;
                        continue;
                    }
                    if blanks > 0 && style != Style::default() {
                        text.push_str("\x1b[0m");
                        style = Style::default();
                    }
                    text.push_str(&" ".repeat(blanks));
                    blanks = 0;
                    if cell_style != style {
                        text.push_str(&cell_style.sgr());
                        style = cell_style;
                    }
                    text.push_str(if cell.has_contents() {
                        cell.contents()
                    } else {
                        " "
                    });
                }
                if style != Style::default() {
                    text.push_str("\x1b[0m");
                }
                text
            })
            .collect();
        while out.last().is_some_and(String::is_empty) {
            out.pop();
        }
        out
    }
}

/// A cell's colours and style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Style {
    fg: vt100::Color,
    bg: vt100::Color,
    bold: bool,
    dim: bool,
    italic: bool,
    underline: bool,
    inverse: bool,
}

impl Style {
    fn of(cell: &vt100::Cell) -> Style {
        Style {
            fg: cell.fgcolor(),
            bg: cell.bgcolor(),
            bold: cell.bold(),
            dim: cell.dim(),
            italic: cell.italic(),
            underline: cell.underline(),
            inverse: cell.inverse(),
        }
    }

    /// The SGR escape code that sets this style from scratch.
    fn sgr(self) -> String {
        let mut codes = vec!["0".to_string()];
        for (on, code) in [
            (self.bold, "1"),
            (self.dim, "2"),
            (self.italic, "3"),
            (self.underline, "4"),
            (self.inverse, "7"),
        ] {
            if on {
                codes.push(code.to_string());
            }
        }
        for (color, base) in [(self.fg, 30), (self.bg, 40)] {
            match color {
                vt100::Color::Default => {}
                vt100::Color::Idx(i) if i < 8 => codes.push((base + u16::from(i)).to_string()),
                vt100::Color::Idx(i) => codes.push(format!("{};5;{i}", base + 8)),
                vt100::Color::Rgb(r, g, b) => codes.push(format!("{};2;{r};{g};{b}", base + 8)),
            }
        }
        format!("\x1b[{}m", codes.join(";"))
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
            // EIO once the last process holding the client's side has closed it.
            Ok(0) | Err(_) => {
                seen.lock().closed = true;
                return;
            }
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
