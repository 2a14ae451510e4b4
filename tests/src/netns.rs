//! A small lab network made of Linux network namespaces, for tests of what crosses a real
//! network: several hosts, each a namespace with one address, joined by a bridge in a
//! namespace of its own (the switch). Nothing is shared with the machine's own network, so a
//! test's multicast (mDNS) or cut cable stays inside it. Removed on drop.
//!
//! Making namespaces needs root (or CAP_NET_ADMIN) and `ip` from iproute2; where that is
//! impossible, [`Lan::create`] says why and the test skips with that reason printed.

use common::discovery::SERVICE_TYPE;
use mdns_sd::{ServiceDaemon, ServiceInfo};
use std::net::Ipv4Addr;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One host of a [`Lan`].
#[derive(Debug)]
pub struct Host {
    /// Its namespace.
    pub ns: String,
    /// Its address on the LAN (10.250.0.1 for the first host, and so on).
    pub ip: Ipv4Addr,
    /// Its network interface, in its namespace.
    pub interface: String,
}

impl Host {
    /// The wrapper that runs a program on this host: `ip netns exec <ns>`.
    pub fn wrapper(&self) -> [&str; 4] {
        ["ip", "netns", "exec", &self.ns]
    }

    /// From this host, packets to `to` go nowhere from now on: a permanent neighbour entry
    /// gives `to` a hardware address no one has, so a connection attempt gets no answer at all
    /// (not even a reset), as when the other machine is switched off mid-cable.
    ///
    /// # Errors
    /// What `ip` said.
    pub fn black_hole(&self, to: Ipv4Addr) -> Result<(), String> {
        let to = to.to_string();
        ip(&[
            "-n",
            &self.ns,
            "neigh",
            "replace",
            &to,
            "lladdr",
            "02:00:00:00:00:99",
            "dev",
            &self.interface,
            "nud",
            "permanent",
        ])
    }

    /// Advertises labchat services from this host the way anyone on the LAN could, with
    /// whatever instance names, ports and TXT values the test chooses (an impersonator, a
    /// flood of names, a name full of escape codes, a server that is not there). `services`
    /// are `(instance, port, dh group)`.
    ///
    /// # Errors
    /// Why the namespace could not be entered or the daemon started.
    pub fn advertise(&self, services: &[(&str, u16, &str)]) -> Result<Advertiser, String> {
        let records: Vec<Record> = services
            .iter()
            .map(|(name, port, group)| Record::new(name, *port, group))
            .collect();
        self.advertise_records(&records)
    }

    /// [`Host::advertise`] with every TXT value chosen, the key fingerprint too.
    ///
    /// # Errors
    /// Why the namespace could not be entered or the daemon started.
    pub fn advertise_records(&self, records: &[Record]) -> Result<Advertiser, String> {
        let ns = self.ns.clone();
        let ip = self.ip;
        let records = records.to_vec();
        // setns moves only the calling thread; the daemon's own thread, started from it,
        // inherits its network namespace.
        std::thread::spawn(move || -> Result<Advertiser, String> {
            let handle = std::fs::File::open(format!("/var/run/netns/{ns}"))
                .map_err(|e| format!("cannot open namespace {ns}: {e}"))?;
            rustix::thread::move_into_link_name_space(
                std::os::fd::AsFd::as_fd(&handle),
                Some(rustix::thread::LinkNameSpaceType::Network),
            )
            .map_err(|e| format!("cannot enter namespace {ns}: {e}"))?;
            let daemon = ServiceDaemon::new().map_err(|e| format!("mDNS: {e}"))?;
            let advertiser = Advertiser { daemon, ip };
            for record in &records {
                advertiser.add(record)?;
            }
            Ok(advertiser)
        })
        .join()
        .map_err(|_| "the advertising thread panicked".to_string())?
    }

    /// [`Host::advertise`] for the test named `test`, or `None` after printing why the test is
    /// skipped (`SKIPPED <test>: <reason>`).
    pub fn advertise_for_test(
        &self,
        test: &str,
        services: &[(&str, u16, &str)],
    ) -> Option<Advertiser> {
        match self.advertise(services) {
            Ok(advertiser) => Some(advertiser),
            Err(reason) => {
                eprintln!("SKIPPED {test}: {reason}");
                None
            }
        }
    }
}

/// One record to advertise: an instance name, a port, and the TXT values.
#[derive(Debug, Clone)]
pub struct Record {
    /// The instance name.
    pub name: String,
    /// The port.
    pub port: u16,
    /// TXT `dh`.
    pub group: String,
    /// TXT `fp` (the server's key fingerprint), if any.
    pub key: Option<String>,
}

impl Record {
    /// A record without a key, as an older server sends.
    pub fn new(name: &str, port: u16, group: &str) -> Record {
        Record {
            name: name.to_string(),
            port,
            group: group.to_string(),
            key: None,
        }
    }

    /// The same record with TXT `fp=<key>`.
    pub fn with_key(mut self, key: &str) -> Record {
        self.key = Some(key.to_string());
        self
    }
}

/// Services advertised by [`Host::advertise`]; withdrawn on drop.
pub struct Advertiser {
    daemon: ServiceDaemon,
    ip: Ipv4Addr,
}

impl Advertiser {
    /// Advertises one more record, at once, without asking whether the name is taken (as an
    /// impersonator does). Its host name is `rogue-<port>.local.`.
    ///
    /// # Errors
    /// What the daemon said.
    pub fn add(&self, record: &Record) -> Result<(), String> {
        let host = format!("rogue-{}.local.", record.port);
        let mut txt = vec![("txtvers", "1"), ("dh", record.group.as_str())];
        if let Some(key) = &record.key {
            txt.push(("fp", key.as_str()));
        }
        let mut info = ServiceInfo::new(
            SERVICE_TYPE,
            &record.name,
            &host,
            self.ip.to_string(),
            record.port,
            &txt[..],
        )
        .map_err(|e| format!("bad service {:?}: {e}", record.name))?;
        info.set_requires_probe(false);
        self.daemon
            .register(info)
            .map_err(|e| format!("cannot advertise {:?}: {e}", record.name))
    }

    /// Withdraws the record named `name`: the daemon sends goodbye packets (TTL 0) for it,
    /// which every listener on the LAN takes as "that server has stopped", whoever else
    /// advertises the name.
    ///
    /// # Errors
    /// What the daemon said.
    pub fn withdraw(&self, name: &str) -> Result<(), String> {
        let fullname = format!("{name}.{SERVICE_TYPE}");
        let done = self
            .daemon
            .unregister(&fullname)
            .map_err(|e| format!("cannot withdraw {name:?}: {e}"))?;
        let _ = done.recv_timeout(std::time::Duration::from_secs(1));
        Ok(())
    }
}

impl Drop for Advertiser {
    fn drop(&mut self) {
        if let Ok(done) = self.daemon.shutdown() {
            let _ = done.recv_timeout(std::time::Duration::from_secs(1));
        }
    }
}

/// Hosts on one switch; everything is removed on drop.
#[derive(Debug)]
pub struct Lan {
    switch: String,
    /// The hosts, in the order they were made.
    pub hosts: Vec<Host>,
}

impl Lan {
    /// Makes a LAN of `hosts` hosts (at most 200).
    ///
    /// # Errors
    /// Why namespaces cannot be made here (not root, no `ip`...), for the skip message.
    pub fn create(hosts: usize) -> Result<Lan, String> {
        static MADE: AtomicUsize = AtomicUsize::new(0);
        let tag = format!(
            "{:x}{:x}",
            std::process::id(),
            MADE.fetch_add(1, Ordering::Relaxed)
        );
        let switch = format!("lcsw{tag}");
        ip(&["netns", "add", &switch])?;
        let mut lan = Lan {
            switch,
            hosts: Vec::new(),
        };
        ip(&["-n", &lan.switch, "link", "add", "br0", "type", "bridge"])?;
        ip(&["-n", &lan.switch, "link", "set", "br0", "up"])?;
        for n in 1..=hosts {
            let ns = format!("lch{tag}h{n}");
            let outside = format!("p{n}");
            let inside = format!("eth{n}");
            let address = Ipv4Addr::new(10, 250, 0, u8::try_from(n).map_err(|_| "too many hosts")?);
            ip(&["netns", "add", &ns])?;
            lan.hosts.push(Host {
                ns: ns.clone(),
                ip: address,
                interface: inside.clone(),
            });
            let cidr = format!("{address}/24");
            let steps: [&[&str]; 7] = [
                &[
                    "-n",
                    &lan.switch,
                    "link",
                    "add",
                    &outside,
                    "type",
                    "veth",
                    "peer",
                    "name",
                    &inside,
                    "netns",
                    &ns,
                ],
                &["-n", &lan.switch, "link", "set", &outside, "master", "br0"],
                &["-n", &lan.switch, "link", "set", &outside, "up"],
                &["-n", &ns, "addr", "add", &cidr, "dev", &inside],
                &["-n", &ns, "link", "set", &inside, "up"],
                &["-n", &ns, "link", "set", "lo", "up"],
                // Multicast out of the LAN interface, as on a lab machine with a default route.
                &["-n", &ns, "route", "add", "224.0.0.0/4", "dev", &inside],
            ];
            for step in steps {
                ip(step)?;
            }
        }
        Ok(lan)
    }

    /// A LAN of `hosts` hosts for the test named `test`, or `None` after printing why the test
    /// is skipped (`SKIPPED <test>: cannot make network namespaces here (...)`).
    pub fn for_test(test: &str, hosts: usize) -> Option<Lan> {
        match Lan::create(hosts) {
            Ok(lan) => Some(lan),
            Err(reason) => {
                eprintln!("SKIPPED {test}: cannot make network namespaces here ({reason})");
                None
            }
        }
    }

    /// Unplugs host `n`'s cable (0-based): nothing it sends arrives, and it sends no FIN.
    ///
    /// # Errors
    /// What `ip` said.
    pub fn unplug(&self, n: usize) -> Result<(), String> {
        let host = &self.hosts[n];
        ip(&["-n", &host.ns, "link", "set", &host.interface, "down"])
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        for host in &self.hosts {
            let _ = ip(&["netns", "del", &host.ns]);
        }
        let _ = ip(&["netns", "del", &self.switch]);
    }
}

/// Runs `ip <args>`.
///
/// # Errors
/// `ip` could not run or failed; with what it printed.
pub fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
