//! Secure messages seen from the wire: the server never sees plaintext, a lying server is
//! caught by the safety codes, tampering is detected, and the toy group falls to brute force.

use common::commitment::Commitment;
use common::dh::{Group, KeyPair, PublicValue};
use common::protocol::ServerLine;
use common::secure::Session;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tests::agreement::{agreement, connect_until_keyed};
use tests::relay::{Direction, Relay};
use tests::{Client, Server};

/// Starts a client against `port` (the relay's) and registers `name`.
fn client_at(port: u16, name: &str) -> Client {
    Client::registered_at(port, name, &[])
}

/// Connects alice to bob and returns the safety code each one printed.
fn pair_and_codes(alice: &mut Client, bob: &Client) -> (String, String) {
    alice.send("connect bob");
    (safety_code(alice), safety_code(bob))
}

/// The safety code `client` prints once its key is agreed.
///
/// # Panics
/// If the agreement fails.
fn safety_code(client: &Client) -> String {
    agreement(client)
        .unwrap_or_else(|failure| panic!("key agreement failed: {failure}\n{}", client.dump()))
}

/// The plaintext of a secure message never crosses the server, while the partner reads it.
#[test]
fn server_never_sees_the_plaintext() {
    let server = Server::start();
    let relay = Relay::honest(server.port());
    let mut alice = client_at(relay.port(), "alice");
    let mut bob = client_at(relay.port(), "bob");
    let (a, b) = pair_and_codes(&mut alice, &bob);
    assert_eq!(a, b, "an honest server gives equal safety codes");

    let secret = "the exam answers are in drawer 3";
    alice.send(&format!("secure: {secret}"));
    bob.expect_line(&format!("alice (secure): {secret}"));
    alice.send(&format!("secure: {secret}"));
    bob.expect_line(&format!("alice (secure): {secret}"));
    bob.send("secure: thanks, deleting this");
    alice.expect_line("bob (secure): thanks, deleting this");
    alice.send("in the clear");
    bob.expect_line("alice: in the clear");

    let seen = relay.wire();
    assert!(
        seen.contains("alice: in the clear"),
        "the relay did record the chat: {seen}"
    );
    assert!(
        !seen.contains("exam answers"),
        "plaintext crossed the server: {seen}"
    );
    assert!(
        !seen.contains("deleting this"),
        "plaintext crossed the server: {seen}"
    );
    let sealed: Vec<&str> = seen
        .lines()
        .filter(|l| l.starts_with("alice (secure): "))
        .collect();
    assert_eq!(sealed.len(), 2, "{seen}");
    assert_ne!(
        sealed[0], sealed[1],
        "the same plaintext twice must give different ciphertext"
    );
}

/// A server that swaps in its own commitments and public values (a man in the middle that
/// plays the protocol correctly but does not search) makes the codes differ.
#[test]
fn lying_server_is_caught_by_the_safety_codes() {
    let server = Server::start();
    // Per connection: the relay's key pair and the chat number from its GEN_KEYS.
    let mallory: Arc<parking_lot::Mutex<Vec<(KeyPair, u64)>>> = Arc::default();
    let keys = Arc::clone(&mallory);
    let relay = Relay::start(
        server.port(),
        Arc::new(move |conn, direction, line: &str| {
            if direction != Direction::ToClient {
                return line.to_string();
            }
            let mut keys = keys.lock();
            if let Some(chat) = line.strip_prefix("GEN_KEYS ffdhe2048 ") {
                while keys.len() <= conn {
                    keys.push((KeyPair::generate(Group::Ffdhe2048), 0));
                }
                // It cannot prove anyone's identity, so it asks for none (the clients then
                // run the exchange without identities, as with a partner that has none).
                let chat = chat.trim_end_matches(" identity");
                keys[conn].1 = chat.parse().expect("a chat number");
                return format!("GEN_KEYS ffdhe2048 {chat}");
            } else if line.starts_with("key_commit ") {
                let (pair, chat) = &keys[conn];
                return format!(
                    "key_commit {}",
                    Commitment::to(Group::Ffdhe2048, *chat, pair.public())
                );
            } else if line.starts_with("key_param ") {
                return format!("key_param {}", keys[conn].0.public());
            }
            line.to_string()
        }),
    );
    let mut alice = client_at(relay.port(), "alice");
    let bob = client_at(relay.port(), "bob");
    let (a, b) = pair_and_codes(&mut alice, &bob);
    assert_ne!(
        a, b,
        "a man in the middle must show as different safety codes"
    );
    assert_eq!(
        mallory.lock().len(),
        2,
        "the relay did substitute both values"
    );
    // What mallory re-sealed would not even open: bob gets alice's message sealed with the key
    // alice shares with mallory, and says so without showing it.
    alice.send("secure: meet at noon");
    bob.expect("a secure message from alice failed verification");
    // Whatever bob's client made of the message, it showed it before this next line.
    alice.send("plain still works");
    bob.expect_line("alice: plain still works");
    assert!(
        !bob.stdout
            .lines()
            .iter()
            .any(|l| l.contains("meet at noon")),
        "{}",
        bob.dump()
    );
}

/// One flipped bit in a sealed message is reported to the receiver, and its text is not shown.
#[test]
fn tampered_message_fails_verification() {
    let server = Server::start();
    let relay = Relay::start(
        server.port(),
        Arc::new(|_, direction, line: &str| {
            let Some(payload) = line.strip_prefix("alice (secure): ") else {
                return line.to_string();
            };
            if direction != Direction::ToClient {
                return line.to_string();
            }
            // Flip the lowest bit of the first ciphertext byte (via its base64 text).
            let (counter, rest) = payload.split_once('.').expect("n.ct.tag");
            let mut chars: Vec<char> = rest.chars().collect();
            chars[1] = if chars[1] == 'A' { 'B' } else { 'A' };
            format!(
                "alice (secure): {counter}.{}",
                chars.into_iter().collect::<String>()
            )
        }),
    );
    let mut alice = client_at(relay.port(), "alice");
    let bob = client_at(relay.port(), "bob");
    pair_and_codes(&mut alice, &bob);
    alice.send("secure: transfer 10 euros");
    bob.expect("a secure message from alice failed verification");
    alice.send("plain still works");
    bob.expect_line("alice: plain still works");
    assert!(
        !bob.stdout.lines().iter().any(|l| l.contains("euros")),
        "tampered text was shown: {}",
        bob.dump()
    );
}

/// The original's group has fewer than 2,000 keys: an eavesdropper reads the chat at once.
/// (The clients accept it only with `--allow-toy-group`, and mark every secure line.)
#[test]
fn toy_group_falls_to_brute_force_from_the_transcript() {
    let server = Server::builder().args(&["--dh-group", "toy"]).start();
    let relay = Relay::honest(server.port());
    let mut alice = Client::registered_at(relay.port(), "alice", &["--allow-toy-group"]);
    let mut bob = Client::registered_at(relay.port(), "bob", &["--allow-toy-group"]);
    connect_until_keyed(&mut alice, &bob);
    bob.send("secure: my password is hunter2");
    let shown = alice.expect("bob (secure): my password is hunter2");
    assert!(
        shown.ends_with("[toy group: readable by anyone watching]"),
        "{shown}"
    );

    // Only what crossed the wire: the two public values (each seen twice, sent and relayed;
    // which is whose is not known, so try both ways) and the sealed line.
    let seen = relay.wire();
    assert!(
        seen.lines().any(|l| l.starts_with("GEN_KEYS toy ")),
        "{seen}"
    );
    let mut values: Vec<PublicValue> = seen
        .lines()
        .filter_map(|l| match ServerLine::parse(l) {
            Ok(ServerLine::KeyParam(v)) => PublicValue::parse(Group::Toy, &v).ok(),
            _ => None,
        })
        .collect();
    let payload = seen
        .lines()
        .find_map(|l| l.strip_prefix("bob (secure): "))
        .expect("the sealed message crossed the relay")
        .to_string();
    values.sort_by_key(|v| v.to_string());
    values.dedup();
    // Two values, or more if a toy-group chat had to be started again.
    assert!(values.len() >= 2, "{seen}");

    let started = Instant::now();
    let mut found = None;
    let pairs = values
        .iter()
        .flat_map(|a| values.iter().map(move |b| (a, b)))
        .filter(|(a, b)| a != b);
    'search: for (mine, theirs) in pairs {
        for x in 2u16..1998 {
            let Ok(guess) = KeyPair::from_private_be(Group::Toy, &x.to_be_bytes()) else {
                continue;
            };
            if guess.public() != mine {
                continue;
            }
            let secret = guess.agree(theirs);
            let mut session = Session::new(Group::Toy, mine, theirs, &secret);
            if let Ok(text) = session.open(&payload) {
                found = Some(text);
                break 'search;
            }
        }
    }
    let took = started.elapsed();
    assert_eq!(found.as_deref(), Some("my password is hunter2"));
    assert!(took < Duration::from_secs(1), "brute force took {took:?}");
    eprintln!("toy group: session key recovered from the transcript in {took:?}");
}

/// Starts a server behind a relay that rewrites what the server tells clients with `rewrite`,
/// pairs alice with bob through it, and returns both clients.
fn pair_through(rewrite: fn(&str) -> String) -> (Server, Relay, Client, Client) {
    let server = Server::start();
    let relay = Relay::start(
        server.port(),
        Arc::new(move |_, direction, line: &str| match direction {
            Direction::ToClient => rewrite(line),
            Direction::ToServer => line.to_string(),
        }),
    );
    let mut alice = client_at(relay.port(), "alice");
    let bob = client_at(relay.port(), "bob");
    alice.send("connect bob");
    (server, relay, alice, bob)
}

/// A public value outside 2..=p-2 makes no key, and `secure:` is then refused, not sent.
#[test]
fn bad_public_value_is_refused_and_nothing_is_sent_in_plain() {
    let (_server, relay, mut alice, _bob) = pair_through(|line| {
        if line.starts_with("key_param ") {
            "key_param 1".into()
        } else {
            line.to_string()
        }
    });
    alice.expect("key agreement failed: the partner's public value was refused");
    alice.send("secure: do not leak me");
    let refusal = alice.expect("nothing was sent");
    assert!(refusal.contains("key agreement failed"), "{refusal}");
    alice.send("verify");
    alice.expect("key agreement failed");
    assert!(!relay.wire().contains("do not leak me"));
}

/// A group the client does not know is refused with a clear message.
#[test]
fn unknown_group_is_refused() {
    let (_server, relay, mut alice, bob) = pair_through(|line| {
        if line.starts_with("GEN_KEYS") {
            "GEN_KEYS rot13".into()
        } else {
            line.to_string()
        }
    });
    alice.expect("key agreement failed: this client cannot use the server's key group: unknown Diffie-Hellman group \"rot13\"");
    bob.expect("key agreement failed");
    alice.send("secure: still secret");
    alice.expect("nothing was sent");
    assert!(!relay.wire().contains("still secret"));
}

/// Every chat gets a fresh key: a new chat with the same partner has a new safety code.
#[test]
fn every_chat_gets_fresh_keys() {
    let server = Server::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let (first, _) = pair_and_codes(&mut alice, &bob);
    alice.send("secure: one");
    bob.expect_line("alice (secure): one");
    bob.send("goodbye");
    alice.expect_line("(server): bob ended the chat");
    alice.send("secure: after the chat");
    alice.expect("nothing was sent");
    let (second, again) = pair_and_codes(&mut alice, &bob);
    assert_eq!(second, again);
    assert_ne!(first, second, "a new chat must agree a new key");
    alice.send("secure: two");
    bob.expect_line("alice (secure): two");
}

/// A secret typed with a stray space, a capital or a space before the colon is still sealed:
/// it never reaches the wire in plain text.
#[test]
fn sloppy_secure_spellings_are_still_sealed() {
    let server = Server::start();
    let relay = Relay::honest(server.port());
    let mut alice = client_at(relay.port(), "alice");
    let mut bob = client_at(relay.port(), "bob");
    pair_and_codes(&mut alice, &bob);
    for (typed, shown) in [
        (" secure: door code sesame", "door code sesame"),
        ("Secure: pin is unicorn", "pin is unicorn"),
        ("SECURE : vault in cellar", "vault in cellar"),
    ] {
        alice.send(typed);
        bob.expect_line(&format!("alice (secure): {shown}"));
    }
    bob.send("done");
    alice.expect_line("bob: done");
    let seen = relay.wire();
    for secret in ["sesame", "unicorn", "cellar"] {
        assert!(
            !seen.contains(secret),
            "{secret} crossed the wire in plain: {seen}"
        );
    }
}

/// A chat started, ended and started again at once (a paste): each side's answer to the first
/// chat's GEN_KEYS is dropped rather than taken for the second chat's key, so the second
/// chat agrees one key, the codes match and secure messages open.
#[test]
fn a_late_answer_to_an_earlier_chat_is_not_taken_for_this_one() {
    let server = Server::start();
    let mut alice = server.client("alice");
    let bob = server.client("bob");
    alice.send("connect bob\ngoodbye\nconnect bob");
    let (a, b) = (safety_code(&alice), safety_code(&bob));
    assert_eq!(a, b, "alice {}\nbob {}", alice.dump(), bob.dump());
    alice.send("secure: still ours");
    bob.expect_line("alice (secure): still ours");
    assert!(
        !bob.stdout
            .lines()
            .iter()
            .any(|l| l.starts_with("alice: key_param")),
        "a key value was shown as chat: {}",
        bob.dump()
    );
}
