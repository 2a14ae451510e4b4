//! `server PORT`: starts the labchat server and serves until Ctrl+C or SIGTERM.
#![forbid(unsafe_code)]

use clap::Parser;
use common::dh::Group;
use server::config::Config;
use server::{listen, log};
use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Duration;

/// The labchat server: people connect with `client HOST PORT`, see who is FREE or BUSY and chat.
#[derive(Debug, Parser)]
#[command(name = "server", version, max_term_width = 80)]
struct Args {
    /// TCP port to listen on (0 picks a free one and prints it).
    port: u16,
    /// Most connections at once (1 or more); more are told the server is full.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    max_clients: u64,
    /// Most connections one client address may have open at once (1 or more; loopback
    /// counts too). Raise it if many people share one address (behind NAT, or logged in on
    /// the server itself).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..))]
    max_per_host: u32,
    /// Seconds a new connection has to send its user name (1 or more).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    name_timeout: u64,
    /// Diffie-Hellman group for secure messages: ffdhe2048, ffdhe3072, or toy (the original's
    /// n=1999, g=1777: breakable in milliseconds, for teaching only; clients must be started
    /// with --allow-toy-group to use it).
    #[arg(long, default_value_t = Group::default())]
    dh_group: Group,
    /// Bytes that may queue for a client that stops reading before it is disconnected (16384
    /// or more: a whole line must fit, twice).
    #[arg(long, default_value_t = 1024 * 1024, value_parser = clap::value_parser!(u64).range(16384..))]
    backlog_limit: u64,
    /// How many `status` requests a second one connection may make, after a burst of 10 (or
    /// this many, if more); more are refused with a notice.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
    status_rate: u32,
    /// Threads kept ready for new connections (1 to 65536). Set it to the largest burst of
    /// logins you expect, e.g. the seats in the building: each costs about 27 KiB.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=65536))]
    spare_threads: u32,
}

fn main() -> ExitCode {
    let args = match common::usage::parse_or_exit::<Args>("server", "server PORT") {
        Ok(args) => args,
        Err(code) => return code,
    };
    match try_main(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("server: {message}");
            ExitCode::from(1)
        }
    }
}

fn try_main(args: Args) -> Result<(), String> {
    // Every client is a socket: take all the file descriptors the system allows us.
    if let Ok(limit) = rlimit::increase_nofile_limit(u64::MAX) {
        if limit < args.max_clients.saturating_add(64) {
            log!(
                "warning: only {limit} file descriptors; --max-clients {} cannot be reached",
                args.max_clients
            );
        }
    }
    let listener = listen::bind(args.port).map_err(|err| match err.kind() {
        io::ErrorKind::AddrInUse => format!(
            "port {} is already in use; stop the program using it or pick another port",
            args.port
        ),
        io::ErrorKind::PermissionDenied => format!(
            "no permission to listen on port {}; pick a port above 1023",
            args.port
        ),
        _ => format!("cannot listen on port {}: {err}", args.port),
    })?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let port = local.port();
    let addresses = listen::addresses(&listener);
    let config = Config {
        max_clients: usize::try_from(args.max_clients).unwrap_or(usize::MAX),
        max_per_host: args.max_per_host as usize,
        name_timeout: Duration::from_secs(args.name_timeout),
        backlog_limit: usize::try_from(args.backlog_limit).unwrap_or(usize::MAX),
        dh_group: Some(args.dh_group.to_string()),
        spare_threads: args.spare_threads as usize,
        status_per_second: args.status_rate,
    };
    let (stop, shutdown) = crossbeam_channel::bounded(1);
    ctrlc::set_handler(move || {
        let _ = stop.try_send(());
    })
    .map_err(|err| format!("cannot catch Ctrl+C: {err}"))?;
    // The spare threads exist before the server says it has started: a burst of logins right
    // after the message does not wait for them.
    let running = server::start(listener, config)
        .map_err(|err| format!("cannot start threads for clients: {err}"))?;
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "Server started successfully");
    let _ = writeln!(out, "Listening on port {port}. Clients can connect with:");
    for ip in addresses {
        let _ = writeln!(out, "  client {ip} {port}");
    }
    let _ = out.flush();
    drop(out);
    log!("listening on {local}");
    if args.dh_group == Group::Toy {
        log!("warning: --dh-group toy has fewer than 2,000 keys; anyone watching can read secure messages; clients refuse it unless started with --allow-toy-group");
    }
    let _ = shutdown.recv();
    running.stop();
    Ok(())
}
