//! One non-blocking client socket with its unfinished input line and its queued output.
//!
//! Input is read into the worker's shared scratch buffer (one per thread, not one per socket,
//! so 10,000 idle clients cost almost nothing): the unfinished line kept from the last read goes
//! in front, then up to [`READ_CHUNK`] new bytes. Output is gathered per socket and written with
//! one `write` per batch.

use mio::net::TcpStream;
use socket2::SockRef;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

/// Bytes one `read` may take.
pub const READ_CHUNK: usize = 64 * 1024;
/// The longest unfinished line kept between reads; longer is a protocol error here (labchat's
/// limit is 8 KiB plus a name, IRC's 512 bytes).
pub const MAX_PARTIAL: usize = 16 * 1024;

/// A fresh scratch buffer for [`Conn::read_chunk`].
pub fn scratch() -> Vec<u8> {
    vec![0; MAX_PARTIAL + READ_CHUNK]
}

/// What one [`Conn::read_chunk`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunk {
    /// `scratch[..len]` holds the kept partial line plus new bytes; `more` if the read filled
    /// its chunk, so more may be waiting. A short read emptied the socket: with edge-triggered
    /// polling, later bytes raise a new event, so the extra `read` that would only say
    /// `WouldBlock` is skipped.
    Data { len: usize, more: bool },
    /// Nothing more to read now.
    WouldBlock,
    /// The server closed the connection.
    Eof,
}

/// A client socket.
#[derive(Debug)]
pub struct Conn {
    /// The socket, registered with the worker's poll.
    pub stream: TcpStream,
    partial: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
}

impl Conn {
    /// Starts a non-blocking connect to `addr`.
    ///
    /// # Errors
    /// Out of file descriptors or local ports.
    pub fn connect(addr: SocketAddr) -> io::Result<Conn> {
        let stream = TcpStream::connect(addr)?;
        Ok(Conn {
            stream,
            partial: Vec::new(),
            out: Vec::new(),
            out_pos: 0,
        })
    }

    /// True once the non-blocking connect has completed (call on the first writable event).
    ///
    /// # Errors
    /// The connect failed (refused, reset, timed out).
    pub fn is_connected(&self) -> io::Result<bool> {
        if let Some(err) = self.stream.take_error()? {
            return Err(err);
        }
        match self.stream.peer_addr() {
            Ok(_) => {
                self.stream.set_nodelay(true)?;
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The output buffer: append whole lines, then [`Conn::flush`].
    pub fn out(&mut self) -> &mut Vec<u8> {
        &mut self.out
    }

    /// True if output is waiting for the socket.
    pub fn has_output(&self) -> bool {
        self.out_pos < self.out.len()
    }

    /// Writes queued output until it is all sent or the socket is full.
    ///
    /// # Errors
    /// The connection is broken.
    pub fn flush(&mut self) -> io::Result<()> {
        while self.out_pos < self.out.len() {
            match self.stream.write(&self.out[self.out_pos..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.out_pos += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.out.clear();
        self.out_pos = 0;
        if self.out.capacity() > 256 * 1024 {
            self.out = Vec::new();
        }
        Ok(())
    }

    /// Puts the kept partial line at the front of `scratch` and reads new bytes after it.
    ///
    /// # Errors
    /// The connection is broken.
    pub fn read_chunk(&mut self, scratch: &mut [u8]) -> io::Result<Chunk> {
        let kept = self.partial.len();
        scratch[..kept].copy_from_slice(&self.partial);
        loop {
            match self.stream.read(&mut scratch[kept..kept + READ_CHUNK]) {
                Ok(0) => return Ok(Chunk::Eof),
                Ok(n) => {
                    self.partial.clear();
                    return Ok(Chunk::Data {
                        len: kept + n,
                        more: n == READ_CHUNK,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Chunk::WouldBlock),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Keeps `tail`, an unfinished line, for the next read.
    ///
    /// # Errors
    /// The line is longer than [`MAX_PARTIAL`].
    pub fn keep_partial(&mut self, tail: &[u8]) -> io::Result<()> {
        if tail.len() > MAX_PARTIAL {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "server sent a line longer than 16 KiB",
            ));
        }
        self.partial.extend_from_slice(tail);
        Ok(())
    }

    /// Closes with a reset (linger 0): no TIME_WAIT, so tens of thousands of connections a run
    /// do not use up the local ports.
    pub fn reset(self) {
        let _ = SockRef::from(&self.stream).set_linger(Some(Duration::ZERO));
    }
}
