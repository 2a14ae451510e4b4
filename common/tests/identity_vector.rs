//! The worked example in PROTOCOL.md ("Worked example with identities") is a test vector:
//! every value in it is recomputed here from its inputs (the two private exponents, three
//! identity seeds and a nonce), so the document cannot drift from the code, and a second
//! implementation can check its server proof, commitments, transcripts, sealed proofs and
//! safety code step by step.

use common::commitment::Commitment;
use common::dh::{Group, KeyPair};
use common::identity::proof::{transcript, Party, ProofKeys};
use common::identity::server_proof::{prove_server, server_proof_message};
use common::identity::{Identity, Nonce};
use common::protocol::{Hello, KeyLine, Notice, ServerLine};
use common::secure::Session;
use std::collections::BTreeMap;

mod support;
use support::hex;

/// The example's `name = value` lines.
fn documented_vector() -> BTreeMap<String, String> {
    support::documented_vector("### Worked example with identities")
}

fn unhex32(text: &str) -> [u8; 32] {
    let bytes: Vec<u8> = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect();
    bytes.try_into().expect("32 bytes")
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
    let private = |key: &str| -> Vec<u8> {
        let x: u64 = get(key).parse().expect("a small exponent");
        x.to_be_bytes().to_vec()
    };
    let alice = KeyPair::from_private_be(group, &private("alice_private")).expect("valid");
    let bob = KeyPair::from_private_be(group, &private("bob_private")).expect("valid");
    let alice_id = Identity::from_seed(unhex32(&get("alice_seed")));
    let bob_id = Identity::from_seed(unhex32(&get("bob_seed")));
    let server_id = Identity::from_seed(unhex32(&get("server_seed")));
    let nonce = Nonce(unhex32(&get("nonce")));

    let mut out = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        out.insert(k.to_string(), v);
    };
    for key in [
        "group",
        "chat",
        "alice_private",
        "bob_private",
        "alice_seed",
        "bob_seed",
        "server_seed",
        "nonce",
        "alice_name",
        "bob_name",
    ] {
        put(key, get(key));
    }
    let (alice_name, bob_name) = (get("alice_name"), get("bob_name"));

    // The server's proof.
    let server_key = server_id.public();
    put("client_sends_first", Hello(nonce).to_string());
    put("server_key", server_key.to_base64());
    put("server_fingerprint", server_key.fingerprint().to_string());
    put(
        "server_signs",
        hex(&server_proof_message(&nonce, &server_key)),
    );
    put(
        "server_answers",
        ServerLine::Notice(Notice::ServerProof {
            key: server_key,
            signature: prove_server(&server_id, &nonce),
        })
        .to_string(),
    );

    // The chat.
    let (ka, kb) = (alice_id.public(), bob_id.public());
    put("alice_identity_key", ka.to_base64());
    put("alice_fingerprint", ka.fingerprint().to_string());
    put("bob_identity_key", kb.to_base64());
    put("bob_fingerprint", kb.fingerprint().to_string());
    put(
        "server_sends_both",
        ServerLine::GenKeys {
            group: group.to_string(),
            chat: Some(chat),
            identity: true,
        }
        .to_string(),
    );
    put("alice_public", alice.public().to_string());
    put("bob_public", bob.public().to_string());
    let ca = Commitment::with_identity(group, chat, alice.public(), &ka);
    let cb = Commitment::with_identity(group, chat, bob.public(), &kb);
    put("alice_commitment", ca.to_string());
    put("bob_commitment", cb.to_string());
    let secret = alice.agree(bob.public());
    put("shared_secret_bytes", hex(secret.as_be_bytes()));
    let a = Party {
        name: &alice_name,
        commitment: &ca,
        value: alice.public(),
    };
    let b = Party {
        name: &bob_name,
        commitment: &cb,
        value: bob.public(),
    };
    let alice_signs = transcript(group, chat, &a, &ka, &b);
    let bob_signs = transcript(group, chat, &b, &kb, &a);
    put("alice_transcript", hex(&alice_signs));
    put("bob_transcript", hex(&bob_signs));
    put(
        "alice_signature",
        common::identity::Signature(alice_id.sign(&alice_signs)).to_base64(),
    );
    let to_bob = ProofKeys::derive(group, &secret, alice.public(), bob.public());
    let to_alice = ProofKeys::derive(group, &secret, bob.public(), alice.public());
    put("alice_to_bob_proof_enc_key", hex(to_bob.enc_key()));
    put("alice_to_bob_proof_mac_key", hex(to_bob.mac_key()));
    let alice_proof = to_bob.seal(&alice_id, &alice_signs);
    let bob_proof = to_alice.seal(&bob_id, &bob_signs);
    put(
        "alice_sends_proof",
        KeyLine::Proof.command(chat, &alice_proof).to_string(),
    );
    put(
        "bob_receives_proof",
        KeyLine::Proof.forwarded(&alice_proof).to_string(),
    );
    put(
        "bob_sends_proof",
        KeyLine::Proof.command(chat, &bob_proof).to_string(),
    );
    // Both sides open the other's proof and agree on the code.
    let (key, _) = ProofKeys::derive(group, &secret, alice.public(), bob.public())
        .open(&alice_proof)
        .expect("bob opens alice's proof");
    assert_eq!(key, ka);
    let alice_session = Session::after_identities(
        group,
        chat,
        (&ca, &cb),
        (alice.public(), bob.public()),
        &secret,
        (&ka, &kb),
    );
    let bob_session = Session::after_identities(
        group,
        chat,
        (&cb, &ca),
        (bob.public(), alice.public()),
        &secret,
        (&kb, &ka),
    );
    assert_eq!(alice_session.safety_code(), bob_session.safety_code());
    put("safety_code", alice_session.safety_code());
    out
}

/// PROTOCOL.md's worked example with identities matches the code, value for value.
#[test]
fn protocol_md_identity_example_is_right() {
    let doc = documented_vector();
    support::assert_example_is(&doc, &computed(&doc), "worked example with identities");
}
