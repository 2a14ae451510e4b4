//! Hosts, not just addresses: the addresses of one network share a ceiling on connections
//! (`--max-per-network`); all of loopback is one network, the server's own machine.

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, TcpStream};
use tests::{connect_from, Server, WAIT};

/// Connects from `from` and returns the socket with the first line the server sent.
fn first_line_from(from: Ipv4Addr, port: u16) -> (TcpStream, String) {
    let stream = connect_from(from, port, None);
    let mut line = String::new();
    BufReader::new(stream.try_clone().expect("clones"))
        .read_line(&mut line)
        .expect("the server says something");
    (stream, line.trim_end().to_string())
}

/// With `--max-per-network 40`, 40 connections from 40 different 127.x addresses are let in
/// and the next one, from yet another 127.x address, is refused (told that its network, not
/// its address, is full: that address holds nothing) and the refusal logged: many loopback
/// addresses are still one machine.
#[test]
fn many_loopback_addresses_share_one_ceiling() {
    let server = Server::builder().args(&["--max-per-network", "40"]).start();
    let port = server.port();
    let held: Vec<TcpStream> = (0..40u32)
        .map(|i| {
            let (stream, line) = first_line_from(Ipv4Addr::from(0x7f03_0001 + i), port);
            assert!(line.contains("Welcome"), "connection {i}: {line}");
            stream
        })
        .collect();
    let (_refused, line) = first_line_from(Ipv4Addr::new(127, 4, 0, 1), port);
    assert_eq!(
        line,
        "(server): Too many connections from your network (at most 40 at once from its addresses); try again later"
    );
    server
        .log
        .wait_for(WAIT, |l| {
            l.contains("its network has 40 connection(s) open already (--max-per-network)")
        })
        .expect("the refusal is logged");
    drop(held);
}
