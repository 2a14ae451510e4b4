//! Finding a server on the lab network without typing its address: what a server advertises
//! over mDNS/DNS-SD (RFC 6762, RFC 6763), and how a client orders, shows and chooses what it
//! found. No sockets here; the server and client hand the records to and from the `mdns-sd`
//! crate.
//!
//! Everything a client learns this way comes from whoever answers on the network, unchecked:
//! an instance name is shown escaped, and the list says where each entry points. The server's
//! key fingerprint in the TXT record is unchecked too: it only says which key the server must
//! then prove on connect. What the person met before (pins) or was given (`--server-key`)
//! decides which records are offered ([`standing`], [`choose`]).

use crate::identity::{Fingerprint, Pins};
use std::fmt;
use std::net::IpAddr;
use thiserror::Error;

/// The DNS-SD service type labchat servers advertise, with its domain.
pub const SERVICE_TYPE: &str = "_labchat._tcp.local.";

/// The port `server` listens on and `client HOST` connects to when none is given.
pub const DEFAULT_PORT: u16 = 5000;

/// TXT key: the version of this TXT layout (`1`).
pub const TXT_VERSION: &str = "txtvers";

/// TXT key: the Diffie-Hellman group the server names in `GEN_KEYS` (`ffdhe2048`, `toy`...).
pub const TXT_GROUP: &str = "dh";

/// TXT key: the fingerprint of the server's identity key, as [`Fingerprint`]'s `Display`
/// writes it (`xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx`, 39 characters, lowercase hex). A
/// record without it (an older server) or with a value that is not one advertises no key.
pub const TXT_KEY: &str = "fp";

/// Longest instance name a server advertises: one DNS label (63 bytes) less the ` (NN)` that
/// mDNS adds when the name is taken (RFC 6762 section 9), so a renamed server still fits.
pub const MAX_INSTANCE_NAME: usize = 58;

/// Most servers one browse lists. A lab has a few; more than this means someone is flooding
/// the network with advertisements, and the client says so instead of showing a list in
/// which the real server may be missing.
pub const MAX_FOUND: usize = 50;

/// The instance name a server advertises when the operator gives none: the machine's name,
/// and the port when it is not the default (two servers on one machine stay apart).
pub fn default_instance_name(host: &str, port: u16) -> String {
    let host = host.trim();
    let host = if host.is_empty() { "labchat" } else { host };
    let suffix = if port == DEFAULT_PORT {
        String::new()
    } else {
        format!(" port {port}")
    };
    // A long machine name is shortened, never the port: it is what keeps two servers on one
    // machine apart.
    let host = truncate_to(host.to_string(), MAX_INSTANCE_NAME - suffix.len());
    format!("{host}{suffix}")
}

/// Why an operator's `--name` cannot be advertised.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InstanceNameError {
    /// Nothing to show.
    #[error("the server name is empty; give a name people will recognise, e.g. --name \"Lab 3\"")]
    Empty,
    /// Longer than one DNS label.
    #[error("the server name is {0} bytes; at most {MAX_INSTANCE_NAME} fit in one mDNS label (with room for a \" (2)\" if the name is taken)")]
    TooLong(usize),
    /// Control characters would be shown escaped on every client.
    #[error(
        "the server name contains a control character; use letters, digits, spaces and punctuation"
    )]
    Control,
}

/// Checks a server name given with `--name`.
///
/// # Errors
/// Empty, longer than [`MAX_INSTANCE_NAME`] bytes, or holding a control character.
pub fn check_instance_name(name: &str) -> Result<(), InstanceNameError> {
    if name.trim().is_empty() {
        Err(InstanceNameError::Empty)
    } else if name.len() > MAX_INSTANCE_NAME {
        Err(InstanceNameError::TooLong(name.len()))
    } else if name.chars().any(char::is_control) {
        Err(InstanceNameError::Control)
    } else {
        Ok(())
    }
}

/// A DNS host label for this machine's name: letters, digits and hyphens, as mDNS host names
/// must be (`Lab PC_3` becomes `Lab-PC-3`).
pub fn host_label(host: &str) -> String {
    let label: String = host
        .trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let label = label.trim_matches('-');
    if label.is_empty() {
        "labchat".to_string()
    } else {
        truncate_to(label.to_string(), MAX_INSTANCE_NAME)
    }
}

/// The instance name inside a full name received from the network
/// (`Lab 3._labchat._tcp.local.` is `Lab 3`). The label arrives as raw bytes, dots and
/// backslashes included, so nothing is unescaped. `None` if the name is not of our type, or
/// holds a control character: no labchat server advertises one ([`check_instance_name`]),
/// and a newline in a name would be a line of the sender's choosing wherever it is written
/// (the pins file).
pub fn instance_from_received(fullname: &str) -> Option<&str> {
    fullname
        .strip_suffix(SERVICE_TYPE)?
        .strip_suffix('.')
        .filter(|instance| !instance.is_empty() && !instance.chars().any(char::is_control))
}

/// The instance name inside a full name that `mdns-sd` built for our own advertisement, which
/// escapes `.` and `\` as `\.` and `\\` (`Lab\.3._labchat._tcp.local.` is `Lab.3`).
pub fn instance_from_registered(fullname: &str) -> Option<String> {
    let escaped = instance_from_received(fullname)?;
    let mut instance = String::with_capacity(escaped.len());
    let mut chars = escaped.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => instance.push(chars.next().unwrap_or('\\')),
            c => instance.push(c),
        }
    }
    Some(instance)
}

/// One server a browse found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Its instance name, as advertised (unchecked: show it with [`Found`]'s `Display`).
    pub instance: String,
    /// The port it listens on.
    pub port: u16,
    /// Its addresses, in the order to try them ([`order_addresses`]).
    pub addresses: Vec<IpAddr>,
    /// The Diffie-Hellman group it advertises, if any.
    pub group: Option<String>,
    /// The fingerprint of the identity key it advertises ([`TXT_KEY`]), if any. Unchecked:
    /// whoever answers at the address must prove the key.
    pub key: Option<Fingerprint>,
}

impl Found {
    /// A server found under `instance` at `addresses`; the addresses are put in the order to
    /// try them.
    pub fn new(
        instance: String,
        port: u16,
        mut addresses: Vec<IpAddr>,
        group: Option<String>,
    ) -> Found {
        order_addresses(&mut addresses);
        Found {
            instance,
            port,
            addresses,
            group,
            key: None,
        }
    }

    /// The same record, advertising the key with this fingerprint.
    pub fn with_key(mut self, key: Option<Fingerprint>) -> Found {
        self.key = key;
        self
    }

    /// The address to name when telling the person where this server is.
    pub fn first_address(&self) -> Option<IpAddr> {
        self.addresses.first().copied()
    }
}

/// `"Lab 3" at 10.0.0.5:5000`, with the name escaped for the terminal, the address written as
/// `client` takes it, and a warning for the toy group.
impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = crate::escape::escape_for_terminal(&self.instance);
        write!(f, "\"{name}\"")?;
        match self.first_address() {
            Some(IpAddr::V6(ip)) => write!(f, " at [{ip}]:{}", self.port)?,
            Some(ip) => write!(f, " at {ip}:{}", self.port)?,
            None => write!(f, " (no address)")?,
        }
        if self.group.as_deref() == Some("toy") {
            write!(f, " (toy group: for teaching, readable by anyone watching)")?;
        }
        Ok(())
    }
}

/// How good an address is for reaching a lab server: LAN IPv4 first, then routable IPv6, then
/// link-local, loopback last. Lower sorts first.
pub fn address_rank(ip: &IpAddr) -> u8 {
    match ip {
        IpAddr::V4(v4) if v4.is_loopback() => 5,
        IpAddr::V4(v4) if v4.is_link_local() => 3,
        IpAddr::V4(_) => 0,
        IpAddr::V6(v6) if v6.is_loopback() => 6,
        IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80 => 4,
        IpAddr::V6(_) => 1,
    }
}

/// Sorts addresses best first ([`address_rank`]) and drops repeats.
pub fn order_addresses(addresses: &mut Vec<IpAddr>) {
    addresses.sort_by_key(|ip| (address_rank(ip), *ip));
    addresses.dedup();
}

/// What one record did to a browse's list ([`remember`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// A server not listed before.
    New,
    /// More about a listed server (its addresses arrive a few at a time).
    Updated,
    /// Nothing new, or nothing usable (no address).
    Nothing,
    /// A new server, but the list is full: someone may be flooding the network.
    TooMany,
}

/// Adds `found` to `list`, keeping the list sorted by name and at most [`MAX_FOUND`] long.
///
/// A record for a server already listed (same name and port, an address in common, and the
/// same key, or a key where the other had none yet: a record can be resolved before its TXT
/// arrives) updates it. The same name at another port, at other addresses or with another key
/// is a rival claim and is listed beside it ([`rivals`]): anyone on the LAN can advertise any
/// name, and the person must see both to ask which is real. (A key taken this way is still
/// only a claim: the server must prove it on connect.)
pub fn remember(list: &mut Vec<Found>, found: Found) -> Heard {
    if found.addresses.is_empty() {
        return Heard::Nothing;
    }
    let same = list.iter().position(|known| {
        known.instance == found.instance
            && known.port == found.port
            && (known.key == found.key || known.key.is_none() || found.key.is_none())
            && known
                .addresses
                .iter()
                .any(|ip| found.addresses.contains(ip))
    });
    match same {
        Some(at) => {
            let mut addresses = found.addresses.clone();
            addresses.extend(list[at].addresses.iter().copied());
            let key = found.key.or(list[at].key);
            let group = found.group.or_else(|| list[at].group.clone());
            let merged = Found::new(found.instance, found.port, addresses, group).with_key(key);
            if merged == list[at] {
                Heard::Nothing
            } else {
                list[at] = merged;
                Heard::Updated
            }
        }
        None if list.len() >= MAX_FOUND => Heard::TooMany,
        None => {
            let at = list.partition_point(|known| known.instance <= found.instance);
            list.insert(at, found);
            Heard::New
        }
    }
}

/// Names in `list` that more than one server claims, each once (as the first claimant spells
/// it). Two names are one claim when they look the same: `Lab 3 (2)` beside `Lab 3` (the
/// rename of a server that found its name taken), `Lab 3` with a zero-width space, or with a
/// Cyrillic `а` (compared as user names are: [`claim_key`]).
pub fn rivals(list: &[Found]) -> Vec<&str> {
    let keys: Vec<String> = list.iter().map(|f| claim_key(&f.instance)).collect();
    let mut claimed = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let first = keys.iter().position(|k| k == key) == Some(i);
        let more = keys.iter().filter(|k| *k == key).count() > 1;
        if first && more {
            claimed.push(list[i].instance.as_str());
        }
    }
    claimed
}

/// What a server name looks like, for telling rival claims apart: without characters that
/// print as nothing, without an mDNS ` (N)` suffix, folded as user names are compared
/// ([`crate::fold`]: NFKC, confusable skeleton, case and accents ignored).
pub fn claim_key(instance: &str) -> String {
    let visible: String = instance
        .chars()
        .filter(|&c| {
            !crate::escape::is_hidden(c)
                && !matches!(c, '\u{200c}' | '\u{200d}' | '\u{fe00}'..='\u{fe0f}')
        })
        .collect();
    crate::fold::fold(base_name(visible.trim()).trim())
}

/// `Lab 3` for `Lab 3 (2)`: the name before an mDNS conflict suffix.
pub fn base_name(instance: &str) -> &str {
    let Some(open) = instance.strip_suffix(')').and_then(|s| s.rfind(" (")) else {
        return instance;
    };
    let number = &instance[open + 2..instance.len() - 1];
    if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) {
        &instance[..open]
    } else {
        instance
    }
}

/// A key the person expects a server to prove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// Given on the command line (`client --server-key FINGERPRINT`).
    Given(Fingerprint),
    /// Pinned when the person first met a server of that name.
    Pinned {
        /// The name it was pinned under (it may differ from the advertised one, but look the
        /// same: [`claim_key`]).
        name: String,
        /// When (`YYYY-MM-DD`).
        date: String,
        /// The pinned key's fingerprint.
        key: Fingerprint,
    },
}

impl Expected {
    /// The fingerprint expected.
    pub fn key(&self) -> Fingerprint {
        match self {
            Expected::Given(key) | Expected::Pinned { key, .. } => *key,
        }
    }
}

/// How a found server stands with what the person knows: the servers met before (pins, kept
/// under the advertised name) and the key given with `--server-key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// It advertises the key the person expects (given, or pinned for a name that looks like
    /// its name). It must still prove it on connect.
    Vouched(Expected),
    /// Nothing is expected of it: no key given, no pin for a name that looks like its name.
    New,
    /// It advertises another key than the one expected, or none: an impostor, or a server
    /// whose key changed. Never connected without the person's say-so (`client HOST PORT`).
    Other(Expected),
}

/// The pins kept under names that look like `instance` ([`claim_key`]): a rename to
/// `Lab 3 (2)`, or a look-alike name, is still the server met as `Lab 3`.
pub fn pins_for<'a>(pins: &'a Pins, instance: &str) -> Vec<&'a crate::identity::Pin> {
    let key = claim_key(instance);
    pins.iter()
        .filter(|pin| claim_key(&pin.name) == key)
        .collect()
}

/// How `found` stands with the key `given` (`--server-key`) or, without one, with `pins`.
pub fn standing(found: &Found, given: Option<Fingerprint>, pins: &Pins) -> Standing {
    if let Some(given) = given {
        return if found.key == Some(given) {
            Standing::Vouched(Expected::Given(given))
        } else {
            Standing::Other(Expected::Given(given))
        };
    }
    let pinned = pins_for(pins, &found.instance);
    let expected = |pin: &crate::identity::Pin| Expected::Pinned {
        name: pin.name.clone(),
        date: pin.date.clone(),
        key: pin.key.fingerprint(),
    };
    match pinned
        .iter()
        .find(|pin| Some(pin.key.fingerprint()) == found.key)
    {
        Some(pin) => Standing::Vouched(expected(pin)),
        None => match pinned.first() {
            Some(pin) => Standing::Other(expected(pin)),
            None => Standing::New,
        },
    }
}

/// What a client does with the servers a browse found, given their [`standing`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// Connect to these (indices into the list), in order, until one proves the expected key:
    /// every server offered is vouched for with one key, or there is only one, and new.
    Try(Vec<usize>),
    /// List them and let the person pick (servers of several keys or names are offered).
    Ask,
    /// None may be connected: every one advertises another key than expected.
    Refuse,
}

/// Which of `list` to connect to. Records that advertise another key than expected are never
/// offered. Those vouched for with one key are tried without asking (a rival claim beside
/// them is ignored, with a warning); a single new server is connected as today; anything else
/// is listed for the person to pick.
pub fn choose(list: &[Found], standings: &[Standing]) -> Choice {
    let offered: Vec<usize> = (0..list.len())
        .filter(|&at| !matches!(standings.get(at), Some(Standing::Other(_)) | None))
        .collect();
    let vouched: Vec<Fingerprint> = offered
        .iter()
        .filter_map(|&at| match &standings[at] {
            Standing::Vouched(expected) => Some(expected.key()),
            _ => None,
        })
        .collect();
    let one_key = !vouched.is_empty()
        && vouched.len() == offered.len()
        && vouched.iter().all(|key| *key == vouched[0]);
    let only_one = offered.len() == 1 && list.len() == 1;
    if offered.is_empty() {
        Choice::Refuse
    } else if one_key || only_one {
        Choice::Try(offered)
    } else {
        Choice::Ask
    }
}

/// Why a typed choice is not one of the listed servers.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PickError {
    /// Not a number.
    #[error(
        "\"{}\" is not a number; type the number in front of the server you want",
        crate::escape::escape_for_terminal(.0)
    )]
    NotANumber(String),
    /// A number, but no server has it.
    #[error("there is no server {given}; type a number from 1 to {count}")]
    OutOfRange {
        /// What was typed (a whole number, maybe negative or huge).
        given: String,
        /// How many servers are listed.
        count: usize,
    },
}

/// The server (0-based) a person chose by typing its 1-based number among `count`.
///
/// # Errors
/// Not a number, or not between 1 and `count`.
pub fn parse_pick(line: &str, count: usize) -> Result<usize, PickError> {
    let typed = line.trim();
    let digits = typed.strip_prefix(['-', '+']).unwrap_or(typed);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PickError::NotANumber(typed.to_string()));
    }
    match typed.parse::<usize>() {
        Ok(n) if (1..=count).contains(&n) => Ok(n - 1),
        _ => Err(PickError::OutOfRange {
            given: typed.to_string(),
            count,
        }),
    }
}

/// Cuts `text` to at most `max` bytes at a character boundary.
fn truncate_to(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn default_names_say_the_port_only_when_it_is_not_the_default() {
        assert_eq!(default_instance_name("lab3", DEFAULT_PORT), "lab3");
        assert_eq!(default_instance_name("lab3", 6000), "lab3 port 6000");
        assert_eq!(default_instance_name("  ", DEFAULT_PORT), "labchat");
        // A long machine name is cut, the port kept: two servers on it stay apart.
        let long = "é".repeat(40);
        let name = default_instance_name(&long, 6000);
        assert!(name.len() <= MAX_INSTANCE_NAME, "{name}");
        assert!(
            name.starts_with("éé") && name.ends_with("é port 6000"),
            "{name}"
        );
        let host = "h".repeat(60);
        assert_ne!(
            default_instance_name(&host, 6040),
            default_instance_name(&host, 6041)
        );
        // Room is left for the " (2)" of a rename: the whole label still fits in 63 bytes.
        assert!(format!("{} (99)", default_instance_name(&host, 6040)).len() <= 63);
    }

    #[test]
    fn operator_names_are_checked() {
        assert_eq!(check_instance_name("Lab 3"), Ok(()));
        assert_eq!(check_instance_name(" "), Err(InstanceNameError::Empty));
        assert_eq!(
            check_instance_name(&"x".repeat(64)),
            Err(InstanceNameError::TooLong(64))
        );
        assert_eq!(
            check_instance_name("a\u{1b}[2J"),
            Err(InstanceNameError::Control)
        );
    }

    #[test]
    fn host_labels_keep_letters_digits_and_hyphens() {
        assert_eq!(host_label("Lab PC_3"), "Lab-PC-3");
        assert_eq!(host_label("--"), "labchat");
        assert_eq!(host_label("ünï"), "n");
    }

    #[test]
    fn received_names_are_raw_and_our_own_are_unescaped() {
        // From the network: the label as it came, backslashes and dots included.
        assert_eq!(
            instance_from_received("C:\\lab\\x._labchat._tcp.local."),
            Some("C:\\lab\\x")
        );
        assert_eq!(
            instance_from_received("Lab.3._labchat._tcp.local."),
            Some("Lab.3")
        );
        assert_eq!(instance_from_received("printer._ipp._tcp.local."), None);
        assert_eq!(
            instance_from_received("L\nAAAA 2026-01-01 Lab 3._labchat._tcp.local."),
            None
        );
        assert_eq!(instance_from_received("_labchat._tcp.local."), None);
        assert_eq!(instance_from_received("._labchat._tcp.local."), None);
        // Our own, as mdns-sd escapes it.
        assert_eq!(
            instance_from_registered("Lab\\.3 (2)._labchat._tcp.local.").as_deref(),
            Some("Lab.3 (2)")
        );
        assert_eq!(
            instance_from_registered("C:\\\\lab._labchat._tcp.local.").as_deref(),
            Some("C:\\lab")
        );
    }

    #[test]
    fn lan_ipv4_comes_first_and_loopback_last() {
        let mut addresses: Vec<IpAddr> = vec![
            Ipv6Addr::LOCALHOST.into(),
            "fe80::1".parse().unwrap(),
            Ipv4Addr::LOCALHOST.into(),
            "fd00::2".parse().unwrap(),
            "10.0.0.5".parse().unwrap(),
            "169.254.1.1".parse().unwrap(),
            "10.0.0.5".parse().unwrap(),
        ];
        order_addresses(&mut addresses);
        let shown: Vec<String> = addresses.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "10.0.0.5",
                "fd00::2",
                "169.254.1.1",
                "fe80::1",
                "127.0.0.1",
                "::1"
            ]
        );
    }

    #[test]
    fn a_found_server_is_shown_escaped_with_where_it_points() {
        let found = Found::new(
            "evil\u{1b}]0;owned\u{7}".into(),
            5000,
            vec!["fd00::2".parse().unwrap(), "10.1.2.3".parse().unwrap()],
            Some("toy".into()),
        );
        let shown = found.to_string();
        assert!(
            !shown.contains('\u{1b}') && !shown.contains('\u{7}'),
            "{shown}"
        );
        assert!(shown.contains("at 10.1.2.3:5000"), "{shown}");
        assert!(shown.contains("toy group"), "{shown}");
        let v6 = Found::new("lab".into(), 6000, vec!["fd00::2".parse().unwrap()], None);
        assert_eq!(v6.to_string(), "\"lab\" at [fd00::2]:6000");
    }

    #[test]
    fn records_of_one_server_update_it_and_other_claims_are_listed_beside() {
        let at = |n: u8| IpAddr::from([10, 0, 0, n]);
        let heard = |list: &mut Vec<Found>, name: &str, port, addresses| {
            remember(list, Found::new(name.into(), port, addresses, None))
        };
        let mut list = Vec::new();
        assert_eq!(heard(&mut list, "b", 1, vec![at(1)]), Heard::New);
        assert_eq!(heard(&mut list, "a", 1, vec![at(2)]), Heard::New);
        assert_eq!(heard(&mut list, "a", 1, vec![at(2)]), Heard::Nothing);
        assert_eq!(heard(&mut list, "c", 1, vec![]), Heard::Nothing);
        // More addresses of "a": the same server.
        let v6: IpAddr = "fd00::2".parse().unwrap();
        assert_eq!(heard(&mut list, "a", 1, vec![v6, at(2)]), Heard::Updated);
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].addresses, [at(2), v6]);
        assert_eq!(rivals(&list), Vec::<&str>::new());
        // "a" claimed from another host, and at another port: rivals, listed beside it.
        assert_eq!(heard(&mut list, "a", 1, vec![at(9)]), Heard::New);
        assert_eq!(heard(&mut list, "a", 7, vec![at(2)]), Heard::New);
        let shown: Vec<String> = list.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "\"a\" at 10.0.0.2:1",
                "\"a\" at 10.0.0.9:1",
                "\"a\" at 10.0.0.2:7",
                "\"b\" at 10.0.0.1:1"
            ]
        );
        assert_eq!(rivals(&list), ["a"]);
    }

    #[test]
    fn names_that_look_alike_are_rival_claims() {
        let at = |n: u8| vec![IpAddr::from([10, 0, 0, n])];
        for (real, other) in [
            ("Lab 3", "Lab 3 (2)"),
            ("Lab A", "Lab A\u{200b}"),
            ("Lab A", "Lab A\u{61c}"),
            ("Lab A", "L\u{430}b A"),
            ("Lab A", "lab a"),
            ("Lab A", "Lab\u{2060} A "),
        ] {
            let mut list = vec![Found::new(real.into(), 1, at(1), None)];
            assert_eq!(rivals(&list), Vec::<&str>::new());
            remember(&mut list, Found::new(other.into(), 1, at(9), None));
            assert_eq!(rivals(&list).len(), 1, "{real:?} and {other:?}");
        }
        let list = [
            Found::new("Lab A".into(), 1, at(1), None),
            Found::new("Lab B".into(), 1, at(2), None),
            Found::new("Lab (B)".into(), 1, at(3), None),
        ];
        assert_eq!(rivals(&list), Vec::<&str>::new());
    }

    #[test]
    fn conflict_suffixes_are_recognised() {
        assert_eq!(base_name("Lab 3 (2)"), "Lab 3");
        assert_eq!(base_name("Lab 3 (12)"), "Lab 3");
        assert_eq!(base_name("Lab (B)"), "Lab (B)");
        assert_eq!(base_name("Lab ()"), "Lab ()");
        assert_eq!(base_name("(2)"), "(2)");
        assert_eq!(base_name("Lab 3"), "Lab 3");
    }

    #[test]
    fn a_flood_of_advertisements_is_bounded_and_said() {
        let mut list = Vec::new();
        let mut heard = Vec::new();
        for n in 0..MAX_FOUND + 10 {
            let ip = IpAddr::from([10, 0, (n / 250) as u8, (n % 250) as u8]);
            heard.push(remember(
                &mut list,
                Found::new(format!("s{n:05}"), 1, vec![ip], None),
            ));
        }
        assert_eq!(list.len(), MAX_FOUND);
        assert!(heard[..MAX_FOUND].iter().all(|h| *h == Heard::New));
        assert!(heard[MAX_FOUND..].iter().all(|h| *h == Heard::TooMany));
    }

    #[test]
    fn picks_are_numbers_in_range() {
        assert_eq!(parse_pick(" 2 ", 3), Ok(1));
        assert_eq!(parse_pick("1", 1), Ok(0));
        assert_eq!(parse_pick("+1", 3), Ok(0));
        assert_eq!(parse_pick("02", 3), Ok(1));
        for out_of_range in ["4", "0", "-1", "99999999999999999999999"] {
            assert_eq!(
                parse_pick(out_of_range, 3),
                Err(PickError::OutOfRange {
                    given: out_of_range.into(),
                    count: 3
                })
            );
        }
        for not_a_number in ["", "-", "1.5", "١", "two"] {
            assert!(
                matches!(parse_pick(not_a_number, 3), Err(PickError::NotANumber(_))),
                "{not_a_number:?}"
            );
        }
    }

    fn scratch_pins(name: &str) -> Pins {
        let dir = std::env::temp_dir().join(format!("labchat-disc-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Pins::load(&dir.join("servers")).unwrap()
    }

    #[test]
    fn a_pinned_name_vouches_only_for_its_key_and_looks_alike_count() {
        use crate::identity::Identity;
        let real = Identity::generate().public();
        let rogue = Identity::generate().public();
        let mut pins = scratch_pins("standing");
        pins.set("Lab 3", real).unwrap();
        let at = vec![IpAddr::from([10, 0, 0, 1])];
        let record = |name: &str, key: Option<Fingerprint>| {
            Found::new(name.into(), 5000, at.clone(), None).with_key(key)
        };
        let real_fp = Some(real.fingerprint());
        let rogue_fp = Some(rogue.fingerprint());
        assert!(matches!(
            standing(&record("Lab 3", real_fp), None, &pins),
            Standing::Vouched(Expected::Pinned { ref name, .. }) if name == "Lab 3"
        ));
        // The server renamed after its name was taken is still the one met.
        assert!(matches!(
            standing(&record("Lab 3 (2)", real_fp), None, &pins),
            Standing::Vouched(_)
        ));
        // Another key, or none, under that name or one that looks like it: not offered.
        for name in ["Lab 3", "Lab 3 (2)", "L\u{430}b 3", "lab 3"] {
            for key in [rogue_fp, None] {
                assert!(
                    matches!(
                        standing(&record(name, key), None, &pins),
                        Standing::Other(_)
                    ),
                    "{name:?} {key:?}"
                );
            }
        }
        assert_eq!(
            standing(&record("Lab 4", rogue_fp), None, &pins),
            Standing::New
        );
        // A key given on the command line overrides the pins, and refuses all others.
        let given = rogue.fingerprint();
        assert!(matches!(
            standing(&record("Lab 3", rogue_fp), Some(given), &pins),
            Standing::Vouched(Expected::Given(_))
        ));
        assert!(matches!(
            standing(&record("Lab 4", real_fp), Some(given), &pins),
            Standing::Other(Expected::Given(_))
        ));
        assert!(matches!(
            standing(&record("Lab 4", None), Some(given), &pins),
            Standing::Other(Expected::Given(_))
        ));
    }

    #[test]
    fn only_servers_vouched_for_with_one_key_are_tried_without_asking() {
        let key = |n: u8| Fingerprint([n; 16]);
        let found = |n: u8| Found::new(format!("s{n}"), 1, vec![IpAddr::from([10, 0, 0, n])], None);
        let list = [found(1), found(2), found(3)];
        let pinned = |n: u8| Expected::Pinned {
            name: "s".into(),
            date: "2026-12-07".into(),
            key: key(n),
        };
        use Standing::{New, Other, Vouched};
        // The server met before, and a rival with another key: the one met, the rival ignored.
        assert_eq!(
            choose(&list[..2], &[Vouched(pinned(1)), Other(pinned(1))]),
            Choice::Try(vec![0])
        );
        // Two records advertising the pinned key: both tried; the proof decides.
        assert_eq!(
            choose(
                &list,
                &[Vouched(pinned(1)), Other(pinned(1)), Vouched(pinned(1))]
            ),
            Choice::Try(vec![0, 2])
        );
        // Two servers met before (two labs): the person picks.
        assert_eq!(
            choose(&list[..2], &[Vouched(pinned(1)), Vouched(pinned(2))]),
            Choice::Ask
        );
        // A server met before beside a new one: the person picks.
        assert_eq!(choose(&list[..2], &[Vouched(pinned(1)), New]), Choice::Ask);
        // Only new servers: one is connected, several are listed.
        assert_eq!(choose(&list[..1], &[New]), Choice::Try(vec![0]));
        assert_eq!(choose(&list[..2], &[New, New]), Choice::Ask);
        // A new server beside one that is not the server met: listed, with the warning.
        assert_eq!(choose(&list[..2], &[New, Other(pinned(1))]), Choice::Ask);
        // Nothing but other keys: nothing is connected.
        assert_eq!(
            choose(
                &list[..2],
                &[Other(pinned(1)), Other(Expected::Given(key(1)))]
            ),
            Choice::Refuse
        );
        assert_eq!(choose(&[], &[]), Choice::Refuse);
    }

    #[test]
    fn a_record_with_another_key_is_a_rival_not_an_update() {
        let at = vec![IpAddr::from([10, 0, 0, 1])];
        let mut list = Vec::new();
        let record = |key| Found::new("Lab 3".into(), 1, at.clone(), None).with_key(key);
        let one = Some(Fingerprint([1; 16]));
        // Resolved before its TXT arrived, then with it: one server, with the key.
        assert_eq!(remember(&mut list, record(None)), Heard::New);
        assert_eq!(remember(&mut list, record(one)), Heard::Updated);
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].key, one);
        // A record without a key does not take the key away.
        assert_eq!(remember(&mut list, record(None)), Heard::Nothing);
        assert_eq!(list[0].key, one);
        // Another key: a rival, listed beside.
        let two = Some(Fingerprint([2; 16]));
        assert_eq!(remember(&mut list, record(two)), Heard::New);
        assert_eq!(remember(&mut list, record(two)), Heard::Nothing);
        assert_eq!(list.len(), 2);
        assert_eq!(rivals(&list), ["Lab 3"]);
    }
}
