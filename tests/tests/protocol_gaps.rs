//! Places where PROTOCOL.md and the code once disagreed, as a second implementation found them,
//! checked against the real binaries: the original's bare exchange marks its code as one that
//! cannot be verified.

use std::sync::Arc;
use tests::agreement::connect_until_keyed;
use tests::relay::{Direction, Relay};
use tests::Client;
use tests::Server;

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
                *chat.lock() = line.rsplit(' ').next().unwrap_or_default().to_string();
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
