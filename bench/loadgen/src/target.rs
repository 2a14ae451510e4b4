//! The server under test: one the generator starts (labchat's release build on port 0, or
//! ngircd with a given configuration) or one already running at an address.

use crate::procfs;
use crate::proto::{Irc, Labchat, Protocol};
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Which server, and how to reach or start it.
#[derive(Debug, Clone)]
pub enum Spec {
    /// Start `bin 0 args...` (labchat) and read its port.
    StartLabchat {
        bin: PathBuf,
        log: Option<PathBuf>,
        args: Vec<String>,
    },
    /// Start `bin --nodaemon --config conf` (ngircd), which listens on `addr`.
    StartNgircd {
        bin: PathBuf,
        conf: PathBuf,
        addr: SocketAddr,
    },
    /// A server already running at `addr` (pid found by its port unless given).
    Running {
        labchat: bool,
        addr: SocketAddr,
        pid: Option<u32>,
    },
}

impl Spec {
    /// The protocol this server speaks.
    pub fn protocol(&self) -> Arc<dyn Protocol> {
        match self {
            Spec::StartLabchat { .. } | Spec::Running { labchat: true, .. } => Arc::new(Labchat),
            _ => Arc::new(Irc),
        }
    }
}

/// A server being measured.
pub struct Target {
    /// Where clients connect.
    pub addr: SocketAddr,
    /// Its process, for `/proc`.
    pub pid: u32,
    child: Option<Child>,
    // Kept open so the server never writes to a closed pipe.
    _stdout: Option<ChildStdout>,
    /// The `XDG_CONFIG_HOME` of a labchat server this generator started (its identity key),
    /// removed when it stops.
    config: Option<PathBuf>,
}

impl Target {
    /// Starts the server (or finds the running one) and waits until it accepts connections.
    ///
    /// # Errors
    /// The binary is missing, the server did not come up within 10 s, or its pid is unknown.
    pub fn up(spec: &Spec) -> Result<Target, String> {
        match spec {
            Spec::StartLabchat { bin, log, args } => start_labchat(bin, log.as_ref(), args),
            Spec::StartNgircd { bin, conf, addr } => start_ngircd(bin, conf, *addr),
            Spec::Running { addr, pid, .. } => {
                let pid = pid
                    .or_else(|| procfs::listener_pid(addr.port()))
                    .ok_or_else(|| {
                        format!(
                            "no process found listening on port {}; pass --pid",
                            addr.port()
                        )
                    })?;
                Ok(Target {
                    addr: *addr,
                    pid,
                    child: None,
                    _stdout: None,
                    config: None,
                })
            }
        }
    }

    /// Stops a server this generator started (SIGTERM, then SIGKILL after 3 s).
    pub fn down(mut self) {
        if let Some(config) = self.config.take() {
            let _ = std::fs::remove_dir_all(config);
        }
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Numbers the servers one generator starts, for their config folders.
static SERVERS_STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn start_labchat(bin: &PathBuf, log: Option<&PathBuf>, args: &[String]) -> Result<Target, String> {
    if !bin.exists() {
        return Err(format!(
            "{} does not exist; build it with cargo build --release -p server",
            bin.display()
        ));
    }
    let stderr = match log {
        Some(path) => std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map(Stdio::from)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?,
        None => Stdio::null(),
    };
    // A benchmark's server is for this machine alone: it never announces itself on the LAN,
    // and its identity key goes in a folder of its own, not in the user's ~/.config.
    let config = std::env::temp_dir().join(format!(
        "labchat-loadgen-{}-{}",
        std::process::id(),
        SERVERS_STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let mut child = Command::new(bin)
        .args(["0", "--no-advertise"])
        .args(args)
        .env("XDG_CONFIG_HOME", &config)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let pid = child.id();
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    let mut line = String::new();
    let port = loop {
        line.clear();
        match stdout.read_line(&mut line) {
            Ok(0) | Err(_) => {
                let _ = child.kill();
                return Err(format!(
                    "{} exited before saying which port it listens on",
                    bin.display()
                ));
            }
            Ok(_) => {}
        }
        if let Some(rest) = line.trim().strip_prefix("Listening on port ") {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            match digits.parse::<u16>() {
                Ok(port) => break port,
                Err(_) => return Err(format!("cannot read the port from {line:?}")),
            }
        }
    };
    Ok(Target {
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        pid,
        child: Some(child),
        _stdout: Some(stdout.into_inner()),
        config: Some(config),
    })
}

fn start_ngircd(bin: &PathBuf, conf: &PathBuf, addr: SocketAddr) -> Result<Target, String> {
    if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
        return Err(format!(
            "something already listens on {addr}; stop it or pass --addr to use it"
        ));
    }
    let mut child = Command::new(bin)
        .args(["--nodaemon", "--config"])
        .arg(conf)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "{} exited ({status}); check {} with ngircd --configtest",
                bin.display(),
                conf.display()
            ));
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err(format!(
                "{} did not listen on {addr} within 10 s",
                bin.display()
            ));
        }
        thread::sleep(Duration::from_millis(20));
    }
    Ok(Target {
        addr,
        pid: child.id(),
        child: Some(child),
        _stdout: None,
        config: None,
    })
}
