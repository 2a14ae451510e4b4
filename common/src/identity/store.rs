//! Where identity files live, and the rule that they are private.
//!
//! As ssh does with `~/.ssh`, a key that others could read (or a folder where others could
//! replace it) is refused rather than used, and the error gives the command that fixes it.
//! New folders are made 0700 and new files 0600; a file is written whole to a temporary name
//! in the same folder and renamed over the old one, so a crash never leaves half a key.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use thiserror::Error;

/// What went wrong with an identity folder or file.
#[derive(Debug, Error)]
pub enum StoreError {
    /// Neither `XDG_CONFIG_HOME` nor `HOME` is set.
    #[error("cannot find a folder for labchat's identity: set HOME or XDG_CONFIG_HOME, or give --identity FILE")]
    NoHome,
    /// Others may read or change the folder or file.
    #[error("{path} is readable or writable by others (mode {mode:o}); an identity must be private. Fix it with: chmod {fix:o} {path}")]
    TooOpen {
        /// The folder or file.
        path: String,
        /// Its permission bits.
        mode: u32,
        /// The mode to set (0700 for a folder, 0600 for a file).
        fix: u32,
    },
    /// A folder others may write to: anyone there could put a key of their own in place of
    /// this one (ssh refuses such folders too).
    #[error("{path} is a folder others can write to (mode {mode:o}), so anyone could replace a key kept there. Fix it with: chmod go-w {path}")]
    FolderOpen {
        /// The folder.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// A folder everyone shares, such as `/tmp` (writable by all, with the sticky bit): it
    /// must not be made private, so the key belongs elsewhere.
    #[error("{path} is a folder everyone shares (mode {mode:o}, like /tmp), so anyone could put a key there before you do; keep the key in a folder of your own, such as ~/.config/labchat/")]
    SharedFolder {
        /// The folder.
        path: String,
        /// Its permission bits, sticky bit included.
        mode: u32,
    },
    /// Reading, writing or creating failed.
    #[error("{path}: {source}")]
    Io {
        /// The folder or file.
        path: String,
        /// What the system said.
        source: io::Error,
    },
}

impl StoreError {
    fn io(path: &Path, source: io::Error) -> Self {
        StoreError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

/// `$XDG_CONFIG_HOME/labchat`, or `$HOME/.config/labchat` when `XDG_CONFIG_HOME` is unset or
/// empty (the XDG base directory rule).
pub fn config_dir() -> Result<PathBuf, StoreError> {
    let from = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
    if let Some(config) = from("XDG_CONFIG_HOME") {
        return Ok(PathBuf::from(config).join("labchat"));
    }
    let home = from("HOME").ok_or(StoreError::NoHome)?;
    Ok(PathBuf::from(home).join(".config").join("labchat"))
}

/// Makes `dir` (and its parents) if missing, the last one 0700; refuses an existing folder
/// that others may write to ([`check_folder`]).
pub fn private_dir(dir: &Path) -> Result<(), StoreError> {
    if !dir.exists() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|error| StoreError::io(dir, error))?;
    }
    check_folder(dir)
}

/// Refuses a folder its group or others may write to, as ssh refuses one for its keys: they
/// could replace a key file kept there. Reading is no danger to the folder itself (the files
/// in it are private, see [`check_private`]). A folder everyone shares, such as `/tmp`, gets
/// its own advice: it must stay shared, so the key belongs elsewhere.
pub fn check_folder(dir: &Path) -> Result<(), StoreError> {
    let meta = fs::metadata(dir).map_err(|error| StoreError::io(dir, error))?;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o022 == 0 {
        return Ok(());
    }
    let path = dir.display().to_string();
    if mode & 0o1002 == 0o1002 {
        return Err(StoreError::SharedFolder { path, mode });
    }
    Err(StoreError::FolderOpen {
        path,
        mode: mode & 0o777,
    })
}

/// Refuses `path` if its group or others have any permission on it. `fix` is the mode the
/// error tells the user to set.
pub fn check_private(path: &Path, fix: u32) -> Result<(), StoreError> {
    let meta = fs::metadata(path).map_err(|error| StoreError::io(path, error))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(StoreError::TooOpen {
            path: path.display().to_string(),
            mode,
            fix,
        });
    }
    Ok(())
}

/// Reads a private file: `None` when it does not exist, an error when others may read it.
pub fn read_private(path: &Path) -> Result<Option<String>, StoreError> {
    match fs::read_to_string(path) {
        Ok(text) => {
            check_private(path, 0o600)?;
            Ok(Some(text))
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(StoreError::io(path, error)),
    }
}

/// Writes `text` to `path` as a 0600 file, whole or not at all: a temporary file in the same
/// folder, synced, then renamed over `path`. The folder is made private first.
pub fn write_private(path: &Path, text: &str) -> Result<(), StoreError> {
    let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty());
    if let Some(dir) = dir {
        private_dir(dir)?;
    }
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    written.map_err(|error| {
        let _ = fs::remove_file(&temp);
        StoreError::io(path, error)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("labchat-store-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn new_folders_and_files_are_private() {
        let dir = scratch("new").join("labchat");
        let file = dir.join("identity");
        write_private(&file, "secret").unwrap();
        assert_eq!(
            fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        assert_eq!(
            fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(read_private(&file).unwrap().as_deref(), Some("secret"));
        write_private(&file, "again").unwrap();
        assert_eq!(read_private(&file).unwrap().as_deref(), Some("again"));
        fs::remove_dir_all(dir.parent().unwrap()).unwrap();
    }

    #[test]
    fn a_file_others_can_read_is_refused_with_the_fix() {
        let dir = scratch("open");
        let file = dir.join("identity");
        write_private(&file, "secret").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
        let error = read_private(&file).unwrap_err().to_string();
        assert!(error.contains("chmod 600"), "{error}");
        assert!(error.contains("mode 644"), "{error}");
        // A folder others may read is fine (its files are private); one they may write is not.
        fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        private_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o775)).unwrap();
        let error = private_dir(&dir).unwrap_err().to_string();
        assert!(error.contains("chmod go-w"), "{error}");
        // A folder everyone shares is never to be made private: the advice is another folder.
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o1777)).unwrap();
        let error = private_dir(&dir).unwrap_err().to_string();
        assert!(error.contains("a folder of your own"), "{error}");
        assert!(!error.contains("chmod"), "{error}");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_file_is_none() {
        let dir = scratch("missing");
        assert!(read_private(&dir.join("nothing")).unwrap().is_none());
    }
}
