//! The relay that moves eve's bytes: it accepts each student, connects to the server for it
//! (from the student's own loopback address, [`crate::eve::source`], within a timeout), and
//! feeds every line to the one [`Interceptor`].
//!
//! Threads, per student: a reader for each direction (client to server, server to client) and a
//! writer for each socket; plus one printer, and a thread per `--grind` search.
//!
//! The rule of the lock (as the server's): decide and queue under it, never wait under it.
//! Under eve's one lock a reader hands a line to the interceptor and queues what it decides
//! (to bounded [`Outbox`]es, to the printer). Everything slow is done with no lock held: key
//! arithmetic ([`Interceptor::needs`]), the toy group's key search (once per chat, by the reader
//! that saw the second value, before that value goes on), a grind, writing sockets and the
//! screen. After queueing, the reader waits for room in the outboxes
//! it queued to, as the server's sessions do ([`common::backpressure`]): a peer that does not
//! read slows whoever floods it, and is cut off after 5 s; nobody else waits.
//!
//! The screen is bounded too: rows come faster than a projector shows them only in a flood,
//! and then the surplus is counted and said, not kept.

use crate::eve::actions::{Actions, Needs, Way};
use crate::eve::args::CONNECT_TIMEOUT;
use crate::eve::intercept::Interceptor;
use crate::eve::layout::Layout;
use crate::eve::outbox::{Outbox, Room};
use crate::eve::source::{connect_from, source_for};
use common::line_reader::{Fill, LineReader};
use crossbeam_channel::{Receiver, Sender, TrySendError};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::io::Write;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;

/// Rows that may wait for the screen; past it, rows are counted and dropped.
const SCREEN_ROWS: usize = 2048;

/// What the relay's threads share.
struct Relay {
    /// Eve's view and each socket's outbox, under one lock.
    shared: Mutex<Shared>,
    /// The rows for the screen (never blocks: see [`Relay::print`]).
    screen: Sender<String>,
    /// Rows dropped because the screen fell behind, not yet said.
    dropped: AtomicU64,
    /// The server's address.
    server: SocketAddr,
    /// The backlog limit of each outbox.
    limit: usize,
    /// Connecting from a student's own address failed once, and was said.
    own_address_said: AtomicBool,
}

struct Shared {
    interceptor: Interceptor,
    /// Each connection's two sockets, by the way their lines go: to the server, to the client.
    outboxes: HashMap<(usize, Way), Arc<Outbox>>,
}

/// Serves every client that connects to `listener`, relaying it to `server`, with eve's
/// `interceptor` deciding and `layout` for the screen. Each socket's outbox holds at most
/// `limit` bytes. Runs until the process ends.
pub fn run(
    listener: &TcpListener,
    server: SocketAddr,
    interceptor: Interceptor,
    layout: Layout,
    limit: usize,
) {
    let (screen, rows) = crossbeam_channel::bounded(SCREEN_ROWS);
    let relay = Arc::new(Relay {
        shared: Mutex::new(Shared {
            interceptor,
            outboxes: HashMap::new(),
        }),
        screen,
        dropped: AtomicU64::new(0),
        server,
        limit,
        own_address_said: AtomicBool::new(false),
    });
    {
        let relay = Arc::clone(&relay);
        if let Err(err) = thread::Builder::new()
            .name("screen".into())
            .spawn(move || show_rows(&rows, layout, &relay.dropped))
        {
            eprintln!("eve: cannot start: {err}");
            return;
        }
    }
    for (conn, client) in listener.incoming().flatten().enumerate() {
        let relay_for_conn = Arc::clone(&relay);
        let started = thread::Builder::new()
            .name(format!("conn-{conn}"))
            .spawn(move || serve(&relay_for_conn, conn, client));
        if let Err(err) = started {
            relay.print(format!("eve: cannot relay connection {conn}: {err}"));
        }
    }
}

impl Relay {
    /// Queues a row for the screen, or counts it if the screen is that far behind.
    fn print(&self, row: String) {
        if let Err(TrySendError::Full(_)) = self.screen.try_send(row) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Connects connection `conn`'s client to the server, starts a writer for each socket and a
/// reader for the server's lines, and reads the client's lines in this thread.
fn serve(relay: &Arc<Relay>, conn: usize, client: TcpStream) {
    let source = client
        .peer_addr()
        .ok()
        .and_then(|peer| source_for(peer.ip(), relay.server));
    let server = match connect_from(source, relay.server, CONNECT_TIMEOUT) {
        Ok((server, from_source)) => {
            if source.is_some()
                && !from_source
                && !relay.own_address_said.swap(true, Ordering::Relaxed)
            {
                relay.print(
                    "eve: this system will not let eve connect from a loopback address of \
                     each student's own; the server sees the whole class as eve's one address"
                        .into(),
                );
            }
            server
        }
        Err(err) => {
            relay.print(format!(
                "eve: cannot relay connection {conn} to the server at {}: {err}",
                relay.server
            ));
            let _ = client.shutdown(Shutdown::Both);
            return;
        }
    };
    let _ = server.set_nodelay(true);
    let _ = client.set_nodelay(true);
    if let Err(err) = start(relay, conn, &client, &server) {
        relay.print(format!("eve: cannot relay connection {conn}: {err}"));
        let _ = client.shutdown(Shutdown::Both);
        let _ = server.shutdown(Shutdown::Both);
        return;
    }
    pump(relay, conn, Way::ToServer, client);
}

/// Starts the two writers and the reader of the server's lines.
fn start(
    relay: &Arc<Relay>,
    conn: usize,
    client: &TcpStream,
    server: &TcpStream,
) -> std::io::Result<()> {
    for (socket, way) in [(server, Way::ToServer), (client, Way::ToClient)] {
        let outbox = Arc::new(Outbox::new(socket.try_clone()?, relay.limit));
        let writer_socket = socket.try_clone()?;
        let writer = Arc::clone(&outbox);
        thread::Builder::new()
            .name(format!("write-{conn}"))
            .spawn(move || writer.write_all_to(writer_socket))?;
        relay.shared.lock().outboxes.insert((conn, way), outbox);
    }
    let from_server = server.try_clone()?;
    let reader = Arc::clone(relay);
    thread::Builder::new()
        .name(format!("read-{conn}"))
        .spawn(move || pump(&reader, conn, Way::ToClient, from_server))?;
    Ok(())
}

/// Feeds each line read from `from` (going `way`) to the interceptor and queues what it says,
/// then waits for room where it queued. Lines are framed as the server frames them
/// (`common::line_reader`): a line the server would drop (over 8192 bytes, not UTF-8, a NUL)
/// is dropped here with a note, and a peer that sends over 1 MiB without a line break is cut
/// off.
fn pump(relay: &Arc<Relay>, conn: usize, way: Way, mut from: TcpStream) {
    let mut lines = LineReader::new(4 * 1024, 64 * 1024);
    while let Fill::Data | Fill::TimedOut = lines.fill(&mut from) {
        while let Some(line) = lines.next_line() {
            match line {
                Ok(text) => take_line(relay, conn, way, &text),
                Err(err) => relay.print(format!("eve: [{}] {err}", route(conn, way))),
            }
        }
        if lines.is_flooding() {
            relay.print(format!(
                "eve: [{}] over 1 MiB without a line break; cut off",
                route(conn, way)
            ));
            let _ = from.shutdown(Shutdown::Both);
            break;
        }
    }
    // This direction is over: its outbox sends what is queued, then ends the stream on the
    // other side.
    let mut shared = relay.shared.lock();
    if let Some(outbox) = shared.outboxes.remove(&(conn, way)) {
        outbox.close();
    }
    if way == Way::ToClient {
        let actions = shared.interceptor.closed(conn);
        let _ = dispatch(relay, &mut shared, actions);
    }
}

/// One line through the interceptor: the arithmetic it needs done first with no lock held,
/// then decided and queued under the lock; then the slow parts, and the wait for room.
fn take_line(relay: &Arc<Relay>, conn: usize, way: Way, text: &str) {
    let mut shared = relay.shared.lock();
    let mut actions = match shared.interceptor.needs(conn, way, text) {
        Needs::Nothing => shared.interceptor.relay(conn, way, text),
        needs => {
            drop(shared);
            let prepared = needs.compute();
            shared = relay.shared.lock();
            shared.interceptor.relay_prepared(conn, way, text, prepared)
        }
    };
    if let Some(job) = actions.crack.take() {
        // Once per chat, with no lock held, and before this line goes on: its partner cannot
        // send a secure message before eve holds the key. Microseconds (see `CrackJob`).
        drop(shared);
        let outcome = job.run();
        shared = relay.shared.lock();
        let cracked = shared.interceptor.cracked(&job, outcome);
        actions.print.extend(cracked.print);
    }
    let touched = dispatch(relay, &mut shared, actions);
    drop(shared);
    // Queued to (each once, see `dispatch`): wait for each to have room before reading more
    // (a flood waits here).
    for outbox in touched {
        if outbox.wait_room() == Room::Stalled {
            relay.print(format!(
                "eve: [{}] not reading: {} bytes waited over {} s; cut off",
                route(conn, way),
                outbox.backlog(),
                common::backpressure::STALL.as_secs()
            ));
            outbox.cut_off();
        }
    }
}

/// Where a line went, as eve's rows say it.
fn route(conn: usize, way: Way) -> String {
    match way {
        Way::ToServer => format!("connection {conn} -> server"),
        Way::ToClient => format!("server -> connection {conn}"),
    }
}

/// Queues the lines and rows of `actions` (under the lock: nothing here waits), and starts a
/// grind in a thread of its own. Returns the outboxes queued to.
fn dispatch(relay: &Arc<Relay>, shared: &mut Shared, actions: Actions) -> Vec<Arc<Outbox>> {
    let mut touched: Vec<Arc<Outbox>> = Vec::new();
    for out in actions.send {
        // No outbox: that socket is closed, and the line has nowhere to go.
        if let Some(outbox) = shared.outboxes.get(&(out.conn, out.way)) {
            if outbox.push(out.line) && !touched.iter().any(|t| Arc::ptr_eq(t, outbox)) {
                touched.push(Arc::clone(outbox));
            }
        }
    }
    for row in actions.print {
        relay.print(row);
    }
    if let Some(job) = actions.grind {
        let search_relay = Arc::clone(relay);
        let started = thread::Builder::new()
            .name(format!("grind-{}", job.chat))
            .spawn(move || {
                let outcome = job.run(|row| search_relay.print(row));
                let mut shared = search_relay.shared.lock();
                let actions = shared.interceptor.ground(&job, outcome);
                let _ = dispatch(&search_relay, &mut shared, actions);
            });
        if let Err(err) = started {
            relay.print(format!(
                "eve: cannot start a search: {err}; the held values stay held"
            ));
        }
    }
    touched
}

/// Prints each queued row, escaped for the terminal and laid out by `layout`; says how many
/// rows were dropped when the screen fell behind.
fn show_rows(rows: &Receiver<String>, layout: Layout, dropped: &AtomicU64) {
    for row in rows {
        let mut out = std::io::stdout().lock();
        for row in std::iter::once(row).chain(rows.try_iter()) {
            for shown in layout.rows(&common::escape::escape_for_terminal(&row)) {
                let _ = writeln!(out, "{shown}");
            }
        }
        let missed = dropped.swap(0, Ordering::Relaxed);
        if missed > 0 {
            for shown in layout.rows(&format!(
                "eve: {missed} rows not shown: they came faster than the screen shows them"
            )) {
                let _ = writeln!(out, "{shown}");
            }
        }
        let _ = out.flush();
    }
}
