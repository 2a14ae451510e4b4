//! The client's side of the socket for sending: one lock so that the keyboard thread, the
//! reader thread (answering key agreement) and the Ctrl+C handler never interleave lines.

use common::protocol::Command;
use parking_lot::Mutex;
use std::io::{self, Write};
use std::net::{Shutdown, TcpStream};

/// The write half of the connection to the server.
#[derive(Debug)]
pub struct Link {
    socket: Mutex<TcpStream>,
}

impl Link {
    /// Wraps a clone of the connection.
    pub fn new(socket: TcpStream) -> Link {
        Link {
            socket: Mutex::new(socket),
        }
    }

    /// Sends one command as one line.
    ///
    /// # Errors
    /// The socket's write error (the server is gone).
    pub fn send(&self, command: &Command) -> io::Result<()> {
        self.send_line(&command.to_string())
    }

    /// Sends `line` followed by `\n` (used for the name, which is not a command).
    ///
    /// # Errors
    /// The socket's write error (the server is gone).
    pub fn send_line(&self, line: &str) -> io::Result<()> {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        self.socket.lock().write_all(&bytes)
    }

    /// Sends on `socket` from now on (a new connection after the old one was lost).
    pub fn replace(&self, socket: TcpStream) {
        *self.socket.lock() = socket;
    }

    /// Tells the server nothing more is coming (it then closes its side).
    pub fn finish(&self) {
        let _ = self.socket.lock().shutdown(Shutdown::Write);
    }
}
