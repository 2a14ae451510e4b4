//! Where the client shows things: one line at a time, never two threads mid-line.

use std::io::Write;

/// The person's terminal (or whatever stdout is).
#[derive(Debug, Default)]
pub struct Screen;

impl Screen {
    /// Prints one whole line.
    pub fn show(&self, line: &str) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }

    /// Prints a line in the client's own voice: `(client): <text>`.
    pub fn note(&self, text: &str) {
        self.show(&format!("(client): {text}"));
    }
}
