//! Session threads made ahead of need: a burst bigger than the spare threads is still served,
//! threads are reused from one connection to the next, and the extra threads a burst needed
//! end when the burst is over.

use std::collections::BTreeSet;
use tests::{serial, RawClient, Serial, Server, WAIT};

/// The server's thread ids, from `/proc/PID/task`.
fn thread_ids(server: &Server) -> BTreeSet<u32> {
    std::fs::read_dir(format!("/proc/{}/task", server.pid()))
        .expect("the server runs")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

/// Waits until the log says `count` more connections have left.
fn wait_for_leaves(server: &Server, count: usize) {
    for left in 0..count {
        server
            .log
            .wait_for(WAIT, |l| l.ends_with(" left"))
            .unwrap_or_else(|| panic!("only {left} of {count} connections left"));
    }
}

/// Forty people connect at once to a server that keeps two spare threads: every one is asked
/// for a name, registered, and listed by `status`.
#[test]
fn a_burst_bigger_than_the_spare_threads_is_served() {
    let _serial = serial(Serial::Load);
    let server = Server::builder()
        .without_host_limits()
        .args(&["--spare-threads", "2"])
        .start();
    let waiting: Vec<RawClient> = (0..40).map(|_| RawClient::connect(server.port())).collect();
    let mut people = Vec::new();
    for (i, mut raw) in waiting.into_iter().enumerate() {
        raw.expect("Please enter your user name:");
        raw.send(&format!("p{i}"));
        raw.expect(&format!("(server): Hello p{i}!"));
        people.push(raw);
    }
    people[0].send("status");
    people[0].expect("40 users online:");
    let listed: BTreeSet<String> = (0..40)
        .map(|_| {
            let row = people[0].expect("- p");
            // `(server): - p7: FREE` (with ` (you)` on p0's row)
            row.rsplit_once(": ")
                .map_or(row.clone(), |(name, _)| name.to_string())
        })
        .collect();
    let expected: BTreeSet<String> = (0..40).map(|i| format!("(server): - p{i}")).collect();
    assert_eq!(listed, expected);
}

/// A hundred connections one after another, each registering and leaving, are served by the
/// threads that already existed: the threads seen while each connection is served stay the
/// same few, where a thread per connection would show a hundred new thread ids.
#[test]
fn threads_are_reused_from_one_connection_to_the_next() {
    let _serial = serial(Serial::Load);
    let server = Server::builder().args(&["--spare-threads", "4"]).start();
    let before = thread_ids(&server);
    let mut seen = before.clone();
    for i in 0..100 {
        let mut raw = RawClient::register(server.port(), &format!("r{i}"));
        // Its thread is alive now: serving it.
        seen.extend(thread_ids(&server));
        raw.send("close");
        assert!(raw.expect_closed(WAIT), "r{i} was not closed after close");
        wait_for_leaves(&server, 1);
    }
    let new = seen.len() - before.len();
    assert!(
        new <= 10,
        "{new} new threads for 100 connections one at a time: threads are not reused"
    );
}

/// After a burst of 30 connections to a server that keeps two spare threads, the threads it
/// made for the burst end once their connections do; at most twice the spare count stay.
#[test]
fn threads_made_for_a_burst_end_after_it() {
    let _serial = serial(Serial::Load);
    let server = Server::builder().args(&["--spare-threads", "2"]).start();
    let burst: Vec<RawClient> = (0..30)
        .map(|i| RawClient::register(server.port(), &format!("b{i}")))
        .collect();
    let during = thread_ids(&server).len();
    assert!(during >= 30, "only {during} threads serve 30 connections");
    for raw in &burst {
        raw.finish();
    }
    wait_for_leaves(&server, 30);
    // main, the spawner, the Ctrl+C handler and the console socket's (a test server does not
    // advertise, so no mDNS daemon; its standard input is /dev/null, so the console's reader
    // of it has ended), plus at most 2 × 2 waiting.
    let mut after = thread_ids(&server).len();
    let deadline = std::time::Instant::now() + WAIT;
    while after > 8 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
        after = thread_ids(&server).len();
    }
    assert!(after <= 8, "{after} threads are left after the burst ended");
}

/// A server out of file descriptors (`prlimit --nofile=40:40`) keeps the clients it has, logs
/// the shortage about once a second instead of once per failed `accept`, and serves the
/// waiting connections as soon as clients leave.
#[test]
fn running_out_of_descriptors_is_waited_out() {
    let _serial = serial(Serial::Load);
    let server = Server::builder()
        .under(&["prlimit", "--nofile=40:40"])
        .without_host_limits()
        .args(&["--spare-threads", "4"])
        .start();
    let started = std::time::Instant::now();
    let clients: Vec<RawClient> = (0..45).map(|_| RawClient::connect(server.port())).collect();
    let prompt = "Please enter your user name:";
    // First the event: the limit bit. Then one shared window in which every served
    // connection has had its prompt for a while; the waiting ones never get it.
    server
        .log
        .wait_for(WAIT, |l| l.contains("accept failed: Too many open files"))
        .expect("the shortage is logged");
    let window = std::time::Instant::now() + std::time::Duration::from_secs(2);
    let (served, waiting): (Vec<_>, Vec<_>) = clients.into_iter().partition(|raw| {
        let left = window.saturating_duration_since(std::time::Instant::now());
        raw.maybe(prompt, left).is_some()
    });
    assert!(
        !served.is_empty() && !waiting.is_empty(),
        "{} served and {} waiting: the descriptor limit did not bite",
        served.len(),
        waiting.len()
    );
    for raw in served.iter().take(10) {
        raw.finish();
    }
    // The oldest waiting connection is first in the listen backlog.
    assert!(
        waiting[0].maybe(prompt, WAIT).is_some(),
        "no waiting connection was served after 10 left"
    );

    let seconds = started.elapsed().as_secs() as usize;
    let logged = server
        .log
        .lines()
        .iter()
        .filter(|l| l.contains("accept failed"))
        .count();
    assert!(
        logged <= seconds + 2,
        "{logged} accept failures logged in {seconds} s: not rate-limited"
    );
}
