//! How many connections each client address has open, so that one machine cannot take every
//! place on the server (`server --max-per-host`), and each network, so that one machine with
//! many addresses cannot either (`server --max-per-network`).
//!
//! Two tiers. Each IP address may have `--max-per-host` (32) connections open. On top, the
//! addresses of one network together may have `--max-per-network` (512): for IPv6 a network
//! is a /64 (with SLAAC every student of a lab shares one, so a /64 cannot simply be one host:
//! a class of 100 stays far below 512, one machine with 3,000 privacy addresses does not), and
//! loopback (all of 127.0.0.0/8 and `::1`) is one network: it is one machine, the server
//! itself. An IPv4 address of another kind is its own network: IPv4 addresses are not handed
//! out by the thousand to one machine. IPv4-mapped IPv6 addresses count as the IPv4 they are.
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
    /// Connections open per network (see the module's documentation).
    networks: Mutex<HashMap<Network, usize>>,
    max_per_network: usize,
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

/// One address, or its network, already has the most connections it may have open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TooMany {
    /// The address's own cap (`--max-per-host`) was reached.
    FromAddress(usize),
    /// The network's ceiling (`--max-per-network`) was reached, whatever this address holds.
    FromNetwork(usize),
}

/// The network an address belongs to, for the looser ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Network {
    /// 127.0.0.0/8 and `::1`: the server's own machine.
    Loopback,
    /// An IPv6 /64 (its first 64 bits).
    Ipv6(u64),
    /// Any other IPv4 address, a network of its own.
    Ipv4(std::net::Ipv4Addr),
}

impl Network {
    /// The network of `ip` (IPv4-mapped addresses as their IPv4).
    pub fn of(ip: IpAddr) -> Network {
        match ip.to_canonical() {
            ip if ip.is_loopback() => Network::Loopback,
            IpAddr::V4(v4) => Network::Ipv4(v4),
            IpAddr::V6(v6) => Network::Ipv6((u128::from(v6) >> 64) as u64),
        }
    }
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

    /// The same, with at most `max_per_network` connections from one network at once.
    pub fn with_network_ceiling(mut self, max_per_network: usize) -> Hosts {
        self.max_per_network = max_per_network;
        self
    }

    /// As [`Hosts::new`]; the connections of one address may together make `burst` commands
    /// at once, then `per_second` a second.
    pub fn with_command_budget(max_per_host: usize, per_second: u32, burst: u32) -> Hosts {
        Hosts {
            open: Mutex::new(HashMap::new()),
            max_per_host,
            networks: Mutex::new(HashMap::new()),
            max_per_network: usize::MAX,
            commands: (per_second, burst),
        }
    }

    /// Takes a place for a new connection from `ip`.
    ///
    /// # Errors
    /// [`TooMany`] when `ip` already has `max_per_host` connections open, or its network
    /// `max_per_network`.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<HostSlot, TooMany> {
        let ip = ip.to_canonical();
        let mut open = self.open.lock();
        let (per_second, burst) = self.commands;
        let host = open.entry(ip).or_insert_with(|| Host {
            open: 0,
            commands: Arc::new(Mutex::new(RateLimit::new(per_second, burst))),
        });
        if host.open >= self.max_per_host {
            return Err(TooMany::FromAddress(self.max_per_host));
        }
        // The network's count under the address map's lock: one order, no deadlock.
        {
            let mut networks = self.networks.lock();
            let count = networks.entry(Network::of(ip)).or_insert(0);
            if *count >= self.max_per_network {
                if host.open == 0 {
                    open.remove(&ip);
                }
                return Err(TooMany::FromNetwork(self.max_per_network));
            }
            *count += 1;
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
        {
            let mut networks = self.hosts.networks.lock();
            let network = Network::of(self.ip);
            if let Some(count) = networks.get_mut(&network) {
                *count -= 1;
                if *count == 0 {
                    networks.remove(&network);
                }
            }
        }
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
        assert_eq!(hosts.admit(LAB_PC).unwrap_err(), TooMany::FromAddress(3));
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

    /// Many addresses of one IPv6 /64 (one machine's privacy addresses) reach the network's
    /// ceiling, another /64 does not; all of loopback is one network; IPv4 addresses are not
    /// grouped.
    #[test]
    fn addresses_of_one_network_share_its_ceiling() {
        let hosts = Arc::new(Hosts::new(32).with_network_ceiling(100));
        let in_lab = |n: u16| IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 1, 0, 0, n, 1));
        let slots: Vec<HostSlot> = (0..100).map(|n| hosts.admit(in_lab(n)).unwrap()).collect();
        assert_eq!(
            hosts.admit(in_lab(500)).unwrap_err(),
            TooMany::FromNetwork(100)
        );
        assert_eq!(
            hosts.open_from(in_lab(500)),
            0,
            "a refused address is forgotten"
        );
        let next_door = IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 2, 0, 0, 0, 1));
        assert!(hosts.admit(next_door).is_ok());
        drop(slots);
        assert!(hosts.admit(in_lab(500)).is_ok(), "places come back");

        let loopback: Vec<HostSlot> = (0..100u32)
            .map(|n| {
                hosts
                    .admit(IpAddr::V4(Ipv4Addr::from(0x7f00_0001 + n)))
                    .unwrap()
            })
            .collect();
        assert!(hosts.admit(IpAddr::V6(Ipv6Addr::LOCALHOST)).is_err());
        assert!(hosts
            .admit(IpAddr::V4(Ipv4Addr::new(127, 9, 9, 9)))
            .is_err());
        drop(loopback);
        let lab: Vec<HostSlot> = (0..100u32)
            .map(|n| {
                hosts
                    .admit(IpAddr::V4(Ipv4Addr::from(0xc0a8_0100 + n)))
                    .unwrap()
            })
            .collect();
        assert!(hosts
            .admit(IpAddr::V4(Ipv4Addr::new(192, 168, 1, 200)))
            .is_ok());
        drop(lab);
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
