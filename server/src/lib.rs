//! The labchat server: accepts clients, keeps the user table, relays chat between partners.
//!
//! Layout:
//! - [`listen`]: binds the port (IPv4 and IPv6) and lists the addresses clients can use.
//! - [`users`]: the user table behind one lock; every decision is made there.
//! - [`session`]: one thread per connection, turning lines into table calls.
//! - [`outbox`]: each client's queued output and the thread that writes it.
//! - [`config`]: the operator's choices.
//! - [`mod@log`]: timestamped lines on stderr.
#![forbid(unsafe_code)]

pub mod config;
pub mod listen;
pub mod log;
pub mod outbox;
pub mod session;
pub mod users;

use crate::config::Config;
use crate::users::Users;
use crossbeam_channel::Receiver;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Stack for a session thread: line handling is shallow; the read buffer is on the heap.
const SESSION_STACK: usize = 256 * 1024;

/// How long shutdown waits for every client to be sent its last lines.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(1500);

/// Serves `listener` until `shutdown` receives a message (or its sender is dropped), then
/// tells every client, closes every connection and returns.
pub fn run(listener: TcpListener, config: Config, shutdown: Receiver<()>) {
    if let Err(err) = listen::set_client_options(&listener) {
        log!("warning: cannot set keepalive and no-delay on client sockets: {err}");
    }
    let users = Arc::new(Users::new(config.max_clients));
    let config = Arc::new(config);
    let stopping = Arc::new(AtomicBool::new(false));
    let local = listener.local_addr().ok();
    let acceptor = {
        let (users, stopping) = (Arc::clone(&users), Arc::clone(&stopping));
        thread::spawn(move || accept_loop(&listener, &users, &config, &stopping))
    };
    let _ = shutdown.recv();
    log!("shutting down: telling {} connection(s)", users.len());
    stopping.store(true, Ordering::SeqCst);
    let outboxes = users.shut_down();
    let woken = local.is_some_and(wake);
    let deadline = Instant::now() + SHUTDOWN_GRACE;
    let unfinished = outboxes.iter().filter(|o| !o.wait_closed(deadline)).count();
    for outbox in &outboxes {
        outbox.abort();
    }
    if unfinished > 0 {
        log!("{unfinished} client(s) did not take their last lines in time; cut off");
    }
    if woken {
        let _ = acceptor.join();
    }
    // Otherwise the acceptor stays blocked in `accept` and ends with the process.
    log!("server stopped");
}

fn accept_loop(
    listener: &TcpListener,
    users: &Arc<Users>,
    config: &Arc<Config>,
    stopping: &AtomicBool,
) {
    for stream in listener.incoming() {
        if stopping.load(Ordering::SeqCst) {
            return;
        }
        match stream {
            Ok(stream) => {
                let (users, config) = (Arc::clone(users), Arc::clone(config));
                let spawned = thread::Builder::new()
                    .name("session".into())
                    .stack_size(SESSION_STACK)
                    .spawn(move || session::serve(stream, users, config));
                if let Err(err) = spawned {
                    log!("could not start a thread for a new connection: {err}");
                }
            }
            Err(err) => {
                // Out of file descriptors, or the peer gave up before accept: keep serving.
                log!("accept failed: {err}");
                thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// Unblocks the acceptor's `accept` by connecting to it; true if a connection was made.
///
/// A listener on every address is tried on IPv4 loopback first (a dual-stack socket accepts
/// it too), then on IPv6 loopback: on some machines `::1` does not exist.
fn wake(addr: SocketAddr) -> bool {
    let port = addr.port();
    let targets: Vec<SocketAddr> = match addr.ip() {
        ip if !ip.is_unspecified() => vec![addr],
        IpAddr::V4(_) => vec![(Ipv4Addr::LOCALHOST, port).into()],
        IpAddr::V6(_) => vec![
            (Ipv4Addr::LOCALHOST, port).into(),
            (Ipv6Addr::LOCALHOST, port).into(),
        ],
    };
    targets
        .iter()
        .any(|target| TcpStream::connect_timeout(target, Duration::from_millis(500)).is_ok())
}
