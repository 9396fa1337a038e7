//! Instruction counts per operation, for callgrind: stable on a busy machine, where
//! criterion's medians are not. `benches/instructions.sh` runs each operation twice under
//! `valgrind --tool=callgrind`, 1 000 and 101 000 times, and divides the difference of
//! the totals by 100 000, so that set-up and process start cancel out.
//!
//! ```text
//! bash benches/instructions.sh            # the table BENCHMARKS.md shows
//! target/release/deps/instructions-* check 1000   # one operation, by hand
//! ```

use std::hint::black_box;
use std::num::NonZeroU32;

use account_lockout::dialect::{PamFaillock, PingOne};
use account_lockout::{Account, AccountView, Instant, LockoutTable, Policy};
use governor::clock::FakeRelativeClock;
use governor::{Quota, RateLimiter};

/// 2026-01-01T00:00:00Z.
const START: i64 = 1_767_225_600_000;

fn at(offset_ms: i64) -> Instant {
    Instant::from_millis(START + offset_ms)
}

fn pingone(threshold: u32) -> Policy {
    PingOne {
        failure_count: threshold,
        duration_seconds: Some(900),
    }
    .policy()
    .expect("a valid policy")
}

/// An account with `failures` failures at one-second steps.
fn with_failures<const R: usize>(policy: &Policy, failures: i64) -> Account<R, 0> {
    let mut account = Account::new();
    for step in 0..failures {
        let _ = account
            .failure(policy, at(step * 1_000), None)
            .expect("capacity");
    }
    account
}

/// 4096 accounts with a failure each, then `times` failures on keys spread over them.
fn table_attempts<const N: usize>(table: &mut LockoutTable<u32, N>, policy: &Policy, times: u64) {
    for key in 0..4_096 {
        table.failure(policy, key, at(0), None).ok();
    }
    let mut key: u32 = 0x2545_F491;
    for _ in 0..times {
        key ^= key << 13;
        key ^= key >> 17;
        key ^= key << 5;
        black_box(
            table
                .failure(policy, black_box(key % 4_096), at(1), None)
                .ok(),
        );
    }
}

/// The operations, by name; each runs `times` times.
const OPERATIONS: &[&str] = &[
    "can_authenticate",
    "check",
    "check_pam_faillock",
    "counted_failure",
    "success",
    "view_locked",
    "json_view_locked",
    "json_view_locked_serde",
    "table_attempt_4096",
    "table_attempt_4096_of_8192",
    "governor_direct",
    "governor_keyed_4096",
];

fn run(operation: &str, times: u64) -> Result<(), String> {
    let open = pingone(u32::MAX);
    match operation {
        "can_authenticate" => {
            let account: Account = with_failures(&open, 3);
            for i in 0..times {
                black_box(black_box(&account).can_authenticate(at(10_000 + i as i64)));
            }
        }
        "check" => {
            let account: Account = with_failures(&open, 3);
            for i in 0..times {
                let _ =
                    black_box(black_box(&account).check(black_box(&open), at(10_000 + i as i64)));
            }
        }
        "check_pam_faillock" => {
            let policy = PamFaillock::DEFAULT.policy().expect("a valid policy");
            let account: Account<3, 0> = with_failures(&policy, 2);
            for i in 0..times {
                let _ =
                    black_box(black_box(&account).check(black_box(&policy), at(10_000 + i as i64)));
            }
        }
        "counted_failure" => {
            let mut account: Account = Account::new();
            for i in 0..times {
                black_box(account.failure(black_box(&open), at(i as i64), None).ok());
            }
        }
        "success" => {
            let mut account: Account = with_failures(&open, 3);
            for i in 0..times {
                let _ = black_box(account.success(black_box(&open), at(10_000 + i as i64)));
            }
        }
        "view_locked" => {
            let account: Account = with_failures(&pingone(3), 3);
            for i in 0..times {
                black_box(black_box(&account).view(at(60_000 + i as i64)));
            }
        }
        "json_view_locked" => {
            let view = with_failures::<0>(&pingone(3), 3).view(at(60_123));
            let mut buffer = [0_u8; AccountView::MAX_JSON_LEN];
            for _ in 0..times {
                black_box(black_box(&view).write_json(&mut buffer).ok());
            }
        }
        "json_view_locked_serde" => {
            let view = with_failures::<0>(&pingone(3), 3).view(at(60_123));
            let mut buffer = [0_u8; 256];
            for _ in 0..times {
                black_box(serde_json_core::to_slice(black_box(&view), &mut buffer).ok());
            }
        }
        "table_attempt_4096" => {
            let mut table: Box<LockoutTable<u32, 4096>> = Box::new(LockoutTable::new());
            table_attempts(&mut table, &open, times);
        }
        "table_attempt_4096_of_8192" => {
            let mut table: Box<LockoutTable<u32, 8192>> = Box::new(LockoutTable::new());
            table_attempts(&mut table, &open, times);
        }
        "governor_direct" => {
            let quota = Quota::per_second(NonZeroU32::new(1_000_000_000).expect("non-zero"));
            let limiter = RateLimiter::direct_with_clock(quota, FakeRelativeClock::default());
            for _ in 0..times {
                black_box(black_box(&limiter).check().is_ok());
            }
        }
        "governor_keyed_4096" => {
            let quota = Quota::per_second(NonZeroU32::new(1_000_000_000).expect("non-zero"));
            let limiter = RateLimiter::hashmap_with_clock(quota, FakeRelativeClock::default());
            for key in 0..4_096_u32 {
                limiter.check_key(&key).ok();
            }
            let mut key: u32 = 0x2545_F491;
            for _ in 0..times {
                key ^= key << 13;
                key ^= key >> 17;
                key ^= key << 5;
                black_box(limiter.check_key(black_box(&(key % 4_096))).is_ok());
            }
        }
        other => {
            return Err(format!(
                "unknown operation {other:?}; one of {OPERATIONS:?}"
            ));
        }
    }
    Ok(())
}

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes `--bench`: then list the operations and exit.
    match arguments.as_slice() {
        [operation, times] if !operation.starts_with('-') => {
            let times: u64 = match times.parse() {
                Ok(times) => times,
                Err(error) => {
                    eprintln!("times: {error}");
                    std::process::exit(2);
                }
            };
            if let Err(error) = run(operation, times) {
                eprintln!("{error}");
                std::process::exit(2);
            }
        }
        _ => println!("operations: {}", OPERATIONS.join(" ")),
    }
}
