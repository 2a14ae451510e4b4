//! What splitting a read into lines costs per byte, for the worst case and for ordinary chat.
//!
//! ```text
//! cargo run --release -p common --example line_split_bench
//! ```
//!
//! Feeds one 64 KiB chunk (the server's largest read) to a fresh
//! [`LineBuffer`](common::framing::LineBuffer) and takes every line out, as a session does
//! after each read: once a chunk of bare newlines (65,536 empty lines, the worst case for a
//! splitter that shifts the buffer per line), once a chunk of 100-byte lines. Prints the median
//! nanoseconds per byte of each. It prints figures only; it checks nothing.

use common::framing::LineBuffer;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// One read's worth: the server's largest read chunk.
const CHUNK: usize = 64 * 1024;

/// Median time to split `chunk` into lines, over `runs` runs on a fresh buffer each.
fn median(runs: usize, chunk: &[u8]) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let mut lines = LineBuffer::new();
            let started = Instant::now();
            lines.extend(chunk);
            let mut count = 0usize;
            while let Some(line) = lines.next_line() {
                count += black_box(line).map_or(0, |l| l.len() + 1);
            }
            black_box(count);
            started.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let newlines = vec![b'\n'; CHUNK];
    let mut chat = Vec::with_capacity(CHUNK);
    while chat.len() + 100 <= CHUNK {
        chat.extend_from_slice(&[b'a'; 99]);
        chat.push(b'\n');
    }
    for (what, chunk, runs) in [
        ("64 KiB of bare newlines", &newlines, 21),
        ("64 KiB of 100-byte lines", &chat, 201),
    ] {
        let took = median(runs, chunk);
        let per_byte = took.as_nanos() as f64 / chunk.len() as f64;
        println!(
            "{what:<26} {:>10.3} ms per chunk  {per_byte:>8.2} ns per byte",
            took.as_secs_f64() * 1e3
        );
    }
}
