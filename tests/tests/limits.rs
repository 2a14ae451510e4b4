//! The configured connection limit: the next connection is told the server is full.

use std::time::Duration;
use tests::{RawClient, Server};

/// With `--max-clients 3`, a fourth connection is told `Server full` and closed, while the
/// three admitted keep working; when one leaves, a newcomer gets in.
#[test]
fn server_full_is_refused_clearly() {
    let server = Server::start_with(&["--max-clients", "3"]);
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
