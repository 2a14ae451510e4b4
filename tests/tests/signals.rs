//! Ctrl+C, SIGTERM and kill -9, on the client and on the server, in the middle of chats.

use std::time::{Duration, Instant};
use tests::{Client, RawClient, Server, WAIT};

/// Client `a` gets Ctrl+C in a chat: b is told a disconnected, a exits 0, and its name is
/// free again.
#[test]
fn client_ctrl_c_in_a_chat_ends_it_and_frees_the_name() {
    let server = Server::start();
    let mut a = server.client("a");
    let mut b = server.client("b");
    a.send("connect b");
    b.expect_line("(server): You are now connected to a");
    a.expect_line("(server): You are now connected to b");

    a.signal("INT");
    b.expect_line("(server): a disconnected; the chat is over");
    assert_eq!(a.expect_exit(Duration::from_secs(3)), 0);
    a.expect_line("(server): Goodbye!");

    server
        .log
        .wait_for(WAIT, |l| l.ends_with(" a left"))
        .expect("the server logs a leaving");
    b.send("status");
    b.expect_line("(server): 1 user online:");
    b.expect_line("(server): - b: FREE (you)");
    let mut again = server.client("a");
    again.send("connect b");
    b.expect_line("(server): You are now connected to a");
}

/// Client `a` is killed (-9) in a chat: b is told a disconnected, is FREE, and a's name is free.
#[test]
fn client_kill_9_in_a_chat_frees_the_partner_and_the_name() {
    let server = Server::start();
    let mut a = server.client("a");
    let mut b = server.client("b");
    a.send("connect b");
    b.expect_line("(server): You are now connected to a");

    a.signal("KILL");
    b.expect_line("(server): a disconnected; the chat is over");
    assert!(
        a.wait_exit(Duration::from_secs(3)).is_some(),
        "a outlived kill -9"
    );

    b.send("status");
    b.expect_line("(server): 1 user online:");
    b.expect_line("(server): - b: FREE (you)");

    let c = server.client("a");
    b.send("connect a");
    b.expect_line("(server): You are now connected to a");
    c.expect_line("(server): You are now connected to b");
}

/// Server gets `signal` with two chats open (one with a raw socket), a FREE client and a
/// connection that has not sent its name: everyone is told, every client exits 0 by itself
/// (waited for with a generous deadline), the sockets see the notice then end of stream, and
/// the server exits 0.
fn server_signal_ends_every_chat_cleanly(signal: &str) {
    const NOTICE: &str = "(server): Server is shutting down; every chat has ended. Goodbye!";
    let mut server = Server::start();
    let mut a = server.client("a");
    let b = server.client("b");
    let mut c = server.client("c");
    let raw = RawClient::register(server.port(), "r");
    let free = server.client("free");
    let unnamed = server.raw();
    unnamed.expect("Please enter your user name:");

    a.send("connect b");
    b.expect_line("(server): You are now connected to a");
    c.send("connect r");
    raw.expect("(server): You are now connected to c");

    let start = Instant::now();
    server.signal(signal);

    let mut clients: Vec<Client> = vec![a, b, c, free];
    for client in &clients {
        client.expect_line(NOTICE);
    }
    for sock in [&raw, &unnamed] {
        sock.expect(NOTICE);
        assert!(
            sock.expect_closed(WAIT),
            "the server kept a socket open: {:#?}",
            sock.received.lines()
        );
    }
    for client in &mut clients {
        let left = WAIT.saturating_sub(start.elapsed());
        assert_eq!(client.expect_exit(left), 0, "{}", client.dump());
    }
    let status = server.wait_exit(Duration::from_secs(5));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "server exit: {status:?}\nlog: {:#?}",
        server.log.lines()
    );
}

/// Server Ctrl+C (SIGINT) with chats open.
#[test]
fn server_ctrl_c_ends_every_chat_cleanly() {
    server_signal_ends_every_chat_cleanly("INT");
}

/// Server SIGTERM with chats open.
#[test]
fn server_sigterm_ends_every_chat_cleanly() {
    server_signal_ends_every_chat_cleanly("TERM");
}

/// A piped client sends to a server that stopped reading, so its write blocks with the
/// sending lock held: Ctrl+C still ends it at once (it does not wait for that lock to send
/// `close`; shutting the socket down also ends the blocked write). It used to hang for good.
#[test]
fn ctrl_c_ends_a_client_whose_send_is_blocked() {
    use socket2::{Domain, Socket, Type};
    use std::io::{BufReader, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    // A server that reads the name, puts the client in a chat, then never reads again.
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None).expect("a socket");
    listener.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let address: std::net::SocketAddr = "127.0.0.1:0".parse().expect("an address");
    listener.bind(&address.into()).expect("bind");
    listener.listen(1).expect("listen");
    let listener: std::net::TcpListener = listener.into();
    let port = listener.local_addr().expect("bound").port();
    let server = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().expect("the client connects");
        socket
            .write_all(b"(server): Welcome to labchat! Please enter your user name:\n")
            .expect("greet");
        let mut lines = BufReader::new(socket.try_clone().expect("clone"));
        let name = tests::fake_server::read_name(&mut lines, &mut socket);
        writeln!(
            socket,
            "(server): Hello {name}! Type status to see who is here, connect <user> to chat, help for more.\n(server): You are now connected to bob"
        )
        .expect("welcome");
        socket
    });
    let mut alice = Client::registered_at(port, "alice", &[]);
    alice.expect("You are now connected to bob");
    let _socket = server.join().expect("the fake server ran");

    // Lines until the two sockets' buffers are full (a few MB) and the client's write blocks.
    let typed = Arc::new(AtomicUsize::new(0));
    let mut stdin = alice.take_stdin();
    let counter = Arc::clone(&typed);
    std::thread::spawn(move || {
        let line = format!("{}\n", "x".repeat(999));
        while stdin.write_all(line.as_bytes()).is_ok() {
            counter.fetch_add(line.len(), Ordering::Relaxed);
        }
    });
    let deadline = Instant::now() + WAIT;
    while typed.load(Ordering::Relaxed) < 1 << 20 {
        assert!(
            Instant::now() < deadline,
            "the client stopped reading its input early: {} bytes\n{}",
            typed.load(Ordering::Relaxed),
            alice.dump()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Its input keeps flowing only while its sends do: once they block, so does the typing.
    let blocked = Instant::now() + WAIT;
    let mut last = typed.load(Ordering::Relaxed);
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let now = typed.load(Ordering::Relaxed);
        if now == last {
            break;
        }
        assert!(Instant::now() < blocked, "the client's sends never blocked");
        last = now;
    }

    alice.signal("INT");
    assert!(
        alice.wait_exit(Duration::from_secs(5)).is_some(),
        "Ctrl+C did not end a client whose send was blocked\n{}",
        alice.dump()
    );
}
