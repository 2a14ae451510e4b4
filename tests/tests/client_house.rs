//! The client as a house of events, not timers: an idle client at a terminal sleeps, a pasted
//! `secure:` message is sealed whole, and a server that welcomes and then hangs up is not
//! hammered with reconnects.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};
use tests::pty::{Answers, FakeTerminal};
use tests::screen::Screen;
use tests::{serial, Client, Serial, Server};

/// The pid of the `client` this test started on a terminal: a child of the test program
/// named `client` whose stdin is a pseudo-terminal (the piped clients of other tests running
/// beside it have pipes). Terminal tests run one at a time.
fn terminal_client_pid() -> u32 {
    let me = std::process::id();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        for entry in std::fs::read_dir("/proc")
            .expect("/proc can be read")
            .flatten()
        {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            // `pid (comm) state ppid ...`; comm may hold spaces, so split after the `)`.
            let Some((head, rest)) = stat.rsplit_once(')') else {
                continue;
            };
            let ppid = rest.split_whitespace().nth(1).and_then(|p| p.parse().ok());
            let tty = std::fs::read_link(format!("/proc/{pid}/fd/0"))
                .is_ok_and(|path| path.starts_with("/dev/pts"));
            if head.ends_with("(client") && ppid == Some(me) && tty {
                return pid;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the terminal client's pid was not found"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

/// Context switches of each thread of `pid` so far, voluntary and not, by thread id.
fn context_switches(pid: u32) -> HashMap<String, u64> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("the client runs");
    tasks
        .flatten()
        .filter_map(|task| {
            let status = std::fs::read_to_string(task.path().join("status")).ok()?;
            let switches = status
                .lines()
                .filter(|l| l.contains("ctxt_switches:"))
                .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum();
            Some((task.file_name().to_string_lossy().into_owned(), switches))
        })
        .collect()
}

/// Context switches of `pid` since `before`: of the threads still there, and all of those
/// started since.
fn switches_since(pid: u32, before: &HashMap<String, u64>) -> u64 {
    context_switches(pid)
        .iter()
        .map(|(tid, now)| now.saturating_sub(before.get(tid).copied().unwrap_or(0)))
        .sum()
}

/// alice on an 80x24 fake terminal, in a chat with bob (piped), the key agreed.
fn alice_with_bob(server: &Server) -> Option<(FakeTerminal, Client)> {
    let bob = server.client("bob");
    let port = server.port().to_string();
    let alice = FakeTerminal::start(
        &["127.0.0.1", &port, "--name", "alice"],
        24,
        80,
        Answers::AtOnce,
    )?;
    alice.wait_last_row("alice>");
    alice.enter("connect bob");
    bob.expect_line("(server): You are now connected to alice");
    alice.wait_row_prefix("(client): secure messages to bob are ready");
    bob.expect("(client): secure messages to alice are ready");
    Some((alice, bob))
}

/// An idle client at a terminal, in a chat, with a half-typed line, wakes at most 5 times a
/// second: no timer redraws the prompt, no thread looks for work that is not there.
#[test]
fn an_idle_client_at_a_terminal_sleeps() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let Some((alice, _bob)) = alice_with_bob(&server) else {
        return;
    };
    alice.type_bytes("half a line");
    alice.wait_steady("the half-typed line", |s| {
        s.last().map(String::as_str) == Some("alice -> bob> half a line")
    });
    let pid = terminal_client_pid();
    let before = context_switches(pid);
    thread::sleep(Duration::from_secs(10));
    let woke = switches_since(pid, &before);
    eprintln!("idle client at a terminal: {woke} context switches in 10 s");
    assert!(
        woke <= 50,
        "the idle client switched context {woke} times in 10 s (at most 50)"
    );
}

/// A bracketed paste that starts with `secure:` and has lines after it (the last without a
/// newline) is sealed whole: bob gets every line sealed, nothing in plain, and nothing is
/// left on alice's prompt for the next Enter to send in plain.
#[test]
fn a_pasted_secure_message_is_sealed_whole() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let Some((alice, bob)) = alice_with_bob(&server) else {
        return;
    };
    alice.paste("secure: the door code is\n4711\nand the safe 0815");
    bob.expect("alice (secure): the door code is");
    bob.expect("alice (secure): 4711");
    bob.expect("alice (secure): and the safe 0815");
    alice.wait_steady("an empty prompt", |s| {
        s.last().map(String::as_str) == Some("alice -> bob>")
    });
    // Whatever Enter sends now, it is not the pasted text.
    alice.type_bytes("\r");
    alice.enter("done");
    bob.expect_line("alice: done");
    let seen = bob.dump();
    for secret in ["4711", "0815", "door code"] {
        assert!(
            !seen
                .lines()
                .any(|l| l.contains(secret) && !l.contains("(secure)")),
            "{secret:?} reached bob in plain:\n{seen}"
        );
    }
}

/// A paste of `secure:` lines before any key is agreed is refused whole: nothing reaches the
/// partner, and the text does not stay on the prompt.
#[test]
fn a_pasted_secure_message_without_a_key_is_refused_whole() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let Some(alice) = FakeTerminal::named(&server, "alice", 24, 80) else {
        return;
    };
    alice.paste("secure: the door code is\n4711");
    alice.wait_steady("the refusal and an empty prompt", |s| {
        s.iter().any(|r| r.contains("nothing was sent"))
            && s.last().map(String::as_str) == Some("alice>")
    });
}

/// A server that welcomes each client and hangs up at once: the client reconnects with a
/// growing pause, not hundreds of times a second, and a connection that lived a moment does
/// not start the back-off again.
#[test]
fn a_server_that_welcomes_then_hangs_up_is_not_hammered() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    {
        let accepted = Arc::clone(&accepted);
        thread::spawn(move || {
            for socket in listener.incoming() {
                let Ok(mut socket) = socket else { continue };
                accepted.fetch_add(1, Ordering::SeqCst);
                let _ = socket.write_all(
                    b"(server): Welcome to labchat! Please enter your user name:\n\
                      (server): You have 30 seconds to send a name.\n",
                );
                let mut name = String::new();
                let _ = BufReader::new(&socket).read_line(&mut name);
                let _ = socket.write_all(
                    b"(server): Hello alice! Type status to see who is here, connect <user> \
                      to chat, help for more.\n",
                );
                // And gone.
            }
        });
    }
    let client = Client::spawn(&[
        "127.0.0.1".into(),
        port.to_string(),
        "--name".into(),
        "alice".into(),
        "--reconnect".into(),
    ]);
    client.expect("(server): Hello alice!");
    thread::sleep(Duration::from_secs(10));
    let count = accepted.load(Ordering::SeqCst);
    eprintln!("welcome-then-drop server: {count} connections in 10 s");
    assert!(
        (2..=10).contains(&count),
        "{count} connections in 10 s (at least 2: it does reconnect; at most 10)\n{}",
        client.dump()
    );
}

/// `client 127.0.0.1:PORT`, the address as people copy it, reaches the server on PORT.
#[test]
fn the_port_may_come_with_the_host() {
    let server = Server::start();
    let client = Client::spawn(&[
        format!("127.0.0.1:{}", server.port()),
        "--name".into(),
        "alice".into(),
    ]);
    client.expect("(server): Hello alice!");
}

/// On a 40-column terminal a long incoming chat line is broken between words, and its later
/// rows are indented under the text, as notices are: no row ends inside a word, and no
/// continuation looks like a new speaker.
#[test]
fn a_long_chat_line_wraps_between_words() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let mut bob = server.client("bob");
    let Some(alice) = FakeTerminal::named(&server, "alice", 24, 40) else {
        return;
    };
    alice.enter("connect bob");
    bob.expect_line("(server): You are now connected to alice");
    let words: Vec<String> = (1..=20).map(|i| format!("word{i:03}")).collect();
    bob.send(&words.join(" "));
    let screen = alice.wait_steady("the whole line", |s| {
        s.iter().any(|r| r.contains("word020")) && s.last().is_some_and(|r| r.ends_with('>'))
    });
    let first = screen
        .iter()
        .position(|r| r.starts_with("bob: word001"))
        .unwrap_or_else(|| panic!("no row starts bob's line:\n{}", screen.join("\n")));
    let rows: Vec<&String> = screen[first..]
        .iter()
        .take_while(|r| r.contains("word"))
        .collect();
    let mut seen = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        assert!(row.chars().count() <= 40, "{row:?}");
        if i > 0 {
            assert!(
                row.starts_with("     word"),
                "not indented: {row:?}\n{screen:#?}"
            );
        }
        seen.extend(
            row.split_whitespace()
                .filter(|w| *w != "bob:")
                .map(String::from),
        );
    }
    assert_eq!(seen, words, "{screen:#?}");
}

/// A `secure:` line typed at a terminal is marked as sealed and sent once it has gone out.
#[test]
fn your_own_sealed_line_is_marked() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let Some((alice, bob)) = alice_with_bob(&server) else {
        return;
    };
    alice.enter("secure: the door code is 4711");
    bob.expect("alice (secure): the door code is 4711");
    alice.wait_row("(client): sealed and sent: only bob can read it");
}

/// When the server shuts down while alice has half a line typed, the line is not left after a
/// stale prompt: she is told it was not sent, and the client exits 0.
#[test]
fn the_unsent_half_line_is_told_on_the_way_out() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let Some(mut alice) = FakeTerminal::named(&server, "alice", 24, 80) else {
        return;
    };
    alice.type_bytes("half a line");
    alice.wait_last_row("alice> half a line");
    server.signal("TERM");
    assert_eq!(alice.wait_exit().code(), Some(0));
    let screen = alice.wait_steady("the note", |s| {
        s.iter().any(|r| r == "(client): not sent: half a line")
    });
    assert!(
        !screen.iter().any(|r| r == "alice> half a line"),
        "a stale prompt is left:\n{}",
        screen.join("\n")
    );
}

/// A server that accepts the connection and never speaks: after a few seconds the person is
/// told, instead of waiting at a bare prompt for the server's whole name timeout.
#[test]
fn a_silent_server_is_noticed() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().unwrap().port();
    let held = thread::spawn(move || listener.accept().map(|(socket, _)| socket));
    let client = Client::spawn(&["127.0.0.1".into(), port.to_string()]);
    client.expect("(client): the server has said nothing in 5 s");
    drop(held);
}
