//! Names kept for the address that lost them, so that whoever caused a disconnect cannot take
//! the name meanwhile, and so that no set of other addresses can push a kept name out.
//!
//! The rules:
//! - A kept name is never removed to make room for another address's. Each address may have
//!   at most [`PER_ADDRESS`] names kept; losing one more pushes out its own oldest.
//! - The room for kept names is at least `--max-clients` (so every connection the server can
//!   hold could lose its name and have it kept), and at least [`MIN_ROOM`].
//! - When the room is full (after expired names are swept), a newly lost name is not kept;
//!   the caller logs it.
//! - The addresses of one network (an IPv6 /64, all of loopback: see [`crate::hosts`]) may
//!   have at most `--max-per-network` names kept together; past that a name lost from that
//!   network is not kept either, so one machine with thousands of addresses cannot fill the
//!   room (a class of 100 on one /64 stays far below it).

use crate::hosts::Network;
use common::protocol::Name;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// The most names one address may have kept at once (a lab machine that crashes loses the
/// names of the few people using it, not 32).
pub const PER_ADDRESS: usize = 4;

/// The room for kept names is never below this.
pub const MIN_ROOM: usize = 1024;

/// Names kept after lost connections, each for the address that lost it.
#[derive(Debug)]
pub struct KeptNames {
    room: usize,
    names: HashMap<Name, Kept>,
    /// Each address's kept names, oldest first.
    by_host: HashMap<IpAddr, VecDeque<Name>>,
    /// Names kept per network, and the most one network may have.
    per_network: HashMap<Network, usize>,
    network_quota: usize,
    /// No kept name expires before this (a lower bound: a name let go early may have held
    /// it), so a full room is swept only when one may have: a flood of lost names into a
    /// full room costs a comparison each, not a pass over the whole room under the lock.
    first_expiry: Option<Instant>,
}

#[derive(Debug, Clone, Copy)]
struct Kept {
    host: IpAddr,
    until: Instant,
}

/// What [`KeptNames::keep`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keeping {
    /// The name is kept.
    Kept,
    /// The name is kept, and the address's own oldest kept name was let go to make room.
    KeptInstead(Name),
    /// The room is full of other addresses' names: this one is not kept.
    Full,
    /// The address's network has as many names kept as it may: this one is not kept.
    NetworkFull,
}

impl KeptNames {
    /// Room for at least `max_clients` kept names (and at least [`MIN_ROOM`]).
    pub fn new(max_clients: usize) -> KeptNames {
        KeptNames {
            room: max_clients.max(MIN_ROOM),
            names: HashMap::new(),
            by_host: HashMap::new(),
            per_network: HashMap::new(),
            network_quota: usize::MAX,
            first_expiry: None,
        }
    }

    /// The same, keeping at most `quota` names for the addresses of one network together.
    pub fn with_network_quota(mut self, quota: usize) -> KeptNames {
        self.network_quota = quota.max(PER_ADDRESS);
        self
    }

    /// How many names are kept now (expired ones included until swept).
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when no name is kept.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Keeps `name` for `host` for `time` from `now`, under the rules above.
    pub fn keep(&mut self, name: Name, host: IpAddr, time: Duration, now: Instant) -> Keeping {
        self.remove(&name);
        let own = self.by_host.entry(host).or_default();
        // The address's names were kept for the same time, so its expired ones come first.
        while let Some(oldest) = own.front() {
            if self.names.get(oldest).is_some_and(|k| k.until > now) {
                break;
            }
            let oldest = own.pop_front().expect("a front");
            self.names.remove(&oldest);
            forget_one(&mut self.per_network, host);
        }
        let mut outcome = Keeping::Kept;
        if own.len() >= PER_ADDRESS {
            let oldest = own.pop_front().expect("at the quota");
            self.names.remove(&oldest);
            forget_one(&mut self.per_network, host);
            outcome = Keeping::KeptInstead(oldest);
        } else if self
            .per_network
            .get(&Network::of(host))
            .is_some_and(|&n| n >= self.network_quota)
        {
            if own.is_empty() {
                self.by_host.remove(&host);
            }
            return Keeping::NetworkFull;
        } else if self.names.len() >= self.room {
            if self.first_expiry.is_some_and(|first| first <= now) {
                self.sweep(now);
            }
            if self.names.len() >= self.room {
                if self.by_host.get(&host).is_some_and(VecDeque::is_empty) {
                    self.by_host.remove(&host);
                }
                return Keeping::Full;
            }
        }
        self.by_host
            .entry(host)
            .or_default()
            .push_back(name.clone());
        *self.per_network.entry(Network::of(host)).or_insert(0) += 1;
        self.names.insert(
            name,
            Kept {
                host,
                until: now + time,
            },
        );
        let until = now + time;
        self.first_expiry = Some(self.first_expiry.map_or(until, |first| first.min(until)));
        outcome
    }

    /// Whether `host` may register `name`: `Ok` if it is not kept, kept for `host` itself, or
    /// expired (it is then no longer kept); otherwise how long it stays kept for its owner.
    ///
    /// # Errors
    /// The time left when the name is kept for another address.
    pub fn claim(&mut self, name: &Name, host: IpAddr, now: Instant) -> Result<(), Duration> {
        let Some(kept) = self.names.get(name).copied() else {
            return Ok(());
        };
        let left = kept.until.saturating_duration_since(now);
        if left.is_zero() || kept.host == host {
            self.remove(name);
            return Ok(());
        }
        Err(left)
    }

    fn remove(&mut self, name: &Name) {
        if let Some(kept) = self.names.remove(name) {
            forget_one(&mut self.per_network, kept.host);
            if let Some(own) = self.by_host.get_mut(&kept.host) {
                own.retain(|n| n != name);
                if own.is_empty() {
                    self.by_host.remove(&kept.host);
                }
            }
        }
    }

    /// Forgets every expired name (a bounded sweep, only when the room is full).
    fn sweep(&mut self, now: Instant) {
        self.names.retain(|_, kept| kept.until > now);
        self.first_expiry = self.names.values().map(|kept| kept.until).min();
        let names = &self.names;
        self.by_host.retain(|_, own| {
            own.retain(|n| names.contains_key(n));
            !own.is_empty()
        });
        self.per_network.clear();
        for kept in self.names.values() {
            *self.per_network.entry(Network::of(kept.host)).or_insert(0) += 1;
        }
    }
}

/// One name fewer kept for `host`'s network.
fn forget_one(per_network: &mut HashMap<Network, usize>, host: IpAddr) {
    let network = Network::of(host);
    if let Some(count) = per_network.get_mut(&network) {
        *count -= 1;
        if *count == 0 {
            per_network.remove(&network);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn name(n: &str) -> Name {
        Name::parse(n).unwrap()
    }

    fn host(n: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n))
    }

    const MINUTE: Duration = Duration::from_secs(60);

    /// An address past its quota pushes out its own oldest name, never another's.
    #[test]
    fn an_address_past_its_quota_pushes_out_its_own_oldest() {
        let now = Instant::now();
        let mut kept = KeptNames::new(10);
        assert_eq!(
            kept.keep(name("victim"), host(1), MINUTE, now),
            Keeping::Kept
        );
        for i in 0..PER_ADDRESS {
            let outcome = kept.keep(name(&format!("t{i}")), host(2), MINUTE, now);
            assert_eq!(outcome, Keeping::Kept);
        }
        assert_eq!(
            kept.keep(name("t9"), host(2), MINUTE, now),
            Keeping::KeptInstead(name("t0"))
        );
        assert_eq!(kept.claim(&name("t0"), host(3), now), Ok(()));
        assert!(kept.claim(&name("t1"), host(3), now).is_err());
        assert!(kept.claim(&name("victim"), host(2), now).is_err());
        assert_eq!(kept.claim(&name("victim"), host(1), now), Ok(()));
    }

    /// With the room full of other addresses' names, a newly lost name is not kept, and
    /// none of the others is pushed out; expired names make room again.
    #[test]
    fn a_full_room_keeps_nothing_new_and_pushes_out_nobody() {
        let now = Instant::now();
        let mut kept = KeptNames::new(MIN_ROOM);
        assert_eq!(
            kept.keep(name("victim"), host(0), MINUTE, now),
            Keeping::Kept
        );
        for i in 1..MIN_ROOM as u32 {
            let outcome = kept.keep(name(&format!("n{i}")), host(i), MINUTE, now);
            assert_eq!(outcome, Keeping::Kept);
        }
        assert_eq!(kept.len(), MIN_ROOM);
        for i in 0..4000 {
            let outcome = kept.keep(name(&format!("late{i}")), host(5000 + i), MINUTE, now);
            assert_eq!(outcome, Keeping::Full);
        }
        assert!(kept.claim(&name("victim"), host(9999), now).is_err());
        let later = now + MINUTE;
        assert_eq!(
            kept.keep(name("fresh"), host(7000), MINUTE, later),
            Keeping::Kept
        );
        assert_eq!(kept.len(), 1, "the expired names were swept");
        assert!(kept.by_host.len() == 1);
    }

    /// One machine with thousands of addresses in one IPv6 /64 gets at most the network's
    /// quota of names kept; a neighbouring /64 and the names kept before are not affected.
    #[test]
    fn one_network_keeps_at_most_its_quota() {
        let now = Instant::now();
        let mut kept = KeptNames::new(10_000).with_network_quota(50);
        let lab = |n: u16| IpAddr::V6(std::net::Ipv6Addr::new(0xfd00, 0, 0, 1, 0, 0, n, 1));
        assert_eq!(
            kept.keep(name("victim"), lab(0), MINUTE, now),
            Keeping::Kept
        );
        for i in 1..50 {
            assert_eq!(
                kept.keep(name(&format!("n{i}")), lab(i), MINUTE, now),
                Keeping::Kept
            );
        }
        for i in 50..3000 {
            assert_eq!(
                kept.keep(name(&format!("n{i}")), lab(i), MINUTE, now),
                Keeping::NetworkFull
            );
        }
        assert_eq!(kept.len(), 50);
        assert!(kept.claim(&name("victim"), lab(7), now).is_err());
        let next_door = IpAddr::V6(std::net::Ipv6Addr::new(0xfd00, 0, 0, 2, 0, 0, 0, 1));
        assert_eq!(
            kept.keep(name("other"), next_door, MINUTE, now),
            Keeping::Kept
        );
        assert_eq!(kept.claim(&name("n3"), lab(3), now), Ok(()));
        assert_eq!(
            kept.keep(name("n4000"), lab(4000), MINUTE, now),
            Keeping::Kept,
            "a name claimed back made room in the network"
        );
    }

    /// The room is at least `--max-clients`.
    #[test]
    fn the_room_is_at_least_max_clients() {
        let now = Instant::now();
        let mut kept = KeptNames::new(3000);
        for i in 0..3000 {
            let outcome = kept.keep(name(&format!("n{i}")), host(i), MINUTE, now);
            assert_eq!(outcome, Keeping::Kept);
        }
        assert_eq!(
            kept.keep(name("one_more"), host(9000), MINUTE, now),
            Keeping::Full
        );
    }
}
