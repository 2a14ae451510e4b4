//! A private `XDG_CONFIG_HOME` for each process a test starts, so that no test ever reads or
//! writes the real `~/.config/labchat/` (identity keys, pins), and two clients of one test do
//! not share an identity unless the test says so.

use std::path::Path;
use std::process::Command;

/// A fresh, empty configuration folder, removed when dropped. Give one to several spawns
/// (e.g. [`crate::Client::spawn_in`]) to run the same person twice.
#[derive(Debug)]
pub struct ConfigHome {
    dir: tempfile::TempDir,
}

impl ConfigHome {
    /// A new empty folder under the system's temporary folder.
    ///
    /// # Panics
    /// If it cannot be made.
    pub fn new() -> ConfigHome {
        ConfigHome {
            dir: tempfile::Builder::new()
                .prefix("labchat-home-")
                .tempdir()
                .expect("a temporary folder for XDG_CONFIG_HOME"),
        }
    }

    /// The folder, which the process gets as `XDG_CONFIG_HOME`.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `<home>/labchat`, where the programs keep their files.
    pub fn labchat(&self) -> std::path::PathBuf {
        self.dir.path().join("labchat")
    }

    /// Sets `XDG_CONFIG_HOME` of `command` to this folder.
    pub fn apply(&self, command: &mut Command) {
        command.env("XDG_CONFIG_HOME", self.dir.path());
    }
}

impl Default for ConfigHome {
    fn default() -> Self {
        ConfigHome::new()
    }
}
