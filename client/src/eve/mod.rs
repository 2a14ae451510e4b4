//! `eve`, the teaching tool: what a relay on the LAN sees, and what it can change.
//!
//! - [`intercept`]: what an eavesdropper learns from the wire, and the relay in the middle.
//! - [`search`]: the search for matching safety codes a relay in the middle runs (`eve --grind`).
pub mod intercept;
pub mod search;
