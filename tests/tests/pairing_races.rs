//! Races on the user table: simultaneous connects (mutual and in rings), and `status` while
//! users come and go. The table must never deadlock, never make a one-sided pairing, and
//! every `status` must be one consistent snapshot.

use std::thread;
use std::time::{Duration, Instant};
use tests::{RawClient, Server};

/// Is this line a possible answer to a `connect`?
fn connect_answer(line: &str) -> bool {
    line.starts_with("(server): You are now connected to ")
        || line.starts_with("(server): You are already in a chat with ")
        || line.contains(" is BUSY in another chat")
}

/// Waits for `total` connect answers spread over `clients`; returns them per client.
fn collect_answers(clients: &[RawClient], total: usize) -> Vec<Vec<String>> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut answers = vec![Vec::new(); clients.len()];
    while answers.iter().map(Vec::len).sum::<usize>() < total {
        assert!(Instant::now() < deadline, "only got {answers:?}");
        for (client, got) in clients.iter().zip(&mut answers) {
            if let Some(line) = client
                .received
                .wait_for(Duration::from_millis(1), connect_answer)
            {
                got.push(line);
            }
        }
    }
    answers
}

/// Reads one whole `status` answer: the rows, as (name, partner) pairs.
fn status(client: &mut RawClient) -> Vec<(String, Option<String>)> {
    client
        .status()
        .into_iter()
        .map(|row| {
            let row = row
                .trim_start_matches("(server): - ")
                .trim_end_matches(" (you)");
            let (name, state) = row.split_once(": ").expect("name: state");
            let partner = state.strip_prefix("BUSY with ").map(String::from);
            assert!(partner.is_some() || state == "FREE", "bad row {row:?}");
            (name.to_string(), partner)
        })
        .collect()
}

/// Checks that every BUSY row's partner names it back.
fn assert_symmetric(rows: &[(String, Option<String>)]) {
    for (name, partner) in rows {
        if let Some(partner) = partner {
            let back = rows
                .iter()
                .find(|(n, _)| n == partner)
                .and_then(|(_, p)| p.as_ref());
            assert_eq!(back, Some(name), "one-sided pairing in {rows:?}");
        }
    }
}

fn names(n: usize, prefix: &str) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

/// N users connect in a ring at once (N = 2 is A and B connecting to each other), 1,000 times
/// each: exactly one pair forms, both are told of each other, the rest are refused, and
/// `status` agrees.
fn ring_race(size: usize, rounds: usize) {
    // Each client asks for `status` and connects hundreds of times in a row: lift the rate
    // limits.
    let server = Server::builder()
        .args(&["--status-rate", "1000000", "--command-rate", "1000000"])
        .start();
    let users = names(size, "u");
    let mut clients: Vec<RawClient> = users
        .iter()
        .map(|n| RawClient::register(server.port(), n))
        .collect();
    for round in 0..rounds {
        for (i, client) in clients.iter_mut().enumerate() {
            client.send(&format!("connect {}", users[(i + 1) % size]));
        }
        let answers = collect_answers(&clients, size + 1);
        let paired: Vec<(usize, String)> = answers
            .iter()
            .enumerate()
            .flat_map(|(i, got)| {
                got.iter().filter_map(move |l| {
                    l.strip_prefix("(server): You are now connected to ")
                        .map(|p| (i, p.to_string()))
                })
            })
            .collect();
        assert_eq!(paired.len(), 2, "round {round}: {answers:?}");
        let (a, b) = (&paired[0], &paired[1]);
        assert_eq!(users[a.0], b.1, "round {round}: stories differ {answers:?}");
        assert_eq!(users[b.0], a.1, "round {round}: stories differ {answers:?}");

        let rows = status(&mut clients[round % size]);
        assert_symmetric(&rows);
        let busy: Vec<&String> = rows
            .iter()
            .filter(|(_, p)| p.is_some())
            .map(|(n, _)| n)
            .collect();
        assert_eq!(busy.len(), 2, "round {round}: {rows:?}");

        clients[a.0].send("goodbye");
        clients[a.0].expect("(server): You ended the chat with ");
        clients[b.0].expect(" ended the chat");
    }
}

/// A connects to B while B connects to A, 1,000 times.
#[test]
fn mutual_connects_pair_exactly_once() {
    ring_race(2, 1000);
}

/// A to B, B to C, C to A at once, 1,000 times.
#[test]
fn ring_of_three_connects_pairs_exactly_once() {
    ring_race(3, 1000);
}

/// Users join, pair, part and leave while others run `status` in a loop: every answer is a
/// whole, consistent snapshot.
#[test]
fn status_is_a_consistent_snapshot_under_churn() {
    // 320 users from 127.0.0.1, the `b`s still connected while later rounds run, and
    // watchers asking for `status` in a loop.
    let server = Server::builder()
        .args(&[
            "--max-per-host",
            "1000",
            "--status-rate",
            "1000000",
            "--command-rate",
            "1000000",
        ])
        .start();
    let port = server.port();
    let churners: Vec<_> = (0..4)
        .map(|t| {
            thread::spawn(move || {
                for round in 0..40 {
                    let a_name = format!("c{t}a{round}");
                    let b_name = format!("c{t}b{round}");
                    let mut a = RawClient::register(port, &a_name);
                    let b = RawClient::register(port, &b_name);
                    a.send(&format!("connect {b_name}"));
                    b.expect("You are now connected to");
                    if round % 2 == 0 {
                        a.send("goodbye");
                        b.expect("ended the chat");
                    }
                    a.send("close");
                    assert!(
                        a.expect_closed(Duration::from_secs(5)),
                        "close did not close"
                    );
                }
            })
        })
        .collect();
    let watchers: Vec<_> = (0..3)
        .map(|w| {
            thread::spawn(move || {
                let mut me = RawClient::register(port, &format!("watcher{w}"));
                let mut answers = 0;
                let mut most = 0;
                for _ in 0..300 {
                    let rows = status(&mut me);
                    let mut sorted = rows.clone();
                    sorted.sort();
                    assert_eq!(rows, sorted, "rows are sorted by name");
                    assert_symmetric(&rows);
                    most = most.max(rows.len());
                    answers += 1;
                }
                (answers, most)
            })
        })
        .collect();
    for churner in churners {
        churner.join().expect("churner finished");
    }
    for watcher in watchers {
        let (answers, most) = watcher.join().expect("every status answer was consistent");
        assert_eq!(answers, 300);
        assert!(most > 3, "the watchers saw users other than themselves");
    }
}
