//! Support for labchat's integration tests: start the real `server` and `client` binaries (and
//! raw-socket clients, as a person with `nc` would), and wait for what a person would see.
//!
//! Every wait has a deadline; a failed wait panics with everything each side printed, so a
//! failing test explains itself.
#![forbid(unsafe_code)]

pub mod agreement;
mod binaries;
pub mod grinder;
pub mod netns;
pub mod pty;
mod raw;
pub mod relay;
mod running;
mod transcript;

pub use binaries::binary;
pub use raw::RawClient;
pub use running::{run_to_exit, Client, Finished, Server};
pub use transcript::Transcript;

use std::time::Duration;

/// Resident memory of process `pid` in KiB (`VmRSS` in `/proc/PID/status`).
///
/// # Panics
/// If the process is gone.
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the process runs");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS in /proc/PID/status")
}

/// How long a test waits for something that should happen at once.
pub const WAIT: Duration = Duration::from_secs(10);
