//! What floods cost the server, in figures (a benchmark, not a test: it checks nothing).
//!
//! ```sh
//! cargo build --release -p server --bins --examples
//! target/release/examples/budget_bench            # finds target/release/server beside it
//! target/release/examples/budget_bench --server target/debug/server -- --command-rate 1000000
//! target/release/examples/budget_bench --server /tmp/server-before --old --mb 1
//! ```
//!
//! `--mb N` floods N MB of each kind instead of 8; `--old` is for a server from before the
//! command budget (it is not given `--command-rate`).
//!
//! Part 1, CPU: one connection from 127.0.0.2 sends 8 MB of one kind of line (chat to a
//! partner on 127.0.0.3 who reads, status, help, connect, goodbye, key_param, x outside a
//! chat, empty lines) while reading what comes back;
//! meanwhile an honest pair on 127.0.0.1 plays ping-pong. For each kind it prints the server's
//! CPU time per MB sent (from `/proc/PID/stat`; the pair's pings, one per 5 ms, are
//! included) and the pair's round-trip p50 and p99.
//!
//! Part 2, memory: 128 connections from 127.0.0.2-5 send `help` in a loop and never read
//! (with the command budget lifted, so that the output budget alone is measured). It prints
//! the server's peak RSS growth (`VmHWM`) and the most TCP memory the kernel reported
//! (`/proc/net/sockstat`, both ends of every loopback connection).
//!
//! Every address is loopback; the server runs with `--no-advertise`. Arguments after `--`
//! go to the server.

use socket2::{Domain, Socket, Type};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let mut server_path = None;
    let mut server_args = Vec::new();
    let mut mb = 8;
    let mut old = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--server" => server_path = args.next().map(PathBuf::from),
            "--mb" => mb = args.next().and_then(|n| n.parse().ok()).unwrap_or(8),
            "--old" => old = true,
            "--" => server_args.extend(args.by_ref()),
            other => {
                eprintln!("budget_bench: unknown argument {other:?}");
                std::process::exit(2);
            }
        }
    }
    let path = server_path.unwrap_or_else(|| {
        let exe = std::env::current_exe().expect("the example's path");
        exe.parent()
            .and_then(|examples| examples.parent())
            .expect("target/<profile>/examples")
            .join("server")
    });
    println!("server: {} {}", path.display(), server_args.join(" "));
    cpu_part(&path, &server_args, mb << 20);
    memory_part(&path, &server_args, old);
}

/// A running server process and its port.
struct Running {
    child: Child,
    port: u16,
}

impl Running {
    fn start(path: &PathBuf, extra: &[String]) -> Running {
        // Its identity key in a folder of its own, not in the user's ~/.config.
        let home =
            std::env::temp_dir().join(format!("labchat-budget-bench-{}", std::process::id()));
        let mut child = Command::new(path)
            .args(["0", "--no-advertise"])
            .args(extra)
            .env("XDG_CONFIG_HOME", home)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let port = loop {
            let line = lines
                .next()
                .expect("the server says its port")
                .expect("text");
            if let Some(rest) = line.strip_prefix("Listening on port ") {
                break rest
                    .split(|c: char| !c.is_ascii_digit())
                    .next()
                    .and_then(|p| p.parse().ok())
                    .expect("a port");
            }
        };
        thread::spawn(move || for _ in lines {});
        Running { child, port }
    }

    /// User plus system CPU time of the server so far.
    fn cpu(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))
            .expect("the server runs");
        let after_name = &stat[stat.rfind(')').expect("(comm)") + 2..];
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        Duration::from_millis(ticks * 10)
    }

    fn status_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the server runs");
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .expect("the field")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Connects from `from` and registers `name`; returns the stream and a reader past the
/// welcome.
fn register(from: Ipv4Addr, port: u16, name: &str) -> (TcpStream, BufReader<TcpStream>) {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("a socket");
    socket
        .bind(&SocketAddr::from((from, 0)).into())
        .expect("bind");
    socket
        .connect(&SocketAddr::from((Ipv4Addr::LOCALHOST, port)).into())
        .expect("connect");
    let mut stream: TcpStream = socket.into();
    stream.write_all(format!("{name}\n").as_bytes()).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(reader.read_line(&mut line).unwrap() > 0, "{name} refused");
        if line.contains(&format!("Hello {name}!")) {
            return (stream, reader);
        }
    }
}

fn read_until(reader: &mut BufReader<TcpStream>, text: &str) {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "closed before {text:?}"
        );
        if line.contains(text) {
            return;
        }
    }
}

fn cpu_part(path: &PathBuf, extra: &[String], flood_bytes: usize) {
    let server = Running::start(path, extra);
    let port = server.port;
    let (mut alice, mut alice_in) = register(Ipv4Addr::LOCALHOST, port, "alice");
    let (mut bob, mut bob_in) = register(Ipv4Addr::LOCALHOST, port, "bob");
    alice.write_all(b"connect bob\n").unwrap();
    read_until(&mut bob_in, "You are now connected to alice");
    read_until(&mut alice_in, "You are now connected to bob");
    // Answer alice's pings from bob's side.
    thread::spawn(move || {
        let mut line = String::new();
        loop {
            line.clear();
            if bob_in.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if let Some(n) = line.trim_end().strip_prefix("alice: ping ") {
                if bob.write_all(format!("msg pong {n}\n").as_bytes()).is_err() {
                    return;
                }
            }
        }
    });

    println!();
    println!(
        "CPU per MB of a flood from one connection ({} MB each), honest pair's round trips meanwhile:",
        flood_bytes >> 20
    );
    println!(
        "{:<22} {:>9} {:>10} {:>9} {:>9} {:>7}",
        "line", "cpu s", "cpu s/MB", "rtt p50", "rtt p99", "rtts"
    );
    let kinds: [(&str, &str); 8] = [
        ("chat to a partner", "msg hello, this is a chat line\n"),
        ("status", "status\n"),
        ("help", "help\n"),
        ("connect nobody", "connect nobody\n"),
        ("goodbye", "goodbye\n"),
        ("key_param 1 2", "key_param 1 2\n"),
        ("x (not in a chat)", "x\n"),
        ("empty lines", "\n"),
    ];
    let mut round = 0u64;
    for (i, (label, line)) in kinds.iter().enumerate() {
        let (mut flooder, mut flooder_in) =
            register(Ipv4Addr::new(127, 0, 0, 2), port, &format!("flooder{i}"));
        if label.starts_with("chat") {
            // A partner on another address that reads (and drops) everything.
            let partner = format!("partner{i}");
            let (_out, mut partner_in) = register(Ipv4Addr::new(127, 0, 0, 3), port, &partner);
            flooder
                .write_all(format!("connect {partner}\n").as_bytes())
                .unwrap();
            read_until(&mut flooder_in, "You are now connected to");
            thread::spawn(move || {
                let _out = _out;
                let mut buf = vec![0u8; 64 * 1024];
                while partner_in.read(&mut buf).unwrap_or(0) > 0 {}
            });
        }
        // Read (and drop) everything that comes back until the end marker's answer.
        let done = Arc::new(AtomicBool::new(false));
        let reader = {
            let done = Arc::clone(&done);
            thread::spawn(move || {
                let mut buf = vec![0u8; 64 * 1024];
                let mut tail = Vec::new();
                loop {
                    let n = flooder_in.read(&mut buf).unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    tail.extend_from_slice(&buf[..n]);
                    if tail
                        .windows(b"usage: connect <user>".len())
                        .any(|w| w == b"usage: connect <user>")
                    {
                        break;
                    }
                    let keep = tail.len().saturating_sub(64);
                    tail.drain(..keep);
                }
                done.store(true, Ordering::SeqCst);
            })
        };
        let batch = line.repeat(64 * 1024 / line.len());
        let cpu_before = server.cpu();
        let flood = thread::spawn(move || {
            let mut sent = 0;
            while sent < flood_bytes {
                flooder.write_all(batch.as_bytes()).unwrap();
                sent += batch.len();
            }
            // The end marker: a refusal that is never rate-limited.
            flooder.write_all(b"connect\n").unwrap();
            flooder
        });
        // Paced pings (one per 5 ms), so that the pair's own cost is small beside the flood's.
        let mut rtts = Vec::new();
        let mut next = Instant::now();
        while !done.load(Ordering::SeqCst) {
            next += Duration::from_millis(5);
            thread::sleep(next.saturating_duration_since(Instant::now()));
            round += 1;
            let started = Instant::now();
            alice
                .write_all(format!("msg ping {round}\n").as_bytes())
                .unwrap();
            read_until(&mut alice_in, &format!("bob: pong {round}"));
            rtts.push(started.elapsed());
        }
        let cpu = server.cpu() - cpu_before;
        reader.join().unwrap();
        drop(flood.join().unwrap());
        rtts.sort();
        let pct = |p: usize| rtts[(rtts.len() * p / 100).min(rtts.len() - 1)];
        let mb = flood_bytes as f64 / 1e6;
        println!(
            "{:<22} {:>9.2} {:>10.3} {:>9.2?} {:>9.2?} {:>7}",
            label,
            cpu.as_secs_f64(),
            cpu.as_secs_f64() / mb,
            pct(50),
            pct(99),
            rtts.len()
        );
    }
}

fn memory_part(path: &PathBuf, extra: &[String], old: bool) {
    let mut args = Vec::new();
    if !old {
        args.extend(["--command-rate".to_string(), "1000000".to_string()]);
    }
    args.extend_from_slice(extra);
    let server = Running::start(path, &args);
    let port = server.port;
    let flooders: Vec<TcpStream> = (0..4u8)
        .flat_map(|a| (0..32).map(move |i| (a, i)))
        .map(|(a, i)| {
            let from = Ipv4Addr::new(127, 0, 0, 2 + a);
            let (stream, _) = register(from, port, &format!("f{a}_{i}"));
            let socket = socket2::SockRef::from(&stream);
            socket.set_send_buffer_size(4096).unwrap();
            stream
        })
        .collect();
    let rss_before = server.status_kib("VmRSS:");
    let kernel_before = tcp_mem_kib();
    let running = Arc::new(AtomicBool::new(true));
    let sampler = {
        let running = Arc::clone(&running);
        thread::spawn(move || {
            let mut peak = 0;
            while running.load(Ordering::SeqCst) {
                peak = peak.max(tcp_mem_kib());
                thread::sleep(Duration::from_millis(20));
            }
            peak
        })
    };
    let started = Instant::now();
    let batch = "help\n".repeat(200);
    let handles: Vec<_> = flooders
        .into_iter()
        .map(|mut stream| {
            let batch = batch.clone();
            thread::spawn(move || {
                for _ in 0..(16 << 20) / batch.len() {
                    if stream.write_all(batch.as_bytes()).is_err() {
                        return true;
                    }
                }
                false
            })
        })
        .collect();
    let cut = handles
        .into_iter()
        .map(|h| h.join().unwrap())
        .filter(|&c| c)
        .count();
    let took = started.elapsed();
    running.store(false, Ordering::SeqCst);
    let kernel_peak = sampler.join().unwrap();
    let rss_peak = server.status_kib("VmHWM:");
    println!();
    println!("128 connections from 4 addresses send help and never read (command budget lifted):");
    println!(
        "  {cut} of 128 cut off in {took:.1?}; server RSS {rss_before} KiB before, peak {rss_peak} KiB (+{:.1} MiB)",
        rss_peak.saturating_sub(rss_before) as f64 / 1024.0
    );
    println!(
        "  kernel TCP memory (both ends, /proc/net/sockstat): {kernel_before} KiB before, peak {kernel_peak} KiB (+{:.1} MiB)",
        kernel_peak.saturating_sub(kernel_before) as f64 / 1024.0
    );
}

/// The kernel's TCP memory in KiB (`TCP: ... mem <pages>` in `/proc/net/sockstat`).
fn tcp_mem_kib() -> u64 {
    let sockstat = std::fs::read_to_string("/proc/net/sockstat").unwrap_or_default();
    sockstat
        .lines()
        .find(|l| l.starts_with("TCP:"))
        .and_then(|l| l.split_whitespace().skip_while(|w| *w != "mem").nth(1))
        .and_then(|p| p.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4)
}
