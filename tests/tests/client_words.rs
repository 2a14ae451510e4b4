//! What the client tells a person about getting in: where it connected, no question about a
//! name it answers itself (`--name`, or after a reconnect), and the exit code of a script whose
//! name was never accepted.

use std::io::{BufReader, Write};
use std::net::TcpListener;
use std::thread;
use std::time::Duration;
use tests::pty::FakeTerminal;
use tests::screen::Screen;
use tests::{serial, Client, Serial, Server};

/// The server's words that ask for a name, which nobody must see when nobody is asked.
const ASKING: [&str; 2] = ["Please enter your user name", "seconds to send a name"];

/// With `--name` at a terminal the welcome does not ask for a name, nor say how long there is
/// to send one: the client sent it.
#[test]
fn a_given_name_is_not_asked_for() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let Some(alice) = FakeTerminal::named(&server, "alice", 24, 80) else {
        return;
    };
    let screen = alice.wait_steady("the welcome and the prompt", |s| {
        s.iter().any(|r| r == "(server): Welcome to labchat!")
            && s.iter().any(|r| r.starts_with("(server): Hello alice!"))
    });
    for words in ASKING {
        assert!(
            !screen.iter().any(|r| r.contains(words)),
            "{words:?} is on the screen:\n{}",
            screen.join("\n")
        );
    }
}

/// A fake server that welcomes as the real one does, takes a name, greets it, and hangs up
/// the first connection; the second it keeps open. Returns its port.
fn server_that_hangs_up_once() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        let mut kept = Vec::new();
        for (round, socket) in listener.incoming().enumerate() {
            let Ok(mut socket) = socket else { continue };
            let _ = socket.write_all(
                b"(server): Welcome to labchat! Please enter your user name:\n\
                  (server): You have 30 seconds to send a name.\n",
            );
            let Ok(reading) = socket.try_clone() else {
                continue;
            };
            let name = tests::fake_server::read_name(&mut BufReader::new(reading), &mut socket);
            let _ = writeln!(
                socket,
                "(server): Hello {}! Type status to see who is here, connect <user> to chat, \
                 help for more.",
                name.trim()
            );
            if round > 0 {
                kept.push(socket);
            }
        }
    });
    port
}

/// A name typed once is sent again after a reconnect without asking: the welcome of the new
/// connection does not ask for it.
#[test]
fn the_name_is_not_asked_for_again_after_a_reconnect() {
    let port = server_that_hangs_up_once();
    let mut client = Client::spawn(&["127.0.0.1".into(), port.to_string(), "--reconnect".into()]);
    client.expect("Please enter your user name:");
    client.send("alice");
    client.expect("(server): Hello alice!");
    client.expect("(client): connected again; registering as alice");
    client.expect("(server): Hello alice!");
    let lines = client.stdout.lines();
    for words in ASKING {
        let times = lines.iter().filter(|l| l.contains(words)).count();
        assert_eq!(times, 1, "{words:?} shown {times} times\n{}", client.dump());
    }
    assert!(
        lines.iter().any(|l| l == "(server): Welcome to labchat!"),
        "{}",
        client.dump()
    );
}

/// `client HOST PORT` says where it connected, as discovery does.
#[test]
fn the_client_says_where_it_connected() {
    let server = Server::start();
    let port = server.port();
    let client = Client::spawn(&["127.0.0.1".into(), port.to_string()]);
    client.expect_line(&format!("Connected to 127.0.0.1:{port}."));
    let client = Client::spawn(&["localhost".into(), port.to_string()]);
    let said = client.expect("Connected to localhost at ");
    assert!(said.ends_with(&format!(":{port}.")), "{said:?}");
}

/// A script whose name is refused and whose input then ends never got in: exit 1, saying why
/// (README, "Exit codes"). So does one that sends no name at all.
#[test]
fn a_script_that_never_got_in_exits_1() {
    let server = Server::start();
    let _alice = server.client("alice");
    let mut refused = server.spawn_client();
    refused.expect("Please enter your user name:");
    refused.send("alice");
    refused.expect("(server): The name 'alice' is already taken");
    refused.close_stdin();
    assert_eq!(
        refused.expect_exit(Duration::from_secs(10)),
        1,
        "{}",
        refused.dump()
    );
    refused.expect("(client): the name 'alice' is already taken, and the input ended");

    let mut silent = server.spawn_client();
    silent.expect("Please enter your user name:");
    silent.close_stdin();
    assert_eq!(
        silent.expect_exit(Duration::from_secs(10)),
        1,
        "{}",
        silent.dump()
    );
}

/// `--timestamps` puts the local time, HH:MM, before each chat line.
#[test]
fn timestamps_come_before_chat_lines() {
    let server = Server::start();
    let mut bob = server.client("bob");
    let mut alice = Client::registered_at(server.port(), "alice", &["--timestamps"]);
    alice.send("connect bob");
    bob.expect_line("(server): You are now connected to alice");
    bob.send("hello alice");
    let line = alice.expect("bob: hello alice");
    let (time, rest) = line.split_at(6.min(line.len()));
    let digits = time.chars().filter(char::is_ascii_digit).count();
    assert!(
        digits == 4 && &time[2..3] == ":" && time.ends_with(' ') && rest == "bob: hello alice",
        "{line:?}"
    );
}

/// alice, at a 40-column terminal, in a chat with a partner whose name is long.
fn narrow_alice_with_bernadette(server: &Server) -> Option<(FakeTerminal, Client)> {
    let bernadette = server.client("bernadette_the_long_name");
    let alice = FakeTerminal::named(server, "alice", 30, 40)?;
    alice.enter("connect bernadette_the_long_name");
    bernadette.expect_line("(server): You are now connected to alice");
    alice.wait_row_prefix("(client): secure messages to");
    Some((alice, bernadette))
}

/// At 40 columns a `status` too wide for a table is a line per user, never a table the
/// terminal breaks mid-cell: every row of the answer is indented, and every name whole.
#[test]
fn status_is_whole_at_40_columns() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let Some((alice, _bernadette)) = narrow_alice_with_bernadette(&server) else {
        return;
    };
    alice.type_bytes("\x0c");
    alice.enter("status");
    let screen = alice.wait_steady("the status answer", |s| {
        s.iter().any(|r| r == "(server): 2 users online:")
            && s.last().is_some_and(|r| r.ends_with('>'))
    });
    let start = screen
        .iter()
        .position(|r| r == "(server): 2 users online:")
        .unwrap();
    let answer: Vec<&String> = screen[start + 1..]
        .iter()
        .take_while(|r| !r.starts_with("alice ->"))
        .collect();
    assert!(
        answer.iter().all(|r| r.starts_with("  ")),
        "a row broken by the terminal:\n{}",
        screen.join("\n")
    );
    let whole = answer
        .iter()
        .filter(|r| r.contains("bernadette_the_long_name"))
        .count();
    assert_eq!(whole, 2, "{}", screen.join("\n"));
}

/// At 40 columns the rows of `help` that do not fit are broken with their later rows lined
/// up under the description, not under `(client): `.
#[test]
fn help_rows_line_up_at_40_columns() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let Some(alice) = FakeTerminal::named(&server, "alice", 40, 40) else {
        return;
    };
    alice.enter("help");
    let screen = alice.wait_steady("the help", |s| {
        s.iter().any(|r| r.starts_with("(client):   help"))
            && s.last().is_some_and(|r| r.ends_with('>'))
    });
    let mut in_row = false;
    let mut continued = 0;
    for row in &screen {
        if row.starts_with("(client):   ") {
            in_row = true;
        } else if row.starts_with("(client): ") || row.starts_with("alice>") {
            in_row = false;
        } else if in_row {
            continued += 1;
            let indent = row.len() - row.trim_start().len();
            assert_eq!(
                indent,
                30,
                "{row:?} is not under the descriptions:\n{}",
                screen.join("\n")
            );
        }
    }
    assert!(continued > 0, "no row was broken:\n{}", screen.join("\n"));
}
