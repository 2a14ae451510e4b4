//! How long `status` keeps everyone else waiting for the user table, with 2,000 users.
//!
//! ```text
//! cargo run --release -p server --example status_lock_bench
//! ```
//!
//! Registers 2,000 users in a [`Users`] table (their outboxes all write to one loopback socket
//! that a thread drains), then, while one thread asks for `status` in a loop, measures how
//! long another thread waits to take the table's lock (`Users::len`), as a bystander's every
//! command does. Prints the bystander's wait (p50, p99, max) and how many `status` answers
//! were made. It prints figures only; it checks nothing.

use common::protocol::Name;
use server::outbox::Outbox;
use server::users::Users;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

const USERS: usize = 2_000;
const SAMPLES: usize = 20_000;

fn main() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let sender = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
    let (mut receiver, _) = listener.accept().expect("accept");
    thread::spawn(move || {
        let mut sink = vec![0; 1 << 20];
        while matches!(receiver.read(&mut sink), Ok(n) if n > 0) {}
    });
    let outbox = Arc::new(Outbox::new(Arc::new(sender), usize::MAX / 2));
    let users = Arc::new(<Users>::new(USERS + 1));
    let mut first = None;
    for i in 0..USERS {
        let id = users
            .join(Arc::clone(&outbox), std::net::Ipv4Addr::LOCALHOST.into())
            .expect("room");
        let name = Name::parse(&format!("user{i:04}")).expect("valid name");
        assert!(users.register(id, &name));
        first.get_or_insert(id);
    }
    let asker = first.expect("a user");
    for pair in 0..USERS as u64 / 4 {
        // Every other user of the first half is in a chat, so rows name partners too.
        let _ = users.connect(
            asker + 2 * pair,
            &format!("user{:04}", 2 * pair + 1),
            None,
            &mut server::refusals::Refusals::default(),
        );
    }

    let stop = Arc::new(AtomicBool::new(false));
    let answers = Arc::new(AtomicU64::new(0));
    let looper = {
        let (users, stop, answers) = (Arc::clone(&users), Arc::clone(&stop), Arc::clone(&answers));
        thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                users.status(asker);
                answers.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    let mut waits: Vec<Duration> = (0..SAMPLES)
        .map(|_| {
            thread::sleep(Duration::from_micros(50));
            let at = Instant::now();
            std::hint::black_box(users.len());
            at.elapsed()
        })
        .collect();
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let _ = looper.join();
    waits.sort();
    let pick = |q: f64| waits[((waits.len() - 1) as f64 * q) as usize];
    println!(
        "{USERS} users, one thread looping on status: bystander waits for the table p50 {:?}, \
         p99 {:?}, max {:?}; {:.0} status answers a second",
        pick(0.5),
        pick(0.99),
        waits[waits.len() - 1],
        answers.load(Ordering::Relaxed) as f64 / (took.as_secs_f64() + 0.2)
    );
}
