//! A script that sends `secure:` right after `connect`: the client waits (a few seconds at
//! most) for the key instead of refusing at once, as it always did.

use tests::Server;

/// A piped `secure:` straight after `connect bob` reaches bob sealed.
#[test]
fn a_scripted_secure_right_after_connect_is_sent() {
    let server = Server::start();
    let bob = server.client("bob");
    let mut alice = server.client("alice");
    alice.send("connect bob");
    alice.send("secure: right after connect");
    bob.expect_line("alice (secure): right after connect");
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

/// Outside a chat, a piped `secure:` is refused at once, as before (nothing to wait for).
#[test]
fn a_scripted_secure_outside_a_chat_is_refused() {
    let server = Server::start();
    let mut alice = server.client("alice");
    alice.send("secure: nobody to read it");
    alice.expect("no key is agreed: connect to someone first; nothing was sent");
}
