//! The configured connection limit: the next connection is told the server is full.

use std::time::Duration;
use tests::{RawClient, Server};

/// With `--max-clients 3`, a fourth connection is told `Server full` and closed, while the
/// three admitted keep working; when one leaves, a newcomer gets in.
#[test]
fn server_full_is_refused_clearly() {
    let server = Server::builder().args(&["--max-clients", "3"]).start();
    let a = RawClient::register(server.port(), "a");
    let _b = RawClient::register(server.port(), "b");
    let unnamed = RawClient::connect(server.port());
    unnamed.expect("Please enter your user name:");

    let refused = RawClient::connect(server.port());
    refused.expect("(server): Server full (3 users); try again later");
    assert!(
        refused.expect_closed(Duration::from_secs(5)),
        "the refused connection stays open"
    );

    a.finish();
    assert!(a.expect_closed(Duration::from_secs(5)));
    server
        .log
        .wait_for(tests::WAIT, |l| l.ends_with("a left"))
        .expect("a leaves");
    let mut c = RawClient::register(server.port(), "c");
    c.send("status");
    c.expect("(server): 2 users online:");
}

/// With `--max-per-host 2`, a third connection from the same address is told the limit and
/// what to do, then closed cleanly; the two admitted keep working, and once one leaves the
/// address may connect again.
#[test]
fn too_many_connections_from_one_address_are_refused_clearly() {
    let server = Server::builder().args(&["--max-per-host", "2"]).start();
    let mut a = RawClient::register(server.port(), "a");
    let b = RawClient::connect(server.port());
    b.expect("Please enter your user name:");

    let refused = RawClient::connect(server.port());
    refused.expect(
        "(server): Too many connections from your address (at most 2 at once); \
         close one of them and try again",
    );
    assert!(
        refused.expect_closed(Duration::from_secs(5)),
        "the refused connection stays open"
    );
    assert!(
        refused.received.lines().len() == 1,
        "the refused connection was not asked for a name: {:?}",
        refused.received.lines()
    );
    server
        .log
        .wait_for(tests::WAIT, |l| {
            l.contains("refused") && l.contains("2 connection(s) open already (--max-per-host)")
        })
        .expect("the refusal is logged");

    a.send("status");
    a.expect("(server): 1 user online:");
    b.finish();
    assert!(b.expect_closed(Duration::from_secs(5)));
    // The place is given back once the server has closed b's socket.
    let deadline = std::time::Instant::now() + tests::WAIT;
    let c = loop {
        let c = RawClient::connect(server.port());
        if c.maybe("Please enter your user name:", Duration::from_secs(2))
            .is_some()
        {
            break c;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no place given back: {:?}",
            c.received.lines()
        );
    };
    drop(c);
}
