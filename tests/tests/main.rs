//! labchat's integration tests as one program: the real `server`, `client` and `eve` binaries
//! driven through stdin, signals, sockets and terminals. One module per file, as ripgrep's
//! `tests/tests.rs` does, so the suite links once and its tests run side by side; tests that
//! must not overlap take a [`tests::Serial`] group. The load-heavy tests are the other
//! program, `stress.rs`, which `cargo test` runs on its own, after this one (binaries run in
//! name order).
//!
//! libtest starts tests in name order, up to `RUST_TEST_THREADS` at once (8, from
//! `.cargo/config.toml`). `absent_hosts` sorts first on purpose: it holds the suite's longest
//! wait (about 40 s for keepalive to notice an unplugged host), which then overlaps everything
//! else instead of starting last.
//!
//! No test announces anything to the machine's real network: servers start with
//! `--no-advertise`, and only the discovery tests advertise, inside network namespaces they
//! made (`tests::netns`).

mod absent_hosts;
mod bad_input;
mod chat_restarts;
mod client_house;
mod client_words;
mod command_budget;
mod console;
mod control_lines;
mod discovery;
mod eve;
mod eve_classroom;
mod explain;
mod graceful_close;
mod harness;
mod identity;
mod impostor;
mod key_exchange_attacks;
mod key_patience;
mod limits;
mod look_alike_names;
mod lost_connection;
mod network_ceiling;
mod pairing_races;
mod piped_secure;
mod protocol_gaps;
mod pty_screen;
mod races;
mod raw_socket;
mod reconnect;
mod refusals;
mod secure;
mod secure_spellings;
mod server_proof;
mod session;
mod signals;
mod startup;
mod status_limit;
mod terminal;
mod turned_away;
