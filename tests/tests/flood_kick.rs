//! Kick by flooding: a student who connects to someone (no consent needed) and floods them
//! must not get them disconnected, which would also free their name for the taking. The server
//! stops reading from the *sender* while the receiver has a backlog; the receiver is cut off
//! only if it reads nothing at all (`stuck.rs` shows that side).

use parking_lot::Mutex;
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};
use tests::{connect_from, serial, RawClient, Serial, Server, WAIT};

/// A client that reads slowly but steadily (16 KiB every 2 ms, at most 8 MB/s) and keeps the
/// tail of what it read.
struct SlowReader {
    socket: TcpStream,
    read: Arc<AtomicU64>,
    closed: Arc<AtomicBool>,
    tail: Arc<Mutex<Vec<u8>>>,
}

impl SlowReader {
    fn register(port: u16, name: &str) -> SlowReader {
        let mut socket = TcpStream::connect(("127.0.0.1", port)).expect("server up");
        socket
            .write_all(format!("{name}\n").as_bytes())
            .expect("send name");
        let (read, closed, tail) = (Arc::default(), Arc::default(), Arc::default());
        let reader = SlowReader {
            socket: socket.try_clone().expect("clone"),
            read: Arc::clone(&read),
            closed: Arc::clone(&closed),
            tail: Arc::clone(&tail),
        };
        thread::spawn(move || {
            let mut chunk = vec![0u8; 16 * 1024];
            loop {
                match socket.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        read.fetch_add(n as u64, Ordering::SeqCst);
                        let mut tail = tail.lock();
                        tail.extend_from_slice(&chunk[..n]);
                        let excess = tail.len().saturating_sub(256 * 1024);
                        tail.drain(..excess);
                    }
                }
                thread::sleep(Duration::from_millis(2));
            }
            closed.store(true, Ordering::SeqCst);
        });
        reader
    }

    fn saw(&self, text: &str) -> bool {
        String::from_utf8_lossy(&self.tail.lock()).contains(text)
    }

    fn wait_for(&self, text: &str) -> bool {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if self.saw(text) {
                return true;
            }
            thread::sleep(Duration::from_millis(10));
        }
        false
    }
}

/// mallory floods victim (who reads, slowly) with 4,000-byte lines as fast as a socket can for
/// 3 s: victim stays connected and in the chat, mallory is slowed to victim's pace, another
/// pair is not delayed.
#[test]
fn flooding_a_partner_who_reads_does_not_cut_it_off() {
    let _serial = serial(Serial::Load);
    flood_partner("mallory", &format!("msg {}\n", "x".repeat(4000)));
}

/// The same with the cheapest flood there is: two-byte lines from a sender with a 32-character
/// name, so each one costs the receiver 18 times what it cost the sender. One 64 KiB read used
/// to become more than 1 MiB for the partner in a single push, and cut it off at once.
#[test]
fn tiny_lines_from_a_long_name_do_not_cut_off_a_reader() {
    let _serial = serial(Serial::Load);
    flood_partner(&"m".repeat(32), "a\n");
}

/// `sender` floods victim with `line` for 3 s; see the tests above.
fn flood_partner(sender: &str, line: &str) {
    let server = Server::start();
    let mut victim = SlowReader::register(server.port(), "victim");
    assert!(victim.wait_for("(server): Hello victim!"));
    let mut mallory = TcpStream::connect(("127.0.0.1", server.port())).expect("server up");
    mallory
        .write_all(format!("{sender}\nconnect victim\n").as_bytes())
        .unwrap();
    assert!(victim.wait_for(&format!("(server): You are now connected to {sender}")));

    let mut carol = RawClient::register(server.port(), "carol");
    let dave = RawClient::register(server.port(), "dave");
    carol.send("connect dave");
    dave.expect("(server): You are now connected to carol");
    let flood_over = Arc::new(AtomicBool::new(false));
    let over = Arc::clone(&flood_over);
    let pinger = thread::spawn(move || {
        let mut worst = Duration::ZERO;
        let mut round = 0;
        while !over.load(Ordering::SeqCst) {
            let started = Instant::now();
            carol.send(&format!("ping {round}"));
            dave.expect(&format!("carol: ping {round}"));
            worst = worst.max(started.elapsed());
            round += 1;
        }
        (round, worst)
    });

    let batch = line.repeat(64 * 1024 / line.len());
    mallory
        .set_write_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let started = Instant::now();
    let mut sent = 0u64;
    while started.elapsed() < Duration::from_secs(3) {
        match mallory.write(batch.as_bytes()) {
            Ok(n) => sent += n as u64,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => panic!("mallory was disconnected: {e}"),
        }
        assert!(
            !victim.closed.load(Ordering::SeqCst),
            "victim was cut off after {:?}, {sent} bytes sent by mallory",
            started.elapsed()
        );
    }
    flood_over.store(true, Ordering::SeqCst);
    let (rounds, worst) = pinger.join().expect("the pinger finishes");
    let read = victim.read.load(Ordering::SeqCst);
    eprintln!(
        "flood for 3 s: mallory got {} MB in, victim read {} MB; victim connected; \
         other pair {rounds} round trips, worst {worst:?}",
        sent >> 20,
        read >> 20
    );

    // Once mallory stops, victim catches up and is still in the chat.
    victim
        .socket
        .write_all(b"status\n")
        .expect("victim is connected");
    assert!(
        victim.wait_for(&format!("(server): - victim: BUSY with {sender} (you)")),
        "victim is no longer in the chat"
    );
    assert!(!victim.saw("disconnected"), "someone was disconnected");
    // Blocked behind the flood, it would wait for a cut-off (5 s); half of that is the line.
    assert!(
        worst < Duration::from_millis(2500),
        "another chat waited {worst:?}"
    );
}

/// Sends `name` from `socket` and returns the server's answer to it.
fn propose(socket: &TcpStream, name: &str) -> String {
    use std::io::BufRead;
    let mut reader = std::io::BufReader::new(socket.try_clone().expect("clone"));
    let mut line = String::new();
    reader.read_line(&mut line).expect("the welcome");
    (&*socket)
        .write_all(format!("{name}\n").as_bytes())
        .expect("send a name");
    // The answer, after the notice of how long there is to send a name.
    loop {
        line.clear();
        reader.read_line(&mut line).expect("an answer");
        if !line.starts_with("(server): You have ") {
            return line;
        }
    }
}

/// A kick must not become a name theft: when victim's connection is lost (here it just goes
/// away without `close`), its name is kept for victim's machine for a while. Another machine
/// is told why it cannot have it; victim's machine gets it back at once.
#[test]
fn a_lost_name_is_kept_for_its_owner_s_machine() {
    let _serial = serial(Serial::Load);
    let server = Server::start();
    let victim = connect_from(Ipv4Addr::new(127, 0, 0, 1), server.port(), None);
    assert!(propose(&victim, "victim").starts_with("(server): Hello victim!"));
    drop(victim);
    server
        .log
        .wait_for(WAIT, |l| l.ends_with(" victim left"))
        .expect("the server sees victim go");

    let thief = connect_from(Ipv4Addr::new(127, 0, 0, 2), server.port(), None);
    let answer = propose(&thief, "victim");
    assert!(
        answer.contains("'victim' lost the connection a moment ago, and the name is kept"),
        "{answer}"
    );
    let back = connect_from(Ipv4Addr::new(127, 0, 0, 1), server.port(), None);
    assert!(propose(&back, "victim").starts_with("(server): Hello victim!"));
}
