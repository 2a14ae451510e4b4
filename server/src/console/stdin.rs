//! The first door: the server's standard input, a terminal or a pipe. End of input closes
//! this door only (the server goes on; the control socket still works), so a server started
//! with `< /dev/null`, by systemd, or from a script that closes the pipe keeps serving.
//!
//! A terminal is read only while the server is in its foreground: a server started with `&`
//! that read its terminal would be stopped by the shell (SIGTTIN), and every client with it.

use super::door;
use super::operator::{Door, Operator};
use crate::log;
use std::io::{self, IsTerminal};
use std::thread;

/// Starts reading the operator's commands from standard input, answering on standard output,
/// on a thread of its own.
pub fn open(operator: Operator) {
    let stdin = io::stdin();
    let terminal = stdin.is_terminal();
    if terminal {
        if !in_foreground(&stdin) {
            log!("console: standard input is a terminal this server runs in the background of; not reading it (use server console)");
            return;
        }
        log!("console: type help here for the operator's commands");
    }
    let started = thread::Builder::new()
        .name("console-stdin".into())
        .spawn(move || {
            let stopped = door::serve(stdin.lock(), io::stdout(), &operator, Door::Stdin);
            if terminal && !stopped {
                log!("console: end of input on the terminal; the server goes on (server console still works)");
            }
        });
    if let Err(err) = started {
        log!("warning: no console on standard input: cannot start its thread: {err}");
    }
}

/// Whether this process is in the foreground process group of the terminal `stdin` is.
fn in_foreground(stdin: &io::Stdin) -> bool {
    match rustix::termios::tcgetpgrp(stdin) {
        Ok(foreground) => foreground == rustix::process::getpgrp(),
        Err(_) => false,
    }
}
