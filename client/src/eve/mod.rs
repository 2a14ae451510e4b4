//! `eve`, the teaching tool: what a relay on the LAN sees, and what it can change.
//!
//! - [`actions`]: what eve does with a line: lines to write, lines to print, a search.
//! - [`intercept`]: the [`Interceptor`](intercept::Interceptor) fed every line, and its
//!   [`Mode`](intercept::Mode); one file per mode:
//!   - [`watch`]: what every line shows; a toy-group chat read live.
//!   - [`middle`]: eve's own key with each client; secure messages read and sealed again.
//!   - [`grind`]: values held back while eve searches for matching safety codes.
//! - [`search`]: the search itself (`eve --grind`), no sockets and no lines.
pub mod actions;
pub mod grind;
pub mod intercept;
pub mod middle;
pub mod search;
pub mod watch;
