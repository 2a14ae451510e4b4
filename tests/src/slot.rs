//! A value one thread fills and another waits for, e.g. what a relay saw pass one way, wanted
//! by the relay's thread for the other way.

use crate::WAIT;
use parking_lot::{Condvar, Mutex};
use std::time::Instant;

/// A value that is set once (or replaced) by one thread and awaited by others.
#[derive(Debug, Default)]
pub struct Slot {
    value: Mutex<Option<String>>,
    filled: Condvar,
}

impl Slot {
    /// Sets the value (or clears it with `None`) and wakes whoever waits.
    pub fn set(&self, value: Option<String>) {
        *self.value.lock() = value;
        self.filled.notify_all();
    }

    /// The value, once there is one; `None` after [`WAIT`].
    pub fn wait(&self) -> Option<String> {
        let deadline = Instant::now() + WAIT;
        let mut value = self.value.lock();
        while value.is_none() {
            if self.filled.wait_until(&mut value, deadline).timed_out() {
                break;
            }
        }
        value.clone()
    }
}
