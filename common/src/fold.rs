//! How typed text *looks*: the one folding rule that user names and the client's command words
//! share, so that what a person reads as `alice` or `secure:` is `alice` or `secure:`.
//!
//! [`fold`] brings text to a key; two texts look alike when their keys are equal:
//!
//! 1. default-ignorable characters, which print as nothing, are dropped ([`is_ignorable`]:
//!    zero-width space and joiners, word joiner, bidi marks, soft hyphen, byte-order mark ...);
//! 2. the UTS #39 confusable skeleton of the text *as typed*, before any lowercasing or NFKC, so
//!    a capital `I` among lowercase letters counts as the `l` it looks like (`aIice` is `alice`),
//!    Cyrillic or Greek letters as the Latin ones they look like (`Тom` is `Tom`, the lunate
//!    sigma `ϲ` is `c`, which NFKC would have made a `ς`), full-width `ｓ` as `s`;
//! 3. NFKC, for the compatibility forms the confusable data leaves alone (`ﬁ` is `fi`), and
//!    the skeleton of that;
//! 4. lowercase, then the skeleton again and lowercase again (case is ignored: `ALICE` is
//!    `alice`, and `MAX`, whose lowercase `m` looks like `rn`, is `max`);
//! 5. accents are ignored: the skeleton is decomposed (NFD), and every combining mark that sits
//!    on a letter (canonical combining class not 0: acute, grave, diaeresis, cedilla, tilde,
//!    ogonek, stroke, nukta, Hebrew and Arabic points ...) is dropped, so `José` is `jose`;
//! 6. `i` and `l` are one letter. Step 2 makes a capital `I` an `l`, and case makes it an `i`;
//!    `ALICE`, `aIice` and `alice` must all be one name, so the key cannot tell `i` from `l`
//!    (so `li` and `ll` are one name too: the cost is that the second of them is refused).
//!
//! What it does not do: a capital that looks like one Latin letter while its lowercase looks
//! like another (Greek `Η` is `H`, `η` is `n`; the eth `Ð` is `Đ`, `ð` is `∂`) is compared by
//! how each looks, so `ΗΛΙΑΣ` and `ηλιας` are two names. Looking alike wins over case where the
//! two disagree; every other Latin letter's case is ignored.

use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::UnicodeNormalization;
use unicode_security::skeleton;

/// The key of `text` for comparing how it looks (see the module documentation): equal keys
/// mean a person would read the two texts as the same.
///
/// ```
/// use common::fold::fold;
/// assert_eq!(fold("aIice"), fold("alice"));
/// assert_eq!(fold("ALICE"), fold("alice"));
/// assert_eq!(fold("José"), fold("jose"));
/// assert_eq!(fold("ｓｅ\u{200b}сurе"), fold("secure")); // full-width, ZWSP, Cyrillic с and е
/// assert_eq!(fold("seϲure"), fold("secure")); // Greek lunate sigma
/// assert_ne!(fold("alicia"), fold("alice"));
/// ```
pub fn fold(text: &str) -> String {
    let visible: String = text.chars().filter(|&c| !is_ignorable(c)).collect();
    let compatible: String = skeleton(&visible).nfkc().collect();
    let looks = skeleton(&compatible).collect::<String>().to_lowercase();
    skeleton(&looks)
        .collect::<String>()
        .to_lowercase()
        .nfd()
        .filter(|&c| canonical_combining_class(c) == 0)
        .map(|c| if c == 'i' { 'l' } else { c })
        .collect()
}

/// Unicode's default-ignorable code points (`Default_Ignorable_Code_Point` in
/// DerivedCoreProperties.txt): characters that print as nothing unless a font has a reason to
/// show them. Typed or pasted into a word, they leave it looking the same.
pub fn is_ignorable(c: char) -> bool {
    matches!(c,
        '\u{00ad}' // soft hyphen
        | '\u{034f}' // combining grapheme joiner
        | '\u{061c}' // Arabic letter mark
        | '\u{115f}' | '\u{1160}' // Hangul choseong and jungseong fillers
        | '\u{17b4}' | '\u{17b5}' // Khmer inherent vowels
        | '\u{180b}'..='\u{180f}' // Mongolian variation selectors and vowel separator
        | '\u{200b}'..='\u{200f}' // zero width space, non-joiner, joiner; LRM, RLM
        | '\u{202a}'..='\u{202e}' // bidi embeddings and overrides
        | '\u{2060}'..='\u{206f}' // word joiner, invisible operators, bidi isolates, ...
        | '\u{3164}' // Hangul filler
        | '\u{fe00}'..='\u{fe0f}' // variation selectors
        | '\u{feff}' // zero width no-break space (byte-order mark)
        | '\u{ffa0}' // halfwidth Hangul filler
        | '\u{fff0}'..='\u{fff8}' // unassigned, reserved as ignorable
        | '\u{1bca0}'..='\u{1bca3}' // shorthand format controls
        | '\u{1d173}'..='\u{1d17a}' // musical format controls
        | '\u{e0000}'..='\u{e0fff}' // tags, variation selectors supplement, reserved
    )
}

/// A character that reads as a colon: one whose [`fold`] is `:` (`:`, full-width `：`, small
/// `﹕`, the ratio sign `∶` that NFKC leaves alone, the modifier letter colon `꞉`, `˸`, Hebrew
/// `׃`, the presentation form `︓`, ...).
pub fn is_colon(c: char) -> bool {
    let mut one = [0; 4];
    fold(c.encode_utf8(&mut one)) == ":"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The look-alikes issue 20 found, and the accent and case rule.
    #[test]
    fn names_that_look_alike_fold_alike() {
        for (a, b) in [
            ("aIice", "alice"),
            ("AIice", "alice"),
            ("ALICE", "alice"),
            ("wiII", "will"),
            ("WILL", "will"),
            ("IiIy", "lily"),
            ("oIga", "olga"),
            ("José", "jose"),
            ("JOSÉ", "jose"),
            ("Zoë", "zoe"),
            ("MAX", "max"),
            ("Тom", "tom"),
            ("a1ice", "alice"),
            ("rnallory", "mallory"),
            ("ｓｅｃｕｒｅ", "secure"),
            ("se\u{200d}cu\u{ad}re", "secure"),
        ] {
            assert_eq!(fold(a), fold(b), "{a:?} and {b:?}");
        }
        for (a, b) in [("alice", "alicia"), ("bob", "rob"), ("jose", "josé2")] {
            assert_ne!(fold(a), fold(b), "{a:?} and {b:?}");
        }
    }

    /// Case is ignored for every Latin letter, accented or not.
    #[test]
    fn latin_case_is_ignored() {
        // Basic Latin, Latin-1 and Latin Extended-A (Extended-B has capitals that look like
        // other things, `Ƨ` like `2`: there looking alike wins, as for the one exception here:
        // the capital eth `Ð` looks like `Đ`, a `d`, and its lowercase `ð` like `∂`).
        let letters = ('\u{41}'..='\u{17f}').filter(|c| c.is_uppercase());
        let differ: String = letters
            .filter(|&upper| fold(&upper.to_string()) != fold(&upper.to_lowercase().to_string()))
            .collect();
        assert_eq!(differ, "Ð");
    }

    /// Every character the issue names as a colon is one, and NFKC alone would miss `∶`.
    #[test]
    fn the_colon_class() {
        for c in [':', '：', '﹕', '∶', '꞉', '˸', '׃', '︓'] {
            assert!(is_colon(c), "{c:?} U+{:04X}", u32::from(c));
        }
        assert_eq!('∶'.to_string().nfkc().collect::<String>(), "∶");
        for c in [';', '.', 'i', ' ', '!', '|'] {
            assert!(!is_colon(c), "{c:?}");
        }
    }
}
