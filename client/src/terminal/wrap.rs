//! Long notices broken between words for a person at a terminal, so that no fixed notice runs
//! past 80 columns and none is cut in the middle of a word by the terminal.
//!
//! Piped output is never wrapped: scripts read one notice per line.

use unicode_width::UnicodeWidthStr;

/// The widest a notice row gets, even on a wider terminal: longer rows are hard to read.
pub const NOTICE_WIDTH: usize = 80;

/// The narrowest width wrapped to: below it the terminal may as well wrap by itself.
const MIN_WIDTH: usize = 30;

/// The width to wrap notices to on a terminal `columns` wide (if known). A terminal that says
/// it has no columns (a pty nobody sized reports 0x0) is taken as 80 wide, as the line editor
/// takes it.
pub fn notice_width(columns: Option<u16>) -> usize {
    columns
        .filter(|&columns| columns > 0)
        .map_or(NOTICE_WIDTH, usize::from)
        .clamp(MIN_WIDTH, NOTICE_WIDTH)
}

/// `prefix` and `text` as rows of at most `width` columns, broken at spaces; rows after the
/// first are indented by the prefix's width. A line that fits is returned as it is (spaces
/// and all); a word longer than a row stays whole.
pub fn wrap(prefix: &str, text: &str, width: usize) -> Vec<String> {
    hanging(prefix, prefix.width(), text, width)
}

/// The fewest columns a row of text is given beside a label before the text goes under it
/// instead (see [`said`]).
pub const MIN_ROOM: usize = 20;

/// How far rows are indented under a label too wide to keep the text beside it.
pub const UNDER_LABEL: usize = 4;

/// `label ` and `text` (someone's message) as rows of at most `width` columns: later rows
/// indented under the text, as [`wrap`] does, unless the label leaves the text fewer than
/// [`MIN_ROOM`] columns (a long name on a narrow terminal, a timestamp in front): then they
/// are indented by [`UNDER_LABEL`], and the first row holds as much as fits after the label,
/// or only the label.
pub fn said(label: &str, text: &str, width: usize) -> Vec<String> {
    let prefix = format!("{label} ");
    let indent = prefix.width();
    if indent + MIN_ROOM <= width {
        hanging(&prefix, indent, text, width)
    } else {
        hanging(&prefix, UNDER_LABEL, text, width)
    }
}

/// `prefix` and `text` as rows of at most `width` columns, broken at spaces; rows after the
/// first are indented by `indent` columns. A word longer than a row stays whole; a prefix that
/// leaves no room for the first word ends its row alone.
pub fn hanging(prefix: &str, indent: usize, text: &str, width: usize) -> Vec<String> {
    if prefix.width() + text.width() <= width {
        return vec![format!("{prefix}{text}")];
    }
    let mut rows = Vec::new();
    let mut rest = text;
    let first_room = width.saturating_sub(prefix.width());
    // The first word, and where the first row may end after it.
    let first_word = rest.split(' ').next().map_or(0, UnicodeWidthStr::width);
    if first_word > first_room && indent < prefix.width() {
        rows.push(prefix.trim_end().to_string());
    } else {
        let cut = row_end(rest, first_room.max(1)).unwrap_or(rest.len());
        rows.push(format!("{prefix}{}", rest[..cut].trim_end()));
        rest = rest[cut..].trim_start();
    }
    let room = width.saturating_sub(indent).max(1);
    let pad = " ".repeat(indent);
    while let Some(cut) = row_end(rest, room) {
        rows.push(format!("{pad}{}", rest[..cut].trim_end()));
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() {
        rows.push(format!("{pad}{rest}"));
    }
    rows
}

/// Where to end the first row of `text`, at most `room` columns wide: after the last space
/// that fits, or after the first word if even that does not fit; `None` when all of `text`
/// fits. A space between two digits is not a place to break: a safety code (`4303 7186 6194`)
/// is read aloud as one.
///
/// It reads only as far as the row's end (or a long word's end), so wrapping a whole text
/// reads each character about once: linear, where measuring the rest again for every row was
/// quadratic (10 ms for an 8 KiB notice).
fn row_end(text: &str, room: usize) -> Option<usize> {
    let mut used = 0;
    // Just after the last space where the row may end.
    let mut last_break = None;
    let mut overflowed = false;
    for (i, c) in text.char_indices() {
        let breakable = c == ' ' && !between_digits(text, i);
        if breakable {
            if overflowed {
                // A word longer than a row: it stays whole, the row ends after it.
                return Some(i + 1);
            }
            last_break = Some(i + 1);
        }
        used += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used > room && !overflowed {
            overflowed = true;
            if last_break.is_some() {
                return last_break;
            }
        }
    }
    overflowed.then_some(text.len())
}

/// True when the space at byte `i` of `text` has a digit on each side.
fn between_digits(text: &str, i: usize) -> bool {
    let before = text[..i].chars().next_back();
    let after = text[i + 1..].chars().next();
    before.is_some_and(|c| c.is_ascii_digit()) && after.is_some_and(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wrapping reads each character about once: a 256 KiB text wraps in a blink, where the
    /// quadratic way took seconds.
    #[test]
    fn wrapping_is_linear() {
        let text = "word ".repeat(50 * 1024);
        let started = std::time::Instant::now();
        let rows = wrap("(client): ", &text, 80);
        assert_eq!(rows.len(), text.len().div_ceil(70));
        assert!(
            started.elapsed() < std::time::Duration::from_millis(500),
            "{:?}",
            started.elapsed()
        );
    }

    /// A size of 0x0 means unknown, not narrow: notices wrap at 80 columns, not 30.
    #[test]
    fn an_unknown_width_is_80_columns() {
        assert_eq!(notice_width(Some(0)), 80);
        assert_eq!(notice_width(None), 80);
        assert_eq!(notice_width(Some(40)), 40);
        assert_eq!(notice_width(Some(10)), 30);
    }

    #[test]
    fn a_line_that_fits_is_kept_as_it_is() {
        assert_eq!(
            wrap("(client): ", "  help              this list", 80),
            ["(client):   help              this list"]
        );
    }

    /// The key note (about 107 columns) becomes two rows, broken between words.
    #[test]
    fn a_long_notice_breaks_between_words_and_indents() {
        let rows = wrap(
            "(client): ",
            "secure messages to bob are ready; safety code 4303 7186 6194 (compare it with bob; type verify to see it again)",
            80,
        );
        assert_eq!(
            rows,
            [
                "(client): secure messages to bob are ready; safety code 4303 7186 6194 (compare",
                "          it with bob; type verify to see it again)",
            ]
        );
        assert!(rows.iter().all(|r| r.width() <= 80));
    }

    /// A safety code stays on one row.
    #[test]
    fn a_safety_code_is_not_broken() {
        let rows = wrap(
            "(client): ",
            "secure messages to alice_with_a_long_name are ready; safety code 8806 6481 4206 (compare)",
            80,
        );
        assert_eq!(
            rows,
            [
                "(client): secure messages to alice_with_a_long_name are ready; safety code",
                "          8806 6481 4206 (compare)",
            ]
        );
    }

    #[test]
    fn a_word_longer_than_a_row_stays_whole() {
        let long = "x".repeat(50);
        assert_eq!(
            wrap("(s): ", &format!("a {long} b"), 30),
            ["(s): a", &format!("     {long}"), "     b"]
        );
    }

    /// A label that leaves the text fewer than 20 columns (a long name at 40 columns) has the
    /// text's later rows indented by 4 under it, not squeezed beside it.
    #[test]
    fn a_wide_label_puts_the_text_under_it() {
        let label = "05:15 bernadette_the_long_name:";
        assert_eq!(
            said(
                label,
                "hello alice, this is a longer line to see how it wraps",
                40
            ),
            [
                "05:15 bernadette_the_long_name: hello",
                "    alice, this is a longer line to see",
                "    how it wraps",
            ]
        );
        // A label with no room after it is alone on its row.
        assert_eq!(
            said("05:15 bernadette_the_long_name (secure):", "psst", 40),
            ["05:15 bernadette_the_long_name (secure):", "    psst"]
        );
        // A short label keeps the text under the text.
        assert_eq!(
            said("bob:", "one two three four five six seven eight nine", 30),
            ["bob: one two three four five", "     six seven eight nine"]
        );
    }

    #[test]
    fn the_width_follows_narrow_terminals_only() {
        assert_eq!(notice_width(None), 80);
        assert_eq!(notice_width(Some(200)), 80);
        assert_eq!(notice_width(Some(60)), 60);
        assert_eq!(notice_width(Some(10)), 30);
    }
}
