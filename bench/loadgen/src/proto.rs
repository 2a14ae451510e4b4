//! What the generator says and hears: one [`Protocol`] trait, one impl per server, and the
//! stamped text every benchmark message carries.
//!
//! The generator never builds a `String` per message: lines are parsed in place from the read
//! buffer and written straight into a connection's output buffer.

use std::io::Write;

/// Bytes of chat text in every benchmark message (the same text for both servers).
pub const TEXT_LEN: usize = 64;

/// One received line, classified. Slices borrow the line.
#[derive(Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// The server asks for a name (labchat's welcome).
    Welcome,
    /// The name was accepted.
    Registered,
    /// The server paired this client with the named user.
    Paired(&'a [u8]),
    /// Chat text from the named user.
    Chat { from: &'a [u8], text: &'a [u8] },
    /// A sealed message from the named user (labchat only).
    Secure { from: &'a [u8], payload: &'a [u8] },
    /// Start a key agreement in the named group (labchat only).
    GenKeys(&'a [u8]),
    /// The partner's commitment to its public value (labchat only).
    KeyCommit(&'a [u8]),
    /// The partner's public Diffie-Hellman value (labchat only).
    KeyParam(&'a [u8]),
    /// A keep-alive that must be answered with [`Protocol::pong`].
    Ping(&'a [u8]),
    /// The server refused or ended something (name taken, server full, IRC `ERROR`).
    Refused,
    /// A line that means nothing to the benchmark (IRC's MOTD, numerics).
    Ignored,
    /// A line a benchmark client should never receive (`You are not in a chat`, ...).
    Unexpected,
}

/// A server's line protocol, as far as the benchmark needs it.
pub trait Protocol: Send + Sync {
    /// Short name for reports: `labchat` or `ngircd`.
    fn server_name(&self) -> &'static str;
    /// Bytes to send as soon as the TCP connection is up (IRC registers at once).
    fn on_connect(&self, name: &str, out: &mut Vec<u8>);
    /// The answer to [`Event::Welcome`] (labchat: the name).
    fn on_welcome(&self, name: &str, out: &mut Vec<u8>);
    /// Asks the server to pair with `partner`. Returns false if the protocol needs no pairing
    /// (IRC sends to a nick directly).
    fn pair(&self, partner: &str, out: &mut Vec<u8>) -> bool;
    /// One chat message of `text` to `to` (whole line, with its ending).
    fn chat(&self, to: &str, text: &[u8], out: &mut Vec<u8>);
    /// One sealed message (labchat's `secure: <payload>`). Returns false where the protocol has
    /// none.
    fn sealed(&self, _payload: &[u8], _out: &mut Vec<u8>) -> bool {
        false
    }
    /// The answer to [`Event::Ping`].
    fn pong(&self, token: &[u8], out: &mut Vec<u8>);
    /// Classifies one line (without `\n` or a trailing `\r`).
    fn parse<'a>(&self, line: &'a [u8]) -> Event<'a>;
}

/// labchat (PROTOCOL.md): name after the welcome, `connect <user>`, `msg <text>`; relayed as
/// `<sender>: <text>`.
#[derive(Debug, Clone, Copy)]
pub struct Labchat;

impl Protocol for Labchat {
    fn server_name(&self) -> &'static str {
        "labchat"
    }

    fn on_connect(&self, _name: &str, _out: &mut Vec<u8>) {}

    fn on_welcome(&self, name: &str, out: &mut Vec<u8>) {
        out.extend_from_slice(name.as_bytes());
        out.push(b'\n');
    }

    fn pair(&self, partner: &str, out: &mut Vec<u8>) -> bool {
        let _ = writeln!(out, "connect {partner}");
        true
    }

    fn chat(&self, _to: &str, text: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(b"msg ");
        out.extend_from_slice(text);
        out.push(b'\n');
    }

    fn sealed(&self, payload: &[u8], out: &mut Vec<u8>) -> bool {
        out.extend_from_slice(b"secure: ");
        out.extend_from_slice(payload);
        out.push(b'\n');
        true
    }

    fn pong(&self, _token: &[u8], _out: &mut Vec<u8>) {}

    fn parse<'a>(&self, line: &'a [u8]) -> Event<'a> {
        if let Some(notice) = line.strip_prefix(b"(server): ") {
            return if notice.starts_with(b"Welcome") {
                Event::Welcome
            } else if notice.starts_with(b"You have ") {
                Event::Ignored
            } else if notice.starts_with(b"Hello ") {
                Event::Registered
            } else if let Some(who) = notice.strip_prefix(b"You are now connected to ") {
                Event::Paired(who)
            } else if notice.starts_with(b"The name")
                || notice.starts_with(b"That name")
                || notice.starts_with(b"Server full")
                || notice.starts_with(b"No user name")
                || notice.starts_with(b"Server is shutting down")
            {
                Event::Refused
            } else {
                Event::Unexpected
            };
        }
        if let Some(group) = line.strip_prefix(b"GEN_KEYS ") {
            return Event::GenKeys(group);
        }
        if let Some(value) = line.strip_prefix(b"key_commit ") {
            return Event::KeyCommit(value);
        }
        if let Some(value) = line.strip_prefix(b"key_param ") {
            return Event::KeyParam(value);
        }
        // A name holds no space or ':', so the first ": " ends it.
        match memchr::memmem::find(line, b": ") {
            Some(end) => match line[..end].strip_suffix(b" (secure)") {
                Some(from) => Event::Secure {
                    from,
                    payload: &line[end + 2..],
                },
                None => Event::Chat {
                    from: &line[..end],
                    text: &line[end + 2..],
                },
            },
            None => Event::Unexpected,
        }
    }
}

/// IRC as ngircd speaks it: `NICK`/`USER`, registered at `001`, `PRIVMSG <nick> :<text>`;
/// received as `:<nick>!<user>@<host> PRIVMSG <me> :<text>`.
#[derive(Debug, Clone, Copy)]
pub struct Irc;

impl Protocol for Irc {
    fn server_name(&self) -> &'static str {
        "ngircd"
    }

    fn on_connect(&self, name: &str, out: &mut Vec<u8>) {
        let _ = write!(out, "NICK {name}\r\nUSER {name} 0 * :load\r\n");
    }

    fn on_welcome(&self, _name: &str, _out: &mut Vec<u8>) {}

    fn pair(&self, _partner: &str, _out: &mut Vec<u8>) -> bool {
        false
    }

    fn chat(&self, to: &str, text: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(b"PRIVMSG ");
        out.extend_from_slice(to.as_bytes());
        out.extend_from_slice(b" :");
        out.extend_from_slice(text);
        out.extend_from_slice(b"\r\n");
    }

    fn pong(&self, token: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(b"PONG :");
        out.extend_from_slice(token);
        out.extend_from_slice(b"\r\n");
    }

    fn parse<'a>(&self, line: &'a [u8]) -> Event<'a> {
        if let Some(token) = line.strip_prefix(b"PING ") {
            return Event::Ping(token.strip_prefix(b":").unwrap_or(token));
        }
        if line.starts_with(b"ERROR") {
            return Event::Refused;
        }
        let Some(rest) = line.strip_prefix(b":") else {
            return Event::Ignored;
        };
        let mut words = rest.splitn(3, |&b| b == b' ');
        let (Some(prefix), Some(command)) = (words.next(), words.next()) else {
            return Event::Ignored;
        };
        match command {
            b"PRIVMSG" => {
                let params = words.next().unwrap_or_default();
                let from = prefix.split(|&b| b == b'!').next().unwrap_or_default();
                match memchr::memmem::find(params, b" :") {
                    Some(at) => Event::Chat {
                        from,
                        text: &params[at + 2..],
                    },
                    None => Event::Unexpected,
                }
            }
            b"001" => Event::Registered,
            // Nick in use, erroneous, collision; too many connections.
            b"432" | b"433" | b"436" | b"437" => Event::Refused,
            b"NOTICE" | b"MODE" => Event::Ignored,
            _ if command.iter().all(u8::is_ascii_digit) => Event::Ignored,
            _ => Event::Unexpected,
        }
    }
}

/// What a benchmark message's text says about itself: its sender's sequence number and when it
/// was sent (nanoseconds on the generator's clock, [`crate::clock::now_ns`]).
///
/// On the wire: `<seq as 8 hex>.<ns as 12 hex>.` padded with `x` to [`TEXT_LEN`] bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// 0 for a sender's first message to its partner, then 1, 2, ...
    pub seq: u64,
    /// Send time.
    pub sent_ns: u64,
}

const SEQ_DIGITS: usize = 8;
const NS_DIGITS: usize = 12;

impl Stamp {
    /// The text of this message, exactly [`TEXT_LEN`] bytes.
    pub fn encode(self) -> [u8; TEXT_LEN] {
        let mut text = [b'x'; TEXT_LEN];
        put_hex(&mut text[..SEQ_DIGITS], self.seq);
        text[SEQ_DIGITS] = b'.';
        put_hex(
            &mut text[SEQ_DIGITS + 1..SEQ_DIGITS + 1 + NS_DIGITS],
            self.sent_ns,
        );
        text[SEQ_DIGITS + 1 + NS_DIGITS] = b'.';
        text
    }

    /// Reads a stamp back; `None` unless `text` is a whole, intact benchmark text.
    pub fn decode(text: &[u8]) -> Option<Stamp> {
        if text.len() != TEXT_LEN
            || text[SEQ_DIGITS] != b'.'
            || text[SEQ_DIGITS + 1 + NS_DIGITS] != b'.'
            || text[SEQ_DIGITS + 2 + NS_DIGITS..]
                .iter()
                .any(|&b| b != b'x')
        {
            return None;
        }
        Some(Stamp {
            seq: get_hex(&text[..SEQ_DIGITS])?,
            sent_ns: get_hex(&text[SEQ_DIGITS + 1..SEQ_DIGITS + 1 + NS_DIGITS])?,
        })
    }
}

fn put_hex(out: &mut [u8], mut value: u64) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(value & 0xf) as usize];
        value >>= 4;
    }
}

fn get_hex(text: &[u8]) -> Option<u64> {
    text.iter().try_fold(0u64, |acc, &b| {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            _ => return None,
        };
        Some(acc << 4 | u64::from(digit))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamp_round_trips_and_rejects_damage() {
        let stamp = Stamp {
            seq: 0x1234,
            sent_ns: 987_654_321_000,
        };
        let text = stamp.encode();
        assert_eq!(text.len(), TEXT_LEN);
        assert_eq!(Stamp::decode(&text), Some(stamp));
        assert_eq!(Stamp::decode(&text[..TEXT_LEN - 1]), None);
        let mut bad = text;
        bad[TEXT_LEN - 1] = b'y';
        assert_eq!(Stamp::decode(&bad), None);
    }

    #[test]
    fn labchat_lines() {
        let p = Labchat;
        let cases: [(&[u8], Event); 8] = [
            (
                b"(server): Welcome to labchat! Please enter your user name:",
                Event::Welcome,
            ),
            (b"(server): Hello a1! Type status ...", Event::Registered),
            (
                b"(server): You are now connected to b2",
                Event::Paired(b"b2"),
            ),
            (
                b"a1: hi: there",
                Event::Chat {
                    from: b"a1",
                    text: b"hi: there",
                },
            ),
            (
                b"a1 (secure): 0.AA.BB",
                Event::Secure {
                    from: b"a1",
                    payload: b"0.AA.BB",
                },
            ),
            (b"GEN_KEYS ffdhe2048", Event::GenKeys(b"ffdhe2048")),
            (
                b"(server): Server full (3 users); try again later",
                Event::Refused,
            ),
            (b"(server): You are not in a chat; ...", Event::Unexpected),
        ];
        for (line, want) in cases {
            assert_eq!(p.parse(line), want, "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn irc_lines() {
        let p = Irc;
        let cases: [(&[u8], Event); 5] = [
            (b":srv 001 a1 :Welcome to the net", Event::Registered),
            (b":srv 433 * a1 :Nickname already in use", Event::Refused),
            (b"PING :srv", Event::Ping(b"srv")),
            (
                b":a1!~a1@127.0.0.1 PRIVMSG b2 :hello :x",
                Event::Chat {
                    from: b"a1",
                    text: b"hello :x",
                },
            ),
            (b":srv 372 a1 :- motd", Event::Ignored),
        ];
        for (line, want) in cases {
            assert_eq!(p.parse(line), want, "{}", String::from_utf8_lossy(line));
        }
    }
}
