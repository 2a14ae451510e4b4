//! `server [PORT]`: starts the labchat server, advertises it on the LAN, and serves until
//! Ctrl+C, SIGTERM or the console's `stop`. `server console [PORT]`: the operator's console of
//! the server running on this machine.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use common::dh::Group;
use common::discovery::{check_instance_name, default_instance_name, DEFAULT_PORT};
use common::identity::{Fingerprint, Identity};
use server::advertise::Advertisement;
use server::config::Config;
use server::{listen, log};
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// The labchat server: people connect with `client` (which finds it on the LAN) or
/// `client HOST [PORT]`, see who is FREE or BUSY and chat.
#[derive(Debug, Parser)]
#[command(name = "server", version, max_term_width = 80)]
struct Args {
    #[command(subcommand)]
    command: Option<Sub>,
    /// TCP port (0 picks a free one and prints it).
    #[arg(default_value_t = DEFAULT_PORT)]
    port: u16,
    /// Name to advertise on the LAN, shown when a client finds several servers (default: this
    /// machine's name, and the port when it is not 5000).
    #[arg(long, value_parser = instance_name)]
    name: Option<String>,
    /// Do not advertise the server on the LAN (mDNS); clients then need its address.
    #[arg(long)]
    no_advertise: bool,
    /// Most connections at once (1 or more); more are told the server is full.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    max_clients: u64,
    /// Most connections one client address may have open at once (1 or more; loopback
    /// counts too). Raise it if many people share one address (behind NAT, or logged in on
    /// the server itself).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..))]
    max_per_host: u32,
    /// Most connections the addresses of one network may have open together (1 or more): an
    /// IPv6 /64, or all of loopback (127.0.0.0/8 and ::1, the server's own machine). Catches
    /// one machine using many addresses; a class of 100 stays far below it.
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    max_per_network: u32,
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
    /// Bytes of queued output the whole server may hold for clients that do not read (262144
    /// or more); one address may hold a thirty-second. Past either, the connection holding
    /// the most is cut off, those not reading first.
    #[arg(long, default_value_t = 64 * 1024 * 1024, value_parser = clap::value_parser!(u64).range(262_144..))]
    output_budget: u64,
    /// How many `status` requests a second one connection may make, after a burst of 10 (or
    /// this many, if more); more are refused with a notice.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
    status_rate: u32,
    /// How many commands that make the server work (every command but chat and close) one
    /// connection may send a second, after a burst of 4 times that; all connections from one
    /// address together get 4 times one connection's. More are refused with a notice.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    command_rate: u32,
    /// Threads kept ready for new connections (1 to 65536). Set it to the largest burst of
    /// logins you expect, e.g. the seats in the building: each costs about 27 KiB.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=65536))]
    spare_threads: u32,
    /// The server's identity key, which it proves to every client (made on first use,
    /// private to you; default $XDG_CONFIG_HOME/labchat/server-identity, that is
    /// ~/.config/labchat/server-identity). Its fingerprint is printed at start.
    #[arg(long, value_name = "FILE")]
    identity: Option<PathBuf>,
    /// The console's control socket, for `server console --socket PATH` (default:
    /// console-PORT.sock in $XDG_RUNTIME_DIR/labchat/, else in /tmp/labchat-UID/).
    #[arg(long, value_name = "PATH")]
    console_socket: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Sub {
    /// The operator's console of the server running on this machine, as its owner: list,
    /// say, kick, ban, unban, stop, help. Reads commands from standard input and prints the
    /// answers.
    Console {
        /// The port of the server (its socket is console-PORT.sock).
        #[arg(default_value_t = DEFAULT_PORT)]
        port: u16,
        /// The server's --console-socket, if it was given one.
        #[arg(long, value_name = "PATH")]
        socket: Option<PathBuf>,
    },
    /// Prints the fingerprint of the server's identity key and exits (the key is made now if
    /// it does not exist yet, as the server would make it at start): what a teacher writes on
    /// the board, or a lab install gives clients as `client --server-key FINGERPRINT`.
    Fingerprint {
        /// The server's --identity, if it is given one.
        #[arg(long, value_name = "FILE")]
        identity: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let args = match common::usage::parse_or_exit::<Args>(
        "server",
        "server [PORT] | server console [PORT] | server fingerprint",
    ) {
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
    match args.command {
        Some(Sub::Console { port, socket }) => {
            let path = socket.unwrap_or_else(|| server::console::socket::default_path(port));
            return server::console::remote::run(&path);
        }
        Some(Sub::Fingerprint { identity }) => {
            let identity = load_identity(identity.as_deref())?;
            println!("{}", identity.public().fingerprint());
            return Ok(());
        }
        None => {}
    }
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
    let identity = load_identity(args.identity.as_deref())?;
    let fingerprint = identity.public().fingerprint();
    let config = Config {
        max_clients: usize::try_from(args.max_clients).unwrap_or(usize::MAX),
        max_per_host: args.max_per_host as usize,
        max_per_network: args.max_per_network as usize,
        name_timeout: Duration::from_secs(args.name_timeout),
        backlog_limit: usize::try_from(args.backlog_limit).unwrap_or(usize::MAX),
        output_budget: usize::try_from(args.output_budget).unwrap_or(usize::MAX),
        dh_group: Some(args.dh_group.to_string()),
        spare_threads: args.spare_threads as usize,
        status_per_second: args.status_rate,
        command_per_second: args.command_rate,
        identity: Some(Arc::new(identity)),
    };
    let (stop, shutdown) = crossbeam_channel::bounded(1);
    let console_stop = stop.clone();
    ctrlc::set_handler(move || {
        let _ = stop.try_send(());
    })
    .map_err(|err| format!("cannot catch Ctrl+C: {err}"))?;
    // The spare threads exist before the server says it has started: a burst of logins right
    // after the message does not wait for them.
    let running = server::start(listener, config)
        .map_err(|err| format!("cannot start threads for clients: {err}"))?;
    let operator = running.operator(console_stop);
    let _console_socket = server::console::open_socket(&operator, port, args.console_socket)?;
    let advertisement = if args.no_advertise {
        None
    } else {
        advertise(args.name, port, &args.dh_group, fingerprint)
    };
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "Server started successfully");
    let _ = writeln!(out, "Server key fingerprint: {fingerprint}");
    let _ = writeln!(out, "Listening on port {port}. Clients can connect with:");
    for ip in addresses {
        let _ = writeln!(out, "  client {ip} {port}");
    }
    if advertisement.is_some() {
        let _ = writeln!(
            out,
            "  client            (no address: looks for servers on this LAN)"
        );
    }
    let _ = out.flush();
    drop(out);
    log!("listening on {local}");
    if args.dh_group == Group::Toy {
        log!("warning: --dh-group toy has fewer than 2,000 keys; anyone watching can read secure messages; clients refuse it unless started with --allow-toy-group");
    }
    server::console::stdin::open(operator);
    let _ = shutdown.recv();
    if let Some(advertisement) = advertisement {
        advertisement.stop();
    }
    running.stop();
    Ok(())
}

/// Starts advertising the server on the LAN and says so; says why not if it cannot.
fn advertise(
    name: Option<String>,
    port: u16,
    group: &Group,
    key: Fingerprint,
) -> Option<Advertisement> {
    let machine = gethostname::gethostname();
    let name = name.unwrap_or_else(|| default_instance_name(&machine.to_string_lossy(), port));
    let group = group.to_string();
    match Advertisement::start(&name, port, Some(&group), key) {
        Ok(advertisement) => {
            log!("advertising on the LAN as {name:?} (mDNS, _labchat._tcp)");
            Some(advertisement)
        }
        Err(reason) => {
            log!("not advertised on the LAN ({reason}); clients need the address above");
            None
        }
    }
}

/// The server's identity from `--identity FILE` or the default file, made there on first use.
fn load_identity(given: Option<&std::path::Path>) -> Result<Identity, String> {
    let path = match given {
        Some(path) => path.to_path_buf(),
        None => Identity::default_server_path().map_err(|e| e.to_string())?,
    };
    let (identity, made) = Identity::load_or_create(&path).map_err(|e| e.to_string())?;
    if made {
        log!("made a new server identity in {}", path.display());
    }
    Ok(identity)
}

/// `--name`: a name that fits one mDNS label and prints safely.
fn instance_name(text: &str) -> Result<String, String> {
    check_instance_name(text)
        .map(|()| text.to_string())
        .map_err(|e| e.to_string())
}
