//! The test harness itself, where a mistake would make other tests lie or leak: a test server
//! stays off the real network, one test's terminals and pipes do not leak into another
//! test's children, and the fake terminal tells a raw terminal from a cooked one.

use std::process::{Command, Stdio};
use std::time::Duration;
use tests::pty::{keys, Answers, FakeTerminal};
use tests::{serial, Serial, Server, WAIT};

/// A test server never advertises on the machine's own network: its log says it was not
/// asked to, and the one log line an advertising server prints never comes.
#[test]
fn a_test_server_does_not_advertise() {
    let server = Server::start();
    let alice = server.client("alice");
    server
        .log
        .wait_for(WAIT, |l| l.contains("alice joined"))
        .expect("the server logs the join");
    assert!(
        !server
            .log
            .lines()
            .iter()
            .any(|l| l.contains("advertising on the LAN")),
        "a test server advertised on the real network: {:#?}",
        server.log.lines()
    );
    drop(alice);
}

/// Advertising is for servers on a namespace host of the test's own; asked for outside one,
/// the builder refuses before anything starts.
#[test]
#[should_panic(expected = "advertises only inside network namespaces")]
fn advertising_outside_a_namespace_is_refused() {
    let _ = Server::builder().advertising();
}

/// A child started while another test holds a pseudo-terminal and a running client inherits
/// only its own stdin, stdout and stderr: every terminal and pipe the harness opens is
/// close-on-exec.
#[test]
fn children_inherit_no_other_test_s_descriptors() {
    let server = Server::start();
    let port = server.port().to_string();
    let _piped = server.client("piped");
    let Some(_terminal) = FakeTerminal::start(&["127.0.0.1", &port], 24, 80, Answers::AtOnce)
    else {
        return;
    };
    let mut child = Command::new("sleep")
        .arg("30")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sleep runs");
    // The descriptors are fixed at exec; wait until sleep (not the forked test) is running.
    let deadline = std::time::Instant::now() + WAIT;
    while std::fs::read_link(format!("/proc/{}/exe", child.id()))
        .is_ok_and(|exe| !exe.ends_with("sleep"))
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    let fds: Vec<String> = std::fs::read_dir(format!("/proc/{}/fd", child.id()))
        .expect("the child's descriptors can be listed")
        .map(|e| {
            let e = e.expect("an entry");
            let target = std::fs::read_link(e.path()).unwrap_or_default();
            format!(
                "{} -> {}",
                e.file_name().to_string_lossy(),
                target.display()
            )
        })
        .collect();
    let _ = child.kill();
    let _ = child.wait();
    // What the test program itself inherited from whoever ran it (cargo's jobserver pipe, say)
    // its parent holds too; that is not one test's descriptor leaking into another's child.
    let from_outside = |fd: &String| {
        let target = fd.split_once(" -> ").map_or("", |(_, t)| t);
        std::fs::read_dir(format!("/proc/{}/fd", std::os::unix::process::parent_id()))
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| std::fs::read_link(e.path()).is_ok_and(|t| t.display().to_string() == target))
    };
    let extra: Vec<&String> = fds
        .iter()
        .filter(|f| !["0 ", "1 ", "2 "].iter().any(|n| f.starts_with(n)))
        .filter(|f| !from_outside(f))
        .collect();
    assert!(extra.is_empty(), "the child inherited {extra:?}");
}

/// The fake terminal's `[exit N, terminal T]` report reads the pty's real modes: raw while the
/// client edits a line, cooked once it has exited and given the terminal back. (Were it always
/// `cooked`, the terminal tests that expect it would prove nothing.)
#[test]
fn the_fake_terminal_tells_a_raw_terminal_from_a_cooked_one() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let Some(mut alice) = FakeTerminal::named(&server, "alice", 24, 80) else {
        return;
    };
    assert!(
        !alice.cooked(),
        "the terminal is cooked while the client edits a line"
    );
    alice.type_bytes(keys::CTRL_D);
    assert_eq!(alice.wait_exit_report(), "[exit 0, terminal cooked]");
}
