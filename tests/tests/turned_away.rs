//! A client the server turns away before it got in (server full, no name in time) exits 1: the
//! person never chatted, and a script must be able to tell.

use tests::{RawClient, Server, WAIT};

/// With `--max-clients 1` taken, a client is told `Server full` and exits 1.
#[test]
fn server_full_exits_1() {
    let server = Server::builder().args(&["--max-clients", "1"]).start();
    let _a = RawClient::register(server.port(), "a");
    let mut refused = server.spawn_client();
    refused.expect("(server): Server full");
    assert_eq!(refused.expect_exit(WAIT), 1, "{}", refused.dump());
}

/// A client that gives no name within `--name-timeout` is told so and exits 1.
#[test]
fn no_name_in_time_exits_1() {
    let server = Server::builder().args(&["--name-timeout", "1"]).start();
    let mut slow = server.spawn_client();
    slow.expect("(server): No user name received within");
    assert_eq!(slow.expect_exit(WAIT), 1, "{}", slow.dump());
}
