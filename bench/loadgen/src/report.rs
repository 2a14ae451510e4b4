//! Rows of results: printed as they come, appended to a TSV file, and (`loadgen table`)
//! folded into the labchat-vs-ngircd table with medians, ratios and the targets.

use crate::procfs::CpuUse;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// One measured figure.
#[derive(Debug, Clone)]
pub struct Row {
    /// Stable key, e.g. `throughput`, `rtt_p50`.
    pub key: &'static str,
    /// What was measured, for people.
    pub label: String,
    /// The figure.
    pub value: f64,
    /// Its unit.
    pub unit: &'static str,
    /// CPU of both sides while it was measured.
    pub cpu: CpuUse,
    /// Context (counts, totals).
    pub note: String,
}

/// Prints `row` for `server` on stdout and appends it to `tsv` if given.
///
/// # Errors
/// The TSV file cannot be written.
pub fn emit(server: &str, run: &str, row: &Row, tsv: Option<&PathBuf>) -> Result<(), String> {
    println!(
        "{server:<8} {:<44} {:>12} {:<7} cpu: server {:>3.0}%  generator {:>3.0}%  other {:>3.0}%  {}",
        row.label,
        show(row.value),
        row.unit,
        row.cpu.server,
        row.cpu.generator,
        row.cpu.other,
        row.note
    );
    if let Some(path) = tsv {
        let mut file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        writeln!(
            file,
            "{server}\t{run}\t{}\t{}\t{}\t{:.1}\t{:.1}\t{:.1}\t{}\t{}",
            row.key,
            row.value,
            row.unit,
            row.cpu.server,
            row.cpu.generator,
            row.cpu.other,
            row.label,
            row.note.replace('\t', " ")
        )
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// A number as people read it: `1,234,567`, `97.3`, `0.42`.
pub fn show(value: f64) -> String {
    if value.abs() >= 1000.0 || (value.fract() == 0.0 && value.abs() < 1e15) {
        let digits = format!("{:.0}", value.abs());
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        if value < 0.0 {
            out.insert(0, '-');
        }
        out
    } else if value.abs() >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// The `q` quantile (0..=1) of sorted samples, nearest rank.
pub fn quantile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// Which way is better, and the target for labchat.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// labchat / ngircd at least this.
    RatioAtLeast(f64),
    /// labchat / ngircd at most this.
    RatioAtMost(f64),
    /// labchat's figure at least this.
    AtLeast(f64),
    /// labchat's figure at most this.
    AtMost(f64),
    /// labchat's figure at most this times labchat's figure for another key.
    OwnRatioAtMost(&'static str, f64),
    /// No target.
    None,
}

/// Table order, and the targets of issue 5.
const ORDER: [(&str, Target); 17] = [
    ("throughput", Target::RatioAtLeast(1.5)),
    ("latency_p50", Target::None),
    ("latency_p99", Target::RatioAtMost(0.5)),
    ("latency_max", Target::None),
    ("rtt_p50", Target::RatioAtMost(0.85)),
    ("rtt_p99", Target::None),
    ("rtt_idle_p50", Target::OwnRatioAtMost("rtt_p50", 1.10)),
    ("rtt_idle_p99", Target::None),
    ("idle_held", Target::AtLeast(10_000.0)),
    ("idle_rss", Target::AtMost(24.0)),
    ("idle_threads", Target::None),
    ("register_small", Target::RatioAtLeast(1.5)),
    ("register_small_spare", Target::RatioAtLeast(1.5)),
    ("register_large", Target::RatioAtLeast(1.5)),
    ("register_rate", Target::RatioAtLeast(1.5)),
    ("keys_ms", Target::None),
    ("secure_throughput", Target::None),
];

#[derive(Default)]
struct Cell {
    values: Vec<f64>,
    server_cpu: Vec<f64>,
    gen_cpu: Vec<f64>,
    other_cpu: Vec<f64>,
    unit: String,
    label: String,
}

/// The ngircd row a labchat row is compared with: the same measurement, which for a row
/// that only changes labchat's settings is the row without the change.
fn ngircd_key(key: &str) -> &str {
    match key {
        "register_small_spare" => "register_small",
        other => other,
    }
}

/// Reads result rows from `files` and returns the side-by-side markdown table.
///
/// # Errors
/// A file cannot be read or holds a malformed row.
pub fn table(files: &[PathBuf]) -> Result<String, String> {
    let mut cells: BTreeMap<(String, String), Cell> = BTreeMap::new();
    let mut runs: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for file in files {
        read_rows(file, &mut cells, &mut runs)?;
    }
    let get = |server: &str, key: &str| cells.get(&(server.to_string(), key.to_string()));
    let mut out = String::new();
    let runs_of = |s: &str| runs.get(s).map_or(0, |r| r.len());
    let _ = writeln!(
        out,
        "Medians of {} labchat run(s) and {} ngircd run(s). CPU: percent of one core (200 = \
         both cores) used by the server / the generator / everything else on the machine, \
         while the figure was measured.\n",
        runs_of("labchat"),
        runs_of("ngircd")
    );
    out.push_str(
        "| measurement | unit | labchat | CPU srv/gen/other | ngircd | CPU srv/gen/other | labchat/ngircd | target | met |\n",
    );
    out.push_str("|---|---|--:|--:|--:|--:|--:|---|---|\n");
    for (key, target) in ORDER {
        let (lab, ng) = (get("labchat", key), get("ngircd", ngircd_key(key)));
        let Some(any) = lab.or(ng) else {
            continue;
        };
        let med = |c: Option<&Cell>| c.map(|c| median(&mut c.values.clone()));
        let cpu = |c: Option<&Cell>| {
            c.map_or("—".to_string(), |c| {
                format!(
                    "{:.0} / {:.0} / {:.0}",
                    median(&mut c.server_cpu.clone()),
                    median(&mut c.gen_cpu.clone()),
                    median(&mut c.other_cpu.clone())
                )
            })
        };
        let (l, n) = (med(lab), med(ng));
        let ratio = match (l, n) {
            (Some(l), Some(n)) if n != 0.0 => Some(l / n),
            _ => None,
        };
        let (goal, met) = match target {
            Target::RatioAtLeast(x) => (format!("≥ {x}× ngircd"), ratio.map(|r| r >= x)),
            Target::RatioAtMost(x) => (format!("≤ {x}× ngircd"), ratio.map(|r| r <= x)),
            Target::AtLeast(x) => (format!("≥ {}", show(x)), l.map(|l| l >= x)),
            Target::AtMost(x) => (format!("≤ {}", show(x)), l.map(|l| l <= x)),
            Target::OwnRatioAtMost(other, x) => {
                let base = med(get("labchat", other));
                (
                    format!("≤ {x}× labchat {other}"),
                    l.zip(base).map(|(l, b)| l <= x * b),
                )
            }
            Target::None => ("—".into(), None),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            any.label,
            any.unit,
            l.map_or("—".into(), show),
            cpu(lab),
            n.map_or("—".into(), show),
            cpu(ng),
            ratio.map_or("—".into(), |r| format!("{r:.2}")),
            goal,
            match met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "—",
            }
        );
    }
    Ok(out)
}

fn read_rows(
    file: &Path,
    cells: &mut BTreeMap<(String, String), Cell>,
    runs: &mut BTreeMap<String, std::collections::BTreeSet<String>>,
) -> Result<(), String> {
    let text =
        fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let bad = || format!("{}:{}: not a loadgen row", file.display(), n + 1);
        if f.len() < 9 {
            return Err(bad());
        }
        let num = |s: &str| s.parse::<f64>().map_err(|_| bad());
        let cell = cells
            .entry((f[0].to_string(), f[2].to_string()))
            .or_default();
        cell.values.push(num(f[3])?);
        cell.unit = f[4].to_string();
        cell.server_cpu.push(num(f[5])?);
        cell.gen_cpu.push(num(f[6])?);
        cell.other_cpu.push(num(f[7])?);
        cell.label = f[8].to_string();
        runs.entry(f[0].to_string())
            .or_default()
            .insert(f[1].to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(show(1_234_567.4), "1,234,567");
        assert_eq!(show(999.0), "999");
        assert_eq!(show(999.5), "999.5");
        assert_eq!(show(97.34), "97.3");
        assert_eq!(show(0.421), "0.42");
    }

    #[test]
    fn quantiles_and_medians() {
        let s: Vec<u64> = (1..=100).collect();
        assert_eq!(quantile(&s, 0.5), 50);
        assert_eq!(quantile(&s, 0.99), 99);
        assert_eq!(quantile(&s, 1.0), 100);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
