//! Secure session tests: messages round-trip in both directions, any change to a payload is
//! refused without disturbing the session, replays and reordering are caught, and the safety
//! code exposes a man in the middle.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use common::dh::{Group, KeyPair, PublicValue};
use common::secure::{OpenError, Session};
use rand::Rng;

/// Runs a Diffie-Hellman exchange in `group` and returns Alice's and Bob's sessions.
fn pair(group: Group) -> (Session, Session) {
    let alice = KeyPair::generate(group);
    let bob = KeyPair::generate(group);
    (
        Session::new(
            group,
            alice.public(),
            bob.public(),
            &alice.agree(bob.public()),
        ),
        Session::new(
            group,
            bob.public(),
            alice.public(),
            &bob.agree(alice.public()),
        ),
    )
}

/// A payload taken apart into its counter text, ciphertext and tag.
struct Parts {
    counter: String,
    ciphertext: Vec<u8>,
    tag: Vec<u8>,
}

impl Parts {
    fn of(payload: &str) -> Parts {
        let fields: Vec<&str> = payload.split('.').collect();
        assert_eq!(fields.len(), 3, "payload {payload:?}");
        Parts {
            counter: fields[0].to_owned(),
            ciphertext: BASE64.decode(fields[1]).unwrap(),
            tag: BASE64.decode(fields[2]).unwrap(),
        }
    }

    fn payload(&self) -> String {
        format!(
            "{}.{}.{}",
            self.counter,
            BASE64.encode(&self.ciphertext),
            BASE64.encode(&self.tag)
        )
    }
}

/// A random string of up to `max_chars` characters mixing ASCII, accented letters, CJK and
/// emoji, so that multi-byte UTF-8 is common.
fn random_text(rng: &mut impl Rng, max_chars: usize) -> String {
    const ALPHABET: &[char] = &[
        'a', 'Z', '0', ' ', '.', '\t', 'é', 'ß', 'Ω', 'ж', 'ع', '中', '文', '€', '😀', '🦀',
        '\u{0}',
    ];
    let len = rng.gen_range(0..=max_chars);
    (0..len)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())])
        .collect()
}

/// Random strings, including empty and multi-byte UTF-8, travel Alice -> Bob and Bob -> Alice
/// unchanged, with the payload always one token.
#[test]
fn round_trip_both_directions() {
    let mut rng = rand::thread_rng();
    for group in [Group::Toy, Group::Ffdhe2048] {
        let (mut alice, mut bob) = pair(group);
        for text in ["", "hello", "héllo wörld 中文 🦀"] {
            assert_eq!(bob.open(&alice.seal(text).unwrap()).unwrap(), text);
            assert_eq!(alice.open(&bob.seal(text).unwrap()).unwrap(), text);
        }
        for _ in 0..200 {
            let text = random_text(&mut rng, 300);
            let payload = alice.seal(&text).unwrap();
            assert!(!payload.contains(char::is_whitespace), "{payload:?}");
            assert_eq!(bob.open(&payload).unwrap(), text);
            let reply = random_text(&mut rng, 300);
            assert_eq!(alice.open(&bob.seal(&reply).unwrap()).unwrap(), reply);
        }
    }
}

/// The same plaintext sealed twice gives different ciphertexts (each message has its own key).
#[test]
fn same_plaintext_twice_differs() {
    let (mut alice, mut bob) = pair(Group::Ffdhe2048);
    let first = alice.seal("same words").unwrap();
    let second = alice.seal("same words").unwrap();
    assert_ne!(Parts::of(&first).ciphertext, Parts::of(&second).ciphertext);
    assert_eq!(bob.open(&first).unwrap(), "same words");
    assert_eq!(bob.open(&second).unwrap(), "same words");
}

/// Neither the payload text nor the ciphertext bytes contain the plaintext or its base64.
#[test]
fn ciphertext_does_not_contain_plaintext() {
    let (mut alice, _bob) = pair(Group::Ffdhe2048);
    let secret = "meet me at the old lab at midnight, bring the notes";
    let payload = alice.seal(secret).unwrap();
    let ciphertext = Parts::of(&payload).ciphertext;
    assert_eq!(ciphertext.len(), secret.len());
    assert!(!payload.contains(secret));
    assert!(!payload.contains(&BASE64.encode(secret)[..20]));
    assert!(!ciphertext
        .windows(8)
        .any(|w| secret.as_bytes().windows(8).any(|p| p == w)));
}

/// Flipping any single bit of the ciphertext or of the tag makes the message fail
/// verification, and the session still opens the untouched message afterwards.
#[test]
fn any_bit_flip_is_rejected() {
    let (mut alice, mut bob) = pair(Group::Ffdhe2048);
    let payload = alice.seal("pay 10 euros").unwrap();
    let original = Parts::of(&payload);
    let total_bits = 8 * (original.ciphertext.len() + original.tag.len());
    for bit in 0..total_bits {
        let mut parts = Parts::of(&payload);
        let (field, index) = if bit / 8 < parts.ciphertext.len() {
            (&mut parts.ciphertext, bit / 8)
        } else {
            (&mut parts.tag, bit / 8 - original.ciphertext.len())
        };
        field[index] ^= 1 << (bit % 8);
        assert_eq!(
            bob.open(&parts.payload()),
            Err(OpenError::BadTag),
            "bit {bit}"
        );
    }
    assert_eq!(bob.open(&payload).unwrap(), "pay 10 euros");
}

/// A changed counter is refused too: the tag covers it.
#[test]
fn changed_counter_is_rejected() {
    let (mut alice, mut bob) = pair(Group::Toy);
    let payload = alice.seal("first").unwrap();
    let mut parts = Parts::of(&payload);
    parts.counter = "1".to_owned();
    assert_eq!(bob.open(&parts.payload()), Err(OpenError::BadTag));
    assert_eq!(bob.open(&payload).unwrap(), "first");
}

/// Truncated payloads (shorter text, a shorter ciphertext, a shorter tag) are all refused and
/// leave the session able to open the whole message.
#[test]
fn truncation_is_rejected() {
    let (mut alice, mut bob) = pair(Group::Ffdhe2048);
    let payload = alice
        .seal("a message long enough to cut in several places")
        .unwrap();
    for cut in 0..payload.len() {
        assert!(bob.open(&payload[..cut]).is_err(), "cut at {cut}");
    }
    let mut shorter = Parts::of(&payload);
    shorter.ciphertext.pop();
    assert_eq!(bob.open(&shorter.payload()), Err(OpenError::BadTag));
    let mut short_tag = Parts::of(&payload);
    short_tag.tag.truncate(16);
    assert!(matches!(
        bob.open(&short_tag.payload()),
        Err(OpenError::Malformed { .. })
    ));
    assert_eq!(
        bob.open(&payload).unwrap(),
        "a message long enough to cut in several places"
    );
}

/// Payloads of the wrong shape are malformed, with a message that says the text was not shown.
#[test]
fn malformed_payloads_are_rejected() {
    let (mut alice, mut bob) = pair(Group::Toy);
    let good = alice.seal("ok").unwrap();
    for bad in [
        "",
        "hello",
        "0.abc",
        "x.AAAA.AAAA",
        "0.AAAA.AAAA.AAAA",
        "0.not base64!.AAAA",
    ] {
        let err = bob.open(bad).unwrap_err();
        assert!(
            matches!(err, OpenError::Malformed { .. }),
            "{bad:?}: {err:?}"
        );
        assert!(err.to_string().contains("not shown"), "{err}");
    }
    assert_eq!(bob.open(&good).unwrap(), "ok");
}

/// base64 has one spelling (PROTOCOL.md, "Sealed messages"): padding is required, and the bits
/// of the last character that carry no data must be zero. A payload that differs only there
/// decodes to the same bytes with a lenient decoder, yet is refused as malformed, before its
/// tag is checked and without changing the session.
#[test]
fn base64_has_one_spelling() {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    /// Sets the lowest bit of the last character before the padding: a bit that carries no data.
    fn set_unused_bit(field: &str) -> String {
        let data = field.trim_end_matches('=');
        let (head, last) = data.split_at(data.len() - 1);
        let index = ALPHABET
            .iter()
            .position(|&c| c == last.as_bytes()[0])
            .unwrap();
        assert_eq!(index & 1, 0, "an unused bit is zero in {field}");
        let padding = &field[data.len()..];
        format!("{head}{}{padding}", ALPHABET[index | 1] as char)
    }
    let (mut alice, mut bob) = pair(Group::Ffdhe2048);
    // "ok" is 2 bytes: 3 characters and one '='; the tag, 32 bytes: 43 and one '='.
    let good = alice.seal("ok").unwrap();
    let fields: Vec<&str> = good.split('.').collect();
    let (ciphertext, tag) = (fields[1], fields[2]);
    assert!(ciphertext.ends_with('=') && tag.ends_with('='), "{good}");
    for (bad, why) in [
        (
            format!("0.{}.{tag}", set_unused_bit(ciphertext)),
            "ciphertext",
        ),
        (format!("0.{ciphertext}.{}", set_unused_bit(tag)), "tag"),
        (
            format!("0.{}.{tag}", ciphertext.trim_end_matches('=')),
            "ciphertext",
        ),
        (
            format!("0.{ciphertext}.{}", tag.trim_end_matches('=')),
            "tag",
        ),
    ] {
        let err = bob.open(&bad).unwrap_err();
        assert!(
            matches!(err, OpenError::Malformed { reason } if reason.contains(why)),
            "{bad}: {err:?}"
        );
    }
    assert_eq!(bob.open(&good).unwrap(), "ok");
}

/// A message opened once is refused the second time.
#[test]
fn replay_is_rejected() {
    let (mut alice, mut bob) = pair(Group::Ffdhe2048);
    let payload = alice.seal("transfer approved").unwrap();
    assert_eq!(bob.open(&payload).unwrap(), "transfer approved");
    assert_eq!(
        bob.open(&payload),
        Err(OpenError::Replayed {
            counter: 0,
            expected: 1
        })
    );
    assert_eq!(bob.open(&alice.seal("next").unwrap()).unwrap(), "next");
}

/// Messages delivered out of order are refused, and the session resynchronises so that the
/// following message opens normally.
#[test]
fn reordering_is_rejected_then_recovers() {
    let (mut alice, mut bob) = pair(Group::Ffdhe2048);
    let m0 = alice.seal("zero").unwrap();
    let m1 = alice.seal("one").unwrap();
    let m2 = alice.seal("two").unwrap();
    assert_eq!(
        bob.open(&m1),
        Err(OpenError::OutOfOrder {
            counter: 1,
            expected: 0
        })
    );
    assert_eq!(
        bob.open(&m0),
        Err(OpenError::Replayed {
            counter: 0,
            expected: 2
        })
    );
    assert_eq!(bob.open(&m2).unwrap(), "two");
    let err = bob.open(&m1).unwrap_err();
    assert!(err.to_string().contains("not shown"), "{err}");
}

/// A message only opens in its own direction: Alice cannot open what she sealed herself, and
/// a third party with other keys cannot open it either.
#[test]
fn keys_are_per_direction_and_per_exchange() {
    let (mut alice, mut bob) = pair(Group::Ffdhe2048);
    let (_, mut stranger) = pair(Group::Ffdhe2048);
    let payload = alice.seal("for bob only").unwrap();
    assert_eq!(alice.open(&payload), Err(OpenError::BadTag));
    assert_eq!(stranger.open(&payload), Err(OpenError::BadTag));
    assert_eq!(bob.open(&payload).unwrap(), "for bob only");
}

/// Without interference both sides show the same safety code, as three groups of four digits.
#[test]
fn safety_codes_match_without_interference() {
    for group in Group::ALL {
        let (alice, bob) = pair(group);
        let code = alice.safety_code();
        assert_eq!(code, bob.safety_code(), "{group}");
        let groups: Vec<&str> = code.split(' ').collect();
        assert_eq!(groups.len(), 3, "{code}");
        assert!(groups
            .iter()
            .all(|g| g.len() == 4 && g.bytes().all(|b| b.is_ascii_digit())));
    }
}

/// Mallory intercepts the exchange and runs one with Alice and one with Bob, substituting her
/// own public values. Each side gets a working session with Mallory, but the safety codes
/// Alice and Bob read to each other differ.
#[test]
fn man_in_the_middle_changes_the_safety_codes() {
    let group = Group::Ffdhe2048;
    let alice = KeyPair::generate(group);
    let bob = KeyPair::generate(group);
    let mallory_to_alice = KeyPair::generate(group);
    let mallory_to_bob = KeyPair::generate(group);

    // Alice believes mallory_to_alice's value is Bob's, and Bob the other way round.
    let mut alice_side = Session::new(
        group,
        alice.public(),
        mallory_to_alice.public(),
        &alice.agree(mallory_to_alice.public()),
    );
    let mut bob_side = Session::new(
        group,
        bob.public(),
        mallory_to_bob.public(),
        &bob.agree(mallory_to_bob.public()),
    );
    let mut mallory_with_alice = Session::new(
        group,
        mallory_to_alice.public(),
        alice.public(),
        &mallory_to_alice.agree(alice.public()),
    );
    let mut mallory_with_bob = Session::new(
        group,
        mallory_to_bob.public(),
        bob.public(),
        &mallory_to_bob.agree(bob.public()),
    );

    // Mallory reads and relays: the attack works unless the codes are compared.
    let read = mallory_with_alice
        .open(&alice_side.seal("hi bob").unwrap())
        .unwrap();
    assert_eq!(read, "hi bob");
    assert_eq!(
        bob_side
            .open(&mallory_with_bob.seal(&read).unwrap())
            .unwrap(),
        "hi bob"
    );

    assert_eq!(alice_side.safety_code(), mallory_with_alice.safety_code());
    assert_eq!(bob_side.safety_code(), mallory_with_bob.safety_code());
    assert_ne!(alice_side.safety_code(), bob_side.safety_code());

    // Even reusing one key pair for both sides does not give Mallory matching codes.
    let alice_again = Session::new(
        group,
        alice.public(),
        mallory_to_alice.public(),
        &alice.agree(mallory_to_alice.public()),
    );
    let bob_again = Session::new(
        group,
        bob.public(),
        mallory_to_alice.public(),
        &bob.agree(mallory_to_alice.public()),
    );
    assert_ne!(alice_again.safety_code(), bob_again.safety_code());
}

/// In the toy group an eavesdropper who saw only the two public values recovers the shared
/// secret by trying every exponent and reads a sealed message.
#[test]
fn toy_group_eavesdropper_reads_messages() {
    let group = Group::Toy;
    let alice = KeyPair::generate(group);
    let bob = KeyPair::generate(group);
    let mut alice_side = Session::new(
        group,
        alice.public(),
        bob.public(),
        &alice.agree(bob.public()),
    );
    let payload = alice_side.seal("the toy group hides nothing").unwrap();

    let seen_a = PublicValue::parse(group, &alice.public().to_string()).unwrap();
    let seen_b = PublicValue::parse(group, &bob.public().to_string()).unwrap();
    let eve = (2u16..1999)
        .filter_map(|x| KeyPair::from_private_be(group, &x.to_be_bytes()).ok())
        .find(|pair| pair.public() == &seen_b)
        .expect("some exponent gives Bob's public value");
    let mut as_bob = Session::new(group, &seen_b, &seen_a, &eve.agree(&seen_a));
    assert_eq!(
        as_bob.open(&payload).unwrap(),
        "the toy group hides nothing"
    );
}

/// Building a session from public values of another group is a programming error.
#[test]
#[should_panic(expected = "Diffie-Hellman group")]
fn mixed_groups_panic() {
    let toy = KeyPair::generate(Group::Toy);
    let other = KeyPair::generate(Group::Toy);
    Session::new(
        Group::Ffdhe2048,
        toy.public(),
        other.public(),
        &toy.agree(other.public()),
    );
}
