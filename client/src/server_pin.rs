//! The servers a person has met: each server's identity key, pinned on first contact under the
//! name it was reached by, so that an impostor running a server of its own is refused later.
//!
//! The pins live in `$XDG_CONFIG_HOME/labchat/servers` (default `~/.config/labchat/servers`),
//! one `<key> <date> <name>` line each ([`common::identity::Pins`]). The name is the advertised
//! instance name for a server found on the LAN (`Lab 3`), and the address as typed for
//! `client HOST PORT` (`10.0.0.5:5000`, `lab3:5000`, `[fd00::5]:5000`). A server found on the
//! LAN is checked against the pins of every name that looks like its own
//! ([`common::discovery::pins_for`]), so a rival `Lab 3 (2)` is not a stranger.
//!
//! `client --server-key FINGERPRINT` gives the key to expect (from the board, or a lab
//! install): any other key is refused, even on first contact, and the key proven is pinned.
//! `client --forget-server NAME` forgets a pin, after the teacher confirms a key changed.
//!
//! What is decided here, once the server has answered `hello` ([`ServerPins::judge`]):
//! - expected key (given, or pinned) proven: connected (silently for a pin);
//! - no expectation, a key proven: the first meeting, pinned, the fingerprint shown once;
//! - no expectation, no proof (an older server): connected with a note, nothing pinned;
//! - anything else (another key, no proof where one is expected, a proof of another key than
//!   the advertised one): refused, with what to do.

use common::discovery::{claim_key, pins_for, Found};
use common::escape::escape_for_terminal;
use common::identity::{store, Fingerprint, Pins, PinsError, PublicKey};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The file of pinned servers, in the labchat folder.
pub const PINS_FILE: &str = "servers";

/// How the client reached the server: what it is pinned under, and what it promised.
#[derive(Debug, Clone)]
pub enum Reached {
    /// Found on the LAN: pinned under its advertised name; it advertised this key (or none).
    Found(Found),
    /// `client HOST PORT`: pinned under the address as typed.
    Typed {
        /// The address as typed, with the port: `10.0.0.5:5000`, `[fd00::5]:5000`.
        address: String,
    },
}

impl Reached {
    /// The name a pin is kept under.
    pub fn pin_name(&self) -> &str {
        match self {
            Reached::Found(found) => &found.instance,
            Reached::Typed { address } => address,
        }
    }

    /// The server named for the person: `"Lab 3" at 10.0.0.5:5000`, or `10.0.0.5:5000`.
    fn shown(&self, at: &str) -> String {
        match self {
            Reached::Found(found) => {
                format!("\"{}\" at {at}", escape_for_terminal(&found.instance))
            }
            Reached::Typed { address } => format!("at {}", escape_for_terminal(address)),
        }
    }
}

/// Why the client will not use a server. Each says what was expected, what came, and what to do.
#[derive(Debug, Error)]
pub enum Refusal {
    /// The pins file could not be read or written.
    #[error(transparent)]
    Pins(#[from] PinsError),
    /// Another key than the one expected, or none.
    #[error("WARNING: the server {server} {came}, not {expected}.\n\
             Someone on this network may be pretending to be it; the client hung up.\n\
             Ask your teacher for the server's address and key fingerprint (the server prints \
             them when it starts), then connect with: client HOST PORT --server-key FINGERPRINT{forget}")]
    NotExpected {
        /// The server, named for the person.
        server: String,
        /// What it proved: "proved the key X", "proved no key".
        came: String,
        /// What was expected, in words.
        expected: String,
        /// How to forget an old pin, when one was in the way.
        forget: String,
    },
    /// It advertised one key and proved another, or none: whoever answered is not the server
    /// the advertisement named.
    #[error(
        "WARNING: the server {server} advertises the key {advertised} but {came}: \
             whoever answered is not the server it claims to be; the client hung up.\n\
             Ask your teacher for the server's address and key fingerprint (the server prints \
             them when it starts), then connect with: client HOST PORT --server-key FINGERPRINT"
    )]
    Unproven {
        /// The server, named for the person.
        server: String,
        /// The advertised fingerprint.
        advertised: Fingerprint,
        /// What it proved instead.
        came: String,
    },
}

impl Refusal {
    /// The refusal in one line, for a server passed over in favour of another.
    pub fn summary(&self) -> String {
        match self {
            Refusal::NotExpected {
                server,
                came,
                expected,
                ..
            } => format!("the server {server} {came}, not {expected}"),
            Refusal::Unproven {
                server,
                advertised,
                came,
            } => format!("the server {server} advertises the key {advertised} but {came}"),
            Refusal::Pins(error) => error.to_string(),
        }
    }
}

/// The servers met before, and the key given on the command line.
#[derive(Debug)]
pub struct ServerPins {
    pins: Pins,
    given: Option<Fingerprint>,
}

impl ServerPins {
    /// The default pins file: `servers` in the labchat folder.
    pub fn default_path() -> Result<PathBuf, store::StoreError> {
        Ok(store::config_dir()?.join(PINS_FILE))
    }

    /// Loads the pins, with the key given by `--server-key`, if any.
    ///
    /// # Errors
    /// The file cannot be read, is open to others, or has a bad line.
    pub fn load(given: Option<Fingerprint>) -> Result<ServerPins, Refusal> {
        let path = Self::default_path().map_err(PinsError::from)?;
        Self::load_from(&path, given)
    }

    /// [`ServerPins::load`] from the pins file `path`.
    ///
    /// # Errors
    /// The file cannot be read, is open to others, or has a bad line.
    pub fn load_from(path: &Path, given: Option<Fingerprint>) -> Result<ServerPins, Refusal> {
        Ok(ServerPins {
            pins: Pins::load(path)?,
            given,
        })
    }

    /// The pins (to weigh what a browse found).
    pub fn pins(&self) -> &Pins {
        &self.pins
    }

    /// The key given with `--server-key`.
    pub fn given(&self) -> Option<Fingerprint> {
        self.given
    }

    /// What the person expects of a server reached this way: the given key, else the pins
    /// kept under its name (for a server found on the LAN, under names that look the same).
    fn expected(&self, reached: &Reached) -> Expectation {
        if let Some(given) = self.given {
            return Expectation::Given(given);
        }
        let pinned: Vec<(String, String, PublicKey)> = match reached {
            Reached::Found(found) => pins_for(&self.pins, &found.instance)
                .into_iter()
                .map(|pin| (pin.name.clone(), pin.date.clone(), pin.key))
                .collect(),
            Reached::Typed { address } => self
                .pins
                .get(address)
                .map(|pin| vec![(pin.name.clone(), pin.date.clone(), pin.key)])
                .unwrap_or_default(),
        };
        if pinned.is_empty() {
            Expectation::Nothing
        } else {
            Expectation::Pinned(pinned)
        }
    }

    /// Decides about the server reached as `reached`, now at `at` (`10.0.0.5:5000`), that
    /// proved `proven` (`None`: it proved no key, as an older server). `Ok` with what to tell
    /// the person (nothing when it is the server met before); pins a key met for the first
    /// time, or given and proven.
    ///
    /// # Errors
    /// [`Refusal`]: not the server expected, or the pins file could not be written.
    pub fn judge(
        &mut self,
        reached: &Reached,
        at: &str,
        proven: Option<PublicKey>,
    ) -> Result<Option<String>, Refusal> {
        // Another client of this person may have pinned or forgotten a server since this one
        // started; an unreadable file keeps what was loaded.
        let _ = self.pins.reload();
        let verdict = self.assess(reached, at, proven)?;
        if let Some((name, key)) = verdict.pin {
            self.pins.set(&name, key)?;
        }
        Ok(verdict.note)
    }

    /// [`ServerPins::judge`] without pinning anything: whether the server would be accepted.
    ///
    /// # Errors
    /// [`Refusal`]: not the server expected.
    pub fn assess(
        &self,
        reached: &Reached,
        at: &str,
        proven: Option<PublicKey>,
    ) -> Result<Verdict, Refusal> {
        let server = reached.shown(at);
        let came = match proven {
            Some(key) => format!("proved the key {}", key.fingerprint()),
            None => "proved no key (an older server, or not a labchat server)".to_string(),
        };
        if let Reached::Found(found) = reached {
            if let Some(advertised) = found.key {
                if proven.map(|key| key.fingerprint()) != Some(advertised) {
                    return Err(Refusal::Unproven {
                        server,
                        advertised,
                        came,
                    });
                }
            }
        }
        let name = reached.pin_name().to_string();
        match (self.expected(reached), proven) {
            (Expectation::Given(given), Some(key)) if key.fingerprint() == given => {
                let already = self.pins.get(&name).map(|pin| pin.key) == Some(key);
                Ok(Verdict {
                    note: Some(format!(
                        "The server proved the key you gave ({given}); it is remembered as {:?}.",
                        escape_for_terminal(&name)
                    )),
                    pin: (!already).then_some((name, key)),
                })
            }
            (Expectation::Given(given), _) => Err(Refusal::NotExpected {
                server,
                came,
                expected: format!("the key you gave with --server-key ({given})"),
                forget: String::new(),
            }),
            (Expectation::Pinned(pinned), Some(key))
                if pinned.iter().any(|(_, _, pin)| *pin == key) =>
            {
                Ok(Verdict::default())
            }
            (Expectation::Pinned(pinned), _) => {
                let (pin_name, date, key) = &pinned[0];
                Err(Refusal::NotExpected {
                    server,
                    came,
                    expected: format!(
                        "the key {} of the server you met as {:?} on {date}",
                        key.fingerprint(),
                        escape_for_terminal(pin_name)
                    ),
                    forget: format!(
                        "\nIf your teacher confirms that the server's key changed (a new install), \
                         forget the old key with: client --forget-server {}",
                        shell_word(pin_name)
                    ),
                })
            }
            (Expectation::Nothing, Some(key)) => Ok(Verdict {
                pin: Some((name, key)),
                note: Some(format!(
                    "This is the first time you meet this server; its key fingerprint is {}.\n\
                     Your teacher can confirm it (the server prints it when it starts); from now \
                     on, a server under this name with another key is refused.",
                    key.fingerprint()
                )),
            }),
            (Expectation::Nothing, None) => Ok(Verdict {
                note: Some(
                    "This server proves no key (an older server): nothing shows that it is the \
                     server your teacher runs."
                        .to_string(),
                ),
                pin: None,
            }),
        }
    }

    /// Forgets the pins kept under `name` and names that look the same; says what was
    /// forgotten. `Ok(None)` when nothing was pinned under such a name.
    ///
    /// # Errors
    /// The pins file could not be read or written.
    pub fn forget(name: &str) -> Result<Option<String>, Refusal> {
        let path = Self::default_path().map_err(PinsError::from)?;
        Self::forget_in(&path, name)
    }

    /// [`ServerPins::forget`] in the pins file `path`.
    ///
    /// # Errors
    /// The pins file could not be read or written.
    pub fn forget_in(path: &Path, name: &str) -> Result<Option<String>, Refusal> {
        let mut pins = Pins::load(path)?;
        let key = claim_key(name);
        let doomed: Vec<(String, String, Fingerprint)> = pins
            .iter()
            .filter(|pin| pin.name == name || claim_key(&pin.name) == key)
            .map(|pin| (pin.name.clone(), pin.date.clone(), pin.key.fingerprint()))
            .collect();
        if doomed.is_empty() {
            return Ok(None);
        }
        let mut said = Vec::new();
        for (pinned, date, fingerprint) in doomed {
            pins.remove(&pinned)?;
            said.push(format!(
                "Forgot the key {fingerprint} of {:?} (met on {date}).",
                escape_for_terminal(&pinned)
            ));
        }
        said.push(
            "The next server under that name is met for the first time: compare its key with your teacher."
                .to_string(),
        );
        Ok(Some(said.join("\n")))
    }
}

/// What the client checks each answer to `hello` against, for the whole run: the first
/// connection and every reconnection.
#[derive(Debug)]
pub struct ServerCheck {
    /// The pins and the key given.
    pub pins: ServerPins,
    /// How the server was reached (what it is pinned under).
    pub reached: Reached,
    /// Where it was reached (`10.0.0.5:5000`), to name it.
    pub at: String,
}

impl ServerCheck {
    /// [`ServerPins::judge`] for this server.
    ///
    /// # Errors
    /// [`Refusal`]: not the server expected.
    pub fn judge(&mut self, proven: Option<PublicKey>) -> Result<Option<String>, Refusal> {
        self.pins.judge(&self.reached, &self.at, proven)
    }
}

/// A server accepted: what to tell the person, and what to pin.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Said once (the first meeting, a given key proven, an older server); nothing when it is
    /// the server met before.
    pub note: Option<String>,
    /// The name and key to pin.
    pub pin: Option<(String, PublicKey)>,
}

/// What is expected of one server.
enum Expectation {
    /// The key given with `--server-key`.
    Given(Fingerprint),
    /// Keys pinned under its name, or names that look the same: (name, date, key).
    Pinned(Vec<(String, String, PublicKey)>),
    /// Nothing: a first meeting.
    Nothing,
}

/// `name` as one shell word, to copy into a command: quoted when it holds anything but
/// letters, digits and `.-_:`.
pub fn shell_word(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'));
    if plain {
        name.to_string()
    } else {
        format!("'{}'", escape_for_terminal(name).replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::identity::Identity;
    use std::net::IpAddr;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("labchat-spin-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("servers")
    }

    fn found(name: &str, key: Option<PublicKey>) -> Reached {
        Reached::Found(
            Found::new(name.into(), 5000, vec![IpAddr::from([10, 0, 0, 1])], None)
                .with_key(key.map(|key| key.fingerprint())),
        )
    }

    #[test]
    fn the_first_meeting_pins_and_shows_the_key_then_only_that_key_is_accepted() {
        let path = scratch("first");
        let real = Identity::generate().public();
        let rogue = Identity::generate().public();
        let mut known = ServerPins::load_from(&path, None).unwrap();
        let said = known
            .judge(&found("Lab 3", Some(real)), "10.0.0.1:5000", Some(real))
            .unwrap()
            .unwrap();
        assert!(said.contains("first time you meet this server"), "{said}");
        assert!(said.contains(&real.fingerprint().to_string()), "{said}");
        // Remembered in the file: a new run is silent with the same key.
        let mut known = ServerPins::load_from(&path, None).unwrap();
        assert_eq!(
            known
                .judge(&found("Lab 3", Some(real)), "10.0.0.1:5000", Some(real))
                .unwrap(),
            None
        );
        // The renamed server is the same server.
        assert_eq!(
            known
                .judge(&found("Lab 3 (2)", Some(real)), "10.0.0.1:5000", Some(real))
                .unwrap(),
            None
        );
        // Another key under that name, or under one that looks the same: refused, with what
        // to do.
        for name in ["Lab 3", "Lab 3 (2)", "lab 3"] {
            let refused = known
                .judge(&found(name, Some(rogue)), "10.0.0.9:5000", Some(rogue))
                .unwrap_err();
            let said = refused.to_string();
            assert!(said.starts_with("WARNING: the server"), "{said}");
            assert!(said.contains(&rogue.fingerprint().to_string()), "{said}");
            assert!(said.contains(&real.fingerprint().to_string()), "{said}");
            assert!(said.contains("client HOST PORT --server-key"), "{said}");
            assert!(said.contains("client --forget-server 'Lab 3'"), "{said}");
            assert!(
                refused.summary().contains("the server"),
                "{}",
                refused.summary()
            );
        }
        // A server under that name that proves no key is not the server met either.
        let said = known
            .judge(&found("Lab 3", None), "10.0.0.9:5000", None)
            .unwrap_err()
            .to_string();
        assert!(said.contains("proved no key"), "{said}");
        // Nothing was pinned over the real key.
        let pins = Pins::load(&path).unwrap();
        assert_eq!(pins.iter().count(), 1);
        assert_eq!(pins.get("Lab 3").unwrap().key, real);
    }

    #[test]
    fn a_server_that_cannot_prove_its_advertised_key_is_refused() {
        let path = scratch("unproven");
        let real = Identity::generate().public();
        let rogue = Identity::generate().public();
        let mut known = ServerPins::load_from(&path, None).unwrap();
        // It copied the real server's fingerprint into its record, but holds another key.
        for proven in [Some(rogue), None] {
            let refused = known
                .judge(&found("Lab 3", Some(real)), "10.0.0.9:5000", proven)
                .unwrap_err();
            let said = refused.to_string();
            assert!(
                said.contains(&format!("advertises the key {}", real.fingerprint())),
                "{said}"
            );
            assert!(
                refused.summary().contains("the server"),
                "{}",
                refused.summary()
            );
        }
        assert_eq!(Pins::load(&path).unwrap().iter().count(), 0);
    }

    #[test]
    fn a_given_key_makes_even_the_first_meeting_safe() {
        let path = scratch("given");
        let real = Identity::generate().public();
        let rogue = Identity::generate().public();
        let mut known = ServerPins::load_from(&path, Some(real.fingerprint())).unwrap();
        for (reached, proven) in [
            (found("Lab 3", Some(rogue)), Some(rogue)),
            (found("Lab 3", None), None),
            (
                Reached::Typed {
                    address: "10.0.0.9:5000".into(),
                },
                Some(rogue),
            ),
        ] {
            let said = known
                .judge(&reached, "10.0.0.9:5000", proven)
                .unwrap_err()
                .to_string();
            assert!(
                said.contains("not the key you gave with --server-key"),
                "{said}"
            );
        }
        assert_eq!(Pins::load(&path).unwrap().iter().count(), 0);
        let said = known
            .judge(&found("Lab 3", Some(real)), "10.0.0.1:5000", Some(real))
            .unwrap()
            .unwrap();
        assert!(said.contains("proved the key you gave"), "{said}");
        // Given and proven: pinned, replacing an older pin (how a changed key is taken on).
        assert_eq!(Pins::load(&path).unwrap().get("Lab 3").unwrap().key, real);
    }

    #[test]
    fn a_typed_address_is_pinned_as_typed_and_an_older_server_is_not_pinned() {
        let path = scratch("typed");
        let real = Identity::generate().public();
        let rogue = Identity::generate().public();
        let mut known = ServerPins::load_from(&path, None).unwrap();
        let typed = |address: &str| Reached::Typed {
            address: address.into(),
        };
        let said = known
            .judge(&typed("10.0.0.1:5000"), "10.0.0.1:5000", None)
            .unwrap()
            .unwrap();
        assert!(said.contains("proves no key (an older server)"), "{said}");
        assert_eq!(Pins::load(&path).unwrap().iter().count(), 0);
        known
            .judge(&typed("10.0.0.1:5000"), "10.0.0.1:5000", Some(real))
            .unwrap();
        // Another address is another name.
        assert!(known
            .judge(&typed("lab3:5000"), "10.0.0.1:5000", Some(rogue))
            .unwrap()
            .is_some());
        let said = known
            .judge(&typed("10.0.0.1:5000"), "10.0.0.1:5000", Some(rogue))
            .unwrap_err()
            .to_string();
        assert!(
            said.contains("client --forget-server 10.0.0.1:5000"),
            "{said}"
        );
    }

    #[test]
    fn forgetting_removes_the_name_and_its_look_alikes_only() {
        let path = scratch("forget");
        let mut pins = Pins::load(&path).unwrap();
        pins.set("Lab 3", Identity::generate().public()).unwrap();
        pins.set("Lab 3 (2)", Identity::generate().public())
            .unwrap();
        pins.set("Lab 4", Identity::generate().public()).unwrap();
        let said = ServerPins::forget_in(&path, "lab 3").unwrap().unwrap();
        assert!(said.contains("Forgot the key"), "{said}");
        assert_eq!(said.matches("Forgot").count(), 2, "{said}");
        let left: Vec<String> = Pins::load(&path)
            .unwrap()
            .iter()
            .map(|pin| pin.name.clone())
            .collect();
        assert_eq!(left, ["Lab 4"]);
        assert!(ServerPins::forget_in(&path, "Lab 3").unwrap().is_none());
    }

    #[test]
    fn names_are_quoted_for_the_shell_when_needed() {
        assert_eq!(shell_word("lab3"), "lab3");
        assert_eq!(shell_word("10.0.0.1:5000"), "10.0.0.1:5000");
        assert_eq!(shell_word("Lab 3"), "'Lab 3'");
        assert_eq!(shell_word("Bob's lab"), "'Bob'\\''s lab'");
    }

    /// A record whose name holds a newline (a forged pin line) met once cannot plant a pin for
    /// the real server's name: an impostor under that name with its own key is still refused
    /// afterwards. (Browsing drops such records before this; the pins file refuses the name
    /// too.)
    #[test]
    fn a_newline_in_an_instance_name_plants_no_pin() {
        let path = scratch("plant");
        let real = Identity::generate().public();
        let evil = Identity::generate().public();
        let mut known = ServerPins::load_from(&path, None).unwrap();
        known
            .judge(&found("Lab 3", Some(real)), "10.0.0.1:5000", Some(real))
            .unwrap();
        let planted = format!("L\n{} x Lab 3", evil.to_base64());
        assert!(planted.len() <= 63, "fits one DNS label");
        let _ = known.judge(&found(&planted, Some(evil)), "10.0.0.9:5000", Some(evil));
        let mut known = ServerPins::load_from(&path, None).unwrap();
        let verdict = known.judge(&found("Lab 3", Some(evil)), "10.0.0.9:5000", Some(evil));
        assert!(
            verdict.is_err(),
            "the impostor's key was accepted for Lab 3: {verdict:?}\n{}",
            std::fs::read_to_string(&path).unwrap_or_default()
        );
    }
}
