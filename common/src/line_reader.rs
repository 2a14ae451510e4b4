//! The one read loop for a line protocol over any byte stream: read a chunk, split it into
//! lines, and say how the stream ended. The server's sessions and the client's reader thread
//! both use it, so a clean close and a broken connection are told apart the same way on both
//! sides.
//!
//! The source is passed to each [`LineReader::fill`] rather than owned, so this module never
//! names a socket type: the caller reads from a `&TcpStream`, a pipe, or a byte slice in tests.

use crate::framing::{LineBuffer, LineError};
use std::io::{self, Read};

/// What one [`LineReader::fill`] brought.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// Bytes were added; take the lines with [`LineReader::next_line`].
    Data,
    /// The source's read timeout passed with nothing new.
    TimedOut,
    /// The peer closed its end: a clean end of stream.
    Closed,
    /// The connection broke (reset, aborted, ...).
    Broken(io::ErrorKind),
}

/// A [`LineBuffer`] with the chunk it reads into, which grows while reads come back full.
#[derive(Debug)]
pub struct LineReader {
    lines: LineBuffer,
    chunk: Vec<u8>,
    min_chunk: usize,
    max_chunk: usize,
}

impl LineReader {
    /// Reads `min_chunk` bytes at a time at first, doubling up to `max_chunk` while reads fill
    /// the chunk (a burst), and halving back towards `min_chunk` while reads fill less than a
    /// quarter of it, so only a connection that is sending in bursts holds a large chunk.
    pub fn new(min_chunk: usize, max_chunk: usize) -> LineReader {
        let min_chunk = min_chunk.max(1);
        LineReader {
            lines: LineBuffer::new(),
            chunk: vec![0; min_chunk],
            min_chunk,
            max_chunk: max_chunk.max(min_chunk),
        }
    }

    /// The size of the chunk read into now, in bytes.
    pub fn chunk_len(&self) -> usize {
        self.chunk.len()
    }

    /// Reads once from `source` into the line buffer.
    pub fn fill(&mut self, source: &mut impl Read) -> Fill {
        match source.read(&mut self.chunk) {
            Ok(0) => Fill::Closed,
            Ok(n) => {
                self.lines.extend(&self.chunk[..n]);
                let len = self.chunk.len();
                if n == len && n < self.max_chunk {
                    self.chunk.resize((n * 2).min(self.max_chunk), 0);
                } else if n < len / 4 && len > self.min_chunk {
                    self.chunk.truncate((len / 2).max(self.min_chunk));
                    self.chunk.shrink_to_fit();
                }
                Fill::Data
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Fill::TimedOut
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Fill::Data,
            Err(e) => Fill::Broken(e.kind()),
        }
    }

    /// Takes the next complete line (see [`LineBuffer::next_line`]).
    pub fn next_line(&mut self) -> Option<Result<String, LineError>> {
        self.lines.next_line()
    }

    /// True when the peer sent far too much without a line break (see
    /// [`LineBuffer::is_flooding`]).
    pub fn is_flooding(&self) -> bool {
        self.lines.is_flooding()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source that gives its pieces one read at a time, then an end or an error.
    struct Script(Vec<io::Result<Vec<u8>>>);

    impl Read for Script {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Ok(0);
            }
            let bytes = self.0.remove(0)?;
            buf[..bytes.len()].copy_from_slice(&bytes);
            Ok(bytes.len())
        }
    }

    /// The chunk doubles while reads fill it and halves back while they fill less than a
    /// quarter: a burst does not leave an idle connection holding the largest chunk.
    #[test]
    fn the_chunk_grows_for_a_burst_and_shrinks_after_it() {
        let mut pieces: Vec<io::Result<Vec<u8>>> = Vec::new();
        pieces.extend([16, 32, 64, 64].map(|n| Ok(vec![b'x'; n])));
        pieces.extend((0..4).map(|_| Ok(b"\n".to_vec())));
        let mut source = Script(pieces);
        let mut reader = LineReader::new(16, 64);
        let mut sizes = Vec::new();
        for _ in 0..7 {
            assert_eq!(reader.fill(&mut source), Fill::Data);
            sizes.push(reader.chunk_len());
        }
        assert_eq!(sizes, [32, 64, 64, 64, 32, 16, 16]);
    }

    /// Lines across reads, then a clean end, and a broken connection told apart from it.
    #[test]
    fn reads_lines_and_tells_the_ends_apart() {
        let mut source = Script(vec![
            Ok(b"sta".to_vec()),
            Ok(b"tus\nhel".to_vec()),
            Ok(b"lo\n".to_vec()),
        ]);
        let mut reader = LineReader::new(16, 64);
        let mut got = Vec::new();
        loop {
            match reader.fill(&mut source) {
                Fill::Data => {
                    while let Some(line) = reader.next_line() {
                        got.push(line.unwrap());
                    }
                }
                end => {
                    assert_eq!(end, Fill::Closed);
                    break;
                }
            }
        }
        assert_eq!(got, ["status", "hello"]);

        let mut broken = Script(vec![Err(io::ErrorKind::ConnectionReset.into())]);
        assert_eq!(
            reader.fill(&mut broken),
            Fill::Broken(io::ErrorKind::ConnectionReset)
        );
        let mut idle = Script(vec![Err(io::ErrorKind::WouldBlock.into())]);
        assert_eq!(reader.fill(&mut idle), Fill::TimedOut);
    }

    /// The chunk grows while reads fill it, up to the maximum.
    #[test]
    fn the_chunk_grows_in_a_burst() {
        let mut reader = LineReader::new(4, 16);
        let mut source = Script(vec![
            Ok(vec![b'a'; 4]),
            Ok(vec![b'b'; 8]),
            Ok(vec![b'c'; 16]),
        ]);
        for _ in 0..3 {
            assert_eq!(reader.fill(&mut source), Fill::Data);
        }
        assert_eq!(reader.chunk.len(), 16);
    }
}
