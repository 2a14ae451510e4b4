//! Partners' identities: pinned once the person compared a safety code (`trust`), checked in
//! every chat after that.
//!
//! A chat whose `GEN_KEYS` said `identity` ends with the partner's proven identity key. This
//! module judges it against the pins in `$XDG_CONFIG_HOME/labchat/partners` (a known_hosts-like
//! file, see [`common::identity::Pins`]) and against the keys partners proved earlier on this
//! connection:
//!
//! - the pinned key again: **verified**, nothing to compare;
//! - no pin: a new partner; compare the code, then `trust`;
//! - a pin and another key, a pin and no identity at all (an older client, or a relay in the
//!   middle that cannot prove it), or a key other than the one this name proved earlier on this
//!   connection: the identity **changed**; `secure:` to that partner is held until the person
//!   compares the new code and types `trust` again (or `forget`s the pin).
//!
//! Names are compared as the server compares them ([`common::fold`]), so `Bob` cannot pass for
//! a partner pinned as `bob` with a new code and no warning.

use common::fold::fold;
use common::identity::{Pin, Pins, PinsError, PublicKey};
use std::collections::HashMap;

/// What this chat's partner proved, judged against the pins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The partner proved the key pinned for its name.
    Verified {
        /// When it was pinned (`YYYY-MM-DD`).
        since: String,
    },
    /// The partner proved a key, and nothing is pinned for its name: compare, then `trust`.
    New(PublicKey),
    /// The partner has no identity, and none is expected of it: not verified, as before.
    NoIdentity,
    /// The identity is not the one expected: `secure:` is held.
    Changed {
        /// The key proven now, if any.
        now: Option<PublicKey>,
        /// What was expected instead, and why.
        expected: Expected,
    },
}

/// Why a key was expected for a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// It is pinned (since the date).
    Pinned(PublicKey, String),
    /// It was proven earlier on this connection.
    SeenEarlier(PublicKey),
}

impl Verdict {
    /// Whether `secure:` to this partner is held until the person decides.
    pub fn holds(&self) -> bool {
        matches!(self, Verdict::Changed { .. })
    }

    /// The key the partner proved in this chat, if any.
    pub fn key(&self) -> Option<PublicKey> {
        match self {
            Verdict::New(key) => Some(*key),
            Verdict::Changed { now, .. } => *now,
            Verdict::Verified { .. } | Verdict::NoIdentity => None,
        }
    }
}

/// The pins, and what partners proved on this connection.
#[derive(Debug)]
pub struct Trust {
    pins: Pins,
    /// The key each name proved earlier on this connection (by folded name).
    seen: HashMap<String, PublicKey>,
    /// The verdict on the current chat, with its partner's name (as the server gave it) and
    /// the key it proved (for `trust`).
    current: Option<(String, Verdict, Option<PublicKey>)>,
}

impl Trust {
    /// Judges partners against `pins`.
    pub fn new(pins: Pins) -> Trust {
        Trust {
            pins,
            seen: HashMap::new(),
            current: None,
        }
    }

    /// The pin for `name`, compared as names are.
    pub fn pin(&self, name: &str) -> Option<&Pin> {
        let key = fold(name);
        self.pins.iter().find(|pin| fold(&pin.name) == key)
    }

    /// The chat with `partner` agreed a key, and the partner proved `key` (`None`: it proved
    /// no identity). Returns the verdict, which stays the current chat's.
    pub fn judge(&mut self, partner: &str, key: Option<PublicKey>) -> Verdict {
        // Another client of this person (another window, a machine with the same NFS home)
        // may have trusted or forgotten someone since; an unreadable file keeps what was
        // loaded.
        let _ = self.pins.reload();
        let folded = fold(partner);
        let pinned = self.pin(partner).map(|pin| (pin.key, pin.date.clone()));
        let earlier = self.seen.get(&folded).copied();
        let verdict = match (pinned, earlier, key) {
            (Some((pinned, since)), _, Some(key)) if pinned == key => Verdict::Verified { since },
            (Some((pinned, since)), _, now) => Verdict::Changed {
                now,
                expected: Expected::Pinned(pinned, since),
            },
            (None, Some(earlier), now) if now != Some(earlier) => Verdict::Changed {
                now,
                expected: Expected::SeenEarlier(earlier),
            },
            (None, _, Some(key)) => Verdict::New(key),
            (None, _, None) => Verdict::NoIdentity,
        };
        if let (Some(key), None) = (key, earlier) {
            self.seen.insert(folded, key);
        }
        self.current = Some((partner.to_string(), verdict.clone(), key));
        verdict
    }

    /// The current chat's verdict, if its key is agreed.
    pub fn current(&self) -> Option<&Verdict> {
        self.current.as_ref().map(|(_, verdict, _)| verdict)
    }

    /// The chat ended: no verdict until the next one.
    pub fn end_chat(&mut self) {
        self.current = None;
    }

    /// `trust`: pins the current partner's key under its name; its chats are verified from
    /// now on, and a held `secure:` is released.
    ///
    /// # Errors
    /// [`TrustError`] when there is nothing to pin, or the file cannot be written.
    pub fn trust_current(&mut self) -> Result<(String, PublicKey), TrustError> {
        let (name, _, key) = self.current.clone().ok_or(TrustError::NoChat)?;
        let key = key.ok_or_else(|| TrustError::NoIdentity(name.clone()))?;
        if let Some(old) = self.pin(&name).map(|pin| pin.name.clone()) {
            self.pins.remove(&old)?;
        }
        self.pins.set(&name, key)?;
        let folded = fold(&name);
        self.seen.insert(folded, key);
        let since = self
            .pin(&name)
            .map(|pin| pin.date.clone())
            .unwrap_or_default();
        self.current = Some((name.clone(), Verdict::Verified { since }, Some(key)));
        Ok((name, key))
    }

    /// `forget <name>`: removes its pin (and what it proved on this connection). A held chat
    /// with that partner is then judged as a first contact. False if nothing was pinned.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn forget(&mut self, name: &str) -> Result<bool, PinsError> {
        let folded = fold(name);
        self.seen.remove(&folded);
        let removed = match self.pin(name).map(|pin| pin.name.clone()) {
            Some(pinned) => self.pins.remove(&pinned)?,
            None => false,
        };
        if let Some((partner, verdict, key)) = self.current.clone() {
            if fold(&partner) == folded && verdict.holds() {
                let verdict = match key {
                    Some(key) => Verdict::New(key),
                    None => Verdict::NoIdentity,
                };
                self.current = Some((partner, verdict, key));
            }
        }
        Ok(removed)
    }
}

/// Why `trust` pinned nothing.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// No chat key is agreed.
    #[error("nothing to trust: no chat's key is agreed (connect to someone first, and wait for the safety code)")]
    NoChat,
    /// The partner proved no identity.
    #[error("this chat proves no identity for {0} (an older client, nc, or someone in the middle who cannot prove one), so there is nothing to pin; compare the safety code in each chat instead (forget {0} removes an old pin)")]
    NoIdentity(String),
    /// The pins file could not be written.
    #[error(transparent)]
    Pins(#[from] PinsError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::identity::Identity;

    fn trust() -> (Trust, tempdir::Dir) {
        let dir = tempdir::Dir::new();
        let pins = Pins::load(&dir.0.join("partners")).unwrap();
        (Trust::new(pins), dir)
    }

    mod tempdir {
        /// A folder removed at the end of a test.
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new() -> Dir {
                use std::sync::atomic::{AtomicU32, Ordering};
                static NEXT: AtomicU32 = AtomicU32::new(0);
                let n = NEXT.fetch_add(1, Ordering::Relaxed);
                let path =
                    std::env::temp_dir().join(format!("labchat-trust-{}-{n}", std::process::id()));
                let _ = std::fs::remove_dir_all(&path);
                Dir(path)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    /// New, then trusted, then verified; another key under the pinned name is a change, and
    /// so is no identity at all.
    #[test]
    fn a_pinned_partner_is_verified_and_a_changed_one_held() {
        let (mut trust, _dir) = trust();
        let bob = Identity::from_seed([1; 32]).public();
        let mallory = Identity::from_seed([2; 32]).public();
        assert_eq!(trust.judge("bob", Some(bob)), Verdict::New(bob));
        assert_eq!(trust.trust_current().unwrap().1, bob);
        assert!(matches!(
            trust.judge("bob", Some(bob)),
            Verdict::Verified { .. }
        ));
        // Compared as names are.
        assert!(matches!(
            trust.judge("Bob", Some(bob)),
            Verdict::Verified { .. }
        ));
        let changed = trust.judge("BOB", Some(mallory));
        assert!(changed.holds(), "{changed:?}");
        assert!(trust.judge("bob", None).holds());
        // Compared again and trusted: the new key is pinned.
        trust.judge("bob", Some(mallory));
        trust.trust_current().unwrap();
        assert!(matches!(
            trust.judge("bob", Some(mallory)),
            Verdict::Verified { .. }
        ));
        assert!(trust.judge("bob", Some(bob)).holds());
        // Forgotten: a first contact again.
        assert!(trust.forget("bob").unwrap());
        assert_eq!(trust.current(), Some(&Verdict::New(bob)));
        assert!(!trust.forget("bob").unwrap());
    }

    /// Without pins, a name that proved one key on this connection and another later (or none)
    /// has changed; a partner without identity and without history is simply not verified.
    #[test]
    fn a_key_other_than_the_one_proved_earlier_is_a_change() {
        let (mut trust, _dir) = trust();
        let bob = Identity::from_seed([1; 32]).public();
        let other = Identity::from_seed([3; 32]).public();
        assert_eq!(trust.judge("carol", None), Verdict::NoIdentity);
        assert!(matches!(
            trust.trust_current(),
            Err(TrustError::NoIdentity(_))
        ));
        assert_eq!(trust.judge("bob", Some(bob)), Verdict::New(bob));
        assert_eq!(trust.judge("bob", Some(bob)), Verdict::New(bob));
        assert!(trust.judge("bob", Some(other)).holds());
        assert!(trust.judge("bob", None).holds());
    }
}
