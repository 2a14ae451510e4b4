//! Splits a byte stream into protocol lines without ever holding more than one line's worth.
//!
//! Both ends read a socket in large chunks and hand every complete line in a chunk to the
//! protocol at once (that is what lets the server relay a burst in one write). [`LineBuffer`]
//! is the pure part of that: bytes in, lines out, with the length limit enforced while the
//! bytes arrive, so a peer that sends a gigabyte without a newline costs at most
//! [`MAX_LINE_LEN`] bytes of memory.

use crate::limits::{MAX_DISCARD_LEN, MAX_LINE_LEN};
use thiserror::Error;

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
#[derive(Debug, Default)]
pub struct LineBuffer {
    buf: Vec<u8>,
    /// Where to resume looking for `\n` in `buf`, so a slow trickle is not rescanned.
    scanned: usize,
    /// Bytes dropped so far from a line that is over the limit; `Some` while inside one.
    discarding: Option<usize>,
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
        self.buf.extend_from_slice(bytes);
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
                let mut line: Vec<u8> = self.buf.drain(..=end).collect();
                self.scanned = 0;
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                if line.len() > MAX_LINE_LEN {
                    return Some(Err(LineError::TooLong));
                }
                if line.contains(&0) {
                    return Some(Err(LineError::Nul));
                }
                Some(String::from_utf8(line).map_err(|_| LineError::NotUtf8))
            }
            None if self.buf.len() > MAX_LINE_LEN + 1 => {
                // +1: a full-length line may still be waiting for its `\r\n`.
                self.discarding = Some(self.buf.len());
                self.buf = Vec::new();
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
        self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
