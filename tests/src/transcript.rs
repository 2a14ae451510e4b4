//! Lines a program or socket has produced so far, and waiting for the next expected one.

use parking_lot::{Condvar, Mutex};
use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Everything one stream has printed, line by line, filled by a background thread.
#[derive(Debug, Clone, Default)]
pub struct Transcript {
    inner: Arc<(Mutex<Lines>, Condvar)>,
}

#[derive(Debug, Default)]
struct Lines {
    lines: Vec<String>,
    /// Lines before this index have been matched by `expect` already.
    cursor: usize,
    ended: bool,
}

impl Transcript {
    /// Starts a thread that copies `stream` into a new transcript, line by line.
    pub fn capture(stream: impl Read + Send + 'static) -> Transcript {
        let transcript = Transcript::default();
        let sink = transcript.clone();
        thread::spawn(move || {
            let mut reader = BufReader::new(stream);
            let mut line = Vec::new();
            loop {
                line.clear();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let text = String::from_utf8_lossy(&line);
                        sink.push(text.trim_end_matches(['\n', '\r']).to_string());
                    }
                }
            }
            sink.end();
        });
        transcript
    }

    fn push(&self, line: String) {
        let (lock, cond) = &*self.inner;
        lock.lock().lines.push(line);
        cond.notify_all();
    }

    fn end(&self) {
        let (lock, cond) = &*self.inner;
        lock.lock().ended = true;
        cond.notify_all();
    }

    /// Every line so far.
    pub fn lines(&self) -> Vec<String> {
        self.inner.0.lock().lines.clone()
    }

    /// True once the stream has ended.
    pub fn ended(&self) -> bool {
        self.inner.0.lock().ended
    }

    /// Waits until a line after the last matched one satisfies `pred`; returns it and moves
    /// the cursor past it. `None` if the stream ends or `timeout` passes first.
    pub fn wait_for(&self, timeout: Duration, pred: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = Instant::now() + timeout;
        let (lock, cond) = &*self.inner;
        let mut state = lock.lock();
        loop {
            if let Some(offset) = state.lines[state.cursor..].iter().position(|l| pred(l)) {
                let index = state.cursor + offset;
                state.cursor = index + 1;
                return Some(state.lines[index].clone());
            }
            if state.ended || cond.wait_until(&mut state, deadline).timed_out() {
                // One last look: the line may have come with the wake-up.
                let found = state.lines[state.cursor..].iter().position(|l| pred(l));
                return found.map(|offset| {
                    let index = state.cursor + offset;
                    state.cursor = index + 1;
                    state.lines[index].clone()
                });
            }
        }
    }

    /// Waits until the stream ends; true if it did within `timeout`.
    pub fn wait_end(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let (lock, cond) = &*self.inner;
        let mut state = lock.lock();
        while !state.ended {
            if cond.wait_until(&mut state, deadline).timed_out() {
                return state.ended;
            }
        }
        true
    }

    /// Lines not yet matched by a wait.
    pub fn unmatched(&self) -> Vec<String> {
        let state = self.inner.0.lock();
        state.lines[state.cursor..].to_vec()
    }
}
