//! The answer to `list` on the server console, formatted from a snapshot (pure: the table
//! takes the snapshot under its lock; the rows are sorted and formatted here, after it).
//!
//! ```text
//! 3 connections:
//!   alice         BUSY with bob    127.0.0.1    since 2026-12-07T04:52:17Z (5 min)
//!   bob           BUSY with alice  127.0.0.2    since 2026-12-07T04:53:02Z (4 min)
//!   (no name yet) naming           127.0.0.3    since 2026-12-07T04:57:40Z (12 s)
//! 1 address banned:
//!   127.0.0.9 (59 minutes left)
//! ```

use common::protocol::Name;
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

/// One connection as `list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRow {
    /// Its name; `None` while it has not given an acceptable one.
    pub name: Option<Name>,
    /// Whom it is chatting with.
    pub partner: Option<Name>,
    /// Where it connected from.
    pub address: IpAddr,
    /// When it connected.
    pub since: SystemTime,
}

/// The lines of a `list` answer: a header and one row per connection (sorted by name, those
/// still naming last), then the bans, as of `now`.
pub fn format_list(
    mut rows: Vec<ListRow>,
    bans: &[(IpAddr, Duration)],
    now: SystemTime,
) -> Vec<String> {
    rows.sort_by(|a, b| {
        let key = |r: &ListRow| (r.name.is_none(), r.name.as_ref().map(|n| n.to_string()));
        key(a).cmp(&key(b)).then(a.since.cmp(&b.since))
    });
    let cells: Vec<[String; 4]> = rows
        .iter()
        .map(|row| {
            let name = row
                .name
                .as_ref()
                .map_or_else(|| "(no name yet)".to_string(), Name::to_string);
            let state = match (&row.name, &row.partner) {
                (None, _) => "naming".to_string(),
                (Some(_), None) => "FREE".to_string(),
                (Some(_), Some(partner)) => format!("BUSY with {partner}"),
            };
            let since = format!(
                "since {} ({})",
                humantime::format_rfc3339_seconds(row.since),
                ago(now.duration_since(row.since).unwrap_or_default())
            );
            [name, state, row.address.to_string(), since]
        })
        .collect();
    let mut lines = Vec::with_capacity(rows.len() + bans.len() + 2);
    lines.push(match rows.len() {
        0 => "No connections.".to_string(),
        1 => "1 connection:".to_string(),
        n => format!("{n} connections:"),
    });
    let width = |i: usize| {
        cells
            .iter()
            .map(|c: &[String; 4]| c[i].chars().count())
            .max()
            .unwrap_or(0)
    };
    let (w0, w1, w2) = (width(0), width(1), width(2));
    for [name, state, address, since] in &cells {
        lines.push(format!(
            "  {name:<w0$}  {state:<w1$}  {address:<w2$}  {since}"
        ));
    }
    if !bans.is_empty() {
        lines.push(match bans.len() {
            1 => "1 address banned:".to_string(),
            n => format!("{n} addresses banned:"),
        });
        for (ip, left) in bans {
            lines.push(format!("  {ip} ({} left)", remaining(*left)));
        }
    }
    lines
}

/// How long ago, roughly: `12 s`, `5 min`, `3 h 20 min`.
fn ago(elapsed: Duration) -> String {
    let secs = elapsed.as_secs();
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 => format!("{} min", secs / 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

/// What is left of a ban: `45 seconds`, `1 minute`, `59 minutes` (rounded up).
pub fn remaining(left: Duration) -> String {
    let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
    if secs < 120 {
        return format!("{secs} second{}", if secs == 1 { "" } else { "s" });
    }
    let minutes = secs.div_ceil(60);
    format!("{minutes} minutes")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_000_000 + secs)
    }

    /// Named users sorted by name with their state and partner; connections still naming
    /// last; columns aligned; bans after them.
    #[test]
    fn rows_are_sorted_aligned_and_dated() {
        let name = |n: &str| Some(Name::parse(n).unwrap());
        let rows = vec![
            ListRow {
                name: None,
                partner: None,
                address: "127.0.0.3".parse().unwrap(),
                since: at(290),
            },
            ListRow {
                name: name("bob"),
                partner: name("alice"),
                address: "::1".parse().unwrap(),
                since: at(60),
            },
            ListRow {
                name: name("alice"),
                partner: name("bob"),
                address: "127.0.0.1".parse().unwrap(),
                since: at(0),
            },
            ListRow {
                name: name("carol"),
                partner: None,
                address: "10.1.2.3".parse().unwrap(),
                since: at(300),
            },
        ];
        let bans = [("127.0.0.9".parse().unwrap(), Duration::from_secs(3540))];
        let lines = format_list(rows, &bans, at(302));
        assert_eq!(
            lines,
            [
                "4 connections:",
                "  alice          BUSY with bob    127.0.0.1  since 2026-11-30T00:53:20Z (5 min)",
                "  bob            BUSY with alice  ::1        since 2026-11-30T00:54:20Z (4 min)",
                "  carol          FREE             10.1.2.3   since 2026-11-30T00:58:20Z (2 s)",
                "  (no name yet)  naming           127.0.0.3  since 2026-11-30T00:58:10Z (12 s)",
                "1 address banned:",
                "  127.0.0.9 (59 minutes left)",
            ]
        );
        assert_eq!(format_list(Vec::new(), &[], at(0)), ["No connections."]);
    }

    /// A ban's time left reads naturally and is never rounded down.
    #[test]
    fn time_left_is_rounded_up() {
        assert_eq!(remaining(Duration::from_millis(400)), "1 second");
        assert_eq!(remaining(Duration::from_secs(45)), "45 seconds");
        assert_eq!(remaining(Duration::from_secs(121)), "3 minutes");
    }
}
