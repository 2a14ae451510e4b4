//! One door's loop, the same for standard input and each control-socket connection: read a
//! line, carry it out, write the answer, until end of input or `stop`.

use super::operator::{Door, Operator};
use std::io::{self, BufRead, Read, Write};

/// The longest console line read; the rest of a longer one is read and refused with it.
const MAX_CONSOLE_LINE: usize = 16 * 1024;

/// Answers every line of `input` on `output` until end of input, a broken `output`, or
/// `stop` (answered, then the loop ends). Returns true after `stop`.
pub fn serve(
    mut input: impl BufRead,
    mut output: impl Write,
    operator: &Operator,
    door: Door,
) -> bool {
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = input
            .by_ref()
            .take(MAX_CONSOLE_LINE as u64)
            .read_until(b'\n', &mut line);
        match read {
            Ok(0) | Err(_) => return false,
            Ok(_) => {}
        }
        if line.last() != Some(&b'\n') && line.len() >= MAX_CONSOLE_LINE {
            // Too long: skip to its end, then refuse it.
            if skip_line(&mut input).is_err() {
                return false;
            }
            if writeln!(
                output,
                "error: the line is too long (more than {MAX_CONSOLE_LINE} bytes)"
            )
            .and_then(|()| output.flush())
            .is_err()
            {
                return false;
            }
            continue;
        }
        let answer = match std::str::from_utf8(&line) {
            Ok(text) => operator.run(text, door),
            Err(_) => super::operator::Answer {
                lines: vec!["error: the line is not valid UTF-8".to_string()],
                stopping: false,
            },
        };
        let mut text = String::new();
        for l in &answer.lines {
            text.push_str(l);
            text.push('\n');
        }
        if output
            .write_all(text.as_bytes())
            .and_then(|()| output.flush())
            .is_err()
        {
            return answer.stopping;
        }
        if answer.stopping {
            return true;
        }
    }
}

/// Reads up to and including the next `\n` (or end of input), keeping nothing.
fn skip_line(input: &mut impl BufRead) -> io::Result<()> {
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(at) => {
                input.consume(at + 1);
                return Ok(());
            }
            None => {
                let len = buf.len();
                input.consume(len);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::users::Users;
    use std::sync::Arc;

    /// Lines too long or not UTF-8 are refused and the door goes on; `stop` is answered and
    /// ends it (the line after it is not read), and asks the server to stop.
    #[test]
    fn bad_lines_are_refused_and_stop_ends_the_door() {
        let (stop, stopped) = crossbeam_channel::bounded(1);
        let operator = Operator::new(Arc::new(Users::new(10)), stop);
        let mut input = b"list\n".to_vec();
        input.extend(vec![b'x'; MAX_CONSOLE_LINE * 2]);
        input.extend(b"\n\xff\xfe\n\nstop\nlist\n");
        let mut output = Vec::new();
        assert!(serve(&input[..], &mut output, &operator, Door::Stdin));
        let output = String::from_utf8(output).unwrap();
        assert_eq!(
            output.lines().collect::<Vec<_>>(),
            [
                "No connections.",
                "error: the line is too long (more than 16384 bytes)",
                "error: the line is not valid UTF-8",
                "stopping the server",
            ]
        );
        assert!(stopped.try_recv().is_ok(), "stop asks the server to stop");
    }

    /// End of input ends the door without stopping the server.
    #[test]
    fn end_of_input_is_not_stop() {
        let (stop, stopped) = crossbeam_channel::bounded(1);
        let operator = Operator::new(Arc::new(Users::new(10)), stop);
        let mut output = Vec::new();
        assert!(!serve(&b"list"[..], &mut output, &operator, Door::Stdin));
        assert_eq!(output, b"No connections.\n");
        assert!(stopped.try_recv().is_err());
    }
}
