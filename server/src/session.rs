//! One client's connection, from accept to leave, on its own thread.
//!
//! The session reads the socket in large chunks, turns every complete line into a
//! [`Command`], and asks the [`Users`] table to act. Chat lines bound for the partner are
//! gathered per chunk and queued in one piece, so a burst of messages becomes one write on the
//! partner's socket.

use crate::budget::Budget;
use crate::config::Config;
use crate::hosts::{HostSlot, Hosts, TooMany};
use crate::kept::Keeping;
use crate::linger;
use crate::log;
use crate::outbox::{Outbox, Room};
use crate::rate::RateLimit;
use crate::refusals::Refusals;
use crate::users::{ChatChange, ConnId, JoinRefused, KeyTurn, Parting, Users};
use common::identity::server_proof::prove_server;
use common::limits::MAX_LINE_LEN;
use common::line_reader::{Fill, LineReader};
use common::protocol::{Command, Hello, KeyLine, Name, Notice, ServerLine};
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Instant;

/// The read buffer of an idle connection: a person typing never fills it.
const MIN_READ_CHUNK: usize = 4 * 1024;
/// How large the read buffer grows for a client sending bursts: one `read` (and so one relay
/// to the partner) takes up to this much.
const MAX_READ_CHUNK: usize = 64 * 1024;
/// `status` requests a connection may make at once before the per-second rate applies.
const STATUS_BURST: u32 = 10;
/// A connection may make this many times `--command-rate` commands at once; an address, this
/// many times the connection's rate and burst.
const COMMAND_BURST_FACTOR: u32 = 4;

/// Serves one accepted connection until it leaves or the server shuts it down.
pub fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    hosts: &Arc<Hosts>,
    budget: &Arc<Budget>,
    users: Arc<Users>,
    config: Arc<Config>,
) {
    // The listener takes IPv4 clients on an IPv6 socket; log them as the IPv4 they are.
    let peer = SocketAddr::new(peer.ip().to_canonical(), peer.port());
    // One socket, one file descriptor: the reader and the outbox share it (`&TcpStream` reads
    // and writes), so a server with N clients needs N descriptors, not 2N.
    let stream = Arc::new(stream);
    let outbox = Outbox::budgeted(Arc::clone(&stream), config.backlog_limit, budget, peer);
    // Held until the socket is closed, drain included.
    let slot = match hosts.admit(peer.ip()) {
        Ok(slot) => slot,
        Err(TooMany::FromAddress(most)) => {
            refuse(&outbox, &stream, Notice::TooManyFromHost(most));
            log!("refused {peer}: its address has {most} connection(s) open already (--max-per-host)");
            return;
        }
        Err(TooMany::FromNetwork(most)) => {
            refuse(&outbox, &stream, Notice::TooManyFromNetwork(most));
            log!("refused {peer}: its network has {most} connection(s) open already (--max-per-network)");
            return;
        }
    };
    let id = match users.join(Arc::clone(&outbox), peer.ip()) {
        Ok(id) => id,
        Err(refused) => {
            let notice = match refused {
                JoinRefused::Full(max) => Notice::ServerFull(max),
                JoinRefused::ShuttingDown => Notice::ShuttingDown,
                JoinRefused::Banned(minutes) => Notice::Banned(minutes),
            };
            refuse(&outbox, &stream, notice);
            log!("refused {peer}: {refused}");
            return;
        }
    };
    let status_burst = STATUS_BURST.max(config.status_per_second);
    let relay_batch = (config.backlog_limit / 8).clamp(1, 64 * 1024);
    let (per_second, burst) = connection_commands(&config);
    let mut session = Session {
        id,
        status_limit: RateLimit::new(config.status_per_second, status_burst),
        command_limit: RateLimit::new(per_second, burst),
        host: slot,
        refusals: Refusals::default(),
        outbox,
        users,
        config,
        input: SocketLines::new(stream),
        relayed_to: None,
        said_close: false,
        relay_batch,
    };
    session.users.tell(id, Notice::AskName);
    let limit = session.config.name_timeout.as_secs();
    session.users.tell(id, Notice::NameTimeLimit(limit));
    if let Some(name) = session.register() {
        log!("{name} joined from {}", peer);
        session.chat(&name);
    }
    let parting = if session.said_close {
        Parting::Closed
    } else {
        Parting::Lost
    };
    let (name, change, keeping) = session.users.leave(id, parting);
    if let Some(name) = name {
        log_change(&change);
        match keeping {
            Some(Keeping::Full) => log!(
                "{name}'s name is not kept for {}: the room for kept names is full",
                peer.ip()
            ),
            Some(Keeping::NetworkFull) => log!(
                "{name}'s name is not kept for {}: its network has as many names kept as it may (--max-per-network)",
                peer.ip()
            ),
            Some(Keeping::KeptInstead(old)) => log!(
                "{old}'s name is no longer kept: {} lost more names than it may keep",
                peer.ip()
            ),
            _ => {}
        }
        if let Some(kind) = session.input.broken {
            log!("{name}'s connection broke ({kind})");
        }
        log!("{name} left");
    }
    linger::drain(&session.input.stream);
}

/// One connection's command budget: (per second, burst), from `--command-rate`.
pub fn connection_commands(config: &Config) -> (u32, u32) {
    let rate = config.command_per_second;
    (rate, rate.saturating_mul(COMMAND_BURST_FACTOR))
}

/// One address's command budget, shared by its connections: four times a connection's.
pub fn address_commands(config: &Config) -> (u32, u32) {
    let (rate, burst) = connection_commands(config);
    (
        rate.saturating_mul(COMMAND_BURST_FACTOR),
        burst.saturating_mul(COMMAND_BURST_FACTOR),
    )
}

/// Tells a connection that is not let in why, and closes it once the notice is out.
fn refuse(outbox: &Arc<Outbox>, stream: &TcpStream, notice: Notice) {
    outbox.push(format!("{}\n", ServerLine::Notice(notice)).as_bytes());
    outbox.close();
    outbox.flush();
    linger::drain(stream);
}

fn log_change(change: &ChatChange) {
    match change {
        ChatChange::None => {}
        ChatChange::Started(a, b) => log!("{a} connected to {b}"),
        ChatChange::Ended(by, other) => log!("chat between {by} and {other} ended by {by}"),
    }
}

/// The client's side of the conversation: the socket's lines as they arrive (the read half,
/// with its line framing).
struct SocketLines {
    stream: Arc<TcpStream>,
    lines: LineReader,
    /// How the connection broke, if it did not end cleanly.
    broken: Option<io::ErrorKind>,
}

impl SocketLines {
    fn new(stream: Arc<TcpStream>) -> SocketLines {
        SocketLines {
            stream,
            lines: LineReader::new(MIN_READ_CHUNK, MAX_READ_CHUNK),
            broken: None,
        }
    }

    /// Reads once more into the line buffer. False once the peer closed the connection or it
    /// broke (remembering how); a read timeout is not an end.
    fn read_more(&mut self) -> bool {
        match self.lines.fill(&mut &*self.stream) {
            Fill::Data | Fill::TimedOut => true,
            Fill::Closed => false,
            Fill::Broken(kind) => {
                self.broken = Some(kind);
                false
            }
        }
    }
}

struct Session {
    id: ConnId,
    /// How often this connection may ask for `status`.
    status_limit: RateLimit,
    /// How often this connection may send a line that makes the server work (every command
    /// but chat and `close`).
    command_limit: RateLimit,
    /// Its address's place, with the command budget all its connections share.
    host: HostSlot,
    /// The current run of identical refusals (see [`Refusals`]), shared with the table's.
    refusals: Refusals,
    /// This connection's own outbox, for answers that need no table: a refused `status` is
    /// queued here without taking the table lock, and sent once per read, so a client asking
    /// in a loop does not make everyone else wait for it.
    outbox: Arc<Outbox>,
    users: Arc<Users>,
    config: Arc<Config>,
    input: SocketLines,
    /// Chat went to this partner's queue since the last wait: check its backlog before
    /// relaying or reading more.
    relayed_to: Option<Arc<Outbox>>,
    /// The client said `close`: its name is free at once when it leaves.
    said_close: bool,
    /// Relayed chat goes to the partner in batches of about this many bytes (an eighth of the
    /// backlog limit, at most 64 KiB), with a wait for the partner between them.
    relay_batch: usize,
}

impl Session {
    /// Asks for names until one is free and valid. `None` if the client left or took too long.
    /// A first line `hello <nonce>` is answered with the server's proof of its key instead
    /// (see [`Session::prove`]).
    fn register(&mut self) -> Option<Name> {
        let deadline = Instant::now() + self.config.name_timeout;
        let mut first = true;
        loop {
            while let Some(line) = self.input.lines.next_line() {
                if std::mem::take(&mut first) {
                    if let Ok(Some(hello)) = line.as_deref().map(Hello::parse) {
                        if self.prove(hello) {
                            continue;
                        }
                    }
                }
                match line
                    .map_err(|e| e.to_string())
                    .and_then(|l| Name::parse(l.trim()).map_err(|e| e.to_string()))
                {
                    Ok(name) => {
                        if self.users.register(self.id, &name) {
                            let _ = self.input.stream.set_read_timeout(None);
                            return Some(name);
                        }
                    }
                    Err(reason) => self.users.tell(self.id, Notice::NameInvalid(reason)),
                }
            }
            if self.input.lines.is_flooding() {
                self.tell_flooding();
                return None;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                self.users.tell(
                    self.id,
                    Notice::NameTimeout(self.config.name_timeout.as_secs()),
                );
                return None;
            }
            let _ = self.input.stream.set_read_timeout(Some(left));
            if !self.input.read_more() {
                return None;
            }
        }
    }

    /// Answers `hello <nonce>` with `(server): proof <key> <signature>` and marks the
    /// connection as speaking identity. False when the server has no identity: the line is
    /// then a proposed name, as for an older server.
    fn prove(&mut self, Hello(nonce): Hello) -> bool {
        let Some(identity) = &self.config.identity else {
            return false;
        };
        let signature = prove_server(identity, &nonce);
        let key = identity.public();
        self.users
            .tell(self.id, Notice::ServerProof { key, signature });
        self.users.speaks_identity(self.id);
        true
    }

    /// Serves commands until `close`, end of stream or a broken connection.
    fn chat(&mut self, name: &Name) {
        let mut to_partner = Vec::new();
        loop {
            while let Some(line) = self.input.lines.next_line() {
                if self.outbox.is_cut_off() {
                    // Cut off (it did not read what it asked for): what it sent is not ours to
                    // carry out any more.
                    return;
                }
                let line = match line {
                    // An empty line is ignored before anything else: a run of them costs the
                    // scan for line breaks and little more.
                    Ok(line) if line.is_empty() => continue,
                    Ok(line) => line,
                    Err(err) => {
                        self.refuse(Notice::LineDropped(err));
                        continue;
                    }
                };
                let command = Command::parse(&line);
                let costly = matches!(
                    command,
                    Ok(Command::Connect(_)
                        | Command::Goodbye
                        | Command::Help
                        | Command::KeyCommit(_)
                        | Command::KeyParam(_)
                        | Command::KeyProof(_))
                );
                if costly && !self.may_work() {
                    continue;
                }
                match command {
                    Ok(Command::Message(text)) if text.is_empty() => {}
                    Ok(Command::Message(text)) => {
                        self.end_refusals();
                        let len = text.len();
                        let line = ServerLine::Chat {
                            from: name.clone(),
                            text,
                        };
                        self.relay_if_it_fits(&mut to_partner, &line, len);
                    }
                    Ok(Command::Secure(payload)) if payload.is_empty() => {
                        self.refuse(Notice::SecureWithoutText);
                    }
                    Ok(Command::Secure(payload)) => {
                        self.end_refusals();
                        let len = payload.len();
                        let line = ServerLine::Secure {
                            from: name.clone(),
                            payload,
                        };
                        self.relay_if_it_fits(&mut to_partner, &line, len);
                    }
                    Ok(Command::KeyCommit(rest)) => {
                        self.key_line(name, &mut to_partner, KeyLine::Commit, line, &rest);
                    }
                    Ok(Command::KeyParam(rest)) => {
                        self.key_line(name, &mut to_partner, KeyLine::Param, line, &rest);
                    }
                    Ok(Command::KeyProof(rest)) => {
                        self.key_line(name, &mut to_partner, KeyLine::Proof, line, &rest);
                    }
                    Ok(other) => {
                        // Everything queued for the partner goes before a change of state.
                        self.flush(&mut to_partner);
                        if !self.obey(other) {
                            return;
                        }
                    }
                    Err(err) => self.refuse(Notice::BadCommand(err)),
                }
                // One read can hold 64 KiB of tiny lines, and the name in front of each can
                // make them many times that for the partner: relay in batches, and wait for
                // the partner between them, so no single push can pass its backlog limit.
                if to_partner.len() >= self.relay_batch {
                    self.relay_and_wait(name, &mut to_partner);
                }
            }
            // Refusals queued without the table: one send for the whole read.
            self.end_refusals();
            self.outbox.flush();
            self.relay_and_wait(name, &mut to_partner);
            if self.input.lines.is_flooding() {
                self.tell_flooding();
                return;
            }
            if !self.input.read_more() {
                return;
            }
        }
    }

    /// Carries out a command that is not chat. Returns false when the session should end.
    fn obey(&mut self, command: Command) -> bool {
        match command {
            // `status` has a budget of its own per connection (a stricter one); an answered one
            // also draws on its address's budget, so 32 connections cannot ask 32 times as
            // often.
            Command::Status if self.status_limit.allow(Instant::now()) => {
                if self.address_may_work(Instant::now()) {
                    self.end_refusals();
                    self.users.status(self.id);
                }
            }
            Command::Status => self.refuse(Notice::StatusTooOften {
                burst: STATUS_BURST.max(self.config.status_per_second),
                per_second: self.config.status_per_second,
            }),
            Command::Connect(target) => {
                let group = self.config.dh_group.as_deref();
                let change = self
                    .users
                    .connect(self.id, &target, group, &mut self.refusals);
                log_change(&change);
            }
            Command::Goodbye => log_change(&self.users.goodbye(self.id, &mut self.refusals)),
            Command::Help => {
                self.end_refusals();
                for line in HELP {
                    self.users.tell(self.id, Notice::Info(line.to_string()));
                }
            }
            Command::Close => {
                self.end_refusals();
                self.said_close = true;
                self.users.tell(self.id, Notice::Bye);
                return false;
            }
            Command::Message(_)
            | Command::Secure(_)
            | Command::KeyCommit(_)
            | Command::KeyParam(_)
            | Command::KeyProof(_) => {}
        }
        true
    }

    /// A `key_commit` or `key_param` line (`rest` after the word): forwarded as protocol if
    /// the current chat waits for it, dropped if it answers a chat that is over, and otherwise
    /// relayed as what it is, someone typing.
    fn key_line(
        &mut self,
        name: &Name,
        to_partner: &mut Vec<u8>,
        key_line: KeyLine,
        line: String,
        rest: &str,
    ) {
        self.end_refusals();
        self.flush(to_partner);
        if self.users.relay_key(self.id, key_line, rest) == KeyTurn::NotExpected {
            let len = line.len();
            let chat = ServerLine::Chat {
                from: name.clone(),
                text: line,
            };
            self.relay_if_it_fits(to_partner, &chat, len);
        }
    }

    /// Queues `line` (chat or sealed text of `len` bytes, with the sender's name in front) for
    /// the partner. The sender's line fitted [`MAX_LINE_LEN`], but the name can take the relayed
    /// line past it, and the partner's client would then drop it: the sender is told instead.
    fn relay_if_it_fits(&mut self, to_partner: &mut Vec<u8>, line: &ServerLine, len: usize) {
        use std::io::Write;
        // Formatted straight into the batch: no allocation per relayed line.
        let start = to_partner.len();
        let _ = writeln!(to_partner, "{line}");
        let wire_len = to_partner.len() - start - 1;
        if wire_len > MAX_LINE_LEN {
            to_partner.truncate(start);
            let room = MAX_LINE_LEN.saturating_sub(wire_len - len);
            self.refuse(Notice::MessageTooLong(room));
        }
    }

    fn flush(&mut self, to_partner: &mut Vec<u8>) {
        if !to_partner.is_empty() {
            if let Some(partner) = self.users.relay(self.id, to_partner) {
                self.relayed_to = Some(partner);
            }
            to_partner.clear();
        }
    }

    /// Relays what is gathered, then waits for the partner that chat went to since the last
    /// wait (back-pressure, see [`wait_for_partner`]) before anything more is read or relayed.
    fn relay_and_wait(&mut self, name: &Name, to_partner: &mut Vec<u8>) {
        self.flush(to_partner);
        if let Some(partner) = self.relayed_to.take() {
            wait_for_partner(name, &partner);
        }
    }

    fn tell_flooding(&mut self) {
        self.end_refusals();
        self.users.tell(self.id, Notice::NoLineBreak);
    }

    /// Takes one command from this connection's budget and its address's. False, with a
    /// refusal, when either is spent: the line is ignored.
    fn may_work(&mut self) -> bool {
        let now = Instant::now();
        if !self.command_limit.allow(now) {
            let (per_second, burst) = connection_commands(&self.config);
            self.refuse(Notice::CommandsTooOften { burst, per_second });
            return false;
        }
        // A run of refusals goes on: the command served may be refused again the same way
        // (`connect nobody`); whatever answers it ends the run.
        self.address_may_work(now)
    }

    /// Takes one command from the budget of this connection's address. False, with a
    /// refusal, when it is spent.
    fn address_may_work(&mut self, now: Instant) -> bool {
        if self.host.commands().lock().allow(now) {
            return true;
        }
        let (per_second, burst) = address_commands(&self.config);
        self.refuse(Notice::AddressCommandsTooOften { burst, per_second });
        false
    }

    /// Refuses a line with `notice`, queued on this connection's own outbox without the
    /// table lock (sent once the read's lines are handled). The same refusal again, before any
    /// other line is served, is only counted (see [`Refusals`]).
    fn refuse(&mut self, notice: Notice) {
        let mut out = Vec::new();
        self.refusals.refuse(notice, &mut out);
        if !out.is_empty() {
            self.outbox.push(&out);
        }
    }

    /// Ends a run of refusals: tells how many repeats were ignored, if any.
    fn end_refusals(&mut self) {
        let mut out = Vec::new();
        self.refusals.end(&mut out);
        if !out.is_empty() {
            self.outbox.push(&out);
        }
    }
}

/// Back-pressure: before `name`'s session relays or reads more, waits while its `partner` has
/// more than its high-water mark still to read, so a flood goes at the pace the partner reads
/// (see [`Outbox::wait_room`]). A partner that cannot read down to the mark within
/// [`STALL`](crate::outbox::STALL) is cut off: it is the one not keeping up.
fn wait_for_partner(name: &Name, partner: &Outbox) {
    if partner.wait_room() == Room::Stalled {
        log!(
            "{name}'s partner did not read its backlog down in {} s ({} bytes waiting); cutting it off",
            crate::outbox::STALL.as_secs(),
            partner.backlog()
        );
        partner.abort();
    }
}

/// The answer to `help`, for people on `nc`.
const HELP: [&str; 7] = [
    "Commands:",
    "  status            list every user, BUSY or FREE",
    "  connect <user>    start a chat with a FREE user",
    "  <any text>        send a message to your partner (msg <text> sends text that looks like a command)",
    "  secure: <text>    send an encrypted message (the client does the encryption)",
    "  goodbye           end the current chat",
    "  close             disconnect",
];
