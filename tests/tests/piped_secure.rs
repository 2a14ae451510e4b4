//! Scripts (piped mode): a `secure:` right after `connect` waits (a few seconds at most) for
//! the key instead of being refused at once, and the client's own answers (`help`, `verify`)
//! come after the server's answers to the lines before them.

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

/// A script's output follows its input: the answers to `status` and `connect` come before
/// the client's own answers to the `help` and `verify` typed after them.
#[test]
fn piped_output_keeps_the_input_order() {
    let server = Server::start();
    let _bob = server.client("bob");
    let mut alice = server.client("alice");
    alice.send("status");
    alice.send("help");
    alice.send("connect bob");
    alice.send("verify");
    alice.expect("(client): safety code of this chat with bob");
    let lines = alice.stdout.lines();
    let at = |text: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(text))
            .unwrap_or_else(|| panic!("no {text:?} in {lines:#?}"))
    };
    let order = [
        at("(server): 2 users online:"),
        at("(server): - bob: FREE"),
        at("(client): Commands:"),
        at("(server): You are now connected to bob"),
        at("(client): safety code of this chat with bob"),
    ];
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "{order:?}: {lines:#?}"
    );
}
