//! `server console`: the operator's end of the control socket. Sends each line of standard
//! input to the server and prints its answers, so it works typed at a terminal and in a pipe
//! (`echo list | server console`).

use std::io::{self, BufRead, IsTerminal, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::thread;

/// Connects to the console socket at `path` and relays until the server closes it (after the
/// last answer once standard input ends, or at `stop`).
///
/// # Errors
/// A message naming the path and what to check, when the socket cannot be reached.
pub fn run(path: &Path) -> Result<(), String> {
    let stream = UnixStream::connect(path).map_err(|err| {
        format!(
            "cannot reach the server console at {}: {err}; is the server running, as this user, on that port? (or give --socket PATH)",
            path.display()
        )
    })?;
    if io::stdin().is_terminal() {
        eprintln!(
            "connected to the server console at {}; type help for the commands, Ctrl+D to leave",
            path.display()
        );
    }
    let to_server = stream
        .try_clone()
        .map_err(|err| format!("cannot use the console socket: {err}"))?;
    // Standard input on a thread of its own: when the server closes (after `stop`), the
    // answers end and this returns at once, without waiting for another line to be typed.
    thread::Builder::new()
        .name("stdin".into())
        .spawn(move || {
            let mut to_server = &to_server;
            for line in io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if writeln!(to_server, "{line}").is_err() {
                    return;
                }
            }
            let _ = to_server.shutdown(Shutdown::Write);
        })
        .map_err(|err| format!("cannot start a thread: {err}"))?;
    let mut answers = io::BufReader::new(&stream);
    let mut out = io::stdout().lock();
    let mut line = String::new();
    loop {
        line.clear();
        match answers.read_line(&mut line) {
            Ok(0) => return Ok(()),
            Ok(_) => {
                if out
                    .write_all(line.as_bytes())
                    .and_then(|()| out.flush())
                    .is_err()
                {
                    return Ok(());
                }
            }
            Err(err) => return Err(format!("the console connection broke: {err}")),
        }
    }
}
