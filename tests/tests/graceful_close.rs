//! Closing a connection that still has unread input: the last notice must arrive, followed by
//! a clean end of stream, not a reset.
//!
//! A socket closed with unread bytes in its receive queue makes the kernel send a RST and
//! throw away whatever it had not yet delivered, and data that arrives after a full
//! `shutdown` resets the connection too. On loopback the notice is usually delivered at once,
//! so these clients make it wait: a tiny receive buffer and a backlog of answers they read
//! only after the server has decided to close.

use socket2::{Domain, Socket, Type};
use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};
use tests::{Server, WAIT};

/// A connection whose receive buffer is as small as the kernel allows, so the server's
/// answers pile up on the server's side until this client reads them.
fn small_window_client(port: u16) -> TcpStream {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    socket.set_recv_buffer_size(1024).expect("SO_RCVBUF");
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    socket.connect(&addr.into()).expect("the server accepts");
    let stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(WAIT)).expect("read timeout");
    stream
}

/// Reads lines until end of stream; returns them and how the stream ended (`None`: a clean
/// end; `Some(kind)`: the error that ended it, e.g. `ConnectionReset`).
fn read_to_end(reader: &mut BufReader<TcpStream>) -> (Vec<String>, Option<ErrorKind>) {
    let mut lines = Vec::new();
    let deadline = Instant::now() + WAIT;
    let mut line = String::new();
    while Instant::now() < deadline {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => return (lines, None),
            Ok(_) => lines.push(line.trim_end().to_string()),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return (lines, Some(e.kind())),
        }
    }
    panic!("the server never closed; got {} lines", lines.len());
}

/// `kib` lines of 1 KiB each (1,023 copies of `byte` and a line break): input the server
/// will not read once it has decided to close.
fn unread_lines(kib: usize, byte: u8) -> Vec<u8> {
    let mut line = vec![byte; 1023];
    line.push(b'\n');
    line.repeat(kib)
}

/// Reads lines until one contains `text`.
fn read_until(reader: &mut BufReader<TcpStream>, text: &str) {
    let mut line = String::new();
    loop {
        line.clear();
        let n = reader.read_line(&mut line).expect("the server answers");
        assert!(n > 0, "the server closed before sending {text:?}");
        if line.contains(text) {
            return;
        }
    }
}

/// A client asks for `help` 300 times, then sends `close` and 32 KiB of chat the server will
/// never read, all in one write, and only then starts reading (through a tiny window): it
/// gets every answer, `(server): Goodbye!` last, then a clean end of stream.
#[test]
fn goodbye_arrives_after_close_with_unread_input() {
    // 300 `help`s in a row: lift the command budget, which would refuse most of them.
    let server = Server::builder()
        .args(&["--command-rate", "1000000"])
        .start();
    let stream = small_window_client(server.port());
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    read_until(&mut reader, "Please enter your user name:");
    (&stream).write_all(b"alice\n").expect("send name");
    read_until(&mut reader, "(server): Hello alice!");

    let mut burst = b"help\n".repeat(300);
    burst.extend_from_slice(b"close\n");
    burst.extend(unread_lines(32, b'x'));
    (&stream).write_all(&burst).expect("the burst is sent");
    server
        .log
        .wait_for(WAIT, |l| l.ends_with("alice left"))
        .expect("the server ends the session");
    // Give a server that closes at once the time to do it while the answers still wait.
    thread::sleep(Duration::from_millis(300));

    let (lines, ended_by) = read_to_end(&mut reader);
    let helps = lines.iter().filter(|l| *l == "(server): Commands:").count();
    assert_eq!(
        (helps, lines.last().map(String::as_str), ended_by),
        (300, Some("(server): Goodbye!"), None),
        "every answer, the goodbye last, then a clean end; got {} lines, the last: {:?}",
        lines.len(),
        lines.iter().rev().take(3).collect::<Vec<_>>()
    );
}

/// Unread input when the server refuses a connection as full: the refused client has sent a
/// name and a burst of chat before reading anything, and still reads `Server full` and a clean
/// end of stream. (On loopback this one also passed before the change: the single notice is
/// delivered before the reset. It guards the refusal path's drain.)
#[test]
fn server_full_notice_arrives_despite_unread_input() {
    let server = Server::builder().args(&["--max-clients", "1"]).start();
    let first = small_window_client(server.port());
    let mut first_reader = BufReader::new(first.try_clone().expect("clone"));
    read_until(&mut first_reader, "Please enter your user name:");

    let refused = small_window_client(server.port());
    let mut burst = b"bob\n".to_vec();
    burst.extend(unread_lines(16, b'y'));
    (&refused).write_all(&burst).expect("the burst is sent");
    server
        .log
        .wait_for(WAIT, |l| l.contains("refused"))
        .expect("the server refuses the second connection");
    // As above: time for a server that closes at once to do it while the notice still waits.
    thread::sleep(Duration::from_millis(300));
    let mut reader = BufReader::new(refused);
    let (lines, ended_by) = read_to_end(&mut reader);
    assert_eq!(
        (lines, ended_by),
        (
            vec!["(server): Server full (1 user); try again later".to_string()],
            None
        )
    );
    drop(first);
}

/// Shutdown while a client has answers waiting and keeps sending: the client sent 300 `help`s
/// without reading, the server is stopped, and the client sends 16 KiB more before it starts
/// reading. It still reads the shutdown notice last, then a clean end of stream.
#[test]
fn shutdown_notice_arrives_while_the_client_keeps_sending() {
    let mut server = Server::start();
    let stream = small_window_client(server.port());
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    read_until(&mut reader, "Please enter your user name:");
    (&stream).write_all(b"carol\n").expect("send name");
    read_until(&mut reader, "(server): Hello carol!");
    (&stream)
        .write_all(&b"help\n".repeat(300))
        .expect("the helps are sent");
    // Time for the server to read them and pile up the answers this client does not read, so
    // that a server that drops them at shutdown is caught (one that has not read them yet by
    // then is tested too, just less hard).
    thread::sleep(Duration::from_millis(300));

    server.signal("TERM");
    server
        .log
        .wait_for(WAIT, |l| l.contains("shutting down: telling"))
        .expect("the server starts shutting down");
    // Give a server that shuts the connection down both ways time to do it before what follows
    // arrives: data after such a shutdown resets the connection.
    thread::sleep(Duration::from_millis(100));
    // The server may be gone already if it failed; then the test fails below, not here.
    let _ = (&stream).write_all(&unread_lines(16, b'z'));

    let (lines, ended_by) = read_to_end(&mut reader);
    assert_eq!(
        (lines.last().map(String::as_str), ended_by),
        (
            Some("(server): Server is shutting down; every chat has ended. Goodbye!"),
            None
        ),
        "the notice last, then a clean end; got {} lines",
        lines.len()
    );
    drop((stream, reader));
    let status = server.wait_exit(WAIT).expect("the server exits");
    assert_eq!(status.code(), Some(0));
}
