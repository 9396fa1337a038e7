//! A Cortex-M4F firmware example for `account-lockout`.
//!
//! A device that guards a login (a door keypad, a maintenance port) keeps a small lockout
//! table of up to 8 users, keyed by a `u16` user id. A tick counter (milliseconds since
//! boot, as a `SysTick` handler would count them) is the clock; a pseudo-random stream
//! stands in for the users' attempts. Each pass of the main loop asks whether the user
//! may try (`check`), runs the attempt (`failure` or `success`), reports the unlocks that
//! time alone caused (`poll`) and looks at the next timer deadline.
//!
//! Features (none by default: the state machine alone):
//!
//! - `json`: the user's account view is written as JSON with `AccountView::write_json`
//!   (no serde) into a stack buffer and copied to a static output buffer (standing in for
//!   a UART).
//! - `json-input` (implies `json`): the policy is read from a JSON configuration text with
//!   `serde_json_core::from_slice`, and now and then an administrator's JSON patch is
//!   applied with `Patch::from_json`.
//! - `binary`: after every change every account is encoded with `Account::encode` into a
//!   static buffer (standing in for flash); at start the buffer is decoded back with
//!   `Account::decode` and restored into the table.
//!
//! Build and measure (from the repository root):
//!
//! ```sh
//! cargo build --release -p account-lockout-firmware --target thumbv7em-none-eabihf
//! bash examples/firmware/measure-size.sh
//! ```
//!
//! The program never panics by construction (the same clippy restrictions as the
//! library), and has no `unsafe` code of its own.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]
// Panic-free by construction: the workspace's lints (the root Cargo.toml).

use core::hint::black_box;
use core::sync::atomic::{AtomicU32, Ordering};

use account_lockout::{Instant, LockoutTable, Policy, TableError};
use cortex_m_rt::entry;
use panic_halt as _;

/// How many accounts the table holds at once (a power of two).
const SLOTS: usize = 8;

/// The lockout table: up to [`SLOTS`] users by id, PingOne-sized accounts (no failure
/// records, no credential memory).
type Table = LockoutTable<u16, SLOTS>;

mod keypad_policy;
use keypad_policy::POLICY;

/// Milliseconds since boot. On a real board the `SysTick` handler increments it; here the
/// main loop advances it, a fake tick that the optimiser cannot see through.
static TICKS: AtomicU32 = AtomicU32::new(0);

/// The wall-clock time at boot, as a real-time clock would give it:
/// 2026-01-01T00:00:00Z in milliseconds since the Unix epoch.
const BOOT_MS: i64 = 1_767_225_600_000;

/// Simulated time between two attempts, in milliseconds.
const STEP_MS: u32 = 1_500;

/// Distinct users making attempts: more than [`SLOTS`], so the table fills up at times.
const USER_MASK: u32 = 0xF;

/// Advances the tick counter by `step` milliseconds and returns the new time.
fn tick(step: u32) -> Instant {
    let ticks = TICKS.fetch_add(step, Ordering::Relaxed).wrapping_add(step);
    Instant::from_millis(BOOT_MS.saturating_add(i64::from(ticks)))
}

/// One step of a xorshift32 generator: the stream of attempts.
fn next_random(mut x: u32) -> u32 {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    x
}

#[entry]
fn main() -> ! {
    // The policy goes through `black_box` so that the optimiser keeps the whole state
    // machine (any policy, as if it were read from configuration) instead of a version
    // specialised to this one constant.
    let policy: Policy = black_box(POLICY);
    // With JSON, the policy comes from a configuration text when it parses.
    #[cfg(feature = "json-input")]
    let policy = json::configure(black_box(json::CONFIGURATION)).unwrap_or(policy);
    let mut table: Table = LockoutTable::new();

    #[cfg(feature = "binary")]
    {
        let restored = store::load(&mut table, &policy, tick(0));
        black_box(restored);
    }

    let mut random: u32 = black_box(0x2545_F491);
    loop {
        let now = tick(STEP_MS);
        random = next_random(random);
        // The mask keeps the value below 16: the cast cannot truncate.
        let user = black_box((random & USER_MASK) as u16);
        let credential_ok = random & 0x700 == 0;

        // May the user try at all? A read: it changes nothing.
        let gate = table.check(&policy, &user, now);
        black_box(&gate);

        // The attempt itself. While the user is locked the table rejects it uncounted.
        let result = if credential_ok {
            table.success(&policy, user, now)
        } else {
            table.failure(&policy, user, now, None)
        };
        let mut changed = match result {
            Ok(outcome) => {
                black_box(&outcome);
                true
            }
            // Every slot holds information: fail closed (refuse the login), nothing changed.
            Err(TableError::Full) => {
                black_box(user);
                false
            }
            // The table's accounts fit this policy: not reachable, but handled.
            Err(TableError::Operation(error)) => {
                black_box(error);
                false
            }
            // `TableError` is non-exhaustive: fail closed on a refusal added later.
            Err(_) => false,
        };

        // Unlocks that time alone caused, each reported once.
        while let Some((key, transition)) = table.poll(&policy, now) {
            black_box((key, transition));
            changed = true;
        }

        // When to wake up next, were this a sleeping firmware.
        black_box(table.next_deadline(&policy, now));

        #[cfg(feature = "json")]
        {
            // Now and then an administrator command arrives as a JSON patch.
            #[cfg(feature = "json-input")]
            if random & 0x3F == 0 {
                changed |= json::administer(&mut table, &policy, now, user);
            }
            json::publish(&table.view(&user, now));
        }

        #[cfg(feature = "binary")]
        if changed {
            store::save(&table);
        }
        black_box(changed);
    }
}

/// The account view as JSON, in a static output buffer (standing in for a UART).
#[cfg(feature = "json")]
mod json {
    use core::hint::black_box;
    use core::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

    use account_lockout::AccountView;
    #[cfg(feature = "json-input")]
    use account_lockout::{Instant, Patch, Policy};

    #[cfg(feature = "json-input")]
    use super::Table;

    /// The device's lockout configuration, as it would come from its settings store.
    #[cfg(feature = "json-input")]
    pub const CONFIGURATION: &[u8] =
        br#"{"pingone":{"failureCount":3,"durationSeconds":60},"maxConsecutiveFailures":100}"#;

    /// An administrator command, as it would come over the maintenance port.
    #[cfg(feature = "json-input")]
    const ADMIN_PATCH: &[u8] = br#"{"status":"OK"}"#;

    /// The policy of a JSON configuration, parsed without allocation.
    #[cfg(feature = "json-input")]
    pub fn configure(text: &[u8]) -> Option<Policy> {
        serde_json_core::from_slice::<Policy>(text)
            .ok()
            .map(|(policy, _)| policy)
    }

    /// Applies the administrator's JSON patch to `user`; whether anything was applied.
    #[cfg(feature = "json-input")]
    pub fn administer(table: &mut Table, policy: &Policy, now: Instant, user: u16) -> bool {
        match Patch::from_json(black_box(ADMIN_PATCH)) {
            Ok(patch) => table.patch(policy, user, now, patch).is_ok(),
            Err(error) => {
                black_box(error);
                false
            }
        }
    }

    /// Room for the longest view, dates in the expanded form included.
    const CAPACITY: usize = AccountView::MAX_JSON_LEN;

    /// The latest view, as JSON bytes; [`OUTPUT_LEN`] of them are valid.
    static OUTPUT: [AtomicU8; CAPACITY] = [const { AtomicU8::new(0) }; CAPACITY];
    static OUTPUT_LEN: AtomicUsize = AtomicUsize::new(0);

    /// Serialises `view` into a stack buffer and copies it to [`OUTPUT`].
    pub fn publish(view: &AccountView) {
        let mut buffer = [0u8; CAPACITY];
        match view.write_json(&mut buffer) {
            Ok(len) => {
                let written = buffer.get(..len).unwrap_or(&[]);
                for (cell, byte) in OUTPUT.iter().zip(written) {
                    cell.store(*byte, Ordering::Relaxed);
                }
                OUTPUT_LEN.store(written.len(), Ordering::Relaxed);
                // Nothing in this program reads the output back (a UART driver would): make
                // it observable so that the optimiser keeps the stores and the serialiser.
                black_box((&OUTPUT, &OUTPUT_LEN));
            }
            Err(error) => {
                black_box(error);
            }
        }
    }
}

/// The accounts in the binary format, in a static buffer standing in for flash.
#[cfg(feature = "binary")]
mod store;
