//! The operator's choices, fixed when the server starts.

use common::identity::Identity;
use std::sync::Arc;
use std::time::Duration;

/// How the server behaves; see `server --help` for the command-line names.
#[derive(Debug, Clone)]
pub struct Config {
    /// Connections admitted at once, named or not; the next one is told `Server full`.
    pub max_clients: usize,
    /// Connections one client address may have open at once; the next one from it is told
    /// so and closed.
    pub max_per_host: usize,
    /// Connections the addresses of one network (an IPv6 /64; all of loopback) may have open
    /// together (see [`crate::hosts`]).
    pub max_per_network: usize,
    /// How long a new connection has to send an acceptable name.
    pub name_timeout: Duration,
    /// Bytes that may wait for one client that is not reading; past this it is disconnected.
    pub backlog_limit: usize,
    /// Bytes of queued output the whole server may hold for its clients; one address may hold
    /// a thirty-second of it (see [`crate::budget`]).
    pub output_budget: usize,
    /// The Diffie-Hellman group named in `GEN_KEYS` at each new chat; `None` sends no
    /// `GEN_KEYS`.
    pub dh_group: Option<String>,
    /// `status` requests one connection may make a second once its burst is spent (the burst
    /// is 10, or this many if more); beyond that they are refused with a notice.
    pub status_per_second: u32,
    /// Commands that make the server work (all but chat and `close`) one connection may make
    /// a second, after a burst of four times that; one address may make four times the rate
    /// and burst of one connection, all its connections together. Beyond that a command is
    /// refused with a notice and ignored.
    pub command_per_second: u32,
    /// Session threads kept waiting for new connections, so that a burst of logins does not
    /// wait for threads to be created.
    pub spare_threads: usize,
    /// The server's long-term identity, which it proves to a client that opens with
    /// `hello <nonce>`. Without one, `hello` is read as a proposed name (and refused), as an
    /// older server does.
    pub identity: Option<Arc<Identity>>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_clients: 10_000,
            max_per_host: 32,
            max_per_network: 512,
            name_timeout: Duration::from_secs(30),
            backlog_limit: common::backpressure::DEFAULT_BACKLOG_LIMIT,
            output_budget: crate::budget::DEFAULT_BUDGET,
            dh_group: None,
            spare_threads: 64,
            status_per_second: 2,
            command_per_second: 5,
            identity: None,
        }
    }
}
