//! Watching, which eve does in every mode: what each line shows, and in a toy-group chat the
//! key, recovered from the public values, and every secure message opened with it.

use crate::eve::intercept::Interceptor;
use common::dh::{Group, KeyPair, PublicValue, SharedSecret};
use common::protocol::Command;
use common::secure::Session;
use std::time::Instant;

impl Interceptor {
    pub(super) fn client_said(&mut self, conn: usize, line: &str, out: &mut Vec<String>) {
        match Command::parse(line) {
            Ok(Command::KeyParam(rest)) => {
                let value = rest.rsplit(' ').next().unwrap_or_default();
                self.revealed(conn, value, out);
            }
            Ok(Command::KeyCommit(_)) => {
                out.push("  eve: a commitment (a hash of the value to come)".into());
            }
            Ok(Command::Secure(payload)) => self.sealed(conn, &payload, out),
            // Before registering, a line is a proposed name, not a message.
            Ok(Command::Message(text))
                if !text.is_empty() && self.conns.get(&conn).is_some_and(|c| c.name.is_some()) =>
            {
                let who = self.label(conn);
                out.push(format!("  eve: {who} wrote, in plain text: {text:?}"));
            }
            _ => {}
        }
    }

    /// A public value went by: with both of a toy chat's, recover the key.
    fn revealed(&mut self, conn: usize, value: &str, out: &mut Vec<String>) {
        let Some(chat_no) = self.conns.get(&conn).and_then(|c| c.chat) else {
            return;
        };
        let Some(chat) = self.chats.get_mut(&chat_no) else {
            return;
        };
        let group = chat.group.unwrap_or(Group::Toy);
        let Ok(value) = PublicValue::parse(group, value) else {
            return;
        };
        chat.values.retain(|(c, _)| *c != conn);
        chat.values.push((conn, value));
        if group != Group::Toy || chat.values.len() != 2 {
            return;
        }
        let (a_conn, a) = chat.values[0].clone();
        let (b_conn, b) = chat.values[1].clone();
        let started = Instant::now();
        let Some((x, pair)) = find_exponent(group, &a) else {
            out.push("  eve: no exponent gives that value (not the toy group?)".into());
            return;
        };
        let secret: SharedSecret = pair.agree(&b);
        let took = started.elapsed();
        out.push(format!(
            "  eve: tried exponents until g^x mod p = {a}: x = {x} ({took:?}); shared secret = {b}^{x} mod p"
        ));
        // To open what a_conn sends, take b_conn's place, and the other way round.
        chat.openers
            .insert(a_conn, Session::new(group, &b, &a, &secret));
        chat.openers
            .insert(b_conn, Session::new(group, &a, &b, &secret));
        out.push("  eve: every secure message of this chat is now readable".into());
    }

    /// A sealed message went by: open it if the key is known.
    fn sealed(&mut self, conn: usize, payload: &str, out: &mut Vec<String>) {
        let who = self.label(conn);
        let opener = self
            .conns
            .get(&conn)
            .and_then(|c| c.chat)
            .and_then(|chat| self.chats.get_mut(&chat))
            .and_then(|chat| chat.openers.get_mut(&conn));
        match opener {
            Some(session) => match session.open(payload) {
                Ok(text) => out.push(format!("  eve: {who} wrote, decrypted: {text:?}")),
                Err(err) => out.push(format!("  eve: could not open it: {err}")),
            },
            None => out.push(format!(
                "  eve: a sealed message from {who}, {} bytes of ciphertext: unreadable without the key",
                payload.split('.').nth(1).map_or(0, |b| b.len() * 3 / 4)
            )),
        }
    }
}

/// The exponent `x` with `g^x mod p = value`, found by trying every one (the toy group has
/// fewer than 2,000).
fn find_exponent(group: Group, value: &PublicValue) -> Option<(u64, KeyPair)> {
    let p = group
        .modulus_be_bytes()
        .iter()
        .try_fold(0u64, |n, &b| n.checked_mul(256).map(|n| n | u64::from(b)))?;
    (2..p.saturating_sub(1)).find_map(|x| {
        let pair = KeyPair::from_private_be(group, &x.to_be_bytes()).ok()?;
        (pair.public() == value).then_some((x, pair))
    })
}

/// What eve can do against a group, in plain words.
pub(super) fn explain_group(group: Group) -> String {
    match group {
        Group::Toy => "  eve: the toy group (p = 1999, g = 1777): fewer than 2,000 possible keys; \
                       eve will try them all as soon as it sees a public value"
            .into(),
        other => {
            format!(
            "  eve: {other}: a {}-bit prime; finding a private exponent is a discrete logarithm \
             in that group, whose best known attack (the number field sieve) costs roughly 2^{} \
             operations, far beyond any computer: eve sees the public values and the sealed \
             tokens, but cannot read them",
            other.modulus_bits(),
            if other.modulus_bits() >= 3072 { 128 } else { 103 }
        )
        }
    }
}
