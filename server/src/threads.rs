//! The session threads: started ahead of need, each accepting its own connection, so that a
//! new connection never waits for a thread to be created or handed over.
//!
//! Every connection is served start to finish by one thread of its own. What this module
//! decides is when that thread is made and how the connection reaches it:
//!
//! - **Made ahead.** Creating a thread costs a `clone`, a stack `mmap` and guard `mprotect`s,
//!   serialised on the process's memory map: about 60 µs on the benchmark machine, more than
//!   the rest of a registration. The operator's number of spare threads (`--spare-threads`)
//!   are made before the server serves; then a spawner thread, on whichever core is free,
//!   keeps that many waiting, so a burst of connections (a whole lab logging in at once) is
//!   met by threads that already exist.
//! - **Accepting for themselves.** Each waiting thread blocks in `accept` on the shared
//!   listener; the kernel wakes one of them per connection. No acceptor thread hands the socket
//!   over, which would cost one more wake-up, on another core, before the client hears
//!   anything.
//! - **Reused.** When its connection ends, a thread goes back to `accept`, unless twice the
//!   spare count are already waiting.
//!
//! [`Threads::stop`] shuts the listener down, which on Linux wakes every waiting `accept`
//! (elsewhere `shutdown` on a listener fails and waiting threads stay until the process
//! exits).

use crate::log;
use parking_lot::{Condvar, Mutex};
use socket2::SockRef;
use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Spare threads kept even while connections are arriving.
const FLOOR: usize = 32;
/// Spare threads are made back up to the target only once no connection has arrived for this
/// long: during a burst, the cores serve the burst.
const QUIET: Duration = Duration::from_millis(20);

/// Serves one accepted connection; runs on the thread that accepted it.
pub type Serve = dyn Fn(TcpStream, SocketAddr) + Send + Sync;

struct Counts {
    /// Threads started and not serving a connection: in `accept`, or on their way there.
    spare: usize,
    /// When the last connection was accepted.
    last_accept: Option<Instant>,
    /// Threads serving a connection (including draining it after it ended).
    serving: usize,
}

/// The session threads of one listener.
pub struct Threads {
    shared: Arc<Shared>,
}

struct Shared {
    listener: TcpListener,
    serve: Box<Serve>,
    stack: usize,
    /// Threads kept waiting in `accept`.
    target: usize,
    stopped: AtomicBool,
    counts: Mutex<Counts>,
    /// Signalled when the spawner has work: spare threads fell below the target, or below
    /// [`FLOOR`]; and on stop.
    wanted: Condvar,
    /// Signalled when the last connection being served ends.
    idle: Condvar,
    /// Held by the one thread waiting out a failing `accept` (the others queue behind it),
    /// with when an `accept` error was last logged.
    accept_failing: Mutex<Option<Instant>>,
}

impl Threads {
    /// Starts serving `listener`: makes `spare` threads (at least one) with `stack` bytes of
    /// stack each, waiting in `accept`, then a spawner thread that keeps that many waiting.
    ///
    /// # Errors
    /// Not even one session thread, or the spawner, could be started.
    pub fn start(
        listener: TcpListener,
        spare: usize,
        stack: usize,
        serve: Box<Serve>,
    ) -> io::Result<Threads> {
        let target = spare.max(1);
        let shared = Arc::new(Shared {
            listener,
            serve,
            stack,
            target,
            stopped: AtomicBool::new(false),
            counts: Mutex::new(Counts {
                spare: 0,
                last_accept: None,
                serving: 0,
            }),
            wanted: Condvar::new(),
            idle: Condvar::new(),
            accept_failing: Mutex::new(None),
        });
        for made in 0..target {
            if let Err(err) = spawn_one(&shared) {
                if made == 0 {
                    return Err(err);
                }
                log!("warning: made {made} of {target} spare threads: {err}");
                break;
            }
        }
        // Made before the spawner, so that if the spawner cannot start, dropping it stops the
        // threads already waiting.
        let threads = Threads {
            shared: Arc::clone(&shared),
        };
        thread::Builder::new()
            .name("spawner".into())
            .spawn(move || spawn_loop(&shared))?;
        Ok(threads)
    }

    /// Stops accepting: shuts the listener down, which makes every waiting `accept` return,
    /// and ends the spawner. Connections being served are not touched.
    pub fn stop(&self) {
        if self.shared.stopped.swap(true, Ordering::SeqCst) {
            return;
        }
        if let Err(err) = SockRef::from(&self.shared.listener).shutdown(Shutdown::Read) {
            log!("warning: cannot shut the listener down: {err}");
        }
        let _guard = self.shared.counts.lock();
        self.shared.wanted.notify_all();
    }
}

impl Threads {
    /// Waits until no thread is serving a connection, or `deadline` passes; true if none is.
    /// After [`stop`](Threads::stop), no new connection is served, so this waits for the
    /// connections being served to end.
    pub fn wait_idle(&self, deadline: Instant) -> bool {
        let mut counts = self.shared.counts.lock();
        while counts.serving > 0 {
            if self
                .shared
                .idle
                .wait_until(&mut counts, deadline)
                .timed_out()
            {
                return counts.serving == 0;
            }
        }
        true
    }
}

impl Drop for Threads {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Shared {
    fn stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    fn floor(&self) -> usize {
        FLOOR.min(self.target)
    }

    /// Threads allowed to wait after their connection ended; beyond this they end.
    fn keep(&self) -> usize {
        self.target.saturating_mul(2)
    }
}

/// Starts one session thread, counted as spare.
fn spawn_one(shared: &Arc<Shared>) -> io::Result<()> {
    shared.counts.lock().spare += 1;
    let worker = Arc::clone(shared);
    let started = thread::Builder::new()
        .name("session".into())
        .stack_size(shared.stack)
        .spawn(move || work(&worker));
    if started.is_err() {
        shared.counts.lock().spare -= 1;
    }
    started.map(drop)
}

/// Keeps [`FLOOR`] spare threads while connections arrive, and the target number once they
/// stop for [`QUIET`], until stopped.
///
/// When a thread cannot be made (a limit on threads or memory maps), it waits 100 ms, doubling
/// up to 10 s while the failures go on, and logs at most one line per wait.
fn spawn_loop(shared: &Arc<Shared>) {
    let mut failing = Duration::ZERO;
    let mut counts = shared.counts.lock();
    loop {
        if shared.stopped() {
            return;
        }
        if counts.spare >= shared.target {
            shared.wanted.wait(&mut counts);
            continue;
        }
        if counts.spare >= shared.floor() {
            let since = counts.last_accept.map_or(QUIET, |at| at.elapsed());
            if since < QUIET {
                shared.wanted.wait_for(&mut counts, QUIET - since);
                continue;
            }
        }
        let spare = counts.spare;
        drop(counts);
        match spawn_one(shared) {
            Ok(()) => failing = Duration::ZERO,
            Err(err) => {
                failing = (failing * 2).clamp(Duration::from_millis(100), Duration::from_secs(10));
                log!(
                    "could not start a session thread ({spare} waiting): {err}; trying again in {} ms",
                    failing.as_millis()
                );
                thread::sleep(failing);
            }
        }
        counts = shared.counts.lock();
    }
}

/// A session thread: accepts a connection, serves it, and goes back for the next one.
fn work(shared: &Shared) {
    loop {
        let (stream, peer) = match shared.listener.accept() {
            Ok(accepted) => accepted,
            Err(_) if shared.stopped() => {
                shared.counts.lock().spare -= 1;
                return;
            }
            Err(err) => {
                refused_accept(shared, &err);
                continue;
            }
        };
        {
            let mut counts = shared.counts.lock();
            counts.spare -= 1;
            counts.serving += 1;
            counts.last_accept = Some(Instant::now());
            // Wake the spawner when it must act now, or when it may be waiting untimed.
            if counts.spare < shared.floor() || counts.spare + 1 == shared.target {
                shared.wanted.notify_one();
            }
        }
        (shared.serve)(stream, peer);
        let mut counts = shared.counts.lock();
        counts.serving -= 1;
        if counts.serving == 0 {
            shared.idle.notify_all();
        }
        if shared.stopped() || counts.spare >= shared.keep() {
            return;
        }
        counts.spare += 1;
    }
}

/// An `accept` that failed: a peer that gave up before it was accepted is nothing; anything
/// else (out of file descriptors, out of memory) is logged once a second and waited out.
///
/// With no descriptor left, `accept` fails at once instead of waiting, for every spare thread:
/// one thread at a time sleeps 10 ms and the others queue behind it, so the shortage costs
/// about 100 `accept` calls a second, not 100 per spare thread.
fn refused_accept(shared: &Shared, err: &io::Error) {
    if matches!(
        err.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::Interrupted
    ) {
        return;
    }
    let mut last_logged = shared.accept_failing.lock();
    if last_logged.is_none_or(|at| at.elapsed() >= Duration::from_secs(1)) {
        *last_logged = Some(Instant::now());
        log!("accept failed: {err}");
    }
    thread::sleep(Duration::from_millis(10));
}
