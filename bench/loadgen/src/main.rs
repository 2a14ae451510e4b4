//! `loadgen`: labchat's load generator, and the same measurements against ngircd.
//!
//! ```text
//! cargo build --release -p server -p loadgen
//! target/release/loadgen smoke                       # seconds; exits 1 if any message went astray
//! target/release/loadgen all                         # the full table against a fresh labchat
//! bench/compare.sh                                   # both servers, 5 runs, medians and ratios
//! target/release/loadgen --server ngircd --ngircd-conf target/bench/ngircd.conf \
//!     --addr 127.0.0.1:16667 all                     # ngircd alone, once compare.sh wrote it
//! ```
//!
//! `bench/compare.sh` writes the ngircd configuration (loopback only, port 16667, no flood
//! penalties) to `target/bench/ngircd.conf`; the ngircd line above needs it run once first.
//!
//! A few worker threads each drive many non-blocking sockets on one `mio` poll; both ends of a
//! pair live on one thread, so the closed loop needs no acknowledgements. Every message carries
//! its sender's sequence number and send time; every received message is checked for sender,
//! order and integrity. Server and generator CPU come from `/proc/PID/stat` for every row.
//!
//! Layout:
//! - `proto`: the [`Protocol`](proto::Protocol) trait, labchat and IRC, and the stamped text.
//! - `conn`: one non-blocking socket with its partial line and queued output.
//! - `fleet`: one thread's clients: setup, traffic, checks.
//! - `crew`: fleets on threads, moved through phases with the main thread.
//! - `modes`: the measurements.
//! - `target`: starting or finding the server; `procfs`: CPU, memory, fds from `/proc`.
//! - `report`: rows, the TSV file and the comparison table.
#![forbid(unsafe_code)]

mod clock;
mod conn;
mod crew;
mod fleet;
mod modes;
mod procfs;
mod proto;
mod report;
mod target;

use clap::{Parser, Subcommand, ValueEnum};
use modes::{Bench, Sizes};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use target::Spec;

/// Load generator for labchat (and ngircd, for comparison).
#[derive(Debug, Parser)]
#[command(name = "loadgen")]
struct Args {
    /// Which server to measure.
    #[arg(long, value_enum, default_value_t = Server::Labchat, global = true)]
    server: Server,
    /// Use a server already running here instead of starting one (ngircd default:
    /// 127.0.0.1:6667).
    #[arg(long, global = true)]
    addr: Option<SocketAddr>,
    /// The running server's pid (found from its listening port if not given).
    #[arg(long, global = true)]
    pid: Option<u32>,
    /// labchat server binary to start (default: `server` beside this program).
    #[arg(long, global = true)]
    server_bin: Option<PathBuf>,
    /// Append the labchat server's log (stderr) to this file instead of discarding it.
    #[arg(long, global = true)]
    server_log: Option<PathBuf>,
    /// An argument for the labchat server it starts (repeat for several), e.g.
    /// `--server-arg=--spare-threads --server-arg=1024`.
    #[arg(long, global = true, allow_hyphen_values = true)]
    server_arg: Vec<String>,
    /// Start ngircd with this configuration for every measurement (it must listen on --addr).
    #[arg(long, global = true)]
    ngircd_conf: Option<PathBuf>,
    /// ngircd binary.
    #[arg(long, global = true, default_value = "/usr/sbin/ngircd")]
    ngircd_bin: PathBuf,
    /// Generator worker threads.
    #[arg(long, global = true, default_value_t = 2)]
    workers: usize,
    /// Append every row to this TSV file (for `loadgen table`).
    #[arg(long, global = true)]
    tsv: Option<PathBuf>,
    /// Label of this run in the TSV file.
    #[arg(long, global = true, default_value = "1")]
    run: String,
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Server {
    Labchat,
    Ngircd,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// Closed loop: every client sends M messages to its partner, at most W in flight.
    Throughput {
        #[arg(long, default_value_t = Sizes::FULL.tp_pairs)]
        pairs: usize,
        #[arg(long, default_value_t = Sizes::FULL.tp_messages)]
        messages: u64,
        #[arg(long, default_value_t = Sizes::FULL.window)]
        window: u64,
    },
    /// Open loop: a fixed total rate spread over P pairs; p50/p99/max latency.
    Latency {
        #[arg(long, default_value_t = Sizes::FULL.lat_pairs)]
        pairs: usize,
        /// Messages per second, all clients together.
        #[arg(long, default_value_t = Sizes::FULL.lat_rate)]
        rate: f64,
        /// Seconds before latency is sampled.
        #[arg(long, default_value_t = 2.0)]
        warmup: f64,
        /// Seconds sampled.
        #[arg(long, default_value_t = 8.0)]
        seconds: f64,
    },
    /// Round trips of one pair, optionally with idle registered clients held.
    Pingpong {
        #[arg(long, default_value_t = Sizes::FULL.rounds)]
        rounds: u64,
        #[arg(long, default_value_t = 0)]
        idle: usize,
    },
    /// Hold N registered clients; report the server's RSS and threads per client.
    Idle {
        #[arg(long, default_value_t = Sizes::FULL.idle)]
        clients: usize,
    },
    /// Connect and register N clients, C at a time; registrations per second.
    Register {
        #[arg(long, default_value_t = Sizes::FULL.reg_clients)]
        clients: usize,
        #[arg(long, default_value_t = Sizes::FULL.reg_concurrency)]
        concurrency: usize,
    },
    /// labchat only: ffdhe2048 key agreement time and sealed-message throughput.
    Secure {
        #[arg(long, default_value_t = Sizes::FULL.agreements)]
        agreements: usize,
        #[arg(long, default_value_t = Sizes::FULL.sec_pairs)]
        pairs: usize,
        #[arg(long, default_value_t = Sizes::FULL.sec_messages)]
        messages: u64,
    },
    /// The whole table, each row on a fresh server where the generator starts it.
    All {
        /// Multiply every count by this (0.1 for a quick look).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
    },
    /// Tiny counts of everything against labchat; exits 1 if any message was lost, misordered
    /// or misdirected. For CI.
    Smoke,
    /// Folds TSV files from --tsv into the labchat-vs-ngircd markdown table.
    Table {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let args = match common::usage::parse_or_exit::<Args>("loadgen", "loadgen [OPTIONS] <COMMAND>")
    {
        Ok(args) => args,
        Err(code) => return code,
    };
    match try_main(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("loadgen: {message}");
            ExitCode::from(1)
        }
    }
}

/// Runs the mode; `Ok(false)` if it ran but found problems.
fn try_main(args: Args) -> Result<bool, String> {
    if let Mode::Table { files } = &args.mode {
        print!("{}", report::table(files)?);
        return Ok(true);
    }
    // Tens of thousands of sockets: take the hard limit (the server inherits it).
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    clock::now_ns();
    let spec = spec(&args)?;
    if matches!(args.mode, Mode::Smoke) && args.server != Server::Labchat {
        return Err("smoke runs against labchat only".into());
    }
    let mut bench = Bench {
        spec,
        workers: args.workers.max(1),
        run: args.run.clone(),
        tsv: args.tsv.clone(),
        problems: Vec::new(),
        strict: false,
    };
    let result = match args.mode {
        Mode::Throughput {
            pairs,
            messages,
            window,
        } => bench.throughput(pairs, messages, window),
        Mode::Latency {
            pairs,
            rate,
            warmup,
            seconds,
        } => bench.latency(
            pairs,
            rate,
            Duration::from_secs_f64(warmup),
            Duration::from_secs_f64(seconds),
        ),
        Mode::Pingpong { rounds, idle } => bench.pingpong(rounds, idle),
        Mode::Idle { clients } => bench.idle(clients),
        Mode::Register {
            clients,
            concurrency,
        } => bench.register("register_rate", clients, concurrency, ""),
        Mode::Secure {
            agreements,
            pairs,
            messages,
        } => bench.secure(agreements, pairs, messages, Sizes::FULL.window),
        Mode::All { scale } => {
            bench.all(&Sizes::FULL.scaled(scale), true);
            Ok(())
        }
        Mode::Smoke => {
            bench.strict = true;
            bench.all(&Sizes::SMOKE, true);
            Ok(())
        }
        Mode::Table { .. } => Ok(()),
    };
    result?;
    for problem in &bench.problems {
        eprintln!("loadgen: {problem}");
    }
    Ok(bench.problems.is_empty())
}

fn spec(args: &Args) -> Result<Spec, String> {
    Ok(match (args.server, args.addr, &args.ngircd_conf) {
        (Server::Labchat, Some(addr), _) => Spec::Running {
            labchat: true,
            addr,
            pid: args.pid,
        },
        (Server::Labchat, None, _) => {
            let bin = match &args.server_bin {
                Some(bin) => bin.clone(),
                None => std::env::current_exe()
                    .map_err(|e| format!("cannot find my own path: {e}"))?
                    .with_file_name("server"),
            };
            Spec::StartLabchat {
                bin,
                log: args.server_log.clone(),
                args: args.server_arg.clone(),
            }
        }
        (Server::Ngircd, addr, Some(conf)) => Spec::StartNgircd {
            bin: args.ngircd_bin.clone(),
            conf: conf.clone(),
            addr: addr.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 6667))),
        },
        (Server::Ngircd, addr, None) => Spec::Running {
            labchat: false,
            addr: addr.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 6667))),
            pid: args.pid,
        },
    })
}
