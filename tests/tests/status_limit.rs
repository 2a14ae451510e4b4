//! `status` asked in a loop: the asker is told to slow down, nothing else it sent is lost, and
//! everyone else's chat goes on as before.

use tests::{RawClient, Server, WAIT};

const REFUSAL: &str =
    "(server): Error: status asked too often (at most 10 in a row, then 2 a second); try again in a moment";

/// A client sends 60 `status` requests and then `help` in one burst, while alice and bob
/// chat. The looper gets the first 10 answers and the refusal for the rest that came before
/// a token was back (told once, then counted); its `help` is still answered, and later a `status` is answered again.
/// Alice's 50 messages all reach bob, in order.
#[test]
fn a_client_looping_on_status_is_refused_and_bystanders_are_unaffected() {
    let server = Server::start();
    let mut alice = RawClient::register(server.port(), "alice");
    let bob = RawClient::register(server.port(), "bob");
    alice.send("connect bob");
    bob.expect("(server): You are now connected to alice");
    let mut looper = RawClient::register(server.port(), "looper");

    let mut burst = "status\n".repeat(60);
    burst.push_str("help\n");
    looper.send_bytes(burst.as_bytes());
    for i in 0..50 {
        alice.send(&format!("message {i}"));
    }
    for i in 0..50 {
        bob.expect(&format!("alice: message {i}"));
    }

    looper.expect("(server): Commands:");
    looper.expect("(server):   close             disconnect");
    let lines = looper.received.lines();
    let answers = lines
        .iter()
        .filter(|l| *l == "(server): 3 users online:")
        .count();
    let refusals = lines.iter().filter(|l| *l == REFUSAL).count();
    // Repeats of a refusal are counted, not told again.
    let repeats = tests::coalesced_count(&lines);
    assert_eq!(
        answers + refusals + repeats,
        60,
        "every request answered, refused or counted: {lines:#?}"
    );
    assert!(answers >= 10, "the burst of 10 is answered: {lines:#?}");
    assert!(refusals >= 1, "a loop is refused: {lines:#?}");
    let rows = lines
        .iter()
        .filter(|l| l.starts_with("(server): - "))
        .count();
    assert_eq!(rows, 3 * answers, "each answer is whole");

    // A token comes back within a second: ask until answered.
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        looper.send("status");
        let got = looper.expect("(server): ");
        if got == "(server): 3 users online:" {
            break;
        }
        assert_eq!(got, REFUSAL);
        assert!(
            std::time::Instant::now() < deadline,
            "status never answered again"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    looper.expect("(server): - looper: FREE (you)");
}
