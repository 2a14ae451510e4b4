//! The terminal: where typed lines come from and where shown lines go.
//!
//! - [`input`]: where typed lines come from: a pipe, or the line editor and its prompt.
//! - [`line_editor`]: the line editor at a terminal, which never asks where the cursor is.
//! - [`mod@line`]: the line being typed and the history, as pure editing.
//! - [`render`]: drawing the prompt and line, and printing messages above them.
//! - [`screen`]: where lines are shown: stdout, or above the line editor's prompt.
//! - [`status`]: the `status` answer as an aligned table.
//! - [`style`]: colours, and when the client is interactive or plain.
//! - [`wrap`]: long notices broken between words at a terminal.
pub mod input;
pub mod line;
pub mod line_editor;
pub mod render;
pub mod screen;
pub mod status;
pub mod style;
pub mod wrap;
