//! The second door: a Unix socket that only the server's owner can open, so a server whose
//! standard input is `/dev/null` (under systemd, say) can be moderated with `server console`.
//!
//! Where: `--console-socket PATH`, or by default `console-<port>.sock` in
//! `$XDG_RUNTIME_DIR/labchat/`, or in `/tmp/labchat-<uid>/` when `XDG_RUNTIME_DIR` is not set.
//! The folder is made private (0700) when it is made, and a `/tmp` folder someone else made
//! is refused; the socket itself is 0600, and a connection from another user (but root) is
//! refused anyway (its credentials are checked), so the operator's commands are the owner's
//! alone.
//!
//! One server per path: a socket file that a live server answers on is left alone (the
//! second server says so); one nobody answers on (left by a server that was killed) is stale
//! and replaced. The file is removed when the server stops.

use super::door;
use super::operator::{Door, Operator};
use crate::log;
use std::fs::{self, DirBuilder, Permissions};
use std::io::{self, BufReader, Write};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::thread;
use thiserror::Error;

/// Why the control socket could not be opened.
#[derive(Debug, Error)]
pub enum SocketError {
    /// A live server answers on the path.
    #[error("another server is using the console socket {0}; stop it, or give this one another path with --console-socket PATH")]
    InUse(PathBuf),
    /// Something that is not a socket is in the way.
    #[error(
        "{0} exists and is not a socket; remove it or give another path with --console-socket PATH"
    )]
    NotSocket(PathBuf),
    /// The default folder in `/tmp` belongs to someone else or others can enter it.
    #[error("{0} is not private to you (it must be yours, mode 0700); remove it or give --console-socket PATH")]
    NotPrivate(PathBuf),
    /// Neither `XDG_RUNTIME_DIR` nor a temporary folder can be used.
    #[error("cannot {what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// To which path.
        path: PathBuf,
        /// The system's reason.
        source: io::Error,
    },
}

/// The default path of the console socket of the server on `port`.
pub fn default_path(port: u16) -> PathBuf {
    default_dir().join(format!("console-{port}.sock"))
}

/// `$XDG_RUNTIME_DIR/labchat`, else `<temp>/labchat-<uid>`.
fn default_dir() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir).join("labchat"),
        _ => std::env::temp_dir().join(format!("labchat-{}", uid())),
    }
}

fn uid() -> u32 {
    rustix::process::getuid().as_raw()
}

/// The console socket, listening; the file is removed when this is dropped.
#[derive(Debug)]
pub struct ControlSocket {
    listener: UnixListener,
    path: PathBuf,
    /// The socket file's inode, so that dropping removes only our own file.
    inode: u64,
}

impl ControlSocket {
    /// Opens the socket at `path`: makes its folder (private), replaces a stale socket, and
    /// makes the new one readable and writable by the owner alone. `private_dir`: the folder
    /// is the default one, which must be private to the owner if it exists already.
    ///
    /// # Errors
    /// A [`SocketError`] naming the path and what to do.
    pub fn bind(path: &Path, private_dir: bool) -> Result<ControlSocket, SocketError> {
        let io = |what, path: &Path| {
            let path = path.to_path_buf();
            move |source| SocketError::Io { what, path, source }
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.exists() {
                DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(dir)
                    .map_err(io("make the folder", dir))?;
            } else if private_dir {
                let meta = fs::metadata(dir).map_err(io("look at", dir))?;
                if meta.uid() != uid() || meta.mode() & 0o077 != 0 {
                    return Err(SocketError::NotPrivate(dir.to_path_buf()));
                }
            }
        }
        match fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_socket() => match UnixStream::connect(path) {
                Ok(_) => return Err(SocketError::InUse(path.to_path_buf())),
                Err(err) if err.kind() == io::ErrorKind::ConnectionRefused => {
                    fs::remove_file(path).map_err(io("remove the stale socket", path))?;
                    log!("console: replaced a stale socket at {}", path.display());
                }
                Err(err) => return Err(io("try the socket", path)(err)),
            },
            Ok(_) => return Err(SocketError::NotSocket(path.to_path_buf())),
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => return Err(io("look at", path)(err)),
        }
        let listener = UnixListener::bind(path).map_err(|err| {
            if err.kind() == io::ErrorKind::AddrInUse {
                SocketError::InUse(path.to_path_buf())
            } else {
                io("listen on", path)(err)
            }
        })?;
        fs::set_permissions(path, Permissions::from_mode(0o600))
            .map_err(io("make private", path))?;
        let inode = fs::symlink_metadata(path)
            .map_err(io("look at", path))?
            .ino();
        Ok(ControlSocket {
            listener,
            path: path.to_path_buf(),
            inode,
        })
    }

    /// Where the socket is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Answers the operator on every connection, each on a thread of its own, until the
    /// process exits. Returns what removes the socket file when dropped.
    ///
    /// # Errors
    /// The accepting thread could not be started.
    pub fn open(self, operator: Operator) -> io::Result<SocketFile> {
        let file = SocketFile {
            path: self.path.clone(),
            inode: self.inode,
        };
        let listener = self.listener;
        thread::Builder::new()
            .name("console-accept".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    match stream {
                        Ok(stream) => answer(stream, operator.clone()),
                        Err(err) => log!("console: accept failed: {err}"),
                    }
                }
            })?;
        Ok(file)
    }
}

/// Serves one `server console` connection, if it comes from the server's owner.
fn answer(stream: UnixStream, operator: Operator) {
    match rustix::net::sockopt::socket_peercred(&stream) {
        // root may too: it can do anything to the process anyway (`sudo server console`).
        Ok(cred) if cred.uid.as_raw() == uid() || cred.uid.is_root() => {}
        Ok(cred) => {
            log!(
                "console: refused a connection from user {} (only the server's owner may use it)",
                cred.uid.as_raw()
            );
            let _ = writeln!(
                &stream,
                "error: only the user who runs the server may use its console"
            );
            return;
        }
        Err(err) => {
            log!("console: refused a connection whose user is unknown: {err}");
            return;
        }
    }
    let started = thread::Builder::new()
        .name("console".into())
        .spawn(move || {
            door::serve(BufReader::new(&stream), &stream, &operator, Door::Socket);
        });
    if let Err(err) = started {
        log!("console: cannot start a thread for a connection: {err}");
    }
}

/// The socket file; dropping it removes the file if it is still the one this server made.
#[derive(Debug)]
pub struct SocketFile {
    path: PathBuf,
    inode: u64,
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        if fs::symlink_metadata(&self.path).is_ok_and(|m| m.ino() == self.inode) {
            let _ = fs::remove_file(&self.path);
        }
    }
}
