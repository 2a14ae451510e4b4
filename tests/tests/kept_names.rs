//! A name kept after a lost connection cannot be evicted by other addresses, however many
//! connections they lose.

use std::net::{Ipv4Addr, TcpStream};
use tests::{serial, Serial, Server, WAIT};

/// Connects from `from`, sends `name` and returns the server's answer to it.
fn propose_from(from: Ipv4Addr, port: u16, name: &str) -> (TcpStream, String) {
    tests::propose_name_from(from, port, None, name)
}

/// The victim on 127.0.0.1 loses its connection; then 4,000 other 127.x addresses each
/// register a name and lose their connection, so that names stop being kept (`why`, logged).
/// The victim's name is still refused to a thief on yet another address, and goes back to
/// the victim.
fn victim_survives_4000_lost_connections(args: &[&str], why: &str) {
    let _serial = serial(Serial::Load);
    let server = Server::builder().args(args).start();
    let port = server.port();
    let (victim, hello) = propose_from(Ipv4Addr::LOCALHOST, port, "victim");
    assert!(hello.contains("Hello victim!"), "{hello}");
    drop(victim);
    server
        .log
        .wait_for(WAIT, |l| l.ends_with("victim left"))
        .expect("the victim's leaving is logged");

    for i in 0..4000u32 {
        let from = Ipv4Addr::from(0x7f01_0001 + (i / 250) * 256 + i % 250);
        let (stream, hello) = propose_from(from, port, &format!("t{i}"));
        assert!(hello.contains("Hello"), "t{i} from {from}: {hello}");
        drop(stream);
    }
    for i in 0..4000 {
        assert!(
            server
                .log
                .wait_for(WAIT, |l| l.contains(" left") && l.contains(" t"))
                .is_some(),
            "only {i} of the 4,000 left"
        );
    }
    let (_thief, refusal) = propose_from(Ipv4Addr::new(127, 2, 0, 1), port, "victim");
    assert!(
        refusal
            .contains("'victim' lost the connection a moment ago, and the name is kept for them"),
        "the thief got: {refusal}"
    );
    let (_back, hello) = propose_from(Ipv4Addr::LOCALHOST, port, "victim");
    assert!(hello.contains("Hello victim!"), "the victim got: {hello}");
    assert!(
        server
            .log
            .lines()
            .iter()
            .any(|l| l.contains("is not kept for") && l.contains(why)),
        "a name not kept ({why}) is logged: {:?}",
        server.log.lines().iter().rev().take(3).collect::<Vec<_>>()
    );
}

/// With the defaults, all of loopback is one network: after 512 kept names from it, the next
/// lost name from it is not kept, and the victim's stays.
#[test]
fn a_kept_name_survives_4000_lost_connections_from_one_network() {
    victim_survives_4000_lost_connections(
        &[],
        "its network has as many names kept as it may (--max-per-network)",
    );
}

/// With the network's quota lifted and `--max-clients 1000`, the room for kept names (1,024)
/// fills: the next lost name is not kept, and the victim's stays.
#[test]
fn a_kept_name_survives_4000_lost_connections_from_4000_addresses() {
    victim_survives_4000_lost_connections(
        &["--max-clients", "1000", "--max-per-network", "100000"],
        "the room for kept names is full",
    );
}
