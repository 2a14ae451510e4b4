//! The server's memory budget for queued output (`server --output-budget`), shared by every
//! connection, with a share per client address.
//!
//! Each connection's outbox (`crate::outbox`) holds an [`Account`] here and reports the memory its queue holds (the
//! queue's allocation plus the bytes being written) whenever that changes. Two ceilings:
//!
//! - **A host's share**: the connections of one client address together hold at most
//!   `budget / 32` (2 MiB of the default 64 MiB: two whole `--backlog-limit`s). A push that takes an address past it cuts off
//!   that address's own connection that holds the most, the ones not reading first: a host
//!   can only ever lose its own connections to its own backlog.
//! - **The whole budget**: all connections together hold at most `budget`. A push past it cuts
//!   off the connection that holds the most of the address that holds the most (which holds
//!   at least its fair part, `budget / hosts`), the ones not reading first. It takes at least
//!   33 flooding addresses to get here, each at its full share.
//!
//! "Not reading" means nothing left the connection's queue for [`NOT_READING`] while it held
//! something. A client that reads keeps its queue short (a flood into it is slowed at its
//! source, see the outbox's `wait_room`), so it holds little and is never the one that holds the
//! most while others sit on megabytes.
//!
//! Fast path: charging is two atomic additions; only a charge that takes a ceiling over takes
//! the budget's lock, to choose whom to cut. The cut itself (shutting a socket) happens in
//! [`Budget::carry_out_cuts`], called by the outbox's `flush` after the user-table lock is
//! released, which also logs it.
//!
//! The budget knows a connection only as something it can cut off ([`CutOff`]): the outbox
//! depends on the budget, not the other way round.

use crate::log;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// The default `--output-budget`: 64 MiB, which a lab machine can afford.
pub const DEFAULT_BUDGET: usize = 64 * 1024 * 1024;

/// One client address may hold at most this fraction of the budget (`budget / 32`).
pub const HOST_SHARE_DIVISOR: usize = 32;

/// A connection whose queue held something and moved nothing for this long is not reading.
pub const NOT_READING: Duration = Duration::from_secs(1);

/// What the budget needs of a connection it chooses to cut off (the server's outbox).
pub trait CutOff: Send + Sync + std::fmt::Debug {
    /// Drops what is queued and shuts the connection down. Called with no lock held.
    fn cut_off(&self);
}

/// The budget for queued output across the server.
#[derive(Debug)]
pub struct Budget {
    limit: usize,
    host_share: usize,
    /// Bytes charged by every account.
    total: AtomicUsize,
    ledger: Mutex<Ledger>,
    /// Set when the ledger holds cuts to carry out: every flush looks at this, not the lock.
    cuts_pending: AtomicBool,
    /// Times of last progress are kept as milliseconds since this instant.
    epoch: Instant,
}

#[derive(Debug, Default)]
struct Ledger {
    next_id: u64,
    accounts: HashMap<u64, Entry>,
    /// Bytes charged per client address, for addresses with an open account.
    hosts: HashMap<IpAddr, HostUse>,
    /// Connections chosen to be cut off, for the next [`Budget::carry_out_cuts`].
    cuts: Vec<Cut>,
}

#[derive(Debug)]
struct HostUse {
    held: Arc<AtomicUsize>,
    accounts: usize,
}

#[derive(Debug)]
struct Entry {
    ip: IpAddr,
    peer: SocketAddr,
    meter: Arc<Meter>,
    conn: Weak<dyn CutOff>,
}

/// What one connection holds, readable without its outbox's lock.
#[derive(Debug)]
struct Meter {
    charged: AtomicUsize,
    /// Chosen to be cut off: its later charges are refused.
    evicted: AtomicBool,
    /// When bytes last left its queue (or it was last empty), in ms since the budget's epoch.
    moved_ms: AtomicU64,
}

/// A connection chosen to be cut off, with why, for the log.
#[derive(Debug)]
struct Cut {
    conn: Option<Arc<dyn CutOff>>,
    peer: SocketAddr,
    held: usize,
    not_reading: bool,
    /// The address was over its share (else: the whole budget was full).
    over_share: bool,
}

/// One connection's place in the [`Budget`]; dropping it gives back what it holds.
#[derive(Debug)]
pub struct Account {
    budget: Arc<Budget>,
    id: u64,
    ip: IpAddr,
    host: Arc<AtomicUsize>,
    meter: Arc<Meter>,
}

impl Budget {
    /// A budget of `limit` bytes for the whole server; each address may hold `limit / 32`.
    pub fn new(limit: usize) -> Budget {
        Budget {
            limit,
            host_share: limit / HOST_SHARE_DIVISOR,
            total: AtomicUsize::new(0),
            ledger: Mutex::new(Ledger::default()),
            cuts_pending: AtomicBool::new(false),
            epoch: Instant::now(),
        }
    }

    /// The whole budget, in bytes.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// What one address may hold, in bytes.
    pub fn host_share(&self) -> usize {
        self.host_share
    }

    /// Bytes held by every connection now.
    pub fn held(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }

    /// Opens an account for `conn`, a connection from `peer`.
    pub fn open(self: &Arc<Self>, conn: Weak<dyn CutOff>, peer: SocketAddr) -> Account {
        let ip = peer.ip().to_canonical();
        let meter = Arc::new(Meter {
            charged: AtomicUsize::new(0),
            evicted: AtomicBool::new(false),
            moved_ms: AtomicU64::new(self.now_ms()),
        });
        let mut ledger = self.ledger.lock();
        ledger.next_id += 1;
        let id = ledger.next_id;
        let host = ledger.hosts.entry(ip).or_insert_with(|| HostUse {
            held: Arc::new(AtomicUsize::new(0)),
            accounts: 0,
        });
        host.accounts += 1;
        let host = Arc::clone(&host.held);
        ledger.accounts.insert(
            id,
            Entry {
                ip,
                peer,
                meter: Arc::clone(&meter),
                conn,
            },
        );
        Account {
            budget: Arc::clone(self),
            id,
            ip,
            host,
            meter,
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Cuts off the connections chosen since the last call and logs each. Never call it
    /// under the user-table lock or an outbox's lock: it shuts sockets.
    pub fn carry_out_cuts(&self) {
        if !self.cuts_pending.load(Ordering::Acquire) {
            return;
        }
        let cuts = {
            let mut ledger = self.ledger.lock();
            if ledger.cuts.is_empty() {
                return;
            }
            self.cuts_pending.store(false, Ordering::Release);
            std::mem::take(&mut ledger.cuts)
        };
        for cut in cuts {
            let peer = cut.peer;
            let why = if cut.over_share {
                format!(
                    "the most of its address, which was over its share of the output budget \
                     ({} of {})",
                    mib(self.host_share),
                    mib(self.limit)
                )
            } else {
                format!(
                    "the most of the address holding the most, and the output budget ({}) was full",
                    mib(self.limit)
                )
            };
            let reading = if cut.not_reading {
                format!("it had read nothing for {} s", NOT_READING.as_secs())
            } else {
                "it reads more slowly than it asks".to_string()
            };
            log!(
                "cut off {peer}: it held {} of queued output, {why}; {reading}",
                mib(cut.held)
            );
            if let Some(conn) = cut.conn {
                conn.cut_off();
            }
        }
    }

    /// Under the lock: cuts off connections until the charges fit, most held first. False if
    /// the connection `me` is the one cut.
    fn make_room(&self, me: u64, my_ip: IpAddr, my_host: &AtomicUsize) -> bool {
        let mut ledger = self.ledger.lock();
        let now = self.now_ms();
        let not_reading_ms = u64::try_from(NOT_READING.as_millis()).unwrap_or(u64::MAX);
        loop {
            let over_share = my_host.load(Ordering::Relaxed) > self.host_share;
            let over_budget = self.total.load(Ordering::Relaxed) > self.limit;
            if !over_share && !over_budget {
                return true;
            }
            let scope = if over_share {
                my_ip
            } else {
                let greediest = ledger
                    .hosts
                    .iter()
                    .max_by_key(|(_, h)| h.held.load(Ordering::Relaxed))
                    .map(|(ip, _)| *ip);
                greediest.unwrap_or(my_ip)
            };
            let victim = ledger
                .accounts
                .iter()
                .filter(|(_, e)| e.ip == scope && !e.meter.evicted.load(Ordering::Relaxed))
                .map(|(id, e)| {
                    let held = e.meter.charged.load(Ordering::Relaxed);
                    let idle = now.saturating_sub(e.meter.moved_ms.load(Ordering::Relaxed));
                    (*id, held > 0 && idle >= not_reading_ms, held)
                })
                .filter(|&(_, _, held)| held > 0)
                .max_by_key(|&(id, not_reading, held)| (not_reading, held, id));
            let Some((id, not_reading, _)) = victim else {
                // Nothing left to cut in that scope: let the charge stand.
                return true;
            };
            let entry = &ledger.accounts[&id];
            entry.meter.evicted.store(true, Ordering::Relaxed);
            let held = entry.meter.charged.swap(0, Ordering::Relaxed);
            let conn = entry.conn.upgrade();
            let peer = entry.peer;
            let ip = entry.ip;
            if let Some(host) = ledger.hosts.get(&ip) {
                host.held.fetch_sub(held, Ordering::Relaxed);
            }
            self.total.fetch_sub(held, Ordering::Relaxed);
            ledger.cuts.push(Cut {
                conn,
                peer,
                held,
                not_reading,
                over_share,
            });
            self.cuts_pending.store(true, Ordering::Release);
            if id == me {
                return false;
            }
        }
    }
}

impl Account {
    /// Sets what the connection holds now to `bytes`. False if it must be cut off: the charge
    /// took its address past its share or the server past its budget and it held the most,
    /// or it was chosen to be cut off already.
    pub fn charge(&self, bytes: usize) -> bool {
        if self.meter.evicted.load(Ordering::Relaxed) {
            return false;
        }
        let old = self.meter.charged.swap(bytes, Ordering::Relaxed);
        if bytes <= old {
            let less = old - bytes;
            self.host.fetch_sub(less, Ordering::Relaxed);
            self.budget.total.fetch_sub(less, Ordering::Relaxed);
            return true;
        }
        let more = bytes - old;
        let host = self.host.fetch_add(more, Ordering::Relaxed) + more;
        let total = self.budget.total.fetch_add(more, Ordering::Relaxed) + more;
        if host <= self.budget.host_share && total <= self.budget.limit {
            return true;
        }
        self.budget.make_room(self.id, self.ip, &self.host)
    }

    /// Whether the budget chose this connection to be cut off.
    pub fn is_evicted(&self) -> bool {
        self.meter.evicted.load(Ordering::Relaxed)
    }

    /// Cuts off the connections the budget chose (see [`Budget::carry_out_cuts`]).
    pub fn carry_out_cuts(&self) {
        self.budget.carry_out_cuts();
    }

    /// Bytes left the queue (or it is empty): the connection is reading.
    pub fn moved(&self) {
        self.meter
            .moved_ms
            .store(self.budget.now_ms(), Ordering::Relaxed);
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        let held = self.meter.charged.swap(0, Ordering::Relaxed);
        self.host.fetch_sub(held, Ordering::Relaxed);
        self.budget.total.fetch_sub(held, Ordering::Relaxed);
        let mut ledger = self.budget.ledger.lock();
        ledger.accounts.remove(&self.id);
        if let Some(host) = ledger.hosts.get_mut(&self.ip) {
            host.accounts -= 1;
            if host.accounts == 0 {
                ledger.hosts.remove(&self.ip);
            }
        }
    }
}

/// `bytes` as MiB for the log: `4.0 MiB`.
fn mib(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connection the tests never cut themselves: they look at `is_evicted`.
    #[derive(Debug)]
    struct Nobody;

    impl CutOff for Nobody {
        fn cut_off(&self) {}
    }

    fn nobody() -> Weak<dyn CutOff> {
        Weak::<Nobody>::new()
    }

    fn peer(host: u8) -> SocketAddr {
        SocketAddr::from(([10, 0, 0, host], 40000))
    }

    /// An address past its share loses its own connection that holds the most, not the one
    /// whose push took it over and not another address's.
    #[test]
    fn an_address_over_its_share_loses_its_own_biggest_connection() {
        let budget = Arc::new(Budget::new(32 * 1000));
        assert_eq!(budget.host_share(), 1000);
        let other = budget.open(nobody(), peer(1));
        assert!(other.charge(1000));
        let small = budget.open(nobody(), peer(2));
        let big = budget.open(nobody(), peer(2));
        assert!(small.charge(300));
        assert!(big.charge(700));
        assert!(small.charge(400), "the one that grew holds less: it stays");
        assert!(big.is_evicted());
        assert!(!small.is_evicted() && !other.is_evicted());
        assert_eq!(
            budget.held(),
            1400,
            "the cut connection's bytes are given back"
        );
        assert!(
            !big.charge(10),
            "a connection chosen to be cut charges nothing more"
        );
        drop(big);
        assert_eq!(budget.held(), 1400);
    }

    /// A push that only fills the whole budget cuts from the address that holds the most,
    /// never from the address that pushed when it holds less.
    #[test]
    fn a_full_budget_cuts_the_biggest_of_the_address_holding_most() {
        let budget = Arc::new(Budget::new(32 * 100));
        let many: Vec<Account> = (10..43)
            .map(|h| {
                let account = budget.open(nobody(), peer(h));
                assert!(account.charge(90));
                account
            })
            .collect();
        let greedy_big = budget.open(nobody(), peer(1));
        let greedy_small = budget.open(nobody(), peer(1));
        assert!(greedy_big.charge(60) && greedy_small.charge(40));
        let late = budget.open(nobody(), peer(2));
        assert!(late.charge(99));
        assert_eq!(budget.held(), 33 * 90 + 100 + 99);
        let last = budget.open(nobody(), peer(3));
        assert!(
            last.charge(80),
            "within its share, past the budget: someone else goes"
        );
        assert!(
            greedy_big.is_evicted(),
            "the greediest address's biggest goes first"
        );
        assert!(!greedy_small.is_evicted() && !late.is_evicted() && !last.is_evicted());
        assert!(many.iter().all(|a| !a.is_evicted()));
        assert!(budget.held() <= budget.limit(), "{} held", budget.held());
    }

    /// A connection that has read nothing for a while goes before a bigger one that reads.
    #[test]
    fn one_that_does_not_read_goes_before_a_bigger_one_that_does() {
        let mut budget = Budget::new(32 * 1000);
        budget.epoch = Instant::now() - Duration::from_secs(10);
        let budget = Arc::new(budget);
        let reading = budget.open(nobody(), peer(4));
        let stuck = budget.open(nobody(), peer(4));
        assert!(reading.charge(700) && stuck.charge(200));
        stuck.meter.moved_ms.store(0, Ordering::Relaxed);
        reading.moved();
        assert!(reading.charge(900), "the one reading stays");
        assert!(stuck.is_evicted());
        assert_eq!(budget.held(), 900);
    }

    /// When the connection that grows is its address's biggest, it is the one refused.
    #[test]
    fn the_biggest_pushing_past_its_share_is_refused_itself() {
        let budget = Arc::new(Budget::new(32 * 1000));
        let flooder = budget.open(nobody(), peer(3));
        let quiet = budget.open(nobody(), peer(3));
        assert!(quiet.charge(100));
        assert!(flooder.charge(800));
        assert!(!flooder.charge(1200));
        assert!(flooder.is_evicted() && !quiet.is_evicted());
        assert_eq!(budget.held(), 100);
    }
}
