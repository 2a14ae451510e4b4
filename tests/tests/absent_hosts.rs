//! A client host that vanishes without closing its connection (no FIN, no RST): the server
//! must notice by itself, free the partner and the name. Run on a LAN of network namespaces
//! made by the test (tests::netns); the client host's cable is then unplugged.

use std::process::Command;
use std::time::{Duration, Instant};
use tests::netns::Lan;
use tests::{Client, Server};

/// Waits up to `timeout` for `client` to show `text`.
fn wait_long(client: &Client, text: &str, timeout: Duration) {
    if client.maybe(text, timeout).is_none() {
        panic!("never saw {text:?}\n{}", client.dump());
    }
}

/// Starts `client HOST PORT --name NAME` on `wrapper`'s host and waits for the welcome.
fn registered(wrapper: &[&str], host: &str, port: u16, name: &str) -> Client {
    let args = [host, &port.to_string(), "--name", name].map(String::from);
    let mut client = Client::spawn_under(wrapper, &args);
    client.expect(&format!("Hello {name}!"));
    client.name = name.to_string();
    client
}

/// The partner of a client whose host vanished is told and freed within about a minute.
#[test]
fn vanished_client_host_is_detected_by_keepalive() {
    let Some(lan) = Lan::for_test("vanished_client_host_is_detected_by_keepalive", 2) else {
        return;
    };
    let (server_host, client_host) = (lan.hosts[0].wrapper(), lan.hosts[1].wrapper());
    let server = Server::builder().on(&lan.hosts[0]).start();
    let (port, lan_ip) = (server.port(), lan.hosts[0].ip.to_string());

    let mut bob = registered(&server_host, "127.0.0.1", port, "bob");
    let mut alice = registered(&client_host, &lan_ip, port, "alice");
    alice.send("connect bob");
    bob.expect("You are now connected to alice");
    // A second pair stays idle: there keepalive, not unacknowledged data, must notice.
    let dave = registered(&server_host, "127.0.0.1", port, "dave");
    let mut carol = registered(&client_host, &lan_ip, port, "carol");
    carol.send("connect dave");
    dave.expect("You are now connected to carol");

    // Unplug alice's and carol's host: nothing they send arrives, nothing reaches them, and
    // no FIN is sent.
    lan.unplug(1).expect("the cable can be unplugged");
    let cut = Instant::now();
    // Bob keeps talking to her meanwhile, so the server also has unacknowledged data queued.
    bob.send("are you there?");
    wait_long(
        &bob,
        "(server): alice disconnected; the chat is over",
        Duration::from_secs(90),
    );
    let busy_took = cut.elapsed();
    wait_long(
        &dave,
        "(server): carol disconnected; the chat is over",
        Duration::from_secs(90),
    );
    let idle_took = cut.elapsed();
    eprintln!("vanished host detected after {busy_took:?} (data pending) and {idle_took:?} (idle)");
    assert!(busy_took < Duration::from_secs(75), "took {busy_took:?}");
    assert!(idle_took < Duration::from_secs(75), "took {idle_took:?}");

    // They are gone from the list (their names are kept for their own host for a minute).
    bob.send("status");
    bob.expect("2 users online:");
    drop(alice);
}

/// Ctrl+C stops the server even where `::1` does not exist: waking its acceptor must not
/// depend on IPv6 loopback.
#[test]
fn server_stops_on_a_machine_without_ipv6_loopback() {
    let test = "server_stops_on_a_machine_without_ipv6_loopback";
    let Some(lan) = Lan::for_test(test, 1) else {
        return;
    };
    let host = lan.hosts[0].wrapper();
    let sysctl = Command::new(host[0])
        .args(&host[1..])
        .args(["sysctl", "-qw", "net.ipv6.conf.lo.disable_ipv6=1"])
        .status();
    if !sysctl.is_ok_and(|s| s.success()) {
        eprintln!("SKIPPED {test}: cannot turn IPv6 off on loopback");
        return;
    }
    // It advertises (on the namespace's LAN only): withdrawing the advertisement is part of
    // stopping.
    let mut server = Server::builder().on(&lan.hosts[0]).advertising().start();
    server.signal("INT");
    let status = server
        .wait_exit(Duration::from_secs(5))
        .expect("the server did not exit within 5 s of Ctrl+C");
    assert_eq!(status.code(), Some(0));
}

/// `client HOST PORT` to a machine that answers nothing at all (switched off, or a wrong
/// address on the LAN): the client gives up after 10 s with the reason, instead of the
/// system's two minutes of retries.
#[test]
fn connecting_to_a_machine_that_answers_nothing_gives_up_in_seconds() {
    let test = "connecting_to_a_machine_that_answers_nothing_gives_up_in_seconds";
    let Some(lan) = Lan::for_test(test, 2) else {
        return;
    };
    lan.hosts[1]
        .black_hole(lan.hosts[0].ip)
        .expect("the address can be made a black hole");
    let args = [
        lan.hosts[0].ip.to_string(),
        "5000".into(),
        "--name".into(),
        "erin".into(),
    ];
    // The first test to ask for a binary builds it (tests::binary): not on this test's clock.
    tests::binary("client");
    let started = Instant::now();
    let mut erin = Client::spawn_under(&lan.hosts[1].wrapper(), &args);
    assert_eq!(
        erin.expect_exit(Duration::from_secs(30)),
        1,
        "{}",
        erin.dump()
    );
    let took = started.elapsed();
    let said = erin
        .stderr
        .wait_for(Duration::from_secs(1), |l| {
            l.contains("cannot reach the server")
        })
        .unwrap_or_else(|| panic!("no reason given\n{}", erin.dump()));
    assert!(said.contains("timed out"), "{said}");
    assert!(took < Duration::from_secs(15), "gave up after {took:?}");
}
