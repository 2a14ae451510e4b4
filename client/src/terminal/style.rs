//! Colours for the terminal: a handful of ANSI SGR codes, and the rule for when to use them.
//!
//! Colour is only ever added around text that is already safe to print (peer text has been
//! through [`escape_for_terminal`](common::escape::escape_for_terminal)), so a partner can never
//! start, stop or forge a colour. With colour off every line is byte-for-byte what the plain,
//! scriptable client prints.

use std::ffi::OsStr;

/// What a piece of text is, which decides its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// A `(server): ...` notice: cyan.
    Server,
    /// A `(client): ...` note from this program: yellow.
    Client,
    /// The `bob:` in front of the partner's message: bold green.
    Partner,
    /// The `bob (secure):` in front of a secure message: bold magenta.
    Secure,
}

impl Tone {
    fn sgr(self) -> &'static str {
        match self {
            Tone::Server => "\x1b[36m",
            Tone::Client => "\x1b[33m",
            Tone::Partner => "\x1b[1;32m",
            Tone::Secure => "\x1b[1;35m",
        }
    }
}

const RESET: &str = "\x1b[0m";

/// Paints text in a [`Tone`], or leaves it alone when colour is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Palette {
    colour: bool,
}

impl Palette {
    /// A palette that paints (`true`) or returns text unchanged (`false`).
    pub fn new(colour: bool) -> Palette {
        Palette { colour }
    }

    /// True if this palette adds escape codes.
    pub fn colour(self) -> bool {
        self.colour
    }

    /// `text` in `tone`: wrapped in an SGR code and a reset, or unchanged.
    pub fn paint(self, tone: Tone, text: &str) -> String {
        if self.colour {
            format!("{}{text}{RESET}", tone.sgr())
        } else {
            text.to_string()
        }
    }
}

/// How the client talks to the person, decided once at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Console {
    /// A line editor with a prompt, history and messages printed above the prompt. Off, the
    /// client reads plain lines and prints plain lines, for pipes and scripts.
    pub interactive: bool,
    /// ANSI colours (only ever when interactive).
    pub colour: bool,
}

impl Console {
    /// Decides from the facts of the environment.
    ///
    /// Interactive needs both stdin and stdout on a terminal (a line editor writes escape codes
    /// to stdout, so `client ... | tee log` stays plain) and a terminal that is not `dumb`.
    /// Colour also needs `NO_COLOR` unset or empty, as <https://no-color.org> asks.
    pub fn choose(
        stdin_tty: bool,
        stdout_tty: bool,
        term: Option<&OsStr>,
        no_color: Option<&OsStr>,
    ) -> Console {
        let dumb = term.is_some_and(|t| t == "dumb");
        let interactive = stdin_tty && stdout_tty && !dumb;
        let no_color = no_color.is_some_and(|v| !v.is_empty());
        Console {
            interactive,
            colour: interactive && !no_color,
        }
    }

    /// Decides for this process: its stdin, stdout, `TERM` and `NO_COLOR`.
    pub fn detect() -> Console {
        use std::io::IsTerminal;
        Console::choose(
            std::io::stdin().is_terminal(),
            std::io::stdout().is_terminal(),
            std::env::var_os("TERM").as_deref(),
            std::env::var_os("NO_COLOR").as_deref(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paint_wraps_only_with_colour() {
        assert_eq!(Palette::new(false).paint(Tone::Server, "hi"), "hi");
        assert_eq!(
            Palette::new(true).paint(Tone::Server, "hi"),
            "\x1b[36mhi\x1b[0m"
        );
        assert_eq!(
            Palette::new(true).paint(Tone::Partner, "bob:"),
            "\x1b[1;32mbob:\x1b[0m"
        );
    }

    /// One row per situation: (stdin tty, stdout tty, TERM, NO_COLOR) -> (interactive, colour).
    #[test]
    fn mode_follows_the_terminal_and_no_color() {
        let os = |s: &'static str| Some(OsStr::new(s));
        let cases = [
            (true, true, os("xterm"), None, true, true),
            (true, true, None, None, true, true),
            (true, true, os("xterm"), os("1"), true, false),
            // An empty NO_COLOR does not count (no-color.org).
            (true, true, os("xterm"), os(""), true, true),
            (true, true, os("dumb"), None, false, false),
            (false, true, os("xterm"), None, false, false),
            (true, false, os("xterm"), None, false, false),
            (false, false, os("xterm"), None, false, false),
        ];
        for (stdin, stdout, term, no_color, interactive, colour) in cases {
            assert_eq!(
                Console::choose(stdin, stdout, term, no_color),
                Console {
                    interactive,
                    colour
                },
                "stdin {stdin} stdout {stdout} TERM {term:?} NO_COLOR {no_color:?}"
            );
        }
    }
}
