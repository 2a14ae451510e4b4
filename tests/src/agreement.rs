//! Waiting for a chat's key agreement as a person sees it: the "secure messages to ... are
//! ready; safety code ..." line, or a "key agreement failed" line.

use crate::{Client, WAIT};
use std::time::Duration;

/// Waits until `client` says how its key agreement ended: `Ok(safety code)` or `Err(the
/// failure line)`.
///
/// # Panics
/// If neither comes within [`WAIT`].
pub fn agreement(client: &Client) -> Result<String, String> {
    agreement_within(client, WAIT)
}

/// [`agreement`], waiting up to `timeout` (for a relay that takes its time).
///
/// # Panics
/// If neither comes within `timeout`.
pub fn agreement_within(client: &Client, timeout: Duration) -> Result<String, String> {
    let line = client
        .stdout
        .wait_for(timeout, |l| {
            l.contains("secure messages to") || l.contains("key agreement failed")
        })
        .unwrap_or_else(|| panic!("no key agreement outcome\n{}", client.dump()));
    if line.contains("key agreement failed") {
        return Err(line);
    }
    let code = line
        .split("safety code ")
        .nth(1)
        .and_then(|rest| rest.split(" (").next())
        .expect("a code in the line");
    Ok(code.to_string())
}

/// `alice` connects to `bob` until their key is agreed, and returns both safety codes.
///
/// In the toy group both sides draw the same public value by chance once in about 998 chats,
/// and both clients then refuse the key; this ends such a chat and connects again.
///
/// # Panics
/// If an agreement fails for another reason, or ten attempts in a row collide.
pub fn connect_until_keyed(alice: &mut Client, bob: &Client) -> (String, String) {
    for _ in 0..10 {
        alice.send(&format!("connect {}", bob.name));
        match (agreement(alice), agreement(bob)) {
            (Ok(a), Ok(b)) => return (a, b),
            (Err(a), Err(b))
                if a.contains("the same public value") && b.contains("the same public value") =>
            {
                alice.send("goodbye");
                alice.expect("You ended the chat");
            }
            (a, b) => panic!(
                "key agreement failed: {a:?} {b:?}\n{}\n{}",
                alice.dump(),
                bob.dump()
            ),
        }
    }
    panic!("ten toy-group chats in a row drew equal values")
}
