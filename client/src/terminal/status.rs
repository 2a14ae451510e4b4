//! The answer to `status` as an aligned table, for a person at a terminal.
//!
//! The server answers `status` with a header and one row per user:
//!
//! ```text
//! (server): 3 users online:
//! (server): - alice: BUSY with bob (you)
//! (server): - bob: BUSY with alice
//! (server): - carol: FREE
//! ```
//!
//! Scripts (piped mode) see exactly those lines. At a terminal the client gathers the rows
//! ([`StatusRows`]) and shows them as a table ([`render`]):
//!
//! ```text
//! (server): 3 users online:
//!   USER   STATE  PARTNER
//!   alice  BUSY   bob      (you)
//!   bob    BUSY   alice
//!   carol  FREE
//! ```

use common::protocol::StatusEntry;
use unicode_width::UnicodeWidthStr;

/// The rows of one `status` answer, gathered as they arrive.
#[derive(Debug, Default)]
pub struct StatusRows {
    /// How many rows the header announced.
    expected: usize,
    rows: Vec<StatusEntry>,
}

/// The most rows gathered into one table. A server that announces more (or never stops
/// sending rows) gets a table of this many, and the rest are shown as the server's own lines,
/// so a hostile server cannot make the client hold an unbounded table.
pub const MAX_TABLE_ROWS: usize = 10_000;

impl StatusRows {
    /// Starts gathering after a header that announced `expected` rows (at most
    /// [`MAX_TABLE_ROWS`] are gathered).
    pub fn new(expected: usize) -> StatusRows {
        let expected = expected.min(MAX_TABLE_ROWS);
        StatusRows {
            expected,
            rows: Vec::with_capacity(expected.min(1024)),
        }
    }

    /// Adds a row; true once every announced row is in.
    pub fn push(&mut self, entry: StatusEntry) -> bool {
        self.rows.push(entry);
        self.is_complete()
    }

    /// True once every announced row is in.
    pub fn is_complete(&self) -> bool {
        self.rows.len() >= self.expected
    }

    /// The rows gathered so far.
    pub fn rows(&self) -> &[StatusEntry] {
        &self.rows
    }
}

/// The table's lines (without the `N users online:` header) for a terminal `width` columns
/// wide: column titles, then one line per user in the order a person reads a list of names
/// (`alice`, `José`, `Zoë`; the server sends them in byte order, capitals and accents out of
/// place), columns padded to the widest cell, the asker's row ending in `(you)`.
///
/// A table wider than the terminal would be broken by it mid-cell, titles and all; then each
/// user is a line of its own instead (`alice  BUSY with bob (you)`), broken between words with
/// later rows indented under the name:
///
/// ```text
/// (server): 2 users online:
///   alice  BUSY with
///       bernadette_the_long_name (you)
///   bernadette_the_long_name  BUSY with
///       alice
/// ```
pub fn render(entries: &[StatusEntry], width: usize) -> Shown {
    let mut entries: Vec<&StatusEntry> = entries.iter().collect();
    entries.sort_by_cached_key(|e| {
        let name = e.name.to_string();
        (reading_key(&name), name)
    });
    let mut table = table(&entries);
    if table.iter().all(|line| line.width() <= width) {
        let titles = table.remove(0);
        return Shown {
            titles: Some(titles),
            rows: table,
        };
    }
    let rows = entries
        .iter()
        .flat_map(|e| {
            let mut text = e.presence().to_string();
            if let Some(partner) = &e.partner {
                text.push_str(&format!(" with {partner}"));
            }
            if e.is_you {
                text.push_str(" (you)");
            }
            // Later rows under the name, not under the state: a long name would leave no room.
            crate::terminal::wrap::hanging(&format!("  {}  ", e.name), 6, &text, width)
        })
        .collect();
    Shown { titles: None, rows }
}

/// A `status` answer as shown: a table's column titles (none for a list), then its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// `  USER   STATE  PARTNER`, over a table.
    pub titles: Option<String>,
    /// One or more per user.
    pub rows: Vec<String>,
}

impl Shown {
    /// Every line, titles first.
    pub fn lines(&self) -> Vec<String> {
        self.titles.iter().chain(&self.rows).cloned().collect()
    }
}

/// The lines of the table, whatever its width.
fn table(entries: &[&StatusEntry]) -> Vec<String> {
    const TITLES: [&str; 3] = ["USER", "STATE", "PARTNER"];
    let cells: Vec<[String; 3]> = entries
        .iter()
        .map(|e| {
            [
                e.name.to_string(),
                e.presence().to_string(),
                e.partner
                    .as_ref()
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let mut widths = TITLES.map(UnicodeWidthStr::width);
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.width());
        }
    }
    let line = |cells: [&str; 3], you: bool| {
        let mut text = String::from(" ");
        for (cell, width) in cells.iter().zip(widths) {
            text.push(' ');
            text.push_str(cell);
            text.push_str(&" ".repeat(width - cell.width() + 1));
        }
        if you {
            text.push_str(" (you)");
        }
        text.truncate(text.trim_end().len());
        text
    };
    let mut lines = vec![line(TITLES, false)];
    for (entry, row) in entries.iter().zip(&cells) {
        lines.push(line([&row[0], &row[1], &row[2]], entry.is_you));
    }
    lines
}

/// A name as a person alphabetises it: lower case, and each letter without its accents
/// (`José` files as `jose`, between `jane` and `julia`).
fn reading_key(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    name.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows come out in reading order whatever order the server sent them in.
    #[test]
    fn rows_are_in_reading_order() {
        let entries: Vec<StatusEntry> = ["Zoë", "alice", "José", "bob", "Julia"]
            .iter()
            .map(|name| StatusEntry {
                name: common::protocol::Name::parse(name).unwrap(),
                partner: None,
                is_you: false,
            })
            .collect();
        let names: Vec<String> = render(&entries, 80)
            .lines()
            .iter()
            .skip(1)
            .map(|l| l.split_whitespace().next().unwrap().to_string())
            .collect();
        assert_eq!(names, ["alice", "bob", "José", "Julia", "Zoë"]);
    }

    /// A header announcing billions of rows gathers at most MAX_TABLE_ROWS of them.
    #[test]
    fn a_huge_announcement_is_bounded() {
        let mut rows = StatusRows::new(usize::MAX);
        let entry = StatusEntry {
            name: common::protocol::Name::parse("x").unwrap(),
            partner: None,
            is_you: false,
        };
        for i in 1..=MAX_TABLE_ROWS {
            assert_eq!(rows.push(entry.clone()), i == MAX_TABLE_ROWS);
        }
        assert_eq!(rows.rows().len(), MAX_TABLE_ROWS);
    }
    use common::protocol::Name;

    fn entry(name: &str, partner: Option<&str>, is_you: bool) -> StatusEntry {
        StatusEntry {
            name: Name::parse(name).unwrap(),
            partner: partner.map(|p| Name::parse(p).unwrap()),
            is_you,
        }
    }

    #[test]
    fn columns_line_up_and_your_row_is_marked() {
        let table = render(
            &[
                entry("alice", Some("bob"), true),
                entry("bob", Some("alice"), false),
                entry("carol", None, false),
            ],
            80,
        )
        .lines();
        assert_eq!(
            table,
            [
                "  USER   STATE  PARTNER",
                "  alice  BUSY   bob      (you)",
                "  bob    BUSY   alice",
                "  carol  FREE",
            ]
        );
    }

    #[test]
    fn a_long_name_widens_its_column_and_a_free_you_is_still_marked() {
        let table = render(
            &[
                entry("a_rather_long_name", None, true),
                entry("b", Some("c"), false),
            ],
            80,
        )
        .lines();
        assert_eq!(
            table,
            [
                "  USER                STATE  PARTNER",
                "  a_rather_long_name  FREE            (you)",
                "  b                   BUSY   c",
            ]
        );
    }

    /// Width is measured in terminal columns, not bytes: wide letters still line up.
    #[test]
    fn wide_letters_are_measured_in_columns() {
        let table = render(&[entry("李雷", None, false), entry("bob", None, true)], 80).lines();
        assert_eq!(table[1], "  bob   FREE            (you)");
        assert_eq!(table[2], "  李雷  FREE");
    }

    /// A table wider than the terminal becomes a line per user, within the width, each
    /// user's later rows indented under the name.
    #[test]
    fn a_table_too_wide_becomes_a_list() {
        let entries = [
            entry("bernadette_the_long_name", Some("alice"), false),
            entry("alice", Some("bernadette_the_long_name"), true),
        ];
        assert_eq!(
            render(&entries, 80).titles.as_deref(),
            Some("  USER                      STATE  PARTNER")
        );
        assert_eq!(
            render(&entries, 40).lines(),
            [
                "  alice  BUSY with",
                "      bernadette_the_long_name (you)",
                "  bernadette_the_long_name  BUSY with",
                "      alice",
            ]
        );
    }

    #[test]
    fn rows_are_gathered_until_the_announced_count() {
        let mut rows = StatusRows::new(2);
        assert!(!rows.is_complete());
        assert!(!rows.push(entry("a", None, true)));
        assert!(rows.push(entry("b", None, false)));
        assert_eq!(rows.rows().len(), 2);
        assert!(StatusRows::new(0).is_complete());
    }
}
