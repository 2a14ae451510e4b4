//! The load-heavy integration tests, in a program of their own that `cargo test` runs on its
//! own, after `main.rs` (it runs test programs in name order; CI compiles its lints beside
//! `main`, which mostly waits, so they are done before these start). Each loads both cores (a
//! hundred clients killed at once, floods into a partner, a client stopped mid-flood, a
//! thousand threads, thousands of lost names), so they run one at a time
//! ([`tests::Serial::Load`]) and never beside the timing-sensitive tests of the main program.

mod eve_load;
mod flood_kick;
mod kept_names;
mod mass_faults;
mod output_budget;
mod stuck;
mod threads;
