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
//! This file checks the arguments and prints eve's first rows; the relay itself is
//! `client::eve::relay`.
#![forbid(unsafe_code)]

use client::eve::args::{self, Args, USAGE};
use client::eve::intercept::{Interceptor, Mode};
use client::eve::layout::Layout;
use client::eve::search::Goal;
use common::backpressure::DEFAULT_BACKLOG_LIMIT;
use std::net::TcpListener;
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let args = match common::usage::parse_or_exit::<Args>("eve", USAGE) {
        Ok(args) => args,
        Err(code) => return code,
    };
    let server = match args::server_addr(&args.server) {
        Ok(server) => server,
        // A mistake in the command is a usage error (2); a host that cannot be found is like
        // a server that does not answer (1).
        Err(err) if err.is_usage() => {
            eprintln!("eve: {err}; usage: {USAGE} (see eve --help)");
            return ExitCode::from(2);
        }
        Err(err) => {
            eprintln!("eve: {err}");
            return ExitCode::from(1);
        }
    };
    if let Err(err) = args::check_reachable(server) {
        eprintln!("eve: {err}");
        return ExitCode::from(1);
    }
    let listener = match TcpListener::bind(("0.0.0.0", args.listen_port)) {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("eve: {}", args::listen_error(args.listen_port, &err));
            return ExitCode::from(1);
        }
    };
    let port = listener
        .local_addr()
        .map(|a| a.port())
        .unwrap_or(args.listen_port);
    let layout = Layout::for_stdout(args.full);
    let say = |row: &str| {
        for shown in layout.rows(row) {
            println!("{shown}");
        }
    };
    say(&format!(
        "eve: listening on port {port}, relaying to {server}; every line below crossed the wire"
    ));
    if client::eve::source::source_for(server.ip(), server).is_none() {
        say(
            "eve: the server is not on this machine's IPv4 loopback, so eve connects for every \
             student from its own address: the server counts the whole class as one address \
             (start it with --max-per-host 200)",
        );
    }
    let interceptor = if args.grind {
        let goal = Goal {
            digits: usize::from(args.grind_digits),
            budget: Duration::from_secs(args.grind_seconds),
        };
        say(&format!(
            "eve: in the middle, grinding: each client's public value is held back until eve \
             has both, then it searches for values that make the codes agree in their first \
             {} digits (for at most {} s)",
            goal.digits, args.grind_seconds
        ));
        Interceptor::new(Mode::grind(goal))
    } else if args.mitm {
        say(
            "eve: in the middle: the clients' keys are swapped for eve's own, so eve reads \
             every secure message and seals it again",
        );
        Interceptor::new(Mode::middle())
    } else {
        Interceptor::new(Mode::Watch)
    };
    client::eve::relay::run(
        &listener,
        server,
        interceptor,
        layout,
        DEFAULT_BACKLOG_LIMIT,
    );
    ExitCode::SUCCESS
}
