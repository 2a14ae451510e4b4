//! `eve LISTEN_PORT SERVER_HOST:PORT`: a teaching tool that shows what anyone on the lab
//! network sees. It relays every connection on LISTEN_PORT to the server unchanged and prints
//! each line that crosses, with what it reveals: names, who talks to whom, plain messages,
//! sealed tokens, and, for a chat in the original's toy group, the recovered key and every
//! secure message decrypted live. With `--mitm` it swaps in keys of its own and re-seals every
//! secure message, and the two safety codes differ. With `--grind` it also holds back each
//! client's public value and searches for values of its own that make the two codes agree,
//! which clients that commit first refuse. Never run by default; point a class's clients at it
//! on purpose.
//!
//! Threads: two readers per connection (client to server, server to client) feed each line to
//! the one [`Interceptor`]; one writer per socket and one printer take what it decides from
//! queues; a search runs in a thread of its own and hands its outcome back to the interceptor.
#![forbid(unsafe_code)]

use clap::Parser;
use client::eve::actions::{Actions, Way};
use client::eve::intercept::{Interceptor, Mode};
use client::eve::search::{Goal, CODE_DIGITS};
use common::line_reader::{Fill, LineReader};
use crossbeam_channel::{Receiver, Sender};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::io::Write;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// Relays clients to a labchat server and prints what an eavesdropper learns (for teaching).
#[derive(Debug, Parser)]
#[command(name = "eve", version, max_term_width = 80)]
struct Args {
    /// Port the clients connect to (0 picks a free one and prints it).
    listen_port: u16,
    /// The real server, as HOST:PORT.
    server: String,
    /// Sit in the middle: answer each client's key exchange with a key of eve's own, read and
    /// re-seal every secure message, and show the two different safety codes this causes.
    #[arg(long)]
    mitm: bool,
    /// Sit in the middle as with --mitm, but hold back each client's public value until eve
    /// has both, then search for values that make the two safety codes agree, and show why
    /// clients that committed first refuse them.
    #[arg(long)]
    grind: bool,
    /// With --grind: how many leading digits of the two codes must agree (1 to 12).
    #[arg(long, value_name = "N", default_value_t = 6, requires = "grind",
          value_parser = clap::value_parser!(u8).range(1..=CODE_DIGITS as i64))]
    grind_digits: u8,
    /// With --grind: give up after this many seconds and send the values eve committed to.
    #[arg(long, value_name = "SECONDS", default_value_t = 20, requires = "grind",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    grind_seconds: u64,
}

const USAGE: &str =
    "eve LISTEN_PORT SERVER_HOST:PORT [--mitm | --grind [--grind-digits N] [--grind-seconds S]]";

fn main() -> ExitCode {
    let args = match common::usage::parse_or_exit::<Args>("eve", USAGE) {
        Ok(args) => args,
        Err(code) => return code,
    };
    let listener = match TcpListener::bind(("0.0.0.0", args.listen_port)) {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("eve: cannot listen on port {}: {err}", args.listen_port);
            return ExitCode::from(1);
        }
    };
    let port = listener
        .local_addr()
        .map(|a| a.port())
        .unwrap_or(args.listen_port);
    println!(
        "eve: listening on port {port}, relaying to {}; every line below crossed the wire",
        args.server
    );
    let interceptor = if args.grind {
        let goal = Goal {
            digits: usize::from(args.grind_digits),
            budget: Duration::from_secs(args.grind_seconds),
        };
        println!(
            "eve: in the middle, grinding: each client's public value is held back until eve \
             has both, then it searches for values that make the codes agree in their first \
             {} digits (for at most {} s)",
            goal.digits, args.grind_seconds
        );
        Interceptor::new(Mode::grind(goal))
    } else if args.mitm {
        println!("eve: in the middle: the clients' keys are swapped for eve's own");
        Interceptor::new(Mode::middle())
    } else {
        Interceptor::new(Mode::Watch)
    };
    let _ = std::io::stdout().flush();
    let (printer, rows) = crossbeam_channel::unbounded();
    if let Err(err) = thread::Builder::new()
        .name("printer".into())
        .spawn(move || print_rows(&rows))
    {
        eprintln!("eve: cannot start: {err}");
        return ExitCode::from(1);
    }
    let relay: Relay = Arc::new(Mutex::new(Shared {
        interceptor,
        outboxes: HashMap::new(),
        printer,
    }));
    for (conn, client) in listener.incoming().flatten().enumerate() {
        if let Err(err) = connect(&relay, conn, client, &args.server) {
            let _ = relay.lock().printer.send(format!(
                "eve: cannot relay connection {conn} to the server at {}: {err}",
                args.server
            ));
        }
    }
    ExitCode::SUCCESS
}

/// What the relay's threads share, under one lock: eve's [`Interceptor`], and the queue of each
/// socket's writer thread and of the printer.
///
/// The rule: decide and queue under the lock (queueing never blocks: the queues are
/// unbounded), write to sockets and stdout in their own threads with no lock held. Deciding and
/// queueing in one step keeps each socket's lines in the order eve decided them, also when a
/// held line is let go later by a search's thread. A search itself runs outside the lock.
struct Shared {
    interceptor: Interceptor,
    /// Each connection's two sockets, by the way their lines go: to the server, to the client.
    outboxes: HashMap<(usize, Way), Sender<String>>,
    printer: Sender<String>,
}

type Relay = Arc<Mutex<Shared>>;

/// Connects connection `conn`'s client to the server and starts its four threads: a writer
/// for each socket, and a reader for each direction.
fn connect(relay: &Relay, conn: usize, client: TcpStream, server: &str) -> std::io::Result<()> {
    let server = TcpStream::connect(server)?;
    let writers = [
        (server.try_clone()?, Way::ToServer),
        (client.try_clone()?, Way::ToClient),
    ];
    for (socket, way) in writers {
        let (outbox, lines) = crossbeam_channel::unbounded();
        thread::Builder::new()
            .name(format!("write-{conn}"))
            .spawn(move || write_lines(socket, &lines))?;
        relay.lock().outboxes.insert((conn, way), outbox);
    }
    for (from, way) in [(client, Way::ToServer), (server, Way::ToClient)] {
        let relay = Arc::clone(relay);
        thread::Builder::new()
            .name(format!("read-{conn}"))
            .spawn(move || pump(conn, way, from, &relay))?;
    }
    Ok(())
}

/// Feeds each line read from `from` (going `way`) to the interceptor, and queues what it says.
/// Lines are framed as the server frames them (`common::line_reader`): a line the server
/// would drop (over 8192 bytes, not UTF-8, a NUL) is dropped here with a note, and a peer that
/// sends over 1 MiB without a line break is cut off, so no peer can grow eve's memory.
fn pump(conn: usize, way: Way, mut from: TcpStream, relay: &Relay) {
    let mut lines = LineReader::new(4 * 1024, 64 * 1024);
    while let Fill::Data | Fill::TimedOut = lines.fill(&mut from) {
        while let Some(line) = lines.next_line() {
            let mut shared = relay.lock();
            match line {
                Ok(text) => {
                    let actions = shared.interceptor.relay(conn, way, &text);
                    dispatch(relay, &mut shared, actions);
                }
                Err(err) => {
                    let _ = shared
                        .printer
                        .send(format!("eve: [{}] {err}", route(conn, way)));
                }
            }
        }
        if lines.is_flooding() {
            let _ = relay.lock().printer.send(format!(
                "eve: [{}] over 1 MiB without a line break; cut off",
                route(conn, way)
            ));
            let _ = from.shutdown(Shutdown::Both);
            break;
        }
    }
    // This direction is over: dropping its queue lets the writer send what is queued, then
    // end the stream on the other side.
    let mut shared = relay.lock();
    shared.outboxes.remove(&(conn, way));
    if way == Way::ToClient {
        shared.interceptor.closed(conn);
    }
}

/// Where a line went, as eve's rows say it.
fn route(conn: usize, way: Way) -> String {
    match way {
        Way::ToServer => format!("connection {conn} -> server"),
        Way::ToClient => format!("server -> connection {conn}"),
    }
}

/// Queues the lines and rows of `actions`, and starts its search, if any, in a thread of its
/// own. Called with the lock held (`shared`): nothing here blocks.
fn dispatch(relay: &Relay, shared: &mut Shared, actions: Actions) {
    for out in actions.send {
        // No queue: that socket is closed, and the line has nowhere to go.
        if let Some(outbox) = shared.outboxes.get(&(out.conn, out.way)) {
            let _ = outbox.send(out.line);
        }
    }
    for row in actions.print {
        let _ = shared.printer.send(row);
    }
    let Some(job) = actions.grind else {
        return;
    };
    let (search_relay, printer) = (Arc::clone(relay), shared.printer.clone());
    let started = thread::Builder::new()
        .name(format!("grind-{}", job.chat))
        .spawn(move || {
            let outcome = job.run(|row| {
                let _ = printer.send(row);
            });
            let mut shared = search_relay.lock();
            let actions = shared.interceptor.ground(&job, outcome);
            dispatch(&search_relay, &mut shared, actions);
        });
    if let Err(err) = started {
        let _ = shared.printer.send(format!(
            "eve: cannot start a search: {err}; the held values stay held"
        ));
    }
}

/// Writes each queued line to `socket`; once the queue is closed and empty (or a write
/// fails), ends the stream.
fn write_lines(mut socket: TcpStream, lines: &Receiver<String>) {
    for line in lines {
        let mut batch = line + "\n";
        for more in lines.try_iter() {
            batch.push_str(&more);
            batch.push('\n');
        }
        if socket.write_all(batch.as_bytes()).is_err() {
            break;
        }
    }
    let _ = socket.shutdown(Shutdown::Write);
}

/// Prints each queued row, escaped for the terminal.
fn print_rows(rows: &Receiver<String>) {
    for row in rows {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", common::escape::escape_for_terminal(&row));
        for row in rows.try_iter() {
            let _ = writeln!(out, "{}", common::escape::escape_for_terminal(&row));
        }
        let _ = out.flush();
    }
}
