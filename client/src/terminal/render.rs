//! Drawing the prompt and the half-typed line, and printing messages above them, without ever
//! asking the terminal where its cursor is.
//!
//! The [`Painter`] remembers what it drew below the messages (the prompt and the line, in rows
//! of the current width) and on which of those rows it left the cursor. To redraw it goes back
//! up that many rows, clears to the end of the screen, prints any new messages, and draws
//! again: everything it needs is arithmetic on the width, never an answer from the terminal.
//!
//! A line longer than a row is drawn as rows ended by the painter itself (`\r\n`), not left
//! for the terminal to wrap. That is what keeps a resize exact: a terminal that reflows
//! (tmux, VTE, kitty) joins rows *it* wrapped when the window gets wider, and one that does not
//! (xterm) leaves them, so after a resize nobody could say how many rows above the cursor were
//! the line's. Rows ended by the program are never joined: after a wider window the line still
//! has the rows it was drawn in, on every terminal, and the painter goes back up exactly those.
//!
//! A line with more rows than the screen is drawn as a window of rows around the cursor, so a
//! redraw never scrolls part of the line into the scrollback.

use std::io::Write;
use unicode_width::UnicodeWidthChar;

/// The prompt's colour (blue), and the reset after it.
const PROMPT_COLOUR: &[u8] = b"\x1b[34m";
const RESET: &[u8] = b"\x1b[0m";

/// What the painter drew below the messages.
#[derive(Debug, Clone)]
struct Shown {
    /// The row the cursor was left on, counted from the first row drawn.
    cursor_row: usize,
    /// The column the cursor was left on.
    cursor_col: usize,
    /// How many columns each row drawn above the cursor's took.
    above: Vec<usize>,
}

/// Draws the prompt and line at a terminal of a known size.
#[derive(Debug)]
pub struct Painter {
    width: usize,
    height: usize,
    colour: bool,
    /// The terminal rewraps its rows when the window gets narrower (see [`reflows`]).
    reflows: bool,
    shown: Option<Shown>,
}

/// Whether the terminal rewraps what it shows when its window gets narrower (tmux, VTE's
/// GNOME Terminal and friends, kitty, Konsole, Alacritty, Windows Terminal, iTerm2, Terminal.app
/// do; xterm, rxvt, the Linux console and GNU screen do not), as far as the environment says:
/// those terminals set a variable of their own. Unknown means no: assuming a reflow that did
/// not happen would erase messages above the line, not assuming one only leaves a stale row.
pub fn reflows(var: impl Fn(&str) -> Option<String>) -> bool {
    let set = |name: &str| var(name).is_some_and(|v| !v.is_empty());
    let program = var("TERM_PROGRAM").unwrap_or_default();
    set("TMUX")
        || (!var("TERM").unwrap_or_default().starts_with("screen")
            && ([
                "VTE_VERSION",
                "KITTY_WINDOW_ID",
                "KONSOLE_VERSION",
                "WT_SESSION",
            ]
            .iter()
            .any(|name| set(name))
                || var("ALACRITTY_WINDOW_ID").is_some()
                || ["iTerm.app", "Apple_Terminal", "WezTerm", "vscode"].contains(&&program[..])))
}

impl Painter {
    /// A painter for a `width` x `height` terminal, with a blue prompt if `colour`. Nothing is
    /// drawn yet: the first draw starts on the cursor's row.
    pub fn new(width: u16, height: u16, colour: bool) -> Painter {
        Painter {
            width: usize::from(width.max(1)),
            height: usize::from(height.max(1)),
            colour,
            reflows: false,
            shown: None,
        }
    }

    /// The same painter for a terminal that rewraps its rows when the window gets narrower
    /// (`true`), or that leaves them (`false`, the default: see [`reflows`]).
    pub fn reflowing(mut self, reflows: bool) -> Painter {
        self.reflows = reflows;
        self
    }

    /// The window is now `width` x `height`.
    ///
    /// The rows drawn stay where they were (see the module documentation), so the next draw
    /// goes back up the same rows as before and clears them: no stale copy of a line of
    /// several rows is left, and no message above it is erased. A terminal that reflows splits
    /// each row that no longer fits a narrower window into as many as it now needs, and the
    /// painter counts those when it next draws.
    pub fn resize(&mut self, width: u16, height: u16) {
        self.width = usize::from(width.max(1));
        self.height = usize::from(height.max(1));
    }

    /// The screen was cleared with the cursor put at the top left: nothing is drawn any more.
    pub fn forget(&mut self) {
        self.shown = None;
    }

    /// The bytes that print `messages` (whole lines) above the prompt and draw `prompt` then
    /// `text` with the cursor before `text[cursor]`.
    pub fn draw(
        &mut self,
        messages: &[String],
        prompt: &str,
        text: &[char],
        cursor: usize,
    ) -> Vec<u8> {
        let mut out = self.clear_and_print(messages);
        let prompt_len = prompt.chars().count();
        let cells: Vec<char> = prompt.chars().chain(text.iter().copied()).collect();
        let cursor = prompt_len + cursor.min(text.len());
        let placement = Placement::of(&cells, self.width);
        let (cursor_row, cursor_col) = placement.cursor(cursor, self.width);

        // The rows to draw: all of them, or as many as fit with the cursor's row the last.
        let room = self.height.saturating_sub(1).max(1);
        let first_row = (cursor_row + 1).saturating_sub(room);
        let last_row = first_row + room - 1;
        let from = placement
            .starts
            .partition_point(|&(row, _)| row < first_row);
        let to = placement
            .starts
            .partition_point(|&(row, _)| row <= last_row);

        for (i, &c) in cells.iter().enumerate().take(to).skip(from) {
            // Each row ended by the painter, not wrapped by the terminal (see the module).
            if i > from && placement.starts[i].0 != placement.starts[i - 1].0 {
                out.extend_from_slice(b"\r\n");
            }
            if self.colour && i < prompt_len && i == from {
                out.extend_from_slice(PROMPT_COLOUR);
            }
            if self.colour && i == prompt_len && from < prompt_len {
                out.extend_from_slice(RESET);
            }
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
        if self.colour && to <= prompt_len && from < to {
            out.extend_from_slice(RESET);
        }

        // Where the terminal's cursor is now, and where it must go (rows counted from the first
        // row drawn). After a full last row the terminal waits at its end to wrap.
        let end = match to.checked_sub(1).filter(|&last| last >= from) {
            Some(last) => {
                let (row, col) = placement.starts[last];
                (row - first_row, col + width_at(&cells, last))
            }
            None => (0, 0),
        };
        let target = (cursor_row - first_row, cursor_col);
        if target.0 > end.0 {
            // Only at the very end of a line that filled its last row: start the next row.
            out.extend_from_slice(b"\r\n");
        } else {
            out.push(b'\r');
            move_cursor(&mut out, "A", end.0 - target.0);
            move_cursor(&mut out, "C", target.1);
        }
        let mut above = vec![0; target.0];
        for i in from..to {
            let (row, col) = placement.starts[i];
            if let Some(columns) = above.get_mut(row - first_row) {
                *columns = col + width_at(&cells, i);
            }
        }
        self.shown = Some(Shown {
            cursor_row: target.0,
            cursor_col: target.1,
            above,
        });
        out
    }

    /// How many rows above the cursor's are the painter's now. As drawn, unless the window
    /// got narrower on a terminal that reflows: then each row drawn above is as many rows as
    /// its columns need at the new width, and the cursor's own row may have split before the
    /// cursor. Where the terminal puts a cursor that sat just after a split is its own choice:
    /// that one row is not counted, so as never to erase a message.
    fn rows_above(&self, shown: &Shown) -> usize {
        if !self.reflows {
            return shown.cursor_row;
        }
        let rows: usize = shown
            .above
            .iter()
            .map(|&columns| columns.div_ceil(self.width).max(1))
            .sum();
        rows + shown.cursor_col.saturating_sub(1) / self.width
    }

    /// The bytes that print `messages`, then each of `lines` as it was entered (after `prompt`),
    /// and leave the cursor at the start of a fresh row with nothing drawn.
    pub fn finish(&mut self, messages: &[String], prompt: &str, lines: &[String]) -> Vec<u8> {
        let mut out = self.clear_and_print(messages);
        for line in lines {
            if self.colour {
                out.extend_from_slice(PROMPT_COLOUR);
                out.extend_from_slice(prompt.as_bytes());
                out.extend_from_slice(RESET);
            } else {
                out.extend_from_slice(prompt.as_bytes());
            }
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    /// Goes back to the first row drawn, clears from there down, prints `messages` on rows of
    /// their own, and forgets what was drawn.
    fn clear_and_print(&mut self, messages: &[String]) -> Vec<u8> {
        let mut out = Vec::new();
        out.push(b'\r');
        if let Some(shown) = self.shown.take() {
            move_cursor(&mut out, "A", self.rows_above(&shown));
        }
        out.extend_from_slice(b"\x1b[J");
        for message in messages {
            out.extend_from_slice(message.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out
    }
}

/// `ESC [ n <code>` if `n` is not zero (zero would mean one).
fn move_cursor(out: &mut Vec<u8>, code: &str, n: usize) {
    if n > 0 {
        let _ = write!(out, "\x1b[{n}{code}");
    }
}

/// How many columns `cells[i]` takes where it stands, as terminals draw emoji sequences: a
/// character joined to the one before by a zero-width joiner (the 💻 of 👩‍💻) or a skin-tone
/// modifier after an emoji take no more room, and the emoji-style selector (U+FE0F) widens a
/// narrow character before it (❤ becomes ❤️) to two columns.
fn width_at(cells: &[char], i: usize) -> usize {
    let c = cells[i];
    let before = i.checked_sub(1).map(|j| cells[j]);
    let narrow = |c: char| c.width().unwrap_or(0);
    match (before, c) {
        (Some('\u{200d}'), _) => 0,
        (Some(b), '\u{fe0f}') if narrow(b) == 1 => 1,
        (Some(b), '\u{1f3fb}'..='\u{1f3ff}') if narrow(b) == 2 => 0,
        _ => narrow(c),
    }
}

/// Where each character lands when printed from the start of a row at a given width.
#[derive(Debug)]
struct Placement {
    /// (row, column) of each character.
    starts: Vec<(usize, usize)>,
    /// Just after the last character; the column may equal the width (the terminal then waits
    /// at the row's end to wrap).
    end: (usize, usize),
}

impl Placement {
    /// Lays `cells` out as the terminal wraps them: a character that does not fit on the row
    /// (a wide one in the last column, or any after a full row) starts the next.
    fn of(cells: &[char], width: usize) -> Placement {
        let (mut row, mut col) = (0, 0);
        let mut starts = Vec::with_capacity(cells.len());
        for i in 0..cells.len() {
            let w = width_at(cells, i);
            if col + w > width && col > 0 {
                row += 1;
                col = 0;
            }
            starts.push((row, col));
            col += w;
        }
        Placement {
            starts,
            end: (row, col),
        }
    }

    /// The (row, column) of a cursor before character `index` (or after the last).
    fn cursor(&self, index: usize, width: usize) -> (usize, usize) {
        match self.starts.get(index) {
            Some(&at) => at,
            None if self.end.1 >= width => (self.end.0 + 1, 0),
            None => self.end,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(text: &str) -> Vec<char> {
        text.chars().collect()
    }

    /// What a terminal would show, read back from the bytes with a tiny interpreter of the few
    /// sequences the painter writes.
    fn draw(
        painter: &mut Painter,
        messages: &[&str],
        prompt: &str,
        text: &str,
        cursor: usize,
    ) -> String {
        let messages: Vec<String> = messages.iter().map(|m| m.to_string()).collect();
        String::from_utf8(painter.draw(&messages, prompt, &chars(text), cursor)).unwrap()
    }

    #[test]
    fn a_short_line_is_drawn_and_the_cursor_put_back() {
        let mut painter = Painter::new(80, 24, false);
        assert_eq!(
            draw(&mut painter, &[], "a> ", "hello", 2),
            "\r\x1b[Ja> hello\r\x1b[5C"
        );
        // Redrawing goes back to the same row first: the cursor never left it.
        assert_eq!(
            draw(&mut painter, &["bob: hi"], "a> ", "hello", 5),
            "\r\x1b[Jbob: hi\r\na> hello\r\x1b[8C"
        );
    }

    /// Prompt and text that just wrap (the 80 to 90 columns): the painter knows the
    /// cursor is one row down and goes back up before clearing.
    #[test]
    fn a_wrapped_line_is_cleared_from_its_first_row() {
        let mut painter = Painter::new(10, 24, false);
        let out = draw(&mut painter, &[], "a> ", "0123456789", 10);
        assert_eq!(out, "\r\x1b[Ja> 0123456\r\n789\r\x1b[3C");
        let out = draw(&mut painter, &["m"], "a> ", "0123456789", 10);
        assert!(out.starts_with("\r\x1b[1A\x1b[J"), "{out:?}");
    }

    /// A line that exactly fills its rows with the cursor at the end: the cursor goes to the
    /// start of the next row, which a later redraw counts.
    #[test]
    fn a_full_row_moves_the_cursor_to_the_next() {
        let mut painter = Painter::new(10, 24, false);
        assert_eq!(
            draw(&mut painter, &[], "a> ", "0123456", 7),
            "\r\x1b[Ja> 0123456\r\n"
        );
        assert!(draw(&mut painter, &[], "a> ", "0123456", 7).starts_with("\r\x1b[1A\x1b[J"));
        // With the cursor inside, the terminal waits at the row's end; \r puts it back.
        assert_eq!(
            draw(&mut painter, &[], "a> ", "0123456", 0),
            "\r\x1b[1A\x1b[Ja> 0123456\r\x1b[3C"
        );
    }

    /// A line longer than the screen shows only the rows that fit, ending at the cursor's row.
    #[test]
    fn a_line_taller_than_the_screen_is_windowed() {
        let mut painter = Painter::new(10, 4, false);
        let text: String = "abcdefghij".repeat(5);
        let out = draw(&mut painter, &[], "a> ", &text, 50);
        // 53 cells: rows 0 to 5; three rows fit, the cursor's (5) the last of them.
        let cells = "a> ".to_string() + &text;
        let rows = [&cells[30..40], &cells[40..50], &cells[50..]].join("\r\n");
        assert_eq!(out, format!("\r\x1b[J{rows}\r\x1b[3C"));
    }

    /// After a resize the next draw goes back up the rows the line was drawn in (the
    /// painter ended them, so no terminal joins them), narrower or wider.
    #[test]
    fn a_resize_clears_the_rows_drawn() {
        let mut painter = Painter::new(80, 24, false);
        // 93 cells: two rows at 80 columns, the cursor on the second.
        draw(&mut painter, &[], "a> ", &"x".repeat(90), 90);
        painter.resize(60, 24);
        assert!(draw(&mut painter, &[], "a> ", &"x".repeat(90), 90).starts_with("\r\x1b[1A\x1b[J"));
        // 93 cells at 60 columns: two rows again; at 100, the line is back on one row.
        painter.resize(100, 24);
        assert!(draw(&mut painter, &[], "a> ", "", 0).starts_with("\r\x1b[1A\x1b[J"));
        assert!(draw(&mut painter, &[], "a> ", "", 0).starts_with("\r\x1b[J"));
    }

    /// On a terminal that reflows, a narrower window splits each row drawn above the cursor
    /// into the rows it now needs, and the painter goes back up all of them; a wider one
    /// joins nothing (the rows were ended by the painter).
    #[test]
    fn a_reflowing_terminal_counts_the_rows_it_split() {
        let mut painter = Painter::new(80, 24, false).reflowing(true);
        // 3 + 200 cells: rows of 80, 80 and 43, the cursor after the last.
        draw(&mut painter, &[], "a> ", &"x".repeat(200), 200);
        // At 50 columns the two full rows are two each, and the cursor's row (43) one.
        painter.resize(50, 24);
        assert!(
            draw(&mut painter, &[], "a> ", &"x".repeat(200), 200).starts_with("\r\x1b[4A\x1b[J")
        );
        // Drawn at 50: rows of 50, 50, 50, 50 and 3. Wider: still five rows.
        painter.resize(100, 24);
        assert!(draw(&mut painter, &[], "a> ", "", 0).starts_with("\r\x1b[4A\x1b[J"));
        // Without reflow the rows stay as drawn.
        let mut painter = Painter::new(80, 24, false);
        draw(&mut painter, &[], "a> ", &"x".repeat(200), 200);
        painter.resize(50, 24);
        assert!(draw(&mut painter, &[], "a> ", "", 0).starts_with("\r\x1b[2A\x1b[J"));
    }

    /// Which terminals reflow, from their environment.
    #[test]
    fn reflowing_terminals_are_known_by_their_variables() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert!(reflows(env(&[("TMUX", "/tmp/tmux-0/default,1,0")])));
        assert!(reflows(env(&[
            ("TERM", "xterm-256color"),
            ("VTE_VERSION", "7600")
        ])));
        assert!(reflows(env(&[("TERM_PROGRAM", "iTerm.app")])));
        assert!(!reflows(env(&[("TERM", "xterm-256color")])));
        assert!(!reflows(env(&[
            ("TERM", "screen"),
            ("VTE_VERSION", "7600")
        ])));
        assert!(!reflows(env(&[])));
    }

    /// Emoji sequences take the columns terminals give them: 👩‍💻 (joined) and 👍🏽 (with a skin
    /// tone) two, ❤️ (with the emoji selector) two.
    #[test]
    fn emoji_sequences_are_two_columns() {
        for emoji in ["👩\u{200d}💻", "👍\u{1f3fd}", "❤\u{fe0f}"] {
            let placement = Placement::of(&chars(emoji), 80);
            assert_eq!(placement.end, (0, 2), "{emoji:?}");
        }
        // 17 of them after a 14-column prompt: 48 columns, one row at 80.
        let text = "👩\u{200d}💻".repeat(17);
        let cells = chars(&format!("alice -> bob> {text}"));
        assert_eq!(Placement::of(&cells, 80).end, (0, 48));
    }

    /// Wide letters that do not fit in the last column start the next row.
    #[test]
    fn wide_letters_wrap_whole() {
        let placement = Placement::of(&chars("abc李"), 4);
        assert_eq!(placement.starts, [(0, 0), (0, 1), (0, 2), (1, 0)]);
        assert_eq!(placement.end, (1, 2));
    }

    #[test]
    fn finished_lines_stay_as_records() {
        let mut painter = Painter::new(80, 24, true);
        draw(&mut painter, &[], "a> ", "hi", 2);
        let out = String::from_utf8(painter.finish(&[], "a> ", &["hi".into()])).unwrap();
        assert_eq!(out, "\r\x1b[J\x1b[34ma> \x1b[0mhi\r\n");
    }
}
