//! Starting the server and the client: bad arguments, a busy port, an unreachable server, and
//! the ways a client can name the server's host.

use std::net::TcpListener;
use std::time::Duration;
use tests::{run_to_exit, Server, WAIT};

const EXIT_WAIT: Duration = Duration::from_secs(10);

/// `server abc`, `server 70000` and `server 0 0` are usage errors: exit 2, one line on stderr
/// naming the problem.
#[test]
fn bad_port_is_a_usage_error() {
    for port in ["abc", "70000", "-1"] {
        let run = run_to_exit("server", &[port], EXIT_WAIT);
        assert_eq!(run.code, Some(2), "server {port}: {run:#?}");
        assert_eq!(run.stderr.len(), 1, "server {port}: {run:#?}");
        assert!(
            run.stderr[0].starts_with("server: ") && run.stderr[0].contains(port),
            "server {port}: {run:#?}"
        );
        assert!(run.stdout.is_empty(), "server {port}: {run:#?}");
    }
    // Without a port the server takes the default one (tests/discovery.rs, in a namespace of
    // its own); a second port is a mistake.
    let run = run_to_exit("server", &["0", "0"], EXIT_WAIT);
    assert_eq!(run.code, Some(2), "server with two ports: {run:#?}");
    assert_eq!(run.stderr.len(), 1, "server with two ports: {run:#?}");
}

/// `--spare-threads` outside 1..=65536 is a usage error naming the option; the server does
/// not start.
#[test]
fn spare_threads_out_of_range_is_a_usage_error() {
    for count in ["0", "65537", "many"] {
        let run = run_to_exit("server", &["0", "--spare-threads", count], EXIT_WAIT);
        assert_eq!(run.code, Some(2), "--spare-threads {count}: {run:#?}");
        assert_eq!(run.stderr.len(), 1, "--spare-threads {count}: {run:#?}");
        assert!(
            run.stderr[0].contains("--spare-threads") && run.stderr[0].contains(count),
            "--spare-threads {count}: {run:#?}"
        );
        assert!(run.stdout.is_empty(), "--spare-threads {count}: {run:#?}");
    }
}

/// `--max-per-host 0` and `--status-rate 0` (or not a number) are usage errors naming the
/// option; the server does not start.
#[test]
fn zero_limits_are_usage_errors() {
    for option in [
        "--max-per-host",
        "--status-rate",
        "--max-clients",
        "--name-timeout",
        "--backlog-limit",
    ] {
        for count in ["0", "many"] {
            let run = run_to_exit("server", &["0", option, count], EXIT_WAIT);
            assert_eq!(run.code, Some(2), "{option} {count}: {run:#?}");
            assert_eq!(run.stderr.len(), 1, "{option} {count}: {run:#?}");
            assert!(
                run.stderr[0].contains(option) && run.stderr[0].contains(count),
                "{option} {count}: {run:#?}"
            );
            assert!(run.stdout.is_empty(), "{option} {count}: {run:#?}");
        }
    }
}

/// `server --name` must be a name every client can show: not empty, at most 63 bytes (one
/// mDNS label), no control characters. Anything else is a usage error saying which rule.
#[test]
fn unshowable_server_names_are_usage_errors() {
    let long = "x".repeat(64);
    for (name, rule) in [
        (" ", "empty"),
        (long.as_str(), "64 bytes"),
        ("Lab\u{1b}[2J", "control character"),
    ] {
        let run = run_to_exit("server", &["0", "--name", name], EXIT_WAIT);
        assert_eq!(run.code, Some(2), "--name {name:?}: {run:#?}");
        assert_eq!(run.stderr.len(), 1, "--name {name:?}: {run:#?}");
        assert!(run.stderr[0].contains(rule), "--name {name:?}: {run:#?}");
        assert!(run.stdout.is_empty(), "--name {name:?}: {run:#?}");
    }
}

/// A port another server holds: exit 1 with one line naming the port.
#[test]
fn port_in_use_exits_1_naming_the_port() {
    let server = Server::start();
    let port = server.port().to_string();
    let run = run_to_exit("server", &[&port], EXIT_WAIT);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert_eq!(run.stderr.len(), 1, "{run:#?}");
    assert!(
        run.stderr[0].contains(&format!("port {port} is already in use")),
        "{run:#?}"
    );
    // The first server is unharmed.
    server.client("still_works");
}

/// A client pointed at a port nobody listens on: exit 1 with one line naming host and port.
#[test]
fn unreachable_server_exits_1_naming_host_and_port() {
    let port = {
        let probe = TcpListener::bind("127.0.0.1:0").expect("a free port");
        probe.local_addr().expect("bound").port()
    };
    let port = port.to_string();
    let run = run_to_exit("client", &["127.0.0.1", &port], EXIT_WAIT);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert_eq!(run.stderr.len(), 1, "{run:#?}");
    assert!(
        run.stderr[0].starts_with("client: ")
            && run.stderr[0].contains(&format!("127.0.0.1:{port}")),
        "{run:#?}"
    );
}

/// `client localhost abc`: a usage error, exit 2 with one line.
#[test]
fn client_bad_port_is_a_usage_error() {
    let run = run_to_exit("client", &["localhost", "abc"], EXIT_WAIT);
    assert_eq!(run.code, Some(2), "{run:#?}");
    assert_eq!(run.stderr.len(), 1, "{run:#?}");
    assert!(run.stderr[0].starts_with("client: "), "{run:#?}");
}

/// A client connects over IPv6 (`::1` and `[::1]`) and chats with an IPv4 client.
#[test]
fn client_connects_over_ipv6_loopback() {
    let server = Server::start();
    let mut six = server.client_via("::1", "six");
    let four = server.client("four");
    let _bracketed = server.client_via("[::1]", "bracketed");
    server
        .log
        .wait_for(WAIT, |l| l.contains("six joined from [::1]:"))
        .expect("the server logs six joining over IPv6");
    six.send("connect four");
    four.expect_line("(server): You are now connected to six");
    six.send("hello over v6");
    four.expect_line("six: hello over v6");
}

/// A client connects by host name `localhost`.
#[test]
fn client_connects_by_host_name() {
    let server = Server::start();
    let mut local = server.client_via("localhost", "local");
    local.send("status");
    local.expect_line("(server): - local: FREE (you)");
}

/// The server announces itself and a `client` line for loopback with the port it took; the
/// machine's LAN addresses, which students need, come before loopback.
#[test]
fn server_prints_how_to_connect() {
    let server = Server::start();
    let port = server.port();
    server
        .stdout
        .wait_for(WAIT, |l| l == format!("  client 127.0.0.1 {port}"))
        .unwrap_or_else(|| panic!("no loopback client line: {:#?}", server.stdout.lines()));
    let hosts: Vec<std::net::IpAddr> = server
        .stdout
        .lines()
        .iter()
        .filter_map(|l| l.strip_prefix("  client "))
        .filter_map(|l| l.split(' ').next()?.parse().ok())
        .collect();
    let first_loopback = hosts.iter().position(|ip| ip.is_loopback());
    assert!(
        hosts
            .iter()
            .skip(first_loopback.unwrap_or(0))
            .all(|ip| ip.is_loopback()),
        "LAN addresses must come first: {hosts:?}"
    );
}

/// An IPv6 server address that cannot be reached is shown in brackets before its port.
#[test]
fn unreachable_ipv6_server_is_shown_with_brackets() {
    let free = std::net::TcpListener::bind("[::1]:0").map(|l| l.local_addr().unwrap().port());
    let Ok(port) = free else {
        eprintln!("skipped: no IPv6 loopback here");
        return;
    };
    let run = run_to_exit("client", &["::1", &port.to_string()], EXIT_WAIT);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        run.stderr
            .iter()
            .any(|l| l.contains(&format!("[::1]:{port}"))),
        "{run:#?}"
    );
}

/// `server --help` and `client --help` fit an 80-column terminal, broken between words.
#[test]
fn help_fits_80_columns() {
    for program in ["server", "client"] {
        let run = run_to_exit(program, &["--help"], EXIT_WAIT);
        assert_eq!(run.code, Some(0), "{run:#?}");
        let wide: Vec<&String> = run
            .stdout
            .iter()
            .filter(|l| l.chars().count() > 80)
            .collect();
        assert!(wide.is_empty(), "{program} --help: {wide:#?}");
    }
}
