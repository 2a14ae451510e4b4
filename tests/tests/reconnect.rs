//! A server that is killed and restarted on the same port: a client with `--reconnect` (always
//! on at a terminal) connects again, registers its name again and goes on; one without it
//! exits 1 as before.

use common::identity::server_proof::prove_server;
use common::identity::Identity;
use common::protocol::{Hello, Name, Notice, ServerLine};
use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use tests::netns::Lan;
use tests::{Client, Server, WAIT};

/// The server is killed mid-chat and started again on the same port: alice (`--reconnect`)
/// registers again by herself and goes on, free; bob (without it) exits 1.
#[test]
fn a_client_reconnects_after_the_server_is_killed_and_restarted() {
    let mut first = Server::start();
    let port = first.port();
    let mut alice = Client::registered_at(port, "alice", &["--reconnect"]);
    let mut bob = Client::registered_at(port, "bob", &[]);
    alice.send("connect bob");
    bob.expect_line("(server): You are now connected to alice");

    first.signal("KILL");
    assert!(first.wait_exit(WAIT).is_some(), "the server did not die");
    alice.expect("lost the connection to the server; trying to reconnect");
    bob.expect("lost the connection to the server");
    assert_eq!(bob.expect_exit(WAIT), 1);

    // The same server started again: the same port and the same identity key, which alice
    // met before (a restarted server with another key would be refused as an impostor).
    let identity = first.home().labchat().join("server-identity");
    let _second = Server::builder()
        .port(port)
        .args(&["--identity", &identity.display().to_string()])
        .start();
    alice.expect("connected again; registering as alice; any chat you were in has ended");
    alice.expect_line(
        "(server): Hello alice! Type status to see who is here, connect <user> to chat, help for more.",
    );
    alice.send("status");
    alice.expect_line("(server): - alice: FREE (you)");
    alice.send("close");
    alice.expect_line("(server): Goodbye!");
    assert_eq!(alice.expect_exit(Duration::from_secs(10)), 0);
}

/// The server came back, but someone registered the name first while the client was away: the
/// client says so plainly and exits 1, instead of carrying on as if it were still `alice`.
/// (A listener of the test's own stands for that server: it answers the name as the server
/// does, so the refusal comes at once and not by a race.)
#[test]
fn a_name_taken_while_away_is_said_and_the_client_exits_1() {
    let (mut alice, port, key) = alice_reconnecting();
    let (socket, _lines) = stand_in_takes_the_name(port, &key);
    answer(&socket, Notice::NameTaken(alice_name()));

    alice.expect("is already taken");
    let said = alice
        .stderr
        .wait_for(WAIT, |l| l.contains("someone else"))
        .or_else(|| alice.stdout.wait_for(WAIT, |l| l.contains("someone else")))
        .unwrap_or_else(|| panic!("alice was not told her name went\n{}", alice.dump()));
    assert!(said.contains("alice"), "{said}");
    assert_eq!(alice.expect_exit(WAIT), 1, "{}", alice.dump());
}

/// The server's machine stops answering at all while the client is reconnecting (no reset, no
/// reply to a SYN, as when it is switched off): Ctrl+C during a connection attempt still ends
/// the client within a second or so, exit 0. Run on a LAN of network namespaces
/// (tests::netns). Before, the attempt (a `connect` with no timeout) held the client for about
/// two minutes whatever was pressed, and then it exited 1.
#[test]
fn ctrl_c_stops_a_reconnect_to_a_server_that_does_not_answer() {
    let test = "ctrl_c_stops_a_reconnect_to_a_server_that_does_not_answer";
    let Some(lan) = Lan::for_test(test, 2) else {
        return;
    };
    let (server_host, client_host) = (&lan.hosts[0], &lan.hosts[1]);
    let mut server = Server::builder().on(server_host).start();
    let args = [
        &server_host.ip.to_string(),
        &server.port().to_string(),
        "--name",
        "alice",
        "--reconnect",
    ]
    .map(String::from);
    let mut alice = Client::spawn_under(&client_host.wrapper(), &args);
    alice.expect("(server): Hello alice!");

    server.signal("KILL");
    assert!(server.wait_exit(WAIT).is_some(), "the server did not die");
    alice.expect("lost the connection to the server; trying to reconnect");
    client_host
        .black_hole(server_host.ip)
        .expect("the server's address can be made a black hole");
    // Ctrl+C while an attempt is under way: a SYN sent that nothing will answer.
    let deadline = Instant::now() + WAIT;
    while !syn_sent(alice.pid()) {
        assert!(
            Instant::now() < deadline,
            "no connection attempt was seen\n{}",
            alice.dump()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    alice.signal("INT");
    let pressed = Instant::now();
    let status = alice.wait_exit(Duration::from_secs(3)).unwrap_or_else(|| {
        panic!(
            "alice was still running 3 s after Ctrl+C during a reconnect\n{}",
            alice.dump()
        )
    });
    eprintln!(
        "Ctrl+C during a connection attempt: ended after {:?}",
        pressed.elapsed()
    );
    assert_eq!(status.code(), Some(0), "{}", alice.dump());
    assert!(
        alice
            .stdout
            .lines()
            .iter()
            .all(|l| !l.contains("did not come back")),
        "{}",
        alice.dump()
    );
}

/// True if process `pid` has a TCP connection waiting for the answer to its SYN (read from
/// `/proc/<pid>/net/tcp`, which shows the process's own network namespace).
fn syn_sent(pid: u32) -> bool {
    const SYN_SENT: &str = "02";
    std::fs::read_to_string(format!("/proc/{pid}/net/tcp")).is_ok_and(|table| {
        table
            .lines()
            .skip(1)
            .any(|row| row.split_whitespace().nth(3) == Some(SYN_SENT))
    })
}

/// A line typed while the name is being sent again after a reconnect waits for the server's
/// answer: sent at once, the server would take the chat line for the next name proposal. The
/// line goes out once the name is accepted. (A listener of the test's own stands for the
/// server, so that it answers late on purpose.)
#[test]
fn a_line_typed_while_the_name_is_sent_again_waits_for_the_welcome() {
    let (mut alice, port, key) = alice_reconnecting();
    let (socket, mut lines) = stand_in_takes_the_name(port, &key);

    alice.send("are you back?");
    // Nothing may come before the name is answered: a second after the line was typed, still
    // nothing has.
    assert_nothing_sent(
        &mut lines,
        Duration::from_secs(1),
        "before its answer to the name",
        &alice,
    );
    answer(&socket, Notice::Registered(alice_name()));
    alice.expect("(server): Hello alice!");

    socket.set_read_timeout(Some(WAIT)).expect("a read timeout");
    let mut next = String::new();
    lines
        .read_line(&mut next)
        .unwrap_or_else(|e| panic!("the typed line never came: {e}\n{}", alice.dump()));
    assert_eq!(next, "msg are you back?\n", "{}", alice.dump());
}

/// A server that never answers the name sent again after a reconnect: a line typed meanwhile
/// is not sent (the server would take it for a name), and the person is told so after 5 s.
#[test]
fn a_line_typed_while_the_name_goes_unanswered_is_not_sent_and_said() {
    let (mut alice, port, key) = alice_reconnecting();
    let (_socket, mut lines) = stand_in_takes_the_name(port, &key);

    alice.send("are you back?");
    alice.expect(
        "(client): not sent: still reconnecting as alice; type it again once the server has welcomed you back",
    );
    assert_nothing_sent(
        &mut lines,
        Duration::from_millis(500),
        "after the note, still unanswered",
        &alice,
    );
}

/// End of input (Ctrl+D, or `close`) while the client is reconnecting: it leaves at once,
/// exit 0, as after Ctrl+C. It sends no `close`, which the server would take for a name.
#[test]
fn end_of_input_while_reconnecting_leaves_at_once() {
    let (mut alice, _port, _key) = alice_reconnecting();
    alice.close_stdin();
    let closed = Instant::now();
    let status = alice
        .wait_exit(Duration::from_secs(3))
        .unwrap_or_else(|| panic!("alice still runs 3 s after end of input\n{}", alice.dump()));
    eprintln!(
        "end of input while reconnecting: ended after {:?}",
        closed.elapsed()
    );
    assert_eq!(status.code(), Some(0), "{}", alice.dump());
}

/// alice, registered with `--reconnect`, whose server was just killed: she is trying to
/// reconnect to `port`. With the server's identity, which alice met (pinned).
fn alice_reconnecting() -> (Client, u16, Identity) {
    let mut first = Server::start();
    let port = first.port();
    let alice = Client::registered_at(port, "alice", &["--reconnect"]);
    let identity = first.home().labchat().join("server-identity");
    let (key, _) = Identity::load_or_create(&identity).expect("the server's identity");
    first.signal("KILL");
    assert!(first.wait_exit(WAIT).is_some(), "the server did not die");
    alice.expect("lost the connection to the server; trying to reconnect");
    (alice, port, key)
}

/// A listener of the test's own that stands in for the restarted server on `port`, with its
/// identity `key`: it takes alice's reconnection, answers her `hello` with a proof (as the
/// restarted server does, so that she knows it for the server she met), takes her name sent
/// again, and answers only what the test writes.
fn stand_in_takes_the_name(port: u16, key: &Identity) -> (TcpStream, BufReader<TcpStream>) {
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("the port is free");
    let (socket, _) = listener.accept().expect("alice reconnects");
    let mut lines = BufReader::new(socket.try_clone().expect("clone"));
    let mut hello = String::new();
    lines.read_line(&mut hello).expect("alice says hello");
    let Some(Hello(nonce)) = Hello::parse(hello.trim_end()) else {
        panic!("first line {hello:?}");
    };
    answer(
        &socket,
        Notice::ServerProof {
            key: key.public(),
            signature: prove_server(key, &nonce),
        },
    );
    let mut name = String::new();
    lines.read_line(&mut name).expect("alice sends her name");
    assert_eq!(name, "alice\n");
    (socket, lines)
}

/// Proves a negative: the stand-in reads nothing from alice for `quiet`.
///
/// # Panics
/// If a line (or the end of the stream) comes, saying it came `when`.
fn assert_nothing_sent(
    lines: &mut BufReader<TcpStream>,
    quiet: Duration,
    when: &str,
    alice: &Client,
) {
    lines
        .get_ref()
        .set_read_timeout(Some(quiet))
        .expect("a read timeout");
    let mut got = String::new();
    match lines.read_line(&mut got) {
        Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        other => panic!(
            "{when}, the stand-in server got {got:?} ({other:?})\n{}",
            alice.dump()
        ),
    }
}

/// Writes `notice` to the client as the server would.
fn answer(socket: &TcpStream, notice: Notice) {
    (&*socket)
        .write_all(format!("{}\n", ServerLine::Notice(notice)).as_bytes())
        .expect("the stand-in answers");
}

fn alice_name() -> Name {
    Name::parse("alice").expect("a name")
}
