//! The chat: the threads that talk to the server, and what they know.
//!
//! - [`reader`]: parses server lines, shows them escaped, follows the conversation.
//! - [`keyboard`]: registers, then turns typed lines into commands.
//! - [`keys`]: the current chat's key agreement and sealed session.
//! - [`explain`]: `--explain`: each key-agreement and message step with its numbers.
//! - [`link`]: the shared write half of the socket.
//! - [`state`]: what the threads know about the conversation.
pub mod explain;
pub mod keyboard;
pub mod keys;
pub mod link;
pub mod reader;
pub mod state;
