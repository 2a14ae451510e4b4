//! The labchat server: accepts clients, keeps the user table, relays chat between partners.
//!
//! Layout:
//! - [`advertise`]: tells the LAN where the server is (mDNS/DNS-SD), for `client` with no address.
//! - [`listen`]: binds the port (IPv4 and IPv6) and lists the addresses clients can use.
//! - [`users`]: the user table behind one lock; every decision is made there.
//! - [`session`]: one thread per connection, turning lines into table calls.
//! - [`threads`]: the session threads, started ahead of need and reused.
//! - [`sink`]: what the user table needs of a client's queue (so it holds no socket).
//! - [`outbox`]: each client's queued output and the thread that writes it.
//! - [`budget`]: the memory all queued output may take, and each address's share of it.
//! - [`linger`]: ending a connection so that its last notice arrives (no reset).
//! - [`hosts`]: connections open per client address, for `--max-per-host`.
//! - [`kept`]: names kept for the address that lost them, which no other address can evict.
//! - [`rate`]: how often one connection may ask for `status`.
//! - [`refusals`]: a run of identical refusals told once, then counted.
//! - [`config`]: the operator's choices.
//! - [`console`]: the operator's commands, on standard input and a control socket.
//! - [`bans`]: addresses the operator banned, until when.
//! - [`mod@log`]: timestamped lines on stderr.
#![forbid(unsafe_code)]

pub mod advertise;
pub mod bans;
pub mod budget;
pub mod config;
pub mod console;
pub mod hosts;
pub mod kept;
pub mod linger;
pub mod listen;
pub mod log;
pub mod outbox;
pub mod rate;
pub mod refusals;
pub mod session;
pub mod sink;
pub mod threads;
pub mod users;

use crate::budget::Budget;
use crate::config::Config;
use crate::hosts::Hosts;
use crate::threads::Threads;
use crate::users::Users;
use std::io;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Stack for a session thread: line handling is shallow; the read buffer is on the heap.
const SESSION_STACK: usize = 256 * 1024;

/// How long shutdown waits for every client to be sent its last lines.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(1500);

/// A server that is serving, from [`start`] until [`Running::stop`].
pub struct Running {
    users: Arc<Users>,
    threads: Threads,
}

/// Starts serving `listener`: the configured spare session threads exist when this returns,
/// each waiting in `accept`.
///
/// # Errors
/// Not even one session thread could be started.
pub fn start(listener: TcpListener, config: Config) -> io::Result<Running> {
    if let Err(err) = listen::set_client_options(&listener) {
        log!("warning: cannot set keepalive and no-delay on client sockets: {err}");
    }
    let users =
        Arc::new(<Users>::new(config.max_clients).keeping_per_network(config.max_per_network));
    let (per_second, burst) = session::address_commands(&config);
    let hosts = Arc::new(
        Hosts::with_command_budget(config.max_per_host, per_second, burst)
            .with_network_ceiling(config.max_per_network),
    );
    let budget = Arc::new(Budget::new(config.output_budget));
    let spare = config.spare_threads;
    let config = Arc::new(config);
    let serve = {
        let users = Arc::clone(&users);
        Box::new(move |stream, peer| {
            session::serve(
                stream,
                peer,
                &hosts,
                &budget,
                Arc::clone(&users),
                Arc::clone(&config),
            );
        })
    };
    let threads = Threads::start(listener, spare, SESSION_STACK, serve)?;
    Ok(Running { users, threads })
}

impl Running {
    /// The operator's commands over this server's table (see [`console`]); `stop` is the
    /// channel that stops the server, as Ctrl+C does.
    pub fn operator(&self, stop: crossbeam_channel::Sender<()>) -> console::Operator {
        console::Operator::new(Arc::clone(&self.users), stop)
    }

    /// Tells every client the server is shutting down, stops accepting, waits up to
    /// 1.5 s (`SHUTDOWN_GRACE`) for the last lines to be sent and for clients to close their
    /// end, and closes every connection, discarding what clients sent meanwhile so that the
    /// close is not a reset (see [`linger`]).
    pub fn stop(self) {
        log!("shutting down: telling {} connection(s)", self.users.len());
        // The table first: a connection accepted from now on is refused by its thread with
        // "shutting down" (the process may exit before that line is sent; connections still
        // in the listen backlog when the listener is shut are reset).
        let outboxes = self.users.shut_down();
        self.threads.stop();
        let deadline = Instant::now() + SHUTDOWN_GRACE;
        let unfinished = outboxes.iter().filter(|o| !o.wait_closed(deadline)).count();
        // Each session goes on reading (and ignoring) what its client sends until the client
        // closes: the process exiting with unread input on a socket would reset it, and with
        // it the last lines not yet delivered. A client that keeps its end open costs the
        // rest of the grace period.
        self.threads.wait_idle(deadline);
        for outbox in &outboxes {
            outbox.discard_input();
            outbox.abort();
        }
        if unfinished > 0 {
            log!("{unfinished} client(s) did not take their last lines in time; cut off");
        }
        log!("server stopped");
    }
}
