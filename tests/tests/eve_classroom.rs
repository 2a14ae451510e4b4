//! eve as a class meets it: on an 80x24 projector (rows broken between words, codes whole,
//! numbers shortened, a verdict that stays on the screen), with wording that matches what it
//! does in the middle, and with arguments checked before it listens.

use std::net::TcpListener;
use std::time::Duration;
use tests::agreement::connect_until_keyed;
use tests::eve::Eve;
use tests::pty::FakeTerminal;
use tests::screen::Screen;
use tests::{run_to_exit, serial, Client, Serial, Server};

/// The longest run of digits in `row`.
fn longest_number(row: &str) -> usize {
    row.split(|c: char| !c.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap_or(0)
}

/// What every screen of eve must be: nothing the terminal had to break, no number longer than
/// 40 digits.
fn assert_readable(eve: &FakeTerminal, screen: &[String]) {
    assert!(
        eve.soft_wrapped_rows().is_empty(),
        "rows {:?} ran past the edge:\n{}",
        eve.soft_wrapped_rows(),
        screen.join("\n")
    );
    for row in screen {
        assert!(longest_number(row) <= 40, "a long number: {row}");
    }
}

/// eve's screen as one line of words: a sentence broken across rows reads whole.
fn flat(screen: &[String]) -> String {
    screen
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The port eve on `eve`'s screen says it listens on.
fn eve_port(eve: &FakeTerminal) -> u16 {
    let screen = eve.wait_row_prefix("eve: listening on port ");
    screen
        .iter()
        .find_map(|r| r.strip_prefix("eve: listening on port "))
        .and_then(|r| r.split(',').next())
        .and_then(|p| p.parse().ok())
        .expect("eve says its port")
}

/// eve --mitm on an 80x24 projector between a pair who compared their codes directly and
/// typed trust: eve's screen says she asked each of them for no identity (she cannot sign as
/// them); both clients say the identity changed and hold secure:, telling them not to trust
/// a chat that proves nothing; nothing sealed passes eve; and her verdict says what a pinned
/// pair sees. Then a first contact through her: the clients say only that the chat proves no
/// identity, and never that the partner's client has none.
#[test]
fn eve_between_a_pinned_pair_asks_for_no_identity() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let (alice_home, bob_home) = crate::identity::pinned_pair(server.port());
    let target = format!("127.0.0.1:{}", server.port());
    let Some(eve) = FakeTerminal::builder(&["0", &target, "--mitm"])
        .program("eve")
        .size(24, 80)
        .start()
    else {
        return;
    };
    let port = eve_port(&eve);
    let mut alice = Client::registered_in(&alice_home, port, "alice", &[]);
    let mut bob = Client::registered_in(&bob_home, port, "bob", &[]);
    alice.send("connect bob");
    alice.expect("WARNING: bob's identity changed: you trusted identity");
    bob.expect("WARNING: alice's identity changed: you trusted identity");
    let screen = eve.wait_steady("eve asking for no identity", |s| {
        let text = flat(s);
        text.contains("asks alice for no identity") && text.contains("asks bob for no identity")
    });
    assert_readable(&eve, &screen);
    assert!(
        flat(&screen).contains("eve cannot sign as either"),
        "{}",
        screen.join("\n")
    );

    alice.send("secure: the vault code is purple-walrus");
    let held = alice.expect("secure: to bob is held:");
    assert!(
        held.contains("type forget bob only once you are sure") && !held.contains("type trust"),
        "{held}"
    );
    bob.send("secure: the vault code is purple-walrus");
    bob.expect("secure: to alice is held: alice's identity changed, and this chat proves no");
    alice.send("verify");
    let verify = alice.expect("WARNING: bob's identity changed, and secure: to bob is held");
    assert!(verify.contains("nothing to trust"), "{verify}");
    alice.send("a plain line");
    bob.expect_line("alice: a plain line");
    alice.send("goodbye");
    let screen = eve.wait_steady("the verdict", |s| {
        flat(s).contains("secure: held") && s.iter().any(|r| r.starts_with("eve: verdict on "))
    });
    assert_readable(&eve, &screen);
    let text = flat(&screen);
    assert!(text.contains("no secure message went by"), "{text}");
    assert!(
        text.contains("eve asked for no identity")
            && text.contains("a pair who typed trust before sees \"identity changed\""),
        "{text}"
    );
    assert!(!text.contains("purple-walrus"), "{text}");
    assert!(!text.contains("(secure)"), "{text}");
    let verdict = screen
        .iter()
        .position(|r| r.starts_with("eve: verdict on "))
        .expect("a verdict");
    assert!(screen.len() - verdict <= 6, "{}", screen.join("\n"));
    drop((alice, bob));

    // A first contact through eve: nothing pinned, nothing seen before.
    let mut carol = Client::registered_at(port, "carol", &[]);
    let dave = Client::registered_at(port, "dave", &[]);
    carol.send("connect dave");
    let ready = carol.expect("secure messages to dave are ready");
    assert!(
        ready.contains("this chat proves no identity") && !ready.contains("has no identity key"),
        "{ready}"
    );
    drop(dave);
}

/// eve --mitm on an 80x24 terminal through a whole ffdhe2048 chat: no row runs past the
/// edge, no number is longer than 40 digits, and when the chat ends the verdict is on the
/// screen with both safety codes whole, each on one row.
#[test]
fn eve_on_a_projector_breaks_no_word_and_ends_with_a_verdict() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let target = format!("127.0.0.1:{}", server.port());
    let Some(eve) = FakeTerminal::builder(&["0", &target, "--mitm"])
        .program("eve")
        .size(24, 80)
        .start()
    else {
        return;
    };
    let screen = eve.wait_row_prefix("eve: listening on port ");
    let port: u16 = screen
        .iter()
        .find_map(|r| r.strip_prefix("eve: listening on port "))
        .and_then(|r| r.split(',').next())
        .and_then(|p| p.parse().ok())
        .expect("eve says its port");
    let mut alice = Client::registered_at(port, "alice", &[]);
    let bob = Client::registered_at(port, "bob", &[]);
    let (code_a, code_b) = connect_until_keyed(&mut alice, &bob);
    assert_ne!(code_a, code_b, "eve in the middle makes the codes differ");
    let screen = eve.wait_steady("the public values, shortened", |s| {
        s.iter()
            .any(|r| r.contains("(617 digits)") || r.contains("(616 digits)"))
    });
    assert_readable(&eve, &screen);

    alice.send("secure: meet me by the projector at noon, and bring the slides");
    bob.expect("alice (secure): meet me by the projector at noon");
    alice.send("goodbye");
    let screen = eve.wait_steady("the verdict with both codes", |s| {
        s.iter().any(|r| r.starts_with("eve: verdict on "))
            && s.iter().any(|r| r.contains("catches eve"))
    });
    assert_readable(&eve, &screen);
    for code in [&code_a, &code_b] {
        assert!(
            screen.iter().any(|r| r.contains(code.as_str())),
            "the code {code} is not whole on one row:\n{}",
            screen.join("\n")
        );
    }
    let verdict = screen
        .iter()
        .position(|r| r.starts_with("eve: verdict on "))
        .expect("a verdict");
    let rows = screen.len() - verdict;
    assert!(
        rows <= 6,
        "the verdict takes {rows} rows:\n{}",
        screen.join("\n")
    );
}

/// In the middle eve reads every secure message: it never says it cannot read or open one,
/// in ffdhe2048 too, and it says it read and sealed again what alice wrote.
#[test]
fn eve_in_the_middle_never_says_it_cannot_read() {
    let server = Server::start();
    let eve = Eve::start_with(&server, &["--mitm"]);
    let mut alice = Client::registered_at(eve.port, "alice", &[]);
    let bob = Client::registered_at(eve.port, "bob", &[]);
    connect_until_keyed(&mut alice, &bob);
    alice.send("secure: what eve reads");
    bob.expect("alice (secure): what eve reads");
    eve.says("that she read it", |l| {
        l.contains("alice wrote \"what eve reads\"") && l.contains("sealing it again")
    });
    alice.send("goodbye");
    eve.says("the verdict", |l| l.starts_with("eve: verdict on "));
    for line in eve.out.lines() {
        assert!(longest_number(&line) <= 40, "a long number: {line}");
        let lower = line.to_lowercase();
        for denial in ["cannot read", "unreadable", "cannot open", "could not open"] {
            assert!(
                !lower.contains(denial),
                "eve --mitm says {denial:?}: {line}"
            );
        }
    }
}

/// `--full` prints the public values whole (617 digits), where eve shortens them by default.
#[test]
fn eve_full_prints_numbers_whole() {
    let server = Server::start();
    let eve = Eve::start_with(&server, &["--full"]);
    let mut alice = Client::registered_at(eve.port, "alice", &[]);
    let bob = Client::registered_at(eve.port, "bob", &[]);
    connect_until_keyed(&mut alice, &bob);
    eve.says("a whole public value", |l| {
        l.starts_with("[alice -> server] key_param ") && longest_number(l) >= 600
    });
}

/// A mistake in eve's command, a server that does not answer, or a port in use: eve exits at
/// once, non-zero, and says what to do; it never starts listening.
#[test]
fn eve_refuses_bad_arguments_at_once() {
    let server = Server::start();
    let target = format!("127.0.0.1:{}", server.port());
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("its address").port()
    };
    let taken = TcpListener::bind("0.0.0.0:0").expect("a free port");
    let taken_port = taken.local_addr().expect("its address").port().to_string();
    let unreachable = format!("127.0.0.1:{closed}");
    let cases: [(&[&str], i32, &str); 6] = [
        (&["5001", "127.0.0.1"], 2, "has no port"),
        (&["0", "127.0.0.1:99999"], 2, "is not a port"),
        (&["0", "127.0.0.1:0"], 2, "is not a port"),
        (
            &["0", &target, "--mitm", "--grind"],
            2,
            "cannot be used with",
        ),
        (&["0", &unreachable], 1, "cannot reach the server"),
        (&[&taken_port, &target], 1, "already in use"),
    ];
    for (args, code, says) in cases {
        let done = run_to_exit("eve", args, Duration::from_secs(15));
        assert_eq!(done.code, Some(code), "eve {args:?}: {:#?}", done.stderr);
        let err = done.stderr.join("\n");
        assert!(
            err.contains(says),
            "eve {args:?} should say {says:?}: {err}"
        );
        assert!(err.starts_with("eve: "), "{err}");
        assert!(
            !done.stdout.iter().any(|l| l.contains("listening")),
            "eve {args:?} started: {:#?}",
            done.stdout
        );
    }
    drop(taken);
}
