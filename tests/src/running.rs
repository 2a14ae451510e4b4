//! The real `server` and `client` processes, driven through stdin and signals.

use crate::netns::Host;
use crate::{binary, ConfigHome, RawClient, Transcript, WAIT};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A running `server` on a port it chose itself.
#[derive(Debug)]
pub struct Server {
    child: Child,
    port: u16,
    /// Its `XDG_CONFIG_HOME` (its identity key), removed with it.
    home: ConfigHome,
    /// Its console on standard input, when started with [`ServerBuilder::console_on_stdin`].
    stdin: Option<ChildStdin>,
    /// A folder of its own holding its console socket, removed when it is dropped.
    console_dir: PathBuf,
    /// What it printed on stdout.
    pub stdout: Transcript,
    /// Its log (stderr).
    pub log: Transcript,
}

impl Server {
    /// Starts `server 0 --no-advertise` and waits until it says which port it took: the
    /// usual test server. [`Server::builder`] starts any other.
    ///
    /// # Panics
    /// If it does not start within [`WAIT`].
    pub fn start() -> Server {
        Server::builder().start()
    }

    /// A server to start with options: `Server::builder().args(&["--max-clients", "3"]).start()`.
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's own `XDG_CONFIG_HOME`, where it keeps `labchat/server-identity`.
    pub fn home(&self) -> &ConfigHome {
        &self.home
    }

    /// The fingerprint the server printed at start (`Server key fingerprint: ...`).
    pub fn fingerprint(&self) -> String {
        self.stdout
            .lines()
            .iter()
            .find_map(|l| l.strip_prefix("Server key fingerprint: "))
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no fingerprint in {:#?}", self.stdout.lines()))
    }

    /// Starts a client process against this server, not yet registered.
    pub fn spawn_client(&self) -> Client {
        Client::spawn(&["127.0.0.1".into(), self.port.to_string()])
    }

    /// Starts a client and registers `name`, waiting for the server's welcome.
    pub fn client(&self, name: &str) -> Client {
        self.spawn_client().register(name)
    }

    /// Starts `client <host> <port> <extra args>` against this server, not yet registered.
    pub fn spawn_client_with(&self, host: &str, extra: &[&str]) -> Client {
        let mut args = vec![host.to_string(), self.port.to_string()];
        args.extend(extra.iter().map(|a| a.to_string()));
        Client::spawn(&args)
    }

    /// Starts `client <host> <port>` (e.g. `::1` or `localhost`) and registers `name`.
    pub fn client_via(&self, host: &str, name: &str) -> Client {
        self.spawn_client_with(host, &[]).register(name)
    }

    /// Opens a raw socket to the server, as `nc` would.
    pub fn raw(&self) -> RawClient {
        RawClient::connect(self.port)
    }

    /// Sends a signal (`"INT"`, `"TERM"`, `"KILL"`, ...).
    pub fn signal(&self, signal: &str) {
        send_signal(self.child.id(), signal);
    }

    /// Waits for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        wait_child(&mut self.child, timeout)
    }

    /// The path of its console socket (`--console-socket`), in a folder of its own.
    pub fn console_socket(&self) -> PathBuf {
        self.console_dir.join("console.sock")
    }

    /// Types `line` on its console (standard input).
    ///
    /// # Panics
    /// Unless started with [`ServerBuilder::console_on_stdin`], or if its input is closed.
    pub fn console_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("started with console_on_stdin");
        writeln!(stdin, "{line}").expect("the server reads its console");
        stdin.flush().expect("the server reads its console");
    }

    /// Ends its standard input.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }
}

/// A new private folder for one test server's console socket, short enough for a socket path.
fn console_dir() -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "labchat-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::os::unix::fs::DirBuilderExt::mode(&mut std::fs::DirBuilder::new(), 0o700)
        .create(&dir)
        .expect("a folder for the console socket");
    dir
}

/// Removes a test server's console folder.
fn remove_console_dir(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}

/// Which port a test server is told to listen on.
#[derive(Debug, Clone, Copy, Default)]
enum Port {
    /// `0`: a free port the server picks and prints.
    #[default]
    Free,
    /// A given port (to restart a server where clients expect it).
    Fixed(u16),
    /// No port argument at all: the server's default, 5000 (only inside a namespace).
    Default,
}

/// How to start a test [`Server`]. A test server never advertises on the machine's own
/// network: it gets `--no-advertise` unless it runs on a namespace host of the test's own
/// ([`ServerBuilder::on`]) and the test asks for it ([`ServerBuilder::advertising`]).
#[derive(Debug, Default)]
pub struct ServerBuilder {
    wrapper: Vec<String>,
    port: Port,
    args: Vec<String>,
    in_namespace: bool,
    advertise: bool,
    console_on_stdin: bool,
}

impl ServerBuilder {
    /// Adds options after the port: `.args(&["--dh-group", "toy"])`.
    pub fn args(mut self, args: &[&str]) -> ServerBuilder {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    /// Lifts every limit per address, per network and per connection's rate (`--max-per-host`,
    /// `--max-per-network`, `--status-rate`, `--command-rate`): a test's many clients all come
    /// from 127.0.0.1, which the server would otherwise count as one busy machine. As
    /// `bench/compare.sh` does for the benchmark.
    pub fn without_host_limits(self) -> ServerBuilder {
        self.args(&[
            "--max-per-host",
            "1000000",
            "--max-per-network",
            "1000000",
            "--status-rate",
            "1000000",
            "--command-rate",
            "1000000",
        ])
    }

    /// Gives the server a pipe for standard input, for [`Server::console_line`] (otherwise its
    /// standard input is `/dev/null`).
    pub fn console_on_stdin(mut self) -> ServerBuilder {
        self.console_on_stdin = true;
        self
    }

    /// Runs the server under a wrapper command, e.g. `prlimit --nofile=40:40`.
    pub fn under(mut self, wrapper: &[&str]) -> ServerBuilder {
        self.wrapper = wrapper.iter().map(|a| a.to_string()).collect();
        self
    }

    /// Runs the server on `host`, a network namespace of the test's own
    /// [`Lan`](crate::netns::Lan).
    pub fn on(mut self, host: &Host) -> ServerBuilder {
        self.in_namespace = true;
        self.under(&host.wrapper())
    }

    /// Listens on `port` instead of a free one.
    pub fn port(mut self, port: u16) -> ServerBuilder {
        self.port = Port::Fixed(port);
        self
    }

    /// Gives no port at all, so the server takes its default (5000). Only on a namespace host,
    /// where nothing else holds that port.
    pub fn default_port(mut self) -> ServerBuilder {
        self.port = Port::Default;
        self
    }

    /// Lets the server advertise itself over mDNS, as a real one does.
    ///
    /// # Panics
    /// Unless it runs on a namespace host ([`ServerBuilder::on`]): a test never announces
    /// servers to the real LAN.
    pub fn advertising(mut self) -> ServerBuilder {
        assert!(
            self.in_namespace,
            "a test server advertises only inside network namespaces of its own: call .on(host) first"
        );
        self.advertise = true;
        self
    }

    /// Starts the server and waits until it says which port it took.
    ///
    /// # Panics
    /// If it does not start within [`WAIT`], or a port-less server runs outside a namespace.
    pub fn start(self) -> Server {
        let mut args: Vec<String> = match self.port {
            Port::Free => vec!["0".into()],
            Port::Fixed(port) => vec![port.to_string()],
            Port::Default => {
                assert!(
                    self.in_namespace,
                    "the default port is only for a server on a namespace host: call .on(host)"
                );
                Vec::new()
            }
        };
        args.extend(self.args);
        if !self.advertise {
            args.push("--no-advertise".into());
        }
        let console_dir = console_dir();
        args.push("--console-socket".into());
        args.push(console_dir.join("console.sock").display().to_string());
        let wrapper: Vec<&str> = self.wrapper.iter().map(String::as_str).collect();
        let home = ConfigHome::new();
        let mut command = wrapped("server", &wrapper);
        home.apply(&mut command);
        let mut child = command
            .args(&args)
            .stdin(if self.console_on_stdin {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server binary starts");
        let stdout = Transcript::capture(child.stdout.take().expect("piped stdout"));
        let log = Transcript::capture(child.stderr.take().expect("piped stderr"));
        let started = stdout.wait_for(WAIT, |l| l == "Server started successfully");
        let listening = stdout.wait_for(WAIT, |l| l.starts_with("Listening on port "));
        let port = listening
            .as_deref()
            .and_then(|l| l.strip_prefix("Listening on port "))
            .and_then(|l| l.split('.').next())
            .and_then(|p| p.parse().ok());
        match (started, port) {
            (Some(_), Some(port)) => Server {
                stdin: child.stdin.take(),
                child,
                port,
                home,
                console_dir,
                stdout,
                log,
            },
            _ => {
                remove_console_dir(&console_dir);
                panic!(
                    "server did not start\nstdout: {:#?}\nstderr: {:#?}",
                    stdout.lines(),
                    log.lines()
                )
            }
        }
    }
}

/// `program` (a workspace binary), or `<wrapper...> program` when a wrapper is given.
fn wrapped(program: &str, wrapper: &[&str]) -> Command {
    let path = binary(program);
    match wrapper.split_first() {
        Some((first, rest)) => {
            let mut command = Command::new(first);
            command.args(rest).arg(path);
            command
        }
        None => Command::new(path),
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        remove_console_dir(&self.console_dir);
    }
}

/// A running `client` process.
#[derive(Debug)]
pub struct Client {
    /// The name it registered with (empty until then).
    pub name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    /// What it printed on stdout: what the person sees.
    pub stdout: Transcript,
    /// What it printed on stderr.
    pub stderr: Transcript,
    /// Its own fresh `XDG_CONFIG_HOME`, unless the test gave it one ([`Client::spawn_in`]).
    _home: Option<ConfigHome>,
}

impl Client {
    /// Starts `client <args>` with piped stdin, stdout and stderr, and a fresh
    /// `XDG_CONFIG_HOME` of its own (a new identity, no pins).
    pub fn spawn(args: &[String]) -> Client {
        Client::spawn_under(&[], args)
    }

    /// Starts `client <args>` with `home` as its `XDG_CONFIG_HOME`: the same person as every
    /// other client started in `home` (same identity, same pins).
    pub fn spawn_in(home: &ConfigHome, args: &[String]) -> Client {
        Client::start(&[], args, Err(home))
    }

    /// Starts `<wrapper...> client <args>` (e.g. under `ip netns exec lab`) with piped stdin,
    /// stdout and stderr, and a fresh `XDG_CONFIG_HOME` of its own.
    pub fn spawn_under(wrapper: &[&str], args: &[String]) -> Client {
        Client::start(wrapper, args, Ok(ConfigHome::new()))
    }

    /// Starts the process in its own home (`Ok`) or in one the test keeps (`Err`).
    fn start(wrapper: &[&str], args: &[String], home: Result<ConfigHome, &ConfigHome>) -> Client {
        let mut command = wrapped("client", wrapper);
        match &home {
            Ok(own) => own.apply(&mut command),
            Err(given) => given.apply(&mut command),
        }
        let mut child = command
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the client binary starts");
        let stdout = Transcript::capture(child.stdout.take().expect("piped stdout"));
        let stderr = Transcript::capture(child.stderr.take().expect("piped stderr"));
        let stdin = child.stdin.take();
        Client {
            name: String::new(),
            child,
            stdin,
            stdout,
            stderr,
            _home: home.ok(),
        }
    }

    /// Starts `client 127.0.0.1 <port> <extra...>` (a relay's port, say) and registers
    /// `name` by typing it.
    ///
    /// # Panics
    /// If the name is not accepted within [`WAIT`].
    pub fn registered_at(port: u16, name: &str, extra: &[&str]) -> Client {
        let mut args = vec!["127.0.0.1".to_string(), port.to_string()];
        args.extend(extra.iter().map(|a| a.to_string()));
        Client::spawn(&args).register(name)
    }

    /// Starts `client 127.0.0.1 <port> <extra...>` with `home` as its `XDG_CONFIG_HOME` (the
    /// same person as every client started in `home`) and registers `name`.
    ///
    /// # Panics
    /// If the name is not accepted within [`WAIT`].
    pub fn registered_in(home: &ConfigHome, port: u16, name: &str, extra: &[&str]) -> Client {
        let mut args = vec!["127.0.0.1".to_string(), port.to_string()];
        args.extend(extra.iter().map(|a| a.to_string()));
        Client::spawn_in(home, &args).register(name)
    }

    /// Answers the server's question for a name with `name` and waits for its welcome.
    ///
    /// # Panics
    /// If the question or the welcome does not come within [`WAIT`].
    fn register(mut self, name: &str) -> Client {
        self.expect("Please enter your user name:");
        self.send(name);
        self.expect(&format!("(server): Hello {name}!"));
        self.name = name.to_string();
        self
    }

    /// Its standard input, to write to from another thread (a flood that may block); the
    /// client then reads no more lines from [`Client::send`].
    ///
    /// # Panics
    /// If it was taken or closed already.
    pub fn take_stdin(&mut self) -> ChildStdin {
        self.stdin.take().expect("stdin is still open")
    }

    /// Types one line.
    pub fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is still open");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .and_then(|()| stdin.flush())
            .unwrap_or_else(|e| panic!("typing {line:?} into {}: {e}\n{}", self.name, self.dump()));
    }

    /// Types `status` and returns the user rows of the answer (`(server): - bob: FREE (you)`).
    ///
    /// # Panics
    /// If the whole answer does not come within [`WAIT`].
    pub fn status(&mut self) -> Vec<String> {
        self.send("status");
        crate::status_rows(&self.stdout, || self.dump())
    }

    /// Closes stdin, as Ctrl+D would.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for a new line containing `text` and returns it.
    ///
    /// # Panics
    /// If none arrives within [`WAIT`]; the message holds everything the client printed.
    pub fn expect(&self, text: &str) -> String {
        self.stdout
            .wait_for(WAIT, |l| l.contains(text))
            .unwrap_or_else(|| panic!("{} never showed {text:?}\n{}", self.label(), self.dump()))
    }

    /// Waits for a new line that is exactly `text`.
    ///
    /// # Panics
    /// If none arrives within [`WAIT`].
    pub fn expect_line(&self, text: &str) {
        self.stdout
            .wait_for(WAIT, |l| l == text)
            .unwrap_or_else(|| {
                panic!(
                    "{} never showed the line {text:?}\n{}",
                    self.label(),
                    self.dump()
                )
            });
    }

    /// Waits up to `timeout` for a line containing `text`; `None` if it does not come.
    pub fn maybe(&self, text: &str, timeout: Duration) -> Option<String> {
        self.stdout.wait_for(timeout, |l| l.contains(text))
    }

    /// Sends a signal (`"INT"`, `"KILL"`, `"STOP"`, `"CONT"`, ...).
    pub fn signal(&self, signal: &str) {
        send_signal(self.child.id(), signal);
    }

    /// Waits for the process to exit and returns its exit code.
    ///
    /// # Panics
    /// If it does not exit within `timeout`, or dies from a signal.
    pub fn expect_exit(&mut self, timeout: Duration) -> i32 {
        match wait_child(&mut self.child, timeout) {
            Some(status) => status.code().unwrap_or_else(|| {
                panic!(
                    "{} died from a signal: {status}\n{}",
                    self.label(),
                    self.dump()
                )
            }),
            None => panic!(
                "{} did not exit within {timeout:?}\n{}",
                self.label(),
                self.dump()
            ),
        }
    }

    /// Waits up to `timeout` for the process to exit, however it ended (e.g. killed).
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        wait_child(&mut self.child, timeout)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn label(&self) -> String {
        if self.name.is_empty() {
            format!("client {}", self.child.id())
        } else {
            format!("client {}", self.name)
        }
    }

    /// Everything the client printed, for failure messages.
    pub fn dump(&self) -> String {
        format!(
            "stdout: {:#?}\nstderr: {:#?}",
            self.stdout.lines(),
            self.stderr.lines()
        )
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How a program run to completion by [`run_to_exit`] ended.
#[derive(Debug)]
pub struct Finished {
    /// Its exit code (`None` if a signal ended it).
    pub code: Option<i32>,
    /// What it printed on stdout, line by line.
    pub stdout: Vec<String>,
    /// What it printed on stderr, line by line.
    pub stderr: Vec<String>,
}

/// Runs the workspace binary `name` (`"server"` or `"client"`) with `args` and stdin closed,
/// and waits for it to exit on its own.
///
/// # Panics
/// If it is still running after `timeout` (it is then killed).
pub fn run_to_exit(name: &str, args: &[&str], timeout: Duration) -> Finished {
    let home = ConfigHome::new();
    let mut command = Command::new(binary(name));
    home.apply(&mut command);
    let mut child = command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{name} {args:?} could not start: {e}"));
    let stdout = Transcript::capture(child.stdout.take().expect("piped stdout"));
    let stderr = Transcript::capture(child.stderr.take().expect("piped stderr"));
    let Some(status) = wait_child(&mut child, timeout) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "{name} {args:?} did not exit within {timeout:?}\nstdout: {:#?}\nstderr: {:#?}",
            stdout.lines(),
            stderr.lines()
        );
    };
    // The pipes close when the process exits; let the readers take the last lines.
    stdout.wait_end(WAIT);
    stderr.wait_end(WAIT);
    Finished {
        code: status.code(),
        stdout: stdout.lines(),
        stderr: stderr.lines(),
    }
}

fn send_signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("kill can be run");
    assert!(status.success(), "kill -{signal} {pid} failed");
}

fn wait_child(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
