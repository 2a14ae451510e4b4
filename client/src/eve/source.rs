//! The address eve connects to the server from, for each student: one of its own per student
//! when the server is on eve's machine, so that the server's per-address rules (32 connections
//! per address, kept names, output budgets, bans) see each student and not the whole class as
//! one address.
//!
//! In the lesson eve runs on the server's machine and reaches it over loopback. All of
//! 127.0.0.0/8 is this machine, so eve can connect from any address in it: each student's
//! address is hashed into 127.1.0.0/16 ([`source_for`]), the same address every time (a kept
//! name survives eve being restarted between steps). The limits: two students may hash to the
//! same address (for a class of 40, about one chance in 80); loopback is one network for the
//! server's `--max-per-network` (512 connections together); and when the server is elsewhere,
//! or on IPv6 loopback, eve connects from its own address and the class is one address there.

use socket2::{Domain, Protocol, Socket, Type};
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

/// The address eve connects from for a student at `student`, when the server is at `server`:
/// a loopback address of the student's own if the server is on IPv4 loopback, else `None`
/// (eve's own address).
pub fn source_for(student: IpAddr, server: SocketAddr) -> Option<IpAddr> {
    let IpAddr::V4(ip) = server.ip() else {
        return None;
    };
    if !ip.is_loopback() {
        return None;
    }
    let student = match student {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    let bytes = match student {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    };
    // FNV-1a: stable from run to run and machine to machine.
    let hash = bytes.iter().fold(0x811c_9dc5_u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    // 256 * 254 addresses: the last byte is 1 to 254.
    let n = hash % (256 * 254);
    let (high, low) = ((n / 254) as u8, (n % 254 + 1) as u8);
    Some(IpAddr::V4(Ipv4Addr::new(127, 1, high, low)))
}

/// Connects to `server` from `source` (any port), giving up after `timeout`. If this machine
/// will not bind `source` (a system with only 127.0.0.1 on loopback), connects from eve's
/// own address instead; the second value says so.
///
/// # Errors
/// The connection could not be made within `timeout`.
pub fn connect_from(
    source: Option<IpAddr>,
    server: SocketAddr,
    timeout: Duration,
) -> io::Result<(TcpStream, bool)> {
    if let Some(source) = source {
        let socket = Socket::new(
            Domain::for_address(server),
            Type::STREAM,
            Some(Protocol::TCP),
        )?;
        if socket.bind(&SocketAddr::new(source, 0).into()).is_ok() {
            socket.connect_timeout(&server.into(), timeout)?;
            return Ok((socket.into(), true));
        }
    }
    Ok((TcpStream::connect_timeout(&server, timeout)?, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_student_gets_a_stable_loopback_address_of_its_own() {
        let server: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let a = source_for("10.0.0.7".parse().unwrap(), server).unwrap();
        assert_eq!(a, source_for("10.0.0.7".parse().unwrap(), server).unwrap());
        assert_eq!(
            a,
            source_for("::ffff:10.0.0.7".parse().unwrap(), server).unwrap()
        );
        let IpAddr::V4(v4) = a else { panic!() };
        assert_eq!(v4.octets()[..2], [127, 1]);
        assert!(v4.octets()[3] != 0 && v4.octets()[3] != 255);
        let class: std::collections::HashSet<IpAddr> = (1..=40)
            .map(|n| source_for(IpAddr::V4(Ipv4Addr::new(127, 0, 2, n)), server).unwrap())
            .collect();
        assert_eq!(class.len(), 40, "a class of 40 gets 40 addresses");
        assert_eq!(source_for(a, "192.0.2.1:5000".parse().unwrap()), None);
        assert_eq!(source_for(a, "[::1]:5000".parse().unwrap()), None);
    }
}
