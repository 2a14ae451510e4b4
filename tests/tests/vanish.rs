//! A client host that vanishes without closing its connection (no FIN, no RST): the server
//! must notice by itself, free the partner and the name. Run across two network namespaces
//! joined by a veth pair, made by the test; the client's side of the link is then cut.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tests::{binary, Transcript};

/// The two namespaces and their link; removed on drop.
struct Lab {
    server_ns: String,
    client_ns: String,
    client_if: String,
}

impl Lab {
    /// Makes the namespaces, or says why it cannot.
    fn create() -> Result<Lab, String> {
        let id = std::process::id();
        let lab = Lab {
            server_ns: format!("lcs{id}"),
            client_ns: format!("lcc{id}"),
            client_if: format!("lcc{id}"),
        };
        let server_if = format!("lcs{id}");
        let steps: Vec<Vec<String>> = vec![
            vec!["netns", "add", &lab.server_ns],
            vec!["netns", "add", &lab.client_ns],
            vec![
                "link",
                "add",
                &server_if,
                "type",
                "veth",
                "peer",
                "name",
                &lab.client_if,
            ],
            vec!["link", "set", &server_if, "netns", &lab.server_ns],
            vec!["link", "set", &lab.client_if, "netns", &lab.client_ns],
            vec![
                "-n",
                &lab.server_ns,
                "addr",
                "add",
                "10.250.0.1/30",
                "dev",
                &server_if,
            ],
            vec![
                "-n",
                &lab.client_ns,
                "addr",
                "add",
                "10.250.0.2/30",
                "dev",
                &lab.client_if,
            ],
            vec!["-n", &lab.server_ns, "link", "set", &server_if, "up"],
            vec!["-n", &lab.client_ns, "link", "set", &lab.client_if, "up"],
            vec!["-n", &lab.server_ns, "link", "set", "lo", "up"],
        ]
        .into_iter()
        .map(|step| step.into_iter().map(String::from).collect())
        .collect();
        for step in steps {
            ip(&step)?;
        }
        Ok(lab)
    }

    /// Starts `program args` inside namespace `ns`, capturing its stdout.
    fn spawn(ns: &str, program: &str, args: &[&str]) -> (Child, Transcript) {
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns])
            .arg(binary(program))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ip netns exec runs");
        let out = Transcript::capture(child.stdout.take().expect("piped"));
        (child, out)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = ip(&["netns".into(), "del".into(), self.client_ns.clone()]);
        let _ = ip(&["netns".into(), "del".into(), self.server_ns.clone()]);
    }
}

fn ip(args: &[String]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn wait(out: &Transcript, text: &str, timeout: Duration) -> String {
    out.wait_for(timeout, |l| l.contains(text))
        .unwrap_or_else(|| panic!("never saw {text:?}; saw {:#?}", out.lines()))
}

fn type_line(child: &mut Child, line: &str) {
    use std::io::Write;
    let stdin = child.stdin.as_mut().expect("piped stdin");
    stdin
        .write_all(format!("{line}\n").as_bytes())
        .expect("client reads stdin");
}

/// The partner of a client whose host vanished is told and freed within about a minute.
#[test]
fn vanished_client_host_is_detected_by_keepalive() {
    let lab = match Lab::create() {
        Ok(lab) => lab,
        Err(reason) => {
            eprintln!("SKIPPED vanished_client_host_is_detected_by_keepalive: cannot make network namespaces here ({reason})");
            return;
        }
    };
    let (mut server, server_out) = Lab::spawn(&lab.server_ns, "server", &["0"]);
    let line = wait(&server_out, "Listening on port ", Duration::from_secs(10));
    let port = line
        .trim_start_matches("Listening on port ")
        .split('.')
        .next()
        .expect("a port")
        .to_string();

    let (mut bob, bob_out) = Lab::spawn(
        &lab.server_ns,
        "client",
        &["127.0.0.1", &port, "--name", "bob"],
    );
    wait(&bob_out, "Hello bob!", Duration::from_secs(10));
    let (mut alice, alice_out) = Lab::spawn(
        &lab.client_ns,
        "client",
        &["10.250.0.1", &port, "--name", "alice"],
    );
    wait(&alice_out, "Hello alice!", Duration::from_secs(10));
    type_line(&mut alice, "connect bob");
    wait(
        &bob_out,
        "You are now connected to alice",
        Duration::from_secs(10),
    );
    // A second pair stays idle: there keepalive, not unacknowledged data, must notice.
    let (mut dave, dave_out) = Lab::spawn(
        &lab.server_ns,
        "client",
        &["127.0.0.1", &port, "--name", "dave"],
    );
    wait(&dave_out, "Hello dave!", Duration::from_secs(10));
    let (mut carol, carol_out) = Lab::spawn(
        &lab.client_ns,
        "client",
        &["10.250.0.1", &port, "--name", "carol"],
    );
    wait(&carol_out, "Hello carol!", Duration::from_secs(10));
    type_line(&mut carol, "connect dave");
    wait(
        &dave_out,
        "You are now connected to carol",
        Duration::from_secs(10),
    );

    // Cut alice's link: nothing she sends arrives, nothing reaches her, and no FIN is sent.
    ip(&[
        "-n".into(),
        lab.client_ns.clone(),
        "link".into(),
        "set".into(),
        lab.client_if.clone(),
        "down".into(),
    ])
    .expect("the link can be cut");
    let cut = Instant::now();
    // Bob keeps talking to her meanwhile, so the server also has unacknowledged data queued.
    type_line(&mut bob, "are you there?");
    wait(
        &bob_out,
        "(server): alice disconnected; the chat is over",
        Duration::from_secs(90),
    );
    let busy_took = cut.elapsed();
    wait(
        &dave_out,
        "(server): carol disconnected; the chat is over",
        Duration::from_secs(90),
    );
    let idle_took = cut.elapsed();
    eprintln!("vanished host detected after {busy_took:?} (data pending) and {idle_took:?} (idle)");
    assert!(busy_took < Duration::from_secs(75), "took {busy_took:?}");
    assert!(idle_took < Duration::from_secs(75), "took {idle_took:?}");

    // They are gone from the list (their names are kept for their own host for a minute).
    type_line(&mut bob, "status");
    wait(&bob_out, "2 users online:", Duration::from_secs(10));
    for child in [&mut alice, &mut bob, &mut carol, &mut dave, &mut server] {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// A namespace of its own whose loopback has no IPv6 (as in many containers); removed on drop.
struct Ipv4Only {
    ns: String,
}

impl Drop for Ipv4Only {
    fn drop(&mut self) {
        let _ = ip(&["netns".into(), "del".into(), self.ns.clone()]);
    }
}

/// Ctrl+C stops the server even where `::1` does not exist: waking its acceptor must not
/// depend on IPv6 loopback.
#[test]
fn server_stops_on_a_machine_without_ipv6_loopback() {
    let ns = format!("lc4only{}", std::process::id());
    if let Err(reason) = ip(&["netns".into(), "add".into(), ns.clone()]) {
        eprintln!("SKIPPED server_stops_on_a_machine_without_ipv6_loopback: cannot make a network namespace here ({reason})");
        return;
    }
    let guard = Ipv4Only { ns };
    let setup = [vec!["-n", &guard.ns, "link", "set", "lo", "up"]];
    for step in setup {
        ip(&step.into_iter().map(String::from).collect::<Vec<_>>()).expect("lo comes up");
    }
    let sysctl = Command::new("ip")
        .args([
            "netns",
            "exec",
            &guard.ns,
            "sysctl",
            "-qw",
            "net.ipv6.conf.lo.disable_ipv6=1",
        ])
        .status();
    if !sysctl.is_ok_and(|s| s.success()) {
        eprintln!("SKIPPED server_stops_on_a_machine_without_ipv6_loopback: cannot turn IPv6 off on loopback");
        return;
    }
    let (mut server, out) = Lab::spawn(&guard.ns, "server", &["0"]);
    wait(&out, "Listening on port ", Duration::from_secs(10));
    let status = Command::new("kill")
        .args(["-INT", &server.id().to_string()])
        .status();
    assert!(status.is_ok_and(|s| s.success()));
    let deadline = Instant::now() + Duration::from_secs(5);
    let exited = loop {
        if let Ok(Some(status)) = server.try_wait() {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = server.kill();
    let status = exited.expect("the server did not exit within 5 s of Ctrl+C");
    assert_eq!(status.code(), Some(0));
}
