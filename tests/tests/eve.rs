//! The teaching tool `eve` between real clients and a real server: in a toy-group chat it
//! prints every secure message decrypted; in an ffdhe2048 chat it shows the sealed tokens and
//! says why it cannot read them. The chat itself goes on unharmed either way. With `--mitm`
//! it swaps keys and the safety codes differ. With `--grind` it searches for values that make
//! the codes agree: real clients refuse them (they committed first), raw clients that reveal
//! at once are fooled.

use common::dh::{Group, KeyPair, PublicValue};
use common::secure::{uncommitted_safety_code, Session};
use tests::agreement::{agreement_within, connect_until_keyed};
use tests::eve::Eve;
use tests::{Client, RawClient, Server, WAIT};

/// In the toy group eve recovers the key from the two public values and reads the secret.
#[test]
fn eve_reads_a_toy_group_chat() {
    let server = Server::builder().args(&["--dh-group", "toy"]).start();
    let eve = Eve::start(&server);
    let flag = ["--allow-toy-group"];
    let mut alice = Client::registered_at(eve.port, "alice", &flag);
    let mut bob = Client::registered_at(eve.port, "bob", &flag);
    connect_until_keyed(&mut alice, &bob);
    bob.send("secure: the password is swordfish");
    alice.expect("bob (secure): the password is swordfish");
    eve.says("the key she recovered", |l| {
        l.contains("tried exponents until") && l.contains("x = ")
    });
    eve.says("the message, decrypted", |l| {
        l == "  eve: bob wrote, decrypted: \"the password is swordfish\""
    });
}

/// In ffdhe2048 eve sees the values and the sealed token, says why it cannot read them, and
/// prints no plaintext; the chat works through it.
#[test]
fn eve_cannot_read_an_ffdhe2048_chat() {
    let server = Server::start();
    let eve = Eve::start(&server);
    let mut alice = Client::registered_at(eve.port, "alice", &[]);
    let mut bob = Client::registered_at(eve.port, "bob", &[]);
    connect_until_keyed(&mut alice, &bob);
    alice.send("secure: the password is swordfish");
    bob.expect("alice (secure): the password is swordfish");
    bob.send("plain words");
    alice.expect_line("bob: plain words");
    eve.says("what the group is", |l| {
        l.contains("ffdhe2048: a 2048-bit prime")
    });
    eve.says("the sealed token", |l| {
        l.contains("unreadable without the key")
    });
    eve.says("the plain line", |l| {
        l == "  eve: bob wrote, in plain text: \"plain words\""
    });
    assert!(
        !eve.out.lines().iter().any(|l| l.contains("swordfish")),
        "{:#?}",
        eve.out.lines()
    );
}

/// `eve --mitm` in an ffdhe2048 chat: both clients accept its keys (it committed first, as an
/// honest client does), the chat keeps working, eve reads the secure message, and the two
/// safety codes differ: comparing them catches it.
#[test]
fn eve_in_the_middle_makes_the_codes_differ() {
    let server = Server::start();
    let eve = Eve::start_with(&server, &["--mitm"]);
    let mut alice = Client::registered_at(eve.port, "alice", &[]);
    let mut bob = Client::registered_at(eve.port, "bob", &[]);
    let (a, b) = connect_until_keyed(&mut alice, &bob);
    assert_ne!(a, b, "a man in the middle must show as different codes");
    alice.send("secure: meet me at the back door");
    bob.expect_line("alice (secure): meet me at the back door");
    bob.send("secure: ok");
    alice.expect_line("bob (secure): ok");
    eve.says("the secure message she read", |l| {
        l.contains("alice wrote \"meet me at the back door\"")
    });
    for (who, code) in [("alice", &a), ("bob", &b)] {
        assert!(
            eve.out
                .lines()
                .iter()
                .any(|l| l == &format!("  eve (middle): {who} will see the safety code {code}")),
            "eve did not predict {who}'s code {code}: {:#?}",
            eve.out.lines()
        );
    }
}

/// The safety codes (`dddd dddd dddd`) in a line, in order.
fn codes_in(line: &str) -> Vec<String> {
    let words: Vec<&str> = line.split([' ', ',']).filter(|w| !w.is_empty()).collect();
    let group = |w: &&str| w.len() == 4 && w.bytes().all(|b| b.is_ascii_digit());
    words
        .windows(3)
        .filter(|w| w.iter().all(group))
        .map(|w| w.join(" "))
        .collect()
}

/// `eve --grind` between two real clients: eve commits blind, holds both values, finds values
/// whose codes agree in 4 digits and shows the search; both clients refuse them (they do not
/// open eve's commitments), `secure:` is off, and eve says why the commitment beat her. Plain
/// chat still works through her.
#[test]
fn eve_grinding_is_refused_by_committing_clients() {
    let server = Server::start();
    let eve = Eve::start_with(&server, &["--grind", "--grind-digits", "4"]);
    let mut alice = Client::registered_at(eve.port, "alice", &[]);
    let mut bob = Client::registered_at(eve.port, "bob", &[]);
    alice.send("connect bob");
    // The search's budget (20 s) and then the usual wait.
    let patience = std::time::Duration::from_secs(20) + WAIT;
    for who in [&alice, &bob] {
        let failure = agreement_within(who, patience).expect_err("a ground value is refused");
        assert!(
            failure.contains("WARNING: key agreement failed")
                && failure.contains("does not match the commitment"),
            "{failure}\n{}",
            who.dump()
        );
    }
    eve.says("that she holds a value", |l| {
        l.starts_with("  eve (grind): holding ") && l.contains("'s value back")
    });
    eve.says("what she searches", |l| {
        l.contains("codes agree in the first 4 digits")
    });
    let found = eve.says("a match", |l| l.contains("eve (grind): found after"));
    let codes = codes_in(&found);
    assert_eq!(codes.len(), 2, "{found}");
    assert_eq!(codes[0][..4], codes[1][..4], "{found}");
    eprintln!("{}", eve.out.lines().join("\n"));
    eve.says("the rate and the 12-digit estimate", |l| {
        l.contains("a second on this machine: the whole 12-digit code needs about 1,772,454")
    });
    eve.says("why the commitment beat her", |l| {
        l.contains("the commitments beat the search")
    });
    // Said before the line above, in the order of the search's sides.
    for who in ["alice", "bob"] {
        assert!(
            eve.out
                .lines()
                .iter()
                .any(|l| l.contains(&format!("{who} will refuse eve's new value"))),
            "eve never said that {who} refuses: {:#?}",
            eve.out.lines()
        );
    }
    alice.send("secure: the vault code is purple-walrus");
    alice.expect("nothing was sent");
    bob.send("plain still works");
    alice.expect_line("bob: plain still works");
    assert!(
        !eve.out.lines().iter().any(|l| l.contains("purple-walrus")),
        "{:#?}",
        eve.out.lines()
    );
}

/// Two raw clients that reveal their values at once, as the original's clients did (no
/// `key_commit`): eve holds both, grinds, and sends each a value. The codes they would compute
/// from their own keys agree in the 4 digits asked for, and a message one of them seals with
/// the key it would accept reaches the other opened and sealed again by eve.
#[test]
fn eve_grinding_fools_clients_that_do_not_commit() {
    let group = Group::Ffdhe2048;
    let server = Server::start();
    let eve = Eve::start_with(&server, &["--grind", "--grind-digits", "4"]);
    let mut alice = RawClient::register(eve.port, "alice");
    let mut bob = RawClient::register(eve.port, "bob");
    alice.send("connect bob");
    let mut sessions = Vec::new();
    let mut codes = Vec::new();
    let keys = [KeyPair::generate(group), KeyPair::generate(group)];
    for (who, key) in [(&mut alice, &keys[0]), (&mut bob, &keys[1])] {
        let gen_keys = who.expect("GEN_KEYS ffdhe2048 ");
        let chat = gen_keys
            .rsplit(' ')
            .next()
            .expect("a chat number")
            .to_string();
        who.send(&format!("key_param {chat} {}", key.public()));
    }
    for (who, key) in [(&alice, &keys[0]), (&bob, &keys[1])] {
        let line = who
            .received
            .wait_for(std::time::Duration::from_secs(20) + WAIT, |l| {
                l.starts_with("key_param ")
            })
            .unwrap_or_else(|| panic!("no value came: {:#?}", eve.out.lines()));
        let value = PublicValue::parse(group, &line["key_param ".len()..]).expect("a value");
        let secret = key.agree(&value);
        codes.push(uncommitted_safety_code(
            group,
            key.public(),
            &value,
            &secret,
        ));
        sessions.push(Session::new(group, key.public(), &value, &secret));
    }
    assert_eq!(
        codes[0][..4],
        codes[1][..4],
        "{codes:?}: {:#?}",
        eve.out.lines()
    );
    assert_ne!(codes[0], codes[1], "a 4-digit search matched 12: {codes:?}");
    for code in &codes {
        assert!(
            eve.out.lines().iter().any(|l| l.contains(code.as_str())),
            "eve did not print the code {code}: {:#?}",
            eve.out.lines()
        );
    }
    eve.says("what the commitment step stops", |l| {
        l.contains("no client committed first")
            && l.contains("the attack the commitment step stops")
    });
    let sealed = sessions[0].seal("meet at noon").expect("seals");
    alice.send(&format!("secure: {sealed}"));
    let relayed = bob.expect("alice (secure): ");
    let payload = relayed.rsplit(' ').next().unwrap_or_default();
    assert_eq!(sessions[1].open(payload).as_deref(), Ok("meet at noon"));
    eve.says("that she read it", |l| {
        l.contains("alice wrote \"meet at noon\"") && l.contains("sealing it again")
    });
}

/// What crosses eve is printed escaped: a student cannot clear, retitle or reorder the
/// teacher's terminal by sending escape sequences or a bidi override through eve.
#[test]
fn eve_prints_escape_sequences_escaped() {
    let server = Server::start();
    let eve = Eve::start(&server);
    let mut mallory = RawClient::register(eve.port, "mallory");
    mallory.send_bytes("\x1b[2J\x1b]0;pwned\x07 \u{202e}olleh\n".as_bytes());
    eve.says("mallory's line, escaped", |l| {
        l.contains(r"[mallory -> server] \x1b[2J\x1b]0;pwned\x07 \u{202e}olleh")
    });
    tests::assert_no_raw_controls(eve.out.lines(), "eve's");
}

/// A peer that sends eve a flood without line breaks is cut off once it passes 1 MiB, as the
/// server would cut it off: eve's memory stays bounded, and other people's chats through eve
/// go on.
#[test]
fn eve_cuts_off_a_line_without_end() {
    use std::io::Write;
    let server = Server::start();
    let eve = Eve::start(&server);
    let mut socket = std::net::TcpStream::connect(("127.0.0.1", eve.port)).expect("eve accepts");
    socket.write_all(b"flood\n").expect("sends a name");
    let flood = tests::flood_without_newline(&mut socket, eve.pid(), 256);
    eprintln!("flood through eve: {flood:?}");
    eve.says("that she cut the flood off", |l| {
        l.contains("[connection 0 -> server] over 1 MiB without a line break; cut off")
    });
    assert!(flood.sent_mib < 64, "eve took one line of {flood:?}");
    assert!(
        flood.rss_peak < flood.rss_before + 8 * 1024,
        "eve's RSS grew: {flood:?}"
    );
    let mut alice = Client::registered_at(eve.port, "alice", &[]);
    let bob = Client::registered_at(eve.port, "bob", &[]);
    alice.send("connect bob");
    bob.expect("You are now connected to alice");
}
