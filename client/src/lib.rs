//! The labchat client: a reader thread (server to screen) and a keyboard thread (typed lines to
//! server), with Ctrl+C ending the chat and disconnecting cleanly.
//!
//! At a terminal the keyboard is a line editor with a prompt that says where you are
//! (`alice -> bob> `): incoming lines appear above the prompt and never garble a half-typed
//! line, with history and colours. With stdin or stdout not a terminal (pipes, scripts, tests)
//! the client reads plain lines and prints plain lines: no prompt, no escape codes.
//!
//! Layout, each folder importing only from those below it (and from `common`):
//! - [`chat`]: the conversation: the main thread, the reader and keyboard threads, the shared
//!   state, the chat's key, reconnecting.
//! - [`terminal`]: typed lines (a pipe or the line editor) and shown lines (the screen); knows
//!   nothing of the chat.
//! - [`browse`]: `client` with no address: finds servers on the LAN, asks which if several.
//! - [`server_pin`]: the servers met before: each one's key, pinned, and what to do when a
//!   server proves another.
//! - [`eve`]: the `eve` teaching tool: what a relay sees, and the relay in the middle.
#![forbid(unsafe_code)]

pub mod browse;
pub mod chat;
pub mod eve;
pub mod server_pin;
pub mod terminal;

pub use chat::reconnect::connect;
pub use chat::run::{run, Options, Outcome};
