//! `client --explain` walks a person through the key agreement and each secure message with
//! its numbers; the numbers both sides print must agree where the mathematics says they do.

use tests::agreement::connect_until_keyed;
use tests::{Client, Server};

/// The value after `marker` in the line that contains it.
fn after(line: &str, marker: &str) -> String {
    line.split(marker)
        .nth(1)
        .unwrap_or_else(|| panic!("no {marker:?} in {line:?}"))
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// In the toy group (numbers short enough to read whole): each side shows its x and its own
/// value as "your value", the partner's value under the partner's name is the other's own,
/// both compute the same shared secret, and a message's RC4 key is the same on both ends.
#[test]
fn both_sides_explain_the_same_numbers() {
    let server = Server::builder().args(&["--dh-group", "toy"]).start();
    let flags = ["--allow-toy-group", "--explain"];
    let mut alice = Client::registered_at(server.port(), "alice", &flags);
    let bob = Client::registered_at(server.port(), "bob", &flags);
    connect_until_keyed(&mut alice, &bob);
    let explained = |c: &Client, marker: &str| {
        let lines = c.stdout.lines();
        let line = lines
            .iter()
            .rev()
            .find(|l| l.starts_with("(explain): ") && l.contains(marker))
            .unwrap_or_else(|| panic!("no {marker:?}:\n{}", c.dump()))
            .clone();
        after(&line, marker)
    };
    let a = explained(&alice, "your public value = g^x mod p = ");
    let b = explained(&bob, "your public value = g^x mod p = ");
    assert_eq!(explained(&alice, "bob's public value = "), b);
    assert_eq!(explained(&bob, "alice's public value = "), a);
    assert_eq!(
        explained(&alice, "shared secret = (bob's value)^x mod p = "),
        explained(&bob, "shared secret = (alice's value)^x mod p = ")
    );

    alice.send("secure: explained");
    bob.expect("alice (secure): explained");
    // alice's screen can be a moment behind the wire: wait for her own line too.
    alice.expect("(explain): message #0 sent: ");
    let sent = explained(
        &alice,
        "message #0 sent: RC4 key = HMAC(enc key, \"rc4\" || 0) = ",
    );
    let received = explained(
        &bob,
        "message #0 received: RC4 key = HMAC(enc key, \"rc4\" || 0) = ",
    );
    assert_eq!(sent, received);
}

/// With identities (both clients have one), `--explain` tells the identity step too: each
/// side's own fingerprint when the chat begins, the sealed proof it sent, and the partner's
/// proof opened, naming the fingerprint the partner announced as its own; the safety code
/// covers both identities.
#[test]
fn the_identity_proof_is_explained() {
    let server = Server::start();
    let flags = ["--explain"];
    let mut alice = Client::registered_at(server.port(), "alice", &flags);
    let bob = Client::registered_at(server.port(), "bob", &flags);
    connect_until_keyed(&mut alice, &bob);
    // The lines are all out once the safety code is shown.
    let line_with = |c: &Client, text: &str| {
        c.stdout
            .lines()
            .into_iter()
            .find(|l| l.starts_with("(explain): ") && l.contains(text))
            .unwrap_or_else(|| panic!("no {text:?}:\n{}", c.dump()))
    };
    let own = |c: &Client| {
        let line = line_with(c, "GEN_KEYS says identity: ");
        after(&line, "(yours: ").trim_end_matches(");").to_string()
    };
    let (alice_key, bob_key) = (own(&alice), own(&bob));
    assert_ne!(alice_key, bob_key);
    line_with(
        &alice,
        "sent key_proof: your identity key and your Ed25519 signature",
    );
    line_with(
        &bob,
        "sent key_proof: your identity key and your Ed25519 signature",
    );
    let opened = line_with(&alice, "bob's key_proof opened with the shared secret");
    assert_eq!(after(&opened, "identity ").trim_end_matches(';'), bob_key);
    let opened = line_with(&bob, "alice's key_proof opened with the shared secret");
    assert_eq!(after(&opened, "identity ").trim_end_matches(';'), alice_key);
    line_with(&alice, "secret, both identities) mod 10^12 = ");
}
