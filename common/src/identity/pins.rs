//! The keys a person has checked, one per name: a small text file in the manner of ssh's
//! `known_hosts`.
//!
//! Each line is `<public key in base64> <date pinned, YYYY-MM-DD> <name>`; the name is the rest
//! of the line, so it may hold spaces (a server advertised as `Lab 3`). Lines starting with `#`
//! and blank lines are comments. The caller decides what a name is (a partner's name, or a
//! server's advertised name); this module only keeps one key per name. The file is private
//! (0600) and written whole (see [`super::store`]).

use std::path::{Path, PathBuf};

use thiserror::Error;

use super::date;
use super::key::PublicKey;
use super::store::{self, StoreError};

/// What went wrong with a pins file.
#[derive(Debug, Error)]
pub enum PinsError {
    /// The file could not be used.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A name that cannot be written on one line of the file (a control character, or
    /// spaces at either end): it came from the network, so it is refused, never written.
    #[error(
        "the name {0:?} holds a control character or spaces at either end, so it is not pinned"
    )]
    BadName(String),
    /// A line is not `<key> <date> <name>`.
    #[error("{path}, line {line}: not '<key> <date> <name>'; correct or delete that line")]
    Malformed {
        /// The file.
        path: String,
        /// The line number, from 1.
        line: usize,
    },
}

/// One pinned key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// The name it is pinned under.
    pub name: String,
    /// The key checked for that name.
    pub key: PublicKey,
    /// When it was pinned (`YYYY-MM-DD`).
    pub date: String,
}

/// A pins file, loaded.
#[derive(Debug)]
pub struct Pins {
    path: PathBuf,
    pins: Vec<Pin>,
}

impl Pins {
    /// Loads `path`; a missing file is an empty set of pins. A file others may read, or in a
    /// folder others may write to, is refused (ssh's rule, as for keys): others could have put
    /// pins of their own there.
    pub fn load(path: &Path) -> Result<Self, PinsError> {
        if let Some(parent) = path.parent().filter(|dir| dir.exists()) {
            store::check_folder(parent)?;
        }
        let text = store::read_private(path)?.unwrap_or_default();
        let mut pins = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim_end();
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let malformed = || PinsError::Malformed {
                path: path.display().to_string(),
                line: index + 1,
            };
            let mut fields = line.splitn(3, ' ');
            let key = fields
                .next()
                .and_then(PublicKey::from_base64)
                .ok_or_else(malformed)?;
            let date = fields
                .next()
                .filter(|date| !date.is_empty())
                .ok_or_else(malformed)?;
            let name = fields
                .next()
                .filter(|name| !name.is_empty())
                .ok_or_else(malformed)?;
            pins.push(Pin {
                name: name.to_string(),
                key,
                date: date.to_string(),
            });
        }
        Ok(Pins {
            path: path.to_path_buf(),
            pins,
        })
    }

    /// The pin for `name`, if any.
    pub fn get(&self, name: &str) -> Option<&Pin> {
        self.pins.iter().find(|pin| pin.name == name)
    }

    /// Every pin, in file order.
    pub fn iter(&self) -> impl Iterator<Item = &Pin> {
        self.pins.iter()
    }

    /// Reads the file again: another client of the same person (another window, another
    /// machine with the same NFS home) may have pinned or forgotten a key since.
    pub fn reload(&mut self) -> Result<(), PinsError> {
        *self = Pins::load(&self.path)?;
        Ok(())
    }

    /// Pins `key` for `name` with today's date, replacing any earlier pin for that name, and
    /// saves the file. The file is read again first, so that pins another client made
    /// meanwhile are kept. A name that would not stay one line (see [`PinsError::BadName`])
    /// is refused.
    pub fn set(&mut self, name: &str, key: PublicKey) -> Result<(), PinsError> {
        if !is_one_line(name) {
            return Err(PinsError::BadName(name.to_string()));
        }
        self.reload()?;
        self.pins.retain(|pin| pin.name != name);
        self.pins.push(Pin {
            name: name.to_string(),
            key,
            date: date::today(),
        });
        self.save()
    }

    /// Forgets the pin for `name` and saves the file (read again first, as for
    /// [`Pins::set`]); `false` if there was none.
    pub fn remove(&mut self, name: &str) -> Result<bool, PinsError> {
        self.reload()?;
        let before = self.pins.len();
        self.pins.retain(|pin| pin.name != name);
        if self.pins.len() == before {
            return Ok(false);
        }
        self.save()?;
        Ok(true)
    }

    fn save(&self) -> Result<(), PinsError> {
        let mut text =
            String::from("# labchat pins, one key per name: <key> <date pinned> <name>\n");
        for pin in &self.pins {
            text.push_str(&format!(
                "{} {} {}\n",
                pin.key.to_base64(),
                pin.date,
                pin.name
            ));
        }
        store::write_private(&self.path, &text)?;
        Ok(())
    }
}

/// Whether `name` can be written as the rest of one line and read back the same: no control
/// character (a newline would start a line of the attacker's choosing) and no space at
/// either end (trimmed on reading).
pub fn is_one_line(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(char::is_control) && name.trim() == name
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::identity::Identity;

    #[test]
    fn pins_survive_a_reload_and_names_may_hold_spaces() {
        let dir = std::env::temp_dir().join(format!("labchat-pins-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let path = dir.join("partners");
        let bob = Identity::generate().public();
        let lab = Identity::generate().public();
        let mut pins = Pins::load(&path).unwrap();
        assert!(pins.get("bob").is_none());
        pins.set("bob", bob).unwrap();
        pins.set("Lab 3", lab).unwrap();
        let mut reloaded = Pins::load(&path).unwrap();
        assert_eq!(reloaded.get("bob").unwrap().key, bob);
        assert_eq!(reloaded.get("Lab 3").unwrap().key, lab);
        assert_eq!(reloaded.get("bob").unwrap().date, date::today());
        reloaded.set("bob", lab).unwrap();
        assert_eq!(Pins::load(&path).unwrap().get("bob").unwrap().key, lab);
        assert!(reloaded.remove("bob").unwrap());
        assert!(!reloaded.remove("bob").unwrap());
        assert!(Pins::load(&path).unwrap().get("bob").is_none());
        assert_eq!(Pins::load(&path).unwrap().iter().count(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A name from the network that holds a newline would add a line of the sender's choosing
    /// (a pin for another name): refused, and the file is unchanged.
    #[test]
    fn a_name_that_would_add_a_line_is_refused() {
        let dir = std::env::temp_dir().join(format!("labchat-inject-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let path = dir.join("servers");
        let evil = Identity::generate().public();
        let mut pins = Pins::load(&path).unwrap();
        for name in [
            format!("L\n{} 2026-01-01 Lab 3", evil.to_base64()),
            "x\ry".to_string(),
            "\u{1b}[2J".to_string(),
            "a\tb".to_string(),
            "a\u{85}b".to_string(),
            " Lab 3".to_string(),
            "Lab 3 ".to_string(),
            String::new(),
        ] {
            assert!(
                matches!(pins.set(&name, evil), Err(PinsError::BadName(_))),
                "{name:?}"
            );
        }
        let reloaded = Pins::load(&path).unwrap();
        assert!(reloaded.get("Lab 3").is_none());
        assert_eq!(reloaded.iter().count(), 0);
        fs::remove_dir_all(&dir).ok();
    }

    /// Two clients of one person with the pins file loaded: what one pins, the other's later
    /// pin or forget keeps.
    #[test]
    fn two_clients_keep_each_other_s_pins() {
        let dir = std::env::temp_dir().join(format!("labchat-twoclients-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let path = dir.join("partners");
        let (bob, carol, dave) = (
            Identity::generate().public(),
            Identity::generate().public(),
            Identity::generate().public(),
        );
        let mut first = Pins::load(&path).unwrap();
        let mut second = Pins::load(&path).unwrap();
        second.set("bob", bob).unwrap();
        first.set("carol", carol).unwrap();
        first.set("dave", dave).unwrap();
        first.remove("dave").unwrap();
        let file = Pins::load(&path).unwrap();
        assert_eq!(file.get("bob").map(|pin| pin.key), Some(bob));
        assert_eq!(file.get("carol").map(|pin| pin.key), Some(carol));
        assert!(file.get("dave").is_none());
        first.reload().unwrap();
        assert_eq!(first.get("bob").map(|pin| pin.key), Some(bob));
        fs::remove_dir_all(&dir).ok();
    }

    /// Pins in a folder others may write to could be theirs: refused when loaded.
    #[test]
    fn pins_in_a_folder_others_may_write_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("labchat-openpins-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let path = dir.join("partners");
        Pins::load(&path)
            .unwrap()
            .set("bob", Identity::generate().public())
            .unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        let error = Pins::load(&path).unwrap_err().to_string();
        assert!(error.contains("chmod go-w"), "{error}");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
        assert!(Pins::load(&path).unwrap().get("bob").is_some());
        fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_bad_line_is_named() {
        let dir = std::env::temp_dir().join(format!("labchat-badpins-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let path = dir.join("partners");
        store::write_private(&path, "# comment\n\nnot-a-key 2026-01-01 bob\n").unwrap();
        let error = Pins::load(&path).unwrap_err().to_string();
        assert!(error.contains("line 3"), "{error}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
