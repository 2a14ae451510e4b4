//! The measurements: each sets up a crew (or two) against a server, runs it, checks it and
//! emits its rows.

use crate::crew::{Crew, Load, Outcome, Size};
use crate::fleet::{Faults, Setup};
use crate::procfs::{self, CpuMeter, CpuUse};
use crate::report::{self, quantile, show, Row};
use crate::target::{Spec, Target};
use common::dh::{Group, KeyPair};
use std::path::PathBuf;
use std::thread;
use std::time::{Duration, Instant};

/// Connects and registrations in flight per worker while setting up a crew (8 in all with two
/// workers). ngircd listens with a backlog of 10: more connects at once overflow it, and the
/// dropped SYNs are retried after 1, 2, 4 s.
const SETUP_CONCURRENCY: usize = 4;
/// Give up on a registration when no client made progress for this long.
const STALL: Duration = Duration::from_secs(10);

/// Sizes of every measurement.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Throughput: pairs, messages per client, window.
    pub tp_pairs: usize,
    pub tp_messages: u64,
    pub window: u64,
    /// Latency: pairs, total messages per second, warm-up and measured seconds.
    pub lat_pairs: usize,
    pub lat_rate: f64,
    pub lat_warmup: Duration,
    pub lat_run: Duration,
    /// Ping-pong: rounds, and idle clients held for the second run.
    pub rounds: u64,
    pub pp_idle: usize,
    /// Idle capacity: clients to hold.
    pub idle: usize,
    /// Registration rate: clients (a small and a large crowd: ngircd slows down as it holds
    /// more), and connects in flight in all.
    pub reg_small: usize,
    pub reg_clients: usize,
    pub reg_concurrency: usize,
    /// Secure messages: key agreements timed one at a time, then pairs and sealed messages.
    pub agreements: usize,
    pub sec_pairs: usize,
    pub sec_messages: u64,
}

impl Sizes {
    /// The full table.
    pub const FULL: Sizes = Sizes {
        tp_pairs: 100,
        tp_messages: 10_000,
        window: 64,
        lat_pairs: 1_000,
        lat_rate: 20_000.0,
        lat_warmup: Duration::from_secs(2),
        lat_run: Duration::from_secs(8),
        rounds: 10_000,
        pp_idle: 9_998,
        idle: 10_000,
        reg_small: 1_000,
        reg_clients: 5_000,
        reg_concurrency: 8,
        agreements: 10,
        sec_pairs: 100,
        sec_messages: 1_000,
    };

    /// Seconds, not minutes: for CI.
    pub const SMOKE: Sizes = Sizes {
        tp_pairs: 4,
        tp_messages: 500,
        window: 64,
        lat_pairs: 10,
        lat_rate: 1_000.0,
        lat_warmup: Duration::from_millis(200),
        lat_run: Duration::from_millis(800),
        rounds: 200,
        pp_idle: 50,
        idle: 100,
        reg_small: 50,
        reg_clients: 200,
        reg_concurrency: 8,
        agreements: 1,
        sec_pairs: 2,
        sec_messages: 50,
    };

    /// Every count multiplied by `factor` (at least 1), times unchanged.
    pub fn scaled(self, factor: f64) -> Sizes {
        let n = |v: usize| ((v as f64 * factor).round() as usize).max(1);
        let m = |v: u64| ((v as f64 * factor).round() as u64).max(1);
        Sizes {
            tp_pairs: n(self.tp_pairs),
            tp_messages: m(self.tp_messages),
            lat_pairs: n(self.lat_pairs),
            lat_rate: (self.lat_rate * factor).max(10.0),
            rounds: m(self.rounds),
            pp_idle: n(self.pp_idle),
            idle: n(self.idle),
            reg_small: n(self.reg_small),
            reg_clients: n(self.reg_clients),
            agreements: n(self.agreements),
            sec_pairs: n(self.sec_pairs),
            sec_messages: m(self.sec_messages),
            ..self
        }
    }
}

/// A benchmark session against one kind of server.
pub struct Bench {
    /// The server to measure.
    pub spec: Spec,
    /// Generator worker threads.
    pub workers: usize,
    /// Label of this run in the TSV file.
    pub run: String,
    /// Where rows are appended.
    pub tsv: Option<PathBuf>,
    /// Problems that make the run invalid: lost, misordered or misdirected messages, clients
    /// that could not be set up.
    pub problems: Vec<String>,
    /// Count clients the server could not hold as a problem too (smoke runs).
    pub strict: bool,
}

impl Bench {
    fn server(&self) -> &'static str {
        self.spec.protocol().server_name()
    }

    fn emit(&self, row: Row) -> Result<(), String> {
        report::emit(self.server(), &self.run, &row, self.tsv.as_ref())
    }

    fn setup(&self, target: &Target, concurrency: usize, secure: bool) -> Setup {
        Setup {
            addr: target.addr,
            proto: self.spec.protocol(),
            concurrency: concurrency.max(1),
            stall: STALL,
            secure,
        }
    }

    /// Runs `f` against a server that is up for it (a fresh one where the generator starts
    /// servers), and stops it after.
    fn on_server<T>(
        &mut self,
        f: impl FnOnce(&mut Bench, &Target) -> Result<T, String>,
    ) -> Result<T, String> {
        let target = Target::up(&self.spec)?;
        check_fd_limit(&target);
        let result = f(self, &target);
        target.down();
        result
    }

    /// Records a problem unless every one of `want` clients was set up and no message went
    /// astray.
    fn check(&mut self, what: &str, out: &Outcome, want: usize) -> bool {
        let mut ok = true;
        if out.total.ready < want {
            self.problems.push(format!(
                "{what}: only {} of {want} clients were set up ({})",
                out.total.ready,
                out.total
                    .first_failure
                    .as_deref()
                    .unwrap_or("no reason given")
            ));
            ok = false;
        }
        if out.total.faults.total() > 0 {
            self.problems.push(describe_faults(what, &out.total.faults));
            ok = false;
        }
        ok
    }

    fn spawn(&self, setup: Setup, size: Size, load: Load) -> Result<Crew, String> {
        Crew::spawn(setup, size, load).map_err(|e| format!("cannot start the generator: {e}"))
    }

    /// Closed-loop throughput.
    ///
    /// # Errors
    /// The server could not be started or the generator could not run.
    pub fn throughput(&mut self, pairs: usize, messages: u64, window: u64) -> Result<(), String> {
        self.on_server(|b, t| b.closed_loop(t, false, pairs, messages, window))
    }

    /// Open-loop latency at a fixed total rate.
    ///
    /// # Errors
    /// The server could not be started or the generator could not run.
    pub fn latency(
        &mut self,
        pairs: usize,
        rate: f64,
        warmup: Duration,
        run: Duration,
    ) -> Result<(), String> {
        self.on_server(|b, t| {
            let size = Size {
                pairs,
                singles: 0,
                workers: b.workers,
            };
            let load = Load::Open { rate, warmup, run };
            let crew = b.spawn(b.setup(t, SETUP_CONCURRENCY, false), size, load)?;
            let (mut out, cpu) = measure_traffic(crew, t.pid);
            if !b.check("latency", &out, 2 * pairs) {
                return Ok(());
            }
            let mut samples = out.total.samples_ns.pop().unwrap_or_default();
            samples.sort_unstable();
            let label =
                |what: &str| format!("latency {what}, {} msgs/s over {pairs} pairs", show(rate));
            let note = format!(
                "{} samples, {:.0} msgs/s delivered",
                show(samples.len() as f64),
                out.total.delivered as f64 / (warmup + run).as_secs_f64()
            );
            for (key, what, q) in [
                ("latency_p50", "p50", 0.5),
                ("latency_p99", "p99", 0.99),
                ("latency_max", "max", 1.0),
            ] {
                b.emit(Row {
                    key,
                    label: label(what),
                    value: quantile(&samples, q) as f64 / 1e3,
                    unit: "µs",
                    cpu,
                    note: note.clone(),
                })?;
            }
            Ok(())
        })
    }

    /// Ping-pong round trips of one pair: `rounds` alone, then (if `idle` > 0) `rounds` more on
    /// the same connections while `idle` registered clients are held. Timing the same pair
    /// twice keeps the comparison free of where the scheduler happened to put its threads.
    ///
    /// # Errors
    /// The server could not be started or the generator could not run.
    pub fn pingpong(&mut self, rounds: u64, idle: usize) -> Result<(), String> {
        self.on_server(|b, t| {
            let size = Size {
                pairs: 1,
                singles: 0,
                workers: 1,
            };
            let load = Load::PingPong { rounds };
            let mut pair = b.spawn(b.setup(t, 2, false), size, load)?;
            pair.start();
            pair.ready();
            let meter = CpuMeter::start(t.pid);
            pair.go();
            pair.done();
            let alone_cpu = meter.stop();
            let mut held = None;
            let mut idle_cpu = CpuUse::default();
            if idle > 0 {
                let size = Size {
                    pairs: 0,
                    singles: idle,
                    workers: b.workers,
                };
                let mut crew = b.spawn(b.setup(t, SETUP_CONCURRENCY, false), size, Load::Hold)?;
                crew.start();
                crew.ready();
                let meter = CpuMeter::start(t.pid);
                pair.go();
                pair.done();
                idle_cpu = meter.stop();
                held = Some(crew.release());
            }
            let mut out = pair.release();
            if !b.check("ping-pong", &out, 2) {
                return Ok(());
            }
            let mut note = format!("{} rounds", show(rounds as f64));
            for samples in &mut out.total.samples_ns {
                samples.sort_unstable();
            }
            let rows = |run: usize| out.total.samples_ns.get(run).cloned().unwrap_or_default();
            for (q, what) in [(0.5, "p50"), (0.99, "p99")] {
                b.emit(Row {
                    key: if q == 0.5 { "rtt_p50" } else { "rtt_p99" },
                    label: format!("round trip {what}, 1 pair alone"),
                    value: quantile(&rows(0), q) as f64 / 1e3,
                    unit: "µs",
                    cpu: alone_cpu,
                    note: note.clone(),
                })?;
            }
            let Some(held) = held else {
                return Ok(());
            };
            note = format!(
                "{note}, same pair, {} idle clients held",
                show(held.total.ready as f64)
            );
            if held.total.ready < idle {
                note.push_str(&format!(
                    " (of {}: {})",
                    show(idle as f64),
                    held.total.first_failure.as_deref().unwrap_or("?")
                ));
            }
            for (q, what) in [(0.5, "p50"), (0.99, "p99")] {
                b.emit(Row {
                    key: if q == 0.5 {
                        "rtt_idle_p50"
                    } else {
                        "rtt_idle_p99"
                    },
                    label: format!("round trip {what}, 1 pair + {} idle", show(idle as f64)),
                    value: quantile(&rows(1), q) as f64 / 1e3,
                    unit: "µs",
                    cpu: idle_cpu,
                    note: note.clone(),
                })?;
            }
            Ok(())
        })
    }

    /// Idle capacity: hold `clients` registered clients and read the server's memory.
    ///
    /// # Errors
    /// The server could not be started or the generator could not run.
    pub fn idle(&mut self, clients: usize) -> Result<(), String> {
        self.on_server(|b, t| {
            let (rss0, threads0) = procfs::memory(t.pid).map_err(|e| e.to_string())?;
            let fds0 = procfs::fd_count(t.pid);
            let size = Size {
                pairs: 0,
                singles: clients,
                workers: b.workers,
            };
            let concurrency = SETUP_CONCURRENCY;
            let mut crew = b.spawn(b.setup(t, concurrency, false), size, Load::Hold)?;
            let meter = CpuMeter::start(t.pid);
            crew.start();
            crew.ready();
            let cpu = meter.stop();
            // Let the server finish whatever the last registrations started.
            thread::sleep(Duration::from_millis(500));
            let (rss1, threads1) = procfs::memory(t.pid).map_err(|e| e.to_string())?;
            let fds1 = procfs::fd_count(t.pid);
            crew.go();
            crew.done();
            let out = crew.release();
            let held = out.total.ready;
            let per =
                |before: u64, after: u64| after.saturating_sub(before) as f64 / held.max(1) as f64;
            let mut note = format!(
                "RSS {} -> {} KiB, {} -> {} threads, {:.1} fds per client (server limit {})",
                show(rss0 as f64),
                show(rss1 as f64),
                threads0,
                threads1,
                fds1.saturating_sub(fds0) as f64 / held.max(1) as f64,
                procfs::nofile_limit(t.pid).map_or("?".into(), |n| show(n as f64))
            );
            if held < clients {
                note.push_str(&format!(
                    "; {} not held: {}",
                    show((clients - held) as f64),
                    out.total.first_failure.as_deref().unwrap_or("?")
                ));
            }
            if out.total.faults.total() > 0 {
                b.problems.push(describe_faults("idle", &out.total.faults));
            }
            if b.strict && held < clients {
                b.problems.push(format!("idle: {note}"));
            }
            let label = |what: &str| format!("{what}, {} idle clients", show(clients as f64));
            b.emit(Row {
                key: "idle_held",
                label: label("clients held"),
                value: held as f64,
                unit: "clients",
                cpu,
                note: note.clone(),
            })?;
            b.emit(Row {
                key: "idle_rss",
                label: label("server RSS per client"),
                value: per(rss0, rss1),
                unit: "KiB",
                cpu,
                note: note.clone(),
            })?;
            b.emit(Row {
                key: "idle_threads",
                label: label("server threads per client"),
                value: per(threads0, threads1),
                unit: "threads",
                cpu,
                note,
            })
        })
    }

    /// Connect-and-register rate of `clients` that stay connected, reported under `key`.
    ///
    /// # Errors
    /// The server could not be started or the generator could not run.
    pub fn register(
        &mut self,
        key: &'static str,
        clients: usize,
        concurrency: usize,
        server_note: &str,
    ) -> Result<(), String> {
        self.on_server(|b, t| {
            let size = Size {
                pairs: 0,
                singles: clients,
                workers: b.workers,
            };
            let per_worker = concurrency / b.workers.max(1);
            let mut crew = b.spawn(b.setup(t, per_worker, false), size, Load::Hold)?;
            let meter = CpuMeter::start(t.pid);
            crew.start();
            crew.ready();
            let cpu = meter.stop();
            crew.go();
            crew.done();
            let mut out = crew.release();
            if !b.check("register", &out, clients) {
                return Ok(());
            }
            out.total.register_ns.sort_unstable();
            let secs = secs(out.total.setup_end_ns - out.start_ns);
            b.emit(Row {
                key,
                label: format!(
                    "connect+register, {} clients, {concurrency} at once{server_note}",
                    show(clients as f64)
                ),
                value: out.total.registered as f64 / secs,
                unit: "regs/s",
                cpu,
                note: format!(
                    "each {:.2} ms p50, {:.2} ms p90, {:.2} ms p99, {:.2} ms mean",
                    quantile(&out.total.register_ns, 0.5) as f64 / 1e6,
                    quantile(&out.total.register_ns, 0.9) as f64 / 1e6,
                    quantile(&out.total.register_ns, 0.99) as f64 / 1e6,
                    out.total.register_ns.iter().sum::<u64>() as f64
                        / out.total.register_ns.len().max(1) as f64
                        / 1e6
                ),
            })
        })
    }

    /// ffdhe2048 key agreement time (one pair at a time) and sealed-message throughput.
    ///
    /// # Errors
    /// The server is not labchat, could not be started, or the generator could not run.
    pub fn secure(
        &mut self,
        agreements: usize,
        pairs: usize,
        messages: u64,
        window: u64,
    ) -> Result<(), String> {
        if self.server() != "labchat" {
            return Err("secure messages exist only in labchat".into());
        }
        self.on_server(|b, t| {
            let mut keys = Vec::new();
            let meter = CpuMeter::start(t.pid);
            for _ in 0..agreements {
                let size = Size {
                    pairs: 1,
                    singles: 0,
                    workers: 1,
                };
                let crew = b.spawn(b.setup(t, 2, true), size, Load::Hold)?;
                let out = crew.run();
                if !b.check("key agreement", &out, 2) {
                    return Ok(());
                }
                keys.extend(out.total.keys_ns);
            }
            let cpu = meter.stop();
            keys.sort_unstable();
            let modexp = {
                let start = Instant::now();
                for _ in 0..3 {
                    let _ = KeyPair::generate(Group::Ffdhe2048);
                }
                start.elapsed().as_secs_f64() / 3.0 * 1e3
            };
            b.emit(Row {
                key: "keys_ms",
                label: "ffdhe2048 key agreement, connect to both keyed".into(),
                value: quantile(&keys, 0.5) as f64 / 1e6,
                unit: "ms",
                cpu,
                note: format!(
                    "median of {}; both sides' 4 modexps run on one generator thread, {modexp:.1} ms each",
                    keys.len()
                ),
            })?;
            b.closed_loop(t, true, pairs, messages, window)
        })
    }

    /// Closed-loop traffic over `pairs` pairs, with `secure:` messages when `secure`: each
    /// client sends `messages`, at most `window` in flight. Reported as the throughput row, or
    /// the secure throughput row.
    fn closed_loop(
        &mut self,
        t: &Target,
        secure: bool,
        pairs: usize,
        messages: u64,
        window: u64,
    ) -> Result<(), String> {
        let (key, what, sent) = match secure {
            false => ("throughput", "throughput", "msgs"),
            true => ("secure_throughput", "secure throughput", "sealed msgs"),
        };
        let size = Size {
            pairs,
            singles: 0,
            workers: self.workers,
        };
        let crew = self.spawn(
            self.setup(t, SETUP_CONCURRENCY, secure),
            size,
            Load::Closed { messages, window },
        )?;
        let (out, cpu) = measure_traffic(crew, t.pid);
        if !self.check(what, &out, 2 * pairs) {
            return Ok(());
        }
        let secs = secs(out.total.traffic_end_ns - out.go_ns);
        self.emit(Row {
            key,
            label: format!("{what}, {pairs} pairs, window {window}"),
            value: out.total.delivered as f64 / secs,
            unit: "msgs/s",
            cpu,
            note: format!("{} {sent} in {secs:.2} s", show(out.total.delivered as f64)),
        })
    }

    /// The connect-and-register rate of `clients` against a labchat server started with
    /// enough spare threads for all of them (`--spare-threads`, the next power of two): the
    /// burst finds every thread made. Nothing for other servers, or one already running.
    ///
    /// # Errors
    /// The server could not be started or the generator could not run.
    pub fn register_with_spare_threads(
        &mut self,
        clients: usize,
        concurrency: usize,
    ) -> Result<(), String> {
        let Spec::StartLabchat { bin, log, args } = self.spec.clone() else {
            return Ok(());
        };
        if args.iter().any(|a| a.starts_with("--spare-threads")) {
            // The server's spare threads are already the caller's choice.
            return Ok(());
        }
        let spare = clients.next_power_of_two().max(64);
        let mut with = args.clone();
        with.extend(["--spare-threads".to_string(), spare.to_string()]);
        self.spec = Spec::StartLabchat {
            bin: bin.clone(),
            log: log.clone(),
            args: with,
        };
        let note = format!(" (server --spare-threads {spare})");
        let result = self.register("register_small_spare", clients, concurrency, &note);
        self.spec = Spec::StartLabchat { bin, log, args };
        result
    }

    /// Every measurement, in the table's order. Errors are recorded as problems and the
    /// next measurement runs.
    pub fn all(&mut self, s: &Sizes, with_secure: bool) {
        let results = [
            self.throughput(s.tp_pairs, s.tp_messages, s.window),
            self.latency(s.lat_pairs, s.lat_rate, s.lat_warmup, s.lat_run),
            self.pingpong(s.rounds, s.pp_idle),
            self.idle(s.idle),
            self.register("register_small", s.reg_small, s.reg_concurrency, ""),
            self.register_with_spare_threads(s.reg_small, s.reg_concurrency),
            self.register("register_large", s.reg_clients, s.reg_concurrency, ""),
        ];
        for result in results {
            if let Err(err) = result {
                self.problems.push(err);
            }
        }
        if with_secure && self.server() == "labchat" {
            if let Err(err) = self.secure(s.agreements, s.sec_pairs, s.sec_messages, s.window) {
                self.problems.push(err);
            }
        }
    }
}

/// Runs a crew's setup, then its traffic with the CPU meter on.
fn measure_traffic(mut crew: Crew, pid: u32) -> (Outcome, CpuUse) {
    crew.start();
    crew.ready();
    let meter = CpuMeter::start(pid);
    crew.go();
    crew.done();
    let cpu = meter.stop();
    (crew.release(), cpu)
}

fn secs(ns: u64) -> f64 {
    (ns as f64 / 1e9).max(1e-9)
}

fn describe_faults(what: &str, f: &Faults) -> String {
    format!(
        "{what}: {} lost, {} out of order, {} from the wrong sender, {} damaged, {} unexpected lines, {} connections broken; first: {}",
        f.lost,
        f.misordered,
        f.wrong_sender,
        f.garbled,
        f.unexpected,
        f.disconnected,
        f.first.as_deref().unwrap_or("-")
    )
}

/// Warns when the server may run out of file descriptors before the generator does.
fn check_fd_limit(target: &Target) {
    if let Some(limit) = procfs::nofile_limit(target.pid) {
        if limit < 20_000 {
            eprintln!(
                "loadgen: warning: the server may open only {limit} files; raise it with ulimit -n"
            );
        }
    }
}
