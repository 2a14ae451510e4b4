//! A relay between clients and the server that records every byte and may rewrite lines: an
//! eavesdropper's view of the wire, and a lying server (man in the middle) for security tests.

use parking_lot::Mutex;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

/// Which way a line is going through the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From a client to the server.
    ToServer,
    /// From the server to a client.
    ToClient,
}

/// Rewrites one line (without `\n`) going through connection number `conn` (0, 1, ... in
/// accept order).
pub type Rewrite = dyn Fn(usize, Direction, &str) -> String + Send + Sync;

/// A running relay on its own port.
pub struct Relay {
    port: u16,
    recorded: Arc<Mutex<Vec<u8>>>,
}

impl Relay {
    /// Relays to the server on `server_port`, passing every line unchanged.
    pub fn honest(server_port: u16) -> Relay {
        Relay::start(server_port, Arc::new(|_, _, line: &str| line.to_string()))
    }

    /// Relays to the server on `server_port`, passing every line through `rewrite`.
    pub fn start(server_port: u16, rewrite: Arc<Rewrite>) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("the relay can listen");
        let port = listener.local_addr().expect("bound").port();
        let recorded = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&recorded);
        thread::spawn(move || {
            let count = AtomicUsize::new(0);
            for client in listener.incoming().flatten() {
                let conn = count.fetch_add(1, Ordering::SeqCst);
                let server = TcpStream::connect(("127.0.0.1", server_port)).expect("server up");
                for (from, to, direction) in [
                    (
                        client.try_clone().expect("clone"),
                        server.try_clone().expect("clone"),
                        Direction::ToServer,
                    ),
                    (
                        server.try_clone().expect("clone"),
                        client.try_clone().expect("clone"),
                        Direction::ToClient,
                    ),
                ] {
                    let (rewrite, record) = (Arc::clone(&rewrite), Arc::clone(&record));
                    thread::spawn(move || pump(conn, from, to, direction, &*rewrite, &record));
                }
            }
        });
        Relay { port, recorded }
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every byte that went through, both ways, as the server sent and received it.
    pub fn recorded(&self) -> Vec<u8> {
        self.recorded.lock().clone()
    }

    /// [`Relay::recorded`] as text: every line the server sent or received.
    pub fn wire(&self) -> String {
        String::from_utf8_lossy(&self.recorded()).into_owned()
    }
}

fn pump(
    conn: usize,
    from: TcpStream,
    mut to: TcpStream,
    direction: Direction,
    rewrite: &Rewrite,
    record: &Mutex<Vec<u8>>,
) {
    let mut reader = BufReader::new(from);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line);
        let out = format!(
            "{}\n",
            rewrite(conn, direction, text.trim_end_matches('\n'))
        );
        // Record what the server itself received (after rewriting) or sent (before).
        record
            .lock()
            .extend_from_slice(if direction == Direction::ToServer {
                out.as_bytes()
            } else {
                &line
            });
        if to.write_all(out.as_bytes()).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}
