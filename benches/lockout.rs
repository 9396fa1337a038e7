//! Criterion benchmarks: the cost of each decision, per dialect where it differs, and
//! governor's limiters measured beside us on comparable work (one decision per call).
//!
//! ```text
//! cargo bench --bench lockout                  # everything (about two minutes)
//! cargo bench --bench lockout -- check         # one group
//! ```
//!
//! BENCHMARKS.md records the medians, with the date and this command.

use std::hint::black_box;
use std::num::NonZeroU32;

use account_lockout::dialect::{ActiveDirectory, AndroidGatekeeper, Keycloak, PamFaillock, Tpm};
use account_lockout::harness::pingone;
use account_lockout::{Account, AccountView, Instant, LockoutTable, Patch, Policy};
use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, Criterion, criterion_group, criterion_main};
use governor::clock::FakeRelativeClock;
use governor::{Quota, RateLimiter};

/// 2026-01-01T00:00:00Z.
const START: i64 = 1_767_225_600_000;

fn at(offset_ms: i64) -> Instant {
    Instant::from_millis(START + offset_ms)
}

/// Every dialect, with a threshold high enough that a counted failure does not lock
/// within a benchmark (so that "counted failure" measures counting, not locking).
fn dialects() -> Vec<(&'static str, Policy)> {
    vec![
        ("pingone", pingone(u32::MAX, Some(900))),
        (
            "activeDirectory",
            ActiveDirectory {
                lockout_threshold: 999,
                lockout_duration_seconds: 1_800,
                lockout_observation_window_seconds: 1_800,
            }
            .policy()
            .unwrap(),
        ),
        (
            "keycloak",
            Keycloak {
                failure_factor: u32::MAX,
                quick_login_check_milli_seconds: 0,
                ..Keycloak::DEFAULT
            }
            .policy()
            .unwrap(),
        ),
        (
            "pamFaillock",
            PamFaillock {
                deny: 16,
                fail_interval: 900,
                unlock_time: 600,
            }
            .policy()
            .unwrap(),
        ),
        (
            "tpm",
            Tpm {
                max_tries: u32::MAX,
                recovery_time: 1_000,
            }
            .policy()
            .unwrap(),
        ),
        ("androidGatekeeper", AndroidGatekeeper {}.policy().unwrap()),
    ]
}

/// An account of the policy with a few failures behind it (but below any lock).
fn warmed(policy: &Policy) -> Account<16, 0> {
    let mut account = Account::new();
    for step in 0..3 {
        let _ = account.failure(policy, at(step * 1_000), None).unwrap();
    }
    account
}

fn check(c: &mut Criterion) {
    let mut group = c.benchmark_group("can_authenticate");
    let (_, policy) = &dialects()[0];
    let account = warmed(policy);
    let now = at(10_000);
    group.bench_function("any_dialect", |b| {
        b.iter(|| black_box(&account).can_authenticate(black_box(now)))
    });
    group.finish();

    let mut group = c.benchmark_group("check");
    for (name, policy) in dialects() {
        let account = warmed(&policy);
        let now = at(10_000);
        group.bench_function(name, |b| {
            b.iter(|| black_box(&account).check(black_box(&policy), black_box(now)))
        });
    }
    group.finish();
}

fn counted_failure(c: &mut Criterion) {
    let mut group = c.benchmark_group("counted_failure");
    for (name, policy) in dialects() {
        // Gatekeeper locks at its 5th failure: a success between rounds keeps it counting.
        let mut account = Account::<16, 0>::new();
        let mut now = START;
        group.bench_function(name, |b| {
            b.iter(|| {
                now += 1;
                let outcome = account.failure(black_box(&policy), Instant::from_millis(now), None);
                if account.consecutive_failures() >= 4 {
                    let _ = account.success(&policy, Instant::from_millis(now));
                }
                outcome
            })
        });
    }
    group.finish();
}

fn success(c: &mut Criterion) {
    let mut group = c.benchmark_group("success");
    for (name, policy) in dialects() {
        let account = warmed(&policy);
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || account,
                |account| account.success(black_box(&policy), black_box(at(10_000))),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

fn view(c: &mut Criterion) {
    let policy = pingone(3, Some(900));
    let mut locked = Account::<0, 0>::new();
    for step in 0..3 {
        let _ = locked.failure(&policy, at(step), None).unwrap();
    }
    let open = Account::<0, 0>::new();
    let mut group = c.benchmark_group("view");
    group.bench_function("locked", |b| {
        b.iter(|| black_box(&locked).view(black_box(at(60_123))))
    });
    group.bench_function("ok", |b| {
        b.iter(|| black_box(&open).view(black_box(at(60_123))))
    });
    group.finish();

    let mut group = c.benchmark_group("json_view");
    let locked_view = locked.view(at(60_123));
    let open_view = open.view(at(60_123));
    group.bench_function("locked", |b| {
        let mut buffer = [0_u8; AccountView::MAX_JSON_LEN];
        b.iter(|| black_box(&locked_view).write_json(&mut buffer).unwrap())
    });
    group.bench_function("ok", |b| {
        let mut buffer = [0_u8; AccountView::MAX_JSON_LEN];
        b.iter(|| black_box(&open_view).write_json(&mut buffer).unwrap())
    });
    // The same bytes through serde (serde-json-core), for comparison.
    group.bench_function("locked_serde", |b| {
        let mut buffer = [0_u8; 256];
        b.iter(|| serde_json_core::to_slice(black_box(&locked_view), &mut buffer).unwrap())
    });
    group.finish();
}

fn patch(c: &mut Criterion) {
    let policy = pingone(3, Some(900));
    let lock =
        Patch::from_json(br#"{"status":"LOCKED","unlockAt":"2026-01-02T00:00:00Z"}"#).unwrap();
    let account = warmed(&policy);
    let mut group = c.benchmark_group("patch");
    group.bench_function("apply", |b| {
        b.iter_batched_ref(
            || account,
            |account| account.patch(black_box(&policy), black_box(at(10_000)), black_box(&lock)),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("parse_json", |b| {
        b.iter(|| {
            Patch::from_json(black_box(
                br#"{"status":"LOCKED","unlockAt":"2026-01-02T00:00:00Z"}"#,
            ))
        })
    });
    group.finish();
}

fn binary(c: &mut Criterion) {
    let policy = PamFaillock::DEFAULT.policy().unwrap();
    let account: Account<3, 0> = {
        let mut account = Account::new();
        for step in 0..2 {
            let _ = account.failure(&policy, at(step * 1_000), None).unwrap();
        }
        account
    };
    let mut buffer = [0_u8; Account::<3, 0>::MAX_ENCODED_LEN];
    let length = account.encode(&mut buffer).unwrap();
    let mut group = c.benchmark_group("binary");
    group.bench_function("encode", |b| {
        let mut out = [0_u8; Account::<3, 0>::MAX_ENCODED_LEN];
        b.iter(|| black_box(&account).encode(&mut out).unwrap())
    });
    group.bench_function("decode", |b| {
        b.iter(|| Account::<3, 0>::decode(black_box(&buffer[..length]), &policy).unwrap())
    });
    group.finish();
}

/// A deterministic stream of keys (xorshift), so every run asks for the same keys.
fn keys(count: usize, modulo: u32) -> Vec<u32> {
    let mut x: u32 = 0x2545_F491;
    (0..count)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x % modulo
        })
        .collect()
}

/// Failures on `accounts` keys (each with a failure already) in an `N`-slot table.
fn table_attempts<const N: usize>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    policy: &Policy,
    accounts: u32,
) {
    let stream = keys(1 << 16, accounts);
    let mut table: Box<LockoutTable<u32, N>> = Box::new(LockoutTable::new());
    for key in 0..accounts {
        let _ = table.failure(policy, key, at(0), None).unwrap();
    }
    let mut index = 0;
    group.bench_function(name, |b| {
        b.iter(|| {
            index = (index + 1) & 0xFFFF;
            table.failure(policy, black_box(stream[index]), at(1), None)
        })
    });
}

fn table(c: &mut Criterion) {
    // Attempts spread over the keys never lock.
    let policy = pingone(u32::MAX, Some(900));
    let mut group = c.benchmark_group("table_attempt");
    table_attempts::<16>(&mut group, "16_accounts", &policy, 16);
    table_attempts::<4096>(&mut group, "4096_accounts", &policy, 4_096);
    // The same 4096 accounts in a table with twice the slots (a half-full hash index).
    table_attempts::<8192>(&mut group, "4096_accounts_in_8192_slots", &policy, 4_096);
    group.finish();
}

fn governor(c: &mut Criterion) {
    // One decision per call, as ours: a quota that admits every call, a fake clock.
    let quota = Quota::per_second(NonZeroU32::new(1_000_000_000).unwrap());
    let clock = FakeRelativeClock::default();
    let mut group = c.benchmark_group("governor");

    let direct = RateLimiter::direct_with_clock(quota, clock.clone());
    group.bench_function("direct_check", |b| b.iter(|| black_box(&direct).check()));

    let keyed = RateLimiter::hashmap_with_clock(quota, clock.clone());
    keyed.check_key(&7_u32).ok();
    group.bench_function("keyed_check_1_key", |b| {
        b.iter(|| black_box(&keyed).check_key(black_box(&7_u32)))
    });

    let keyed = RateLimiter::hashmap_with_clock(quota, clock);
    for key in 0..4_096_u32 {
        keyed.check_key(&key).ok();
    }
    let stream = keys(1 << 16, 4_096);
    let mut index = 0;
    group.bench_function("keyed_check_4096_keys", |b| {
        b.iter(|| {
            index = (index + 1) & 0xFFFF;
            keyed.check_key(black_box(&stream[index]))
        })
    });
    group.finish();

    // Ours on the same work: one account, and a 4096-slot table.
    let policy = pingone(u32::MAX, Some(900));
    let mut group = c.benchmark_group("ours_beside_governor");
    let mut account = Account::<0, 0>::new();
    group.bench_function("single_key_failure", |b| {
        b.iter(|| account.failure(black_box(&policy), black_box(at(1)), None))
    });
    let open = Account::<0, 0>::new();
    group.bench_function("single_key_check", |b| {
        b.iter(|| black_box(&open).check(black_box(&policy), black_box(at(1))))
    });
    group.bench_function("single_key_can_authenticate", |b| {
        b.iter(|| black_box(&open).can_authenticate(black_box(at(1))))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = check, counted_failure, success, view, patch, binary, table, governor
}
criterion_main!(benches);
