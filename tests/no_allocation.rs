//! The library never allocates: a counting global allocator sees zero heap allocations
//! across every library API, JSON view output included.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

use account_lockout::dialect::{
    ActiveDirectory, AndroidGatekeeper, Keycloak, PamFaillock, PingOne, Tpm,
};
use account_lockout::{
    Account, AccountView, Decay, Duration, Fingerprint, FingerprintKey, Instant, LockLength,
    LockoutTable, ManualClock, OnLockEnd, Operation, Patch, PatchDocument, Policy, Rules, Schedule,
    Status, Step, Verdict, parse_rfc3339,
};

/// Counts the allocations made by the current thread (tests run on several threads).
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counter is a
// const-initialised thread-local `Cell`, which itself never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|count| count.set(count.get() + 1));
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc` is passed on as is.
        unsafe { System.dealloc(pointer, layout) }
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        ALLOCATIONS.with(|count| count.set(count.get() + 1));
        // SAFETY: the caller's contract for `realloc` is passed on as is.
        unsafe { System.realloc(pointer, layout, size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The key of the fingerprints hashed inside the counted closures (keyed hashing must not
/// allocate either).
const KEY: FingerprintKey = FingerprintKey::new(*b"no-allocation-16");

/// Runs `work` and returns how many allocations this thread made meanwhile.
fn allocations_in(work: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    work();
    ALLOCATIONS.with(Cell::get) - before
}

#[test]
fn the_counter_sees_an_allocation() {
    assert!(allocations_in(|| drop(black_box(vec![1_u8; 16]))) >= 1);
}

fn policies() -> [Policy; 8] {
    [
        PingOne {
            failure_count: 3,
            duration_seconds: Some(900),
        }
        .policy()
        .unwrap(),
        ActiveDirectory {
            lockout_threshold: 3,
            lockout_duration_seconds: 600,
            lockout_observation_window_seconds: 300,
        }
        .policy()
        .unwrap(),
        Keycloak {
            failure_factor: 3,
            ..Keycloak::DEFAULT
        }
        .policy()
        .unwrap(),
        PamFaillock::DEFAULT.policy().unwrap(),
        Tpm::DEFAULT.policy().unwrap(),
        AndroidGatekeeper {}.policy().unwrap(),
        Rules {
            threshold: 1,
            lock: LockLength::Table(
                Schedule::new(&[Step::new(2, Duration::from_secs(30))]).unwrap(),
            ),
            decay: Decay::SelfHealing(Duration::from_secs(60)),
            on_lock_end: OnLockEnd::Keep,
            ..Rules::NEVER_LOCK
        }
        .build()
        .unwrap(),
        PingOne {
            failure_count: 5,
            duration_seconds: None,
        }
        .policy()
        .unwrap()
        .with_modifiers(3, Some(100))
        .unwrap(),
    ]
}

#[test]
fn no_library_api_allocates() {
    let policies = policies();
    let start = parse_rfc3339("2026-01-01T00:00:00Z").unwrap();
    let count = allocations_in(|| {
        for policy in &policies {
            let clock = ManualClock::new(start);
            let mut account: Account<16, 8> = Account::new();
            for round in 0..40_u64 {
                clock.advance(Duration::from_millis(round * 7_919 % 200_000));
                if round % 13 == 0 {
                    clock.rewind(Duration::from_secs(30));
                }
                let credential = Some(Fingerprint::keyed(&KEY, &round.to_le_bytes()[..1]));
                let _ = black_box(account.failure(policy, clock.now(), credential).unwrap());
                let _ = black_box(account.check(policy, clock.now()));
                black_box(account.view(clock.now()));
                black_box(account.next_deadline(policy, clock.now()));
                black_box(account.poll(policy, clock.now()));
                black_box(account.is_dormant(policy, clock.now()));
                black_box(account.failure_count(policy, clock.now()));
                if round % 5 == 0 {
                    let _ = black_box(account.success(policy, clock.now()));
                }
                if round % 11 == 0 {
                    let until = clock.now().saturating_add(Duration::from_secs(60));
                    let _ = black_box(account.lock(policy, clock.now(), Some(until)).unwrap());
                    let _ = black_box(account.unlock(policy, clock.now()));
                }
                let start = account.begin_attempt(policy, clock.now()).unwrap();
                if let Some(token) = start.token {
                    let verdict = if round % 3 == 0 {
                        Verdict::Success
                    } else {
                        Verdict::Failure { credential }
                    };
                    let _ = black_box(
                        account
                            .finish_attempt(policy, clock.now(), token, verdict)
                            .unwrap(),
                    );
                }
                let _ = black_box(account.recover(policy, clock.now()).unwrap());
                let patch =
                    Patch::from_json(br#"{"status":"LOCKED","unlockAt":"2027-01-01T00:00:00Z"}"#);
                black_box(account.patch(policy, clock.now(), &patch.unwrap()).ok());
                let _ = black_box(
                    account
                        .apply(policy, clock.now(), Operation::Unlock)
                        .unwrap(),
                );
                let _ = black_box(
                    account
                        .apply(policy, clock.now(), Operation::Check)
                        .unwrap(),
                );

                // Wire formats.
                let mut buffer = [0_u8; Account::<16, 8>::MAX_ENCODED_LEN];
                let length = account.encode(&mut buffer).unwrap();
                black_box(Account::<16, 8>::decode(&buffer[..length], policy).unwrap());
                let mut policy_buffer = [0_u8; Policy::MAX_ENCODED_LEN];
                let length = policy.encode(&mut policy_buffer).unwrap();
                black_box(Policy::decode(&policy_buffer[..length]).unwrap());

                // Text: dates, the JSON view, patches, errors.
                let view = account.view(clock.now());
                black_box(view.locked_at.map(Instant::to_rfc3339));
                let mut json = [0_u8; 256];
                black_box(serde_json_core::to_slice(&view, &mut json).unwrap());
                black_box(AccountView::fold_all([view, view, AccountView::OPEN]));
                black_box(
                    PatchDocument::from_json(br#"{"colour":1,"lockedAt":2}"#)
                        .into_patch()
                        .unwrap_err(),
                );
                black_box(Patch::new(Some(true), Some(Status::Locked), None).unwrap_err());
                black_box(parse_rfc3339("2026-02-30T00:00:00+01:00").unwrap_err());
            }
        }
    });
    assert_eq!(count, 0, "the library allocated {count} times");
}

#[test]
fn tables_and_policy_parsing_do_not_allocate() {
    let policy = policies()[0];
    let mut table: Box<LockoutTable<u32, 64>> = Box::new(LockoutTable::new());
    let count = allocations_in(|| {
        let clock = ManualClock::new(Instant::from_secs(1_767_225_600));
        for round in 0..500_u32 {
            clock.advance(Duration::from_millis(1_337));
            let key = round % 97;
            black_box(table.failure(&policy, key, clock.now(), None).ok());
            let _ = black_box(table.check(&policy, &key, clock.now()));
            black_box(table.view(&key, clock.now()));
            black_box(table.next_deadline(&policy, clock.now()));
            while let Some(expired) = table.poll(&policy, clock.now()) {
                black_box(expired);
            }
            if round % 50 == 0 {
                black_box(table.compact(&policy, clock.now()));
            }
        }
        let text = br#"{"keycloak":{"failureFactor":5,"bruteForceStrategy":"LINEAR"},"repeatedCredentialMemory":2}"#;
        black_box(serde_json_core::from_slice::<Policy>(text).unwrap());
    });
    assert_eq!(count, 0, "the library allocated {count} times");
}
