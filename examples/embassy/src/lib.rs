//! The host-testable half of the embassy example: what the firmware's watcher task does
//! each time it wakes, and the conversion between the crate's wall-clock [`Instant`] and
//! the milliseconds since boot that embassy's timers count.
//!
//! - [`monitor`]: a [`LockoutTable`] with its policy that reports each lock and each
//!   unlock exactly once, whether the watcher's `poll` or an event noticed it first.
//! - [`clock`]: the boot clock, crate instants to embassy ticks and back.
//!
//! The firmware (`src/main.rs`, built for `thumbv7em-none-eabihf`) adds the executor, the
//! `SysTick` time driver and the scripted attempts.
//!
//! [`Instant`]: account_lockout::Instant
//! [`LockoutTable`]: account_lockout::LockoutTable

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod clock;
pub mod monitor;

#[cfg(test)]
#[allow(clippy::restriction)]
mod tests;
