//! The server's log: one timestamped line on stderr per join, leave, chat start and end.

use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::time::SystemTime;

/// Writes one log line, prefixed with the UTC time.
///
/// The line is formatted first and written with one `write`: stderr is unbuffered, so
/// formatting straight into it costs a system call per piece of the line.
pub fn write(args: fmt::Arguments<'_>) {
    let now = humantime::format_rfc3339_seconds(SystemTime::now());
    let mut line = String::with_capacity(96);
    let _ = writeln!(line, "{now} {args}");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// `log!("{name} joined")`: a timestamped line on stderr.
#[macro_export]
macro_rules! log {
    ($($arg:tt)*) => {
        $crate::log::write(format_args!($($arg)*))
    };
}
