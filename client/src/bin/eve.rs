//! `eve LISTEN_PORT SERVER_HOST:PORT`: a teaching tool that shows what anyone on the lab
//! network sees. It relays every connection on LISTEN_PORT to the server unchanged and prints
//! each line that crosses, with what it reveals: names, who talks to whom, plain messages,
//! sealed tokens, and, for a chat in the original's toy group, the recovered key and every
//! secure message decrypted live. With `--mitm` it swaps in keys of its own and re-seals every
//! secure message, and the two safety codes differ. Never run by default; point a class's
//! clients at it on purpose.
#![forbid(unsafe_code)]

use clap::Parser;
use client::eavesdrop::{Observer, Way};
use parking_lot::Mutex;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;

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
}

fn main() -> ExitCode {
    let args = match common::usage::parse_or_exit::<Args>("eve", "eve LISTEN_PORT SERVER_HOST:PORT")
    {
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
    let _ = std::io::stdout().flush();
    let observer = Arc::new(Mutex::new(if args.mitm {
        println!("eve: in the middle: the clients' keys are swapped for eve's own");
        Observer::in_the_middle()
    } else {
        Observer::new()
    }));
    for (conn, client) in listener.incoming().flatten().enumerate() {
        let server = match TcpStream::connect(&args.server) {
            Ok(server) => server,
            Err(err) => {
                println!("eve: cannot reach the server at {}: {err}", args.server);
                continue;
            }
        };
        for (from, to, way) in [
            (client.try_clone(), server.try_clone(), Way::ToServer),
            (server.try_clone(), client.try_clone(), Way::ToClient),
        ] {
            let (Ok(from), Ok(to)) = (from, to) else {
                continue;
            };
            let observer = Arc::clone(&observer);
            thread::spawn(move || pump(conn, way, from, to, &observer));
        }
    }
    ExitCode::SUCCESS
}

/// Copies lines from `from` to `to` unchanged, and prints what eve makes of each.
fn pump(conn: usize, way: Way, from: TcpStream, mut to: TcpStream, observer: &Mutex<Observer>) {
    let mut reader = BufReader::new(from);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches('\n').trim_end_matches('\r');
        let (forward, printed) = observer.lock().relay(conn, way, text);
        if to.write_all(format!("{forward}\n").as_bytes()).is_err() {
            break;
        }
        let mut out = std::io::stdout().lock();
        for row in printed {
            let _ = writeln!(out, "{}", common::escape::escape_for_terminal(&row));
        }
        let _ = out.flush();
    }
    let _ = to.shutdown(Shutdown::Write);
}
