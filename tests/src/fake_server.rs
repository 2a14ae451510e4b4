//! What a fake server of a test (a listener that plays the server line by line) needs to read
//! a client's name as an older server would.
//!
//! A client's first line is `hello <nonce>` (PROTOCOL.md, "The server's proof"). A server
//! without an identity takes it for a name and refuses it; the client then goes on without a
//! proof and sends its name. A fake server that ignored `hello` would make every client wait
//! for an answer that never comes.

use std::io::{BufRead, Write};

/// The older server's refusal of `hello <nonce>` as a name.
pub const HELLO_REFUSED: &str = "(server): That name is not valid: a name may hold only \
     letters, digits, '_', '-' and '.', not ' ' (a space); please choose another:";

/// Reads the client's name from `lines`, refusing a `hello` line first as an older server
/// does (on `socket`). Returns the name without its line end; empty at end of stream.
pub fn read_name(lines: &mut impl BufRead, socket: &mut impl Write) -> String {
    loop {
        let mut line = String::new();
        if lines.read_line(&mut line).unwrap_or(0) == 0 {
            return String::new();
        }
        if !line.starts_with("hello ") {
            return line.trim_end().to_string();
        }
        let _ = writeln!(socket, "{HELLO_REFUSED}");
    }
}
