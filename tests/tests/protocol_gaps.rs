//! Places where PROTOCOL.md and the code once disagreed, as a second implementation found them,
//! checked against the real binaries: the original's bare exchange marks its code as one that
//! cannot be verified, and the number in the "message too long" notice is the documented one.

use std::sync::Arc;
use tests::agreement::connect_until_keyed;
use tests::relay::{Direction, Relay};
use tests::{Client, RawClient, Server};

/// The words that mark the bare exchange's code.
const UNVERIFIABLE: &str = "WARNING: this safety code cannot be verified";

/// A relay that plays the original server (a bare `GEN_KEYS`, bare `key_param` lines, which it
/// numbers for our server): both clients agree a key, and both say, with the code and on
/// `verify`, that the code cannot be verified; a committed chat says nothing of the kind.
#[test]
fn bare_exchange_code_is_marked_unverifiable() {
    let server = Server::builder().args(&["--dh-group", "toy"]).start();
    let chat: Arc<parking_lot::Mutex<String>> = Arc::default();
    let relay = Relay::start(
        server.port(),
        Arc::new(move |_, direction, line: &str| match direction {
            Direction::ToClient if line.starts_with("GEN_KEYS ") => {
                // `GEN_KEYS <group> <chat> [identity]`: the original asked for no identity.
                *chat.lock() = line.split(' ').nth(2).unwrap_or_default().to_string();
                "GEN_KEYS".into()
            }
            Direction::ToServer if line.starts_with("key_param ") => {
                let value = line.strip_prefix("key_param ").unwrap_or_default();
                format!("key_param {} {value}", chat.lock())
            }
            _ => line.to_string(),
        }),
    );
    let flag = ["--allow-toy-group"];
    let mut alice = Client::registered_at(relay.port(), "alice", &flag);
    let mut bob = Client::registered_at(relay.port(), "bob", &flag);
    let (a, b) = connect_until_keyed(&mut alice, &bob);
    assert_eq!(a, b, "an honest relay: equal codes");
    for who in [&mut alice, &mut bob] {
        let line = who.expect(UNVERIFIABLE);
        assert!(line.contains("no commitments"), "{line}");
        who.send("verify");
        who.expect("safety code of this chat with");
        who.expect(UNVERIFIABLE);
    }

    // The committed exchange, toy group included, is not marked so.
    let server = Server::builder().args(&["--dh-group", "toy"]).start();
    let mut carol = Client::registered_at(server.port(), "carol", &flag);
    let dave = Client::registered_at(server.port(), "dave", &flag);
    connect_until_keyed(&mut carol, &dave);
    carol.send("verify");
    carol.expect("safety code of this chat with dave");
    carol.expect("WARNING: this chat uses the original's toy group");
    assert!(
        !carol
            .stdout
            .lines()
            .iter()
            .any(|l| l.contains(UNVERIFIABLE)),
        "{}",
        carol.dump()
    );
}

/// PROTOCOL.md: a relayed line that would pass 8192 bytes is refused with `more than <n> bytes
/// after your name`, `<n>` being 8192 less what the server puts around the text: `<name>: ` for
/// chat, `<name> (secure): ` for a sealed line. One byte less than the limit goes through.
#[test]
fn too_long_notice_gives_the_documented_room() {
    let server = Server::start();
    let mut sender = RawClient::register(server.port(), "nc");
    let partner = RawClient::register(server.port(), "bo");
    sender.send("connect bo");
    partner.expect("(server): You are now connected to nc");
    for (prefix, room) in [("", 8192 - 2 - 2), ("secure: ", 8192 - 2 - 11)] {
        sender.send(&format!("{prefix}{}", "x".repeat(room + 1)));
        sender.expect(&format!(
            "(server): Error: message too long (more than {room} bytes after your name); it was not sent"
        ));
        sender.send(&format!("{prefix}{}", "y".repeat(room)));
        partner.expect(&"y".repeat(room));
    }
}
