//! The original's README steps, end to end, with real `server` and `client` processes.

use std::time::Duration;
use tests::Server;

/// Two clients: status, connect, chat both ways, goodbye, connect to a third user, close.
#[test]
fn readme_walkthrough_with_real_clients() {
    let server = Server::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");

    alice.send("status");
    alice.expect_line("(server): 2 users online:");
    alice.expect_line("(server): - alice: FREE (you)");
    alice.expect_line("(server): - bob: FREE");

    alice.send("connect bob");
    alice.expect_line("(server): You are now connected to bob");
    bob.expect_line("(server): You are now connected to alice");

    alice.send("hello bob");
    bob.expect_line("alice: hello bob");
    bob.send("hi alice");
    alice.expect_line("bob: hi alice");

    bob.send("status");
    bob.expect_line("(server): - alice: BUSY with bob");
    bob.expect_line("(server): - bob: BUSY with alice (you)");

    alice.send("goodbye");
    alice.expect_line("(server): You ended the chat with bob");
    bob.expect_line("(server): alice ended the chat");

    let carol = server.client("carol");
    alice.send("connect carol");
    alice.expect_line("(server): You are now connected to carol");
    carol.expect_line("(server): You are now connected to alice");

    alice.send("close");
    alice.expect_line("(server): Goodbye!");
    assert_eq!(alice.expect_exit(Duration::from_secs(5)), 0);
    carol.expect_line("(server): alice disconnected; the chat is over");

    bob.close_stdin();
    assert_eq!(bob.expect_exit(Duration::from_secs(5)), 0);
    server
        .log
        .wait_for(tests::WAIT, |l| l.ends_with("bob left"))
        .expect("the server logs bob leaving");
}
