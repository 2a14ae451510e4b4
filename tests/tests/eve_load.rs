//! eve under a class's load, as robust as the server: a student who floods `help` and never
//! reads costs eve bounded memory; a flood of extra `key_param` lines does not re-run the toy
//! key search or stall another chat; a class of 40 through eve all get in, even while one
//! student holds 32 idle connections (each student is an address of its own to the server).

use common::dh::{Group, KeyPair};
use std::io::{Read, Write};
use std::net::Ipv4Addr;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};
use tests::agreement::connect_until_keyed;
use tests::eve::Eve;
use tests::{
    binary, connect_from, peak_rss_kib, rss_kib, serial, Client, RawClient, Serial, Server,
};

/// eve in front of `server` with a screen that has stopped showing anything: its stdout is
/// a pipe nobody reads once the port is known (a projector's terminal far behind, or paused).
/// Returns eve, its port, and the unread pipe (dropping it would let eve's writes fail
/// instead of wait).
fn eve_with_a_stuck_screen(server: &Server) -> (Child, u16, ChildStdout) {
    let mut child = Command::new(binary("eve"))
        .args(["0", &format!("127.0.0.1:{}", server.port())])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("eve starts");
    let mut stdout = child.stdout.take().expect("piped");
    // Byte by byte, so that nothing after the first line is read.
    let mut first = Vec::new();
    let mut byte = [0u8; 1];
    while stdout.read_exact(&mut byte).is_ok() && byte[0] != b'\n' {
        first.push(byte[0]);
    }
    let first = String::from_utf8_lossy(&first).to_string();
    let port = first
        .strip_prefix("eve: listening on port ")
        .and_then(|r| r.split(',').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("eve said {first:?}"));
    (child, port, stdout)
}

/// A student floods `help` through eve and never reads, while eve's screen is stuck. eve's
/// memory stays within a few tens of MiB (it grew past 1 GiB, queueing rows for the screen),
/// and a chat through eve beside it still delivers.
#[test]
fn a_help_flood_that_is_never_read_costs_eve_bounded_memory() {
    let _serial = serial(Serial::Load);
    let server = Server::start();
    let (mut eve, port, _unread) = eve_with_a_stuck_screen(&server);
    let mut alice = Client::registered_at(port, "alice", &[]);
    let bob = Client::registered_at(port, "bob", &[]);
    alice.send("connect bob");
    bob.expect("(server): You are now connected to alice");
    let before = rss_kib(eve.id());

    // Small buffers: what the flooder does not read piles up in eve, not in its kernel.
    let mut flooder = connect_from(Ipv4Addr::new(127, 0, 5, 1), port, Some(4096));
    flooder.write_all(b"mallory\n").expect("eve reads");
    let stop = Arc::new(AtomicBool::new(false));
    let flood = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || {
            let burst = "help\n".repeat(2000);
            let mut sent = 0usize;
            while !stop.load(Ordering::Relaxed) {
                if flooder.write_all(burst.as_bytes()).is_err() {
                    return (sent, true);
                }
                sent += burst.len();
            }
            (sent, false)
        })
    };
    // The chat beside it goes on while the flood runs: each message arrives.
    let started = Instant::now();
    let mut round = 0;
    while started.elapsed() < Duration::from_secs(12) && !flood.is_finished() {
        round += 1;
        alice.send(&format!("round {round} beside the flood"));
        bob.expect(&format!("alice: round {round} beside the flood"));
    }
    stop.store(true, Ordering::Relaxed);
    let (sent, cut_off) = flood.join().expect("the flooder ends");
    alice.send("after the flood");
    bob.expect("alice: after the flood");
    let grown_mib = peak_rss_kib(eve.id()).saturating_sub(before) / 1024;
    eprintln!(
        "help flood: {} KiB sent in {:.1} s, cut off: {cut_off}; eve grew {grown_mib} MiB at \
         most; {round} messages delivered beside it",
        sent / 1024,
        started.elapsed().as_secs_f64()
    );
    let _ = eve.kill();
    let _ = eve.wait();
    assert!(
        grown_mib < 48,
        "eve grew {grown_mib} MiB under a flood of {} KiB",
        sent / 1024
    );
}

/// In a toy chat, extra `key_param <chat> 3` lines by the thousand: eve searches for each
/// chat's key once, and a chat beside it still delivers every secure message, read by eve.
#[test]
fn a_key_param_flood_neither_repeats_the_search_nor_stalls_another_chat() {
    let _serial = serial(Serial::Load);
    let server = Server::builder().args(&["--dh-group", "toy"]).start();
    let eve = Eve::start(&server);
    let toy = ["--allow-toy-group"];
    let mut alice = Client::registered_at(eve.port, "alice", &toy);
    let bob = Client::registered_at(eve.port, "bob", &toy);
    connect_until_keyed(&mut alice, &bob);

    let mut carol = RawClient::register(eve.port, "carol");
    let mut dave = RawClient::register(eve.port, "dave");
    carol.send("connect dave");
    let gen = carol.expect("GEN_KEYS toy ");
    dave.expect("GEN_KEYS toy ");
    let chat = gen.rsplit(' ').next().expect("a chat number").to_string();
    let (c, d) = loop {
        let (c, d) = (KeyPair::generate(Group::Toy), KeyPair::generate(Group::Toy));
        if c.public() != d.public() {
            break (c, d);
        }
    };
    carol.send(&format!("key_param {chat} {}", c.public()));
    dave.send(&format!("key_param {chat} {}", d.public()));
    eve.says("carol and dave's key", |l| {
        l.contains("tried exponents until")
            && (l.contains(&format!("= {}:", c.public()))
                || l.contains(&format!("= {}:", d.public())))
    });

    let flood = thread::spawn(move || {
        let burst = format!("key_param {chat} 3\n").repeat(1000);
        for _ in 0..20 {
            carol.send_bytes(burst.as_bytes());
        }
        carol
    });
    for n in 1..=5 {
        alice.send(&format!("secure: message {n} beside the flood"));
        bob.expect(&format!("alice (secure): message {n} beside the flood"));
        eve.says("the message read", |l| {
            l.contains(&format!(
                "alice wrote, decrypted: \"message {n} beside the flood\""
            ))
        });
    }
    let _carol = flood.join().expect("the flood was sent");
    alice.send("secure: after the flood");
    bob.expect("alice (secure): after the flood");
    eve.says("the last message read", |l| {
        l.contains("alice wrote, decrypted: \"after the flood\"")
    });
    let searches = eve
        .out
        .lines()
        .iter()
        .filter(|l| l.contains("tried exponents until"))
        .count();
    assert_eq!(searches, 2, "one search per chat, whatever the flood");
}

/// A class of 40 through eve, each from its own machine (a loopback address of its own),
/// while one student holds 32 idle connections through eve (the server's per-address cap):
/// all 40 get in, and the hog's 33rd is the one refused.
#[test]
fn a_class_of_40_through_eve_all_get_in() {
    let _serial = serial(Serial::Load);
    let server = Server::start();
    let eve = Eve::start(&server);
    let hog_address = Ipv4Addr::new(127, 0, 6, 1);
    let hog: Vec<RawClient> = (0..32)
        .map(|_| RawClient::connect_from(hog_address, eve.port))
        .collect();
    for idle in &hog {
        idle.expect("Please enter your user name");
    }
    let refused = RawClient::connect_from(hog_address, eve.port);
    refused.expect("Too many connections from your address");

    let class: Vec<RawClient> = (1..=40)
        .map(|n| {
            let mut student = RawClient::connect_from(Ipv4Addr::new(127, 0, 7, n), eve.port);
            student.expect("Please enter your user name");
            student.send(&format!("student{n}"));
            student
        })
        .collect();
    for (n, student) in (1..=40).zip(&class) {
        student.expect(&format!("(server): Hello student{n}!"));
    }
    drop(hog);
}
