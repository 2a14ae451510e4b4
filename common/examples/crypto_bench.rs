//! Rough timings of labchat's cryptography, to show what a secure chat costs.
//!
//! ```text
//! cargo run --release -p common --example crypto_bench
//! ```
//!
//! Prints, for each Diffie-Hellman group, the median time one side spends on a key agreement
//! (generating its key pair and combining it with the peer's public value), and the median time
//! to seal and open a 1 KiB message. It prints figures only; it checks nothing.

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::dh::{Group, KeyPair};
use common::secure::Session;

/// Runs `work` `runs` times and returns the median duration.
fn median(runs: usize, mut work: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            work();
            started.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// A session pair over an ffdhe2048 exchange.
fn sessions() -> (Session, Session) {
    let group = Group::Ffdhe2048;
    let (a, b) = (KeyPair::generate(group), KeyPair::generate(group));
    (
        Session::new(group, a.public(), b.public(), &a.agree(b.public())),
        Session::new(group, b.public(), a.public(), &b.agree(a.public())),
    )
}

fn main() {
    println!("key agreement, one side (generate + agree), median:");
    for (group, runs) in [
        (Group::Toy, 1000),
        (Group::Ffdhe2048, 50),
        (Group::Ffdhe3072, 50),
    ] {
        let peer = KeyPair::generate(group);
        let time = median(runs, || {
            let mine = KeyPair::generate(group);
            black_box(mine.agree(peer.public()));
        });
        println!("  {group:<10} {time:>12.3?}  ({runs} runs)");
    }

    let text = "x".repeat(1024);
    let runs = 5000;
    let (mut alice, mut bob) = sessions();
    let seal_open = median(runs, || {
        let payload = alice.seal(black_box(&text)).expect("fits");
        black_box(bob.open(&payload).expect("own message opens"));
    });
    let seal = median(runs, || {
        black_box(alice.seal(black_box(&text)).expect("fits"));
    });
    let per_second = 1.0 / seal_open.as_secs_f64();
    println!("1 KiB message (RC4-drop3072 + HMAC-SHA256), median of {runs}:");
    println!(
        "  seal + open {seal_open:>12.3?}  ({per_second:.0} messages/s, {:.1} MiB/s)",
        per_second / 1024.0
    );
    println!("  seal alone  {seal:>12.3?}");
}
