//! Grinding for matching safety codes: the search a relay in the middle runs once it holds both
//! clients' public values (`eve --grind`).
//!
//! Eve sits between two clients with a key exchange of her own toward each. Each client's
//! safety code hashes its own public value, the value eve sent it, and the secret they share
//! (and, after commitments, the chat number and both commitments). Once eve knows both real
//! values, she can try value after value on each side, `g^(x+k)` for `k = 0, 1, 2, ...` (one
//! multiplication each, [`Walk`]), until a code on one side agrees with a code on the other.
//! Like the birthday paradox, two lists of `n` codes meet in `d` digits after about
//! `n = 0.9 * sqrt(10^d)` each: about 180 candidates for 4 digits, 1,800 for 6, and
//! 1.8 million for the whole 12-digit code ([`expected_candidates`]).
//!
//! Against clients that reveal their values at once (the original's bare exchange) that forces
//! matching codes. Against clients that commit first it is wasted: eve had to send each client
//! a commitment to her value before she knew either real value, and a client refuses any value
//! that does not open the commitment it holds; every value the search finds is a new one.
//!
//! [`Search`] is the pure search, step by step; [`grind`] runs it against a time budget and
//! says what it does, line by line, for eve to print.

use common::commitment::Commitment;
use common::dh::{Group, KeyPair, PublicValue, SharedSecret, Walk};
use common::protocol::with_commas;
use common::secure::{committed_safety_code, format_safety_code, uncommitted_safety_code};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The number of digits in a safety code: the most a search can ask for.
pub const CODE_DIGITS: usize = 12;

/// How many candidates [`Search::run`] tries between looks at the clock.
const BATCH: u64 = 64;

/// How often [`grind`] reports progress while nothing else happens.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// How far a search goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Goal {
    /// How many leading digits of the two codes must agree: 1 to [`CODE_DIGITS`].
    pub digits: usize,
    /// Give up after this long.
    pub budget: Duration,
}

/// How a client turns the values of its exchange into its safety code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Formula {
    /// It committed first (today's client): the code also covers the chat number, the client's
    /// own commitment and the one it got from eve, made before eve knew anything.
    Committed {
        /// The chat number of its `GEN_KEYS`.
        chat: u64,
        /// The client's commitment to its own value.
        client: Commitment,
        /// Eve's commitment, as the client received it.
        eve: Commitment,
    },
    /// It revealed its value without a commitment (the original's bare exchange).
    Uncommitted,
}

/// One client, as eve searches against it.
#[derive(Debug, Clone)]
pub struct Target {
    /// Its name, for what eve prints.
    pub name: String,
    /// Its real public value.
    pub value: PublicValue,
    /// How it computes its safety code.
    pub formula: Formula,
    /// Eve's key pair toward it (the one she committed to): the search starts there.
    pub start: Arc<KeyPair>,
}

impl Target {
    /// The code this client computes if eve sends it `eve_value`, with the secret they share.
    fn code(&self, eve_value: &PublicValue, secret: &SharedSecret) -> String {
        let group = self.value.group();
        match self.formula {
            Formula::Committed { chat, client, eve } => committed_safety_code(
                group,
                chat,
                [&client, &eve],
                [&self.value, eve_value],
                secret,
            ),
            Formula::Uncommitted => uncommitted_safety_code(group, &self.value, eve_value, secret),
        }
    }
}

/// What eve sends one client, and what follows for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reveal {
    /// Eve's public value for this client.
    pub value: PublicValue,
    /// The secret the client will compute with it (eve knows it too).
    pub secret: SharedSecret,
    /// The safety code the client will show, if it accepts the value.
    pub code: String,
}

/// What one call of [`Search::run`] came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Two codes, one per side, agree in more leading digits than any pair before.
    Closer {
        /// How many leading digits agree.
        digits: usize,
        /// The two codes, in the order of the targets.
        codes: [String; 2],
    },
    /// The goal is reached: what to send each side, in the order of the targets.
    Found(Box<[Reveal; 2]>),
    /// Both walks came round to where they started (the toy group's 998 values): there is
    /// nothing left to try.
    Exhausted,
    /// The batch is done; nothing new.
    Batch,
}

/// One side of the search.
#[derive(Debug)]
struct Side {
    target: Target,
    walk: Walk,
    /// Each code met on this side, as a number, with the first step that gave it.
    codes: BTreeMap<u64, u64>,
    /// False once the walk came round: this side has nothing new.
    fresh: bool,
}

/// A search for a value toward each of two clients such that their safety codes agree in
/// the first `digits` digits.
#[derive(Debug)]
pub struct Search {
    sides: [Side; 2],
    digits: usize,
    candidates: u64,
    /// The most leading digits two codes agreed in so far.
    best: usize,
    /// Which side steps next: they take turns.
    turn: usize,
}

impl Search {
    /// A search for `digits` matching digits (at most [`CODE_DIGITS`]) against two clients.
    /// Costs one exponentiation per side: run it outside any lock.
    ///
    /// # Errors
    ///
    /// [`SearchError`] if the two clients' values and eve's keys are not all of one group.
    pub fn new(targets: [Target; 2], digits: usize) -> Result<Search, SearchError> {
        let group = targets[0].value.group();
        if targets
            .iter()
            .any(|t| t.value.group() != group || t.start.group() != group)
        {
            return Err(SearchError::MixedGroups);
        }
        let sides = targets.map(|target| {
            // Step 0 is the value eve committed to; the search tries new ones. (Against
            // committing clients, step 0 on both sides is the one blind guess eve gets.)
            let mut walk = Walk::new(&target.start, &target.value);
            walk.step();
            Side {
                walk,
                target,
                codes: BTreeMap::new(),
                fresh: true,
            }
        });
        Ok(Search {
            sides,
            digits: digits.clamp(1, CODE_DIGITS),
            candidates: 0,
            best: 0,
            turn: 0,
        })
    }

    /// Candidates tried so far, both sides together.
    pub fn candidates(&self) -> u64 {
        self.candidates
    }

    /// The most leading digits two codes have agreed in so far.
    pub fn best(&self) -> usize {
        self.best
    }

    /// The group searched.
    pub fn group(&self) -> Group {
        self.sides[0].target.value.group()
    }

    /// What eve reveals if she gives up: the values she committed to, and the codes that
    /// follow (different, almost surely).
    pub fn starts(&self) -> [Reveal; 2] {
        [0, 1].map(|i| self.reveal(i, 0))
    }

    /// Tries up to `batch` more candidates (at least one), taking turns between the sides;
    /// stops early at anything worth telling.
    pub fn run(&mut self, batch: u64) -> Progress {
        for _ in 0..batch.max(1) {
            if !self.sides.iter().any(|s| s.fresh) {
                return Progress::Exhausted;
            }
            let i = self.turn;
            self.turn = 1 - i;
            if !self.sides[i].fresh {
                continue;
            }
            if let Some(event) = self.try_next(i) {
                return event;
            }
        }
        Progress::Batch
    }

    /// Side `i`'s value at its current step, compared with every code of the other side.
    fn try_next(&mut self, i: usize) -> Option<Progress> {
        let side = &mut self.sides[i];
        let (k, value, secret) = (side.walk.steps(), side.walk.value(), side.walk.secret());
        side.walk.step();
        if side.walk.back_at_start() {
            side.fresh = false;
        }
        // Only the toy group has values a client refuses (1, once in 999 steps).
        let value = value.ok()?;
        self.candidates += 1;
        let code = side.target.code(&value, &secret);
        let number = code_number(&code);
        if side.codes.contains_key(&number) {
            return None;
        }
        side.codes.insert(number, k);
        let other = &self.sides[1 - i].codes;
        // In sorted order, the longest common prefix is with a neighbour.
        let (digits, other_number, other_k) = [
            other.range(..=number).next_back(),
            other.range(number..).next(),
        ]
        .into_iter()
        .flatten()
        .map(|(&n, &k)| (common_digits(number, n), n, k))
        .max_by_key(|&(digits, _, _)| digits)?;
        if digits >= self.digits {
            let mut reveals = [self.reveal(i, k), self.reveal(1 - i, other_k)];
            if i == 1 {
                reveals.swap(0, 1);
            }
            self.best = self.best.max(digits);
            return Some(Progress::Found(Box::new(reveals)));
        }
        if digits > self.best {
            self.best = digits;
            let mut codes = [code, format_safety_code(other_number)];
            if i == 1 {
                codes.swap(0, 1);
            }
            return Some(Progress::Closer { digits, codes });
        }
        None
    }

    /// Side `i`'s value, secret and code at step `k` of its walk.
    fn reveal(&self, i: usize, k: u64) -> Reveal {
        let side = &self.sides[i];
        let walk = side.walk.at(k);
        let secret = walk.secret();
        // Never degenerate: a found value was checked when it was tried, and step 0 is eve's
        // own key pair. The fallback only spares a panic.
        let value = walk
            .value()
            .unwrap_or_else(|_| side.target.start.public().clone());
        Reveal {
            code: side.target.code(&value, &secret),
            value,
            secret,
        }
    }
}

/// Why a [`Search`] could not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    /// The two clients (or eve's keys toward them) are in different groups: a lying server.
    #[error("the two sides of the chat use different key groups")]
    MixedGroups,
}

/// How a [`grind`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What to send each client, in the order of the targets: the values found or, if none
    /// were, the ones eve committed to.
    pub reveal: [Reveal; 2],
    /// The goal was reached: the two codes agree in at least [`Goal::digits`] digits.
    pub matched: bool,
    /// Candidates tried, both sides together.
    pub candidates: u64,
    /// How long the search ran.
    pub elapsed: Duration,
}

/// Runs the search against two clients until the goal is reached, the budget is spent or
/// nothing is left to try, and tells `report` what happens, in lines for eve to print: the
/// goal, each closer pair of codes, progress every second, the rate, and what a whole 12-digit
/// match would cost at that rate. Long work: run it in a thread of its own, outside any lock.
///
/// # Errors
///
/// As [`Search::new`].
pub fn grind(
    targets: [Target; 2],
    goal: Goal,
    mut report: impl FnMut(String),
) -> Result<Finding, SearchError> {
    let names = [targets[0].name.clone(), targets[1].name.clone()];
    let started = Instant::now();
    let mut search = Search::new(targets, goal.digits)?;
    // The rate leaves out the two exponentiations that start the walks.
    let searching = Instant::now();
    let digits = search.digits;
    report(format!(
        "  eve (grind): both values are in; searching values for {} and {} whose codes agree \
         in the first {digits} digits (about {} candidates expected; giving up after {} s)",
        names[0],
        names[1],
        with_commas(expected_candidates(digits)),
        goal.budget.as_secs_f64()
    ));
    let mut last_report = Instant::now();
    let (reveal, matched) = loop {
        match search.run(BATCH) {
            Progress::Found(reveal) => break (*reveal, true),
            Progress::Closer { digits, codes } => report(format!(
                "  eve (grind): {} candidates: codes agree in {}: {} would see {}, {} {}",
                with_commas(search.candidates()),
                plural(digits, "digit"),
                names[0],
                codes[0],
                names[1],
                codes[1]
            )),
            Progress::Exhausted => {
                report(format!(
                    "  eve (grind): every value of the {} group tried: no pair of codes agrees \
                     in {digits} digits",
                    search.group()
                ));
                break (search.starts(), false);
            }
            Progress::Batch => {}
        }
        // Memory grows with every code kept; ten times the expected number of candidates
        // passes without a match with odds below 10^-30.
        if search.candidates() >= 10 * expected_candidates(digits) {
            report(format!(
                "  eve (grind): no match in ten times the candidates expected; giving up \
                 (the best pair agreed in {})",
                plural(search.best(), "digit")
            ));
            break (search.starts(), false);
        }
        if started.elapsed() >= goal.budget {
            report(format!(
                "  eve (grind): out of time after {} candidates; the best pair agreed in {}",
                with_commas(search.candidates()),
                plural(search.best(), "digit")
            ));
            break (search.starts(), false);
        }
        if last_report.elapsed() >= PROGRESS_EVERY {
            last_report = Instant::now();
            report(format!(
                "  eve (grind): {} candidates, {} a second; best so far {}",
                with_commas(search.candidates()),
                with_commas(rate(search.candidates(), searching.elapsed())),
                plural(search.best(), "digit")
            ));
        }
    };
    let elapsed = started.elapsed();
    let per_second = rate(search.candidates(), searching.elapsed());
    if matched {
        report(format!(
            "  eve (grind): found after {} candidates in {:.2} s: {} would see {}, {} {}",
            with_commas(search.candidates()),
            elapsed.as_secs_f64(),
            names[0],
            reveal[0].code,
            names[1],
            reveal[1].code
        ));
    }
    let whole = expected_candidates(CODE_DIGITS);
    report(format!(
        "  eve (grind): {} candidates in {:.2} s, {} a second on this machine: the whole \
         {CODE_DIGITS}-digit code needs about {} candidates, {} / {} = about {}",
        with_commas(search.candidates()),
        searching.elapsed().as_secs_f64(),
        with_commas(per_second),
        with_commas(whole),
        with_commas(whole),
        with_commas(per_second),
        duration_words(whole, per_second)
    ));
    Ok(Finding {
        reveal,
        matched,
        candidates: search.candidates(),
        elapsed,
    })
}

/// The expected number of candidates, both sides together, until two codes agree in `digits`
/// leading digits: two lists of `n` each hold `n^2` pairs, each agreeing with odds `10^-digits`,
/// so the first agreement comes after `n = sqrt(pi/4 * 10^digits)` each on average.
pub fn expected_candidates(digits: usize) -> u64 {
    let space = 10f64.powi(digits.min(CODE_DIGITS) as i32);
    (2.0 * (std::f64::consts::PI / 4.0 * space).sqrt()).round() as u64
}

/// Candidates a second.
fn rate(candidates: u64, elapsed: Duration) -> u64 {
    (candidates as f64 / elapsed.as_secs_f64().max(1e-3)).round() as u64
}

/// How long `candidates` take at `per_second`, in words: `40 s`, `12 minutes`, `3.5 hours`.
fn duration_words(candidates: u64, per_second: u64) -> String {
    let seconds = candidates as f64 / per_second.max(1) as f64;
    if seconds < 120.0 {
        format!("{seconds:.0} s")
    } else if seconds < 7200.0 {
        format!("{:.0} minutes", seconds / 60.0)
    } else {
        format!("{:.1} hours", seconds / 3600.0)
    }
}

/// `1 digit`, `2 digits`.
fn plural(n: usize, word: &str) -> String {
    match n {
        1 => format!("1 {word}"),
        n => format!("{n} {word}s"),
    }
}

/// A code `dddd dddd dddd` as the number its digits spell.
fn code_number(code: &str) -> u64 {
    code.bytes()
        .filter(u8::is_ascii_digit)
        .fold(0, |n, d| n * 10 + u64::from(d - b'0'))
}

/// How many leading digits two 12-digit codes (as numbers) share.
fn common_digits(a: u64, b: u64) -> usize {
    (0..=CODE_DIGITS)
        .rev()
        .find(|&d| {
            let unit = 10u64.pow((CODE_DIGITS - d) as u32);
            a / unit == b / unit
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Digits agree from the left, as a person reads the codes aloud.
    #[test]
    fn leading_digits() {
        for (a, b, digits) in [
            (123_456_789_012, 123_456_789_012, 12),
            (123_456_789_012, 123_456_789_013, 11),
            (123_456_789_012, 123_499_999_999, 4),
            (23_456_789_012, 123_456_789_012, 0),
            (0, 9, 11),
        ] {
            assert_eq!(common_digits(a, b), digits, "{a} {b}");
        }
        assert_eq!(code_number("0412 9981 2271"), 41_299_812_271);
        assert_eq!(format_safety_code(41_299_812_271), "0412 9981 2271");
        assert_eq!(with_commas(1_772_454), "1,772,454");
        assert_eq!(with_commas(999), "999");
        assert_eq!(expected_candidates(12), 1_772_454);
        assert_eq!(expected_candidates(4), 177);
    }

    fn targets(group: Group, formula: impl Fn(&KeyPair, &KeyPair) -> Formula) -> [Target; 2] {
        ["alice", "bob"].map(|name| {
            let client = KeyPair::generate(group);
            let eve = KeyPair::generate(group);
            Target {
                name: name.into(),
                value: client.public().clone(),
                formula: formula(&client, &eve),
                start: Arc::new(eve),
            }
        })
    }

    /// Grinds against two clients without commitments for `digits` digits, and checks the
    /// codes each client computes from its own key with the values found.
    fn forces_codes_without_commitments(digits: usize) {
        let group = Group::Ffdhe2048;
        let clients = [KeyPair::generate(group), KeyPair::generate(group)];
        let targets: [Target; 2] = [0, 1].map(|i| Target {
            name: format!("client {i}"),
            value: clients[i].public().clone(),
            formula: Formula::Uncommitted,
            start: Arc::new(KeyPair::generate(group)),
        });
        let goal = Goal {
            digits,
            budget: Duration::from_secs(600),
        };
        let mut lines = Vec::new();
        let outcome = grind(targets, goal, |l| lines.push(l)).unwrap();
        assert!(outcome.matched, "{lines:#?}");
        let codes = [0, 1].map(|i| {
            let eve = &outcome.reveal[i].value;
            let secret = clients[i].agree(eve);
            assert_eq!(secret, outcome.reveal[i].secret);
            uncommitted_safety_code(group, clients[i].public(), eve, &secret)
        });
        let shown = digits + (digits - 1) / 4;
        assert_eq!(codes[0][..shown], codes[1][..shown], "{codes:?}");
        assert_eq!(
            [&codes[0], &codes[1]],
            [0, 1].map(|i| &outcome.reveal[i].code)
        );
        assert!(
            lines.iter().any(|l| l.contains("found after")),
            "{lines:#?}"
        );
        assert!(lines.iter().any(|l| l.contains("1,772,454")), "{lines:#?}");
        eprintln!("{}", lines.join("\n"));
    }

    /// Against clients without commitments, the values found give codes that agree in the
    /// digits asked for, as each client computes its code from its own key.
    #[test]
    fn finds_codes_that_agree() {
        forces_codes_without_commitments(5);
    }

    /// The whole 12-digit code against clients without commitments: about 1.8 million
    /// candidates, seconds in a release build and minutes in a debug one:
    /// `cargo test --release -p client grind -- --ignored --nocapture`.
    #[test]
    #[ignore = "about 1.8 million candidates; run with --release --ignored"]
    fn forces_the_whole_code_without_commitments() {
        forces_codes_without_commitments(CODE_DIGITS);
    }

    /// Against committing clients the search succeeds just the same, but what it finds are
    /// new values, which do not open eve's commitments.
    #[test]
    fn found_values_do_not_open_eves_commitments() {
        let group = Group::Ffdhe2048;
        let targets = targets(group, |client, eve| Formula::Committed {
            chat: 7,
            client: Commitment::to(group, 7, client.public()),
            eve: Commitment::to(group, 7, eve.public()),
        });
        let starts = targets.clone().map(|t| t.start);
        let goal = Goal {
            digits: 3,
            budget: Duration::from_secs(60),
        };
        let outcome = grind(targets, goal, |_| {}).unwrap();
        assert!(outcome.matched);
        assert_eq!(outcome.reveal[0].code[..3], outcome.reveal[1].code[..3]);
        let opened = [0, 1].map(|i| {
            Commitment::to(group, 7, starts[i].public()).opens_to(
                group,
                7,
                &outcome.reveal[i].value,
            )
        });
        assert_eq!(opened, [false, false], "the search tries only new values");
    }

    /// In the toy group the walks come round after 999 steps each and the search says so
    /// instead of spinning until the budget is spent; the start values are what eve reveals.
    #[test]
    fn toy_group_runs_out() {
        let goal = Goal {
            digits: 12,
            budget: Duration::from_secs(60),
        };
        let targets = targets(Group::Toy, |_, _| Formula::Uncommitted);
        let starts = targets.clone().map(|t| t.start.public().clone());
        let mut lines = Vec::new();
        let outcome = grind(targets, goal, |l| lines.push(l)).unwrap();
        if outcome.matched {
            return; // 998^2 pairs against 10^12 codes: possible, if hardly ever.
        }
        assert!(outcome.candidates <= 2 * 998, "{}", outcome.candidates);
        assert!(
            lines.iter().any(|l| l.contains("every value")),
            "{lines:#?}"
        );
        assert_eq!(outcome.reveal.map(|r| r.value), starts);
    }

    /// Values of different groups are refused, not mixed.
    #[test]
    fn mixed_groups_are_refused() {
        let mut targets = targets(Group::Toy, |_, _| Formula::Uncommitted);
        targets[1].start = Arc::new(KeyPair::generate(Group::Ffdhe2048));
        assert_eq!(
            Search::new(targets, 4).err(),
            Some(SearchError::MixedGroups)
        );
    }
}
