//! Every request the server (or the client, for a bad command) refuses, and what each side sees.

use std::time::Duration;
use tests::{RawClient, Server, WAIT};

/// Three clients: a and b chatting, c asks for a and is told a is BUSY; c's status shows both.
#[test]
fn third_client_is_told_the_user_is_busy() {
    let server = Server::start();
    let mut a = server.client("a");
    let b = server.client("b");
    let mut c = server.client("c");

    a.send("connect b");
    a.expect_line("(server): You are now connected to b");
    b.expect_line("(server): You are now connected to a");

    c.send("connect a");
    c.expect_line("(server): a is BUSY in another chat; try again later");
    c.send("connect b");
    c.expect_line("(server): b is BUSY in another chat; try again later");

    c.send("status");
    c.expect_line("(server): 3 users online:");
    c.expect_line("(server): - a: BUSY with b");
    c.expect_line("(server): - b: BUSY with a");
    c.expect_line("(server): - c: FREE (you)");

    // The refusal changed nothing for the pair.
    a.send("still here");
    b.expect_line("a: still here");
}

/// `connect` to an unknown user, to yourself, and while already in a chat: each refused with
/// its reason, and the chat in progress goes on.
#[test]
fn connect_refusals_name_the_reason() {
    let server = Server::start();
    let mut a = server.client("a");
    let b = server.client("b");
    let _c = server.client("c");

    a.send("connect nobody");
    a.expect_line("(server): There is no user named 'nobody'; type status to see who is online");
    a.send("connect a");
    a.expect_line("(server): You cannot connect to yourself");
    // A very long "name" is echoed shortened, so the answer still fits one line.
    a.send(&format!("connect {}", "x".repeat(8000)));
    a.expect_line(&format!(
        "(server): There is no user named '{}...'; type status to see who is online",
        "x".repeat(33)
    ));

    a.send("connect b");
    a.expect_line("(server): You are now connected to b");
    b.expect_line("(server): You are now connected to a");
    a.send("connect c");
    a.expect_line("(server): You are already in a chat with b; type goodbye to end it first");

    a.send("hello");
    b.expect_line("a: hello");
}

/// Chat text and `goodbye` while not in a chat are refused; nothing reaches anyone else.
#[test]
fn message_and_goodbye_outside_a_chat_are_refused() {
    let server = Server::start();
    let mut a = server.client("a");
    let b = server.client("b");
    let b_seen = b.stdout.lines().len();

    a.send("hello anyone?");
    a.expect_line(
        "(server): You are not in a chat; type connect <user> to start one, status to see who is FREE, or help",
    );
    a.send("goodbye");
    a.expect_line("(server): You are not in a chat, so there is nothing to end");

    // b saw nothing of it: the next thing b sees is a's connect.
    a.send("connect b");
    b.expect_line("(server): You are now connected to a");
    assert_eq!(
        b.stdout.lines()[b_seen..],
        ["(server): You are now connected to a"],
        "b saw something it should not have\n{}",
        b.dump()
    );
}

/// `connect` without a name: the client answers with a usage line itself and sends nothing.
#[test]
fn connect_without_a_name_is_answered_by_the_client() {
    let server = Server::start();
    let mut a = server.client("a");
    let seen = a.stdout.lines().len();

    a.send("connect");
    a.send("connect   ");
    a.send("status");
    a.expect_line("(server): - a: FREE (you)");

    let lines = a.stdout.lines()[seen..].to_vec();
    assert_eq!(lines.len(), 4, "{lines:#?}");
    for usage in &lines[..2] {
        assert!(
            usage.starts_with("(client): ") && usage.contains("connect <user>"),
            "not a local usage line: {usage:?}"
        );
    }
    assert_eq!(
        lines[2..],
        ["(server): 1 user online:", "(server): - a: FREE (you)"]
    );
}

/// A person on a raw socket typing `connect` alone gets the usage from the server.
#[test]
fn connect_without_a_name_from_a_raw_socket_is_a_usage_error() {
    let server = Server::start();
    let mut raw = RawClient::register(server.port(), "nc");
    raw.send("connect");
    raw.expect("(server): Error: usage: connect <user>");
    raw.send("status");
    raw.expect("(server): - nc: FREE (you)");
}

/// A taken name and invalid names are refused and asked for again; then a good name works.
#[test]
fn taken_and_invalid_names_are_asked_again() {
    let server = Server::start();
    let _alice = server.client("alice");
    let mut client = server.spawn_client();
    client.expect("Please enter your user name:");

    let refusals = [
        (
            "alice",
            "(server): The name 'alice' is already taken; please choose another:",
        ),
        (
            "",
            "(server): That name is not valid: a name needs at least one character; please choose another:",
        ),
        (
            "Alice",
            "(server): That name is not valid: 'Alice' looks too much like 'alice', who is online; please choose another:",
        ),
        (
            "\u{430}lice",
            "(server): That name is not valid: '\u{430}lice' looks too much like 'alice', who is online; please choose another:",
        ),
        (
            "a1ice",
            "(server): That name is not valid: 'a1ice' looks too much like 'alice', who is online; please choose another:",
        ),
        (
            "..",
            "(server): That name is not valid: a name needs at least one letter or digit; please choose another:",
        ),
        (
            "x\u{301}\u{301}",
            "(server): That name is not valid: a name may hold only letters, digits, '_', '-' and '.', not U+0301, an accent typed on its own (type the accented letter itself); please choose another:",
        ),
        (
            "two words",
            "(server): That name is not valid: a name may hold only letters, digits, '_', '-' and '.', not ' ' (a space); please choose another:",
        ),
        (
            "(server)",
            "(server): That name is not valid: a name may hold only letters, digits, '_', '-' and '.', not '('; please choose another:",
        ),
        (
            "server",
            "(server): That name is not valid: 'server' is reserved; please choose another:",
        ),
        (
            &"n".repeat(33),
            "(server): That name is not valid: a name has at most 32 characters; please choose another:",
        ),
    ];
    for (name, answer) in refusals {
        client.send(name);
        client.expect_line(answer);
    }
    // A decomposed accent is the same name as the composed one: é (NFKC).
    client.send("cle\u{301}o");
    client.expect("(server): Hello cl\u{e9}o!");
    client.send("status");
    client.expect_line("(server): - alice: FREE");
    client.expect_line("(server): - cl\u{e9}o: FREE (you)");
    client.send("connect ALICE");
    client.expect_line("(server): You are now connected to alice");
}

/// On one raw connection, refused names are asked for again and a good name then works.
#[test]
fn refused_names_are_asked_again_on_the_same_connection() {
    let server = Server::start();
    let _alice = RawClient::register(server.port(), "alice");
    let mut raw = server.raw();
    raw.expect("(server): Welcome to labchat! Please enter your user name:");
    raw.send("alice");
    raw.expect("(server): The name 'alice' is already taken; please choose another:");
    raw.send("GEN_KEYS");
    raw.expect("(server): That name is not valid: 'GEN_KEYS' is reserved; please choose another:");
    raw.send("col:on");
    raw.expect("(server): That name is not valid: a name may hold only letters, digits, '_', '-' and '.', not ':'; please choose another:");
    raw.send("  bob  ");
    raw.expect("(server): Hello bob!");
}

/// `client --name alice` when alice is taken: the client says why once, with what to do, and
/// exits 1 (not the server's "please choose another", which it cannot act on).
#[test]
fn preset_name_that_is_taken_exits_1() {
    let server = Server::start();
    let _alice = server.client("alice");
    let mut late = server.spawn_client_with("127.0.0.1", &["--name", "alice"]);
    assert_eq!(late.expect_exit(Duration::from_secs(5)), 1);
    // The process has ended; its last line may still be on its way to the transcript.
    late.stdout.wait_end(WAIT);
    let said: Vec<String> = late
        .stdout
        .lines()
        .into_iter()
        .filter(|l| l.contains("alice"))
        .collect();
    assert_eq!(
        said,
        ["(client): the name 'alice' is already taken; try again with another --name"],
        "{}",
        late.dump()
    );

    // A preset that is free registers without asking.
    let bob = server.spawn_client_with("127.0.0.1", &["--name", "bob"]);
    bob.expect("(server): Hello bob!");
}

/// `client --name 'two words'`: an invalid preset also exits 1.
#[test]
fn preset_name_that_is_invalid_exits_1() {
    let server = Server::start();
    let mut client = server.spawn_client_with("127.0.0.1", &["--name", "two words"]);
    client.expect("(client): that name is not valid: a name may hold only");
    assert_eq!(client.expect_exit(Duration::from_secs(5)), 1);
}
