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
