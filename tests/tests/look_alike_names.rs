//! Names that look alike are one name (issue 20): the look-alike check takes the name as
//! typed, so a capital `I` that reads as `l` is caught, and accents and case fold alike, so
//! the refusal of `jose` next to `José` and `connect jose` agree.

use tests::{RawClient, Server};

/// While `alice`, `will`, `lily`, `olga` and `José` are online, their look-alikes are refused,
/// and `connect jose` reaches `José`.
#[test]
fn capital_i_and_accents_are_one_name() {
    let server = Server::start();
    let _online: Vec<RawClient> = ["alice", "will", "lily", "olga", "José"]
        .into_iter()
        .map(|name| RawClient::register(server.port(), name))
        .collect();
    let mut raw = server.raw();
    raw.expect("Please enter your user name:");
    for (typed, online) in [
        ("aIice", "alice"),
        ("AIice", "alice"),
        ("ALICE", "alice"),
        ("wiII", "will"),
        ("WILL", "will"),
        ("IiIy", "lily"),
        ("oIga", "olga"),
        ("jose", "José"),
        ("JOSE", "José"),
        ("Jos\u{e8}", "José"),
    ] {
        raw.send(typed);
        raw.expect(&format!(
            "(server): That name is not valid: '{typed}' looks too much like '{online}', who is online; please choose another:"
        ));
    }
    raw.send("carol");
    raw.expect("(server): Hello carol!");
    raw.send("connect jose");
    raw.expect("(server): You are now connected to José");
}
