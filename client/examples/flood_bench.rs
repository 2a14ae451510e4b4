//! The client's CPU while a partner floods it: a fake server welcomes the client, puts it in a
//! chat with "bob", and sends bob's chat lines at a steady rate (25 MB/s unless told) for a
//! while; the client runs on a pseudo-terminal (`script`), as a person's would, so that the
//! lines go through the line editor to the screen. Prints what was sent, how fast the client
//! read it, and the CPU time it used (from `/proc`).
//!
//! ```text
//! cargo build --release -p client --bin client --example flood_bench
//! target/release/examples/flood_bench [CLIENT_BINARY] [MB_PER_SECOND] [SECONDS]
//! ```
//!
//! `CLIENT_BINARY` defaults to the `client` beside the example's folder (the same build).
//! Needs Linux (`/proc`) and `script` (util-linux).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let client = args.next().map(PathBuf::from).unwrap_or_else(|| {
        let me = std::env::current_exe().expect("the example knows where it is");
        me.parent()
            .and_then(|d| d.parent())
            .expect("examples/ has a parent")
            .join("client")
    });
    let rate: f64 = args
        .next()
        .map_or(25.0, |a| a.parse().expect("MB per second"));
    let seconds: u64 = args.next().map_or(10, |a| a.parse().expect("seconds"));

    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("a bound port").port();
    // A config folder of its own (identity key, pins): a benchmark writes nothing in ~/.config.
    // Not a key file directly in the temporary folder: the client refuses a key in a folder
    // that others may write, as ssh does.
    let home = std::env::temp_dir().join(format!("labchat-flood-bench-{}", std::process::id()));
    let command = format!("{} 127.0.0.1 {port} --name alice", client.display());
    // `script` gives the client a pseudo-terminal; its output (the screen) is read and dropped.
    // Its stdin stays open (an end of input would be Ctrl+D, which closes the client).
    let mut terminal = Command::new("script")
        .args(["-q", "-f", "-c", &command, "/dev/null"])
        .env("TERM", "xterm-256color")
        .env("XDG_CONFIG_HOME", &home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("script (util-linux) runs");
    let mut screen = terminal.stdout.take().expect("piped");
    let drawn = thread::spawn(move || {
        let mut buf = vec![0; 64 * 1024];
        while screen.read(&mut buf).is_ok_and(|n| n > 0) {}
    });

    let (mut socket, _) = listener.accept().expect("the client connects");
    let _ = socket.set_nodelay(true);
    let pid = client_pid(terminal.id()).expect("the client runs under script");
    welcome(&mut socket);

    let line = format!("bob: {}\n", "flood ".repeat(12));
    let per_tick = (rate * 1e6 / 100.0) as usize / line.len();
    let batch = line.repeat(per_tick.max(1));
    let sent = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let cpu_before = cpu_ticks(pid);
    let started = Instant::now();
    // The writer paces itself in ticks of 10 ms; a client that reads slower holds it back.
    let writer = {
        let (sent, stop, mut socket) = (
            Arc::clone(&sent),
            Arc::clone(&stop),
            socket.try_clone().expect("the socket can be cloned"),
        );
        thread::spawn(move || {
            let mut tick = 0;
            while !stop.load(Ordering::Relaxed) {
                let due = started + Duration::from_millis(tick * 10);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    thread::sleep(wait);
                }
                if socket.write_all(batch.as_bytes()).is_err() {
                    return;
                }
                sent.fetch_add(batch.len() as u64, Ordering::Relaxed);
                tick += 1;
            }
        })
    };
    thread::sleep(Duration::from_secs(seconds));
    let cpu = (cpu_ticks(pid) - cpu_before) as f64 / ticks_per_second();
    let elapsed = started.elapsed().as_secs_f64();
    let sent = sent.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    let lines = sent / line.len() as u64;
    println!("client: {}", client.display());
    println!(
        "the client read {:.1} MB ({lines} lines of {} bytes) in {elapsed:.1} s: {:.1} MB/s \
         (offered {rate} MB/s)",
        sent as f64 / 1e6,
        line.len(),
        sent as f64 / 1e6 / elapsed,
    );
    println!(
        "client CPU: {cpu:.2} s in {elapsed:.1} s = {:.0}% of one core",
        100.0 * cpu / elapsed
    );
    let _ = socket.shutdown(std::net::Shutdown::Both);
    drop(socket);
    let _ = writer.join();
    thread::sleep(Duration::from_millis(500));
    let _ = Command::new("kill").arg(pid.to_string()).status();
    let _ = terminal.kill();
    let _ = terminal.wait();
    let _ = std::fs::remove_dir_all(&home);
    let _ = drawn;
}

/// Plays the server up to a chat with bob: the name question, the welcome, the chat.
fn welcome(socket: &mut TcpStream) {
    socket
        .write_all(
            b"(server): Welcome to labchat! Please enter your user name:\n\
              (server): You have 30 seconds to send a name.\n",
        )
        .expect("the client listens");
    // The client opens with `hello`; refused as an older server refuses it, then the name.
    let mut reader = BufReader::new(socket.try_clone().expect("the socket clones"));
    let mut hello = String::new();
    reader.read_line(&mut hello).expect("the client says hello");
    socket
        .write_all(b"(server): That name is not valid: a name may hold only letters, digits, '_', '-' and '.', not ' ' (a space); please choose another:\n")
        .expect("the client listens");
    let mut name = String::new();
    reader
        .read_line(&mut name)
        .expect("the client sends its name");
    socket
        .write_all(
            b"(server): Hello alice! Type status to see who is here, connect <user> to chat, \
              help for more.\n(server): You are now connected to bob\n",
        )
        .expect("the client listens");
    thread::sleep(Duration::from_millis(500));
}

/// The `client` process under `script` (its child).
fn client_pid(script: u32) -> Option<u32> {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let children =
            std::fs::read_to_string(format!("/proc/{script}/task/{script}/children")).ok()?;
        if let Some(pid) = children.split_whitespace().next() {
            return pid.parse().ok();
        }
        thread::sleep(Duration::from_millis(20));
    }
    None
}

/// User and system CPU time of `pid`, in clock ticks (`/proc/PID/stat`, fields 14 and 15).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("the client runs");
    let after_name = stat.rsplit_once(')').expect("a stat line").1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
    fields[11].parse::<u64>().unwrap_or(0) + fields[12].parse::<u64>().unwrap_or(0)
}

/// Clock ticks a second: 100 on every Linux the project runs on (`getconf CLK_TCK`).
fn ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok()?.trim().parse().ok())
        .unwrap_or(100.0)
}
