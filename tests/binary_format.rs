//! The two versioned binary formats: the account state (`AL`, version 1)
//! and the policy (`AP`, version 1).
//!
//! - a property test of the round trip, for every dialect with random modifiers, after
//!   every step of a random sequence of operations at random (sometimes regressing, sometimes
//!   extreme) instants;
//! - every single-byte corruption of concrete encodings is rejected or decodes to a value
//!   that re-encodes to exactly the corrupted bytes;
//! - truncation, trailing bytes, bad magic, unknown version;
//! - inconsistent inputs with a valid checksum (re-signed with the CRC-32 below);
//! - `BufferTooSmall` from `encode`, with the buffer untouched.
//!
//! The byte offsets come from the layout tables in the module docs of `src/account/binary.rs`
//! and `src/policy/binary.rs`; the expectations come from the requirement and those docs.

use account_lockout::dialect::{
    ActiveDirectory, AndroidGatekeeper, BruteForceStrategy, Keycloak, PamFaillock, Tpm,
};
use account_lockout::harness::{Call, Dialect, strategy};
use account_lockout::{
    Account, AttemptToken, BufferTooSmall, Decay, DecodeError, Duration, Fingerprint,
    Inconsistency, Instant, LockCause, LockLength, OnLockEnd, OnSuccess, Policy, PolicyError,
    Problem, QuickFailure, Rules, Schedule, Step, Verdict,
};
use proptest::prelude::*;

mod fixtures;
use fixtures::{T0_MS, pam, pingone, s as secs};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

type Big = Account<16, 8, 8>;
type Small = Account<0, 0, 0>;

/// CRC-32 (IEEE 802.3, reflected, init and final xor all ones), bit by bit.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Rewrites the trailing CRC-32 so that forged bytes pass the checksum.
fn resign(bytes: &mut [u8]) {
    let body = bytes.len() - 4;
    let crc = crc32(&bytes[..body]);
    bytes[body..].copy_from_slice(&crc.to_le_bytes());
}

fn put_i64(bytes: &mut [u8], at: usize, value: i64) {
    bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
}

fn get_i64(bytes: &[u8], at: usize) -> i64 {
    i64::from_le_bytes(bytes[at..at + 8].try_into().unwrap())
}

fn put_u32(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

fn put_u16(bytes: &mut [u8], at: usize, value: u16) {
    bytes[at..at + 2].copy_from_slice(&value.to_le_bytes());
}

// The account layout (src/account/binary.rs).
const A_VERSION: usize = 2;
const A_FLAGS: usize = 3;
const A_LAST_SEEN: usize = 4;
const A_LOCK_SINCE: usize = 12;
const A_LOCK_UNTIL: usize = 20;
const A_LAST_FAILURE: usize = 28;
const A_COUNT: usize = 36;
const A_CONSECUTIVE: usize = 40;
const A_TEMPORARY_LOCKS: usize = 44;
const A_SERIAL: usize = 46;
const A_RECORDS_LEN: usize = 48;
/// Every field but the lists' entries and the checksum (the three list lengths included).
const A_FIXED_LEN: usize = 51;
/// One attempt in flight: serial, start as the token has it, start after regressions.
const A_ATTEMPT_LEN: usize = 18;
/// Version 1 had a fifth instant, the attempt start, before the counters.
const A_V1_ATTEMPT: usize = 36;

const F_ENABLED: u8 = 1 << 0;
const F_LOCKED: u8 = 1 << 1;
const F_DEADLINE: u8 = 1 << 2;
const F_CAUSE_MASK: u8 = 0b11 << 3;
const F_LAST_FAILURE: u8 = 1 << 5;
/// Version 1's flag for its one attempt in flight.
const F_V1_IN_FLIGHT: u8 = 1 << 6;

// The policy layout (src/policy/binary.rs).
const P_VERSION: usize = 2;
const P_THRESHOLD: usize = 3;
const P_LOCK_TAG: usize = 7;
const P_STEP_COUNT: usize = 16;
/// Every field but the table steps and the checksum.
const P_FIXED_LEN: usize = 73;

fn encode_account<const R: usize, const M: usize, const A: usize>(
    account: &Account<R, M, A>,
) -> Vec<u8> {
    let mut buffer = vec![0u8; Account::<R, M, A>::MAX_ENCODED_LEN];
    let len = account
        .encode(&mut buffer)
        .expect("a MAX_ENCODED_LEN buffer suffices");
    assert_eq!(len, account.encoded_len());
    buffer.truncate(len);
    buffer
}

/// The version-1 encoding (an earlier release's) of a state with at most one attempt in
/// flight whose start never moved: the attempt becomes the fifth instant and flag bit 6.
fn to_version_1(bytes: &[u8]) -> Vec<u8> {
    assert_eq!(bytes[A_VERSION], 2);
    let memory_at = A_RECORDS_LEN + 1 + 8 * usize::from(bytes[A_RECORDS_LEN]);
    let attempts_at = memory_at + 1 + 8 * usize::from(bytes[memory_at]);
    let attempts = &bytes[attempts_at + 1..bytes.len() - 4];
    assert!(
        attempts.len() <= A_ATTEMPT_LEN,
        "version 1 holds one attempt"
    );
    let mut v1 = bytes[..A_V1_ATTEMPT].to_vec();
    v1[A_VERSION] = 1;
    match attempts {
        [] => v1.extend_from_slice(&0i64.to_le_bytes()),
        attempt => {
            v1[A_FLAGS] |= F_V1_IN_FLIGHT;
            v1.extend_from_slice(&attempt[2..10]);
        }
    }
    v1.extend_from_slice(&bytes[A_V1_ATTEMPT..attempts_at]);
    v1.extend_from_slice(&[0; 4]);
    resign(&mut v1);
    v1
}

fn encode_policy(policy: &Policy) -> Vec<u8> {
    let mut buffer = [0u8; Policy::MAX_ENCODED_LEN];
    let len = policy
        .encode(&mut buffer)
        .expect("a MAX_ENCODED_LEN buffer suffices");
    buffer[..len].to_vec()
}

/// A policy of every dialect (and every form a dialect maps to), plus one with both
/// modifiers.
fn dialect_policies() -> Vec<(&'static str, Policy)> {
    vec![
        ("pingone timed", pingone(3, Some(900))),
        ("pingone permanent", pingone(5, None)),
        (
            "active directory",
            ActiveDirectory {
                lockout_threshold: 5,
                lockout_duration_seconds: 1_800,
                lockout_observation_window_seconds: 900,
            }
            .policy()
            .unwrap(),
        ),
        (
            "active directory permanent",
            ActiveDirectory {
                lockout_threshold: 3,
                lockout_duration_seconds: 0,
                lockout_observation_window_seconds: 60,
            }
            .policy()
            .unwrap(),
        ),
        ("keycloak default", Keycloak::DEFAULT.policy().unwrap()),
        (
            "keycloak linear, permanent after 2",
            Keycloak {
                failure_factor: 3,
                brute_force_strategy: BruteForceStrategy::Linear,
                permanent_lockout: true,
                max_temporary_lockouts: 2,
                ..Keycloak::DEFAULT
            }
            .policy()
            .unwrap(),
        ),
        (
            "keycloak permanent only",
            Keycloak {
                failure_factor: 4,
                permanent_lockout: true,
                max_temporary_lockouts: 0,
                ..Keycloak::DEFAULT
            }
            .policy()
            .unwrap(),
        ),
        (
            "pam_faillock default",
            PamFaillock::DEFAULT.policy().unwrap(),
        ),
        ("pam_faillock deny 16, permanent", pam(16, 60, 0)),
        ("pam_faillock deny 0", pam(0, 900, 600)),
        ("tpm default", Tpm::DEFAULT.policy().unwrap()),
        (
            "tpm unprotected",
            Tpm {
                max_tries: 5,
                recovery_time: 0,
            }
            .policy()
            .unwrap(),
        ),
        ("android gatekeeper", AndroidGatekeeper {}.policy().unwrap()),
        (
            "tpm with modifiers",
            Tpm {
                max_tries: 20,
                recovery_time: 600,
            }
            .policy()
            .unwrap()
            .with_modifiers(8, Some(100))
            .unwrap(),
        ),
    ]
}

/// A custom policy that uses every field, with a 16-step table.
/// [`dialect_policies`] and the custom 16-step table.
fn every_policy() -> Vec<(&'static str, Policy)> {
    let mut policies = dialect_policies();
    policies.push(("custom 16-step table", custom_table_policy()));
    policies
}

fn custom_table_policy() -> Policy {
    let steps: Vec<Step> = (0..16u32)
        .map(|i| Step::new(1 + 3 * i, Duration::from_secs(u64::from(i) * 17)))
        .collect();
    Rules {
        threshold: 2,
        lock: LockLength::Table(Schedule::new(&steps).unwrap()),
        max_lock: Some(Duration::from_secs(3_600)),
        decay: Decay::SelfHealing(Duration::from_millis(1_234_567)),
        on_success: OnSuccess::Keep,
        on_lock_end: OnLockEnd::Keep,
        quick_failure: Some(QuickFailure {
            within: Duration::from_millis(750),
            lock: Duration::from_secs(45),
        }),
        permanent_after_temporary_locks: Some(513),
        deadline_from_whole_second: true,
        repeated_credential_memory: 5,
        max_consecutive_failures: Some(0x0102_0304),
        max_attempts_in_flight: 13,
        attempt_timeout: Duration::from_millis(0x0A0B_0C0D_0E0F),
    }
    .build()
    .unwrap()
}

/// The policy the "fingerprints" state is built with.
fn fingerprint_policy() -> Policy {
    Tpm {
        max_tries: 20,
        recovery_time: 600,
    }
    .policy()
    .unwrap()
    .with_modifiers(8, Some(100))
    .unwrap()
}

/// Concrete account states, each with the policy that built it.
fn account_states() -> Vec<(&'static str, Big, Policy)> {
    let mut states = Vec::new();

    states.push(("fresh", Big::new(), pingone(3, Some(900))));

    let policy = pingone(3, Some(900));
    let mut locked = Big::new();
    for i in 0..3 {
        let _ = locked.failure(&policy, secs(i), None).unwrap();
    }
    assert_eq!(locked.lock_cause(secs(3)), Some(LockCause::Policy));
    states.push(("locked by policy", locked, policy));

    let policy = pingone(3, Some(900));
    let mut admin = Big::new();
    let _ = admin.failure(&policy, secs(0), None).unwrap();
    let _ = admin.lock(&policy, secs(5), Some(secs(3_600))).unwrap();
    assert_eq!(admin.lock_cause(secs(6)), Some(LockCause::Administrator));
    states.push(("admin-locked with a deadline", admin, policy));

    let policy = PamFaillock::DEFAULT.policy().unwrap();
    let mut records = Big::new();
    for i in 0..3 {
        let _ = records.failure(&policy, secs(10 * i), None).unwrap();
    }
    states.push(("pam_faillock with 3 records", records, policy));

    let policy = fingerprint_policy();
    let mut remembered = Big::new();
    for i in 0..9u64 {
        let _ = remembered
            .failure(
                &policy,
                secs(i as i64),
                Some(Fingerprint::new(0x1111 * (i + 1))),
            )
            .unwrap();
    }
    let start = remembered.begin_attempt(&policy, secs(20)).unwrap();
    assert!(start.token.is_some());
    assert_eq!(remembered.attempts_in_flight(), 1);
    let encoded = encode_account(&remembered);
    let attempts_at = encoded.len() - 4 - A_ATTEMPT_LEN - 1;
    assert_eq!(encoded[attempts_at], 1, "1 attempt");
    assert_eq!(encoded[attempts_at - 8 * 8 - 1], 8, "8 fingerprints");
    states.push((
        "8 fingerprints and an attempt in flight",
        remembered,
        policy,
    ));

    states
}

// ---------------------------------------------------------------------------------------------
// 0. The CRC-32 of this file, and the layout constants
// ---------------------------------------------------------------------------------------------

#[test]
fn the_test_crc32_matches_the_ieee_check_value() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(crc32(b""), 0);
}

#[test]
fn max_encoded_lengths_follow_the_layout_tables() {
    assert_eq!(Small::MAX_ENCODED_LEN, A_FIXED_LEN + 4);
    assert_eq!(
        Big::MAX_ENCODED_LEN,
        A_FIXED_LEN + 16 * 8 + 8 * 8 + 8 * A_ATTEMPT_LEN + 4
    );
    assert_eq!(Policy::MAX_ENCODED_LEN, P_FIXED_LEN + 16 * 12 + 4);

    // Every encoding ends with the CRC-32 of what precedes it, in little endian.
    for (name, account, _) in account_states() {
        let bytes = encode_account(&account);
        let body = bytes.len() - 4;
        assert_eq!(bytes[body..], crc32(&bytes[..body]).to_le_bytes(), "{name}");
        assert_eq!(&bytes[..3], b"AL\x02", "{name}");
    }
    let bytes = encode_policy(&custom_table_policy());
    assert_eq!(bytes.len(), Policy::MAX_ENCODED_LEN);
    assert_eq!(&bytes[..3], b"AP\x02");
    let body = bytes.len() - 4;
    assert_eq!(bytes[body..], crc32(&bytes[..body]).to_le_bytes());
}

#[test]
fn the_fullest_account_takes_max_encoded_len() {
    // 16 records (pam_faillock deny 16: the 16th failure locks, keeping all 16), 8
    // remembered fingerprints and 8 attempts in flight.
    let policy = pam(16, 3_600, 60).with_modifiers(8, None).unwrap();
    let mut account = Big::new();
    for _ in 0..8 {
        assert!(
            account
                .begin_attempt(&policy, secs(0))
                .unwrap()
                .token
                .is_some()
        );
    }
    for i in 0..16u64 {
        let _ = account
            .failure(&policy, secs(i as i64), Some(Fingerprint::new(i + 1)))
            .unwrap();
    }
    let bytes = encode_account(&account);
    assert_eq!(bytes.len(), Big::MAX_ENCODED_LEN);
    assert_eq!(Big::decode(&bytes, &policy), Ok(account));
}

// ---------------------------------------------------------------------------------------------
// 1. The round trip, as a property
// ---------------------------------------------------------------------------------------------

/// A dialect and its modifiers, as generated.
#[derive(Clone, Debug)]
struct PolicySpec {
    dialect: Dialect,
    memory: u8,
    cap: Option<u32>,
}

impl PolicySpec {
    fn policy(&self) -> Policy {
        let base = self
            .dialect
            .policy()
            .unwrap_or_else(|e| panic!("generated parameters must be valid: {self:?}: {e}"));
        base.with_modifiers(self.memory, self.cap)
            .unwrap_or_else(|e| panic!("valid modifiers: {self:?}: {e}"))
    }
}

fn policy_spec() -> impl Strategy<Value = PolicySpec> {
    (
        strategy::dialect(),
        0..=8u8,
        prop_oneof![
            2 => Just(None),
            1 => (1..=6u32).prop_map(Some),
            1 => (1..=200u32).prop_map(Some),
        ],
    )
        .prop_map(|(dialect, memory, cap)| PolicySpec {
            dialect,
            memory,
            cap,
        })
}

/// Runs one call; refused operations are fine (they change nothing), and so is a patch
/// whose fields conflict (`Patch::new` refuses it).
fn run(
    account: &mut Big,
    policy: &Policy,
    now: Instant,
    call: Call,
    tokens: &mut Vec<AttemptToken>,
) {
    match call {
        Call::Operation(action) => {
            if let Ok(operation) = action.operation(now) {
                let _ = account.apply(policy, now, operation);
            }
        }
        Call::BeginAttempt => {
            let start = account.begin_attempt(policy, now).unwrap();
            tokens.extend(start.token);
        }
        Call::FinishAttempt { which, verdict } => {
            // one of the tokens handed out so far, perhaps a stale one
            if !tokens.is_empty() {
                let token = tokens[usize::from(which) % tokens.len()];
                let _ = account.finish_attempt(policy, now, token, verdict);
            }
        }
        Call::Recover => {
            let _ = account.recover(policy, now).unwrap();
        }
        Call::Poll => {
            let _ = account.poll(policy, now);
        }
    }
}

/// The round-trip checks of one state.
fn check_round_trip(account: &Big, policy: &Policy, now: Instant) -> Result<(), TestCaseError> {
    let mut buffer = [0u8; Big::MAX_ENCODED_LEN];
    let len = account
        .encode(&mut buffer)
        .map_err(|e| TestCaseError::fail(format!("encode into MAX_ENCODED_LEN: {e}")))?;
    prop_assert_eq!(len, account.encoded_len());
    let bytes = &buffer[..len];

    let decoded = Big::decode(bytes, policy);
    prop_assert_eq!(
        decoded,
        Ok(*account),
        "decode(encode(account)) for {:?} (bytes {:02x?})",
        account,
        bytes
    );
    let decoded = decoded.unwrap();
    let mut again = [0u8; Big::MAX_ENCODED_LEN];
    let len_again = decoded.encode(&mut again).unwrap();
    prop_assert_eq!(&again[..len_again], bytes, "re-encoding differs");

    // Into a smaller account type: the same state without lists, or TooManyEntries.
    match Small::decode(bytes, policy) {
        Ok(small) => {
            prop_assert_eq!(small.view(now), account.view(now));
            prop_assert_eq!(small.last_seen(), account.last_seen());
            prop_assert_eq!(small.is_enabled(), account.is_enabled());
            prop_assert_eq!(small.consecutive_failures(), account.consecutive_failures());
            prop_assert_eq!(small.attempts_in_flight(), account.attempts_in_flight());
            prop_assert_eq!(small.lock_cause(now), account.lock_cause(now));
            // Without lists the two types share one encoding.
            let mut small_bytes = [0u8; Small::MAX_ENCODED_LEN];
            let small_len = small.encode(&mut small_bytes).unwrap();
            prop_assert_eq!(&small_bytes[..small_len], bytes);
        }
        Err(DecodeError::TooManyEntries) => {
            prop_assert!(len > Small::MAX_ENCODED_LEN, "TooManyEntries without lists");
        }
        Err(other) => {
            return Err(TestCaseError::fail(format!(
                "Account<0, 0>::decode of {bytes:02x?}: {other:?}, expected Ok or TooManyEntries"
            )));
        }
    }
    Ok(())
}

proptest! {
    // `proptest!` passes this config through `contextualize_config`, so PROPTEST_CASES
    // (and the other PROPTEST_* variables) still override it.
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn account_round_trip(
        spec in policy_spec(),
        start in strategy::instant(),
        steps in prop::collection::vec((strategy::time_step(), strategy::call()), 0..60),
    ) {
        let policy = spec.policy();
        let mut account = Big::new();
        let mut tokens = Vec::new();
        let mut now = start;
        check_round_trip(&account, &policy, now)?;
        for (time, call) in steps {
            now = time.apply(now, account.view(now).unlock_at);
            run(&mut account, &policy, now, call, &mut tokens);
            check_round_trip(&account, &policy, now)?;
        }
    }

    #[test]
    fn policy_round_trip(spec in policy_spec()) {
        let policy = spec.policy();
        let mut buffer = [0u8; Policy::MAX_ENCODED_LEN];
        let len = policy.encode(&mut buffer).unwrap();
        prop_assert_eq!(Policy::decode(&buffer[..len]), Ok(policy));
    }
}

// ---------------------------------------------------------------------------------------------
// 1b. Round trips the random sequences rarely reach
// ---------------------------------------------------------------------------------------------

/// Sets up `Account<16, 8>` with `failures` failures at `now` under `policy` and returns
/// it with the result of decoding its encoding.
fn fail_and_decode(
    policy: &Policy,
    now: Instant,
    failures: u32,
) -> (Big, Result<Big, DecodeError>) {
    let mut account = Big::new();
    for _ in 0..failures {
        let _ = account.failure(policy, now, None).unwrap();
    }
    let bytes = encode_account(&account);
    (account, Big::decode(&bytes, policy))
}

/// pam_faillock `deny: 0` never locks and keeps no failure times (a sliding window keeps
/// the latest `deny`), whatever room the account type has.
// (Found by `account_round_trip`, when an account kept as many times as its type held.)
#[test]
fn pam_faillock_deny_0_round_trips() {
    let policy = pam(0, 900, 600);
    let (account, decoded) = fail_and_decode(&policy, secs(0), 1);
    assert_eq!(account.failure_count(&policy, secs(0)), 0);
    assert_eq!(decoded, Ok(account));
}

/// At `Instant::MAX` a timed lock would end when it starts, so pam_faillock's `deny`-th
/// failure does not lock; later failures keep the latest `deny` times.
// (Found by `account_round_trip`: a decoder that requires `count < threshold` refuses it.)
#[test]
fn pam_faillock_at_the_end_of_time_round_trips() {
    let policy = PamFaillock::DEFAULT.policy().unwrap();
    let (account, decoded) = fail_and_decode(&policy, Instant::MAX, 4);
    assert_eq!(account.lock_cause(Instant::MAX), None);
    assert_eq!(account.failure_count(&policy, Instant::MAX), 3);
    assert_eq!(decoded, Ok(account));
}

/// A custom sliding-window policy whose table starts locking above the threshold: the
/// count stops at the threshold (the latest `threshold` times are kept), so its lock could
/// never be reached. Such a policy is refused when built, and so when decoded.
#[test]
fn a_sliding_window_with_a_table_past_its_threshold_is_refused() {
    let rules = Rules {
        threshold: 2,
        lock: LockLength::Table(Schedule::new(&[Step::new(5, Duration::from_secs(30))]).unwrap()),
        decay: Decay::SlidingWindow(Duration::from_secs(900)),
        ..Rules::NEVER_LOCK
    };
    let error = rules.build().unwrap_err();
    assert_eq!(error.parameter, "lock");
    assert_eq!(
        error.to_string(),
        "invalid policy: lock must not combine an escalating lock length with \
         decay.slidingWindow: the count never passes the threshold, so the lock never grows"
    );
    // The same table from the threshold on is fine, and its count stops at 2.
    let policy = Rules {
        lock: LockLength::Table(Schedule::new(&[Step::new(2, Duration::from_secs(30))]).unwrap()),
        ..rules
    }
    .build()
    .unwrap();
    let (account, decoded) = fail_and_decode(&policy, secs(0), 3);
    assert_eq!(account.lock_cause(secs(0)), Some(LockCause::Policy));
    assert_eq!(account.failure_count(&policy, secs(0)), 2);
    assert_eq!(decoded, Ok(account));
}

/// The attempt serial is a `u16`: attempts 65 535, 65 536 and 65 537 (where a serial
/// wraps) are in flight in states the state machine made, so they must survive the round
/// trip, and the token of each must still finish it.
#[test]
fn an_attempt_in_flight_when_the_serial_wraps_round_trips() {
    let policy = Rules::NEVER_LOCK.build().unwrap();
    let mut account = Big::new();
    let now = secs(0);
    for attempt in 1..=u32::from(u16::MAX) + 2 {
        let token = account
            .begin_attempt(&policy, now)
            .unwrap()
            .token
            .expect("the account never locks, and at most 3 are in flight");
        if attempt < u32::from(u16::MAX) {
            let _ = account
                .finish_attempt(&policy, now, token, Verdict::Success)
                .unwrap();
            continue;
        }
        assert_eq!(account.attempt_tokens().last(), Some(token));
        let bytes = encode_account(&account);
        assert_eq!(
            Big::decode(&bytes, &policy),
            Ok(account),
            "attempt {attempt} in flight"
        );
        let mut finished = account;
        assert!(
            finished
                .finish_attempt(&policy, now, token, Verdict::Success)
                .is_ok(),
            "attempt {attempt}: the state machine accepts its own token"
        );
    }
    // Serials 65 535, 65 536 → 1 (0 is skipped), 1 again would be 65 537.
    let serials: Vec<u16> = account.attempt_tokens().map(|t| t.serial()).collect();
    assert_eq!(serials, [u16::MAX, 1, 2]);
}

// ---------------------------------------------------------------------------------------------
// 2. Every single-byte corruption
// ---------------------------------------------------------------------------------------------

#[test]
fn every_single_byte_corruption_of_an_account_is_rejected_or_re_encodes_identically() {
    let policies = dialect_policies();
    for (state, account, own_policy) in account_states() {
        let bytes = encode_account(&account);
        assert_eq!(
            Big::decode(&bytes, &own_policy),
            Ok(account),
            "{state}: the uncorrupted bytes decode"
        );
        let all = policies
            .iter()
            .map(|(name, policy)| (*name, *policy))
            .chain([("own", own_policy)]);
        for (policy_name, policy) in all {
            let mut corrupted = bytes.clone();
            let mut buffer = [0u8; Big::MAX_ENCODED_LEN];
            for position in 0..bytes.len() {
                for value in 0..=u8::MAX {
                    if value == bytes[position] {
                        continue;
                    }
                    corrupted[position] = value;
                    if let Ok(decoded) = Big::decode(&corrupted, &policy) {
                        let len = decoded.encode(&mut buffer).unwrap();
                        assert_eq!(
                            &buffer[..len],
                            &corrupted[..],
                            "{state} / {policy_name}: byte {position} set to {value:#04x} \
                             decoded to {decoded:?}, which re-encodes differently"
                        );
                    }
                    // The small type must not panic either.
                    let _ = Small::decode(&corrupted, &policy);
                }
                corrupted[position] = bytes[position];
            }
        }
    }
}

#[test]
fn every_single_byte_corruption_of_a_policy_is_rejected_or_re_encodes_identically() {
    let policies = every_policy();
    for (name, policy) in policies {
        let bytes = encode_policy(&policy);
        assert_eq!(Policy::decode(&bytes), Ok(policy), "{name}");
        let mut corrupted = bytes.clone();
        let mut buffer = [0u8; Policy::MAX_ENCODED_LEN];
        for position in 0..bytes.len() {
            for value in 0..=u8::MAX {
                if value == bytes[position] {
                    continue;
                }
                corrupted[position] = value;
                if let Ok(decoded) = Policy::decode(&corrupted) {
                    let len = decoded.encode(&mut buffer).unwrap();
                    assert_eq!(
                        &buffer[..len],
                        &corrupted[..],
                        "{name}: byte {position} set to {value:#04x} decoded to {decoded:?}, \
                         which re-encodes differently"
                    );
                }
            }
            corrupted[position] = bytes[position];
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Truncation, trailing bytes, magic, version
// ---------------------------------------------------------------------------------------------

#[test]
fn a_truncated_account_is_truncated() {
    for (state, account, policy) in account_states() {
        let bytes = encode_account(&account);
        for len in 0..bytes.len() {
            let result = Big::decode(&bytes[..len], &policy);
            assert!(result.is_err(), "{state}: cut at {len} decoded: {result:?}");
            if len < A_FIXED_LEN {
                assert_eq!(
                    result,
                    Err(DecodeError::Truncated),
                    "{state}: cut at {len}, inside the fixed part"
                );
            }
            // The format is length-prefixed: every cut is a truncation.
            assert_eq!(result, Err(DecodeError::Truncated), "{state}: cut at {len}");
            let _ = Small::decode(&bytes[..len], &policy);
        }
    }
}

#[test]
fn a_truncated_policy_is_truncated() {
    let policies = every_policy();
    for (name, policy) in policies {
        let bytes = encode_policy(&policy);
        for len in 0..bytes.len() {
            assert_eq!(
                Policy::decode(&bytes[..len]),
                Err(DecodeError::Truncated),
                "{name}: cut at {len}"
            );
        }
    }
}

#[test]
fn trailing_bytes_are_refused() {
    for (state, account, policy) in account_states() {
        let bytes = encode_account(&account);
        for extra in [
            &[0u8][..],
            &[0xFF],
            &[0, 0, 0, 0],
            &[1, 2, 3, 4, 5, 6, 7, 8, 9],
        ] {
            let mut longer = bytes.clone();
            longer.extend_from_slice(extra);
            assert_eq!(
                Big::decode(&longer, &policy),
                Err(DecodeError::TrailingBytes),
                "{state} + {extra:?}"
            );
        }
    }
    for (name, policy) in every_policy() {
        let bytes = encode_policy(&policy);
        for extra in [&[0u8][..], &[0xFF], &[1, 2, 3, 4, 5, 6, 7, 8, 9]] {
            let mut longer = bytes.clone();
            longer.extend_from_slice(extra);
            assert_eq!(
                Policy::decode(&longer),
                Err(DecodeError::TrailingBytes),
                "{name} + {extra:?}"
            );
        }
    }
}

/// A forged header: `bytes` written at `at`, and the error decoding answers.
type HeaderRow = (usize, &'static [u8], DecodeError);

/// Every row applied to every account state (`account_rows`) and to every policy
/// (`policy_rows`): decoding answers the row's error with the original checksum and once
/// the checksum is made valid again.
fn assert_forged_headers(account_rows: &[HeaderRow], policy_rows: &[HeaderRow]) {
    let forge = |bytes: &[u8], &(at, patch, _): &HeaderRow, signed: bool| {
        let mut forged = bytes.to_vec();
        forged[at..at + patch.len()].copy_from_slice(patch);
        if signed {
            resign(&mut forged);
        }
        forged
    };
    for (state, account, policy) in account_states() {
        let bytes = encode_account(&account);
        for row in account_rows {
            for signed in [false, true] {
                assert_eq!(
                    Big::decode(&forge(&bytes, row, signed), &policy),
                    Err(row.2),
                    "{state}: {:?} at {}, re-signed {signed}",
                    row.1,
                    row.0
                );
            }
        }
    }
    for (name, policy) in every_policy() {
        let bytes = encode_policy(&policy);
        for row in policy_rows {
            for signed in [false, true] {
                assert_eq!(
                    Policy::decode(&forge(&bytes, row, signed)),
                    Err(row.2),
                    "{name}: {:?} at {}, re-signed {signed}",
                    row.1,
                    row.0
                );
            }
        }
    }
}

#[test]
fn wrong_magic_is_bad_magic() {
    let bad = DecodeError::BadMagic;
    assert_forged_headers(
        &[
            (0, b"AP", bad),
            (0, b"al", bad),
            (0, b"LA", bad),
            (0, &[0, 0], bad),
            (0, &[0xFF, 0xFF], bad),
        ],
        &[(0, b"AL", bad), (0, b"ap", bad), (0, &[0, 0], bad)],
    );
    // A policy is not an account and an account is not a policy.
    let policy = pingone(3, Some(900));
    assert_eq!(
        Big::decode(&encode_policy(&policy), &policy),
        Err(DecodeError::BadMagic)
    );
    let account_bytes = encode_account(&Big::new());
    assert_eq!(Policy::decode(&account_bytes), Err(DecodeError::BadMagic));
}

#[test]
fn an_unknown_version_is_named() {
    let rows = |at| -> [HeaderRow; 3] {
        [3u8, 0, 0xFF].map(|version| {
            let byte: &'static [u8] = match version {
                3 => &[3],
                0 => &[0],
                _ => &[0xFF],
            };
            (at, byte, DecodeError::UnknownVersion(version))
        })
    };
    assert_forged_headers(&rows(A_VERSION), &rows(P_VERSION));
}

#[test]
fn a_flipped_bit_fails_the_checksum() {
    for (state, account, policy) in account_states() {
        let bytes = encode_account(&account);
        // Bits of fields that do not steer the layout (not magic, version or list lengths).
        for position in [
            A_FLAGS,
            A_LAST_SEEN,
            A_LOCK_SINCE + 7,
            A_COUNT,
            A_SERIAL + 1,
        ] {
            for bit in 0..8 {
                let mut corrupted = bytes.clone();
                corrupted[position] ^= 1 << bit;
                assert_eq!(
                    Big::decode(&corrupted, &policy),
                    Err(DecodeError::Checksum),
                    "{state}: byte {position} bit {bit}"
                );
            }
        }
        let mut corrupted = bytes.clone();
        *corrupted.last_mut().unwrap() ^= 0x80;
        assert_eq!(Big::decode(&corrupted, &policy), Err(DecodeError::Checksum));
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Inconsistent inputs with a valid checksum
// ---------------------------------------------------------------------------------------------

fn inconsistent(what: Inconsistency) -> Result<Big, DecodeError> {
    Err(DecodeError::Inconsistent(what))
}

/// `(the account, its encoding, its policy)` for the state called `name`.
fn state(name: &str) -> (Big, Vec<u8>, Policy) {
    let (_, account, policy) = account_states()
        .into_iter()
        .find(|(n, _, _)| *n == name)
        .unwrap();
    (account, encode_account(&account), policy)
}

#[test]
fn forged_bytes_with_the_original_crc_fail_the_checksum_and_re_signed_decode() {
    // The resign helper itself: re-signing untouched bytes changes nothing.
    for (_, account, policy) in account_states() {
        let bytes = encode_account(&account);
        let mut copy = bytes.clone();
        resign(&mut copy);
        assert_eq!(copy, bytes);
        assert_eq!(Big::decode(&copy, &policy), Ok(account));
    }
}

/// Two attempts in flight, begun at 20 s and 21 s, on a policy that lets them be.
fn two_attempts() -> (Big, Vec<u8>, Policy) {
    let policy = pingone(5, Some(900));
    let mut account = Big::new();
    account.begin_attempt(&policy, secs(20)).unwrap();
    account.begin_attempt(&policy, secs(21)).unwrap();
    let bytes = encode_account(&account);
    assert_eq!(bytes[bytes.len() - 4 - 2 * A_ATTEMPT_LEN - 1], 2);
    (account, bytes, policy)
}

#[test]
fn more_attempts_than_the_type_holds_are_too_many_entries() {
    let (_, bytes, policy) = two_attempts();
    assert_eq!(
        Account::<16, 8, 1>::decode(&bytes, &policy),
        Err(DecodeError::TooManyEntries)
    );
    assert!(Account::<16, 8, 2>::decode(&bytes, &policy).is_ok());
}

#[test]
fn version_1_states_are_still_read() {
    for (state, account, policy) in account_states() {
        let v1 = to_version_1(&encode_account(&account));
        assert_eq!(v1[A_VERSION], 1);
        assert_eq!(Big::decode(&v1, &policy), Ok(account), "{state}");
    }
    // Version 1's attempt start did not move with the clock: it may be after `last_seen`,
    // and then the attempt's timeout runs from `last_seen`.
    let (account, bytes, policy) = state("8 fingerprints and an attempt in flight");
    let mut v1 = to_version_1(&bytes);
    assert_ne!(v1[A_FLAGS] & F_V1_IN_FLIGHT, 0);
    let last_seen = get_i64(&v1, A_LAST_SEEN);
    put_i64(&mut v1, A_V1_ATTEMPT, last_seen + 5_000);
    resign(&mut v1);
    let decoded = Big::decode(&v1, &policy).unwrap();
    let token = decoded.attempt_tokens().next().unwrap();
    assert_eq!(token.started().as_millis(), last_seen + 5_000);
    assert_eq!(
        token.serial(),
        account.attempt_tokens().next().unwrap().serial()
    );
    // It re-encodes as version 2.
    assert_eq!(encode_account(&decoded)[A_VERSION], 2);
    // Version 1 had no quick-failure cause.
    let (_, bytes, policy) = state("locked by policy");
    let mut v1 = to_version_1(&bytes);
    v1[A_FLAGS] |= 3 << 3;
    resign(&mut v1);
    assert_eq!(
        Big::decode(&v1, &policy),
        inconsistent(Inconsistency::UnknownLockCause)
    );
}

/// The state [`two_attempts`] makes, for a row of [`FORGERIES`].
const TWO_ATTEMPTS: &str = "two attempts in flight";

/// A forged account state: a description, the state it starts from, how its bytes are
/// changed, and what decoding the re-signed bytes answers (`Ok`: it decodes).
type Forgery = (
    &'static str,
    &'static str,
    fn(&mut [u8]),
    Result<(), DecodeError>,
);

/// `Inconsistent(what)`, as a row of [`FORGERIES`] expects it.
const fn refused(what: Inconsistency) -> Result<(), DecodeError> {
    Err(DecodeError::Inconsistent(what))
}

const LOCKED: &str = "locked by policy";
const ADMIN_LOCKED: &str = "admin-locked with a deadline";
const RECORDS: &str = "pam_faillock with 3 records";
const IN_FLIGHT: &str = "8 fingerprints and an attempt in flight";

/// Where the last (the only, or the second) attempt in flight starts in a state's bytes.
fn last_attempt(bytes: &[u8]) -> usize {
    bytes.len() - 4 - A_ATTEMPT_LEN
}

/// Sets the lock's deadline to `since + delta` (`None`: to `i64::MIN`).
fn lock_until_since(bytes: &mut [u8], delta: Option<i64>) {
    let since = get_i64(bytes, A_LOCK_SINCE);
    put_i64(
        bytes,
        A_LOCK_UNTIL,
        delta.map_or(i64::MIN, |delta| since + delta),
    );
}

/// Writes `last_seen + delta` at `at`.
fn after_last_seen(bytes: &mut [u8], at: usize, delta: i64) {
    let last_seen = get_i64(bytes, A_LAST_SEEN);
    put_i64(bytes, at, last_seen + delta);
}

/// Every forged state with a valid checksum, and what decoding it answers.
const FORGERIES: &[Forgery] = &[
    // A lock that ends at or before it starts; one millisecond after the start is valid.
    (
        "until = since",
        LOCKED,
        |b| lock_until_since(b, Some(0)),
        refused(Inconsistency::LockEndsBeforeItStarts),
    ),
    (
        "until = since - 1",
        LOCKED,
        |b| lock_until_since(b, Some(-1)),
        refused(Inconsistency::LockEndsBeforeItStarts),
    ),
    (
        "until = i64::MIN",
        LOCKED,
        |b| lock_until_since(b, None),
        refused(Inconsistency::LockEndsBeforeItStarts),
    ),
    (
        "until = since + 1",
        LOCKED,
        |b| lock_until_since(b, Some(1)),
        Ok(()),
    ),
    (
        "until = since",
        ADMIN_LOCKED,
        |b| lock_until_since(b, Some(0)),
        refused(Inconsistency::LockEndsBeforeItStarts),
    ),
    (
        "until = since - 1",
        ADMIN_LOCKED,
        |b| lock_until_since(b, Some(-1)),
        refused(Inconsistency::LockEndsBeforeItStarts),
    ),
    (
        "until = i64::MIN",
        ADMIN_LOCKED,
        |b| lock_until_since(b, None),
        refused(Inconsistency::LockEndsBeforeItStarts),
    ),
    (
        "until = since + 1",
        ADMIN_LOCKED,
        |b| lock_until_since(b, Some(1)),
        Ok(()),
    ),
    // A lock, a latest failure or a recorded failure after last_seen.
    (
        "lock after last_seen",
        LOCKED,
        |b| {
            after_last_seen(b, A_LOCK_SINCE, 1);
            after_last_seen(b, A_LOCK_UNTIL, 1_000_000);
        },
        refused(Inconsistency::AfterLastSeen),
    ),
    (
        "lock after last_seen",
        ADMIN_LOCKED,
        |b| {
            after_last_seen(b, A_LOCK_SINCE, 1);
            after_last_seen(b, A_LOCK_UNTIL, 1_000_000);
        },
        refused(Inconsistency::AfterLastSeen),
    ),
    (
        "latest failure after last_seen",
        LOCKED,
        |b| after_last_seen(b, A_LAST_FAILURE, 1),
        refused(Inconsistency::AfterLastSeen),
    ),
    (
        "latest failure after last_seen",
        ADMIN_LOCKED,
        |b| after_last_seen(b, A_LAST_FAILURE, 1),
        refused(Inconsistency::AfterLastSeen),
    ),
    (
        "record after last_seen",
        RECORDS,
        |b| after_last_seen(b, A_RECORDS_LEN + 1 + 16, 1),
        refused(Inconsistency::AfterLastSeen),
    ),
    // The first two of three records swapped.
    (
        "records out of order",
        RECORDS,
        |b| {
            assert_eq!(b[A_RECORDS_LEN], 3);
            let first = A_RECORDS_LEN + 1;
            let (x, y) = (get_i64(b, first), get_i64(b, first + 8));
            assert!(x < y);
            put_i64(b, first, y);
            put_i64(b, first + 8, x);
        },
        refused(Inconsistency::RecordsOutOfOrder),
    ),
    // An attempt in flight without a serial: the account's latest, then the attempt's own;
    // without attempts, serial 0 is the serial of an account that never began one.
    (
        "latest serial 0",
        IN_FLIGHT,
        |b| put_u16(b, A_SERIAL, 0),
        refused(Inconsistency::AttemptWithoutSerial),
    ),
    (
        "attempt's serial 0",
        IN_FLIGHT,
        |b| put_u16(b, last_attempt(b), 0),
        refused(Inconsistency::AttemptWithoutSerial),
    ),
    ("serial 0 without attempts", RECORDS, |_| {}, Ok(())),
    // Two attempts in flight (moved starts at +10 of each, at 20 s and 21 s).
    (
        "the second starts before the first",
        TWO_ATTEMPTS,
        |b| put_i64(b, last_attempt(b) + 10, T0_MS + 19_000),
        refused(Inconsistency::AttemptsOutOfOrder),
    ),
    (
        "the same token twice",
        TWO_ATTEMPTS,
        |b| {
            let second = last_attempt(b);
            b.copy_within(second - A_ATTEMPT_LEN..second, second);
        },
        refused(Inconsistency::DuplicateAttempt),
    ),
    (
        "a moved start after last_seen",
        TWO_ATTEMPTS,
        |b| put_i64(b, last_attempt(b) + 10, T0_MS + 22_000),
        refused(Inconsistency::AfterLastSeen),
    ),
    (
        "the token's own start after last_seen",
        TWO_ATTEMPTS,
        |b| put_i64(b, last_attempt(b) + 2, T0_MS + 99_000),
        Ok(()),
    ),
    // A sliding window's count other than its 3 records.
    (
        "count 0",
        RECORDS,
        |b| put_u32(b, A_COUNT, 0),
        refused(Inconsistency::UnreachableCounter),
    ),
    (
        "count 1",
        RECORDS,
        |b| put_u32(b, A_COUNT, 1),
        refused(Inconsistency::UnreachableCounter),
    ),
    (
        "count 2",
        RECORDS,
        |b| put_u32(b, A_COUNT, 2),
        refused(Inconsistency::UnreachableCounter),
    ),
    (
        "count 4",
        RECORDS,
        |b| put_u32(b, A_COUNT, 4),
        refused(Inconsistency::UnreachableCounter),
    ),
    (
        "count u32::MAX",
        RECORDS,
        |b| put_u32(b, A_COUNT, u32::MAX),
        refused(Inconsistency::UnreachableCounter),
    ),
    // Consecutive failures: the cap (100) itself is reachable, above it is not.
    (
        "consecutive 100",
        IN_FLIGHT,
        |b| put_u32(b, A_CONSECUTIVE, 100),
        Ok(()),
    ),
    (
        "consecutive 101",
        IN_FLIGHT,
        |b| put_u32(b, A_CONSECUTIVE, 101),
        refused(Inconsistency::UnreachableCounter),
    ),
    (
        "consecutive 1000",
        IN_FLIGHT,
        |b| put_u32(b, A_CONSECUTIVE, 1_000),
        refused(Inconsistency::UnreachableCounter),
    ),
    (
        "consecutive u32::MAX",
        IN_FLIGHT,
        |b| put_u32(b, A_CONSECUTIVE, u32::MAX),
        refused(Inconsistency::UnreachableCounter),
    ),
    // A temporary lock the policy does not count.
    (
        "1 temporary lock",
        LOCKED,
        |b| put_u16(b, A_TEMPORARY_LOCKS, 1),
        refused(Inconsistency::UnreachableCounter),
    ),
    // A count without a latest failure.
    (
        "no latest failure",
        LOCKED,
        |b| {
            b[A_FLAGS] &= !F_LAST_FAILURE;
            put_i64(b, A_LAST_FAILURE, 0);
        },
        refused(Inconsistency::CountWithoutFailure),
    ),
    // Lock start, deadline and latest failure, each absent and non-zero.
    (
        "lock start 1",
        FRESH,
        |b| put_i64(b, A_LOCK_SINCE, 1),
        refused(Inconsistency::AbsentFieldNotZero),
    ),
    (
        "lock start -1",
        FRESH,
        |b| put_i64(b, A_LOCK_SINCE, -1),
        refused(Inconsistency::AbsentFieldNotZero),
    ),
    (
        "lock start i64::MIN",
        FRESH,
        |b| put_i64(b, A_LOCK_SINCE, i64::MIN),
        refused(Inconsistency::AbsentFieldNotZero),
    ),
    (
        "deadline 1",
        FRESH,
        |b| put_i64(b, A_LOCK_UNTIL, 1),
        refused(Inconsistency::AbsentFieldNotZero),
    ),
    (
        "deadline -1",
        FRESH,
        |b| put_i64(b, A_LOCK_UNTIL, -1),
        refused(Inconsistency::AbsentFieldNotZero),
    ),
    (
        "deadline i64::MIN",
        FRESH,
        |b| put_i64(b, A_LOCK_UNTIL, i64::MIN),
        refused(Inconsistency::AbsentFieldNotZero),
    ),
    (
        "latest failure 1",
        FRESH,
        |b| put_i64(b, A_LAST_FAILURE, 1),
        refused(Inconsistency::AbsentFieldNotZero),
    ),
    (
        "latest failure -1",
        FRESH,
        |b| put_i64(b, A_LAST_FAILURE, -1),
        refused(Inconsistency::AbsentFieldNotZero),
    ),
    (
        "latest failure i64::MIN",
        FRESH,
        |b| put_i64(b, A_LAST_FAILURE, i64::MIN),
        refused(Inconsistency::AbsentFieldNotZero),
    ),
    // A deadline flag or a lock cause without a lock; a deadline field without the flag.
    (
        "deadline flag without a lock",
        FRESH,
        |b| b[A_FLAGS] |= F_DEADLINE,
        refused(Inconsistency::AbsentFieldNotZero),
    ),
    (
        "lock cause without a lock",
        FRESH,
        |b| b[A_FLAGS] |= 2 << 3,
        refused(Inconsistency::AbsentFieldNotZero),
    ),
    (
        "deadline field without the flag",
        LOCKED,
        |b| b[A_FLAGS] &= !F_DEADLINE,
        refused(Inconsistency::AbsentFieldNotZero),
    ),
];

const FRESH: &str = "fresh";

#[test]
fn forged_states_with_a_valid_checksum_decode_as_the_table_says() {
    // The states the rows start from, as the rows expect them.
    let (fresh, bytes, policy) = state(FRESH);
    assert_eq!(Big::decode(&bytes, &policy), Ok(fresh));
    assert_eq!(get_i64(&bytes, A_LAST_SEEN), i64::MIN);
    for name in [LOCKED, ADMIN_LOCKED] {
        assert_ne!(
            state(name).1[A_FLAGS] & F_DEADLINE,
            0,
            "{name} has a deadline"
        );
    }
    let (account, _, policy) = state(IN_FLIGHT);
    assert_eq!(account.attempts_in_flight(), 1);
    assert_eq!(policy.rules().max_consecutive_failures, Some(100));
    assert_eq!(account.consecutive_failures(), 9);
    assert_eq!(
        state(LOCKED).2.rules().permanent_after_temporary_locks,
        None
    );
    let (account, bytes, policy) = two_attempts();
    assert_eq!(Big::decode(&bytes, &policy), Ok(account));

    for &(what, name, forge, expected) in FORGERIES {
        let (_, bytes, policy) = if name == TWO_ATTEMPTS {
            two_attempts()
        } else {
            state(name)
        };
        let mut forged = bytes.clone();
        forge(&mut forged);
        if forged != bytes {
            assert_eq!(
                Big::decode(&forged, &policy),
                Err(DecodeError::Checksum),
                "{name}, {what}: with the original checksum"
            );
        }
        resign(&mut forged);
        assert_eq!(
            Big::decode(&forged, &policy).map(|_| ()),
            expected,
            "{name}, {what}"
        );
    }
    // Records kept for a policy without a sliding window.
    let (_, bytes, _) = state(RECORDS);
    assert_eq!(
        Big::decode(&bytes, &pingone(5, Some(60))),
        inconsistent(Inconsistency::UnreachableCounter)
    );
}

#[test]
fn unknown_flag_bits_and_lock_causes_are_refused() {
    for (state, account, policy) in account_states() {
        let bytes = encode_account(&account);
        assert_ne!(bytes[A_FLAGS] & F_ENABLED, 0, "{state} is enabled");
        for bit in [0x40, 0x80] {
            let mut forged = bytes.clone();
            forged[A_FLAGS] |= bit;
            resign(&mut forged);
            assert_eq!(
                Big::decode(&forged, &policy),
                inconsistent(Inconsistency::UnknownFlags),
                "{state}, bit {bit:#x}"
            );
        }
    }
    // Cause 3 is the quick-failure lock since version 2.
    let (account, bytes, policy) = state("locked by policy");
    assert_ne!(bytes[A_FLAGS] & F_LOCKED, 0);
    let mut forged = bytes.clone();
    forged[A_FLAGS] |= F_CAUSE_MASK;
    resign(&mut forged);
    let decoded = Big::decode(&forged, &policy).unwrap();
    assert_eq!(decoded.lock_cause(secs(3)), Some(LockCause::QuickFailure));
    assert_eq!(account.lock_cause(secs(3)), Some(LockCause::Policy));
}

#[test]
fn an_unknown_lock_tag_in_a_policy_is_an_unknown_tag() {
    for (name, policy) in dialect_policies() {
        let bytes = encode_policy(&policy);
        for tag in [6u8, 7, 0x80, 0xFF] {
            let mut forged = bytes.clone();
            forged[P_LOCK_TAG] = tag;
            resign(&mut forged);
            assert_eq!(
                Policy::decode(&forged),
                Err(DecodeError::Inconsistent(Inconsistency::UnknownTag)),
                "{name}: lock tag {tag}"
            );
        }
    }
}

#[test]
fn a_sliding_window_threshold_of_17_is_an_invalid_threshold() {
    let policy = pam(16, 900, 600);
    let bytes = encode_policy(&policy);
    assert_eq!(bytes[P_THRESHOLD..P_THRESHOLD + 4], 16u32.to_le_bytes());
    let mut forged = bytes.clone();
    put_u32(&mut forged, P_THRESHOLD, 17);
    resign(&mut forged);
    let error = Policy::decode(&forged).unwrap_err();
    match error {
        DecodeError::InvalidPolicy(PolicyError { parameter, problem }) => {
            assert_eq!(parameter, "threshold");
            assert_eq!(problem, Problem::TooLarge { max: 16, got: 17 });
        }
        other => panic!("expected InvalidPolicy(threshold), got {other:?}"),
    }
}

#[test]
fn more_table_steps_than_a_schedule_holds_is_too_many_entries() {
    let bytes = encode_policy(&custom_table_policy());
    assert_eq!(bytes[P_STEP_COUNT], 16);
    // One more step before the checksum, and the count to match, signed.
    let mut forged = bytes[..bytes.len() - 4].to_vec();
    forged.extend_from_slice(&[0u8; 12 + 4]);
    forged[P_STEP_COUNT] = 17;
    resign(&mut forged);
    assert_eq!(Policy::decode(&forged), Err(DecodeError::TooManyEntries));
}

// ---------------------------------------------------------------------------------------------
// 5. BufferTooSmall
// ---------------------------------------------------------------------------------------------

/// `encode` into buffers of each of `short` lengths is refused with the length needed and
/// leaves the buffer untouched; into `needed` bytes it writes them all.
fn assert_short_buffers_refused(
    what: &str,
    needed: usize,
    short: &[usize],
    fill: u8,
    encode: impl Fn(&mut [u8]) -> Result<usize, BufferTooSmall>,
) {
    for &len in short {
        let mut buffer = vec![fill; len];
        assert_eq!(
            encode(&mut buffer),
            Err(BufferTooSmall { needed }),
            "{what}: buffer of {len}"
        );
        assert!(
            buffer.iter().all(|&b| b == fill),
            "{what}: the buffer of {len} was written"
        );
    }
    let mut exact = vec![0u8; needed];
    assert_eq!(encode(&mut exact), Ok(needed), "{what}");
}

#[test]
fn a_buffer_one_byte_short_is_refused_and_left_untouched() {
    for (state, account, _) in account_states() {
        let needed = account.encoded_len();
        assert_short_buffers_refused(state, needed, &[needed - 1, 0, needed / 2], 0xA5, |b| {
            account.encode(b)
        });
    }
    for (name, policy) in every_policy() {
        let needed = encode_policy(&policy).len();
        assert_short_buffers_refused(name, needed, &[needed - 1, 0], 0x5A, |b| policy.encode(b));
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Migrating a state to another policy
// ---------------------------------------------------------------------------------------------

/// Every concrete state migrates to every dialect's policy, and the result is a state that
/// policy accepts as it is (it round-trips through `decode`).
#[test]
fn every_state_migrates_to_every_policy() {
    for (state, account, _) in account_states() {
        let bytes = encode_account(&account);
        for (name, policy) in every_policy() {
            let migrated = Big::decode_migrating(&bytes, &policy)
                .unwrap_or_else(|e| panic!("{state} under {name}: {e}"));
            let again = encode_account(&migrated);
            assert_eq!(
                Big::decode(&again, &policy),
                Ok(migrated),
                "{state} under {name}"
            );
            // What every policy keeps.
            let now = secs(100);
            assert_eq!(
                migrated.view(now),
                account.view(now),
                "{state} under {name}"
            );
            assert_eq!(migrated.last_seen(), account.last_seen());
            assert_eq!(
                migrated.attempt_tokens().collect::<Vec<_>>(),
                account.attempt_tokens().collect::<Vec<_>>()
            );
        }
    }
}

#[test]
fn migration_keeps_what_the_new_policy_holds_and_refuses_unsound_bytes() {
    // 9 fingerprints remembered by a TPM policy with memory 8 (the newest 8 kept), cap 100.
    let (account, bytes, old) = state("8 fingerprints and an attempt in flight");
    let consecutive = account.consecutive_failures();
    assert_eq!(consecutive, 9);
    // Memory 2 and a cap of 5: the newest two fingerprints, the consecutive count capped.
    let new = Tpm {
        max_tries: 20,
        recovery_time: 600,
    }
    .policy()
    .unwrap()
    .with_modifiers(2, Some(5))
    .unwrap();
    assert_eq!(
        Big::decode(&bytes, &new),
        inconsistent(Inconsistency::UnreachableCounter)
    );
    let mut migrated = Big::decode_migrating(&bytes, &new).unwrap();
    assert_eq!(migrated.consecutive_failures(), 5);
    assert_eq!(
        migrated.failure_count(&new, secs(20)),
        account.failure_count(&old, secs(20))
    );
    // The two newest fingerprints (the 8th and 9th failures') are still ignored as repeats;
    // the 7th is forgotten and counts.
    let before = migrated.failure_count(&new, secs(21));
    for repeated in [0x1111 * 9, 0x1111 * 8] {
        let _ = migrated
            .failure(&new, secs(21), Some(Fingerprint::new(repeated)))
            .unwrap();
    }
    assert_eq!(migrated.failure_count(&new, secs(21)), before);
    let _ = migrated
        .failure(&new, secs(21), Some(Fingerprint::new(0x1111 * 7)))
        .unwrap();
    assert_eq!(migrated.failure_count(&new, secs(21)), before + 1);

    // A corrupted or forged state is refused by migration exactly as by decode.
    let mut flipped = bytes.clone();
    flipped[A_LAST_SEEN] ^= 1;
    assert_eq!(
        Big::decode_migrating(&flipped, &new),
        Err(DecodeError::Checksum)
    );
    let mut forged = bytes.clone();
    put_i64(
        &mut forged,
        A_LAST_FAILURE,
        get_i64(&bytes, A_LAST_SEEN) + 1,
    );
    resign(&mut forged);
    assert_eq!(
        Big::decode_migrating(&forged, &new),
        inconsistent(Inconsistency::AfterLastSeen)
    );
}

/// A count without failure times (PingOne) moving to a sliding window (pam_faillock, deny
/// 3) becomes that many times at the latest failure, at most `deny`; the other way, the
/// times go and their number stays.
#[test]
fn migration_between_a_count_and_a_sliding_window() {
    let pingone = pingone(10, Some(900));
    let mut account = Big::new();
    for t in [0, 10, 20, 30, 40] {
        let _ = account.failure(&pingone, secs(t), None).unwrap();
    }
    let pam = pam(3, 900, 600);
    let migrated = Big::decode_migrating(&encode_account(&account), &pam).unwrap();
    assert_eq!(migrated.failure_count(&pam, secs(41)), 3);
    // The made-up times are the latest failure's: they leave the window 900 s after it.
    assert_eq!(migrated.failure_count(&pam, secs(939)), 3);
    assert_eq!(migrated.failure_count(&pam, secs(940)), 0);

    let mut windowed = Big::new();
    for t in [0, 10] {
        let _ = windowed.failure(&pam, secs(t), None).unwrap();
    }
    let back = Big::decode_migrating(&encode_account(&windowed), &pingone).unwrap();
    assert_eq!(back.failure_count(&pingone, secs(11)), 2);
    assert_eq!(
        Account::<0, 0, 8>::decode_migrating(&encode_account(&windowed), &pingone)
            .unwrap()
            .failure_count(&pingone, secs(11)),
        2,
        "an account type without room for failure times"
    );
}
