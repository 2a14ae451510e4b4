//! What a person typed at the client's keyboard, as a typed value.
//!
//! This is not the wire: `key_param 12` typed by a person is chat text, not a protocol line,
//! and `verify` or `help` never leave the client. The client turns an [`Input`] into zero or
//! more [`Command`](crate::protocol::Command)s.
//!
//! # Command words
//!
//! The one rule for every command word: a line is a command when its first word *looks like*
//! the command word, compared by [`fold`] as user names are (case, full-width forms, accents,
//! characters that print as nothing, and Cyrillic or Greek look-alike letters are all ignored;
//! `i` and `l` are one letter). So `status`, `STATUS`, `Status` and `ｓｔａｔｕｓ` are all
//! `status`. Spaces (any Unicode white space) and invisible characters around the line do not
//! count. Then:
//!
//! - `status`, `goodbye`, `close`, `help`, `verify`, `trust`: the word alone on its line
//!   (`status please` is chat text);
//! - `connect <user>`: the word, white space, the user (`connect` alone is
//!   [`Incomplete::Connect`]); `forget <user>` and its other spelling `untrust <user>` the
//!   same way ([`Incomplete::Forget`]);
//! - `secure: <message>`: the word `secure`, then (after any spaces) a character that reads as
//!   a colon ([`is_colon`]: `:` `：` `﹕` `∶` `꞉` `˸` `׃` `︓` ...), then the message (without
//!   the invisible characters and the one space right after the colon). Nothing but white
//!   space after the colon is [`Incomplete::Secure`], never an empty secure message.
//!   A secret must never go out as plain chat because of how it was typed, so anything a person
//!   would read as `secure:` is the command. Without its colon the word is chat text, as in the
//!   original (`secure x`, `securely: x`, `insecure: x` are chat).
//!
//! Any other line is a chat message, sent exactly as typed.

use crate::fold::{fold, is_colon, is_ignorable};
use thiserror::Error;

/// One line typed by the person at the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// `status`
    Status,
    /// `connect <user>`
    Connect(String),
    /// `goodbye`
    Goodbye,
    /// `close`
    Close,
    /// `help`
    Help,
    /// `verify`: show the safety code of the current chat's key again, and the partner's pin.
    Verify,
    /// `trust`: after comparing the safety code, pin the partner's identity key under its name.
    Trust,
    /// `forget <user>` (or `untrust <user>`): remove the pin of that name.
    Forget(String),
    /// `secure: <message>`: the message, never empty or only white space.
    Secure(String),
    /// A command without what it needs: nothing is sent, the person is shown the usage.
    Incomplete(Incomplete),
    /// Anything else: a chat message, sent exactly as typed.
    Message(String),
}

/// A command typed without its argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Incomplete {
    /// `connect` with no user.
    #[error("usage: connect <user> (type status to see who is FREE)")]
    Connect,
    /// `secure:` with nothing but white space after it.
    #[error("usage: secure: <message>")]
    Secure,
    /// `forget` (or `untrust`) with no user.
    #[error("usage: forget <user> (type verify to see your partner's pin)")]
    Forget,
}

impl Incomplete {
    /// The command word as the person would type it: `connect` or `secure:`.
    pub fn word(self) -> &'static str {
        match self {
            Incomplete::Connect => "connect",
            Incomplete::Secure => "secure:",
            Incomplete::Forget => "forget",
        }
    }
}

/// More visible characters than any spelling of a command word has (`connect` is 7, with room
/// for accents typed as marks of their own): a longer word is not folded at all, so a long
/// line costs nothing to read.
const LONGEST_WORD: usize = 32;

/// The command words that stand alone on their line, with what each is.
const ALONE: [(&str, Input); 6] = [
    ("status", Input::Status),
    ("goodbye", Input::Goodbye),
    ("close", Input::Close),
    ("help", Input::Help),
    ("verify", Input::Verify),
    ("trust", Input::Trust),
];

/// The command words followed by a user name, with what each makes of it (and of nothing).
type WithUser = (&'static str, fn(String) -> Input, Incomplete);
const WITH_USER: [WithUser; 3] = [
    ("connect", Input::Connect, Incomplete::Connect),
    ("forget", Input::Forget, Incomplete::Forget),
    ("untrust", Input::Forget, Incomplete::Forget),
];

impl Input {
    /// Reads one typed line (without its line ending), by the rule in the module documentation.
    pub fn parse(line: &str) -> Input {
        if let Some(text) = secure_text(line) {
            if text.chars().all(|c| c.is_whitespace() || is_ignorable(c)) {
                return Input::Incomplete(Incomplete::Secure);
            }
            // Invisible characters and one space after the colon are part of the command word.
            let text = text.trim_start_matches(is_ignorable);
            let mut chars = text.chars();
            let after_space = match chars.next() {
                Some(c) if c.is_whitespace() => chars.as_str(),
                _ => text,
            };
            return Input::Secure(after_space.to_string());
        }
        let trimmed = trim(line);
        let (word, rest) = trimmed
            .split_once(char::is_whitespace)
            .unwrap_or((trimmed, ""));
        if word.chars().filter(|&c| !is_ignorable(c)).count() > LONGEST_WORD {
            return Input::Message(line.to_string());
        }
        let word = fold(word);
        let user = trim(rest);
        if let Some((_, make, incomplete)) = WITH_USER.iter().find(|(w, ..)| fold(w) == word) {
            return if user.is_empty() {
                Input::Incomplete(*incomplete)
            } else {
                make(user.to_string())
            };
        }
        match ALONE.into_iter().find(|(alone, _)| fold(alone) == word) {
            Some((_, input)) if rest.is_empty() => input,
            _ => Input::Message(line.to_string()),
        }
    }

    /// True for a `secure:` command, with its message or without ([`Incomplete::Secure`]):
    /// what the person meant to seal. A pasted entry that starts with one is secret to its end.
    pub fn is_secure(&self) -> bool {
        matches!(
            self,
            Input::Secure(_) | Input::Incomplete(Incomplete::Secure)
        )
    }
}

/// `text` without white space or invisible characters at either end.
fn trim(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_whitespace() || is_ignorable(c))
}

/// The text after the colon if `line` is a `secure:` command (see the module documentation).
fn secure_text(line: &str) -> Option<&str> {
    let start = line.trim_start_matches(|c: char| c.is_whitespace() || is_ignorable(c));
    let mut letters = 0;
    let mut end = start.len();
    for (at, c) in start.char_indices() {
        if is_ignorable(c) {
            continue;
        }
        if c.is_whitespace() || is_colon(c) {
            end = at;
            break;
        }
        letters += 1;
        if letters > LONGEST_WORD {
            return None;
        }
    }
    let (word, rest) = start.split_at(end);
    if fold(word) != fold("secure") {
        return None;
    }
    let rest = rest.trim_start_matches(|c: char| c.is_whitespace() || is_ignorable(c));
    let colon = rest.chars().next().filter(|&c| is_colon(c))?;
    Some(&rest[colon.len_utf8()..])
}

#[cfg(test)]
mod tests {
    use super::{Incomplete, Input};
    use crate::fold::{is_colon, is_ignorable};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    use unicode_normalization::UnicodeNormalization;
    use unicode_security::skeleton;

    #[test]
    fn typed_lines() {
        let cases = [
            ("status", Input::Status),
            (" status ", Input::Status),
            ("goodbye", Input::Goodbye),
            ("close", Input::Close),
            ("help", Input::Help),
            ("verify", Input::Verify),
            ("connect bob", Input::Connect("bob".into())),
            ("connect", Input::Incomplete(Incomplete::Connect)),
            ("connect \u{3000} ", Input::Incomplete(Incomplete::Connect)),
            ("secure: hi there", Input::Secure("hi there".into())),
            ("secure:x", Input::Secure("x".into())),
            (
                " secure: the door code",
                Input::Secure("the door code".into()),
            ),
            ("Secure: pin 1234", Input::Secure("pin 1234".into())),
            ("SECURE : x", Input::Secure("x".into())),
            ("secure:  two", Input::Secure(" two".into())),
            ("secure:\u{200b}\u{200e} x", Input::Secure("x".into())),
            ("secure: \u{200b}x", Input::Secure("\u{200b}x".into())),
            ("securely done", Input::Message("securely done".into())),
            ("secure：x", Input::Secure("x".into())),
            ("\u{feff}secure: x", Input::Secure("x".into())),
            ("secure", Input::Message("secure".into())),
            ("secure:", Input::Incomplete(Incomplete::Secure)),
            ("secure:   ", Input::Incomplete(Incomplete::Secure)),
            ("key_param 12", Input::Message("key_param 12".into())),
            ("GEN_KEYS", Input::Message("GEN_KEYS".into())),
            ("msg hi", Input::Message("msg hi".into())),
            ("  hello  ", Input::Message("  hello  ".into())),
            ("", Input::Message("".into())),
        ];
        for (line, want) in cases {
            assert_eq!(Input::parse(line), want, "line {line:?}");
        }
        for (line, secure) in [
            ("secure: x", true),
            ("ｓｅｃｕｒｅ： ", true),
            ("secure x", false),
        ] {
            assert_eq!(Input::parse(line).is_secure(), secure, "{line:?}");
        }
    }

    /// What `line` must read as: a secure message whose visible text is `text`.
    #[track_caller]
    fn assert_sealed(line: &str, text: &str) {
        match Input::parse(line) {
            Input::Secure(got) if got.trim_matches(blank) == text => {}
            other => panic!("{line:?} ({}) read as {other:?}", code_points(line)),
        }
    }

    fn blank(c: char) -> bool {
        c.is_whitespace() || is_ignorable(c)
    }

    fn code_points(text: &str) -> String {
        let points: Vec<String> = text
            .chars()
            .map(|c| format!("{:04X}", u32::from(c)))
            .collect();
        points.join(" ")
    }

    /// Every default-ignorable character, from the confusable data of `unicode-security`
    /// (whose skeleton drops exactly those), not from our own list. Computed once.
    fn ignorables() -> &'static [char] {
        static FOUND: OnceLock<Vec<char>> = OnceLock::new();
        FOUND.get_or_init(|| {
            let planes = ('\0'..='\u{2ffff}').chain('\u{e0000}'..='\u{e0fff}');
            let found: Vec<char> = planes
                .filter(|c| {
                    !c.is_whitespace() && skeleton(c.encode_utf8(&mut [0; 4])).next().is_none()
                })
                .collect();
            let named = "\u{200b}\u{200c}\u{200d}\u{2060}\u{200e}\u{200f}\u{202a}\u{202b}\u{202c}\
                         \u{202d}\u{202e}\u{2066}\u{2067}\u{2068}\u{2069}\u{ad}\u{feff}\u{180e}";
            for c in named.chars() {
                assert!(found.contains(&c), "U+{:04X} is not found", u32::from(c));
            }
            assert!(found.len() > 4000, "{} ignorables", found.len());
            found
        })
    }

    /// Every ignorable character, inserted at every position of `secure:` and in front of it,
    /// still reads as `secure:` (the big ranges of tags and variation selectors are sampled:
    /// every 61st).
    #[test]
    fn ignorables_anywhere_in_secure() {
        let sampled = ignorables()
            .iter()
            .enumerate()
            .filter(|&(i, &c)| c < '\u{e0000}' || i % 61 == 0);
        let word: Vec<char> = "secure:".chars().collect();
        for (_, &c) in sampled {
            assert!(is_ignorable(c), "U+{:04X}", u32::from(c));
            for at in 0..=word.len() {
                let mut line: String = word[..at].iter().collect();
                line.push(c);
                line.extend(&word[at..]);
                line.push_str(" the code");
                assert_sealed(&line, "the code");
            }
            assert_sealed(&format!("{c}{c} secure{c}:{c} the code"), "the code");
        }
    }

    /// Full-width forms (a CJK input method in full-width mode), in every combination of
    /// which characters are full-width, with an ideographic space.
    #[test]
    fn full_width_secure() {
        let word: Vec<char> = "secure:".chars().collect();
        for mask in 0..1u32 << word.len() {
            let mut line: String = word
                .iter()
                .enumerate()
                .map(|(i, &c)| {
                    if mask & (1 << i) == 0 {
                        c
                    } else {
                        char::from_u32(u32::from(c) - 0x21 + 0xff01).unwrap()
                    }
                })
                .collect();
            line.push_str("\u{3000}the code");
            assert_sealed(&line, "the code");
        }
        assert_sealed("ｓｅｃｕｒｅ： the code", "the code");
        assert_sealed("ＳＥＣＵＲＥ：the code", "the code");
    }

    /// The Cyrillic and Greek letters that look like `letter` (lower or upper case), found in
    /// the UTS #39 confusable data, not listed by hand. Computed once per letter.
    fn look_alikes(letter: char) -> &'static [char] {
        static FOUND: OnceLock<Mutex<HashMap<char, &'static [char]>>> = OnceLock::new();
        let mut found = FOUND.get_or_init(Mutex::default).lock().unwrap();
        found.entry(letter).or_insert_with(|| {
            let blocks = [
                '\u{370}'..='\u{3ff}',
                '\u{400}'..='\u{52f}',
                '\u{1f00}'..='\u{1fff}',
            ];
            let wanted = [letter.to_string(), letter.to_uppercase().to_string()];
            let alikes: Vec<char> = blocks
                .into_iter()
                .flatten()
                .filter(|c| wanted.contains(&skeleton(&c.to_string()).collect()))
                .collect();
            alikes.leak()
        })
    }

    /// Each letter of `secure` replaced by each of its Cyrillic and Greek look-alikes, one at a
    /// time and all at once.
    #[test]
    fn cyrillic_and_greek_look_alikes_of_secure() {
        let word: Vec<char> = "secure".chars().collect();
        let alikes: Vec<&[char]> = word.iter().map(|&c| look_alikes(c)).collect();
        // The ones a Russian or Greek keyboard gives, so the data is the one we think it is.
        for (i, must) in [(0, 'ѕ'), (1, 'е'), (2, 'с'), (2, 'ϲ'), (4, 'г'), (5, 'Е')] {
            assert!(alikes[i].contains(&must), "{must} for {}", word[i]);
        }
        for (i, options) in alikes.iter().enumerate() {
            for &alike in options.iter() {
                let mut line = word.clone();
                line[i] = alike;
                let line: String = line.into_iter().collect();
                assert_sealed(&format!("{line}: the code"), "the code");
                // The other letters in capitals (the look-alike as it is: `υ` is a `u`, its
                // capital `Υ` a `Y`).
                let mut upper: Vec<char> = word.iter().map(char::to_ascii_uppercase).collect();
                upper[i] = alike;
                let upper: String = upper.into_iter().collect();
                assert_sealed(&format!("{upper}: the code"), "the code");
            }
        }
        let longest = alikes.iter().map(|a| a.len()).max().unwrap();
        for n in 0..longest {
            let line: String = word
                .iter()
                .zip(&alikes)
                .map(|(&c, options)| options.get(n).copied().unwrap_or(c))
                .collect();
            assert_sealed(&format!("{line}: the code"), "the code");
        }
    }

    /// Every character the confusable data says looks like a colon, after the word.
    #[test]
    fn every_colon_of_the_class() {
        let colons: Vec<char> = ('\0'..='\u{2ffff}')
            .filter(|c| {
                let nfkc: String = c.to_string().nfkc().collect();
                skeleton(&nfkc).eq(":".chars())
            })
            .collect();
        for c in ['：', '﹕', '∶', '꞉', '˸', '׃', '︓'] {
            assert!(colons.contains(&c), "{c}");
        }
        for c in colons {
            assert!(is_colon(c), "U+{:04X}", u32::from(c));
            assert_sealed(&format!("secure{c} the code"), "the code");
            assert_sealed(&format!("Secure {c}the code"), "the code");
        }
    }

    /// `word` spelled at random: each letter in either case, full-width or a look-alike,
    /// with invisible characters around.
    fn disguise(word: &str, random: &mut StdRng, ignorables: &[char]) -> String {
        let mut line = String::new();
        for c in word.chars() {
            if random.gen_range(0..3) == 0 {
                line.push(ignorables[random.gen_range(0..ignorables.len())]);
            }
            let alikes = look_alikes(c);
            let c = match random.gen_range(0..4) {
                0 => c.to_ascii_uppercase(),
                1 if c.is_ascii_alphabetic() => {
                    char::from_u32(u32::from(c.to_ascii_uppercase()) - 0x21 + 0xff01).unwrap()
                }
                2 if !alikes.is_empty() => alikes[random.gen_range(0..alikes.len())],
                _ => c,
            };
            line.push(c);
        }
        line
    }

    /// Random mixes of all of the above: case, full-width, look-alikes, ignorables, colons,
    /// leading white space.
    #[test]
    fn random_spellings_of_secure() {
        let ignorables = ignorables();
        let colons = [':', '：', '﹕', '∶', '꞉', '˸', '׃', '︓'];
        let spaces = [' ', '\t', '\u{a0}', '\u{3000}', '\u{2003}'];
        let mut random = StdRng::seed_from_u64(0x5eed_1abc_04a7);
        for _ in 0..2000 {
            let mut line = String::new();
            for _ in 0..random.gen_range(0..3) {
                line.push(spaces[random.gen_range(0..spaces.len())]);
            }
            line += &disguise("secure", &mut random, ignorables);
            if random.gen_range(0..2) == 0 {
                line.push(spaces[random.gen_range(0..spaces.len())]);
            }
            line.push(colons[random.gen_range(0..colons.len())]);
            line.push(spaces[random.gen_range(0..spaces.len())]);
            line.push_str("the code");
            assert_sealed(&line, "the code");
        }
    }

    /// `secure:` with nothing but white space after it (any Unicode white space, with or
    /// without invisible characters) is a usage error, never an empty secure message.
    #[test]
    fn secure_with_only_spaces_is_incomplete() {
        let spaces: Vec<char> = (0..=0xffff)
            .filter_map(char::from_u32)
            .filter(|c| c.is_whitespace() && !matches!(c, '\n' | '\r'))
            .collect();
        assert!(spaces.len() >= 20, "{spaces:?}");
        for &c in &spaces {
            for line in [
                format!("secure:{c}"),
                format!("secure:{c}{c}{c}"),
                format!("ｓｅｃｕｒｅ：{c}\u{200b}{c}"),
            ] {
                assert_eq!(
                    Input::parse(&line),
                    Input::Incomplete(Incomplete::Secure),
                    "{line:?}"
                );
            }
        }
    }

    /// Near misses are chat: another word that contains `secure`, or the word without its
    /// colon (the command is the word *and* its colon), however they are spelled.
    #[test]
    fn near_misses_stay_chat() {
        let ignorables = ignorables();
        let mut random = StdRng::seed_from_u64(0xc0ffee);
        for near in [
            "securely: x",
            "insecure: x",
            "secured: x",
            "unsecure: x",
            "secure x",
            "secure",
            "secure; x",
            "secure. x",
            "sec ure: x",
            "secur: x",
            "x secure: y",
        ] {
            assert_eq!(Input::parse(near), Input::Message(near.into()), "{near:?}");
            for _ in 0..50 {
                let (word, rest) =
                    near.split_at(near.find([':', ';', '.', ' ']).unwrap_or(near.len()));
                let line = disguise(word, &mut random, ignorables) + rest;
                assert!(
                    !matches!(Input::parse(&line), Input::Secure(_) | Input::Incomplete(_)),
                    "{line:?} ({})",
                    code_points(&line)
                );
            }
        }
    }

    /// The other command words follow the same rule: case, full-width, look-alikes and
    /// invisible characters do not matter; alone on the line, or `connect` with a user.
    #[test]
    fn every_command_word_by_one_rule() {
        let ignorables = ignorables();
        let mut random = StdRng::seed_from_u64(0xbadc0de);
        let words = [
            ("status", Input::Status),
            ("goodbye", Input::Goodbye),
            ("close", Input::Close),
            ("help", Input::Help),
            ("verify", Input::Verify),
            ("trust", Input::Trust),
        ];
        for (word, input) in words {
            for spelled in [
                word.to_uppercase(),
                word[..1].to_uppercase() + &word[1..],
                format!(" \u{200b}{word}\u{2060} "),
            ] {
                assert_eq!(Input::parse(&spelled), input, "{spelled:?}");
            }
            for _ in 0..200 {
                let spelled = disguise(word, &mut random, ignorables);
                assert_eq!(
                    Input::parse(&spelled),
                    input,
                    "{spelled:?} ({})",
                    code_points(&spelled)
                );
                let more = format!("{spelled} please");
                assert_eq!(
                    Input::parse(&more),
                    Input::Message(more.clone()),
                    "{more:?}"
                );
            }
        }
        // The commands that take a name: the disguised word with a name is the command, alone
        // it is incomplete.
        type WithName = fn(String) -> Input;
        let with_a_name: [(&str, WithName, Incomplete); 3] = [
            ("connect", Input::Connect, Incomplete::Connect),
            ("forget", Input::Forget, Incomplete::Forget),
            ("untrust", Input::Forget, Incomplete::Forget),
        ];
        for (word, command, incomplete) in with_a_name {
            for _ in 0..150 {
                let spelled = disguise(word, &mut random, ignorables);
                assert_eq!(
                    Input::parse(&format!("{spelled} Bob ")),
                    command("Bob".into()),
                    "{spelled:?} ({})",
                    code_points(&spelled)
                );
                assert_eq!(Input::parse(&spelled), Input::Incomplete(incomplete));
            }
        }
        assert_eq!(Input::parse("trust me"), Input::Message("trust me".into()));
    }
}
