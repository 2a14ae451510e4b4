//! How long a chat takes from `connect` to "ready" (both sides hold the agreed key), with and
//! without identities, on loopback: the cost of the identity proofs (one Ed25519 signature and
//! one verification per side, a sealed line each way) next to the Diffie-Hellman exchange.
//!
//! ```text
//! cargo build --release -p server -p client --examples
//! target/release/examples/ready_time [CHATS] [GROUP]
//! ```
//!
//! It starts `server` (next to `examples/`) on a free loopback port with a server identity in a
//! temporary folder, registers two connections that speak the protocol with the client's own
//! code (`common::exchange`), and runs CHATS chats (default 100) each way, in alternating
//! rounds of ten: plain (no `hello`, the exchange without identities) and with identities
//! (`hello`, then `GEN_KEYS ... identity`).

use common::exchange::{Exchange, Names, Step};
use common::identity::{Identity, Nonce};
use common::protocol::{Hello, ServerLine};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// One registered connection.
struct Side {
    name: &'static str,
    lines: BufReader<TcpStream>,
    out: TcpStream,
    identity: Option<Arc<Identity>>,
}

impl Side {
    fn register(port: u16, name: &'static str, identity: Option<Arc<Identity>>) -> Side {
        let socket = TcpStream::connect(("127.0.0.1", port)).expect("the server accepts");
        socket.set_nodelay(true).expect("nodelay");
        let mut side = Side {
            name,
            lines: BufReader::new(socket.try_clone().expect("clone")),
            out: socket,
            identity,
        };
        if side.identity.is_some() {
            side.send(&Hello(Nonce::generate()).to_string());
        }
        side.send(name);
        side.until(|l| l.starts_with("(server): Hello "));
        side
    }

    fn send(&mut self, line: &str) {
        self.out
            .write_all(format!("{line}\n").as_bytes())
            .expect("the server reads");
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.lines.read_line(&mut line).expect("the server writes");
        assert!(!line.is_empty(), "the server closed the connection");
        line.trim_end().to_string()
    }

    fn until(&mut self, done: impl Fn(&str) -> bool) {
        while !done(&self.line()) {}
    }

    /// Runs this side's key agreement for the chat that is starting; returns when agreed.
    fn agree(&mut self, partner: &str) -> Instant {
        let mut exchange = Exchange::new(false);
        loop {
            let line = self.line();
            let step = match ServerLine::parse(&line) {
                Ok(ServerLine::GenKeys {
                    group,
                    chat,
                    identity,
                }) => {
                    if identity {
                        let names = Names {
                            mine: self.name.into(),
                            partner: partner.into(),
                        };
                        exchange.on_gen_keys_with_identity(
                            &group,
                            chat,
                            self.identity.clone(),
                            names,
                        )
                    } else {
                        exchange.on_gen_keys(&group, chat)
                    }
                }
                Ok(ServerLine::KeyCommit(value)) => exchange.on_commit(&value),
                Ok(ServerLine::KeyParam(value)) => exchange.on_param(&value),
                Ok(ServerLine::KeyProof(value)) => exchange.on_proof(&value),
                _ => continue,
            };
            match step {
                Step::Send(command) => self.send(&command.to_string()),
                Step::Agreed => return Instant::now(),
                Step::Failed(err) => panic!("{}: key agreement failed: {err}", self.name),
                Step::Quiet => {}
            }
        }
    }
}

/// One chat that `first` starts with `second`: the time from `connect` to both sides agreed.
fn one_chat(first: &mut Side, second: Side) -> (Duration, Side) {
    let (first_name, second_name) = (first.name, second.name);
    let started = Instant::now();
    first.send(&format!("connect {second_name}"));
    let other = thread::spawn(move || {
        let mut second = second;
        let agreed = second.agree(first_name);
        (agreed, second)
    });
    let first_agreed = first.agree(second_name);
    let (second_agreed, mut second) = other.join().expect("the other side");
    let ready = first_agreed.max(second_agreed) - started;
    first.send("goodbye");
    first.until(|l| l.contains("You ended the chat"));
    second.until(|l| l.contains(&format!("{first_name} ended the chat")));
    (ready, second)
}

/// `chats` chats between two fresh connections, with identities or without.
fn run(
    port: u16,
    names: (&'static str, &'static str),
    identities: bool,
    chats: usize,
) -> Vec<Duration> {
    let id = || identities.then(|| Arc::new(Identity::generate()));
    let mut first = Side::register(port, names.0, id());
    let mut second = Side::register(port, names.1, id());
    let mut times = Vec::with_capacity(chats);
    for _ in 0..chats {
        let (time, back) = one_chat(&mut first, second);
        second = back;
        times.push(time);
    }
    first.send("close");
    second.send("close");
    times
}

fn summary(label: &str, mut times: Vec<Duration>) {
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    println!(
        "{label:<16} chats {:>4}  median {:>6.2} ms  p90 {:>6.2} ms  mean {:>6.2} ms",
        times.len(),
        at(0.5).as_secs_f64() * 1e3,
        at(0.9).as_secs_f64() * 1e3,
        mean.as_secs_f64() * 1e3,
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let chats: usize = args
        .next()
        .map_or(100, |a| a.parse().expect("a number of chats"));
    let group = args.next().unwrap_or_else(|| "ffdhe2048".into());
    let me = std::env::current_exe().expect("the example knows where it is");
    let server = me
        .parent()
        .and_then(|d| d.parent())
        .expect("examples/ has a parent")
        .join("server");
    let home = std::env::temp_dir().join(format!("labchat-ready-time-{}", std::process::id()));
    let mut child = Command::new(&server)
        .args(["0", "--no-advertise", "--dh-group", &group])
        .args(["--command-rate", "1000000", "--max-per-host", "1000"])
        .env("XDG_CONFIG_HOME", &home)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{} does not start: {e}", server.display()));
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    let port: u16 = loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).expect("reads") > 0,
            "the server ended"
        );
        if let Some(rest) = line.strip_prefix("Listening on port ") {
            break rest
                .split('.')
                .next()
                .and_then(|p| p.parse().ok())
                .expect("a port");
        }
    };

    // Alternating rounds of ten, so that both see the same machine load.
    let (mut plain_times, mut identity_times) = (Vec::new(), Vec::new());
    let names = [("a0", "b0"), ("a1", "b1"), ("a2", "b2"), ("a3", "b3")];
    for round in 0..chats.div_ceil(10) {
        let n = (chats - round * 10).min(10);
        let (plain, identity) = (names[(2 * round) % 4], names[(2 * round + 1) % 4]);
        plain_times.extend(run(port, plain, false, n));
        identity_times.extend(run(port, identity, true, n));
    }
    println!("connect to ready, {group}, loopback, both sides in one process:");
    summary("without identity", plain_times);
    summary("with identity", identity_times);
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&home);
}
