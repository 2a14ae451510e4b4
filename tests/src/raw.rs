//! A client that is only a socket: what a person with `nc HOST PORT` has.

use crate::{Transcript, WAIT};
use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

/// A raw TCP connection to the server, reading every line it sends.
#[derive(Debug)]
pub struct RawClient {
    socket: TcpStream,
    /// Every line the server sent.
    pub received: Transcript,
}

impl RawClient {
    /// Connects to the server on `127.0.0.1:port`.
    pub fn connect(port: u16) -> RawClient {
        let socket = TcpStream::connect(("127.0.0.1", port)).expect("the server accepts");
        let received = Transcript::capture(socket.try_clone().expect("socket clones"));
        RawClient { socket, received }
    }

    /// Connects to the server on `127.0.0.1:port` from the loopback address `from` (see
    /// [`connect_from`]).
    pub fn connect_from(from: std::net::Ipv4Addr, port: u16) -> RawClient {
        let socket = connect_from(from, port, None);
        socket.set_read_timeout(None).expect("no timeout");
        let received = Transcript::capture(socket.try_clone().expect("socket clones"));
        RawClient { socket, received }
    }

    /// Connects from the loopback address `from` and registers `name`.
    pub fn register_from(from: std::net::Ipv4Addr, port: u16, name: &str) -> RawClient {
        let mut raw = RawClient::connect_from(from, port);
        raw.expect("(server): Welcome to labchat! Please enter your user name:");
        raw.send(name);
        raw.expect(&format!("(server): Hello {name}!"));
        raw
    }

    /// Connects and registers `name`.
    pub fn register(port: u16, name: &str) -> RawClient {
        let mut raw = RawClient::connect(port);
        raw.expect("(server): Welcome to labchat! Please enter your user name:");
        raw.send(name);
        raw.expect(&format!("(server): Hello {name}!"));
        raw
    }

    /// Sends `line` and a `\n`.
    pub fn send(&mut self, line: &str) {
        self.send_bytes(format!("{line}\n").as_bytes());
    }

    /// Sends raw bytes.
    pub fn send_bytes(&mut self, bytes: &[u8]) {
        self.socket
            .write_all(bytes)
            .expect("the server is still reading");
    }

    /// Sends `status` and returns the user rows of the answer (`(server): - bob: FREE`).
    ///
    /// # Panics
    /// If the whole answer does not come within [`WAIT`].
    pub fn status(&mut self) -> Vec<String> {
        self.send("status");
        crate::status_rows(&self.received, || {
            format!("got {:#?}", self.received.lines())
        })
    }

    /// Waits for a new line containing `text` and returns it.
    ///
    /// # Panics
    /// If none arrives within [`WAIT`].
    pub fn expect(&self, text: &str) -> String {
        self.received
            .wait_for(WAIT, |l| l.contains(text))
            .unwrap_or_else(|| {
                panic!(
                    "raw client never got {text:?}; got {:#?}",
                    self.received.lines()
                )
            })
    }

    /// Waits up to `timeout` for a line containing `text`.
    pub fn maybe(&self, text: &str, timeout: Duration) -> Option<String> {
        self.received.wait_for(timeout, |l| l.contains(text))
    }

    /// Waits for the server to close the connection; true if it did within `timeout`.
    pub fn expect_closed(&self, timeout: Duration) -> bool {
        self.received.wait_end(timeout)
    }

    /// Closes our sending side (the server sees end of stream).
    pub fn finish(&self) {
        let _ = self.socket.shutdown(Shutdown::Write);
    }
}

/// Connects from `from` (see [`connect_from`], `buffers` as there), proposes `name` and returns
/// the socket with the server's answer to it: the first line after the welcome (`(server):
/// Hello <name>! ...` or a refusal). Reads nothing after that line but what arrived with it.
///
/// # Panics
/// If the server closes the connection before it answers.
pub fn propose_name_from(
    from: std::net::Ipv4Addr,
    port: u16,
    buffers: Option<usize>,
    name: &str,
) -> (TcpStream, String) {
    use std::io::{BufRead, BufReader, Write};
    let mut stream = connect_from(from, port, buffers);
    stream
        .write_all(format!("{name}\n").as_bytes())
        .expect("the name goes out");
    let mut reader = BufReader::new(stream.try_clone().expect("socket clones"));
    let mut line = String::new();
    loop {
        line.clear();
        let n = reader.read_line(&mut line).expect("the server answers");
        assert!(n > 0, "{name} from {from} was closed before an answer");
        if !line.contains("Welcome") && !line.contains("seconds to send a name") {
            return (stream, line.trim_end().to_string());
        }
    }
}

/// A TCP connection to the server on `127.0.0.1:port` from the loopback address `from`
/// (127.0.0.2 is "another machine" to the server), with send and receive buffers of `buffers`
/// bytes if given (a client whose own memory must stay small), and reads that give up after
/// [`WAIT`].
///
/// # Panics
/// If `from` cannot be bound or the server does not accept.
pub fn connect_from(from: std::net::Ipv4Addr, port: u16, buffers: Option<usize>) -> TcpStream {
    use socket2::{Domain, Socket, Type};
    use std::net::{Ipv4Addr, SocketAddr};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("a socket");
    if let Some(bytes) = buffers {
        socket.set_recv_buffer_size(bytes).expect("SO_RCVBUF");
        socket.set_send_buffer_size(bytes).expect("SO_SNDBUF");
    }
    socket
        .bind(&SocketAddr::from((from, 0)).into())
        .unwrap_or_else(|e| panic!("cannot bind {from}: {e}"));
    socket
        .connect(&SocketAddr::from((Ipv4Addr::LOCALHOST, port)).into())
        .expect("the server accepts");
    let stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(WAIT)).expect("a timeout");
    stream
}
