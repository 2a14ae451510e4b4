//! How many connections each client address has open, so that one machine cannot take every
//! place on the server (`server --max-per-host`).
//!
//! A count per IP address behind a lock of its own (not the user table's: admitting a
//! connection here never waits for a `status` or a pairing). A connection holds a
//! [`HostSlot`] from accept until its socket is closed; dropping the slot gives the place
//! back. An IPv4 client reaching the dual-stack listener appears as `::ffff:a.b.c.d` and is
//! counted as `a.b.c.d`. Loopback is not exempt: on a shared lab server, `127.0.0.1` is every
//! user logged in on the server itself.

use crate::rate::RateLimit;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

/// Open connections per client address, with the most one address may have.
#[derive(Debug)]
pub struct Hosts {
    open: Mutex<HashMap<IpAddr, Host>>,
    max_per_host: usize,
    /// The command budget every address starts with: (per second, burst).
    commands: (u32, u32),
}

/// One address with connections open.
#[derive(Debug)]
struct Host {
    open: usize,
    /// The commands its connections may make together (see [`HostSlot::commands`]).
    commands: Arc<Mutex<RateLimit>>,
}

/// One address already has the most connections it may have open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyFromHost {
    /// The limit, `--max-per-host`.
    pub max_per_host: usize,
}

/// A place taken by one connection from `ip`; dropping it gives the place back.
#[derive(Debug)]
pub struct HostSlot {
    hosts: Arc<Hosts>,
    ip: IpAddr,
    commands: Arc<Mutex<RateLimit>>,
}

impl HostSlot {
    /// The command budget shared by every connection from this address (while any is open),
    /// so that 32 connections do not get 32 times one connection's.
    pub fn commands(&self) -> &Mutex<RateLimit> {
        &self.commands
    }
}

impl Hosts {
    /// No connections yet; each address may open at most `max_per_host` at once.
    pub fn new(max_per_host: usize) -> Hosts {
        Hosts::with_command_budget(max_per_host, u32::MAX, u32::MAX)
    }

    /// As [`Hosts::new`]; the connections of one address may together make `burst` commands
    /// at once, then `per_second` a second.
    pub fn with_command_budget(max_per_host: usize, per_second: u32, burst: u32) -> Hosts {
        Hosts {
            open: Mutex::new(HashMap::new()),
            max_per_host,
            commands: (per_second, burst),
        }
    }

    /// Takes a place for a new connection from `ip`.
    ///
    /// # Errors
    /// [`TooManyFromHost`] when `ip` already has `max_per_host` connections open.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<HostSlot, TooManyFromHost> {
        let ip = ip.to_canonical();
        let mut open = self.open.lock();
        let (per_second, burst) = self.commands;
        let host = open.entry(ip).or_insert_with(|| Host {
            open: 0,
            commands: Arc::new(Mutex::new(RateLimit::new(per_second, burst))),
        });
        if host.open >= self.max_per_host {
            return Err(TooManyFromHost {
                max_per_host: self.max_per_host,
            });
        }
        host.open += 1;
        Ok(HostSlot {
            hosts: Arc::clone(self),
            ip,
            commands: Arc::clone(&host.commands),
        })
    }

    /// Connections open from `ip` now.
    pub fn open_from(&self, ip: IpAddr) -> usize {
        self.open
            .lock()
            .get(&ip.to_canonical())
            .map_or(0, |host| host.open)
    }
}

impl Drop for HostSlot {
    fn drop(&mut self) {
        let mut open = self.hosts.open.lock();
        if let Some(host) = open.get_mut(&self.ip) {
            host.open -= 1;
            if host.open == 0 {
                // Forget the address: the map holds only hosts with connections open.
                open.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const LAB_PC: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 20));
    const OTHER_PC: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 21));

    /// The limit-th connection is let in, the next one is refused; other hosts are not
    /// affected; a place given back can be taken again.
    #[test]
    fn the_next_connection_past_the_limit_is_refused_until_one_closes() {
        let hosts = Arc::new(Hosts::new(3));
        let mut slots: Vec<HostSlot> = (0..3).map(|_| hosts.admit(LAB_PC).unwrap()).collect();
        assert_eq!(
            hosts.admit(LAB_PC).unwrap_err(),
            TooManyFromHost { max_per_host: 3 }
        );
        let other = hosts
            .admit(OTHER_PC)
            .expect("another host has its own count");
        assert_eq!(hosts.open_from(LAB_PC), 3);
        slots.pop();
        assert_eq!(hosts.open_from(LAB_PC), 2);
        slots.push(hosts.admit(LAB_PC).expect("a place was given back"));
        drop(slots);
        drop(other);
        assert_eq!(hosts.open_from(LAB_PC), 0);
        assert!(hosts.open.lock().is_empty(), "closed hosts are forgotten");
    }

    /// Every connection of one address draws on one command budget; another address has
    /// its own.
    #[test]
    fn connections_of_one_address_share_a_command_budget() {
        let hosts = Arc::new(Hosts::with_command_budget(32, 1, 3));
        let now = std::time::Instant::now();
        let a = hosts.admit(LAB_PC).unwrap();
        let b = hosts.admit(LAB_PC).unwrap();
        let other = hosts.admit(OTHER_PC).unwrap();
        assert!(a.commands().lock().allow(now));
        assert!(b.commands().lock().allow(now));
        assert!(a.commands().lock().allow(now));
        assert!(
            !b.commands().lock().allow(now),
            "the address spent its burst"
        );
        assert!(other.commands().lock().allow(now));
    }

    /// An IPv4 client seen through the dual-stack listener shares its count with the same
    /// address seen as IPv4.
    #[test]
    fn ipv4_mapped_addresses_count_as_ipv4() {
        let hosts = Arc::new(Hosts::new(1));
        let mapped = IpAddr::V6(Ipv4Addr::new(192, 168, 1, 20).to_ipv6_mapped());
        let _slot = hosts.admit(mapped).unwrap();
        assert!(hosts.admit(LAB_PC).is_err());
        assert_eq!(hosts.open_from(LAB_PC), 1);
        let v6 = IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 0x20));
        assert!(
            hosts.admit(v6).is_ok(),
            "a real IPv6 address is a host of its own"
        );
    }
}
