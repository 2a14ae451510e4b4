//! Carries out the operator's commands, whichever door they came through: parses the line,
//! asks the user table, logs each action on the server's output, and returns the answer's
//! lines for the door to print.

use super::command::{ConsoleCommand, HELP};
use super::list::{format_list, remaining};
use crate::log;
use crate::outbox::Outbox;
use crate::users::{ChatChange, Removed, Users};
use common::protocol::Notice;
use crossbeam_channel::Sender;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

/// How long a removed client has to read its last notice before its socket is closed.
const LAST_WORDS: Duration = Duration::from_millis(1500);

/// The operator's commands over one server's user table; shared by the doors.
#[derive(Debug, Clone)]
pub struct Operator {
    users: Arc<Users>,
    /// Asks the server to stop, as Ctrl+C does.
    stop: Sender<()>,
}

/// Which door a command came through, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    /// The server's standard input.
    Stdin,
    /// The control socket (`server console`).
    Socket,
}

impl std::fmt::Display for Door {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Door::Stdin => "console (standard input)",
            Door::Socket => "console (socket)",
        })
    }
}

/// The answer to one console line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Answer {
    /// What to print, one line each.
    pub lines: Vec<String>,
    /// The command was `stop`: the server is stopping.
    pub stopping: bool,
}

impl Answer {
    fn say(line: impl Into<String>) -> Answer {
        Answer {
            lines: vec![line.into()],
            stopping: false,
        }
    }
}

impl Operator {
    /// Commands over `users`; `stop` is the channel Ctrl+C signals.
    pub fn new(users: Arc<Users>, stop: Sender<()>) -> Operator {
        Operator { users, stop }
    }

    /// Carries out one console `line` that came through `door`. Bad input changes nothing
    /// and is answered with `error: ...`.
    pub fn run(&self, line: &str, door: Door) -> Answer {
        let command = match ConsoleCommand::parse(line) {
            Ok(Some(command)) => command,
            Ok(None) => return Answer::default(),
            Err(err) => return Answer::say(format!("error: {err}")),
        };
        match command {
            ConsoleCommand::List => {
                let (rows, bans) = self.users.roster();
                Answer {
                    lines: format_list(rows, &bans, SystemTime::now()),
                    stopping: false,
                }
            }
            ConsoleCommand::Help => Answer {
                lines: HELP.iter().map(|l| l.to_string()).collect(),
                stopping: false,
            },
            ConsoleCommand::Say(text) => {
                let told = self.users.announce(&Notice::Announcement(text.clone()));
                log!("{door}: said to {told} user(s): {text}");
                Answer::say(format!("told {told} user(s)"))
            }
            ConsoleCommand::Kick { user, reason } => {
                match self.users.kick(&user, Notice::Kicked(reason.clone())) {
                    None => Answer::say(format!("error: nobody named '{user}' is online")),
                    Some(removed) => {
                        let name = removed.name.clone().unwrap_or(user);
                        let why = reason.map(|r| format!(": {r}")).unwrap_or_default();
                        log!("{door}: kicked {name} ({}){why}", removed.address);
                        finish(vec![removed]);
                        Answer::say(format!("kicked {name}"))
                    }
                }
            }
            ConsoleCommand::Ban { target, time } => match self.users.ban(&target, time) {
                // Only a user can be missing: an address is always banned.
                None => Answer::say(format!(
                    "error: nobody named '{target}' is online; ban their address instead"
                )),
                Some((ip, removed)) => {
                    let names: Vec<String> = removed
                        .iter()
                        .map(|r| {
                            r.name
                                .as_ref()
                                .map_or_else(|| "(no name yet)".to_string(), |n| n.to_string())
                        })
                        .collect();
                    let count = removed.len();
                    log!(
                        "{door}: banned {ip} for {}; disconnected {count}: {}",
                        remaining(time),
                        if names.is_empty() {
                            "nobody".to_string()
                        } else {
                            names.join(", ")
                        }
                    );
                    finish(removed);
                    Answer::say(format!(
                        "banned {ip} for {}; disconnected {count} connection(s)",
                        remaining(time)
                    ))
                }
            },
            ConsoleCommand::Unban(ip) => {
                if self.users.unban(ip) {
                    log!("{door}: lifted the ban on {ip}");
                    Answer::say(format!("lifted the ban on {ip}"))
                } else {
                    Answer::say(format!("error: {ip} is not banned"))
                }
            }
            ConsoleCommand::Stop => {
                log!("{door}: stop");
                let _ = self.stop.try_send(());
                Answer {
                    lines: vec!["stopping the server".to_string()],
                    stopping: true,
                }
            }
        }
    }
}

/// Logs the chats that ended with `removed` connections, and closes them once their last
/// notice is out (or [`LAST_WORDS`] passed), on a thread of its own, so the console answers
/// at once. Closing wakes each one's session, which then ends: the table no longer knows it.
fn finish(removed: Vec<Removed<Arc<Outbox>>>) {
    for r in &removed {
        if let (ChatChange::Ended(me, them), Some(_)) = (&r.change, &r.name) {
            log!("chat between {me} and {them} ended: {me} was disconnected by the operator");
        }
    }
    let closing = thread::Builder::new()
        .name("console-close".into())
        .spawn(move || {
            let deadline = Instant::now() + LAST_WORDS;
            for r in &removed {
                r.outbox.wait_closed(deadline);
            }
            for r in &removed {
                r.outbox.discard_input();
                r.outbox.abort();
            }
        });
    if let Err(err) = closing {
        log!("warning: cannot start a thread to close removed connections: {err}");
    }
}
