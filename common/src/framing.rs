//! Splits a byte stream into protocol lines without ever holding more than one line's worth.
//!
//! Both ends read a socket in large chunks and hand every complete line in a chunk to the
//! protocol at once (that is what lets the server relay a burst in one write). [`LineBuffer`]
//! is the pure part of that: bytes in, lines out, with the length limit enforced while the
//! bytes arrive, so a peer that sends a gigabyte without a newline costs at most
//! [`MAX_LINE_LEN`] bytes of memory.

use crate::limits::{MAX_DISCARD_LEN, MAX_LINE_LEN};
use thiserror::Error;

/// A buffer this small is never shrunk.
const SMALL_BUFFER: usize = 4 * 1024;

/// Why a line could not be taken from the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum LineError {
    /// The line was longer than [`MAX_LINE_LEN`] bytes; it was dropped.
    #[error("line too long (more than {MAX_LINE_LEN} bytes); it was dropped")]
    TooLong,
    /// The line was not valid UTF-8; it was dropped.
    #[error("line is not valid UTF-8; it was dropped")]
    NotUtf8,
    /// The line contained a NUL byte; it was dropped.
    #[error("line contains a NUL byte; it was dropped")]
    Nul,
}

/// Accumulates bytes and yields complete lines (without `\n` or a trailing `\r`).
///
/// Taking a line only moves a read offset; the unread rest is moved to the front of the buffer
/// at most once per [`extend`](LineBuffer::extend). So splitting a read costs time linear in its
/// bytes, however short its lines: a chunk of 65,536 bare newlines is as cheap per byte as a
/// chunk of chat, where shifting the buffer for every line would move about 2 GiB.
#[derive(Debug, Default)]
pub struct LineBuffer {
    buf: Vec<u8>,
    /// Where the unread bytes start in `buf`: everything before it has been taken.
    start: usize,
    /// Where to resume looking for `\n` in `buf` (`start` or later), so a slow trickle is
    /// not rescanned.
    scanned: usize,
    /// Bytes dropped so far from a line that is over the limit; `Some` while inside one.
    discarding: Option<usize>,
    /// Bytes moved to the front of `buf` so far, for the test that splitting stays linear.
    moved: u64,
}

impl LineBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends bytes read from the stream.
    pub fn extend(&mut self, bytes: &[u8]) {
        let mut bytes = bytes;
        if let Some(dropped) = self.discarding.as_mut() {
            match bytes.iter().position(|&b| b == b'\n') {
                None => {
                    *dropped += bytes.len();
                    return;
                }
                Some(nl) => {
                    *dropped += nl;
                    self.discarding = None;
                    bytes = &bytes[nl + 1..];
                }
            }
        }
        self.compact();
        // A burst grew the buffer; quieter reads give most of it back, so only a connection
        // that is sending in bursts holds a large one.
        let needed = (self.buf.len() + bytes.len()).max(SMALL_BUFFER);
        if self.buf.capacity() > 4 * needed {
            self.buf.shrink_to(2 * needed);
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Moves the unread bytes to the front, so the buffer holds no more than one unfinished
    /// line plus the next read. The reader takes every line after each read, so what is
    /// moved is at most the one unfinished line.
    fn compact(&mut self) {
        if self.start == 0 {
            return;
        }
        let unread = self.buf.len() - self.start;
        self.buf.copy_within(self.start.., 0);
        self.buf.truncate(unread);
        self.moved += unread as u64;
        self.scanned -= self.start;
        self.start = 0;
    }

    /// Takes the next complete line, if there is one.
    ///
    /// # Errors
    /// A line that is too long (reported once, as soon as the limit is passed), not UTF-8, or
    /// contains NUL is reported as a [`LineError`] and skipped; the next call goes on after it.
    pub fn next_line(&mut self) -> Option<Result<String, LineError>> {
        if self.discarding.is_some() {
            return None;
        }
        match self.buf[self.scanned..].iter().position(|&b| b == b'\n') {
            Some(offset) => {
                let end = self.scanned + offset;
                let mut line = &self.buf[self.start..end];
                self.start = end + 1;
                self.scanned = self.start;
                if line.last() == Some(&b'\r') {
                    line = &line[..line.len() - 1];
                }
                let result = if line.len() > MAX_LINE_LEN {
                    Err(LineError::TooLong)
                } else if line.contains(&0) {
                    Err(LineError::Nul)
                } else {
                    String::from_utf8(line.to_vec()).map_err(|_| LineError::NotUtf8)
                };
                if self.start == self.buf.len() {
                    // Everything taken: start over at the front, nothing to move.
                    self.buf.clear();
                    self.start = 0;
                    self.scanned = 0;
                }
                Some(result)
            }
            None if self.pending() > MAX_LINE_LEN + 1 => {
                // +1: a full-length line may still be waiting for its `\r\n`.
                self.discarding = Some(self.pending());
                self.buf = Vec::new();
                self.start = 0;
                self.scanned = 0;
                Some(Err(LineError::TooLong))
            }
            None => {
                self.scanned = self.buf.len();
                None
            }
        }
    }

    /// True when the peer has sent more than [`MAX_DISCARD_LEN`] bytes of one over-long line:
    /// it is not a person typing, and the connection should be dropped.
    pub fn is_flooding(&self) -> bool {
        self.discarding
            .is_some_and(|dropped| dropped > MAX_DISCARD_LEN)
    }

    /// Bytes of an unfinished line currently held.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// After a 64 KiB burst, short reads give the buffer's memory back.
    #[test]
    fn the_buffer_shrinks_after_a_burst() {
        let mut buffer = LineBuffer::new();
        buffer.extend(&b"0123456789abcde\n".repeat(4096));
        while buffer.next_line().is_some() {}
        assert!(buffer.buf.capacity() >= 64 * 1024);
        buffer.extend(b"hello\n");
        assert!(
            buffer.buf.capacity() <= 2 * SMALL_BUFFER,
            "{}",
            buffer.buf.capacity()
        );
        assert_eq!(buffer.next_line(), Some(Ok("hello".to_string())));
    }

    fn lines(chunks: &[&[u8]]) -> Vec<Result<String, LineError>> {
        let mut buf = LineBuffer::new();
        let mut out = Vec::new();
        for chunk in chunks {
            buf.extend(chunk);
            while let Some(line) = buf.next_line() {
                out.push(line);
            }
        }
        out
    }

    #[test]
    fn splits_lines_across_chunks_and_strips_crlf() {
        let got = lines(&[b"sta", b"tus\r\nconnect b", b"ob\n\nhi\n"]);
        let want: Vec<Result<String, LineError>> = vec![
            Ok("status".into()),
            Ok("connect bob".into()),
            Ok("".into()),
            Ok("hi".into()),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn lone_cr_is_content_not_a_terminator() {
        assert_eq!(lines(&[b"a\rb\n"]), vec![Ok("a\rb".to_string())]);
    }

    #[test]
    fn bad_bytes_are_reported_and_skipped() {
        let got = lines(&[b"\xff\xfe\nok\nnul\0x\n"]);
        assert_eq!(
            got,
            vec![
                Err(LineError::NotUtf8),
                Ok("ok".into()),
                Err(LineError::Nul)
            ]
        );
    }

    #[test]
    fn exact_limit_is_accepted_one_more_is_refused() {
        let exact = vec![b'a'; MAX_LINE_LEN];
        let mut with_crlf = exact.clone();
        with_crlf.extend_from_slice(b"\r\n");
        assert_eq!(lines(&[&with_crlf]), vec![Ok("a".repeat(MAX_LINE_LEN))]);
        let mut over = vec![b'a'; MAX_LINE_LEN + 1];
        over.push(b'\n');
        assert_eq!(
            lines(&[&over, b"next\n"]),
            vec![Err(LineError::TooLong), Ok("next".into())]
        );
    }

    /// A read full of empty lines is split by moving an offset, not the buffer: the old
    /// `drain` per line moved 2,147,450,880 bytes for this chunk.
    #[test]
    fn a_chunk_of_bare_newlines_moves_each_byte_at_most_twice() {
        let chunk = vec![b'\n'; 64 * 1024];
        let mut buf = LineBuffer::new();
        buf.extend(&chunk);
        let mut count = 0;
        while let Some(line) = buf.next_line() {
            assert_eq!(line, Ok(String::new()));
            count += 1;
        }
        assert_eq!(count, chunk.len());
        let moved = buf.moved;
        assert!(moved <= 2 * chunk.len() as u64, "moved {moved} bytes");
    }

    /// Many reads that each end in the middle of a line: the unfinished part moves once per
    /// read, so the total moved stays within the bytes read.
    #[test]
    fn lines_split_across_reads_move_each_byte_about_once() {
        let text: Vec<u8> = (0..20_000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let mut buf = LineBuffer::new();
        let mut got = Vec::new();
        for chunk in text.chunks(37) {
            buf.extend(chunk);
            while let Some(line) = buf.next_line() {
                got.push(line.expect("valid line"));
            }
        }
        assert_eq!(got.len(), 20_000);
        assert_eq!(got[12_345], "line 12345");
        assert_eq!(buf.pending(), 0);
        assert!(buf.moved <= text.len() as u64);
    }

    /// `pending` counts only what has not been taken yet.
    #[test]
    fn pending_counts_the_unfinished_line_only() {
        let mut buf = LineBuffer::new();
        buf.extend(b"one\ntwo\nthr");
        assert_eq!(buf.next_line(), Some(Ok("one".into())));
        assert_eq!(buf.pending(), 7);
        assert_eq!(buf.next_line(), Some(Ok("two".into())));
        assert_eq!(buf.next_line(), None);
        assert_eq!(buf.pending(), 3);
        buf.extend(b"ee\n");
        assert_eq!(buf.next_line(), Some(Ok("three".into())));
        assert_eq!(buf.pending(), 0);
    }

    #[test]
    fn endless_line_is_bounded_and_flagged_once() {
        let mut buf = LineBuffer::new();
        let chunk = vec![b'x'; 64 * 1024];
        let mut errors = 0;
        for _ in 0..32 {
            buf.extend(&chunk);
            while let Some(line) = buf.next_line() {
                assert_eq!(line, Err(LineError::TooLong));
                errors += 1;
            }
            assert!(buf.pending() <= MAX_LINE_LEN + chunk.len());
        }
        assert_eq!(errors, 1);
        assert!(buf.is_flooding());
        buf.extend(b"tail\nafter\n");
        assert_eq!(buf.next_line(), Some(Ok("after".to_string())));
        assert!(!buf.is_flooding());
    }
}
