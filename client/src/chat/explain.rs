//! `client --explain`: each step of the key agreement and of every secure message, with its
//! numbers, as the original course notes walk through them. Long numbers are shortened
//! (first and last digits, and how many there are). Pure: lines in, lines out.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use common::commitment::Commitment;
use common::dh::{decimal, Group, KeyPair, PublicValue};
use common::identity::PublicKey;
use common::secure::{MessageKeys, RC4_DROP};

/// A decimal number as a person can read it: whole if short, else its first and last digits.
pub fn short(decimal: &str) -> String {
    if decimal.len() <= 24 {
        return decimal.to_string();
    }
    format!(
        "{}...{} ({} digits)",
        &decimal[..12],
        &decimal[decimal.len() - 6..],
        decimal.len()
    )
}

/// Hex of the first `n` bytes, with `...` if there are more.
fn hex_prefix(bytes: &[u8], n: usize) -> String {
    let hex: String = bytes.iter().take(n).map(|b| format!("{b:02x}")).collect();
    if bytes.len() > n {
        format!("{hex}...")
    } else {
        hex
    }
}

fn group_line(group: Group) -> String {
    match group {
        Group::Toy => "group toy: p = 1999, g = 1777 (the original's)".into(),
        other => format!(
            "group {other}: p = the {}-bit prime of RFC 7919 ({}), g = 2",
            other.modulus_bits(),
            short(&decimal(&other.modulus_be_bytes()))
        ),
    }
}

/// The server asked for keys: our secret exponent, our public value and our commitment.
/// Each screen calls its own value "your value" and the other one by the partner's name, so
/// two students reading their lines aloud never both say "A" for different numbers.
/// `identity`: this chat proves identities, so the commitment binds our identity key too.
pub fn started(
    pair: &KeyPair,
    commitment: Option<(u64, Commitment)>,
    partner: &str,
    identity: bool,
) -> Vec<String> {
    let bound = if identity {
        "your value, your identity key"
    } else {
        "your value"
    };
    let mut lines = vec![
        group_line(pair.group()),
        format!(
            "your secret x (random, never sent) = {}",
            short(&decimal(pair.private_be_bytes()))
        ),
        format!(
            "your public value = g^x mod p = {}",
            short(&pair.public().to_string())
        ),
    ];
    match commitment {
        Some((chat, c)) => lines.push(format!(
            "sent first: key_commit {chat} {}... = SHA-256(label, group, chat {chat}, \
             {bound}); your value follows only after {partner}'s commitment",
            &c.to_string()[..16]
        )),
        None => {
            lines.push("sent at once: your value (the original's exchange, no commitment)".into())
        }
    }
    lines
}

/// The server asked for identities in this chat (`GEN_KEYS <group> <chat> identity`): what
/// that adds to the exchange, with our key's fingerprint (`me`).
pub fn identity_asked(me: &PublicKey, partner: &str) -> String {
    format!(
        "GEN_KEYS says identity: you and {partner} each prove a long-term identity key (yours: \
         {}); once the key is agreed, each side sends a sealed key_proof",
        me.fingerprint()
    )
}

/// The server sent a `GEN_KEYS` without `identity` to a client that has an identity key: what
/// that can mean.
pub fn identity_not_asked(partner: &str) -> String {
    format!(
        "GEN_KEYS without the word identity: no identity is proved in this chat. Either \
         {partner}'s client has no identity key, or someone in the middle removed the word \
         (eve --mitm does: she cannot sign as anyone); a pin from trust, or the safety code \
         read aloud, tells which"
    )
}

/// The key is agreed in a chat with identities: our proof went out, the code waits for the
/// partner's.
pub fn proof_sent(partner: &str) -> String {
    format!(
        "sent key_proof: your identity key and your Ed25519 signature of both names, both \
         commitments and both values, sealed with keys from the shared secret, so that only \
         {partner} can open it (someone in the middle holds another secret with each side, \
         and can neither read nor pass it on); the code waits for {partner}'s proof"
    )
}

/// The partner's proof opened and checked: the identity it proved.
pub fn proof_checked(partner: &str, key: &PublicKey) -> String {
    format!(
        "{partner}'s key_proof opened with the shared secret: identity {}; its signature \
         checks, and {partner}'s commitment opens to that key and value",
        key.fingerprint()
    )
}

/// The partner's commitment arrived; our value goes out now.
pub fn partner_committed(theirs: &str, partner: &str) -> Vec<String> {
    vec![format!(
        "{partner}'s commitment {}...; now sending your value",
        theirs.get(..16).unwrap_or(theirs)
    )]
}

/// The partner's value arrived: the shared secret (computed again here, for the reader).
pub fn agreed(pair: &KeyPair, peer: &PublicValue, partner: &str) -> Vec<String> {
    let secret = pair.agree(peer);
    vec![
        format!("{partner}'s public value = {}", short(&peer.to_string())),
        format!(
            "shared secret = ({partner}'s value)^x mod p = {} ({partner} computes (your \
             value)^y mod p: the same number)",
            short(&decimal(secret.as_be_bytes()))
        ),
        "keys: HKDF-SHA256 of the secret gives an RC4 master key and a MAC key per direction"
            .into(),
    ]
}

/// The safety code, and where it comes from; `identities`: it covers both identity keys too.
pub fn code(code: &str, identities: bool) -> String {
    let identities = if identities { ", both identities" } else { "" };
    format!(
        "safety code = first 8 bytes of SHA-256(commitments, both values, secret{identities}) \
         mod 10^12 = {code}"
    )
}

/// One sealed message, sent (`sent`) or received, from its payload and the direction's keys.
pub fn message(keys: &MessageKeys, payload: &str, sent: bool) -> Vec<String> {
    let mut parts = payload.split('.');
    let (Some(n), Some(ct), Some(tag)) = (parts.next(), parts.next(), parts.next()) else {
        return Vec::new();
    };
    let Ok(n) = n.parse::<u64>() else {
        return Vec::new();
    };
    let ct = BASE64.decode(ct).unwrap_or_default();
    let tag = BASE64.decode(tag).unwrap_or_default();
    let verb = if sent { "sent" } else { "received" };
    vec![
        format!(
            "message #{n} {verb}: RC4 key = HMAC(enc key, \"rc4\" || {n}) = {}",
            hex_prefix(&keys.rc4_key(n), 8)
        ),
        format!(
            "  first {RC4_DROP} keystream bytes dropped; ciphertext ({} bytes) = {}",
            ct.len(),
            hex_prefix(&ct, 12)
        ),
        format!(
            "  tag = HMAC-SHA256(mac key, {n} || ciphertext) = {}",
            hex_prefix(&tag, 8)
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::secure::Session;

    #[test]
    fn numbers_are_shortened_and_converted() {
        assert_eq!(decimal(&[0x07, 0xcf]), "1999");
        assert_eq!(decimal(&[0, 0]), "0");
        assert_eq!(short("1234"), "1234");
        let long = "1".repeat(600);
        assert_eq!(
            short(&long),
            format!("{}...{} (600 digits)", "1".repeat(12), "111111")
        );
    }

    /// The explanation of an agreement and a message uses the real numbers: the toy group's
    /// secret is the one both sides compute.
    #[test]
    fn an_exchange_explained() {
        let group = Group::Toy;
        let a = KeyPair::from_private_be(group, &[4, 210]).unwrap();
        let b = KeyPair::from_private_be(group, &[0, 19]).unwrap();
        let started = started(
            &a,
            Some((7, Commitment::to(group, 7, a.public()))),
            "bob",
            false,
        );
        assert!(started[1].ends_with("= 1234"), "{started:?}");
        assert!(
            started[2].starts_with("your public value = "),
            "{started:?}"
        );
        assert!(started[2].ends_with(&a.public().to_string()));
        assert!(started[3].contains("after bob's commitment"), "{started:?}");
        let secret = decimal(a.agree(b.public()).as_be_bytes());
        let agreed = agreed(&a, b.public(), "bob");
        assert!(agreed[0].starts_with("bob's public value = "), "{agreed:?}");
        assert!(agreed[1].contains(&format!("= {secret} ")), "{agreed:?}");
        // Neither screen calls a value "A" or "B": each student's "your value" is their own.
        for line in started.iter().chain(&agreed) {
            assert!(!line.contains(" A ") && !line.contains(" B "), "{line}");
        }

        let mut alice = Session::new(group, a.public(), b.public(), &a.agree(b.public()));
        let payload = alice.seal("hi").unwrap();
        let lines = message(alice.send_keys(), &payload, true);
        assert!(
            lines[0].starts_with("message #0 sent: RC4 key = "),
            "{lines:?}"
        );
        assert!(lines[1].contains("ciphertext (2 bytes)"), "{lines:?}");
    }
}
