//! Partners' identities, against the real binaries, each person with an `XDG_CONFIG_HOME` of
//! their own: `trust` once, verified thereafter; a changed identity warns and holds `secure:`;
//! a relay that restarts a compared chat, or sits in the middle, reads nothing from a pinned
//! pair; a partner without identity still gets secure messages, unless its name is pinned.

use common::commitment::Commitment;
use common::dh::{Group, KeyPair, PublicValue};
use common::secure::Session;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tests::agreement::agreement;
use tests::eve::Eve;
use tests::relay::{Direction, Relay};
use tests::{Client, ConfigHome, RawClient, Server, WAIT};

/// `alice` (already chatting with `bob`, key agreed) and `bob` both type `trust`.
fn trust_each_other(alice: &mut Client, bob: &mut Client) {
    alice.send("trust");
    alice.expect(&format!("you trust {}'s identity", bob.name));
    bob.send("trust");
    bob.expect(&format!("you trust {}'s identity", alice.name));
}

/// alice and bob, each in a home of their own, chat once through the server on `port`,
/// compare their codes and trust each other; then both leave. Returns their homes.
pub(crate) fn pinned_pair(port: u16) -> (ConfigHome, ConfigHome) {
    let (alice_home, bob_home) = (ConfigHome::new(), ConfigHome::new());
    let mut alice = Client::registered_in(&alice_home, port, "alice", &[]);
    let mut bob = Client::registered_in(&bob_home, port, "bob", &[]);
    alice.send("connect bob");
    let (a, b) = (agreement(&alice), agreement(&bob));
    assert_eq!(a, b, "{}\n{}", alice.dump(), bob.dump());
    assert!(a.is_ok());
    assert!(
        alice
            .stdout
            .lines()
            .iter()
            .any(|l| l.contains("type trust")),
        "{}",
        alice.dump()
    );
    trust_each_other(&mut alice, &mut bob);
    for who in [&mut alice, &mut bob] {
        who.send("close");
        assert_eq!(who.expect_exit(WAIT), 0, "{}", who.dump());
    }
    (alice_home, bob_home)
}

/// After comparing the code and typing `trust`, the next chat (new processes, same homes)
/// says verified with nothing to compare, and secure messages go through.
#[test]
fn trust_then_a_new_chat_says_verified() {
    let server = Server::start();
    let (alice_home, bob_home) = pinned_pair(server.port());
    let pins = std::fs::read_to_string(alice_home.labchat().join("partners")).expect("pins");
    assert!(pins.lines().any(|l| l.ends_with(" bob")), "{pins}");

    let mut alice = Client::registered_in(&alice_home, server.port(), "alice", &[]);
    let bob = Client::registered_in(&bob_home, server.port(), "bob", &[]);
    alice.send("connect bob");
    let ready = alice.expect("secure messages to bob are ready");
    assert!(ready.contains("bob is verified"), "{}", alice.dump());
    assert!(!ready.contains("compare it"), "{ready}");
    bob.expect("alice is verified");
    alice.send("secure: the door code is 4711");
    bob.expect_line("alice (secure): the door code is 4711");
    alice.send("verify");
    alice.expect("bob is verified: you trusted identity");
}

/// Someone else under a pinned name (a new identity): a WARNING that the identity changed,
/// and `secure:` is held, nothing sealed, until the person compares and types `trust`.
#[test]
fn a_changed_identity_warns_and_holds_secure() {
    let server = Server::start();
    let (alice_home, _bob_home) = pinned_pair(server.port());
    let mut alice = Client::registered_in(&alice_home, server.port(), "alice", &[]);
    // Another bob: a home of its own, so another identity.
    let mut impostor = Client::registered_at(server.port(), "bob", &[]);
    alice.send("connect bob");
    let warning = alice.expect("WARNING: bob's identity changed");
    assert!(warning.contains("secure: to bob is held"), "{warning}");
    assert!(agreement(&impostor).is_ok());
    alice.send("secure: my PIN is 9999");
    alice.expect("secure: to bob is held");
    alice.send("verify");
    alice.expect("WARNING: bob's identity changed, and secure: to bob is held");
    impostor.send("are you there?");
    alice.expect_line("bob: are you there?");
    // alice's lines reach the impostor in order: once a plain line sent after the held one has
    // arrived, a sealed one would have too.
    alice.send("a plain line after the held one");
    impostor.expect_line("alice: a plain line after the held one");
    assert!(
        !impostor
            .stdout
            .lines()
            .iter()
            .any(|l| l.contains("(secure)")),
        "a held secure: went out\n{}",
        impostor.dump()
    );
    // Compared (say the new bob is bob on a new machine): trusted again, and secure: goes.
    alice.send("trust");
    alice.expect("you trust bob's identity");
    alice.send("secure: now it is you");
    impostor.expect_line("alice (secure): now it is you");
    impostor.send("close");
    impostor.expect_exit(WAIT);
}

/// A raw socket speaking today's protocol (no `hello`, so no identity) as bob: the exchange
/// without identities, by hand.
struct OldPartner {
    raw: RawClient,
}

impl OldPartner {
    fn register(port: u16, name: &str) -> OldPartner {
        OldPartner {
            raw: RawClient::register(port, name),
        }
    }

    /// Runs the committed exchange of the chat that just started; returns its session.
    fn agree(&mut self) -> Session {
        let group = Group::Ffdhe2048;
        let gen_keys = self.raw.expect("GEN_KEYS ");
        assert!(!gen_keys.contains("identity"), "{gen_keys}");
        let chat: u64 = gen_keys.split(' ').nth(2).unwrap().parse().unwrap();
        let pair = KeyPair::generate(group);
        let mine = Commitment::to(group, chat, pair.public());
        self.raw.send(&format!("key_commit {chat} {mine}"));
        let theirs = self.raw.expect("key_commit ");
        let theirs = Commitment::parse(&theirs["key_commit ".len()..]).unwrap();
        self.raw
            .send(&format!("key_param {chat} {}", pair.public()));
        let peer = self.raw.expect("key_param ");
        let peer = PublicValue::parse(group, &peer["key_param ".len()..]).unwrap();
        assert!(theirs.opens_to(group, chat, &peer));
        let secret = pair.agree(&peer);
        Session::after_commitments(group, chat, (&mine, &theirs), pair.public(), &peer, &secret)
    }
}

/// A partner without identity, never pinned, still gets secure messages, shown as not
/// verified; once a name is pinned, the same partner arriving without identity is treated as
/// changed, not as an older client.
#[test]
fn a_partner_without_identity_is_not_verified_and_a_pinned_one_is_changed() {
    let server = Server::start();
    let mut dave = Client::registered_at(server.port(), "dave", &[]);
    let mut carol = OldPartner::register(server.port(), "carol");
    dave.send("connect carol");
    let mut session = carol.agree();
    let ready = dave.expect("secure messages to carol are ready");
    assert!(ready.contains("carol is not verified"), "{ready}");
    dave.send("secure: hello old friend");
    let sealed = carol.raw.expect("dave (secure): ");
    let payload = sealed.trim_start_matches("dave (secure): ");
    assert_eq!(session.open(payload).as_deref(), Ok("hello old friend"));
    dave.send("trust");
    dave.expect("this chat proves no identity for carol");

    // bob is pinned; a bob without identity is a change, and secure: is held.
    let (alice_home, _bob_home) = pinned_pair(server.port());
    let mut alice = Client::registered_in(&alice_home, server.port(), "alice", &[]);
    let mut bob = OldPartner::register(server.port(), "bob");
    alice.send("connect bob");
    bob.agree();
    let warning = alice.expect("WARNING: bob's identity changed");
    assert!(warning.contains("proves no identity"), "{warning}");
    alice.send("secure: my PIN is 9999");
    alice.expect("secure: to bob is held");
    bob.raw.send("the end");
    alice.expect_line("bob: the end");
    assert!(bob.raw.maybe("(secure)", Duration::ZERO).is_none());
    // forget: a first contact again, not verified, and secure: goes.
    alice.send("forget bob");
    alice.expect("forgot the identity you trusted for bob");
    alice.send("secure: fine");
    bob.raw.expect("alice (secure): ");
}

/// A relay that restarts a compared chat (a fresh "connected" and `GEN_KEYS` to each side in
/// the middle of it, and its own keys) cannot prove the pinned identities: both clients warn
/// that the identity changed, hold `secure:`, and the relay reads nothing.
#[test]
fn a_relay_restarting_a_pinned_chat_reads_nothing() {
    let server = Server::start();
    let relay_keys: Arc<Mutex<HashMap<usize, KeyPair>>> = Arc::default();
    let keys = Arc::clone(&relay_keys);
    let relay = Relay::start(
        server.port(),
        Arc::new(move |conn, direction, line: &str| {
            let group = Group::Ffdhe2048;
            match direction {
                // The partner's "restart" reaches this client: start a chat of the relay's
                // own with it, every line of the exchange at once.
                Direction::ToClient if line.ends_with(": restart") => {
                    let partner = line.split(':').next().unwrap();
                    let pair = KeyPair::generate(group);
                    let commitment = Commitment::to(group, 999, pair.public());
                    let lines = format!(
                        "(server): You are now connected to {partner}\nGEN_KEYS ffdhe2048 999\nkey_commit {commitment}\nkey_param {}",
                        pair.public()
                    );
                    keys.lock().insert(conn, pair);
                    lines
                }
                // The clients' answers to the relay's chat stay with the relay.
                Direction::ToServer
                    if line.starts_with("key_commit 999 ")
                        || line.starts_with("key_param 999 ") =>
                {
                    String::new()
                }
                _ => line.to_string(),
            }
        }),
    );
    let (alice_home, bob_home) = pinned_pair(relay.port());
    let mut alice = Client::registered_in(&alice_home, relay.port(), "alice", &[]);
    let mut bob = Client::registered_in(&bob_home, relay.port(), "bob", &[]);
    alice.send("connect bob");
    alice.expect("bob is verified");
    bob.expect("alice is verified");
    alice.send("restart");
    bob.send("restart");
    for (who, partner) in [(&alice, "bob"), (&bob, "alice")] {
        let warning = who.expect(&format!("WARNING: {partner}'s identity changed"));
        assert!(warning.contains("held"), "{warning}\n{}", who.dump());
    }
    assert_eq!(relay_keys.lock().len(), 2);
    alice.send("secure: the door code is 4711");
    alice.expect("secure: to bob is held");
    bob.send("secure: my PIN is 9999");
    bob.expect("secure: to alice is held");
    bob.send("plain still works");
    alice.expect_line("bob: plain still works");
    let wire = relay.wire();
    // The words, not the digits: a 617-digit public value holds "4711" by chance about one
    // time in 16, and several cross this relay.
    for secret in ["door code", "my PIN", "(secure)", "secure:"] {
        assert!(
            !wire.contains(secret),
            "{secret:?} crossed the relay:\n{wire}"
        );
    }
}

/// eve in the middle of a pinned pair: she cannot prove either identity, so she asks for none;
/// both clients say the identity changed, hold `secure:`, and eve reads nothing.
#[test]
fn eve_in_the_middle_of_a_pinned_pair_reads_nothing() {
    let server = Server::start();
    let (alice_home, bob_home) = pinned_pair(server.port());
    let eve = Eve::start_with(&server, &["--mitm"]);
    let mut alice = Client::registered_in(&alice_home, eve.port, "alice", &[]);
    let bob = Client::registered_in(&bob_home, eve.port, "bob", &[]);
    alice.send("connect bob");
    alice.expect("WARNING: bob's identity changed");
    bob.expect("WARNING: alice's identity changed");
    alice.send("secure: the vault code is purple-walrus");
    alice.expect("secure: to bob is held");
    alice.send("plain");
    bob.expect_line("alice: plain");
    let seen = eve.out.lines();
    assert!(
        !seen.iter().any(|l| l.contains("purple-walrus")),
        "{seen:#?}"
    );
    assert!(!seen.iter().any(|l| l.contains("(secure)")), "{seen:#?}");
}

/// In the toy group a trusted partner is still "verified", and the line says that the chat is
/// readable by anyone watching.
#[test]
fn verified_in_the_toy_group_still_says_readable_by_anyone() {
    let server = Server::builder().args(&["--dh-group", "toy"]).start();
    let flag = ["--allow-toy-group"];
    let (alice_home, bob_home) = (ConfigHome::new(), ConfigHome::new());
    let mut alice = Client::registered_in(&alice_home, server.port(), "alice", &flag);
    let mut bob = Client::registered_in(&bob_home, server.port(), "bob", &flag);
    let (a, b) = tests::agreement::connect_until_keyed(&mut alice, &bob);
    assert_eq!(a, b);
    trust_each_other(&mut alice, &mut bob);
    alice.send("goodbye");
    alice.expect("You ended the chat");
    bob.expect("alice ended the chat");
    tests::agreement::connect_until_keyed(&mut alice, &bob);
    let ready = alice
        .stdout
        .lines()
        .into_iter()
        .rev()
        .find(|l| l.contains("secure messages to bob are ready"))
        .expect("a ready line");
    assert!(
        ready.contains("bob is verified") && ready.contains("readable by anyone watching"),
        "{ready}"
    );
}

/// What a relay that restarts alice's chat with identities keeps: its keys, and the proof it
/// owes alice once her value has come.
#[derive(Default)]
struct Impostor {
    pair: Option<KeyPair>,
    commitment: Option<Commitment>,
    alice_commitment: Option<Commitment>,
    proof: Option<String>,
}

/// The same restart, but the relay asks for identities and proves one of its own (it cannot
/// sign as bob): alice's client takes the proof as valid for *that* identity, which is not the
/// one pinned for bob, so it warns that bob's identity changed and holds `secure:`.
#[test]
fn a_relay_restarting_with_an_identity_of_its_own_is_a_change() {
    use common::identity::proof::{transcript, Party, ProofKeys};
    use common::identity::Identity;
    let server = Server::start();
    let state: Arc<Mutex<Impostor>> = Arc::default();
    let shared = Arc::clone(&state);
    let throwaway = Arc::new(Identity::generate());
    let fingerprint = throwaway.public().fingerprint().to_string();
    // Set once alice has answered the relay's exchange and its proof waits to go down.
    let answered: Arc<tests::slot::Slot> = Arc::default();
    let proof_ready = Arc::clone(&answered);
    let relay = Relay::start(
        server.port(),
        Arc::new(move |conn, direction, line: &str| {
            let group = Group::Ffdhe2048;
            let mut me = shared.lock();
            match direction {
                Direction::ToClient if line == "bob: restart" && conn == 0 => {
                    let pair = KeyPair::generate(group);
                    let commitment =
                        Commitment::with_identity(group, 999, pair.public(), &throwaway.public());
                    let lines = format!(
                        "(server): You are now connected to bob\nGEN_KEYS ffdhe2048 999 identity\nkey_commit {commitment}\nkey_param {}",
                        pair.public()
                    );
                    me.pair = Some(pair);
                    me.commitment = Some(commitment);
                    lines
                }
                // The proof it owes alice goes down with the next line for her.
                Direction::ToClient if conn == 0 && me.proof.is_some() => {
                    format!("key_proof {}\n{line}", me.proof.take().unwrap())
                }
                Direction::ToServer if conn == 0 && line.starts_with("key_commit 999 ") => {
                    me.alice_commitment = Commitment::parse(&line["key_commit 999 ".len()..]).ok();
                    String::new()
                }
                Direction::ToServer if conn == 0 && line.starts_with("key_param 999 ") => {
                    let alice = PublicValue::parse(group, &line["key_param 999 ".len()..]).unwrap();
                    let pair = me.pair.take().unwrap();
                    let (ours, hers) = (me.commitment.unwrap(), me.alice_commitment.unwrap());
                    let signer = Party {
                        name: "bob",
                        commitment: &ours,
                        value: pair.public(),
                    };
                    let partner = Party {
                        name: "alice",
                        commitment: &hers,
                        value: &alice,
                    };
                    let signed = transcript(group, 999, &signer, &throwaway.public(), &partner);
                    let secret = pair.agree(&alice);
                    me.proof = Some(
                        ProofKeys::derive(group, &secret, pair.public(), &alice)
                            .seal(&throwaway, &signed),
                    );
                    proof_ready.set(Some("ready".into()));
                    String::new()
                }
                Direction::ToServer if conn == 0 && line.starts_with("key_proof 999 ") => {
                    String::new()
                }
                _ => line.to_string(),
            }
        }),
    );
    let (alice_home, bob_home) = pinned_pair(server.port());
    let mut alice = Client::registered_in(&alice_home, relay.port(), "alice", &[]);
    let mut bob = Client::registered_in(&bob_home, relay.port(), "bob", &[]);
    alice.send("connect bob");
    alice.expect("bob is verified");
    bob.send("restart");
    // Once alice has answered the relay's exchange, bob's next line carries its proof down.
    assert!(
        answered.wait().is_some(),
        "alice never answered\n{}",
        alice.dump()
    );
    bob.send("go");
    let warning = alice.expect("WARNING: bob's identity changed");
    assert!(warning.contains(&fingerprint), "{warning}");
    alice.send("secure: the door code is 4711");
    alice.expect("secure: to bob is held");
    alice.send("plain");
    bob.expect_line("alice: plain");
    let wire = relay.wire();
    assert!(
        // Not "4711" alone: a 617-digit key value holds it by chance about one time in 16.
        !wire.contains("door code") && !wire.contains("secure:"),
        "{wire}"
    );
}
