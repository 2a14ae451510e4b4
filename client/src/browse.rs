//! `client` with no address: browse the LAN for labchat servers (mDNS/DNS-SD, `_labchat._tcp`)
//! for a few seconds, then connect to the one found, or let the person pick among several.
//! What a record means and how the list is kept is in `common::discovery`; this module only
//! talks to the `mdns-sd` daemon, to the person and to the chosen server.
//!
//! A server met before (pinned, see [`crate::server_pin`]) or named with `--server-key` is
//! chosen by the key fingerprint its record advertises: a rival record under a name that looks
//! the same but with another key (or none) is never offered, and is named in a warning.

use crate::server_pin::{shell_word, Reached, ServerPins};
use common::discovery::{
    choose, claim_key, instance_from_received, parse_pick, remember, rivals, standing, Choice,
    Expected, Found, Heard, Standing, MAX_FOUND, SERVICE_TYPE, TXT_GROUP, TXT_KEY,
};
use common::escape::escape_for_terminal;
use common::identity::server_proof::check_server_proof;
use common::identity::Fingerprint;
use common::identity::{Nonce, PublicKey};
use common::protocol::{Hello, Notice, ServerLine};
use mdns_sd::{ResolvedService, ServiceDaemon, ServiceEvent};
use std::io::{self, BufRead, IsTerminal, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};
use thiserror::Error;

/// Longest a browse listens.
pub const BROWSE_TIME: Duration = Duration::from_secs(3);

/// A browse ends this long after the last new server, if that is sooner: servers on one LAN
/// answer a query within a second (RFC 6762 delays answers by at most 500 ms).
pub const SETTLE_TIME: Duration = Duration::from_millis(1500);

/// Addresses of one found server that are tried, best first, and how long each may take: a
/// record can list any number of addresses, and no one waits a minute for dead ones.
const MAX_ADDRESSES_TRIED: usize = 4;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Longest answer to "Which one?" that is read: a number is a few bytes.
const MAX_ANSWER: u64 = 256;

/// Why `client` with no address has no server to talk to.
#[derive(Debug, Error)]
pub enum DiscoverError {
    /// The mDNS daemon could not start or browse.
    #[error("cannot look for servers on this network (mDNS: {0}); give the server's address instead: client HOST [PORT]")]
    Mdns(String),
    /// Nothing answered within the browse.
    #[error("no labchat server answered on this network within {} seconds; is one running (`server`), and on this network? Otherwise give its address: client HOST [PORT]", BROWSE_TIME.as_secs())]
    NoneFound,
    /// More servers answered than a lab has: the real one may be hidden among them.
    #[error("more than {MAX_FOUND} labchat servers answered on this network: someone may be flooding it with advertisements, and the real server may not be among them. Ask whoever runs the server for its address: client HOST [PORT]")]
    TooMany,
    /// Every server found advertises another key than the one expected.
    #[error("{0}")]
    NotExpected(String),
    /// The person ended the input without choosing.
    #[error("no server chosen (end of input)")]
    NoneChosen,
    /// None of the chosen server's addresses answered.
    #[error("cannot reach {server} ({tried}): {error}; it may have stopped: run client again, or give its address: client HOST [PORT]")]
    Unreachable {
        /// The server as listed.
        server: String,
        /// Which addresses were tried, in words.
        tried: String,
        /// The last error.
        error: io::Error,
    },
}

/// What one browse heard.
#[derive(Debug, Default)]
pub struct Browse {
    /// The servers, sorted by name.
    pub found: Vec<Found>,
    /// More servers answered than [`MAX_FOUND`].
    pub too_many: bool,
}

/// Listens for labchat servers for at most `limit`.
///
/// # Errors
/// [`DiscoverError::Mdns`]: the daemon could not start (no usable interface, port 5353 refused).
pub fn browse(limit: Duration) -> Result<Browse, DiscoverError> {
    let daemon = ServiceDaemon::new().map_err(|e| DiscoverError::Mdns(e.to_string()))?;
    let heard = listen(&daemon, limit);
    if let Ok(done) = daemon.shutdown() {
        let _ = done.recv_timeout(Duration::from_millis(500));
    }
    heard
}

fn listen(daemon: &ServiceDaemon, limit: Duration) -> Result<Browse, DiscoverError> {
    let events = daemon
        .browse(SERVICE_TYPE)
        .map_err(|e| DiscoverError::Mdns(e.to_string()))?;
    let deadline = Instant::now() + limit;
    let mut settle_at = deadline;
    let mut heard = Browse::default();
    while let Ok(event) = events.recv_deadline(settle_at.min(deadline)) {
        match event {
            ServiceEvent::ServiceResolved(service) => {
                let Some(server) = to_found(&service) else {
                    continue;
                };
                match remember(&mut heard.found, server) {
                    Heard::New => settle_at = Instant::now() + SETTLE_TIME,
                    Heard::TooMany => {
                        heard.too_many = true;
                        break;
                    }
                    Heard::Updated | Heard::Nothing => {}
                }
            }
            ServiceEvent::ServiceRemoved(_, fullname) => {
                if let Some(instance) = instance_from_received(&fullname) {
                    heard.found.retain(|f| f.instance != instance);
                }
            }
            _ => {}
        }
    }
    Ok(heard)
}

/// A resolved record as a server to offer, or `None` if it is not ours or has nothing to
/// connect to. Left out: port 0; loopback addresses (a server elsewhere that names one sends
/// the client to its own machine; a server on this machine is also at its LAN address); IPv6
/// link-local addresses (they need an interface named to connect).
fn to_found(service: &ResolvedService) -> Option<Found> {
    let instance = instance_from_received(&service.fullname)?;
    if service.port == 0 {
        return None;
    }
    let addresses: Vec<IpAddr> = service
        .addresses
        .iter()
        .map(mdns_sd::ScopedIp::to_ip_addr)
        .filter(|ip| !ip.is_loopback())
        .filter(|ip| !matches!(ip, IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80))
        .collect();
    let group = service.get_property_val_str(TXT_GROUP).map(str::to_string);
    let key = service
        .get_property_val_str(TXT_KEY)
        .and_then(Fingerprint::parse);
    Some(Found::new(instance.to_string(), service.port, addresses, group).with_key(key))
}

/// What the person is told about a server's key, under its line in a list: the key, then
/// what the person knows of it.
fn key_note(found: &Found, standing: &Standing) -> String {
    let key = match found.key {
        Some(key) => format!("key {key}"),
        None => "no key advertised".to_string(),
    };
    let known = match standing {
        Standing::Vouched(Expected::Given(_)) => "the key you gave".to_string(),
        Standing::Vouched(Expected::Pinned { name, date, .. }) if *name == found.instance => {
            format!("the server you met on {date}")
        }
        Standing::Vouched(Expected::Pinned { name, date, .. }) => format!(
            "the server you met as \"{}\" on {date}",
            escape_for_terminal(name)
        ),
        Standing::New if found.key.is_some() => "not met before".to_string(),
        Standing::New => "an older server, or not a labchat server".to_string(),
        Standing::Other(Expected::Given(_)) => {
            "WARNING: not the key you gave; not offered".to_string()
        }
        Standing::Other(Expected::Pinned { date, .. }) => {
            format!("WARNING: not the key of the server you met on {date}; not offered")
        }
    };
    format!("{key}\n     {known}")
}

/// "not the key you gave, ...", "not the key of the server you met as "Lab 3" on ...", with
/// the key expected on a line of its own.
fn not_what(expected: &Expected) -> String {
    match expected {
        Expected::Given(given) => format!("not the key you gave, {given}"),
        Expected::Pinned { name, date, key } => format!(
            "not the key of the server you met as \"{}\" on {date},\n     {key}",
            escape_for_terminal(name)
        ),
    }
}

/// The warning for records that claim what the person expects with another key.
fn impostor_warning(found: &[Found], standings: &[Standing]) -> Option<String> {
    let others: Vec<String> = found
        .iter()
        .zip(standings)
        .filter_map(|(found, standing)| match standing {
            Standing::Other(expected) => Some(format!(
                "  {found}\n     {},\n     {}",
                match found.key {
                    Some(key) => format!("advertises the key {key}"),
                    None => "advertises no key".to_string(),
                },
                not_what(expected)
            )),
            _ => None,
        })
        .collect();
    if others.is_empty() {
        return None;
    }
    let forget = standings
        .iter()
        .find_map(|standing| match standing {
            Standing::Other(Expected::Pinned { name, .. }) => Some(format!(
                "\nIf your teacher confirms that the server's key changed (a new install),\n\
                 forget the old key with: client --forget-server {}",
                shell_word(name)
            )),
            _ => None,
        })
        .unwrap_or_default();
    Some(format!(
        "WARNING: not the server you expect, so not offered (someone on this\n\
         network may be pretending to be it):\n{}\n\
         Ask your teacher for the server's address and key fingerprint (the\n\
         server prints them when it starts), then connect with:\n  \
         client HOST PORT --server-key FINGERPRINT{forget}",
        others.join("\n")
    ))
}

/// Asks the person which of `found` (two or more) to use, on `out`, reading the answer from
/// `input` (and showing it when `echo`: input from a pipe was not seen typed); asks again
/// after an answer that is not one of them. `None` at end of input.
///
/// Each is shown with its key and what the person knows of it (`standings`, one per server);
/// one that advertises another key than expected is listed with a warning but not offered.
pub fn pick<'a>(
    found: &'a [Found],
    standings: &[Standing],
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
        let standing = standings.get(n).unwrap_or(&Standing::New);
        let _ = writeln!(out, "     {}", key_note(server, standing));
    }
    for name in rivals(found) {
        let key = claim_key(name);
        let claims = found
            .iter()
            .filter(|f| claim_key(&f.instance) == key)
            .count();
        let _ = writeln!(
            out,
            "Warning: {claims} servers claim the name \"{}\" (or one that looks the same),\n\
             and anyone on the network can advertise any name. Ask whoever runs the server\n\
             for its address and key (the server prints them when it starts) and pick the\n\
             one that matches.",
            escape_for_terminal(name)
        );
    }
    if let Some(warning) = impostor_warning(found, standings) {
        let _ = writeln!(out, "{warning}");
    }
    loop {
        let _ = write!(out, "Which one? Type its number (1-{}): ", found.len());
        let _ = out.flush();
        let line = read_answer(input)?;
        if echo {
            let _ = writeln!(out, "{}", escape_for_terminal(&line));
        }
        if line.trim().is_empty() {
            // Enter pressed while waiting for the list: just ask again.
            continue;
        }
        match parse_pick(&line, found.len()) {
            Ok(n) if matches!(standings.get(n), Some(Standing::Other(_))) => {
                let _ = writeln!(
                    out,
                    "Server {} is not offered: it advertises another key than the server you\n\
                     expect. Pick another, or ask your teacher for the server's address.",
                    n + 1
                );
            }
            Ok(n) => return found.get(n),
            Err(err) => {
                let _ = writeln!(out, "{err}");
            }
        }
    }
}

/// One answer line, at most [`MAX_ANSWER`] bytes kept (the rest of a longer line is read and
/// dropped), bytes that are not UTF-8 replaced. `None` at end of input.
fn read_answer(input: &mut impl BufRead) -> Option<String> {
    let mut bytes = Vec::new();
    match input
        .by_ref()
        .take(MAX_ANSWER)
        .read_until(b'\n', &mut bytes)
    {
        Ok(0) | Err(_) => return None,
        Ok(_) => {}
    }
    if !bytes.ends_with(b"\n") {
        // Too long: skip to the end of the line.
        let mut rest = Vec::new();
        loop {
            rest.clear();
            match input.by_ref().take(4096).read_until(b'\n', &mut rest) {
                Ok(0) | Err(_) => break,
                Ok(_) if rest.ends_with(b"\n") => break,
                Ok(_) => {}
            }
        }
    }
    Some(String::from_utf8_lossy(&bytes).trim_end().to_string())
}

/// Finds a server for `client` with no address: the only one, the one met before (`known`),
/// or the one the person picks from standard input. Tells the person what it found on
/// standard output. Returns the servers to try, in order, until one proves the key expected
/// (more than one only when several records advertise the key expected).
///
/// # Errors
/// Nothing found, too much found, only servers with other keys than expected, the browse
/// could not start, or no choice was made.
pub fn find_server(known: &ServerPins) -> Result<Vec<Found>, DiscoverError> {
    let mut out = io::stdout();
    let _ = writeln!(out, "Looking for labchat servers on this network...");
    let heard = browse(BROWSE_TIME)?;
    if heard.too_many {
        return Err(DiscoverError::TooMany);
    }
    if heard.found.is_empty() {
        return Err(DiscoverError::NoneFound);
    }
    let standings: Vec<Standing> = heard
        .found
        .iter()
        .map(|found| standing(found, known.given(), known.pins()))
        .collect();
    match choose(&heard.found, &standings) {
        Choice::Refuse => Err(DiscoverError::NotExpected(
            impostor_warning(&heard.found, &standings).unwrap_or_default(),
        )),
        Choice::Try(order) => {
            if let Some(warning) = impostor_warning(&heard.found, &standings) {
                let _ = writeln!(out, "{warning}");
            }
            let first = &heard.found[order[0]];
            let _ = writeln!(out, "Found {first}; connecting.");
            Ok(order
                .into_iter()
                .map(|at| heard.found[at].clone())
                .collect())
        }
        Choice::Ask => {
            let stdin = io::stdin();
            let terminal = stdin.is_terminal();
            let chosen = pick(
                &heard.found,
                &standings,
                &mut stdin.lock(),
                &mut out,
                !terminal,
            );
            let Some(chosen) = chosen else {
                if terminal {
                    // Ctrl+D left the cursor after the question.
                    let _ = writeln!(out);
                }
                return Err(DiscoverError::NoneChosen);
            };
            let _ = writeln!(out, "Connecting to {chosen}.");
            Ok(vec![chosen.clone()])
        }
    }
}

/// How long a server may take to answer `hello` when several are tried.
const PROOF_WAIT: Duration = Duration::from_secs(5);

/// Connects to the first of `candidates` (all vouched for with one key: [`find_server`]) that
/// proves the key expected, trying each one's addresses, best first. With a single address in
/// all, it is connected without more ado: the client checks the proof on the connection it
/// chats on. With several (an impostor's record advertising the real server's key, or one
/// record holding the addresses of two machines), each is asked to prove its key on a
/// connection of its own first, and one that cannot is passed over with a warning on `out`.
///
/// # Errors
/// No address answered ([`DiscoverError::Unreachable`]), or none proved the key expected
/// ([`DiscoverError::NotExpected`], with why the last one was refused).
pub fn connect_proven(
    candidates: &[Found],
    known: &ServerPins,
    out: &mut impl Write,
) -> Result<(TcpStream, IpAddr, Found), DiscoverError> {
    let targets: Vec<(&Found, IpAddr)> = candidates
        .iter()
        .flat_map(|found| {
            found
                .addresses
                .iter()
                .take(MAX_ADDRESSES_TRIED)
                .map(move |&ip| (found, ip))
        })
        .collect();
    if let ([only], [(_, _)]) = (candidates, targets.as_slice()) {
        let (socket, ip) = connect(only)?;
        return Ok((socket, ip, only.clone()));
    }
    let mut refused = None;
    let mut unreachable = None;
    for (found, ip) in targets {
        let at = SocketAddr::new(ip, found.port);
        let proven = match ask_proof(at) {
            Ok(proven) => proven,
            Err(error) => {
                unreachable = Some((found, error));
                continue;
            }
        };
        let reached = Reached::Found(found.clone());
        match known.assess(&reached, &shown_address(at), proven) {
            Ok(_) => match TcpStream::connect_timeout(&at, CONNECT_TIMEOUT) {
                Ok(socket) => {
                    if refused.is_some() {
                        let _ = writeln!(out, "Connecting to {found} (it proved its key).");
                    }
                    return Ok((socket, ip, found.clone()));
                }
                Err(error) => unreachable = Some((found, error)),
            },
            Err(refusal) => {
                let _ = writeln!(
                    out,
                    "Passed over: {}; it is not the server it claims to be.",
                    refusal.summary()
                );
                refused = Some(refusal.to_string());
            }
        }
    }
    match (refused, unreachable) {
        (Some(said), _) => Err(DiscoverError::NotExpected(said)),
        (None, Some((found, error))) => Err(DiscoverError::Unreachable {
            server: found.to_string(),
            tried: "its addresses".into(),
            error,
        }),
        (None, None) => Err(DiscoverError::NoneFound),
    }
}

/// `10.0.0.5:5000`, `[fd00::5]:5000`.
pub fn shown_address(at: SocketAddr) -> String {
    at.to_string()
}

/// Asks the server at `at` to prove its key, on a connection of its own: `hello <nonce>`, then
/// its answer. `Ok(Some(key))` for a proof that verifies, `Ok(None)` for none (an older
/// server, silence, or a proof that does not verify: it holds no key it could show).
fn ask_proof(at: SocketAddr) -> io::Result<Option<PublicKey>> {
    let socket = TcpStream::connect_timeout(&at, CONNECT_TIMEOUT)?;
    socket.set_read_timeout(Some(PROOF_WAIT))?;
    let nonce = Nonce::generate();
    (&socket).write_all(format!("{}\n", Hello(nonce)).as_bytes())?;
    let mut lines = io::BufReader::new(&socket).take(64 * 1024);
    let mut line = Vec::new();
    for _ in 0..16 {
        line.clear();
        if lines.read_until(b'\n', &mut line).unwrap_or(0) == 0 {
            break;
        }
        let text = String::from_utf8_lossy(&line);
        match ServerLine::parse(text.trim_end_matches(['\r', '\n'])) {
            Ok(ServerLine::Notice(Notice::ServerProof { key, signature })) => {
                let valid = check_server_proof(&nonce, &key, &signature);
                return Ok(valid.then_some(key));
            }
            Ok(ServerLine::Notice(Notice::NameInvalid(_))) => break,
            _ => {}
        }
    }
    Ok(None)
}

/// Connects to a found server: its first 4 addresses, best first, each for at most 2 s.
///
/// # Errors
/// [`DiscoverError::Unreachable`], naming the server and how many addresses were tried.
pub fn connect(found: &Found) -> Result<(TcpStream, IpAddr), DiscoverError> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "it advertised no address");
    let tried: Vec<IpAddr> = found
        .addresses
        .iter()
        .copied()
        .take(MAX_ADDRESSES_TRIED)
        .collect();
    for &ip in &tried {
        match TcpStream::connect_timeout(&SocketAddr::new(ip, found.port), CONNECT_TIMEOUT) {
            Ok(socket) => return Ok((socket, ip)),
            Err(err) => last = err,
        }
    }
    let tried = match (tried.len(), found.addresses.len()) {
        (1, 1) => "its one address".to_string(),
        (n, total) if n == total => format!("all {n} of its addresses"),
        (n, total) => format!("the first {n} of its {total} addresses"),
    };
    Err(DiscoverError::Unreachable {
        server: found.to_string(),
        tried,
        error: last,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

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
        let chosen = pick(
            &found,
            &[],
            &mut &b"\nthree\n9\n-1\n2\n"[..],
            &mut out,
            true,
        );
        assert_eq!(chosen, Some(&found[1]));
        let shown = String::from_utf8(out).unwrap();
        assert!(shown.contains("  1. \"Lab A\" at 10.0.0.1:5000"), "{shown}");
        assert!(shown.contains("\"three\" is not a number"), "{shown}");
        assert!(
            shown.contains("there is no server 9; type a number from 1 to 2"),
            "{shown}"
        );
        assert!(shown.contains("there is no server -1;"), "{shown}");
        assert_eq!(shown.matches("Which one?").count(), 5, "{shown}");
        assert!(!shown.contains("\"\" is not a number"), "{shown}");
        assert!(shown.contains("(1-2): three\n\"three\" is not"), "{shown}");
    }

    #[test]
    fn two_claims_to_one_name_are_both_shown_with_a_warning() {
        let found = [lab("Lab A", 1), lab("Lab A", 66)];
        let mut out = Vec::new();
        let chosen = pick(&found, &[], &mut &b"1\n"[..], &mut out, false);
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
    fn answers_are_bounded_and_need_not_be_utf8() {
        let found = [lab("Lab A", 1), lab("Lab B", 2)];
        let mut input = vec![b'7'; 100_000];
        input.extend_from_slice(b"\n\xff\xfe\n1\n");
        let mut out = Vec::new();
        let chosen = pick(&found, &[], &mut &input[..], &mut out, true);
        assert_eq!(chosen, Some(&found[0]));
        let shown = String::from_utf8(out).unwrap();
        assert!(shown.len() < 2_000, "{} bytes shown", shown.len());
        assert!(
            shown.contains("\"\u{fffd}\u{fffd}\" is not a number"),
            "{shown}"
        );
    }

    #[test]
    fn end_of_input_chooses_nothing() {
        let found = [lab("Lab A", 1), lab("Lab B", 2)];
        assert_eq!(
            pick(&found, &[], &mut &b"x\n"[..], &mut Vec::new(), false),
            None
        );
    }

    #[test]
    fn an_unreachable_server_is_named_with_what_was_tried() {
        // A port that was just free: connecting is refused at once.
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        let addresses = (1..=6).map(|n| IpAddr::from([127, 0, 0, n])).collect();
        let found = Found::new("Lab Z".into(), port, addresses, None);
        let started = Instant::now();
        let err = connect(&found).unwrap_err().to_string();
        assert!(started.elapsed() < Duration::from_secs(4 * 2 + 1));
        assert!(
            err.starts_with("cannot reach \"Lab Z\" at 127.0.0.1:"),
            "{err}"
        );
        assert!(err.contains("the first 4 of its 6 addresses"), "{err}");
        assert!(err.contains("it may have stopped"), "{err}");
    }

    #[test]
    fn a_server_with_another_key_than_expected_is_listed_with_a_warning_but_not_offered() {
        let met = Fingerprint([1; 16]);
        let found = [
            lab("Lab 3", 1).with_key(Some(met)),
            lab("Lab 3", 66).with_key(Some(Fingerprint([2; 16]))),
            lab("Lab 4", 2),
        ];
        let pinned = Expected::Pinned {
            name: "Lab 3".into(),
            date: "2026-12-01".into(),
            key: met,
        };
        let standings = [
            Standing::Vouched(pinned.clone()),
            Standing::Other(pinned),
            Standing::New,
        ];
        let mut out = Vec::new();
        let chosen = pick(
            &found,
            &standings,
            &mut &b"2
1
"[..],
            &mut out,
            false,
        );
        assert_eq!(chosen, Some(&found[0]));
        let shown = String::from_utf8(out).unwrap();
        assert!(
            shown.contains(&format!(
                "     key {met}\n     the server you met on 2026-12-01"
            )),
            "{shown}"
        );
        assert!(
            shown.contains("WARNING: not the key of the server you met on 2026-12-01; not offered"),
            "{shown}"
        );
        assert!(
            shown.contains("not the key of the server you met as \"Lab 3\" on 2026-12-01"),
            "{shown}"
        );
        assert!(
            shown.contains("     no key advertised\n     an older server"),
            "{shown}"
        );
        assert!(shown.contains("Server 2 is not offered"), "{shown}");
        assert!(shown.contains("client --forget-server 'Lab 3'"), "{shown}");
        assert!(shown.contains("client HOST PORT --server-key"), "{shown}");
        assert!(
            // (The question's line holds the typed answer at a terminal, not here.)
            shown
                .lines()
                .filter(|line| !line.starts_with("Which one?"))
                .all(|line| line.chars().count() <= 80),
            "a line wider than a terminal: {shown}"
        );
    }
}
