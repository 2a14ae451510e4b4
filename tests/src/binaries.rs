//! Finds the workspace's `server` and `client` executables, building them once if needed.
//!
//! Cargo only builds a package's own binaries for its integration tests, and these live in other
//! packages, so the first test to ask runs `cargo build` for them (a no-op when they are fresh).

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// Path of the workspace binary `name` (`"server"` or `"client"`), built with the same profile
/// as the running test.
///
/// # Panics
/// If the build fails.
pub fn binary(name: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test knows its own path");
        // target/<profile>/deps/<test> -> target/<profile>
        let dir = exe
            .parent()
            .and_then(|p| p.parent())
            .expect("test runs from target/<profile>/deps")
            .to_path_buf();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build.args(["build", "--quiet", "-p", "server", "-p", "client", "--bins"]);
        if !cfg!(debug_assertions) {
            build.arg("--release");
        }
        let status = build.status().expect("cargo can be run");
        assert!(status.success(), "building the server and client failed");
        dir
    });
    let path = dir.join(name);
    assert!(path.exists(), "{} was not built", path.display());
    path
}
