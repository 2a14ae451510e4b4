//! Support for labchat's integration tests: start the real `server` and `client` binaries (and
//! raw-socket clients, as a person with `nc` would), and wait for what a person would see.
//!
//! Every wait has a deadline; a failed wait panics with everything each side printed, so a
//! failing test explains itself.
#![forbid(unsafe_code)]

pub mod agreement;
mod binaries;
pub mod eve;
pub mod fake_server;
mod home;
pub mod netns;
pub mod pty;
mod raw;
pub mod relay;
mod running;
pub mod screen;
pub mod slot;
mod transcript;

pub use binaries::binary;
pub use home::ConfigHome;
pub use raw::{connect_from, propose_name_from, RawClient};
pub use running::{run_to_exit, Client, Finished, Server, ServerBuilder};
pub use transcript::Transcript;

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

/// Resident memory of process `pid` in KiB (`VmRSS` in `/proc/PID/status`).
///
/// # Panics
/// If the process is gone.
pub fn rss_kib(pid: u32) -> u64 {
    proc_status_kib(pid, "VmRSS:")
}

/// The most resident memory process `pid` ever had, in KiB (`VmHWM` in `/proc/PID/status`):
/// a peak between two samples is not missed.
///
/// # Panics
/// If the process is gone.
pub fn peak_rss_kib(pid: u32) -> u64 {
    proc_status_kib(pid, "VmHWM:")
}

fn proc_status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the process runs");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"))
}

/// Asserts that none of `lines` (what `whose` terminal showed) holds a raw control character
/// or a bidi override: peer text must arrive escaped.
///
/// # Panics
/// Naming the lines that hold one.
pub fn assert_no_raw_controls(lines: Vec<String>, whose: &str) {
    let raw: Vec<String> = lines
        .into_iter()
        .filter(|l| l.chars().any(|c| c.is_control() || c == '\u{202e}'))
        .collect();
    assert!(
        raw.is_empty(),
        "raw control characters reached {whose} terminal: {raw:?}"
    );
}

/// What [`flood_without_newline`] saw.
#[derive(Debug, Clone, Copy)]
pub struct Flood {
    /// MiB written before the peer hung up (or the cap was reached).
    pub sent_mib: usize,
    /// The peer's resident memory before the flood, in KiB.
    pub rss_before: u64,
    /// The most it reached during the flood, in KiB.
    pub rss_peak: u64,
}

/// Writes 1 MiB chunks with no line break to `socket`, at most `max_mib` of them, until the
/// peer (process `pid`) hangs up, watching its resident memory after each chunk.
pub fn flood_without_newline(socket: &mut TcpStream, pid: u32, max_mib: usize) -> Flood {
    let rss_before = rss_kib(pid);
    let chunk = vec![b'g'; 1024 * 1024];
    let mut flood = Flood {
        sent_mib: 0,
        rss_before,
        rss_peak: rss_before,
    };
    for _ in 0..max_mib {
        if socket.write_all(&chunk).is_err() {
            break;
        }
        flood.sent_mib += 1;
        flood.rss_peak = flood.rss_peak.max(rss_kib(pid));
    }
    flood
}

/// How long a test waits for something that should happen at once.
pub const WAIT: Duration = Duration::from_secs(10);

/// Tests that must not overlap one another, named by what they share. A test takes its group
/// with [`serial`] before it starts anything; the other tests of the binary run beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serial {
    /// Tests that time a terminal's redraws (`terminal.rs`, `pty_screen.rs`): on a two-core
    /// machine a dozen editors redrawing at once starve the one being timed.
    Terminal,
    /// The load-heavy tests of the `stress` binary (a hundred clients killed at once, floods,
    /// a thousand threads): each loads both cores, so one's time budget must not be spent
    /// waiting for another.
    Load,
}

/// Holds `group`'s only lock until the returned guard is dropped (the test's end): the tests of
/// one group run one at a time. One that fails does not block the rest.
pub fn serial(group: Serial) -> std::sync::MutexGuard<'static, ()> {
    static TERMINAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    static LOAD: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let lock = match group {
        Serial::Terminal => &TERMINAL,
        Serial::Load => &LOAD,
    };
    lock.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Reads the answer to a `status` just sent from what `received` holds: the header
/// `(server): N users online:`, then N rows `(server): - <name>: <state>`, which it returns.
///
/// # Panics
/// If the header or a row does not come within [`WAIT`]; the message ends with `seen()`.
fn status_rows(received: &Transcript, seen: impl Fn() -> String) -> Vec<String> {
    let header = received
        .wait_for(WAIT, |l| {
            l.starts_with("(server): ") && l.ends_with(" online:")
        })
        .unwrap_or_else(|| panic!("no answer to status\n{}", seen()));
    let count: usize = header
        .trim_start_matches("(server): ")
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {header:?}\n{}", seen()));
    (0..count)
        .map(|n| {
            received
                .wait_for(WAIT, |l| l.starts_with("(server): - "))
                .unwrap_or_else(|| panic!("{header:?} but only {n} rows\n{}", seen()))
        })
        .collect()
}

/// The lines the server said it ignored without answering each: the sum of its coalesced
/// counts (`(server): 1,234 more lines like that were ignored`, `... 1 more line like that was
/// ignored`) in `lines`.
///
/// # Panics
/// If a count is not a number.
pub fn coalesced_count(lines: &[String]) -> usize {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix("(server): "))
        .filter_map(|l| {
            l.strip_suffix(" more lines like that were ignored")
                .or_else(|| l.strip_suffix(" more line like that was ignored"))
        })
        .map(|n| n.replace(',', "").parse::<usize>().expect("a count"))
        .sum()
}
