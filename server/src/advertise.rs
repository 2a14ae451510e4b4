//! Advertising the server on the lab network over mDNS/DNS-SD (`_labchat._tcp`), so that
//! `client` with no address finds it. The record layout is in `common::discovery`; this
//! module hands it to the `mdns-sd` daemon (one thread of its own) and takes it back at exit,
//! so clients stop listing a server that has stopped.
//!
//! Advertising is a convenience: when it cannot start (no interface besides loopback, port
//! 5353 refused) the server says why and serves anyway.

use crate::log;
use common::discovery::{
    host_label, instance_from_registered, SERVICE_TYPE, TXT_GROUP, TXT_KEY, TXT_VERSION,
};
use common::identity::Fingerprint;
use mdns_sd::{DaemonEvent, ServiceDaemon, ServiceInfo};
use std::time::Duration;
use thiserror::Error;

/// How long stopping waits for the daemon to send the goodbye packets.
const GOODBYE_WAIT: Duration = Duration::from_secs(1);

/// A running advertisement; [`Advertisement::stop`] withdraws it.
pub struct Advertisement {
    daemon: ServiceDaemon,
    fullname: String,
}

/// Why the server is not advertised; the server serves anyway.
#[derive(Debug, Error)]
pub enum AdvertiseError {
    /// Only loopback: no one else could hear an advertisement.
    #[error("this machine has no network interface besides loopback")]
    NoNetwork,
    /// The mDNS daemon refused (port 5353, an interface, a thread).
    #[error("mDNS: {0}")]
    Mdns(#[from] mdns_sd::Error),
    /// The thread that logs the daemon's events could not start.
    #[error("cannot start a thread: {0}")]
    Thread(#[from] std::io::Error),
}

impl Advertisement {
    /// Advertises `instance` at `port` on every interface's addresses (kept up to date as
    /// interfaces come and go), with the Diffie-Hellman group and the fingerprint of the
    /// server's identity key in the TXT record (the key the server proves on connect).
    ///
    /// # Errors
    /// [`AdvertiseError`]: nothing to advertise on, or what the mDNS daemon reported.
    pub fn start(
        instance: &str,
        port: u16,
        group: Option<&str>,
        key: Fingerprint,
    ) -> Result<Advertisement, AdvertiseError> {
        let lan = if_addrs::get_if_addrs()
            .unwrap_or_default()
            .iter()
            .any(|iface| !iface.is_loopback());
        if !lan {
            return Err(AdvertiseError::NoNetwork);
        }
        let daemon = ServiceDaemon::new()?;
        match Advertisement::register(&daemon, instance, port, group, key) {
            Ok(fullname) => Ok(Advertisement { daemon, fullname }),
            Err(err) => {
                let _ = daemon.shutdown();
                Err(err)
            }
        }
    }

    /// Starts logging the daemon's events and registers the service; returns its full name.
    fn register(
        daemon: &ServiceDaemon,
        instance: &str,
        port: u16,
        group: Option<&str>,
        key: Fingerprint,
    ) -> Result<String, AdvertiseError> {
        let machine = gethostname::gethostname();
        let host = format!("{}.local.", host_label(&machine.to_string_lossy()));
        let key = key.to_string();
        let properties = [
            (TXT_VERSION, "1"),
            (TXT_GROUP, group.unwrap_or("none")),
            (TXT_KEY, key.as_str()),
        ];
        let info = ServiceInfo::new(SERVICE_TYPE, instance, &host, "", port, &properties[..])?
            .enable_addr_auto();
        let fullname = info.get_fullname().to_string();
        let events = daemon.monitor()?;
        std::thread::Builder::new()
            .name("mdns-monitor".into())
            .spawn(move || {
                let mut said = String::new();
                while let Ok(event) = events.recv() {
                    report(event, &mut said);
                }
            })?;
        daemon.register(info)?;
        Ok(fullname)
    }

    /// Withdraws the advertisement (listeners drop it at once) and stops the daemon.
    pub fn stop(self) {
        if let Ok(done) = self.daemon.unregister(&self.fullname) {
            let _ = done.recv_timeout(GOODBYE_WAIT);
        }
        if let Ok(done) = self.daemon.shutdown() {
            let _ = done.recv_timeout(GOODBYE_WAIT);
        }
    }
}

/// Logs what the operator should know: a name taken by another server (once per new name;
/// the daemon reports it per interface), and errors.
fn report(event: DaemonEvent, said: &mut String) {
    match event {
        DaemonEvent::NameChange(change)
            if change.original.ends_with(SERVICE_TYPE) && change.new_name != *said =>
        {
            log!(
                "the name {:?} is already advertised on this network; advertising as {:?} instead (--name picks another)",
                instance_from_registered(&change.original).unwrap_or_default(),
                instance_from_registered(&change.new_name).unwrap_or_default(),
            );
            *said = change.new_name;
        }
        DaemonEvent::Error(err) => log!("mDNS: {err}"),
        _ => {}
    }
}
