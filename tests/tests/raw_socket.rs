//! A person with only `nc HOST PORT`: the same words as in the client, on a bare socket.

use tests::{Server, WAIT};

/// A raw socket names itself, asks for status, connects to a real client, chats both ways,
/// says goodbye and closes; the real client sees each step.
#[test]
fn raw_socket_does_the_whole_flow() {
    let server = Server::start();
    let mut alice = server.client("alice");
    let mut nc = server.raw();

    nc.expect("(server): Welcome to labchat! Please enter your user name:");
    nc.send("nc");
    nc.expect("(server): Hello nc! Type status to see who is here, connect <user> to chat, help for more.");

    nc.send("help");
    nc.expect("(server): Commands:");
    nc.expect("(server):   close             disconnect");

    nc.send("status");
    nc.expect("(server): 2 users online:");
    nc.expect("(server): - alice: FREE");
    nc.expect("(server): - nc: FREE (you)");

    nc.send("connect alice");
    nc.expect("(server): You are now connected to alice");
    alice.expect_line("(server): You are now connected to nc");
    // The key agreement a person on nc may ignore: the group, then alice's commitment (her
    // public value follows only once nc commits, which nc never does).
    nc.received
        .wait_for(WAIT, |l| l.starts_with("GEN_KEYS "))
        .expect("the server starts a key agreement");
    nc.received
        .wait_for(WAIT, |l| l.starts_with("key_commit "))
        .expect("alice's client sends its key_commit");

    nc.send("hi alice, typed in nc");
    alice.expect_line("nc: hi alice, typed in nc");
    alice.send("hello nc");
    nc.expect("alice: hello nc");

    // Windows line endings from a telnet-like tool are accepted.
    nc.send_bytes(b"with crlf\r\n");
    alice.expect_line("nc: with crlf");

    nc.send("status");
    nc.expect("(server): - alice: BUSY with nc");
    nc.expect("(server): - nc: BUSY with alice (you)");

    nc.send("goodbye");
    nc.expect("(server): You ended the chat with alice");
    alice.expect_line("(server): nc ended the chat");

    nc.send("close");
    nc.expect("(server): Goodbye!");
    assert!(
        nc.expect_closed(WAIT),
        "the server did not close after Goodbye!"
    );
    server
        .log
        .wait_for(WAIT, |l| l.ends_with(" nc left"))
        .expect("the server logs nc leaving");
    alice.send("status");
    alice.expect_line("(server): 1 user online:");

    // Every line the socket got has one of the documented shapes.
    for line in nc.received.lines() {
        let key_value = line
            .strip_prefix("key_commit ")
            .is_some_and(|n| common::commitment::Commitment::parse(n).is_ok());
        assert!(
            line.starts_with("(server): ")
                || line.starts_with("alice: ")
                || line.starts_with("GEN_KEYS ")
                || key_value,
            "unexpected line on the socket: {line:?}"
        );
    }
}

/// A raw socket that just hangs up in a chat frees its partner.
#[test]
fn raw_socket_end_of_stream_in_a_chat_frees_the_partner() {
    let server = Server::start();
    let mut alice = server.client("alice");
    let nc = tests::RawClient::register(server.port(), "nc");
    alice.send("connect nc");
    nc.expect("(server): You are now connected to alice");

    nc.finish();
    alice.expect_line("(server): nc disconnected; the chat is over");
    assert!(nc.expect_closed(WAIT), "the server kept the socket open");
    alice.send("status");
    alice.expect_line("(server): - alice: FREE (you)");
}
