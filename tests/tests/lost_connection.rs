//! How the client ends when the connection ends: a clean close by the server and a broken
//! connection (a reset) are told apart, and the person is told which.

use std::io::Write;
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;
use tests::Client;

/// A fake server that greets, then resets the connection (SO_LINGER 0): the client exits 1
/// and says the connection was reset, not just that it ended.
#[test]
fn a_reset_connection_is_named_as_such() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("bound").port();
    let (greeted, reset_now) = mpsc::channel::<()>();
    let server = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().expect("the client connects");
        socket
            .write_all(b"(server): Welcome to labchat! Please enter your user name:\n")
            .expect("greet");
        // A reset throws away what the client has not read yet: reset only once it has shown
        // the greeting.
        reset_now.recv().expect("the test says when");
        socket2::SockRef::from(&socket)
            .set_linger(Some(Duration::ZERO))
            .expect("SO_LINGER 0");
        drop(socket);
    });
    let mut client = Client::spawn(&["127.0.0.1".into(), port.to_string()]);
    client.expect("Please enter your user name:");
    greeted.send(()).expect("the fake server waits");
    server.join().expect("the fake server ran");
    let last = client.expect("lost the connection to the server");
    assert!(last.contains("reset"), "{last}");
    assert_eq!(client.expect_exit(tests::WAIT), 1);
}
