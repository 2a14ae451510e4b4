//! User names: what a name may hold, its one normal form, and when two names are the same.
//!
//! People pick their names and other people read them in `status` and in front of every
//! message, so two names that *look* the same must be the same name: otherwise `аlice` (with a
//! Cyrillic `а`) can sit beside `alice` and receive what was meant for her. So:
//!
//! - a name is stored in Unicode NFKC form (a decomposed `e` + accent becomes `é`, a fullwidth
//!   `ａ` becomes `a`), so every way of typing it gives the same name;
//! - two names are equal (and sort together) when they look alike by [`crate::fold`]: the UTS
//!   #39 confusable skeleton of the name as typed, then case and accents ignored, `i` and `l`
//!   one letter. `alice`, `Alice`, `ALICE`, `аlice` (Cyrillic `а`), `a1ice` and `aIice` (capital
//!   `I`) are one name, and so are `José` and `jose`: only one of them can be online at a time,
//!   and `connect jose` reaches `José`. The client's command words are compared by the same
//!   rule;
//! - a name needs at least one letter or digit (`-` or `..` are not names).
//!
//! The name keeps the spelling its owner chose for display.

use crate::fold::{fold, is_ignorable};
use crate::limits::MAX_NAME_LEN;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use thiserror::Error;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// A registered user's name: 1 to [`MAX_NAME_LEN`] letters, digits, `_`, `-` or `.` with at
/// least one letter or digit, in NFKC form.
///
/// Equality, ordering and hashing go by how the name looks (see the module documentation), not
/// by its exact characters: `Name::parse("Alice") == Name::parse("alice")`.
#[derive(Debug, Clone)]
pub struct Name {
    /// As its owner spelled it (after NFKC).
    text: String,
    /// How the name looks ([`fold`]): what equality compares.
    key: String,
}

/// Why a proposed user name was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NameError {
    /// The name was empty.
    #[error("a name needs at least one character")]
    Empty,
    /// The name was longer than [`MAX_NAME_LEN`] characters.
    #[error("a name has at most {MAX_NAME_LEN} characters")]
    TooLong,
    /// The name held a character other than a letter, digit, `_`, `-` or `.`.
    #[error("a name may hold only letters, digits, '_', '-' and '.', not {}", describe(*.0))]
    BadChar(char),
    /// The name held only `_`, `-` and `.`.
    #[error("a name needs at least one letter or digit")]
    NoLetterOrDigit,
    /// The name is kept for the protocol itself (or looks like such a name).
    #[error("'{0}' is reserved")]
    Reserved(String),
}

/// A refused character as a student can read it: itself in quotes when it is visible, its code
/// point and what it is when it is not.
fn describe(c: char) -> String {
    if c == ' ' {
        "' ' (a space)".into()
    } else if is_combining_mark(c) {
        format!(
            "U+{:04X}, an accent typed on its own (type the accented letter itself)",
            u32::from(c)
        )
    } else if c.is_control() || c.is_whitespace() || is_ignorable(c) {
        format!("U+{:04X}, an invisible character", u32::from(c))
    } else {
        format!("'{c}'")
    }
}

/// Names that would read like the server or like a control word on the wire.
const RESERVED_NAMES: [&str; 5] = ["server", "gen_keys", "key_commit", "key_param", "key_proof"];

impl Name {
    /// Checks a proposed name and brings it to NFKC form.
    ///
    /// # Errors
    /// A [`NameError`] saying which rule the name breaks.
    pub fn parse(text: &str) -> Result<Name, NameError> {
        let text: String = text.nfkc().collect();
        if text.is_empty() {
            return Err(NameError::Empty);
        }
        if let Some(bad) = text
            .chars()
            .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.')))
        {
            return Err(NameError::BadChar(bad));
        }
        if text.chars().count() > MAX_NAME_LEN {
            return Err(NameError::TooLong);
        }
        if !text.chars().any(char::is_alphanumeric) {
            return Err(NameError::NoLetterOrDigit);
        }
        let key = fold(&text);
        // Folded once, not on every parse: the client parses the sender of every chat line.
        static RESERVED_KEYS: std::sync::LazyLock<Vec<String>> =
            std::sync::LazyLock::new(|| RESERVED_NAMES.iter().map(|r| fold(r)).collect());
        if RESERVED_KEYS.contains(&key) {
            return Err(NameError::Reserved(text));
        }
        Ok(Name { text, key })
    }

    /// The name as text, spelled as its owner chose.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.key == other.key
    }
}

impl Eq for Name {}

impl Hash for Name {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Name) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// By how names look (their [`fold`]), so that the order agrees with equality; `status` sorts
/// its rows by spelling itself.
impl Ord for Name {
    fn cmp(&self, other: &Name) -> Ordering {
        self.key.cmp(&other.key)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> String {
        Name::parse(text).map(|n| n.to_string()).unwrap()
    }

    #[test]
    fn names_follow_the_rules() {
        let ok = [
            "alice",
            "Bob_2",
            "x",
            "a.b-c",
            "ünï",
            "李雷",
            &"n".repeat(MAX_NAME_LEN),
        ];
        for name in ok {
            assert_eq!(parsed(name), name);
        }
        let bad = [
            ("", NameError::Empty),
            ("two words", NameError::BadChar(' ')),
            ("(server)", NameError::BadChar('(')),
            ("col:on", NameError::BadChar(':')),
            ("esc\x1b", NameError::BadChar('\x1b')),
            ("x\u{301}\u{301}", NameError::BadChar('\u{301}')),
            ("-", NameError::NoLetterOrDigit),
            ("..", NameError::NoLetterOrDigit),
            ("_-.", NameError::NoLetterOrDigit),
            ("SERVER", NameError::Reserved("SERVER".into())),
            ("GEN_KEYS", NameError::Reserved("GEN_KEYS".into())),
            ("key_param", NameError::Reserved("key_param".into())),
            ("Key_Commit", NameError::Reserved("Key_Commit".into())),
            ("ѕerver", NameError::Reserved("ѕerver".into())),
        ];
        for (name, err) in bad {
            assert_eq!(Name::parse(name), Err(err), "name {name:?}");
        }
        let long = "n".repeat(MAX_NAME_LEN + 1);
        assert_eq!(Name::parse(&long), Err(NameError::TooLong));
    }

    /// Every way of typing a name gives one spelling: NFKC.
    #[test]
    fn names_are_normalised() {
        assert_eq!(parsed("e\u{301}ve"), "éve");
        assert_eq!(parsed("ａｌｉｃｅ"), "alice");
        assert_eq!(parsed("ﬁona"), "fiona");
    }

    /// Names that look alike are the same name, whatever their case or script.
    #[test]
    fn look_alikes_are_one_name() {
        let alice = Name::parse("alice").unwrap();
        for same in ["Alice", "ALICE", "аlice", "a1ice", "аlicе", "ａlice"] {
            assert_eq!(Name::parse(same).unwrap(), alice, "{same:?}");
        }
        for other in ["alicia", "bob", "alice2"] {
            assert_ne!(Name::parse(other).unwrap(), alice, "{other:?}");
        }
        assert_eq!(
            Name::parse("rnallory").unwrap(),
            Name::parse("mallory").unwrap()
        );
    }

    /// Issue 20: the skeleton is taken before lowercasing, so a capital `I` that reads as `l`
    /// is caught; and accents and case fold alike, so `jose` and `José` are one name.
    #[test]
    fn capital_i_and_accents_are_caught() {
        for (typed, online) in [
            ("aIice", "alice"),
            ("AIice", "alice"),
            ("wiII", "will"),
            ("IiIy", "lily"),
            ("oIga", "olga"),
            ("Тom", "tom"),
            ("jose", "José"),
            ("JOSE", "José"),
            ("Jose\u{301}", "jose"),
            ("zoe", "Zoë"),
        ] {
            assert_eq!(
                Name::parse(typed).unwrap(),
                Name::parse(online).unwrap(),
                "{typed:?} next to {online:?}"
            );
        }
    }

    /// A refused invisible or combining character is named by its code point.
    #[test]
    fn refusals_are_readable() {
        let accent = Name::parse("x\u{301}\u{301}").unwrap_err().to_string();
        assert!(
            accent.contains("U+0301, an accent typed on its own"),
            "{accent}"
        );
        let zero_width = Name::parse("al\u{200b}ice").unwrap_err().to_string();
        assert!(
            zero_width.contains("U+200B, an invisible character"),
            "{zero_width}"
        );
        for hidden in ['\u{ad}', '\u{2066}', '\u{180e}', '\u{e0041}'] {
            let refusal = Name::parse(&format!("al{hidden}ice"))
                .unwrap_err()
                .to_string();
            let code = format!("U+{:04X}, an invisible character", u32::from(hidden));
            assert!(refusal.contains(&code), "{refusal}");
        }
        let space = Name::parse("a b").unwrap_err().to_string();
        assert!(space.contains("' ' (a space)"), "{space}");
    }
}
