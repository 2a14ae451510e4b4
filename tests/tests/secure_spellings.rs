//! `secure:` however it is typed is never sent in plain (issue 18): spellings generated from
//! invisible characters at every position, full-width forms, Cyrillic and Greek look-alike
//! letters, every kind of colon and random mixes of them, typed into the real client in a
//! chat. The partner sees each one sealed (`alice (secure): ...`) and the wire never carries
//! the text; with a partner that cannot agree a key (a raw socket), the sender is refused and
//! the partner's socket never shows the text either. The same spellings typed and pasted at
//! a terminal (the line editor, not a pipe) reach the partner sealed too.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tests::agreement::connect_until_keyed;
use tests::pty::FakeTerminal;
use tests::relay::Relay;
use tests::screen::Screen;
use tests::{serial, Serial, Server};

/// Invisible characters a paste or an input method can bring (issue 18's list).
const IGNORABLES: [char; 18] = [
    '\u{200b}', '\u{200c}', '\u{200d}', '\u{2060}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202b}',
    '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{ad}',
    '\u{feff}', '\u{180e}',
];

/// Characters that read as a colon; `∶` (U+2236) and `꞉` are not mapped by NFKC.
const COLONS: [char; 8] = [':', '：', '﹕', '∶', '꞉', '˸', '׃', '︓'];

/// Cyrillic, Greek and Armenian letters that look like the letters of `secure`.
fn look_alikes(letter: char) -> &'static [char] {
    match letter {
        's' => &['ѕ', 'Ѕ'],
        'e' => &['е', 'Е', 'Ε'],
        'c' => &['с', 'С', 'ϲ', 'Ϲ'],
        'u' => &['υ', 'ս'],
        'r' => &['г'],
        _ => &[],
    }
}

fn full_width(c: char) -> char {
    char::from_u32(u32::from(c) - 0x21 + 0xff01).expect("an ASCII graphic character")
}

/// Spellings of `secure:` (without the message): each ignorable at one position in turn,
/// every colon, full-width, each look-alike, and random mixes of everything.
fn spellings() -> Vec<String> {
    let word: Vec<char> = "secure:".chars().collect();
    let mut out = Vec::new();
    for (n, &c) in IGNORABLES.iter().enumerate() {
        let at = n % (word.len() + 1);
        let mut line: String = word[..at].iter().collect();
        line.push(c);
        line.extend(&word[at..]);
        out.push(line);
    }
    out.extend(COLONS.iter().map(|c| format!("secure{c}")));
    out.push(word.iter().map(|&c| full_width(c)).collect());
    out.push("ＳＥＣＵＲＥ ：".into());
    for (i, &c) in word.iter().enumerate() {
        for &alike in look_alikes(c) {
            let mut line = word.clone();
            line[i] = alike;
            out.push(line.into_iter().collect());
        }
    }
    let mut random = StdRng::seed_from_u64(0x18_5ec0);
    for _ in 0..12 {
        let mut line = String::new();
        for &c in &word[..6] {
            if random.gen_range(0..3) == 0 {
                line.push(IGNORABLES[random.gen_range(0..IGNORABLES.len())]);
            }
            let alikes = look_alikes(c);
            line.push(match random.gen_range(0..4) {
                0 => c.to_ascii_uppercase(),
                1 => full_width(c),
                2 if !alikes.is_empty() => alikes[random.gen_range(0..alikes.len())],
                _ => c,
            });
        }
        if random.gen_range(0..2) == 0 {
            line.push(['\u{a0}', '\u{3000}', '\t'][random.gen_range(0..3)]);
        }
        line.push(COLONS[random.gen_range(0..COLONS.len())]);
        out.push(line);
    }
    out
}

/// The message typed after spelling `n`: unique, so each one can be looked for.
fn secret(n: usize) -> String {
    format!("door code {}", 4700 + n)
}

/// In a keyed chat, every spelling reaches bob sealed, and the wire between alice and the
/// server never carries the text.
#[test]
fn every_spelling_reaches_the_partner_sealed() {
    let server = Server::start();
    let relay = Relay::honest(server.port());
    let bob = server.client("bob");
    let mut alice = tests::Client::registered_at(relay.port(), "alice", &[]);
    connect_until_keyed(&mut alice, &bob);
    let spellings = spellings();
    for (n, spelling) in spellings.iter().enumerate() {
        alice.send(&format!("{spelling} {}", secret(n)));
    }
    for (n, spelling) in spellings.iter().enumerate() {
        let secret = secret(n);
        let seen = bob.expect(&secret);
        assert_eq!(
            seen,
            format!("alice (secure): {secret}"),
            "typed {spelling:?}\n{}",
            bob.dump()
        );
    }
    let wire = relay.wire();
    for n in 0..spellings.len() {
        assert!(
            !wire.contains(&secret(n)),
            "{:?} on the wire:\n{wire}",
            secret(n)
        );
    }
    assert!(
        !alice
            .stdout
            .lines()
            .iter()
            .any(|l| l.contains("nothing was sent")),
        "{}",
        alice.dump()
    );
}

/// `secure:` followed by only white space is a usage error: nothing reaches bob.
#[test]
fn secure_with_only_spaces_is_refused() {
    let server = Server::start();
    let bob = tests::RawClient::register(server.port(), "bob");
    let mut alice = server.client("alice");
    alice.send("connect bob");
    alice.expect("You are now connected to bob");
    for blank in ["secure: ", "ｓｅｃｕｒｅ：\u{3000}", "secure:\t\u{200b} "] {
        alice.send(blank);
        alice.expect("(client): usage: secure: <message>");
    }
    alice.send("end of test");
    bob.expect("alice: end of test");
    let got = bob.received.lines();
    assert!(
        !got.iter().any(|l| l.contains("secure")),
        "bob got {got:#?}"
    );
}

/// With a partner that never agrees a key (a raw socket), every spelling is refused, and the
/// partner's socket never shows the text: the line was read as `secure:`, not as chat.
#[test]
fn a_raw_partner_never_sees_the_text() {
    let server = Server::start();
    let bob = tests::RawClient::register(server.port(), "bob");
    let mut alice = server.client("alice");
    alice.send("connect bob");
    alice.expect("You are now connected to bob");
    let spellings = spellings();
    for (n, spelling) in spellings.iter().enumerate() {
        alice.send(&format!("{spelling} {}", secret(n)));
    }
    alice.send("end of test");
    bob.expect("alice: end of test");
    // The server relays a connection's lines in order: whatever alice's client sent before
    // "end of test" is already in.
    let got = bob.received.lines();
    for n in 0..spellings.len() {
        assert!(
            !got.iter().any(|l| l.contains(&secret(n))),
            "{:?} reached bob: {got:#?}",
            secret(n)
        );
    }
    for spelling in &spellings {
        let refused = alice.maybe("nothing was sent", tests::WAIT);
        assert!(
            refused.is_some(),
            "{spelling:?} was not refused\n{}",
            alice.dump()
        );
    }
}

/// At a terminal (the line editor), each spelling typed, and pasted, reaches bob sealed.
#[test]
fn every_spelling_typed_at_a_terminal_is_sealed() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let bob = server.client("bob");
    let Some(alice) = FakeTerminal::named(&server, "alice", 30, 100) else {
        return;
    };
    alice.enter("connect bob");
    alice.wait_row_prefix("(client): secure messages to bob are ready");
    for (n, spelling) in spellings().iter().enumerate() {
        let line = format!("{spelling} {}", secret(n));
        if n % 2 == 0 {
            alice.enter(&line);
        } else {
            alice.paste(&line);
            alice.type_bytes("\r");
        }
        let seen = bob.expect(&secret(n));
        assert_eq!(
            seen,
            format!("alice (secure): {}", secret(n)),
            "typed {spelling:?}\n{}",
            bob.dump()
        );
    }
}
