//! `eve`, the teaching tool: what a relay on the LAN sees, and what it can change.
//!
//! - [`actions`]: what eve does with a line: lines to write, lines to print, a search.
//! - [`intercept`]: the [`Interceptor`](intercept::Interceptor) fed every line, and its
//!   [`Mode`](intercept::Mode); one file per mode:
//!   - [`watch`]: what every line shows; a toy-group chat read live.
//!   - [`middle`]: eve's own key with each client; secure messages read and sealed again.
//!   - [`grind`]: values held back while eve searches for matching safety codes.
//! - [`search`]: the search itself (`eve --grind`), no sockets and no lines.
//! - [`verdict`]: the few rows that sum a chat up when it ends.
//! - [`layout`]: eve's rows on a projector: numbers shortened, wrapped between words.
//! - [`args`]: the command line, checked before eve listens.
//! - [`outbox`]: each socket's queued lines, bounded by the server's back-pressure rules.
//! - [`source`]: the loopback address eve connects from for each student.
//! - [`relay`]: the sockets and threads that move the bytes.
pub mod actions;
pub mod args;
pub mod grind;
pub mod intercept;
pub mod layout;
pub mod middle;
pub mod outbox;
pub mod relay;
pub mod search;
pub mod source;
pub mod verdict;
pub mod watch;
