//! What the server console asks of the user table (`list`, `say`, `kick`, `ban`, `unban`):
//! decided under the table's one lock with the same rule as the sessions' requests (queue the
//! lines under the lock, write after it), kept apart from them in a file of its own.
//!
//! A connection the operator removes leaves the table at once: its name is free for anyone
//! (not kept, as it is after a lost connection), its partner is told the chat is over, and
//! whatever its session still does finds no connection. The caller then waits for the last
//! notice to be sent and closes the socket ([`Removed`]).

use super::{bans, ChatChange, ConnId, IpAddr, Name, Notice, Sink, Table, Users};
use crate::console::command::BanTarget;
use crate::console::list::ListRow;
use std::time::{Duration, Instant};

/// A connection the operator removed, for the caller to finish closing and to log.
#[derive(Debug)]
pub struct Removed<S> {
    /// Its name, if it had one.
    pub name: Option<Name>,
    /// Where it was connected from.
    pub address: IpAddr,
    /// Its queue, closing: the notice saying why is the last line in it.
    pub outbox: S,
    /// The chat that ended with it.
    pub change: ChatChange,
}

impl<S: Sink> Users<S> {
    /// A snapshot of every connection, and the bans in force. The caller sorts and formats
    /// it, after the lock.
    pub fn roster(&self) -> (Vec<ListRow>, Vec<(IpAddr, Duration)>) {
        let mut table = self.lock();
        let rows = table
            .conns
            .values()
            .map(|conn| ListRow {
                name: conn.name.clone(),
                partner: conn.partner.and_then(|p| table.name_of(p)).cloned(),
                address: conn.host,
                since: conn.since,
            })
            .collect();
        let bans = table.bans.list(Instant::now());
        (rows, bans)
    }

    /// Tells every connection that has a name `notice`; returns how many were told.
    pub fn announce(&self, notice: &Notice) -> usize {
        let line = format!("{}\n", super::ServerLine::Notice(notice.clone()));
        let mut table = self.lock();
        let named: Vec<ConnId> = table
            .conns
            .iter()
            .filter(|(_, c)| c.name.is_some())
            .map(|(id, _)| *id)
            .collect();
        for &id in &named {
            table.push(id, line.as_bytes());
        }
        named.len()
    }

    /// Removes the user named `name` (or one that looks like it) after telling it `notice`.
    /// `None` if nobody by that name is online.
    pub fn kick(&self, name: &Name, notice: Notice) -> Option<Removed<S>> {
        let mut table = self.lock();
        let id = *table.by_name.get(name)?;
        table.remove_by_operator(id, &notice)
    }

    /// Bans the address of `target` for `time` and removes every connection from it (named
    /// or not), telling each why. Returns the address, or `None` if `target` is a user who
    /// is not online (nothing is banned then).
    pub fn ban(&self, target: &BanTarget, time: Duration) -> Option<(IpAddr, Vec<Removed<S>>)> {
        let mut table = self.lock();
        let ip = match target {
            BanTarget::Address(ip) => ip.to_canonical(),
            BanTarget::User(name) => {
                let id = table.by_name.get(name)?;
                table.conns[id].host
            }
        };
        table.bans.ban(ip, Instant::now() + time);
        let notice = Notice::Banned(bans::minutes_left(time));
        let ids: Vec<ConnId> = table
            .conns
            .iter()
            .filter(|(_, c)| c.host == ip)
            .map(|(id, _)| *id)
            .collect();
        let removed = ids
            .into_iter()
            .filter_map(|id| table.remove_by_operator(id, &notice))
            .collect();
        Some((ip, removed))
    }

    /// Lifts the ban on `ip`; false if there was none.
    pub fn unban(&self, ip: IpAddr) -> bool {
        self.lock().bans.lift(ip, Instant::now())
    }
}

impl<S: Sink> Table<S> {
    /// Tells `id` `notice`, ends its chat (its partner is told it left), and takes it out of
    /// the table with its name, which is not kept.
    fn remove_by_operator(&mut self, id: ConnId, notice: &Notice) -> Option<Removed<S>> {
        self.notify(id, notice.clone());
        let partner = self.unpair(id);
        let conn = self.conns.remove(&id)?;
        if let Some(name) = &conn.name {
            self.by_name.remove(name);
        }
        conn.outbox.close();
        self.touched.push(conn.outbox.clone());
        let change = match (partner, &conn.name) {
            (Some(partner), Some(me)) => {
                self.notify(partner, Notice::PeerLeft(me.clone()));
                let them = self.name_of(partner).cloned().unwrap_or(me.clone());
                ChatChange::Ended(me.clone(), them)
            }
            _ => ChatChange::None,
        };
        Some(Removed {
            name: conn.name,
            address: conn.host,
            outbox: conn.outbox,
            change,
        })
    }
}
