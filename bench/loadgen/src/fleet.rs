//! One worker thread's clients: connects and registers them, pairs them, then drives traffic
//! between them with non-blocking sockets on one `mio` poll.
//!
//! Both ends of a pair live in the same fleet, so the closed loop needs no acknowledgements:
//! when one end reads its partner's messages, the partner may send that many more.
//!
//! Every received message is checked: it must come from the partner, carry an intact
//! [`Stamp`], and its sequence number must be the next one from that partner.

use crate::clock::now_ns;
use crate::conn::{self, Chunk, Conn};
use crate::proto::{Event, Protocol, Stamp};
use common::exchange::{Exchange, Step};
use mio::{Events, Interest, Poll, Token, Waker};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Token of the fleet's [`Waker`] (the latency ticker); client `i` has `Token(i)`.
pub const WAKE: Token = Token(usize::MAX);

/// What every fleet of a crew shares.
pub struct Setup {
    /// The server.
    pub addr: SocketAddr,
    /// How to speak to it.
    pub proto: Arc<dyn Protocol>,
    /// Connects plus registrations in flight at once, per fleet.
    pub concurrency: usize,
    /// Give up on registering when no client made progress for this long.
    pub stall: Duration,
    /// Agree on keys after pairing and send sealed messages (labchat only).
    pub secure: bool,
}

/// What the clients do once they are all registered and paired.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Traffic {
    /// Nothing: the connections are only held.
    Hold,
    /// Each client sends `messages` to its partner, at most `window` not yet received, all
    /// that the window allows in one write.
    Closed { messages: u64, window: u64 },
    /// The fleet sends one message every `gap_ns`, from each client in turn, for `run_ns`;
    /// latency is sampled for messages sent `warmup_ns` after the start or later.
    Open {
        gap_ns: u64,
        offset_ns: u64,
        warmup_ns: u64,
        run_ns: u64,
    },
    /// Each pair's first client sends one message and waits for its partner's echo, `rounds`
    /// times.
    PingPong { rounds: u64 },
}

/// Counts of everything that went wrong; all zero in a good run.
#[derive(Debug, Default, Clone)]
pub struct Faults {
    /// A message arrived out of order (or duplicated).
    pub misordered: u64,
    /// A message came from someone other than the partner.
    pub wrong_sender: u64,
    /// A message's text was damaged or could not be opened.
    pub garbled: u64,
    /// Messages sent but never received before the deadline.
    pub lost: u64,
    /// Lines no benchmark client should see.
    pub unexpected: u64,
    /// Connections that broke during traffic.
    pub disconnected: u64,
    /// The first problem, in words, for the report.
    pub first: Option<String>,
}

impl Faults {
    /// Total number of faults.
    pub fn total(&self) -> u64 {
        self.misordered
            + self.wrong_sender
            + self.garbled
            + self.lost
            + self.unexpected
            + self.disconnected
    }

    /// Adds `other`'s counts (keeping the first description found).
    pub fn add(&mut self, other: &Faults) {
        self.misordered += other.misordered;
        self.wrong_sender += other.wrong_sender;
        self.garbled += other.garbled;
        self.lost += other.lost;
        self.unexpected += other.unexpected;
        self.disconnected += other.disconnected;
        if self.first.is_none() {
            self.first.clone_from(&other.first);
        }
    }

    /// Records that a fleet thread panicked.
    pub fn note_panic(&mut self) {
        self.unexpected += 1;
        self.note(|| "a fleet thread panicked".into());
    }

    fn note(&mut self, what: impl FnOnce() -> String) {
        if self.first.is_none() {
            self.first = Some(what());
        }
    }
}

/// What one fleet measured.
#[derive(Debug, Default)]
pub struct Report {
    /// Clients whose name was accepted.
    pub registered: usize,
    /// Clients registered, paired (and keyed) as asked.
    pub ready: usize,
    /// Clients that could not connect or register (refused, timed out, reset).
    pub failed: usize,
    /// Why the first failed client failed.
    pub first_failure: Option<String>,
    /// When the last client became ready or failed.
    pub setup_end_ns: u64,
    /// Connect-to-registered time of each client.
    pub register_ns: Vec<u64>,
    /// `connect` to both sides' secure sessions, per pair.
    pub keys_ns: Vec<u64>,
    /// Messages received and checked.
    pub delivered: u64,
    /// When the last message arrived.
    pub traffic_end_ns: u64,
    /// Latency (open loop) or round-trip (ping-pong) samples, one list per traffic run.
    pub samples_ns: Vec<Vec<u64>>,
    /// What went wrong during traffic.
    pub faults: Faults,
}

impl Report {
    /// Adds another fleet's report to this one: counts add up, times take the latest, samples
    /// of the same traffic run go together.
    pub fn merge(&mut self, other: Report) {
        self.registered += other.registered;
        self.ready += other.ready;
        self.failed += other.failed;
        if self.first_failure.is_none() {
            self.first_failure = other.first_failure;
        }
        self.setup_end_ns = self.setup_end_ns.max(other.setup_end_ns);
        self.register_ns.extend(other.register_ns);
        self.keys_ns.extend(other.keys_ns);
        self.delivered += other.delivered;
        self.traffic_end_ns = self.traffic_end_ns.max(other.traffic_end_ns);
        for (run, samples) in other.samples_ns.into_iter().enumerate() {
            if self.samples_ns.len() <= run {
                self.samples_ns.push(Vec::new());
            }
            self.samples_ns[run].extend(samples);
        }
        self.faults.add(&other.faults);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    NotStarted,
    Connecting,
    Registering,
    Registered,
    Pairing,
    Ready,
    Failed,
}

struct Client {
    name: String,
    partner: Option<usize>,
    partner_name: String,
    /// Sends `connect` (labchat) and the first ping.
    initiator: bool,
    conn: Option<Conn>,
    stage: Stage,
    started_ns: u64,
    paired: bool,
    /// The key agreement of its chat (secure runs only).
    keys: Option<Exchange>,
    /// Messages sent to the partner.
    sent: u64,
    /// `sent` when the current traffic run started.
    base: u64,
    /// Messages received from the partner (the next expected sequence number).
    received: u64,
    /// In the fleet's dirty list.
    queued: bool,
}

/// A worker's clients and their poll.
pub struct Fleet {
    poll: Poll,
    events: Events,
    waker: Arc<Waker>,
    setup: Arc<Setup>,
    clients: Vec<Client>,
    scratch: Vec<u8>,
    dirty: Vec<usize>,
    traffic: Traffic,
    in_traffic: bool,
    traffic_start_ns: u64,
    /// Next open-loop slot.
    slot: u64,
    /// Sent during traffic, over all clients.
    sent_total: u64,
    next_start: usize,
    pending: usize,
    settled: usize,
    progress_ns: u64,
    report: Report,
}

impl Fleet {
    /// A fleet of `pairs` pairs and `singles` unpaired clients named `<prefix><n>` from
    /// `first_index` on.
    ///
    /// # Errors
    /// The poll could not be created.
    pub fn new(
        setup: Arc<Setup>,
        prefix: &str,
        first_index: usize,
        pairs: usize,
        singles: usize,
        traffic: Traffic,
    ) -> io::Result<Fleet> {
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKE)?);
        let count = 2 * pairs + singles;
        let name = |i: usize| format!("{prefix}{}", first_index + i);
        let clients = (0..count)
            .map(|i| {
                let partner = (i < 2 * pairs).then_some(i ^ 1);
                Client {
                    name: name(i),
                    partner,
                    partner_name: partner.map(name).unwrap_or_default(),
                    initiator: i % 2 == 0,
                    conn: None,
                    stage: Stage::NotStarted,
                    started_ns: 0,
                    paired: false,
                    keys: None,
                    sent: 0,
                    base: 0,
                    received: 0,
                    queued: false,
                }
            })
            .collect();
        Ok(Fleet {
            poll,
            events: Events::with_capacity(1024),
            waker,
            setup,
            clients,
            scratch: conn::scratch(),
            dirty: Vec::new(),
            traffic,
            in_traffic: false,
            traffic_start_ns: 0,
            slot: 0,
            sent_total: 0,
            next_start: 0,
            pending: 0,
            settled: 0,
            progress_ns: 0,
            report: Report::default(),
        })
    }

    /// Wakes this fleet's poll from another thread.
    pub fn waker(&self) -> Arc<Waker> {
        Arc::clone(&self.waker)
    }

    /// Connects, registers, pairs (and keys) every client; returns when each is ready or has
    /// failed, or when nothing progressed for [`Setup::stall`].
    pub fn establish(&mut self) {
        self.progress_ns = now_ns();
        let stall = u64::try_from(self.setup.stall.as_nanos()).unwrap_or(u64::MAX);
        while self.settled < self.clients.len() {
            self.start_connects();
            if now_ns().saturating_sub(self.progress_ns) > stall {
                let waited = self.setup.stall.as_secs_f64();
                for i in 0..self.clients.len() {
                    if !matches!(self.clients[i].stage, Stage::Ready | Stage::Failed) {
                        self.fail(i, &format!("no progress for {waited:.0} s"));
                    }
                }
                break;
            }
            if let Err(err) = self.turn(Some(Duration::from_millis(50))) {
                self.report.first_failure = Some(format!("poll failed: {err}"));
                break;
            }
        }
        self.report.setup_end_ns = self.progress_ns;
    }

    /// Runs the fleet's [`Traffic`] to the end; returns at once for [`Traffic::Hold`]. May be
    /// called again: each run sends its own count, and sequence numbers go on.
    pub fn run_traffic(&mut self) {
        self.in_traffic = true;
        self.traffic_start_ns = now_ns();
        self.report.samples_ns.push(Vec::new());
        self.slot = 0;
        let sent_base = self.sent_total;
        let delivered_base = self.report.delivered;
        for client in &mut self.clients {
            client.base = client.sent;
        }
        let mut expected = 0;
        for i in 0..self.clients.len() {
            if self.clients[i].stage != Stage::Ready || self.clients[i].partner.is_none() {
                continue;
            }
            match self.traffic {
                Traffic::Hold => {}
                Traffic::Closed { messages, .. } => {
                    expected += messages;
                    self.mark(i);
                }
                Traffic::PingPong { rounds } => {
                    if self.clients[i].initiator {
                        expected += 2 * rounds;
                        self.send_stamped(i, now_ns());
                    }
                }
                Traffic::Open { .. } => {}
            }
        }
        if self.traffic == Traffic::Hold {
            return;
        }
        self.service();
        let stall = 10_000_000_000;
        let mut last = (now_ns(), 0);
        loop {
            let now = now_ns();
            if let Traffic::Open { run_ns, .. } = self.traffic {
                self.send_due(now);
                if now >= self.traffic_start_ns + run_ns {
                    expected = self.sent_total - sent_base;
                }
            }
            let delivered = self.report.delivered - delivered_base;
            if expected > 0 && delivered >= expected {
                break;
            }
            if delivered != last.1 {
                last = (now, delivered);
            } else if now - last.0 > stall {
                self.report.faults.lost += expected.saturating_sub(delivered);
                self.report
                    .faults
                    .note(|| "messages stopped arriving for 10 s".into());
                break;
            }
            let timeout = match self.traffic {
                Traffic::Open { .. } => Duration::from_millis(5),
                _ => Duration::from_millis(100),
            };
            if let Err(err) = self.turn(Some(timeout)) {
                self.report.faults.note(|| format!("poll failed: {err}"));
                break;
            }
        }
    }

    /// Closes every connection (with a reset) and hands over what was measured.
    pub fn finish(mut self) -> Report {
        for client in &mut self.clients {
            if let Some(conn) = client.conn.take() {
                conn.reset();
            }
        }
        self.report
    }

    fn start_connects(&mut self) {
        while self.pending < self.setup.concurrency && self.next_start < self.clients.len() {
            let i = self.next_start;
            self.next_start += 1;
            if self.clients[i].stage != Stage::NotStarted {
                continue;
            }
            self.clients[i].started_ns = now_ns();
            match Conn::connect(self.setup.addr) {
                Ok(mut conn) => {
                    let registered = self.poll.registry().register(
                        &mut conn.stream,
                        Token(i),
                        Interest::READABLE | Interest::WRITABLE,
                    );
                    self.clients[i].conn = Some(conn);
                    self.clients[i].stage = Stage::Connecting;
                    self.pending += 1;
                    if let Err(err) = registered {
                        self.fail(i, &format!("cannot poll the socket: {err}"));
                    }
                }
                Err(err) => {
                    self.clients[i].stage = Stage::Connecting;
                    self.pending += 1;
                    self.fail(i, &format!("connect failed: {err}"));
                }
            }
        }
    }

    /// One poll and everything it reported, then the dirty clients' output.
    fn turn(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(e),
        }
        let ready: Vec<(usize, bool, bool)> = self
            .events
            .iter()
            .filter(|e| e.token() != WAKE)
            .map(|e| {
                (
                    e.token().0,
                    e.is_readable() || e.is_read_closed() || e.is_error(),
                    e.is_writable(),
                )
            })
            .collect();
        for (i, readable, writable) in ready {
            if i >= self.clients.len() || self.clients[i].conn.is_none() {
                continue;
            }
            if self.clients[i].stage == Stage::Connecting && !self.check_connected(i) {
                continue;
            }
            if readable {
                self.read_all(i);
            }
            if writable {
                self.mark(i);
            }
        }
        self.service();
        Ok(())
    }

    fn check_connected(&mut self, i: usize) -> bool {
        let Some(conn) = self.clients[i].conn.as_mut() else {
            return false;
        };
        match conn.is_connected() {
            Ok(true) => {
                let client = &mut self.clients[i];
                client.stage = Stage::Registering;
                if let Some(conn) = client.conn.as_mut() {
                    self.setup.proto.on_connect(&client.name, conn.out());
                }
                self.mark(i);
                true
            }
            Ok(false) => false,
            Err(err) => {
                self.fail(i, &format!("connect failed: {err}"));
                false
            }
        }
    }

    fn read_all(&mut self, i: usize) {
        let mut scratch = std::mem::take(&mut self.scratch);
        while let Some(conn) = self.clients[i].conn.as_mut() {
            match conn.read_chunk(&mut scratch) {
                Ok(Chunk::Data { len, more }) => {
                    let now = now_ns();
                    let data = &scratch[..len];
                    let mut start = 0;
                    for end in memchr::memchr_iter(b'\n', data) {
                        let mut line = &data[start..end];
                        if let Some(stripped) = line.strip_suffix(b"\r") {
                            line = stripped;
                        }
                        self.on_line(i, line, now);
                        start = end + 1;
                    }
                    let tail = &data[start..];
                    if let Some(conn) = self.clients[i].conn.as_mut() {
                        if let Err(err) = conn.keep_partial(tail) {
                            self.broken(i, &err.to_string());
                        }
                    }
                    if !more {
                        break;
                    }
                }
                Ok(Chunk::WouldBlock) => break,
                Ok(Chunk::Eof) => {
                    self.broken(i, "the server closed the connection");
                    break;
                }
                Err(err) => {
                    self.broken(i, &err.to_string());
                    break;
                }
            }
        }
        self.scratch = scratch;
    }

    fn on_line(&mut self, i: usize, line: &[u8], now: u64) {
        let proto = Arc::clone(&self.setup.proto);
        match proto.parse(line) {
            Event::Welcome => {
                let client = &mut self.clients[i];
                if let Some(conn) = client.conn.as_mut() {
                    proto.on_welcome(&client.name, conn.out());
                }
                self.mark(i);
            }
            Event::Registered => self.on_registered(i, now),
            Event::Paired(who) => {
                if who != self.clients[i].partner_name.as_bytes() {
                    self.unexpected(i, line);
                    return;
                }
                self.clients[i].paired = true;
                if !self.setup.secure {
                    self.ready(i, now);
                }
            }
            Event::Chat { from, text } => self.on_text(i, from, text, now),
            Event::Secure { from, payload } => {
                let opened = self.clients[i]
                    .keys
                    .as_mut()
                    .and_then(Exchange::session_mut)
                    .zip(std::str::from_utf8(payload).ok())
                    .map(|(session, payload)| session.open(payload));
                match opened {
                    Some(Ok(text)) => self.on_text(i, from, text.as_bytes(), now),
                    _ => {
                        self.report.faults.garbled += 1;
                        self.report
                            .faults
                            .note(|| "a sealed message could not be opened".into());
                    }
                }
            }
            Event::GenKeys(rest) if self.setup.secure => {
                // `GEN_KEYS <group> <chat>`.
                let rest = std::str::from_utf8(rest).unwrap_or("");
                let (group, chat) = rest.split_once(' ').unwrap_or((rest, ""));
                let chat = chat.parse().ok();
                let keys = self.clients[i].keys.insert(Exchange::new(true));
                let step = keys.on_gen_keys(group, chat);
                self.on_key_step(i, step, now);
            }
            Event::KeyCommit(value) if self.setup.secure => {
                let step = match self.clients[i].keys.as_mut() {
                    Some(keys) => keys.on_commit(std::str::from_utf8(value).unwrap_or("")),
                    None => return self.unexpected(i, b"key_commit before GEN_KEYS"),
                };
                self.on_key_step(i, step, now);
            }
            Event::KeyParam(value) if self.setup.secure => {
                let step = match self.clients[i].keys.as_mut() {
                    Some(keys) => keys.on_param(std::str::from_utf8(value).unwrap_or("")),
                    None => return self.unexpected(i, b"key_param before GEN_KEYS"),
                };
                self.on_key_step(i, step, now);
            }
            Event::GenKeys(_) | Event::KeyCommit(_) | Event::KeyParam(_) | Event::Ignored => {}
            Event::Ping(token) => {
                if let Some(conn) = self.clients[i].conn.as_mut() {
                    proto.pong(token, conn.out());
                }
                self.mark(i);
            }
            Event::Refused => {
                let why = format!("refused: {}", String::from_utf8_lossy(line));
                self.fail(i, &why);
            }
            Event::Unexpected => self.unexpected(i, line),
        }
    }

    fn on_registered(&mut self, i: usize, now: u64) {
        if self.clients[i].stage != Stage::Registering {
            return;
        }
        self.clients[i].stage = Stage::Registered;
        self.pending -= 1;
        self.progress_ns = now;
        self.report.registered += 1;
        self.report
            .register_ns
            .push(now - self.clients[i].started_ns);
        let Some(p) = self.clients[i].partner else {
            self.ready(i, now);
            return;
        };
        if self.clients[p].stage != Stage::Registered {
            return;
        }
        let (a, b) = if self.clients[i].initiator {
            (i, p)
        } else {
            (p, i)
        };
        self.clients[a].stage = Stage::Pairing;
        self.clients[b].stage = Stage::Pairing;
        self.clients[a].started_ns = now;
        let proto = Arc::clone(&self.setup.proto);
        let partner = self.clients[b].name.clone();
        let needs_server = match self.clients[a].conn.as_mut() {
            Some(conn) => proto.pair(&partner, conn.out()),
            None => false,
        };
        if needs_server {
            self.mark(a);
        } else {
            self.ready(a, now);
            self.ready(b, now);
        }
    }

    /// Carries out one step of `i`'s key agreement: sends its line, or notes it is keyed.
    fn on_key_step(&mut self, i: usize, step: Step, now: u64) {
        match step {
            Step::Send(command) => {
                if let Some(conn) = self.clients[i].conn.as_mut() {
                    use std::io::Write;
                    let _ = writeln!(conn.out(), "{command}");
                }
                self.mark(i);
            }
            Step::Agreed => self.on_keyed(i, now),
            Step::Failed(err) => self.fail(i, &format!("key agreement failed: {err}")),
            Step::Quiet => {}
        }
    }

    fn on_keyed(&mut self, i: usize, now: u64) {
        let p = self.clients[i].partner.unwrap_or(i);
        let partner_keyed = self.clients[p]
            .keys
            .as_ref()
            .is_some_and(|k| k.session().is_some());
        if partner_keyed {
            let initiator = if self.clients[i].initiator { i } else { p };
            self.report
                .keys_ns
                .push(now - self.clients[initiator].started_ns);
        }
        if self.clients[i].paired {
            self.ready(i, now);
        }
    }

    fn on_text(&mut self, i: usize, from: &[u8], text: &[u8], now: u64) {
        let Some(p) = self.clients[i].partner else {
            self.unexpected(i, text);
            return;
        };
        if from != self.clients[i].partner_name.as_bytes() {
            self.report.faults.wrong_sender += 1;
            let (me, who) = (
                self.clients[i].name.clone(),
                String::from_utf8_lossy(from).into_owned(),
            );
            self.report
                .faults
                .note(|| format!("{me} got a message from {who}, not from its partner"));
            return;
        }
        let Some(stamp) = Stamp::decode(text) else {
            self.report.faults.garbled += 1;
            let text = String::from_utf8_lossy(text).into_owned();
            self.report
                .faults
                .note(|| format!("damaged message text: {text:?}"));
            return;
        };
        let client = &mut self.clients[i];
        let responder = matches!(self.traffic, Traffic::PingPong { .. }) && !client.initiator;
        if stamp.seq != client.received {
            self.report.faults.misordered += 1;
            let (name, want) = (client.name.clone(), client.received);
            self.report
                .faults
                .note(|| format!("{name} got message {} when {want} was next", stamp.seq));
        }
        client.received = stamp.seq + 1;
        self.report.delivered += 1;
        self.report.traffic_end_ns = now;
        match self.traffic {
            Traffic::Closed { .. } => self.mark(p),
            Traffic::Open { warmup_ns, .. } => {
                if stamp.sent_ns >= self.traffic_start_ns + warmup_ns {
                    self.sample(now.saturating_sub(stamp.sent_ns));
                }
            }
            Traffic::PingPong { rounds } => {
                if responder {
                    // Echo the same text: the initiator reads its own send time back.
                    let proto = Arc::clone(&self.setup.proto);
                    let client = &mut self.clients[i];
                    if let Some(conn) = client.conn.as_mut() {
                        proto.chat(&client.partner_name, text, conn.out());
                    }
                    client.sent += 1;
                    self.mark(i);
                } else {
                    self.sample(now.saturating_sub(stamp.sent_ns));
                    if self.clients[i].sent - self.clients[i].base < rounds {
                        self.send_stamped(i, now_ns());
                    }
                }
            }
            Traffic::Hold => {}
        }
    }

    fn sample(&mut self, ns: u64) {
        if let Some(run) = self.report.samples_ns.last_mut() {
            run.push(ns);
        }
    }

    /// Appends the next stamped message from `i` to its partner and queues `i` for writing.
    fn send_stamped(&mut self, i: usize, now: u64) {
        self.append_stamped(i, now);
        self.mark(i);
    }

    /// Appends the next stamped message from `i` to its partner.
    fn append_stamped(&mut self, i: usize, now: u64) {
        let client = &mut self.clients[i];
        let text = Stamp {
            seq: client.sent,
            sent_ns: now,
        }
        .encode();
        let Some(conn) = client.conn.as_mut() else {
            return;
        };
        if self.setup.secure {
            let Some(session) = client.keys.as_mut().and_then(Exchange::session_mut) else {
                return;
            };
            let payload = session
                .seal(std::str::from_utf8(&text).unwrap_or_default())
                .expect("a stamp is far shorter than the longest secure text");
            self.setup.proto.sealed(payload.as_bytes(), conn.out());
        } else {
            self.setup
                .proto
                .chat(&client.partner_name, &text, conn.out());
        }
        client.sent += 1;
        self.sent_total += 1;
    }

    /// Sends every open-loop message whose time has come.
    fn send_due(&mut self, now: u64) {
        let Traffic::Open {
            gap_ns,
            offset_ns,
            run_ns,
            ..
        } = self.traffic
        else {
            return;
        };
        let senders = self.clients.len();
        if senders == 0 {
            return;
        }
        let end = self.traffic_start_ns + run_ns;
        loop {
            let due = self.traffic_start_ns + offset_ns + self.slot * gap_ns;
            if due > now || due >= end {
                break;
            }
            let i = (self.slot % senders as u64) as usize;
            self.slot += 1;
            if self.clients[i].stage == Stage::Ready && self.clients[i].partner.is_some() {
                self.send_stamped(i, now);
            }
        }
        self.service();
    }

    /// Queues `i` for [`Fleet::service`].
    fn mark(&mut self, i: usize) {
        if !self.clients[i].queued {
            self.clients[i].queued = true;
            self.dirty.push(i);
        }
    }

    /// Tops up the closed-loop window of every marked client and writes its output.
    fn service(&mut self) {
        let mut dirty = std::mem::take(&mut self.dirty);
        for &i in &dirty {
            self.clients[i].queued = false;
            if let (true, Traffic::Closed { messages, window }) = (self.in_traffic, self.traffic) {
                self.top_up(i, messages, window);
            }
            let Some(conn) = self.clients[i].conn.as_mut() else {
                continue;
            };
            if conn.has_output() {
                if let Err(err) = conn.flush() {
                    self.broken(i, &err.to_string());
                }
            }
        }
        dirty.clear();
        self.dirty = dirty;
    }

    fn top_up(&mut self, i: usize, messages: u64, window: u64) {
        let Some(p) = self.clients[i].partner else {
            return;
        };
        if self.clients[i].stage != Stage::Ready {
            return;
        }
        let in_flight = self.clients[i].sent - self.clients[p].received;
        let allowed = window
            .saturating_sub(in_flight)
            .min(messages - (self.clients[i].sent - self.clients[i].base));
        if allowed == 0 {
            return;
        }
        let now = now_ns();
        for _ in 0..allowed {
            self.append_stamped(i, now);
        }
    }

    fn ready(&mut self, i: usize, now: u64) {
        let client = &mut self.clients[i];
        if matches!(client.stage, Stage::Ready | Stage::Failed) {
            return;
        }
        client.stage = Stage::Ready;
        self.settled += 1;
        self.report.ready += 1;
        self.progress_ns = now;
    }

    /// A client could not be set up: it (and its partner, which can no longer pair) is closed.
    fn fail(&mut self, i: usize, why: &str) {
        if self.in_traffic {
            self.broken(i, why);
            return;
        }
        let client = &mut self.clients[i];
        match client.stage {
            Stage::Failed => return,
            Stage::Connecting | Stage::Registering => self.pending -= 1,
            Stage::Ready => {
                self.settled -= 1;
                self.report.ready -= 1;
            }
            _ => {}
        }
        client.stage = Stage::Failed;
        if let Some(conn) = client.conn.take() {
            conn.reset();
        }
        self.settled += 1;
        self.report.failed += 1;
        self.progress_ns = now_ns();
        if self.report.first_failure.is_none() {
            self.report.first_failure = Some(format!("{}: {why}", client.name));
        }
        if let Some(p) = client.partner {
            self.fail(p, "its partner failed");
        }
    }

    /// A connection broke: during setup a failure, during traffic a fault.
    fn broken(&mut self, i: usize, why: &str) {
        if !self.in_traffic {
            self.fail(i, why);
            return;
        }
        let client = &mut self.clients[i];
        if let Some(conn) = client.conn.take() {
            conn.reset();
            self.report.faults.disconnected += 1;
            let name = client.name.clone();
            self.report.faults.note(|| format!("{name}: {why}"));
        }
    }

    fn unexpected(&mut self, i: usize, line: &[u8]) {
        self.report.faults.unexpected += 1;
        let (name, line) = (
            self.clients[i].name.clone(),
            String::from_utf8_lossy(line).into_owned(),
        );
        self.report
            .faults
            .note(|| format!("{name} got an unexpected line: {line:?}"));
    }
}
