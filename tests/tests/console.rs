//! The server console, through both doors: the server's standard input (a pipe here) and its
//! control socket (`server console --socket PATH`, a real process per command). Every test
//! runs once per door on a server of its own.

use std::io::Write;
use std::net::Ipv4Addr;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tests::{binary, RawClient, Server, Transcript, WAIT};

/// Which door a test types its commands at.
#[derive(Debug, Clone, Copy)]
enum Door {
    Stdin,
    Socket,
}

const DOORS: [Door; 2] = [Door::Stdin, Door::Socket];

/// A server with a console to type at.
struct Console {
    server: Server,
    door: Door,
    asked: usize,
}

impl Console {
    fn start(door: Door) -> Console {
        Console::start_with(door, &[])
    }

    fn start_with(door: Door, args: &[&str]) -> Console {
        let server = Server::builder().args(args).console_on_stdin().start();
        Console {
            server,
            door,
            asked: 0,
        }
    }

    fn port(&self) -> u16 {
        self.server.port()
    }

    /// Types `line` at the console and returns the answer's lines.
    fn ask(&mut self, line: &str) -> Vec<String> {
        match self.door {
            Door::Socket => remote_console(&self.server, &format!("{line}\n")),
            Door::Stdin => {
                // Commands that are sure to be refused mark where the answer starts and ends
                // (the server's own start-up lines may still be on their way when it is asked).
                self.asked += 1;
                let [start, end] = ["start", "end"].map(|edge| {
                    let marker = format!("{edge}-of-answer-{}", self.asked);
                    (marker.clone(), format!("error: unknown command '{marker}'"))
                });
                self.server.console_line(&start.0);
                self.server.console_line(line);
                self.server.console_line(&end.0);
                self.server
                    .stdout
                    .wait_for(WAIT, |l| l.starts_with(&end.1))
                    .unwrap_or_else(|| {
                        panic!("no answer to {line:?}: {:#?}", self.server.stdout.lines())
                    });
                let lines = self.server.stdout.lines();
                let at = |refusal: &str| {
                    lines
                        .iter()
                        .rposition(|l| l.starts_with(refusal))
                        .expect("the marker")
                };
                lines[at(&start.1) + 1..at(&end.1)].to_vec()
            }
        }
    }
}

/// Runs `server console --socket PATH` with `input` on its standard input and returns what it
/// printed, once it exits.
fn remote_console(server: &Server, input: &str) -> Vec<String> {
    let (status, out) = run_console(&server.console_socket(), input);
    assert!(
        status.success(),
        "server console failed: {status}: {out:#?}"
    );
    out
}

/// Runs `server console --socket PATH` and returns how it exited and what it printed on
/// stdout and stderr.
fn run_console(path: &std::path::Path, input: &str) -> (std::process::ExitStatus, Vec<String>) {
    let mut child = Command::new(binary("server"))
        .arg("console")
        .arg("--socket")
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("server console starts");
    let stdout = Transcript::capture(child.stdout.take().expect("piped"));
    let stderr = Transcript::capture(child.stderr.take().expect("piped"));
    {
        // It may have exited already (nobody to reach): then nothing reads this.
        let mut stdin = child.stdin.take().expect("piped");
        let _ = stdin.write_all(input.as_bytes());
    }
    assert!(
        stdout.wait_end(WAIT) && stderr.wait_end(WAIT),
        "server console did not finish: {:#?} {:#?}",
        stdout.lines(),
        stderr.lines()
    );
    let status = child.wait().expect("server console exits");
    let mut out = stdout.lines();
    out.extend(stderr.lines());
    (status, out)
}

fn ip(last: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, last)
}

/// The row of `list` that starts with `name`, its words (name, state..., address, since...).
fn row<'a>(list: &'a [String], name: &str) -> &'a str {
    list.iter()
        .find(|l| l.trim_start().starts_with(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no row for {name}: {list:#?}"))
}

/// `list` names every connection with its state, partner and address, and one still giving
/// its name as such; through both doors.
#[test]
fn list_names_every_user_with_state_partner_and_address() {
    for door in DOORS {
        let mut console = Console::start(door);
        let mut alice = RawClient::register_from(ip(1), console.port(), "alice");
        let _bob = RawClient::register_from(ip(2), console.port(), "bob");
        let _carol = RawClient::register_from(ip(3), console.port(), "carol");
        let naming = RawClient::connect_from(ip(4), console.port());
        naming.expect("Please enter your user name:");
        alice.send("connect bob");
        alice.expect("You are now connected to bob");

        let list = console.ask("list");
        assert_eq!(list[0], "4 connections:", "{door:?}: {list:#?}");
        let alice_row = row(&list, "alice");
        assert!(
            alice_row.contains("BUSY with bob") && alice_row.contains("127.0.0.1"),
            "{door:?}: {alice_row}"
        );
        assert!(alice_row.contains(" since "), "{door:?}: {alice_row}");
        assert!(row(&list, "bob").contains("BUSY with alice"));
        assert!(row(&list, "bob").contains("127.0.0.2"));
        let carol = row(&list, "carol");
        assert!(
            carol.contains("FREE") && carol.contains("127.0.0.3"),
            "{carol}"
        );
        let naming_row = row(&list, "(no name yet)");
        assert!(
            naming_row.contains("naming") && naming_row.contains("127.0.0.4"),
            "{naming_row}"
        );
    }
}

/// `say` reaches every named client as a server notice, a real client's screen too, and is
/// logged; through both doors.
#[test]
fn say_reaches_every_client_as_a_server_notice() {
    for door in DOORS {
        let mut console = Console::start(door);
        let alice = RawClient::register(console.port(), "alice");
        let bob = RawClient::register_from(ip(2), console.port(), "bob");
        let carol = console.server.client("carol");

        let answer = console.ask("say the lab closes in five minutes");
        assert_eq!(answer, ["told 3 user(s)"], "{door:?}");
        let notice = "(server): Operator says: the lab closes in five minutes";
        alice.expect(notice);
        bob.expect(notice);
        carol.expect("Operator says: the lab closes in five minutes");
        console
            .server
            .log
            .wait_for(WAIT, |l| {
                l.contains("said to 3 user(s): the lab closes in five minutes")
            })
            .expect("the action is logged");
    }
}

/// `kick` tells the user why and disconnects it; its partner is told the chat is over; the
/// others stay; the name is free at once (not kept, as after a lost connection); through both
/// doors.
#[test]
fn kick_tells_the_user_disconnects_it_and_frees_the_name() {
    for door in DOORS {
        let mut console = Console::start(door);
        let mut alice = RawClient::register(console.port(), "alice");
        let bob = RawClient::register(console.port(), "bob");
        let mut carol = RawClient::register(console.port(), "carol");
        alice.send("connect bob");
        bob.expect("You are now connected to alice");

        let answer = console.ask("kick alice please be kind");
        assert_eq!(answer, ["kicked alice"], "{door:?}");
        alice.expect("(server): You were disconnected by the operator: please be kind");
        assert!(alice.expect_closed(WAIT), "{door:?}: alice still connected");
        bob.expect("(server): alice disconnected; the chat is over");
        console
            .server
            .log
            .wait_for(WAIT, |l| {
                l.contains("kicked alice (127.0.0.1): please be kind")
            })
            .expect("the kick is logged");

        assert_eq!(
            carol.status(),
            ["(server): - bob: FREE", "(server): - carol: FREE (you)"]
        );
        let _again = RawClient::register(console.port(), "alice");
        let list = console.ask("list");
        assert_eq!(list[0], "3 connections:", "{list:#?}");

        let answer = console.ask("kick nobody");
        assert_eq!(answer, ["error: nobody named 'nobody' is online"]);
    }
}

/// `ban` disconnects everyone from the address, named or not, and refuses it, telling each
/// why, while other addresses come and go; the ban expires; `unban` lifts one. Through both
/// doors.
#[test]
fn ban_keeps_the_address_out_until_it_expires() {
    for door in DOORS {
        let mut console = Console::start(door);
        let mallory = RawClient::register_from(ip(5), console.port(), "mallory");
        let second = RawClient::connect_from(ip(5), console.port());
        second.expect("Please enter your user name:");
        let mut bob = RawClient::register_from(ip(2), console.port(), "bob");

        let answer = console.ask("ban mallory 3s");
        assert_eq!(
            answer,
            ["banned 127.0.0.5 for 3 seconds; disconnected 2 connection(s)"],
            "{door:?}"
        );
        let told = "(server): You are banned from this server; try again in 1 minute";
        mallory.expect(told);
        second.expect(told);
        assert!(mallory.expect_closed(WAIT) && second.expect_closed(WAIT));
        let refused = RawClient::connect_from(ip(5), console.port());
        refused.expect(told);
        assert!(refused.expect_closed(WAIT), "a banned address is closed");
        console
            .server
            .log
            .wait_for(WAIT, |l| {
                l.contains("refused 127.0.0.5") && l.contains("banned")
            })
            .expect("the refusal is logged");
        let _dave = RawClient::register_from(ip(6), console.port(), "dave");
        assert_eq!(bob.status().len(), 2, "bob and dave");
        let list = console.ask("list");
        assert!(list.contains(&"1 address banned:".to_string()), "{list:#?}");

        // The ban ends by itself: connect until let in (it was 3 s).
        let deadline = Instant::now() + WAIT;
        loop {
            let again = RawClient::connect_from(ip(5), console.port());
            let first = again
                .received
                .wait_for(WAIT, |_| true)
                .expect("the server answers");
            if first.contains("Welcome to labchat!") {
                break;
            }
            assert_eq!(first, told);
            assert!(Instant::now() < deadline, "the ban never ended");
            std::thread::sleep(Duration::from_millis(250));
        }

        // By address, and lifted.
        let answer = console.ask("ban 127.0.0.7");
        assert_eq!(
            answer,
            ["banned 127.0.0.7 for 60 minutes; disconnected 0 connection(s)"]
        );
        let refused = RawClient::connect_from(ip(7), console.port());
        refused.expect("try again in 60 minutes");
        assert_eq!(
            console.ask("unban 127.0.0.7"),
            ["lifted the ban on 127.0.0.7"]
        );
        let _back = RawClient::register_from(ip(7), console.port(), "back");
    }
}

/// `stop` does what Ctrl+C does: every client is told and the server exits 0; through both
/// doors.
#[test]
fn stop_ends_every_chat_and_the_server() {
    for door in DOORS {
        let mut console = Console::start(door);
        let mut alice = RawClient::register(console.port(), "alice");
        let bob = console.server.client("bob");
        alice.send("connect bob");
        alice.expect("You are now connected to bob");

        let answer = match door {
            Door::Socket => remote_console(&console.server, "stop\n"),
            Door::Stdin => {
                console.server.console_line("stop");
                console
                    .server
                    .stdout
                    .wait_for(WAIT, |l| l == "stopping the server")
                    .map(|l| vec![l])
                    .unwrap_or_default()
            }
        };
        assert_eq!(answer, ["stopping the server"], "{door:?}");
        alice.expect("(server): Server is shutting down; every chat has ended. Goodbye!");
        bob.expect("Server is shutting down");
        let status = console
            .server
            .wait_exit(WAIT)
            .expect("the server exits after stop");
        assert!(status.success(), "{door:?}: {status}");
        assert!(
            !console.server.console_socket().exists(),
            "the socket file is removed"
        );
    }
}

/// End of standard input closes that door only: the server goes on serving, and the socket
/// door still works.
#[test]
fn end_of_standard_input_does_not_stop_the_server() {
    let mut server = Server::builder().console_on_stdin().start();
    server.console_line("list");
    server
        .stdout
        .wait_for(WAIT, |l| l == "No connections.")
        .expect("the console answers");
    server.close_stdin();
    let _alice = RawClient::register(server.port(), "alice");
    let list = remote_console(&server, "list\n");
    assert_eq!(list[0], "1 connection:", "{list:#?}");
    assert!(server.wait_exit(Duration::from_millis(200)).is_none());
}

/// Bad console input is answered with what is wrong and changes nothing.
#[test]
fn bad_console_input_changes_nothing() {
    for door in DOORS {
        let mut console = Console::start(door);
        let alice = RawClient::register(console.port(), "alice");
        let cases = [
            (
                "frobnicate",
                "error: unknown command 'frobnicate'; type help for the list",
            ),
            ("kick", "error: usage: kick <user> [reason]"),
            ("ban alice 0", "error: '0' is not a time"),
            ("ban alice forever", "error: 'forever' is not a time"),
            ("unban alice", "error: 'alice' is not an IP address"),
            ("unban 127.0.0.9", "error: 127.0.0.9 is not banned"),
            (
                "ban nobody",
                "error: nobody named 'nobody' is online; ban their address instead",
            ),
            ("stop now", "error: usage: stop"),
            ("say", "error: usage: say <text>"),
        ];
        for (line, error) in cases {
            let answer = console.ask(line);
            assert_eq!(answer.len(), 1, "{door:?} {line:?}: {answer:#?}");
            assert!(
                answer[0].starts_with(error),
                "{door:?} {line:?}: {answer:#?}"
            );
        }
        let list = console.ask("list");
        assert_eq!(list.len(), 2, "one connection and no ban: {list:#?}");
        assert_eq!(list[0], "1 connection:", "{list:#?}");
        // Nothing reached alice: the first server line after her welcome is a marker said
        // after every bad command.
        console.ask("say marker");
        alice.expect("(server): Operator says: marker");
        let after_hello: Vec<String> = alice
            .received
            .lines()
            .into_iter()
            .skip_while(|l| !l.starts_with("(server): Hello alice!"))
            .skip(1)
            .collect();
        assert_eq!(
            after_hello.first().map(String::as_str),
            Some("(server): Operator says: marker"),
            "{door:?}: {after_hello:#?}"
        );
        let help = console.ask("help");
        assert_eq!(help[0], "Commands:");
        assert!(help
            .iter()
            .any(|l| l.trim_start().starts_with("kick <user> [reason]")));
    }
}

/// The socket is 0600 in a folder of its own; another user cannot use it; a stale socket
/// (its server was killed) is replaced; a live one is not taken over.
#[test]
fn the_console_socket_is_the_owners_alone_and_one_server_per_path() {
    let mut server = Server::start();
    let path = server.console_socket();
    let mode = std::fs::metadata(&path)
        .expect("the socket")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");

    // Another user (nobody) cannot use it: not through the socket's mode, with the folder
    // opened to everyone; and not through the server's check of who connects, with the
    // socket opened to everyone too.
    let dir = path.parent().expect("a folder");
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout == b"0\n");
    if root {
        let output = Command::new("setpriv")
            .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"])
            .arg(binary("server"))
            .arg("console")
            .arg("--socket")
            .arg(&path)
            .stdin(Stdio::null())
            .output()
            .expect("setpriv runs");
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        let error = String::from_utf8_lossy(&output.stderr);
        assert!(
            error.contains("cannot reach the server console") && error.contains("denied"),
            "{error}"
        );

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).expect("chmod");
        let output = Command::new("setpriv")
            .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"])
            .arg(binary("server"))
            .arg("console")
            .arg("--socket")
            .arg(&path)
            .stdin(Stdio::null())
            .output()
            .expect("setpriv runs");
        let answer = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            answer, "error: only the user who runs the server may use its console\n",
            "{output:?}"
        );
        server
            .log
            .wait_for(WAIT, |l| {
                l.contains("console: refused a connection from user 65534")
            })
            .expect("the refusal is logged");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }

    // A second server on the same path is refused; the first one's console still works.
    let second = tests::run_to_exit(
        "server",
        &[
            "0",
            "--no-advertise",
            "--console-socket",
            path.to_str().unwrap(),
        ],
        WAIT,
    );
    assert_eq!(second.code, Some(1), "{second:?}");
    assert!(
        second
            .stderr
            .iter()
            .any(|l| l.contains("another server is using the console socket")),
        "{second:?}"
    );
    assert_eq!(remote_console(&server, "list\n"), ["No connections."]);

    // Killed, it leaves its socket behind: the next server on that path replaces it.
    server.signal("KILL");
    server.wait_exit(WAIT).expect("killed");
    assert!(path.exists(), "a killed server leaves its socket");
    let (status, out) = run_console(&path, "list\n");
    assert_eq!(
        status.code(),
        Some(1),
        "nobody answers a stale socket: {out:#?}"
    );
    let mut next = Command::new(binary("server"))
        .args(["0", "--no-advertise", "--console-socket"])
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let log = Transcript::capture(next.stderr.take().expect("piped"));
    log.wait_for(WAIT, |l| l.contains("replaced a stale socket"))
        .unwrap_or_else(|| panic!("{:#?}", log.lines()));
    log.wait_for(WAIT, |l| l.contains("listening on"))
        .unwrap_or_else(|| panic!("{:#?}", log.lines()));
    let (status, out) = run_console(&path, "list\n");
    let _ = next.kill();
    let _ = next.wait();
    assert!(status.success(), "{out:#?}");
    assert_eq!(out, ["No connections."]);
}

/// A real client kicked or banned by the operator takes it as a refusal: it says why, exits 1
/// and does not come back, even with `--reconnect` (it used to reconnect at once, and a banned
/// one retried for a minute).
#[test]
fn a_kicked_or_banned_client_does_not_reconnect() {
    for (command, told) in [
        (
            "kick alice go home",
            "You were disconnected by the operator: go home",
        ),
        ("ban alice 5", "You are banned from this server"),
    ] {
        let mut console = Console::start(Door::Stdin);
        let mut alice = tests::Client::registered_at(console.port(), "alice", &["--reconnect"]);
        console.ask(command);
        alice.expect(told);
        assert_eq!(alice.expect_exit(WAIT), 1, "{command}\n{}", alice.dump());
        assert!(
            !alice.dump().contains("trying to reconnect"),
            "{command}\n{}",
            alice.dump()
        );
        let list = console.ask("list");
        assert_eq!(list[0], "No connections.", "{command}: {list:#?}");
    }
}
