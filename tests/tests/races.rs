//! Many clients doing the same thing at the same moment.

use std::sync::{Arc, Barrier};
use std::thread;
use tests::{RawClient, Server, WAIT};

const HELLO: &str = "(server): Hello same!";
const TAKEN: &str = "(server): The name 'same' is already taken; please choose another:";

/// 100 raw sockets propose the same name at once: exactly one gets it, the other 99 are told
/// it is taken and each registers another name on the same connection.
#[test]
fn hundred_sockets_race_for_one_name() {
    const N: usize = 100;
    // All from 127.0.0.1: more than the default per-address limit.
    let server = Server::builder().without_host_limits().start();
    let port = server.port();
    let start = Arc::new(Barrier::new(N));
    let racers: Vec<_> = (0..N)
        .map(|i| {
            let start = Arc::clone(&start);
            thread::spawn(move || {
                let mut raw = RawClient::connect(port);
                raw.expect("(server): Welcome to labchat! Please enter your user name:");
                start.wait();
                raw.send("same");
                let answer = raw
                    .received
                    .wait_for(WAIT, |l| l.starts_with(HELLO) || l == TAKEN)
                    .unwrap_or_else(|| {
                        panic!("racer {i} got no answer: {:#?}", raw.received.lines())
                    });
                let won = answer.starts_with(HELLO);
                if !won {
                    let name = format!("other{i}");
                    raw.send(&name);
                    raw.expect(&format!("(server): Hello {name}!"));
                }
                (won, raw)
            })
        })
        .collect();
    let results: Vec<(bool, RawClient)> = racers
        .into_iter()
        .map(|r| r.join().expect("a racer panicked"))
        .collect();

    let winners = results.iter().filter(|(won, _)| *won).count();
    assert_eq!(winners, 1, "winners of the name 'same'");
    for (_, raw) in &results {
        let lines = raw.received.lines();
        let hellos = lines.iter().filter(|l| l.starts_with(HELLO)).count();
        let taken = lines.iter().filter(|l| *l == TAKEN).count();
        assert_eq!(hellos + taken, 1, "{lines:#?}");
    }

    // Every one of them is online, once.
    let mut watcher = RawClient::register(port, "watcher");
    watcher.send("status");
    watcher.expect(&format!("(server): {} users online:", N + 1));
    watcher.expect("(server): - other");
    watcher.expect("(server): - same: FREE");
    drop(results);
}
