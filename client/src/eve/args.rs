//! eve's command line, checked before eve listens: a server given as `HOST:PORT` that
//! answers, one mode, and errors a teacher can act on (exit 2 for a mistake in the command,
//! 1 for a server that does not answer or a port in use).

use crate::eve::search::CODE_DIGITS;
use clap::Parser;
use std::io;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// How long eve waits for the server to accept a connection: at start, and for each student.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// One line of usage, after a mistake.
pub const USAGE: &str = "eve LISTEN_PORT SERVER_HOST:PORT [--mitm | --grind [--grind-digits N] \
                         [--grind-seconds S]] [--full]";

/// Relays clients to a labchat server and prints what an eavesdropper learns (for teaching).
#[derive(Debug, Parser)]
#[command(name = "eve", version, max_term_width = 80)]
pub struct Args {
    /// Port the clients connect to (0 picks a free one and prints it).
    pub listen_port: u16,
    /// The real server, as HOST:PORT (e.g. 127.0.0.1:5000).
    pub server: String,
    /// Sit in the middle: answer each client's key exchange with a key of eve's own, read and
    /// re-seal every secure message, and show the two different safety codes this causes.
    #[arg(long, conflicts_with = "grind")]
    pub mitm: bool,
    /// Sit in the middle as with --mitm, but hold back each client's public value until eve
    /// has both, then search for values that make the two safety codes agree, and show why
    /// clients that committed first refuse them.
    #[arg(long)]
    pub grind: bool,
    /// With --grind: how many leading digits of the two codes must agree (1 to 12).
    #[arg(long, value_name = "N", default_value_t = 6, requires = "grind",
          value_parser = clap::value_parser!(u8).range(1..=CODE_DIGITS as i64))]
    pub grind_digits: u8,
    /// With --grind: give up after this many seconds and send the values eve committed to.
    #[arg(long, value_name = "SECONDS", default_value_t = 20, requires = "grind",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub grind_seconds: u64,
    /// Print long numbers (public values, commitments, sealed tokens) whole instead of
    /// shortened to their first and last digits.
    #[arg(long)]
    pub full: bool,
}

/// What is wrong with the server's address, or with the server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// No `:PORT`.
    #[error("'{0}' has no port: give the server as HOST:PORT, e.g. 127.0.0.1:5000")]
    NoPort(String),
    /// The port is not a number from 1 to 65535.
    #[error("'{port}' in '{text}' is not a port (1 to 65535): give the server as HOST:PORT, e.g. 127.0.0.1:5000")]
    BadPort {
        /// What was given as the port.
        port: String,
        /// The whole argument.
        text: String,
    },
    /// The host name does not resolve.
    #[error("cannot find the host '{host}': {source}")]
    UnknownHost {
        /// The host part.
        host: String,
        /// Why.
        source: io::Error,
    },
    /// Nothing accepts connections there.
    #[error(
        "cannot reach the server at {addr}: {reason}; start the server first, or check the address"
    )]
    Unreachable {
        /// Where eve tried.
        addr: SocketAddr,
        /// Why, in words.
        reason: String,
    },
}

impl ServerError {
    /// True for a mistake in the command line (exit 2) rather than a server that does not
    /// answer (exit 1).
    pub fn is_usage(&self) -> bool {
        matches!(self, ServerError::NoPort(_) | ServerError::BadPort { .. })
    }
}

/// The server's address from `HOST:PORT` (`[::1]:5000` for IPv6), resolved.
///
/// # Errors
/// [`ServerError`] if the port is missing or wrong, or the host unknown.
pub fn server_addr(text: &str) -> Result<SocketAddr, ServerError> {
    let Some((host, port)) = text.rsplit_once(':') else {
        return Err(ServerError::NoPort(text.to_string()));
    };
    let bare_v6 = host.contains(':') && !host.starts_with('[');
    if host.is_empty() || bare_v6 {
        return Err(ServerError::NoPort(text.to_string()));
    }
    let port = match port.parse::<u16>() {
        Ok(port) if port > 0 => port,
        _ => {
            return Err(ServerError::BadPort {
                port: port.to_string(),
                text: text.to_string(),
            })
        }
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let unknown = |source| ServerError::UnknownHost {
        host: host.to_string(),
        source,
    };
    let mut addrs = (host, port).to_socket_addrs().map_err(unknown)?;
    addrs
        .next()
        .ok_or_else(|| unknown(io::Error::new(io::ErrorKind::NotFound, "it has no address")))
}

/// Checks that a server accepts connections at `addr`, within [`CONNECT_TIMEOUT`].
///
/// # Errors
/// [`ServerError::Unreachable`] if it does not.
pub fn check_reachable(addr: SocketAddr) -> Result<(), ServerError> {
    match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
        Ok(_) => Ok(()),
        Err(err) => Err(ServerError::Unreachable {
            addr,
            reason: match err.kind() {
                io::ErrorKind::ConnectionRefused => "nothing listens there".into(),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                    format!("no answer within {} s", CONNECT_TIMEOUT.as_secs())
                }
                _ => err.to_string(),
            },
        }),
    }
}

/// Why eve cannot listen on `port`, in words that say what to do.
pub fn listen_error(port: u16, err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::AddrInUse => format!(
            "port {port} is already in use (another eve, or the server?); stop the program \
             using it or pick another port"
        ),
        io::ErrorKind::PermissionDenied => {
            format!("not allowed to listen on port {port}; pick a port above 1023")
        }
        _ => format!("cannot listen on port {port}: {err}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_is_host_and_port() {
        assert_eq!(
            server_addr("127.0.0.1:5000").unwrap(),
            "127.0.0.1:5000".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(
            server_addr("[::1]:5000").unwrap(),
            "[::1]:5000".parse::<SocketAddr>().unwrap()
        );
        assert!(matches!(
            server_addr("127.0.0.1"),
            Err(ServerError::NoPort(_))
        ));
        assert!(matches!(server_addr("::1"), Err(ServerError::NoPort(_))));
        assert!(matches!(server_addr(":5000"), Err(ServerError::NoPort(_))));
        for bad in [
            "127.0.0.1:0",
            "127.0.0.1:70000",
            "127.0.0.1:x",
            "127.0.0.1:",
        ] {
            let err = server_addr(bad).unwrap_err();
            assert!(err.is_usage(), "{bad}: {err}");
            assert!(err.to_string().contains("HOST:PORT"), "{err}");
        }
    }
}
