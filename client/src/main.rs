//! `client [HOST [PORT]]`: connects to a labchat server (found on the LAN when no HOST is
//! given) and chats.
#![forbid(unsafe_code)]

use clap::Parser;
use client::server_pin::{Reached, ServerCheck, ServerPins};
use client::Outcome;
use common::discovery::DEFAULT_PORT;
use common::identity::{Fingerprint, Identity};
use parking_lot::Mutex;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// How long one address of the server may take to answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What `client --help` says after the options.
const AFTER_HELP: &str = "\
Exit status:
  0  closed normally: close, Ctrl+D, Ctrl+C, or the server shut down
  1  runtime failure: no server found on the LAN (or none chosen), the server
     cannot be reached, the connection was lost (and, at a terminal or with
     --reconnect, did not come back within a minute), or you never got in
     (--name refused, server full, no name given in time, or piped input
     ended before a name was accepted)
  2  usage error: bad or missing arguments

At a terminal the client shows a prompt (alice> when free, alice -> bob> in a
chat), keeps what you type intact when messages arrive, and has history
(Up/Down), line editing (Ctrl+A/E) and colours (unless NO_COLOR is set). With
stdin or stdout not a terminal it reads and prints plain lines, with no prompt
and no escape codes, for scripts. Type help once connected for the commands.";

/// The labchat client: pick a user name, see who is FREE, connect and chat.
#[derive(Debug, Parser)]
#[command(name = "client", version, after_help = AFTER_HELP, max_term_width = 80)]
struct Args {
    /// Server address: an IPv4 or IPv6 address, or a host name. Without it, the client looks
    /// for servers on the LAN for a few seconds and connects to the one it finds (or asks
    /// which, if several answer).
    host: Option<String>,
    /// Server port. `HOST:PORT` and `[IPV6]:PORT` work too.
    #[arg(default_value_t = DEFAULT_PORT)]
    port: u16,
    /// Register with this name instead of asking (exit 1 if it is taken).
    #[arg(long)]
    name: Option<String>,
    /// Accept the original's toy Diffie-Hellman group (p = 1999) when a server uses it. Anyone
    /// watching the network can read such a chat's secure messages; it is for teaching only.
    #[arg(long)]
    allow_toy_group: bool,
    /// Show each step of the key agreement and of every secure message with its numbers (your
    /// secret x, your public value g^x mod p, your partner's public value, the shared secret,
    /// the identity proofs, each message's key and tag), as the course walks through them.
    #[arg(long)]
    explain: bool,
    /// When the connection is lost, connect again (for up to 60 s) and register the same name.
    /// At a terminal this is always on; in scripts (piped mode) only with this flag.
    #[arg(long)]
    reconnect: bool,
    /// The server's key fingerprint, as the server prints it when it starts (a teacher may
    /// write it on the board, a lab install may ship it): a server that proves any other key is
    /// refused, even the first time you meet it.
    #[arg(long, value_name = "FINGERPRINT", value_parser = fingerprint)]
    server_key: Option<Fingerprint>,
    /// Forget the key remembered for the server NAME (its advertised name, or HOST:PORT as you
    /// typed it) and exit, once your teacher confirms that the server's key changed.
    #[arg(long, value_name = "NAME")]
    forget_server: Option<String>,
    /// Put the local time before each chat line, as irssi does (14:05 bob: hi).
    #[arg(long)]
    timestamps: bool,
    /// Your identity key, which partners pin with `trust` (made on first use, private to
    /// you; default $XDG_CONFIG_HOME/labchat/identity, that is ~/.config/labchat/identity).
    #[arg(long, value_name = "FILE")]
    identity: Option<std::path::PathBuf>,
}

fn main() -> ExitCode {
    let args = match common::usage::parse_or_exit::<Args>("client", "client [HOST [PORT]]") {
        Ok(args) => args,
        Err(code) => return code,
    };
    // A malformed HOST:PORT is a usage error, like any bad argument.
    let address = match args.host.as_deref() {
        Some(given) => match split_host_port(given, args.port) {
            Ok(address) => Some(address),
            Err(message) => {
                eprintln!("client: {message}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    match try_main(args, address) {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Err(message) => {
            eprintln!("client: {message}");
            ExitCode::from(1)
        }
    }
}

fn try_main(args: Args, address: Option<(String, u16)>) -> Result<Outcome, String> {
    if let Some(name) = &args.forget_server {
        return forget(name);
    }
    let known = ServerPins::load(args.server_key).map_err(|e| e.to_string())?;
    // The identity first: a problem with its file is said before anything connects.
    let identity = match &args.identity {
        Some(path) => path.clone(),
        None => Identity::default_path().map_err(|e| e.to_string())?,
    };
    // Made quietly on first use; `verify` shows its fingerprint.
    let (identity, _made) = Identity::load_or_create(&identity).map_err(|e| e.to_string())?;
    let partners = common::identity::store::config_dir()
        .map_err(|e| e.to_string())?
        .join("partners");
    common::identity::Pins::load(&partners).map_err(|e| e.to_string())?;
    let (socket, host, port, reached, at) = match address {
        Some((host, port)) => {
            let socket = client::connect(&host, port, CONNECT_TIMEOUT, None)
                .map_err(|err| unreachable(&shown_host(&host), port, &err))?;
            // Where it went, as discovery says it (`Found "Lab 3" at ...`): the address a
            // name resolved to is worth knowing when it is not the server you meant.
            if let Ok(address) = socket.peer_addr() {
                println!("{}", connected_to(&host, address));
            }
            // Pinned under the address as typed: another server there is another key.
            let typed = format!("{}:{port}", shown_host(&host));
            let at = socket
                .peer_addr()
                .map(|a| {
                    let ip = a.ip().to_canonical();
                    client::browse::shown_address(std::net::SocketAddr::new(ip, a.port()))
                })
                .unwrap_or_else(|_| typed.clone());
            let reached = Reached::Typed { address: typed };
            (socket, host, port, reached, at)
        }
        None => {
            let candidates = client::browse::find_server(&known).map_err(|e| e.to_string())?;
            let (socket, ip, found) =
                client::browse::connect_proven(&candidates, &known, &mut std::io::stdout())
                    .map_err(|e| e.to_string())?;
            let at = client::browse::shown_address(std::net::SocketAddr::new(ip, found.port));
            let port = found.port;
            (socket, ip.to_string(), port, Reached::Found(found), at)
        }
    };
    let _ = socket.set_nodelay(true);
    let options = client::Options {
        name: args.name,
        allow_toy_group: args.allow_toy_group,
        explain: args.explain,
        server: Some((host, port)),
        reconnect: args.reconnect,
        server_check: Some(Arc::new(Mutex::new(ServerCheck {
            pins: known,
            reached,
            at,
        }))),
        timestamps: args.timestamps,
        identity: Some(std::sync::Arc::new(identity)),
        partners: Some(partners),
    };
    client::run(socket, options).map_err(|err| format!("cannot start: {err}"))
}

/// `client --forget-server NAME`: forgets the pins under NAME (and names that look the same).
fn forget(name: &str) -> Result<Outcome, String> {
    match ServerPins::forget(name).map_err(|e| e.to_string())? {
        Some(said) => {
            println!("{said}");
            Ok(Outcome::Done)
        }
        None => Err(format!(
            "no server key is remembered under the name {:?}; the names are in {}",
            common::escape::escape_for_terminal(name),
            ServerPins::default_path()
                .map(|path| path.display().to_string())
                .unwrap_or_else(|_| "~/.config/labchat/servers".into())
        )),
    }
}

/// `--server-key`: a fingerprint as the server prints it (case, `-`, `:` and spaces ignored).
fn fingerprint(text: &str) -> Result<Fingerprint, String> {
    Fingerprint::parse(text).ok_or_else(|| {
        "not a key fingerprint: 32 hex digits, as the server prints it when it starts \
         (xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx)"
            .to_string()
    })
}

/// The host and port of `client HOST [PORT]`, where HOST may carry the port itself
/// (`127.0.0.1:5000`, `lab3:5000`, `[::1]:5000`) as people copy it from a browser or a note.
/// A bare IPv6 address (`::1`, `[::1]`) is a host. `port` is PORT, 5000 when not given: a port
/// in HOST wins over that default, and another PORT given beside it is an error.
fn split_host_port(given: &str, port: u16) -> Result<(String, u16), String> {
    let attached = match given.strip_prefix('[') {
        Some(rest) => rest
            .split_once("]:")
            .or_else(|| rest.strip_suffix(']').map(|host| (host, ""))),
        // One colon: a name or IPv4 address and a port. More: an IPv6 address.
        None => match given.split_once(':') {
            Some((host, port)) if !port.contains(':') => Some((host, port)),
            _ => None,
        },
    };
    let (host, attached) = match attached {
        Some((host, "")) => (host, None),
        Some((host, text)) => match text.parse::<u16>() {
            Ok(port) => (host, Some(port)),
            Err(_) => {
                return Err(format!(
                    "{given:?} is not HOST:PORT: {text:?} is not a port"
                ))
            }
        },
        None => (given, None),
    };
    match attached {
        Some(a) if port != DEFAULT_PORT && port != a => Err(format!(
            "two ports given, {a} in {given:?} and {port}; give one of them"
        )),
        Some(port) => Ok((host.to_string(), port)),
        None => Ok((host.to_string(), port)),
    }
}

/// `Connected to 10.0.0.5:5000.`, or `Connected to lab3 at 10.0.0.5:5000.` when the host
/// was given as a name.
fn connected_to(host: &str, address: std::net::SocketAddr) -> String {
    let address = std::net::SocketAddr::new(address.ip().to_canonical(), address.port());
    match host.parse::<std::net::IpAddr>() {
        Ok(_) => format!("Connected to {address}."),
        Err(_) => format!("Connected to {host} at {address}."),
    }
}

/// An IPv6 address is written in brackets before a port: [::1]:5000.
fn shown_host(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

fn unreachable(host: &str, port: u16, err: &std::io::Error) -> String {
    format!("cannot reach the server at {host}:{port}: {err}; check the address and that the server is running")
}

#[cfg(test)]
mod tests {
    use super::{connected_to, split_host_port};

    /// The address connected to is said, and the name it came from if one was given.
    #[test]
    fn where_it_connected_is_said() {
        let v4 = "127.0.0.1:5000".parse().unwrap();
        assert_eq!(
            connected_to("127.0.0.1", v4),
            "Connected to 127.0.0.1:5000."
        );
        assert_eq!(
            connected_to("localhost", v4),
            "Connected to localhost at 127.0.0.1:5000."
        );
        let v6 = "[::1]:5000".parse().unwrap();
        assert_eq!(connected_to("::1", v6), "Connected to [::1]:5000.");
        let mapped = "[::ffff:10.0.0.5]:5000".parse().unwrap();
        assert_eq!(
            connected_to("lab3", mapped),
            "Connected to lab3 at 10.0.0.5:5000."
        );
    }

    /// The port may come with the host, as people copy addresses; an IPv6 address is a host.
    #[test]
    fn a_host_may_carry_its_port() {
        let ok = |given: &str, port: u16| split_host_port(given, port).unwrap();
        assert_eq!(ok("127.0.0.1:5001", 5000), ("127.0.0.1".into(), 5001));
        assert_eq!(ok("lab3:5001", 5001), ("lab3".into(), 5001));
        assert_eq!(ok("[::1]:5001", 5000), ("::1".into(), 5001));
        assert_eq!(ok("[::1]", 7), ("::1".into(), 7));
        assert_eq!(ok("::1", 5000), ("::1".into(), 5000));
        assert_eq!(ok("fe80::1:2", 5000), ("fe80::1:2".into(), 5000));
        assert_eq!(ok("lab3", 5000), ("lab3".into(), 5000));
        assert!(split_host_port("lab3:5001", 5002).is_err());
        assert!(split_host_port("lab3:http", 5000).is_err());
    }
}
