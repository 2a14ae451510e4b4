//! The server's log: one timestamped line on stderr per join, leave, chat start and end.

use std::fmt;
use std::io::Write;
use std::time::SystemTime;

/// Writes one log line, prefixed with the UTC time.
pub fn write(args: fmt::Arguments<'_>) {
    let now = humantime::format_rfc3339_seconds(SystemTime::now());
    let _ = writeln!(std::io::stderr().lock(), "{now} {args}");
}

/// `log!("{name} joined")`: a timestamped line on stderr.
#[macro_export]
macro_rules! log {
    ($($arg:tt)*) => {
        $crate::log::write(format_args!($($arg)*))
    };
}
