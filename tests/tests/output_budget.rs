//! The server's memory budget for queued output: connections that ask for answers and never
//! read them cost the server a bounded amount, whatever their number and addresses.

use std::io::Write;
use std::net::{Ipv4Addr, TcpStream};
use std::thread;
use tests::{peak_rss_kib, rss_kib, serial, RawClient, Serial, Server};

/// Connections per address: the default `--max-per-host`.
const PER_ADDRESS: usize = 32;
/// Addresses the flood comes from: 127.0.0.2 to 127.0.0.5.
const ADDRESSES: u8 = 4;

/// Connects from `from` with a small receive buffer (the attacker's own memory is not what is
/// measured) and registers `name`, reading nothing after the welcome.
fn register_from(from: Ipv4Addr, port: u16, name: &str) -> TcpStream {
    let (stream, answer) = tests::propose_name_from(from, port, Some(4096), name);
    assert!(
        answer.starts_with(&format!("(server): Hello {name}!")),
        "{name} from {from} was not welcomed: {answer}"
    );
    stream
}

/// 128 connections from 4 addresses ask for `help` in a loop and never read the answers: the
/// server's resident memory grows by at most 32 MiB, every one of them is cut off with a log
/// line, and a person on another address who reads is not.
#[test]
fn non_reading_help_flooders_from_four_addresses_cost_at_most_32_mib() {
    let _serial = serial(Serial::Load);
    // The memory budget on its own: lift the command budget, which would otherwise answer
    // only a few `help`s per connection.
    let server = Server::builder()
        .args(&["--command-rate", "1000000"])
        .start();
    let port = server.port();
    let mut honest = RawClient::register(port, "honest");
    let flooders: Vec<TcpStream> = (0..ADDRESSES)
        .flat_map(|a| (0..PER_ADDRESS).map(move |i| (a, i)))
        .map(|(a, i)| register_from(Ipv4Addr::new(127, 0, 0, 2 + a), port, &format!("f{a}_{i}")))
        .collect();
    let rss_before = rss_kib(server.pid());

    // Each asks for help until the server hangs up on it (at most 16 MiB of `help` lines each:
    // over a GiB of answers, far more than any budget).
    let batch = "help\n".repeat(200);
    let handles: Vec<_> = flooders
        .into_iter()
        .map(|mut stream| {
            let batch = batch.clone();
            thread::Builder::new()
                .stack_size(64 * 1024)
                .spawn(move || {
                    for _ in 0..(16 << 20) / batch.len() {
                        if stream.write_all(batch.as_bytes()).is_err() {
                            return true;
                        }
                    }
                    false
                })
                .expect("a flooder thread")
        })
        .collect();
    let cut_off = handles
        .into_iter()
        .map(|h| h.join().expect("the flooder ends"))
        .filter(|&cut| cut)
        .count();
    let rss_peak = peak_rss_kib(server.pid());
    let growth_mib = rss_peak.saturating_sub(rss_before) as f64 / 1024.0;
    eprintln!(
        "128 help flooders from 4 addresses: {cut_off} cut off; server RSS {rss_before} KiB before, peak {rss_peak} KiB (+{growth_mib:.1} MiB)"
    );
    assert!(
        growth_mib <= 32.0,
        "the server grew by {growth_mib:.1} MiB (more than 32 MiB)"
    );
    assert_eq!(cut_off, 128, "every flooder is cut off in the end");
    honest.send("help");
    honest.expect("(server): Commands:");
    assert_eq!(
        honest.status().len(),
        1,
        "only the person who reads is left"
    );
    assert!(
        server.log.lines().iter().any(|l| l.contains("cut off")),
        "the cut-offs are logged: {:#?}",
        server.log.lines()
    );
}
