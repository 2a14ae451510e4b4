//! A crew: a few worker threads, each driving one [`Fleet`], moved through the same phases in
//! step with the main thread (start, ready, go, done, release) so the main thread can measure the
//! server between them.

use crate::clock::now_ns;
use crate::fleet::{Fleet, Report, Setup, Traffic};
use mio::Waker;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// What a crew's clients do once set up, for the crew as a whole.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Load {
    /// Hold the connections.
    Hold,
    /// Closed loop: `messages` per client, at most `window` in flight per direction.
    Closed { messages: u64, window: u64 },
    /// Open loop: `rate` messages per second over all clients for `warmup` then `run`; latency
    /// is sampled during `run`.
    Open {
        rate: f64,
        warmup: Duration,
        run: Duration,
    },
    /// `rounds` ping-pongs per pair.
    PingPong { rounds: u64 },
}

/// How many clients, on how many threads.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    /// Pairs of clients that talk to each other.
    pub pairs: usize,
    /// Registered clients that only sit there.
    pub singles: usize,
    /// Worker threads.
    pub workers: usize,
}

/// Everything the crew's fleets measured, merged.
#[derive(Debug, Default)]
pub struct Outcome {
    /// When the crew was started (generator clock).
    pub start_ns: u64,
    /// When the traffic started.
    pub go_ns: u64,
    /// The fleets' reports, merged ([`Report::merge`]).
    pub total: Report,
}

/// A running crew; call [`Crew::start`], [`Crew::ready`], then [`Crew::go`] and [`Crew::done`]
/// once per traffic run (or not at all), then [`Crew::release`].
pub struct Crew {
    barrier: Arc<Barrier>,
    releasing: Arc<AtomicBool>,
    threads: Vec<JoinHandle<Report>>,
    wakers: Vec<Arc<Waker>>,
    tick: Option<Duration>,
    ticker: Option<(Arc<AtomicBool>, JoinHandle<()>)>,
    start_ns: u64,
    go_ns: u64,
}

static CREWS: AtomicUsize = AtomicUsize::new(0);

impl Crew {
    /// Builds the fleets (no connection yet) and their threads, waiting at the start barrier.
    ///
    /// # Errors
    /// A poll or a thread could not be created.
    pub fn spawn(setup: Setup, size: Size, load: Load) -> io::Result<Crew> {
        let setup = Arc::new(setup);
        let workers = size.workers.max(1);
        // Unique among this process's crews and, by the pid, among generators on one server.
        let prefix = format!(
            "g{:x}c{}n",
            std::process::id(),
            CREWS.fetch_add(1, Ordering::Relaxed)
        );
        let barrier = Arc::new(Barrier::new(workers + 1));
        let releasing = Arc::new(AtomicBool::new(false));
        let total_clients = 2 * size.pairs;
        let mut threads = Vec::new();
        let mut wakers = Vec::new();
        let mut first = 0;
        let mut tick = None;
        for w in 0..workers {
            let share = |n: usize| n * (w + 1) / workers - n * w / workers;
            let (pairs, singles) = (share(size.pairs), share(size.singles));
            let traffic = match load {
                Load::Hold => Traffic::Hold,
                Load::Closed { messages, window } => Traffic::Closed { messages, window },
                Load::PingPong { rounds } => Traffic::PingPong { rounds },
                Load::Open { rate, warmup, run } => {
                    let own_rate = rate * (2 * pairs) as f64 / total_clients.max(1) as f64;
                    let gap_ns = (1e9 / own_rate.max(1e-3)) as u64;
                    tick = Some(Duration::from_nanos(gap_ns.clamp(100_000, 1_000_000)));
                    Traffic::Open {
                        gap_ns,
                        offset_ns: gap_ns * w as u64 / workers as u64,
                        warmup_ns: warmup.as_nanos() as u64,
                        run_ns: (warmup + run).as_nanos() as u64,
                    }
                }
            };
            let mut fleet =
                Fleet::new(Arc::clone(&setup), &prefix, first, pairs, singles, traffic)?;
            first += 2 * pairs + singles;
            wakers.push(fleet.waker());
            let barrier = Arc::clone(&barrier);
            let releasing = Arc::clone(&releasing);
            let thread = thread::Builder::new()
                .name(format!("fleet{w}"))
                .spawn(move || {
                    barrier.wait();
                    fleet.establish();
                    barrier.wait();
                    loop {
                        // Either go (traffic, then done) or release.
                        barrier.wait();
                        if releasing.load(Ordering::SeqCst) {
                            break;
                        }
                        fleet.run_traffic();
                        barrier.wait();
                    }
                    fleet.finish()
                })?;
            threads.push(thread);
        }
        Ok(Crew {
            barrier,
            releasing,
            threads,
            wakers,
            tick,
            ticker: None,
            start_ns: 0,
            go_ns: 0,
        })
    }

    /// Lets the fleets connect and register.
    pub fn start(&mut self) {
        self.barrier.wait();
        self.start_ns = now_ns();
    }

    /// Waits until every fleet is set up.
    pub fn ready(&mut self) {
        self.barrier.wait();
    }

    /// Starts a traffic run; may be repeated after [`Crew::done`].
    pub fn go(&mut self) {
        self.barrier.wait();
        self.go_ns = now_ns();
        if let Some(period) = self.tick {
            // The poll's own timeout has millisecond steps; open-loop sends need finer ones.
            let stop = Arc::new(AtomicBool::new(false));
            let wakers = self.wakers.clone();
            let flag = Arc::clone(&stop);
            let ticker = thread::spawn(move || {
                let mut next = Instant::now();
                while !flag.load(Ordering::Relaxed) {
                    next += period;
                    if let Some(wait) = next.checked_duration_since(Instant::now()) {
                        thread::sleep(wait);
                    }
                    for waker in &wakers {
                        let _ = waker.wake();
                    }
                }
            });
            self.ticker = Some((stop, ticker));
        }
    }

    /// Waits until every fleet has finished its traffic.
    pub fn done(&mut self) {
        self.barrier.wait();
        if let Some((stop, ticker)) = self.ticker.take() {
            stop.store(true, Ordering::Relaxed);
            let _ = ticker.join();
        }
    }

    /// Lets the fleets close their connections, and merges what they measured.
    pub fn release(self) -> Outcome {
        self.releasing.store(true, Ordering::SeqCst);
        self.barrier.wait();
        let mut out = Outcome {
            start_ns: self.start_ns,
            go_ns: self.go_ns,
            ..Outcome::default()
        };
        for thread in self.threads {
            match thread.join() {
                Ok(report) => out.total.merge(report),
                Err(_) => out.total.faults.note_panic(),
            }
        }
        out
    }

    /// Runs all four phases back to back.
    pub fn run(mut self) -> Outcome {
        self.start();
        self.ready();
        self.go();
        self.done();
        self.release()
    }
}
