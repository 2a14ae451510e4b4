//! The chat: the threads that talk to the server, and what they know.
//!
//! - [`run`]: the main thread: starts the others, reconnects, says how the client ended.
//! - [`event`]: how a connection ends, as the threads tell the main thread; Ctrl+C.
//! - [`reconnect`]: connecting, and connecting again when the server goes away.
//! - [`reader`]: parses server lines, shows them escaped, follows the conversation.
//! - [`keyboard`]: registers, then turns typed lines into commands.
//! - [`keys`]: the current chat's key agreement and sealed session.
//! - [`explain`]: `--explain`: each key-agreement and message step with its numbers.
//! - [`prompt`]: the prompt's words and the lines held once, for the line editor.
//! - [`link`]: the shared write half of the socket.
//! - [`server_proof`]: `hello <nonce>` and the server's proof of its identity key.
//! - [`state`]: what the threads know about the conversation.
//! - [`trust`]: partners' identities: pinned with `trust`, verified or changed in later chats.
pub mod event;
pub mod explain;
pub mod keyboard;
pub mod keys;
pub mod link;
pub mod prompt;
pub mod reader;
pub mod reconnect;
pub mod run;
pub mod server_proof;
pub mod state;
pub mod trust;
