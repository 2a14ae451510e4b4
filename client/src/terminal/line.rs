//! The line being typed and the lines typed before: pure editing, no terminal.
//!
//! [`Line`] is the text and the cursor, with the Emacs-style edits the line editor offers
//! (Ctrl+A/E, Ctrl+U/K/W, Backspace, Delete). [`History`] is what Up/Down and the reverse search
//! (Ctrl+R) look through; it lives in memory only, since secure messages are typed in plain text.

/// How many typed lines the history keeps.
pub const HISTORY_LEN: usize = 500;

/// The text being typed and where the cursor is in it (a character index).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Line {
    chars: Vec<char>,
    cursor: usize,
}

impl Line {
    /// An empty line.
    pub fn new() -> Line {
        Line::default()
    }

    /// A line holding `text`, the cursor at its end.
    pub fn from_text(text: &str) -> Line {
        let mut line = Line::new();
        line.insert(text);
        line
    }

    /// The text.
    pub fn text(&self) -> String {
        self.chars.iter().collect()
    }

    /// The characters.
    pub fn chars(&self) -> &[char] {
        &self.chars
    }

    /// The cursor, as the index of the character it sits before.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// True when nothing is typed.
    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// Inserts `text` at the cursor. A tab becomes a space; other control characters (and line
    /// breaks, which the editor handles before this) are dropped, so the line never holds
    /// anything that moves the terminal's cursor.
    pub fn insert(&mut self, text: &str) {
        for c in text.chars() {
            let c = if c == '\t' { ' ' } else { c };
            if c.is_control() {
                continue;
            }
            self.chars.insert(self.cursor, c);
            self.cursor += 1;
        }
    }

    /// Deletes the character before the cursor (Backspace).
    pub fn backspace(&mut self) {
        if self.cursor > 0 {
            self.cursor -= 1;
            self.chars.remove(self.cursor);
        }
    }

    /// Deletes the character under the cursor (Delete).
    pub fn delete(&mut self) {
        if self.cursor < self.chars.len() {
            self.chars.remove(self.cursor);
        }
    }

    /// One character left.
    pub fn left(&mut self) {
        self.cursor = self.cursor.saturating_sub(1);
    }

    /// One character right.
    pub fn right(&mut self) {
        self.cursor = (self.cursor + 1).min(self.chars.len());
    }

    /// To the start of the line (Ctrl+A, Home).
    pub fn home(&mut self) {
        self.cursor = 0;
    }

    /// To the end of the line (Ctrl+E, End).
    pub fn end(&mut self) {
        self.cursor = self.chars.len();
    }

    /// Deletes from the start of the line to the cursor (Ctrl+U).
    pub fn kill_to_start(&mut self) {
        self.chars.drain(..self.cursor);
        self.cursor = 0;
    }

    /// Deletes from the cursor to the end of the line (Ctrl+K).
    pub fn kill_to_end(&mut self) {
        self.chars.truncate(self.cursor);
    }

    /// Deletes the word before the cursor and the spaces after it (Ctrl+W).
    pub fn kill_word_back(&mut self) {
        let mut start = self.cursor;
        while start > 0 && self.chars[start - 1].is_whitespace() {
            start -= 1;
        }
        while start > 0 && !self.chars[start - 1].is_whitespace() {
            start -= 1;
        }
        self.chars.drain(start..self.cursor);
        self.cursor = start;
    }
}

/// Lines typed before, oldest first, and where Up/Down is browsing them.
#[derive(Debug, Default)]
pub struct History {
    entries: Vec<String>,
    /// The entry Up/Down shows now, if browsing.
    browsing: Option<usize>,
    /// The line that was being typed when browsing began, for Down past the newest entry.
    draft: Option<Line>,
}

impl History {
    /// An empty history.
    pub fn new() -> History {
        History::default()
    }

    /// Remembers a typed line (not blank ones, nor the same line twice in a row) and stops
    /// browsing.
    pub fn push(&mut self, line: &str) {
        self.browsing = None;
        self.draft = None;
        if line.trim().is_empty() || self.entries.last().is_some_and(|last| last == line) {
            return;
        }
        if self.entries.len() == HISTORY_LEN {
            self.entries.remove(0);
        }
        self.entries.push(line.to_string());
    }

    /// Up: the entry before the one shown (or the newest), keeping `current` to come back to.
    /// `None` at the oldest.
    pub fn older(&mut self, current: &Line) -> Option<Line> {
        let next = match self.browsing {
            None => self.entries.len().checked_sub(1)?,
            Some(i) => i.checked_sub(1)?,
        };
        if self.browsing.is_none() {
            self.draft = Some(current.clone());
        }
        self.browsing = Some(next);
        Some(Line::from_text(&self.entries[next]))
    }

    /// Down: the entry after the one shown, or the line that was being typed. `None` when not
    /// browsing.
    pub fn newer(&mut self) -> Option<Line> {
        let i = self.browsing?;
        if i + 1 < self.entries.len() {
            self.browsing = Some(i + 1);
            return Some(Line::from_text(&self.entries[i + 1]));
        }
        self.browsing = None;
        Some(self.draft.take().unwrap_or_default())
    }

    /// The newest entry before index `before` (all entries if `None`) that contains `term`.
    pub fn find(&self, term: &str, before: Option<usize>) -> Option<usize> {
        let end = before.unwrap_or(self.entries.len());
        self.entries[..end].iter().rposition(|e| e.contains(term))
    }

    /// The entry at `index`.
    pub fn get(&self, index: usize) -> Option<&str> {
        self.entries.get(index).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_move_and_cut_at_the_cursor() {
        let mut line = Line::from_text("hello world");
        line.home();
        line.insert("oh, ");
        assert_eq!(line.text(), "oh, hello world");
        line.end();
        line.kill_word_back();
        assert_eq!(line.text(), "oh, hello ");
        line.left();
        line.left();
        line.kill_to_end();
        assert_eq!(line.text(), "oh, hell");
        line.backspace();
        line.home();
        line.delete();
        assert_eq!(line.text(), "h, hel");
        line.right();
        line.kill_to_start();
        assert_eq!((line.text().as_str(), line.cursor()), (", hel", 0));
    }

    /// Pasted control characters never reach the line; a tab is a space.
    #[test]
    fn control_characters_are_dropped() {
        assert_eq!(Line::from_text("a\tb\x1b[2Jc\x07").text(), "a b[2Jc");
    }

    #[test]
    fn up_and_down_browse_and_come_back_to_the_draft() {
        let mut history = History::new();
        for line in ["one", "two", "two", " ", "three"] {
            history.push(line);
        }
        let draft = Line::from_text("half");
        assert_eq!(history.older(&draft).unwrap().text(), "three");
        assert_eq!(history.older(&draft).unwrap().text(), "two");
        assert_eq!(history.older(&draft).unwrap().text(), "one");
        assert!(history.older(&draft).is_none());
        assert_eq!(history.newer().unwrap().text(), "two");
        assert_eq!(history.newer().unwrap().text(), "three");
        assert_eq!(history.newer().unwrap().text(), "half");
        assert!(history.newer().is_none());
    }

    #[test]
    fn search_finds_the_newest_match_then_older_ones() {
        let mut history = History::new();
        for line in ["connect bob", "hello", "connect carol"] {
            history.push(line);
        }
        assert_eq!(history.find("connect", None), Some(2));
        assert_eq!(history.find("connect", Some(2)), Some(0));
        assert_eq!(history.find("connect", Some(0)), None);
        assert_eq!(history.get(1), Some("hello"));
    }
}
