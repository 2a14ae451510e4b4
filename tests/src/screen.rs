//! Waiting for what a terminal shows, the same way whichever terminal it is: a tmux pane
//! (`tests/terminal.rs`) or the test's own fake terminal ([`crate::pty::FakeTerminal`]).

use crate::WAIT;
use std::thread;
use std::time::{Duration, Instant};

/// A terminal whose screen a test can read.
pub trait Screen {
    /// The screen's rows, trailing spaces and empty rows at the bottom removed.
    fn screen(&self) -> Vec<String>;

    /// What else a failed wait should report besides the screen (empty by default).
    fn context(&self) -> String {
        String::new()
    }

    /// Waits until the screen satisfies `pred`, and returns it.
    ///
    /// # Panics
    /// After [`WAIT`], showing the screen and what was awaited.
    fn wait(&self, what: &str, pred: impl Fn(&[String]) -> bool) -> Vec<String> {
        let deadline = Instant::now() + WAIT;
        loop {
            let screen = self.screen();
            if pred(&screen) {
                return screen;
            }
            assert!(
                Instant::now() <= deadline,
                "the terminal never showed {what}; it shows:\n{}\n{}",
                screen.join("\n"),
                self.context()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for a row that is exactly `row`.
    fn wait_row(&self, row: &str) -> Vec<String> {
        self.wait(&format!("the row {row:?}"), |s| s.iter().any(|r| r == row))
    }

    /// Waits for a row that starts with `prefix`.
    fn wait_row_prefix(&self, prefix: &str) -> Vec<String> {
        self.wait(&format!("a row starting {prefix:?}"), |s| {
            s.iter().any(|r| r.starts_with(prefix))
        })
    }

    /// Waits for the last row (where the prompt and the cursor are) to be exactly `row`.
    fn wait_last_row(&self, row: &str) -> Vec<String> {
        self.wait(&format!("the last row {row:?}"), |s| {
            s.last().is_some_and(|r| r == row)
        })
    }
}
