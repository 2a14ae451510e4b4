//! The numbers both ends of the wire agree on, in one place so they cannot drift apart.

/// Longest line, in bytes, without its `\n`, that either side accepts. Longer lines are refused
/// with an error and never buffered beyond this size.
pub const MAX_LINE_LEN: usize = 8 * 1024;

/// A client that keeps sending a single line past this many bytes is disconnected: it is not a
/// person typing.
pub const MAX_DISCARD_LEN: usize = 1024 * 1024;

/// Longest user name, in characters.
pub const MAX_NAME_LEN: usize = 32;
