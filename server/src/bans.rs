//! Addresses the operator banned (`ban` on the server console), each until a time: a new
//! connection from one is told how long is left and closed.
//!
//! Pure: the caller passes the time, so expiry is tested without a clock. The user table holds
//! the one `Bans` and asks it at every join, under the table's lock (a hash lookup; expired
//! bans are forgotten when they are looked at or listed).

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// The banned addresses (IPv4-mapped IPv6 addresses as the IPv4 they are).
#[derive(Debug, Default)]
pub struct Bans {
    until: HashMap<IpAddr, Instant>,
}

impl Bans {
    /// Bans `ip` until `until` (a later ban of the same address replaces the earlier one).
    pub fn ban(&mut self, ip: IpAddr, until: Instant) {
        self.until.insert(ip.to_canonical(), until);
    }

    /// Lifts the ban on `ip`; false if it was not banned (or its ban had expired).
    pub fn lift(&mut self, ip: IpAddr, now: Instant) -> bool {
        let ip = ip.to_canonical();
        let banned = self.left(ip, now).is_some();
        self.until.remove(&ip);
        banned
    }

    /// How long `ip` is still banned at `now`; `None` if it is not (an expired ban is
    /// forgotten).
    pub fn left(&mut self, ip: IpAddr, now: Instant) -> Option<Duration> {
        let ip = ip.to_canonical();
        let until = *self.until.get(&ip)?;
        if until <= now {
            self.until.remove(&ip);
            return None;
        }
        Some(until - now)
    }

    /// Every address still banned at `now`, with how long is left, soonest to end first.
    pub fn list(&mut self, now: Instant) -> Vec<(IpAddr, Duration)> {
        self.until.retain(|_, until| *until > now);
        let mut list: Vec<(IpAddr, Duration)> = self
            .until
            .iter()
            .map(|(ip, until)| (*ip, *until - now))
            .collect();
        list.sort_by_key(|&(ip, left)| (left, ip));
        list
    }
}

/// `left` in whole minutes, rounded up (at least 1): what a banned client is told.
pub fn minutes_left(left: Duration) -> u64 {
    left.as_secs().div_ceil(60).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn ip(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
    }

    /// A ban holds until its time, then is forgotten; lifting it ends it at once.
    #[test]
    fn a_ban_holds_until_it_expires_or_is_lifted() {
        let start = Instant::now();
        let mut bans = Bans::default();
        bans.ban(ip(5), start + Duration::from_secs(90));
        bans.ban(ip(6), start + Duration::from_secs(30));
        assert_eq!(bans.left(ip(5), start), Some(Duration::from_secs(90)));
        assert_eq!(bans.left(ip(7), start), None);
        let mapped = IpAddr::V6(Ipv4Addr::new(127, 0, 0, 5).to_ipv6_mapped());
        assert!(
            bans.left(mapped, start).is_some(),
            "IPv4-mapped is the same"
        );
        assert_eq!(
            bans.list(start + Duration::from_secs(10)),
            [
                (ip(6), Duration::from_secs(20)),
                (ip(5), Duration::from_secs(80))
            ]
        );
        assert_eq!(bans.left(ip(6), start + Duration::from_secs(30)), None);
        assert!(bans.lift(ip(5), start));
        assert!(!bans.lift(ip(5), start));
        assert!(bans.list(start).is_empty());
    }

    /// Minutes are rounded up: a client is never told it may come back before it can.
    #[test]
    fn minutes_are_rounded_up() {
        assert_eq!(minutes_left(Duration::from_secs(1)), 1);
        assert_eq!(minutes_left(Duration::from_secs(60)), 1);
        assert_eq!(minutes_left(Duration::from_secs(61)), 2);
        assert_eq!(minutes_left(Duration::from_secs(3600)), 60);
    }
}
