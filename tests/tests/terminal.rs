//! The client at a terminal, and the same client in a pipe.
//!
//! Most terminal tests run the client on the test's own pseudo-terminal ([`FakeTerminal`], a
//! 100x30 screen kept by a vt100 emulator): keys are written to it and the screen is read in
//! process, with no tmux command per look. After the client exits, the fake terminal reports
//! `[exit N, terminal T]`: N is the client's exit code and T is `cooked` if the client gave
//! the terminal back (canonical mode and echo on), `raw` if it did not.
//!
//! Three tests stay on a real terminal emulator, tmux, because a real terminal is their point:
//! - `a_message_arriving_mid_line_does_not_garble_it`: the README's session transcript is
//!   copied from what tmux shows in this scenario, so tmux's rendering is the one to check.
//! - `ctrl_c_ends_the_chat_and_exits_0`: Ctrl+C typed through a real terminal, and the
//!   terminal mode reported by a real shell (`stty` under `sh`) rather than by the test.
//! - `resizing_a_tmux_pane_leaves_no_stale_rows`: a terminal that rewraps its rows on a
//!   resize, which the fake terminal (like xterm) does not.
//!
//! There the client runs in a pane made by tmux (`new-session -d`), typed into with
//! `send-keys` and read with `capture-pane`. Each pane has its own tmux server (`-L`), killed
//! at the end. Without tmux they are skipped, saying so. Inside the pane the client runs under
//! `sh`, which then prints the same `[exit N, terminal T]`.
//!
//! The partner is a piped client from [`Server::client`]. Pipe tests check what scripts rely
//! on: plain lines, no prompt, no escape codes.
//!
//! The tests run one at a time: on a two-core machine fifteen terminals at once starve the
//! editors they are timing.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use tests::pty::{keys, Colour, FakeTerminal};
use tests::screen::Screen;
use tests::{binary, run_to_exit, serial, ConfigHome, Serial, Server, WAIT};

/// A client running in a tmux pane of its own tmux server.
struct Pane {
    socket: String,
    /// The tmux server's socket file, removed at the end (tmux leaves it behind).
    socket_path: Option<String>,
    /// The client's own XDG_CONFIG_HOME.
    _home: ConfigHome,
}

impl Pane {
    /// Starts `client 127.0.0.1 <port> <args>` in an 100x30 pane, with `NO_COLOR` unset, or
    /// `None` (with a note on stderr) if tmux cannot be run here.
    fn client(server: &Server, args: &[&str]) -> Option<Pane> {
        if Command::new("tmux")
            .arg("-V")
            .output()
            .map_or(true, |o| !o.status.success())
        {
            eprintln!("skipped: tmux is not installed, so there is no terminal to test in");
            return None;
        }
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let socket = format!(
            "labchat-test-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::SeqCst)
        );
        let home = ConfigHome::new();
        let xdg = format!("XDG_CONFIG_HOME={}", home.path().display());
        let mut pane = Pane {
            socket,
            socket_path: None,
            _home: home,
        };
        let report = r#""$@"; code=$?
if stty -a | tr ' ;' '\n\n' | grep -qx -e -icanon -e -echo; then t=raw; else t=cooked; fi
echo "[exit $code, terminal $t]"
exec sleep 600"#;
        let client = binary("client");
        let port = server.port().to_string();
        let mut command = vec![
            "env",
            "-u",
            "NO_COLOR",
            &xdg,
            "sh",
            "-c",
            report,
            "sh",
            client.to_str().expect("a UTF-8 path"),
            "127.0.0.1",
            &port,
        ];
        command.extend(args);
        pane.tmux(
            &[
                &[
                    "new-session",
                    "-d",
                    "-s",
                    "t",
                    "-x",
                    "100",
                    "-y",
                    "30",
                    "--",
                ],
                &command[..],
            ]
            .concat(),
        );
        let path = pane.tmux(&["display-message", "-p", "#{socket_path}"]);
        pane.socket_path = Some(path.trim().to_string()).filter(|p| !p.is_empty());
        Some(pane)
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("tmux runs");
        assert!(
            out.status.success(),
            "tmux {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Types `text` literally (no Enter).
    fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "t", "-l", text]);
    }

    /// Presses keys by tmux name: `Enter`, `C-c`, `Up`, ...
    fn press(&self, keys: &[&str]) {
        self.tmux(&[&["send-keys", "-t", "t"], keys].concat());
    }

    /// Types `line` and presses Enter.
    fn enter(&self, line: &str) {
        self.type_text(line);
        self.press(&["Enter"]);
    }

    fn rows(&self, args: &[&str]) -> Vec<String> {
        let mut rows: Vec<String> = self
            .tmux(args)
            .lines()
            .map(|r| r.trim_end().to_string())
            .collect();
        while rows.last().is_some_and(String::is_empty) {
            rows.pop();
        }
        rows
    }

    /// Waits for the client to exit and returns the `[exit N, terminal T]` report.
    fn wait_exit(&self) -> String {
        let screen = self.wait("the client exiting", |s| {
            s.iter().any(|r| r.starts_with("[exit "))
        });
        screen
            .into_iter()
            .find(|r| r.starts_with("[exit "))
            .expect("just seen")
    }
}

impl Screen for Pane {
    fn screen(&self) -> Vec<String> {
        self.rows(&["capture-pane", "-p", "-t", "t"])
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .stderr(Stdio::null())
            .status();
        if let Some(path) = &self.socket_path {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// alice in a tmux pane, registered with `--name` and in a chat with bob (piped).
fn alice_in_a_pane_with_bob(server: &Server) -> Option<(Pane, tests::Client)> {
    let bob = server.client("bob");
    let alice = Pane::client(server, &["--name", "alice"])?;
    wait_for_the_chat(&alice, &bob, |line| alice.enter(line));
    Some((alice, bob))
}

/// `client 127.0.0.1 <port> <args>` on a 100x30 fake terminal, or `None` (with a note on
/// stderr) where no pseudo-terminal can be had.
fn terminal(server: &Server, args: &[&str], colour: Colour) -> Option<FakeTerminal> {
    let port = server.port().to_string();
    FakeTerminal::builder(&[&["127.0.0.1", &port], args].concat())
        .size(30, 100)
        .colour(colour)
        .start()
}

/// alice on a fake terminal, registered with `--name` and in a chat with bob (piped).
fn alice_in_a_chat_with_bob(
    server: &Server,
    colour: Colour,
) -> Option<(FakeTerminal, tests::Client)> {
    let bob = server.client("bob");
    let alice = terminal(server, &["--name", "alice"], colour)?;
    wait_for_the_chat(&alice, &bob, |line| alice.enter(line));
    Some((alice, bob))
}

/// alice (at the prompt, `enter` typing a line) connects to bob; waits until both are in the
/// chat and alice's key note is shown.
fn wait_for_the_chat(alice: &impl Screen, bob: &tests::Client, enter: impl Fn(&str)) {
    alice.wait_last_row("alice>");
    enter("connect bob");
    bob.expect_line("(server): You are now connected to alice");
    alice.wait_last_row("alice -> bob>");
    // The key note comes a round trip later: wait for it, so that it is not printed between
    // what a test sends next and the line it expects under that.
    alice.wait_row_prefix("(client): secure messages to bob are ready");
}

/// The issue's scenario: alice has half a line typed when bob's message arrives. The message
/// shows on a row of its own above the prompt, the half line stays under it, and when alice
/// finishes the line bob receives all of it, exactly.
#[test]
fn a_message_arriving_mid_line_does_not_garble_it() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let Some((alice, mut bob)) = alice_in_a_pane_with_bob(&server) else {
        return;
    };
    alice.type_text("hello bob, how a");
    alice.wait_last_row("alice -> bob> hello bob, how a");

    bob.send("sorry to interrupt!");
    // The editor prints the message, then redraws the prompt: wait for both, since a screen
    // caught between the two is not yet the settled one. A garbled line never settles.
    alice.wait(
        "bob's message on a row of its own, the half-typed line intact under it",
        |s| {
            s.iter().any(|r| r == "bob: sorry to interrupt!")
                && s.last().map(String::as_str) == Some("alice -> bob> hello bob, how a")
        },
    );

    alice.type_text("re you?");
    alice.press(&["Enter"]);
    bob.expect_line("alice: hello bob, how are you?");
    let screen = alice.wait_last_row("alice -> bob>");
    let message = screen
        .iter()
        .position(|r| r == "bob: sorry to interrupt!")
        .expect("the message stays on screen");
    assert_eq!(
        screen[message + 1],
        "alice -> bob> hello bob, how are you?",
        "{}",
        screen.join("\n")
    );
}

/// The prompt says where you are and changes with the chat, with no key pressed.
#[test]
fn the_prompt_follows_the_chat() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let mut bob = server.client("bob");
    let Some(alice) = terminal(&server, &[], Colour::Allowed) else {
        return;
    };
    alice.wait_row("(server): Welcome to labchat! Please enter your user name:");
    alice.wait_last_row("name>");
    alice.enter("alice");
    alice.wait_last_row("alice>");

    bob.send("connect alice");
    alice.wait_last_row("alice -> bob>");
    bob.send("goodbye");
    alice.wait_row("(server): bob ended the chat");
    alice.wait_last_row("alice>");
}

/// Up brings back the last line; Ctrl+A and Ctrl+E move to the start and end of the line.
#[test]
fn history_and_line_editing_keys() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let Some((alice, bob)) = alice_in_a_chat_with_bob(&server, Colour::Allowed) else {
        return;
    };
    alice.enter("first line");
    bob.expect_line("alice: first line");
    alice.wait_last_row("alice -> bob>");
    alice.type_bytes(keys::UP);
    alice.wait_last_row("alice -> bob> first line");
    alice.type_bytes(keys::ENTER);
    bob.expect_line("alice: first line");

    alice.type_bytes("middle");
    alice.type_bytes(keys::CTRL_A);
    alice.type_bytes("start ");
    alice.type_bytes(keys::CTRL_E);
    alice.type_bytes(" end");
    alice.type_bytes(keys::ENTER);
    bob.expect_line("alice: start middle end");
}

/// `status` at a terminal is an aligned table with your own row marked.
#[test]
fn status_is_an_aligned_table() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let Some((alice, _bob)) = alice_in_a_chat_with_bob(&server, Colour::Allowed) else {
        return;
    };
    let _carol = server.client("carol");
    alice.enter("status");
    let screen = alice.wait_row("(server): 3 users online:");
    let header = screen
        .iter()
        .position(|r| r == "(server): 3 users online:")
        .expect("just seen");
    let table =
        alice.wait("the whole table", |s| s.len() >= header + 6)[header + 1..header + 5].to_vec();
    assert_eq!(
        table,
        [
            "  USER   STATE  PARTNER",
            "  alice  BUSY   bob      (you)",
            "  bob    BUSY   alice",
            "  carol  FREE",
        ]
    );
}

/// `help` lists every command, one line each.
#[test]
fn help_lists_every_command() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let Some((alice, _bob)) = alice_in_a_chat_with_bob(&server, Colour::Allowed) else {
        return;
    };
    alice.enter("help");
    let screen = alice.wait_row("(client):   help              this list");
    for command in [
        "status",
        "connect <user>",
        "secure: <text>",
        "verify",
        "goodbye",
        "close",
    ] {
        assert!(
            screen
                .iter()
                .any(|r| r.starts_with(&format!("(client):   {command} "))),
            "help has no line for {command}:\n{}",
            screen.join("\n")
        );
    }
}

/// Ctrl+C at the prompt disconnects (bob is told alice disconnected, which ends the chat),
/// exits 0 and gives the terminal back.
#[test]
fn ctrl_c_ends_the_chat_and_exits_0() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let Some((alice, bob)) = alice_in_a_pane_with_bob(&server) else {
        return;
    };
    alice.type_text("never sent");
    alice.press(&["C-c"]);
    bob.expect_line("(server): alice disconnected; the chat is over");
    assert_eq!(alice.wait_exit(), "[exit 0, terminal cooked]");
    alice.wait_row("(server): Goodbye!");
    // Anything alice's client sent reached bob before the notice that she left: look at every
    // line bob got, not only those after the notice.
    assert!(
        !bob.stdout.lines().iter().any(|l| l.contains("never sent")),
        "{}",
        bob.dump()
    );
}

/// Ctrl+D on an empty line closes: exit 0, terminal given back.
#[test]
fn ctrl_d_closes() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let Some((mut alice, bob)) = alice_in_a_chat_with_bob(&server, Colour::Allowed) else {
        return;
    };
    alice.type_bytes(keys::CTRL_D);
    bob.expect_line("(server): alice disconnected; the chat is over");
    assert_eq!(alice.wait_exit_report(), "[exit 0, terminal cooked]");
}

/// The server dies (kill -9) while alice has half a line typed: she is told, the client keeps
/// trying, and when the server is back on the same port she is registered again with her
/// name and her half-typed line intact. Ctrl+C then exits 0 with the terminal given back.
#[test]
fn losing_the_server_mid_chat_reconnects_and_keeps_the_line() {
    let _serial = serial(Serial::Terminal);
    let mut server = Server::start();
    let port = server.port();
    let Some((mut alice, _bob)) = alice_in_a_chat_with_bob(&server, Colour::Allowed) else {
        return;
    };
    alice.type_bytes("half a li");
    alice.wait_last_row("alice -> bob> half a li");
    server.signal("KILL");
    assert!(server.wait_exit(WAIT).is_some(), "the server did not die");
    alice.wait_row_prefix("(client): lost the connection to the server; trying to reconnect");
    // The same server again: same port, same identity key (which alice met).
    let identity = server.home().labchat().join("server-identity");
    let _back = Server::builder()
        .port(port)
        .args(&["--identity", &identity.display().to_string()])
        .start();
    alice.wait_row_prefix("(client): connected again; registering as alice;");
    alice.wait_row_prefix("(server): Hello alice!");
    alice.wait_last_row("alice> half a li");
    alice.type_bytes(keys::CTRL_C);
    assert_eq!(alice.wait_exit_report(), "[exit 0, terminal cooked]");
}

/// `--name` with a taken name at a terminal: a clear error, exit 1, terminal given back.
#[test]
fn a_taken_name_at_the_terminal_exits_1() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let _alice = server.client("alice");
    let Some(mut late) = terminal(&server, &["--name", "alice"], Colour::Allowed) else {
        return;
    };
    assert_eq!(late.wait_exit_report(), "[exit 1, terminal cooked]");
    let screen =
        late.wait_row("(client): the name 'alice' is already taken; try again with another --name");
    assert!(
        !screen.iter().any(|r| r.contains("please choose another")),
        "the refusal is said twice:\n{}",
        screen.join("\n")
    );
}

/// At a terminal, notices, the partner's messages and secure messages are coloured; with
/// `NO_COLOR` set there is no escape code on the screen at all.
#[test]
fn colours_at_a_terminal_unless_no_color() {
    let _serial = serial(Serial::Terminal);
    for colour in [Colour::Allowed, Colour::NoColor] {
        let server = Server::start();
        let Some((mut alice, mut bob)) = alice_in_a_chat_with_bob(&server, colour) else {
            return;
        };
        alice.wait_row_prefix("(client): secure messages to bob are ready; safety code ");
        bob.expect("(client): secure messages to alice are ready");
        bob.send("plain words");
        bob.send("secure: hidden words");
        alice.wait_row("bob (secure): hidden words");
        alice.wait_row("bob: plain words");
        let screen = alice.screen_with_escapes();
        let row = |text: &str| {
            screen
                .iter()
                .find(|r| r.contains(text))
                .unwrap_or_else(|| panic!("no row with {text:?}: {screen:#?}"))
                .clone()
        };
        let coloured = [
            row("You are now connected to bob"),
            row("bob:"),
            row("bob (secure):"),
        ];
        match colour {
            Colour::Allowed => {
                for row in coloured {
                    assert!(
                        row.contains("\x1b["),
                        "not coloured: {row:?} in {screen:#?}"
                    );
                }
            }
            Colour::NoColor => {
                assert!(
                    screen.iter().all(|r| !r.contains('\x1b')),
                    "escape codes despite NO_COLOR: {screen:#?}"
                );
            }
        }
        alice.type_bytes(keys::CTRL_D);
        assert_eq!(alice.wait_exit_report(), "[exit 0, terminal cooked]");
    }
}

/// A piped client prints plain lines only: no prompt and no escape code anywhere, even with
/// colours allowed and a colour `TERM`. The status answer is the server's own lines.
#[test]
fn piped_output_has_no_escape_codes() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let bob = server.client("bob");
    let script =
        "status\nhelp\nconnect bob\nhello from a script\n/quit\nsecure:\nverify\ngoodbye\nclose\n";
    let home = ConfigHome::new();
    let mut child = Command::new(binary("client"))
        .args(["127.0.0.1", &server.port().to_string(), "--name", "carol"])
        .env("XDG_CONFIG_HOME", home.path())
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the client starts");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("piped");
        stdin
            .write_all(script.as_bytes())
            .expect("the client reads");
    }
    let out = child
        .wait_with_output()
        .expect("the client runs to the end");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        !stdout.contains('\x1b'),
        "escape codes in piped output:\n{stdout:?}"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    for expected in [
        "(server): 2 users online:",
        "(server): - bob: FREE",
        "(server): - carol: FREE (you)",
        "(server): You are now connected to bob",
        "(server): You ended the chat with bob",
        "(server): Goodbye!",
    ] {
        assert!(lines.contains(&expected), "no {expected:?} in {lines:#?}");
    }
    assert!(
        !lines
            .iter()
            .any(|l| l.contains("USER") || l.starts_with("carol") || l.starts_with("name>")),
        "a table or a prompt in piped output: {lines:#?}"
    );
    // A mistyped, slash-style command in a chat is a message, as in the original.
    bob.expect_line("carol: hello from a script");
    bob.expect_line("carol: /quit");
}

/// Outside a chat, a mistyped command is refused by the server, and the refusal mentions help.
#[test]
fn a_mistyped_command_outside_a_chat_mentions_help() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let mut alice = server.client("alice");
    alice.send("stauts");
    let refusal = alice.expect("(server): You are not in a chat");
    assert!(refusal.contains("help"), "{refusal}");
}

/// `client --name carol` registers without asking.
#[test]
fn name_flag_registers_without_asking() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let mut carol = server.spawn_client_with("127.0.0.1", &["--name", "carol"]);
    carol.expect_line(
        "(server): Hello carol! Type status to see who is here, connect <user> to chat, help for more.",
    );
    carol.send("status");
    carol.expect_line("(server): - carol: FREE (you)");
}

/// `--help` lists the arguments and defaults and exits 0; `--version` prints the version.
#[test]
fn help_and_version_flags() {
    let _serial = serial(Serial::Terminal);
    let help = run_to_exit("client", &["--help"], WAIT);
    assert_eq!(help.code, Some(0), "{help:#?}");
    let text = help.stdout.join("\n");
    for needle in [
        "[HOST]",
        "[PORT]",
        "[default: 5000]",
        "looks for servers on the LAN",
        "--name <NAME>",
        "--version",
        "NO_COLOR",
    ] {
        assert!(
            text.contains(needle),
            "client --help lacks {needle}:\n{text}"
        );
    }
    for code in ["0 ", "1 ", "2 "] {
        assert!(
            help.stdout.iter().any(|l| l.trim_start().starts_with(code)),
            "client --help does not explain exit status {code}:\n{text}"
        );
    }

    let version = run_to_exit("client", &["--version"], WAIT);
    assert_eq!(version.code, Some(0), "{version:#?}");
    assert_eq!(
        version.stdout,
        [format!("client {}", env!("CARGO_PKG_VERSION"))]
    );

    let help = run_to_exit("server", &["--help"], WAIT);
    assert_eq!(help.code, Some(0), "{help:#?}");
    let text = help.stdout.join("\n");
    for needle in [
        "[PORT]",
        "[default: 5000]",
        "[default: 30]",
        "--name-timeout",
        "--no-advertise",
        "--version",
    ] {
        assert!(
            text.contains(needle),
            "server --help lacks {needle}:\n{text}"
        );
    }
}

/// Exit codes: 2 for usage errors (one line on stderr), 1 when the connection is lost.
/// (`client` and `client HOST` are not mistakes: they find a server on the LAN, or use the
/// default port; tests/discovery.rs.)
#[test]
fn exit_codes_for_usage_errors_and_a_lost_server() {
    let _serial = serial(Serial::Terminal);
    for args in [
        &["localhost", "abc"][..],
        &["localhost", "1", "--bogus"],
        &["localhost", "1", "2"],
    ] {
        let run = run_to_exit("client", args, WAIT);
        assert_eq!(run.code, Some(2), "client {args:?}: {run:#?}");
        assert_eq!(run.stderr.len(), 1, "client {args:?}: {run:#?}");
    }

    let server = Server::start();
    let mut alice = server.client("alice");
    server.signal("KILL");
    alice.expect_line("(client): lost the connection to the server");
    assert_eq!(alice.expect_exit(WAIT), 1);
}

/// At `name>`, command words are not taken as names: `help` and `status` are explained and the
/// name is asked again; Ctrl+C then just hangs up, registering nobody (not even `close`).
#[test]
fn command_words_and_ctrl_c_at_the_name_prompt_register_nobody() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let mut bob = server.client("bob");
    let Some(mut newcomer) = terminal(&server, &[], Colour::NoColor) else {
        return;
    };
    newcomer.wait_last_row("name>");
    newcomer.enter("help");
    newcomer.wait_row("(client): help is a command word, not a name; type the name you want");
    newcomer.wait_last_row("name>");
    newcomer.enter("status");
    newcomer.wait_row("(client): status is a command word, not a name; type the name you want");
    newcomer.wait_last_row("name>");
    assert_eq!(bob.status(), ["(server): - bob: FREE (you)"]);
    newcomer.type_bytes(keys::CTRL_C);
    assert_eq!(newcomer.wait_exit_report(), "[exit 0, terminal cooked]");
    assert_eq!(bob.status(), ["(server): - bob: FREE (you)"]);
    assert_nobody_joined_but(&server, &["bob"]);
}

/// Ctrl+D at `name>` hangs up too, registering nobody.
#[test]
fn ctrl_d_at_the_name_prompt_registers_nobody() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let mut bob = server.client("bob");
    let Some(mut newcomer) = terminal(&server, &[], Colour::NoColor) else {
        return;
    };
    newcomer.wait_last_row("name>");
    newcomer.type_bytes(keys::CTRL_D);
    assert_eq!(newcomer.wait_exit_report(), "[exit 0, terminal cooked]");
    assert_eq!(bob.status(), ["(server): - bob: FREE (you)"]);
    assert_nobody_joined_but(&server, &["bob"]);
}

/// The server's log shows no join but those of `names` (a user who joins and leaves at once
/// is gone from `status` by the time it is asked, but not from the log).
fn assert_nobody_joined_but(server: &Server, names: &[&str]) {
    let joined: Vec<String> = server
        .log
        .lines()
        .into_iter()
        .filter(|l| l.contains(" joined from "))
        .collect();
    // Each of `names` did join: the log says joins the way this looks for them.
    for name in names {
        assert!(
            joined
                .iter()
                .any(|l| l.contains(&format!(" {name} joined from "))),
            "no join of {name} in the log: {:#?}",
            server.log.lines()
        );
    }
    for line in &joined {
        assert!(
            names
                .iter()
                .any(|n| line.contains(&format!(" {n} joined from "))),
            "someone else joined: {joined:#?}"
        );
    }
}

/// A script whose name line is a command word is refused locally; `close` as the first line
/// just hangs up. Neither registers anyone.
#[test]
fn command_words_are_not_names_in_a_pipe() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let mut bob = server.client("bob");
    let run = run_to_exit(
        "client",
        &["127.0.0.1", &server.port().to_string(), "--name", "help"],
        WAIT,
    );
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        run.stdout
            .iter()
            .any(|l| l.contains("help is a command word, not a name")),
        "{run:#?}"
    );
    let mut closer = server.spawn_client();
    closer.send("close");
    assert_eq!(closer.expect_exit(WAIT), 0);
    assert_eq!(bob.status(), ["(server): - bob: FREE (you)"]);
    assert_nobody_joined_but(&server, &["bob"]);
}

/// A half-typed line of three rows in a tmux pane, which rewraps its rows when the window
/// gets narrower: after each resize, narrower or wider, the line is on the screen once and
/// whole, and the message above it is still there.
#[test]
fn resizing_a_tmux_pane_leaves_no_stale_rows() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let Some((alice, mut bob)) = alice_in_a_pane_with_bob(&server) else {
        return;
    };
    bob.send("before the resizes");
    alice.wait_row("bob: before the resizes");
    // `<000>abcde<001>abcde...`: each block named, so a stale copy shows as a name twice.
    let mut typed: String = (0..20).map(|i| format!("<{i:03}>abcde")).collect();
    alice.type_text(&typed);
    for cols in ["50", "120", "40", "100"] {
        alice.tmux(&["resize-window", "-t", "t", "-x", cols]);
        // A key typed after the resize is drawn after it: the screen then shows the redraw.
        typed.push('!');
        alice.type_text("!");
        let line = format!("alice -> bob> {typed}");
        let screen = alice.wait(&format!("the line redrawn at {cols} columns"), |s| {
            s.iter()
                .rposition(|r| r.starts_with("alice -> bob>"))
                .is_some_and(|at| s[at..].concat() == line)
        });
        std::thread::sleep(tests::pty::STEADY);
        assert_eq!(alice.screen(), screen, "the screen kept changing");
        for block in ["<000>", "<010>", "<019>"] {
            let copies = screen.iter().filter(|r| r.contains(block)).count();
            assert_eq!(
                copies,
                1,
                "{block} shown {copies} times at {cols} columns:\n{}",
                screen.join("\n")
            );
        }
        assert!(
            screen.iter().any(|r| r == "bob: before the resizes"),
            "the message was erased at {cols} columns:\n{}",
            screen.join("\n")
        );
    }
    alice.press(&["Enter"]);
    bob.expect_line(&format!("alice: {typed}"));
}
