//! `client` with no address: browse the LAN for labchat servers (mDNS/DNS-SD, `_labchat._tcp`)
//! for a few seconds, then connect to the one found, or let the person pick among several.
//! What a record means and how the list is kept is in `common::discovery`; this module only
//! talks to the `mdns-sd` daemon and to the person.

use common::discovery::{
    base_name, instance_from_fullname, parse_pick, remember, rivals, Found, SERVICE_TYPE, TXT_GROUP,
};
use common::escape::escape_for_terminal;
use mdns_sd::{ResolvedService, ServiceDaemon, ServiceEvent};
use std::io::{self, BufRead, IsTerminal, Write};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Longest a browse listens.
pub const BROWSE_TIME: Duration = Duration::from_secs(3);

/// A browse ends this long after the last new server, if that is sooner: servers on one LAN
/// answer a query within a second (RFC 6762 delays answers by at most 500 ms).
pub const SETTLE_TIME: Duration = Duration::from_millis(1500);

/// Listens for labchat servers for at most `limit` and returns what answered, sorted by name.
///
/// # Errors
/// The mDNS daemon could not start (no usable interface, port 5353 refused), in words.
pub fn browse(limit: Duration) -> Result<Vec<Found>, String> {
    let daemon = ServiceDaemon::new().map_err(|e| format!("cannot start mDNS: {e}"))?;
    let events = daemon
        .browse(SERVICE_TYPE)
        .map_err(|e| format!("cannot browse: {e}"))?;
    let deadline = Instant::now() + limit;
    let mut settle_at = deadline;
    let mut found = Vec::new();
    while let Ok(event) = events.recv_deadline(settle_at.min(deadline)) {
        match event {
            ServiceEvent::ServiceResolved(service) => {
                if let Some(server) = to_found(&service) {
                    if remember(&mut found, server) {
                        settle_at = Instant::now() + SETTLE_TIME;
                    }
                }
            }
            ServiceEvent::ServiceRemoved(_, fullname) => {
                if let Some(instance) = instance_from_fullname(&fullname) {
                    found.retain(|f: &Found| f.instance != instance);
                }
            }
            _ => {}
        }
    }
    if let Ok(done) = daemon.shutdown() {
        let _ = done.recv_timeout(Duration::from_millis(500));
    }
    Ok(found)
}

/// A resolved record as a server to offer, or `None` if it is not ours or has no usable
/// address. IPv6 link-local addresses are left out: they need the interface named to connect.
fn to_found(service: &ResolvedService) -> Option<Found> {
    let instance = instance_from_fullname(&service.fullname)?;
    let addresses: Vec<IpAddr> = service
        .addresses
        .iter()
        .map(mdns_sd::ScopedIp::to_ip_addr)
        .filter(|ip| !matches!(ip, IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80))
        .collect();
    let group = service.get_property_val_str(TXT_GROUP).map(str::to_string);
    Some(Found::new(instance, service.port, addresses, group))
}

/// Asks the person which of `found` (two or more) to use, on `out`, reading the answer from
/// `input` (and showing it when `echo`: input from a pipe was not seen typed); asks again
/// after an answer that is not one of them. `None` at end of input.
pub fn pick<'a>(
    found: &'a [Found],
    input: &mut impl BufRead,
    out: &mut impl Write,
    echo: bool,
) -> Option<&'a Found> {
    let _ = writeln!(
        out,
        "Found {} labchat servers on this network:",
        found.len()
    );
    for (n, server) in found.iter().enumerate() {
        let _ = writeln!(out, "  {}. {server}", n + 1);
    }
    for name in rivals(found) {
        let claims = found
            .iter()
            .filter(|f| base_name(&f.instance) == name)
            .count();
        let _ = writeln!(
            out,
            "Warning: {claims} servers claim the name \"{}\", and anyone on the network can\n\
             advertise any name. Ask whoever runs the server for its address (the server\n\
             prints it when it starts) and pick the one that matches.",
            escape_for_terminal(name)
        );
    }
    loop {
        let _ = write!(out, "Which one? Type its number (1-{}): ", found.len());
        let _ = out.flush();
        let mut line = String::new();
        match input.read_line(&mut line) {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        if echo {
            let _ = writeln!(out, "{}", escape_for_terminal(line.trim_end()));
        }
        match parse_pick(&line, found.len()) {
            Ok(n) => return found.get(n),
            Err(err) => {
                let _ = writeln!(out, "{err}");
            }
        }
    }
}

/// What to tell the person when nothing answered.
pub fn none_found(limit: Duration) -> String {
    format!(
        "no labchat server answered on this network within {} seconds; is one running (`server`), \
         and on this network? Otherwise give its address: client HOST [PORT]",
        limit.as_secs()
    )
}

/// Finds a server for `client` with no address: the only one, or the one the person picks
/// from standard input. Tells the person what it found on standard output.
///
/// # Errors
/// Nothing found, the browse could not start, or no choice was made; in words.
pub fn find_server() -> Result<Found, String> {
    let mut out = io::stdout();
    let _ = writeln!(out, "Looking for labchat servers on this network...");
    let found = browse(BROWSE_TIME)
        .map_err(|e| format!("{e}; give the server's address instead: client HOST [PORT]"))?;
    match found.as_slice() {
        [] => Err(none_found(BROWSE_TIME)),
        [only] => {
            let _ = writeln!(out, "Found {only}; connecting.");
            Ok(only.clone())
        }
        several => {
            let stdin = io::stdin();
            let echo = !stdin.is_terminal();
            let chosen = pick(several, &mut stdin.lock(), &mut out, echo)
                .ok_or("no server chosen (end of input)")?;
            let _ = writeln!(out, "Connecting to {chosen}.");
            Ok(chosen.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab(name: &str, last: u8) -> Found {
        Found::new(
            name.into(),
            5000,
            vec![IpAddr::from([10, 0, 0, last])],
            None,
        )
    }

    #[test]
    fn a_wrong_answer_is_explained_and_asked_again() {
        let found = [lab("Lab A", 1), lab("Lab B", 2)];
        let mut out = Vec::new();
        let chosen = pick(&found, &mut &b"three\n9\n2\n"[..], &mut out, true);
        assert_eq!(chosen, Some(&found[1]));
        let shown = String::from_utf8(out).unwrap();
        assert!(shown.contains("  1. \"Lab A\" at 10.0.0.1:5000"), "{shown}");
        assert!(shown.contains("\"three\" is not a number"), "{shown}");
        assert!(
            shown.contains("there is no server 9; type a number from 1 to 2"),
            "{shown}"
        );
        assert_eq!(shown.matches("Which one?").count(), 3, "{shown}");
        assert!(shown.contains("(1-2): three\n\"three\" is not"), "{shown}");
    }

    #[test]
    fn two_claims_to_one_name_are_both_shown_with_a_warning() {
        let found = [lab("Lab A", 1), lab("Lab A", 66)];
        let mut out = Vec::new();
        let chosen = pick(&found, &mut &b"1\n"[..], &mut out, false);
        assert_eq!(chosen, Some(&found[0]));
        let shown = String::from_utf8(out).unwrap();
        assert!(
            shown.contains("  2. \"Lab A\" at 10.0.0.66:5000"),
            "{shown}"
        );
        assert!(
            shown.contains("Warning: 2 servers claim the name \"Lab A\""),
            "{shown}"
        );
    }

    #[test]
    fn end_of_input_chooses_nothing() {
        let found = [lab("Lab A", 1), lab("Lab B", 2)];
        assert_eq!(pick(&found, &mut &b"x\n"[..], &mut Vec::new(), false), None);
    }
}
