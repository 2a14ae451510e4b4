//! A partner whose client never answers the key exchange (a person on `nc`, an old client):
//! after a few seconds the client says, unasked, that secure messages are not possible.

use tests::{RawClient, Server, WAIT};

/// alice connects to nc, who never answers GEN_KEYS: alice is told within a few seconds,
/// without typing anything, and `secure:` is refused with the same words.
#[test]
fn a_partner_that_never_answers_the_key_exchange_is_named_unasked() {
    let server = Server::start();
    let nc = RawClient::register(server.port(), "nc");
    let mut alice = server.client("alice");
    alice.send("connect nc");
    alice.expect_line("(server): You are now connected to nc");
    let said = alice
        .stdout
        .wait_for(WAIT, |l| l.contains("has not finished the key exchange"))
        .unwrap_or_else(|| panic!("no word about the key exchange\n{}", alice.dump()));
    assert!(
        said.starts_with("(client): ")
            && said.ends_with("secure: is not possible with this partner"),
        "{said}"
    );
    alice.send("secure: the door code");
    alice.expect("secure: is not possible with this partner; nothing was sent");
    // A line typed after it arrives after it, had it been sent.
    alice.send("typed after");
    nc.expect("alice: typed after");
    assert!(
        !nc.received.lines().iter().any(|l| l.contains("door code")),
        "{:#?}",
        nc.received.lines()
    );
}
