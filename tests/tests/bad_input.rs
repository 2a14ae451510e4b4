//! Bytes a person (or a broken program) might send on a raw socket that are not good lines.

use common::limits::MAX_LINE_LEN;
use std::time::{Duration, Instant};
use tests::{Client, RawClient, Server, WAIT};

/// A real client `alice` chatting with a raw socket `nc`.
fn pair(server: &Server) -> (Client, RawClient) {
    let mut alice = server.client("alice");
    let nc = RawClient::register(server.port(), "nc");
    alice.send("connect nc");
    alice.expect_line("(server): You are now connected to nc");
    nc.expect("(server): You are now connected to alice");
    // alice's client answers the server's GEN_KEYS with its commitment; nc never answers.
    nc.received
        .wait_for(WAIT, |l| l.starts_with("key_commit "))
        .expect("alice's client sends its key_commit");
    (alice, nc)
}

/// A line over 8192 bytes, invalid UTF-8 and a NUL byte are each refused with an error line;
/// nothing reaches the partner and the connection keeps working.
#[test]
fn bad_lines_are_refused_and_the_connection_goes_on() {
    let server = Server::start();
    let (alice, mut nc) = pair(&server);
    let seen = alice.stdout.lines().len();

    let mut too_long = vec![b'a'; MAX_LINE_LEN + 1];
    too_long.push(b'\n');
    let cases: [(&[u8], &str); 4] = [
        (
            &too_long,
            "(server): Error: line too long (more than 8192 bytes); it was dropped",
        ),
        (
            b"caf\xe9\n",
            "(server): Error: line is not valid UTF-8; it was dropped",
        ),
        (
            b"\xff\xfe\n",
            "(server): Error: line is not valid UTF-8; it was dropped",
        ),
        (
            b"nul\0byte\n",
            "(server): Error: line contains a NUL byte; it was dropped",
        ),
    ];
    for (bytes, error) in cases {
        nc.send_bytes(bytes);
        let got = nc.expect("(server): Error: ");
        assert_eq!(got, error);
        nc.send("status");
        nc.expect("(server): - nc: BUSY with alice (you)");
    }

    nc.send("still fine");
    alice.expect_line("nc: still fine");
    assert_eq!(
        alice.stdout.lines()[seen..],
        ["nc: still fine"],
        "alice saw part of a bad line\n{}",
        alice.dump()
    );
}

/// An over-long line sent in pieces is refused once, and the line after it is read whole.
#[test]
fn over_long_line_in_pieces_is_refused_once() {
    let server = Server::start();
    let (alice, mut nc) = pair(&server);
    for _ in 0..4 {
        nc.send_bytes(&[b'x'; 4096]);
    }
    nc.send_bytes(b"\nafter\n");
    nc.expect("(server): Error: line too long");
    alice.expect_line("nc: after");
    nc.send("status");
    nc.expect("(server): 2 users online:");
    let errors = nc
        .received
        .lines()
        .iter()
        .filter(|l| l.contains("Error"))
        .count();
    assert_eq!(errors, 1, "{:#?}", nc.received.lines());
}

/// The longest chat line the server accepts reaches a real client whole: every line the
/// server relays fits the line limit both sides agree on, or the sender is told it is too long.
#[test]
fn longest_accepted_chat_line_reaches_the_partner() {
    let server = Server::start();
    let (alice, mut nc) = pair(&server);

    // `nc: ` plus the text is exactly the limit.
    let longest = "m".repeat(MAX_LINE_LEN - "nc: ".len());
    nc.send(&longest);
    alice.expect_line(&format!("nc: {longest}"));

    // Anything longer is refused at the sender, not dropped silently at the receiver.
    nc.send(&format!("{longest}m"));
    let refusal = nc.expect("(server): Error: ");
    assert_eq!(
        refusal,
        "(server): Error: message too long (more than 8188 bytes after your name); it was not sent"
    );
    nc.send("after");
    alice.expect_line("nc: after");
    let bad: Vec<String> = alice
        .stdout
        .lines()
        .into_iter()
        .filter(|l| l.starts_with("(client): the server sent a bad line"))
        .collect();
    assert!(bad.is_empty(), "alice's client refused a line: {bad:#?}");
}

/// A person typing the longest line the client sends: it reaches the partner's client whole,
/// or the sender is told it was too long; it never vanishes at the receiver.
#[test]
fn longest_typed_line_arrives_or_the_sender_is_told() {
    let server = Server::start();
    let bob = server.client("bob");
    let mut carol = server.client("carol");
    carol.send("connect bob");
    bob.expect_line("(server): You are now connected to carol");

    // `msg ` plus the text is exactly the limit on the way in.
    let longest = "t".repeat(MAX_LINE_LEN - "msg ".len());
    carol.send(&longest);
    carol.send("after");
    bob.expect_line("carol: after");
    carol.send("status");
    carol.expect_line("(server): - carol: BUSY with bob (you)");

    let arrived = bob.stdout.lines().contains(&format!("carol: {longest}"));
    let told = carol
        .stdout
        .lines()
        .iter()
        .any(|l| l.starts_with("(server): Error: message too long"));
    assert!(
        arrived || told,
        "the line vanished\nbob {}\ncarol {}",
        bob.dump(),
        carol.dump()
    );
    let refused: Vec<String> = bob
        .stdout
        .lines()
        .into_iter()
        .filter(|l| l.starts_with("(client): the server sent a bad line"))
        .collect();
    assert!(
        refused.is_empty(),
        "bob's client refused a line: {refused:#?}"
    );
}

/// A connection that never sends a name is told so and closed after `--name-timeout`; one
/// that registered in time is never timed out.
#[test]
fn missing_name_times_out() {
    let server = Server::builder().args(&["--name-timeout", "1"]).start();
    let start = Instant::now();
    let silent = server.raw();
    let mut prompt = server.raw();
    prompt.expect("Please enter your user name:");
    prompt.send("prompt");
    prompt.expect("(server): Hello prompt!");

    silent.expect("(server): Welcome to labchat! Please enter your user name:");
    silent.expect("(server): No user name received within 1 second; disconnecting");
    assert!(
        start.elapsed() >= Duration::from_millis(900),
        "timed out too early: {:?}",
        start.elapsed()
    );
    assert!(
        silent.expect_closed(WAIT),
        "the server kept the socket open"
    );

    // Both deadlines have passed now; the registered user is still served. A timeout notice,
    // had there been one, would have come before this answer on the same connection.
    prompt.send("status");
    prompt.expect("(server): - prompt: FREE (you)");
    assert!(
        !prompt
            .received
            .lines()
            .iter()
            .any(|l| l.contains("No user name received")),
        "a registered user was timed out"
    );
}

/// More than 1 MiB without a line break: the server says why and disconnects.
#[test]
fn endless_line_is_cut_off() {
    let server = Server::start();
    let mut nc = RawClient::register(server.port(), "nc");
    let chunk = vec![b'z'; 64 * 1024];
    // Just over 1 MiB, all of which the server reads before it decides.
    for _ in 0..17 {
        nc.send_bytes(&chunk);
    }
    nc.expect("(server): Error: line too long");
    nc.expect("(server): Error: you sent over 1 MiB without a line break; disconnecting");
    assert!(nc.expect_closed(WAIT), "the server kept the socket open");
}

/// A client that tries to send 1 GiB without a newline costs the server about one line's
/// worth of memory, and is disconnected long before the gigabyte is through.
#[test]
fn gigabyte_without_newline_costs_bounded_memory() {
    use std::io::Write;
    let server = Server::start();
    let nc = RawClient::register(server.port(), "flood");
    let mut socket = std::net::TcpStream::connect(("127.0.0.1", server.port())).expect("connects");
    socket.write_all(b"gigabyte\n").expect("sends a name");
    drop(nc);
    let flood = tests::flood_without_newline(&mut socket, server.pid(), 1024);
    eprintln!("1 GiB flood: {flood:?}");
    assert!(
        flood.sent_mib < 64,
        "the server took {} MiB of one line without hanging up",
        flood.sent_mib
    );
    assert!(
        flood.rss_peak < flood.rss_before + 8 * 1024,
        "server RSS grew: {flood:?}"
    );
}
