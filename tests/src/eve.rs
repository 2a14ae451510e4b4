//! The real `eve` teaching relay between clients and a server: passive, `--mitm`, or
//! `--grind` (the strongest attack on safety codes a relay can run). Tests of the key exchange
//! drive this binary rather than a copy of its search, so they test what a class sees.

use crate::{binary, Server, Transcript, WAIT};
use std::process::{Child, Command, Stdio};

/// A running `eve 0 127.0.0.1:<server port> <mode...>`, killed on drop.
pub struct Eve {
    child: Child,
    /// The port clients connect to instead of the server's.
    pub port: u16,
    /// Everything eve printed: each line that crossed it, and what it made of it.
    pub out: Transcript,
}

impl Eve {
    /// Starts a passive eve in front of `server`.
    pub fn start(server: &Server) -> Eve {
        Eve::start_with(server, &[])
    }

    /// Starts eve in front of `server` with `extra` options (`--mitm`, `--grind`...).
    ///
    /// # Panics
    /// If eve does not say which port it listens on within [`WAIT`].
    pub fn start_with(server: &Server, extra: &[&str]) -> Eve {
        let mut child = Command::new(binary("eve"))
            .args(["0", &format!("127.0.0.1:{}", server.port())])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("eve starts");
        let out = Transcript::capture(child.stdout.take().expect("piped"));
        let port = out
            .wait_for(WAIT, |l| l.starts_with("eve: listening on port "))
            .and_then(|l| {
                l.split_whitespace()
                    .nth(4)?
                    .trim_end_matches(',')
                    .parse()
                    .ok()
            })
            .expect("eve says which port it listens on");
        Eve { child, port, out }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until eve prints a line for which `pred` holds, or fails with all she printed.
    ///
    /// # Panics
    /// If no such line comes within [`WAIT`].
    pub fn says(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        self.out
            .wait_for(WAIT, pred)
            .unwrap_or_else(|| panic!("eve never said {what}: {:#?}", self.out.lines()))
    }
}

impl Drop for Eve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
