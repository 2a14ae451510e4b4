//! The server console: the operator's commands (`list`, `say`, `kick`, `ban`, `unban`, `stop`,
//! `help`) through two doors, the server's standard input and a control socket only the
//! server's owner can open (for a server whose standard input is `/dev/null`, as under
//! systemd), reached with `server console`.
//!
//! Layout:
//! - [`command`]: a console line as a typed command (pure).
//! - [`list`]: the `list` answer formatted from a snapshot of the table (pure).
//! - [`operator`]: carries a command out on the user table, logs it, and answers.
//! - [`door`]: one door's loop: read a line, answer it.
//! - [`stdin`]: the first door, the server's standard input.
//! - [`socket`]: the second door, a Unix socket of mode 0600: where it lives, a stale one
//!   replaced, one server per path.
//! - [`remote`]: `server console`, the other end of the socket.

pub mod command;
pub mod door;
pub mod list;
pub mod operator;
pub mod remote;
pub mod socket;
pub mod stdin;

pub use operator::{Door, Operator};

use crate::log;
use std::path::PathBuf;

/// Opens the control socket of the server on `port`: at `path`, or the default path (see
/// [`socket`]). Returns what removes the socket file when dropped; `None`, with a log line,
/// when the default path cannot be used (the server runs on without it).
///
/// # Errors
/// A `path` given by the operator cannot be used: the message says why and what to do.
pub fn open_socket(
    operator: &Operator,
    port: u16,
    path: Option<PathBuf>,
) -> Result<Option<socket::SocketFile>, String> {
    let given = path.is_some();
    let path = path.unwrap_or_else(|| socket::default_path(port));
    let bound = socket::ControlSocket::bind(&path, !given).and_then(|s| {
        s.open(operator.clone())
            .map_err(|err| socket::SocketError::Io {
                what: "start a thread for",
                path: path.clone(),
                source: err,
            })
    });
    match bound {
        Ok(file) => {
            log!(
                "console: server console reaches this server (socket {})",
                path.display()
            );
            Ok(Some(file))
        }
        Err(err) if given => Err(err.to_string()),
        Err(err) => {
            log!("warning: no console socket: {err}; the console on standard input still works");
            Ok(None)
        }
    }
}
