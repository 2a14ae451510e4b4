//! Command-line parsing with errors in one line, for every binary of the workspace.
//!
//! clap explains a usage error over several lines (the problem, an indented list of what was
//! missing, a usage block, a hint). A person starting a lab server wants one line naming the
//! problem, so every binary parses its arguments with [`parse_or_exit`], which prints
//! [`one_line`] of clap's text followed by the binary's usage and exits 2.

use std::process::ExitCode;

/// Parses the command line into `T`.
///
/// # Errors
/// The exit code `main` should return instead of running: 0 after `--help` or `--version`
/// (printed), 2 after a usage error (printed on stderr as `<program>: <problem>; usage:
/// <usage> (see <program> --help)`).
pub fn parse_or_exit<T: clap::Parser>(program: &str, usage: &str) -> Result<T, ExitCode> {
    match T::try_parse() {
        Ok(args) => Ok(args),
        Err(err) if !err.use_stderr() => {
            let _ = err.print();
            Err(ExitCode::SUCCESS)
        }
        Err(err) => {
            let problem = one_line(&err.to_string());
            eprintln!("{program}: {problem}; usage: {usage} (see {program} --help)");
            Err(ExitCode::from(2))
        }
    }
}

/// The first line of a rendered usage error, without clap's `error: ` prefix; when that line
/// ends with a colon, the indented items that follow it are joined onto it.
///
/// ```
/// let clap = "error: the following required arguments were not provided:\n  <PORT>\n\nUsage: server <PORT>\n";
/// assert_eq!(common::usage::one_line(clap), "the following required arguments were not provided: <PORT>");
/// ```
pub fn one_line(rendered: &str) -> String {
    let mut lines = rendered.lines();
    let first = lines.next().unwrap_or("bad arguments");
    let first = first.strip_prefix("error: ").unwrap_or(first).trim_end();
    if !first.ends_with(':') {
        return first.to_string();
    }
    let items: Vec<&str> = lines
        .take_while(|l| l.starts_with("  "))
        .map(str::trim)
        .collect();
    format!("{first} {}", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn keeps_one_line() {
        let cases = [
            (
                "error: invalid value 'abc' for '<PORT>': invalid digit found in string\n\nFor more information, try '--help'.\n",
                "invalid value 'abc' for '<PORT>': invalid digit found in string",
            ),
            (
                "error: the following required arguments were not provided:\n  <HOST>\n  <PORT>\n\nUsage: client <HOST> <PORT>\n",
                "the following required arguments were not provided: <HOST>, <PORT>",
            ),
            ("", "bad arguments"),
        ];
        for (rendered, want) in cases {
            assert_eq!(one_line(rendered), want);
        }
    }
}
