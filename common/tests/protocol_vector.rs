//! The worked example in PROTOCOL.md ("Worked example") is a test vector: every value in it is
//! recomputed here from the two private exponents, so the document cannot drift from the code
//! and a second implementation can check itself against it step by step. The example also gives
//! the original's bare exchange with the same two exponents (`bare_...`).

use common::commitment::Commitment;
use common::dh::{Group, KeyPair};
use common::protocol::{Command, KeyLine};
use common::secure::Session;
use std::collections::BTreeMap;

mod support;
use support::hex;

/// The example's `name = value` lines.
fn documented_vector() -> BTreeMap<String, String> {
    support::documented_vector("### Worked example")
}

/// Everything the example states, computed from its inputs.
fn computed(doc: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let get = |key: &str| {
        doc.get(key)
            .unwrap_or_else(|| panic!("the example gives {key}"))
            .clone()
    };
    let group: Group = get("group").parse().expect("a group");
    let chat: u64 = get("chat").parse().expect("a chat number");
    let message = get("message");
    let private = |key: &str| -> Vec<u8> {
        let x: u64 = get(key).parse().expect("a small exponent");
        x.to_be_bytes().to_vec()
    };
    let alice = KeyPair::from_private_be(group, &private("alice_private")).expect("valid");
    let bob = KeyPair::from_private_be(group, &private("bob_private")).expect("valid");
    let (ca, cb) = (
        Commitment::to(group, chat, alice.public()),
        Commitment::to(group, chat, bob.public()),
    );
    let secret = alice.agree(bob.public());
    assert_eq!(secret, bob.agree(alice.public()));
    let mut alice_session = Session::after_commitments(
        group,
        chat,
        (&ca, &cb),
        alice.public(),
        bob.public(),
        &secret,
    );
    let mut bob_session = Session::after_commitments(
        group,
        chat,
        (&cb, &ca),
        bob.public(),
        alice.public(),
        &secret,
    );
    assert_eq!(alice_session.safety_code(), bob_session.safety_code());
    let to_bob = alice_session.send_keys();
    let to_alice = alice_session.receive_keys();

    let mut out = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        out.insert(k.to_string(), v);
    };
    put("group", group.to_string());
    put("chat", chat.to_string());
    put("alice_private", get("alice_private"));
    put("bob_private", get("bob_private"));
    put("message", message.clone());
    put("alice_public", alice.public().to_string());
    put("bob_public", bob.public().to_string());
    put("alice_public_bytes", hex(&alice.public().to_be_bytes()));
    put("bob_public_bytes", hex(&bob.public().to_be_bytes()));
    put("alice_commitment", ca.to_string());
    put("bob_commitment", cb.to_string());
    put(
        "alice_sends_first",
        KeyLine::Commit.command(chat, &ca.to_string()).to_string(),
    );
    put(
        "alice_sends_then",
        KeyLine::Param
            .command(chat, &alice.public().to_string())
            .to_string(),
    );
    put(
        "bob_receives",
        format!(
            "{} / {}",
            KeyLine::Commit.forwarded(&ca.to_string()),
            KeyLine::Param.forwarded(&alice.public().to_string())
        ),
    );
    put("shared_secret_bytes", hex(secret.as_be_bytes()));
    put("alice_to_bob_enc_key", hex(to_bob.enc_key()));
    put("alice_to_bob_mac_key", hex(to_bob.mac_key()));
    put("bob_to_alice_enc_key", hex(to_alice.enc_key()));
    put("bob_to_alice_mac_key", hex(to_alice.mac_key()));
    put("safety_code", alice_session.safety_code());
    // The original's bare exchange with the same exponents: bare lines, no commitments, the
    // same keys, and the v1 code.
    let bare = Session::new(group, alice.public(), bob.public(), &secret);
    assert_eq!(
        bare.safety_code(),
        Session::new(group, bob.public(), alice.public(), &secret).safety_code()
    );
    assert_eq!(bare.send_keys().enc_key(), to_bob.enc_key());
    put(
        "bare_alice_sends",
        Command::KeyParam(alice.public().to_string()).to_string(),
    );
    put("bare_safety_code", bare.safety_code());
    put("message_0_rc4_key", hex(&to_bob.rc4_key(0)));
    let sealed = alice_session.seal(&message).expect("short");
    assert_eq!(bob_session.open(&sealed).as_deref(), Ok(message.as_str()));
    put("sealed_0", sealed);
    out
}

/// PROTOCOL.md's worked example matches the code, value for value.
#[test]
fn protocol_md_worked_example_is_right() {
    let doc = documented_vector();
    support::assert_example_is(&doc, &computed(&doc), "worked example");
}
