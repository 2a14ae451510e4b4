//! The client's side of the socket for sending: one lock so that the keyboard thread, the
//! reader thread (answering key agreement) and the Ctrl+C handler never interleave lines.
//!
//! A write can block (a server that stops reading fills the socket's buffer), and the lock is
//! held while it does. So ending the connection never waits for that lock: a second handle
//! to the same socket, under a lock of its own that is never held across a write, shuts it
//! down (which also wakes the blocked writer), and Ctrl+C sends its `close` only if the
//! sending lock comes free in a moment.

use common::protocol::Command;
use parking_lot::Mutex;
use std::io::{self, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

/// The write half of the connection to the server.
#[derive(Debug)]
pub struct Link {
    socket: Mutex<TcpStream>,
    /// The same connection, only to shut it down.
    closer: Mutex<TcpStream>,
}

impl Link {
    /// Wraps a clone of the connection.
    ///
    /// # Errors
    /// The socket could not be cloned (out of descriptors).
    pub fn new(socket: TcpStream) -> io::Result<Link> {
        Ok(Link {
            closer: Mutex::new(socket.try_clone()?),
            socket: Mutex::new(socket),
        })
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
        self.socket.lock().write_all(&with_newline(line))
    }

    /// Sends `command` if no other send holds the socket for longer than `patience` (one may
    /// be blocked on a server that stopped reading); `false` if it was not sent.
    pub fn try_send(&self, command: &Command, patience: Duration) -> bool {
        self.socket
            .try_lock_for(patience)
            .is_some_and(|mut socket| {
                socket
                    .write_all(&with_newline(&command.to_string()))
                    .is_ok()
            })
    }

    /// Sends on `socket` from now on (a new connection after the old one was lost).
    ///
    /// # Errors
    /// The socket could not be cloned (out of descriptors).
    pub fn replace(&self, socket: TcpStream) -> io::Result<()> {
        *self.closer.lock() = socket.try_clone()?;
        *self.socket.lock() = socket;
        Ok(())
    }

    /// Tells the server nothing more is coming (it then closes its side). Never waits for a
    /// send in progress: the shutdown also ends a write blocked on the socket.
    pub fn finish(&self) {
        let _ = self.closer.lock().shutdown(Shutdown::Write);
    }
}

fn with_newline(line: &str) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(line.len() + 1);
    bytes.extend_from_slice(line.as_bytes());
    bytes.push(b'\n');
    bytes
}
