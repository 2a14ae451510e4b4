//! What a line costs eve under her lock, in a toy-group chat she has already broken: the
//! first `key_param` pair hands out the key search (run outside the lock), and each extra
//! `key_param <chat> 3` line after it costs no search at all. Prints the figures:
//!
//! ```sh
//! cargo run --release -p client --example eve_line_cost
//! ```
use client::eve::actions::Way;
use client::eve::intercept::{Interceptor, Mode};
use common::dh::{Group, KeyPair};
use std::time::Instant;

fn main() {
    let mut eve = Interceptor::new(Mode::Watch);
    for (conn, name) in ["alice", "bob"].iter().enumerate() {
        eve.relay(conn, Way::ToClient, &format!("(server): Hello {name}! Type status to see who is here, connect <user> to chat, help for more."));
        eve.relay(conn, Way::ToClient, "GEN_KEYS toy 7");
    }
    let (a, b) = loop {
        let (a, b) = (KeyPair::generate(Group::Toy), KeyPair::generate(Group::Toy));
        if a.public() != b.public() {
            break (a, b);
        }
    };
    eve.relay(0, Way::ToServer, &format!("key_param 7 {}", a.public()));
    let started = Instant::now();
    let actions = eve.relay(1, Way::ToServer, &format!("key_param 7 {}", b.public()));
    let under_lock = started.elapsed();
    let job = actions.crack.expect("the search is handed out");
    let started = Instant::now();
    let outcome = job.run();
    let search = started.elapsed();
    eve.cracked(&job, outcome);
    println!(
        "second value: {:.1} us under the lock; the key search, outside it: {:.1} us",
        under_lock.as_secs_f64() * 1e6,
        search.as_secs_f64() * 1e6
    );
    let lines = 20_000;
    let started = Instant::now();
    let mut searches = 0;
    for _ in 0..lines {
        searches += usize::from(eve.relay(0, Way::ToServer, "key_param 7 3").crack.is_some());
    }
    let each = started.elapsed().as_secs_f64() / f64::from(lines);
    println!(
        "{lines} extra key_param lines: {:.1} us each under the lock, {searches} searches",
        each * 1e6
    );
}
