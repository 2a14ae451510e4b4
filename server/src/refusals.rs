//! Runs of identical refusals told once: the first is sent, the repeats are counted and told
//! as one [`Notice::Ignored`] (`(server): 1,234 more lines like that were ignored`) when the
//! run ends, so a flood of refused lines costs one answer per read, not one per line.
//!
//! Pure: it only decides which lines to queue, as text appended to a buffer. Both the session
//! (refusals it makes alone, such as a spent command budget) and the user table (refusals it
//! decides under its lock, such as `connect` to a missing user) use one connection's
//! `Refusals`, so a run is a run whoever refused it.

use common::protocol::{Notice, ServerLine};
use std::io::Write;

/// One connection's current run of identical refusals.
#[derive(Debug, Default)]
pub struct Refusals {
    last: Option<Notice>,
    repeats: u64,
}

impl Refusals {
    /// Refuses a line with `notice`: appends to `out` the count that ends the previous run (if
    /// `notice` differs from it) and `notice` itself; or only counts it, if it repeats the
    /// last refusal.
    pub fn refuse(&mut self, notice: Notice, out: &mut Vec<u8>) {
        if self.last.as_ref() == Some(&notice) {
            self.repeats += 1;
            return;
        }
        self.end(out);
        let _ = writeln!(out, "{}", ServerLine::Notice(notice.clone()));
        self.last = Some(notice);
    }

    /// Ends the run (a line was served, or the read is over): appends to `out` how many
    /// repeats were ignored, if any.
    pub fn end(&mut self, out: &mut Vec<u8>) {
        if self.last.take().is_some() {
            let repeats = std::mem::take(&mut self.repeats);
            if repeats > 0 {
                let _ = writeln!(out, "{}", ServerLine::Notice(Notice::Ignored(repeats)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(out: &mut Vec<u8>) -> String {
        String::from_utf8(std::mem::take(out)).unwrap()
    }

    /// The first refusal is told, its repeats are counted, and the count comes before
    /// anything else.
    #[test]
    fn a_run_is_told_once_then_counted() {
        let mut refusals = Refusals::default();
        let mut out = Vec::new();
        for _ in 0..1235 {
            refusals.refuse(Notice::ConnectToSelf, &mut out);
        }
        assert_eq!(text(&mut out), "(server): You cannot connect to yourself\n");
        refusals.refuse(Notice::NothingToEnd, &mut out);
        assert_eq!(
            text(&mut out),
            "(server): 1,234 more lines like that were ignored\n(server): You are not in a chat, so there is nothing to end\n"
        );
        refusals.end(&mut out);
        assert_eq!(text(&mut out), "", "a run of one has no count");
        refusals.refuse(Notice::NothingToEnd, &mut out);
        assert_eq!(
            text(&mut out),
            "(server): You are not in a chat, so there is nothing to end\n",
            "after an end, the same refusal starts a new run"
        );
    }
}
