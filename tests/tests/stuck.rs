//! A client that stops reading (SIGSTOP) while its partner floods it: nobody else is delayed,
//! the server's memory stays bounded, and the stuck client is cut off and its partner told.

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};
use tests::{rss_kib, serial, RawClient, Serial, Server};

/// Set when the flood has ended, so the round trips can stop.
static FLOOD_OVER: AtomicBool = AtomicBool::new(false);

/// Round trips between two other users while one client is stuck and flooded.
#[test]
fn stopped_client_is_cut_off_without_delaying_anyone() {
    let _serial = serial(Serial::Load);
    let server = Server::start();
    let alice = server.client("alice");
    let mut bob = RawClient::register(server.port(), "bob");
    bob.send("connect alice");
    alice.expect_line("(server): You are now connected to bob");
    let mut carol = RawClient::register(server.port(), "carol");
    let mut dave = RawClient::register(server.port(), "dave");
    carol.send("connect dave");
    dave.expect("(server): You are now connected to carol");

    let rss_before = rss_kib(server.pid());
    alice.signal("STOP");

    let pinger = thread::spawn(move || {
        let mut rtts = Vec::new();
        // At least 20 rounds, then until the flood is over.
        for round in 0.. {
            let started = Instant::now();
            carol.send(&format!("ping {round}"));
            dave.expect(&format!("carol: ping {round}"));
            dave.send(&format!("pong {round}"));
            carol.expect(&format!("dave: pong {round}"));
            rtts.push(started.elapsed());
            if round >= 20 && FLOOD_OVER.load(Ordering::SeqCst) {
                break;
            }
        }
        rtts
    });

    // Flood alice until the server gives up on her.
    let line = format!("msg {}\n", "x".repeat(100));
    let batch = line.repeat(1000);
    let started = Instant::now();
    let mut sent = 0usize;
    let cut_off = loop {
        if let Some(notice) = bob.maybe(
            "(server): alice disconnected; the chat is over",
            Duration::ZERO,
        ) {
            break Some(notice);
        }
        if started.elapsed() > Duration::from_secs(60) {
            break None;
        }
        bob.send_bytes(batch.as_bytes());
        sent += batch.len();
    };
    let rss_after = rss_kib(server.pid());
    FLOOD_OVER.store(true, Ordering::SeqCst);
    let mut rtts = pinger.join().expect("the pinger finishes");
    alice.signal("CONT");

    assert!(
        cut_off.is_some(),
        "alice was never cut off after {sent} bytes"
    );
    rtts.sort();
    let p50 = rtts[rtts.len() / 2];
    let max = *rtts.last().expect("some rounds");
    eprintln!(
        "stuck client cut off after {:?} and {} MiB sent; other pair: {} round trips, p50 {p50:?}, max {max:?}; server RSS {rss_before} KiB -> {rss_after} KiB",
        started.elapsed(),
        sent >> 20,
        rtts.len()
    );
    // Had the stuck client held anyone else up, they would have waited until it was cut off
    // (5 s without progress); half of that separates a real stall from a loaded machine.
    assert!(
        max < Duration::from_millis(2500),
        "another chat was delayed by {max:?}"
    );
    assert!(
        rss_after < rss_before + 32 * 1024,
        "server memory grew from {rss_before} KiB to {rss_after} KiB"
    );
    // Bob is free again and the server still serves.
    bob.send("status");
    bob.expect("(server): - bob: FREE (you)");
}

/// A client that asks for far more than it reads is cut off, and what it had already sent
/// after that point is not carried out: the `connect` at the end of its burst never happens.
#[test]
fn a_cut_off_client_s_remaining_commands_are_not_carried_out() {
    let _serial = serial(Serial::Load);
    let server = Server::builder()
        .args(&[
            "--backlog-limit",
            "65536",
            "--status-rate",
            "1000000",
            "--command-rate",
            "1000000",
            "--max-per-host",
            "100",
        ])
        .start();
    let mut bob = RawClient::register(server.port(), "bob");
    // Thirty more users make every `status` answer about 1 KiB long.
    let _crowd: Vec<RawClient> = (0..30)
        .map(|i| RawClient::register(server.port(), &format!("user{i}")))
        .collect();
    let mut greedy = std::net::TcpStream::connect(("127.0.0.1", server.port())).expect("up");
    socket2::SockRef::from(&greedy)
        .set_recv_buffer_size(4096)
        .expect("set SO_RCVBUF");
    // One read's worth (under 64 KiB): 9,000 status requests (about 9 MB of answers, far past
    // what the socket buffers and the 64 KiB backlog hold), then a connect.
    let mut burst = b"greedy\n".to_vec();
    burst.extend("status\n".repeat(9000).as_bytes());
    burst.extend(b"connect bob\n");
    assert!(burst.len() < 64 * 1024);
    std::io::Write::write_all(&mut greedy, &burst).expect("the burst is sent");
    server
        .log
        .wait_for(tests::WAIT, |l| l.ends_with(" greedy left"))
        .unwrap_or_else(|| panic!("greedy is not cut off: {:#?}", server.log.lines()));
    bob.send("status");
    bob.expect("(server): - bob: FREE (you)");
    // Had the connect been carried out, its notice would have reached bob before greedy left,
    // so before this answer: look at every line bob got, not only those after it.
    assert!(
        !bob.received
            .lines()
            .iter()
            .any(|l| l.contains("You are now connected to greedy")),
        "a cut-off client's buffered connect was carried out"
    );
    assert!(
        !server
            .log
            .lines()
            .iter()
            .any(|l| l.contains("greedy connected")),
        "{:#?}",
        server.log.lines()
    );
}
