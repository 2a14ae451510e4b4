//! A server that is killed and restarted on the same port: a client with `--reconnect` (always
//! on at a terminal) connects again, registers its name again and goes on; one without it
//! exits 1 as before.

use std::time::Duration;
use tests::{Client, Server, WAIT};

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

    let _second = Server::start_on(port);
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
    use common::protocol::{Name, Notice, ServerLine};
    use std::io::{BufRead, BufReader, Write};
    let mut first = Server::start();
    let port = first.port();
    let mut alice = Client::registered_at(port, "alice", &["--reconnect"]);
    first.signal("KILL");
    assert!(first.wait_exit(WAIT).is_some(), "the server did not die");
    alice.expect("lost the connection to the server; trying to reconnect");

    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("the port is free");
    let (socket, _) = listener.accept().expect("alice reconnects");
    let mut lines = BufReader::new(socket.try_clone().expect("clone"));
    let mut name = String::new();
    lines.read_line(&mut name).expect("alice sends her name");
    assert_eq!(name, "alice\n");
    let taken = ServerLine::Notice(Notice::NameTaken(Name::parse("alice").expect("a name")));
    (&socket)
        .write_all(format!("{taken}\n").as_bytes())
        .expect("the refusal is sent");

    alice.expect("is already taken");
    let said = alice
        .stderr
        .wait_for(WAIT, |l| l.contains("someone else"))
        .or_else(|| alice.stdout.wait_for(WAIT, |l| l.contains("someone else")))
        .unwrap_or_else(|| panic!("alice was not told her name went\n{}", alice.dump()));
    assert!(said.contains("alice"), "{said}");
    assert_eq!(alice.expect_exit(WAIT), 1, "{}", alice.dump());
}
