//! What `/proc` says about a process: CPU time, resident memory, threads, file descriptors.

use std::fs;
use std::io;
use std::time::Instant;

/// Linux reports `utime`/`stime` in USER_HZ, which is 100 on every architecture it ships.
const TICKS_PER_SEC: f64 = 100.0;

/// CPU time (user + system, all threads) of `pid` in clock ticks.
///
/// # Errors
/// The process is gone or `/proc` is not mounted.
pub fn cpu_ticks(pid: u32) -> io::Result<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name may hold spaces; the fields we want follow its closing ')'.
    let after = stat
        .rfind(')')
        .map(|at| &stat[at + 1..])
        .ok_or_else(|| io::Error::other("unreadable /proc/PID/stat"))?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    let parse = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
    match (parse(11), parse(12)) {
        (Some(user), Some(system)) => Ok(user + system),
        _ => Err(io::Error::other("unreadable /proc/PID/stat")),
    }
}

/// Resident memory (KiB) and thread count of `pid`, from `/proc/PID/status`.
///
/// # Errors
/// The process is gone.
pub fn memory(pid: u32) -> io::Result<(u64, u64)> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Ok((field("VmRSS:"), field("Threads:")))
}

/// Open file descriptors of `pid`.
pub fn fd_count(pid: u32) -> usize {
    fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count)
}

/// The soft "Max open files" limit of `pid`.
pub fn nofile_limit(pid: u32) -> Option<u64> {
    let limits = fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Finds the process listening on TCP `port` (IPv4 or IPv6) through `/proc/net/tcp*` and the
/// file descriptors in `/proc/*/fd`. Needs the rights to read the other process's fds (root,
/// or the same user).
pub fn listener_pid(port: u16) -> Option<u32> {
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            // local_address is "IP:PORT" in hex, st 0A is LISTEN, inode is field 9.
            let listening = f.get(3) == Some(&"0A");
            let local_port = f
                .get(1)
                .and_then(|a| a.rsplit(':').next())
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            if listening && local_port == Some(port) {
                if let Some(inode) = f.get(9) {
                    inodes.push(format!("socket:[{inode}]"));
                }
            }
        }
    }
    if inodes.is_empty() {
        return None;
    }
    for entry in fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if let Ok(link) = fs::read_link(fd.path()) {
                if inodes.iter().any(|i| link.as_os_str() == i.as_str()) {
                    return Some(pid);
                }
            }
        }
    }
    None
}

/// Busy time of the whole machine (all cores, all processes) in clock ticks, from the first
/// line of `/proc/stat`: everything but idle and iowait.
fn machine_busy_ticks() -> u64 {
    let Ok(stat) = fs::read_to_string("/proc/stat") else {
        return 0;
    };
    let Some(cpu) = stat.lines().next() else {
        return 0;
    };
    let fields: Vec<u64> = cpu
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let total: u64 = fields.iter().take(8).sum();
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    total.saturating_sub(idle)
}

/// CPU use of the server, of the generator itself and of everything else over an interval.
#[derive(Debug, Clone, Copy)]
pub struct CpuMeter {
    server_pid: u32,
    start: Instant,
    server_ticks: u64,
    own_ticks: u64,
    machine_ticks: u64,
}

/// What a [`CpuMeter`] measured: percent of one core (200 % is both cores of this machine).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CpuUse {
    /// The server's CPU percent.
    pub server: f64,
    /// The generator's CPU percent.
    pub generator: f64,
    /// Everything else on the machine (other processes, interrupts): high means the figure
    /// was disturbed.
    pub other: f64,
}

impl CpuMeter {
    /// Starts measuring `server_pid` and this process.
    pub fn start(server_pid: u32) -> CpuMeter {
        CpuMeter {
            server_pid,
            start: Instant::now(),
            server_ticks: cpu_ticks(server_pid).unwrap_or(0),
            own_ticks: cpu_ticks(std::process::id()).unwrap_or(0),
            machine_ticks: machine_busy_ticks(),
        }
    }

    /// CPU percent of each side since [`CpuMeter::start`].
    pub fn stop(&self) -> CpuUse {
        let secs = self.start.elapsed().as_secs_f64().max(1e-3);
        let pct =
            |now: u64, then: u64| now.saturating_sub(then) as f64 / TICKS_PER_SEC / secs * 100.0;
        let server = pct(cpu_ticks(self.server_pid).unwrap_or(0), self.server_ticks);
        let generator = pct(cpu_ticks(std::process::id()).unwrap_or(0), self.own_ticks);
        let machine = pct(machine_busy_ticks(), self.machine_ticks);
        CpuUse {
            server,
            generator,
            other: (machine - server - generator).max(0.0),
        }
    }
}
