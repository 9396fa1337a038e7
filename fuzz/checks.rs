//! The checks behind the fuzz targets, shared by the cargo-fuzz targets in
//! `fuzz/fuzz_targets/` (nightly, libFuzzer) and by `tests/fuzz_corpus.rs`, which replays
//! every file of `fuzz/corpus/<target>/` through them on stable with `cargo test`.
//!
//! Each check takes the raw input bytes, so a corpus file, a crash artifact and a
//! replayed file mean exactly the same thing in both places. A failed check panics.

use std::fmt::Debug;

use account_lockout::harness::{Call, TimeStep, check_view, table_comparable};
use account_lockout::{
    Account, AttemptToken, ErrorCode, Field, Fingerprint, Instant, LockoutTable, Operation,
    Outcome, Patch, PatchDocument, PatchError, Policy, TableError, Transition,
};
use arbitrary::{Arbitrary, Unstructured};

/// A target's check of one input; it panics when the input breaks a property.
pub type Check = fn(&[u8]);

/// The fuzz targets, by name, with their checks.
pub const TARGETS: &[(&str, Check)] = &[
    ("table_operations", table_operations),
    ("patch_json", patch_json),
    ("policy_json", policy_json),
    ("binary_decode", binary_decode),
];

// ---------------------------------------------------------------------------------------
// table_operations: operation sequences against a table and against standalone accounts
// ---------------------------------------------------------------------------------------

/// The number of distinct keys; twice the table's slots, so that `Full` happens.
const KEYS: usize = 16;
/// The most steps one input runs.
const MAX_STEPS: usize = 512;
/// 2026-01-01T00:00:00Z in milliseconds since the Unix epoch.
const T0_MS: i64 = 1_767_225_600_000;

type Table = LockoutTable<u8, 8, 16, 8>;
type Standalone = Account<16, 8>;

/// What a step does: a call on the account of its key (`recover` and `poll` on every
/// account: the table's are table-wide), several failures at once, or compaction. The
/// clock steps, calls and their deadlines are the crate's harness
/// (`account_lockout::harness`), shared with the property tests.
#[derive(Clone, Copy, Debug)]
pub enum TableAction {
    /// A call ([`Call`]): an operation ([`Account::apply`], a patch with conflicting
    /// fields made valid), the attempt protocol (the tokens are remembered and finished
    /// by index), [`LockoutTable::recover`] or [`LockoutTable::poll`] until it yields
    /// nothing.
    Call(Call),
    /// Several failures at the same instant, to reach thresholds quickly.
    Failures {
        count: u8,
        credential: Option<Fingerprint>,
    },
    /// [`LockoutTable::compact`].
    Compact,
}

impl<'a> Arbitrary<'a> for TableAction {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<TableAction> {
        Ok(match u8::arbitrary(u)? % 16 {
            0..=13 => TableAction::Call(Call::arbitrary(u)?),
            14 => TableAction::Failures {
                count: u8::arbitrary(u)? % 8 + 1,
                credential: Option::<Fingerprint>::arbitrary(u)?,
            },
            _ => TableAction::Compact,
        })
    }
}

/// One step: the clock moves, then the action runs on key `key % 16`.
#[derive(Clone, Copy, Debug)]
pub struct TableStep {
    pub key: u8,
    pub time: TimeStep,
    pub action: TableAction,
}

impl<'a> Arbitrary<'a> for TableStep {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<TableStep> {
        Ok(TableStep {
            key: u8::arbitrary(u)? % KEYS as u8,
            time: TimeStep::arbitrary(u)?,
            action: TableAction::arbitrary(u)?,
        })
    }
}

/// The input of `table_operations`: a policy, a start instant, then steps until the
/// bytes run out.
#[derive(Clone, Debug)]
pub struct TableInput {
    pub policy: Policy,
    pub start: Instant,
    pub steps: Vec<TableStep>,
}

impl<'a> Arbitrary<'a> for TableInput {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<TableInput> {
        let policy = Policy::arbitrary(u)?;
        let start = if u8::arbitrary(u)? % 4 == 0 {
            Instant::arbitrary(u)?
        } else {
            Instant::from_millis(T0_MS.saturating_add(i64::from(u32::arbitrary(u)?)))
        };
        let mut steps = Vec::new();
        while !u.is_empty() && steps.len() < MAX_STEPS {
            steps.push(TableStep::arbitrary(u)?);
        }
        Ok(TableInput {
            policy,
            start,
            steps,
        })
    }
}

/// The two tokens of one attempt: the table's and the standalone account's (their serial
/// numbers differ once the table has dropped and re-created the account).
type TokenPair = (AttemptToken, AttemptToken);

/// The table and, in parallel, one standalone account per key.
struct Model {
    policy: Policy,
    table: Table,
    accounts: [Standalone; KEYS],
    tokens: [Vec<TokenPair>; KEYS],
}

/// Compares a table operation with the same operation on the standalone account of its
/// key, run on a copy: the copy is kept only when the table kept the change. The table's
/// `Full` must come from an operation the account accepted; a refused operation must
/// change nothing. Returns both results when both succeeded.
fn agree<T: Debug, E: Debug + PartialEq>(
    table: Result<T, TableError<E>>,
    account: &mut Standalone,
    operation: impl FnOnce(&mut Standalone) -> Result<T, E>,
) -> Option<(T, T)> {
    let mut copy = *account;
    let standalone = operation(&mut copy);
    match (table, standalone) {
        // Refused by the table: the standalone account is not updated either.
        (Err(TableError::Full), Ok(_)) => None,
        (Ok(in_table), Ok(alone)) => {
            *account = copy;
            Some((in_table, alone))
        }
        (Err(TableError::Operation(in_table)), Err(alone)) => {
            assert_eq!(
                in_table, alone,
                "the table and the account refuse differently"
            );
            assert_eq!(copy, *account, "a refused operation changed the account");
            None
        }
        (in_table, alone) => panic!("the table gave {in_table:?}, the account {alone:?}"),
    }
}

/// The table and the account give the same outcome (the harness's `table_comparable`:
/// under a policy that cannot lock by the count, a table forgets an account whose only
/// information is its count).
fn same_outcome(policy: &Policy, (in_table, alone): (Outcome, Outcome)) {
    assert_eq!(
        table_comparable(policy, in_table),
        table_comparable(policy, alone),
        "the table and the account give different outcomes"
    );
}

/// A transition as [`same_outcome`] compares it: under a policy that cannot lock by the
/// count, the number a `Counted` carries is the table's to forget.
fn comparable_transition(policy: &Policy, transition: Transition) -> Transition {
    match transition {
        Transition::Counted { .. } if !policy.can_lock_by_count() => {
            Transition::Counted { failures: 0 }
        }
        other => other,
    }
}

impl Model {
    /// Runs one operation of `key` on the table and on the key's standalone account (see
    /// [`agree`]). A new key in a full table makes the table compact at `now`, which
    /// observes `now` for every account it judges: the standalone accounts do the same.
    fn run<T: Debug, E: Debug + PartialEq>(
        &mut self,
        now: Instant,
        key: u8,
        in_table: impl FnOnce(&mut Table) -> Result<T, TableError<E>>,
        alone: impl FnOnce(&mut Standalone) -> Result<T, E>,
    ) -> Option<(T, T)> {
        let needs_room =
            self.table.len() == self.table.capacity() && self.table.get(&key).is_none();
        let result = in_table(&mut self.table);
        if matches!(result, Err(TableError::Full)) {
            assert!(needs_room, "Full for key {key}, which has a slot");
            assert!(self.table.get(&key).is_none(), "Full stored key {key}");
        }
        let both = agree(result, &mut self.accounts[usize::from(key)], alone);
        if needs_room && self.table.get(&key).is_some() {
            self.observe_all(now);
        }
        both
    }

    /// Around a step whose shift saturates ([`shift_saturates`]): the standalone accounts
    /// start again from the table's (a forgotten key from a new account), and the tokens
    /// end.
    fn resync(&mut self) {
        for (key, account) in (0u8..).zip(&mut self.accounts) {
            *account = self.table.get(&key).copied().unwrap_or_default();
        }
        for tokens in &mut self.tokens {
            tokens.clear();
        }
    }

    /// What compaction at `now` does to every account it judges, done to every standalone
    /// account: observe `now` or its own later `last_seen` (as `poll` does, behaviour §7.2),
    /// unless that would end a lock whose end nobody reported yet (see the module
    /// documentation of `account_lockout::table`).
    ///
    /// Observing can do more than end a lock: an attempt in flight that timed out counts
    /// as a failure (behaviour §7.1, §7.6), and the table applies it all the same. So the
    /// accounts step through what time did as `poll` reports it, and stop at an unlock.
    fn observe_all(&mut self, now: Instant) {
        for account in &mut self.accounts {
            let at = judged_at(account, now);
            // Step by step, as `poll` reports them; an unlock is left for `poll` to report.
            loop {
                let mut next = *account;
                match next.poll(&self.policy, at) {
                    Some(Transition::Unlocked { .. }) => break,
                    Some(_) => *account = next,
                    None => {
                        *account = next;
                        break;
                    }
                }
            }
        }
    }

    fn operation(&mut self, now: Instant, key: u8, operation: Operation) {
        let policy = self.policy;
        if let Some(both) = self.run(
            now,
            key,
            |table| table.apply(&policy, key, now, operation),
            |a| a.apply(&policy, now, operation),
        ) {
            same_outcome(&policy, both);
        }
    }

    fn step(&mut self, now: Instant, key: u8, action: TableAction) {
        let policy = self.policy;
        let index = usize::from(key);
        let call = match action {
            TableAction::Call(call) => call,
            TableAction::Failures { count, credential } => {
                for _ in 0..count {
                    self.operation(now, key, Operation::Failure { credential });
                }
                return;
            }
            TableAction::Compact => {
                let before = self.table.len();
                let freed = self.table.compact(&policy, now);
                self.observe_all(now);
                assert_eq!(before - self.table.len(), freed);
                for (key, account) in self.table.iter() {
                    assert!(
                        !account.is_dormant(&policy, judged_at(account, now)),
                        "compaction kept the dormant account of key {key}"
                    );
                }
                return;
            }
        };
        match call {
            Call::Operation(action) => self.operation(now, key, action.valid_operation(now)),
            Call::BeginAttempt => {
                if let Some((in_table, alone)) = self.run(
                    now,
                    key,
                    |table| table.begin_attempt(&policy, key, now),
                    |a| a.begin_attempt(&policy, now),
                ) {
                    // An attempt that timed out counts when `begin` observes it
                    // (behaviour §7.6): its `Counted` is compared as any other.
                    same_outcome(&policy, (in_table.outcome, alone.outcome));
                    assert_eq!(
                        in_table.token.map(|token| token.started()),
                        alone.token.map(|token| token.started())
                    );
                    // Several attempts can be in flight (behaviour §7.1). Tokens are single use:
                    // a host that reuses a finished one is outside the contract. One that
                    // timed out is refused by both; it cannot collide with a later token
                    // of a re-created account, which starts at least a timeout later.
                    if let (Some(in_table), Some(alone)) = (in_table.token, alone.token) {
                        self.tokens[index].push((in_table, alone));
                    }
                }
            }
            Call::FinishAttempt { which, verdict } => {
                let tokens = &self.tokens[index];
                let which = usize::from(which) % tokens.len().max(1);
                let Some(&(in_table, alone)) = tokens.get(which) else {
                    return;
                };
                if let Some(both) = self.run(
                    now,
                    key,
                    |table| table.finish_attempt(&policy, key, now, in_table, verdict),
                    |a| a.finish_attempt(&policy, now, alone, verdict),
                ) {
                    same_outcome(&policy, both);
                }
                // Single use: finished (or refused), the token is done.
                self.tokens[index].remove(which);
            }
            Call::Recover => {
                let in_flight: usize = self.accounts.iter().map(|a| a.attempts_in_flight()).sum();
                let recovered = self.table.recover(&policy, now);
                // The table recovers the accounts with attempts in flight, each at the later
                // of `now` and its `last_seen` (behaviour §7.2). `Account::recover` also observes
                // `now` with nothing in flight (behaviour §7.6), but the table leaves such an
                // account alone, as it leaves a key it does not hold: the standalone
                // accounts do the same.
                for account in &mut self.accounts {
                    if account.attempts_in_flight() > 0 {
                        let at = judged_at(account, now);
                        let _ = account
                            .recover(&policy, at)
                            .expect("Account<16, 8> holds every policy");
                    }
                }
                assert_eq!(recovered, Ok(in_flight), "recover counts differently");
                // Recovered attempts are over: their tokens are done.
                for tokens in &mut self.tokens {
                    tokens.clear();
                }
            }
            Call::Poll => {
                let mut polled: Vec<(u8, Transition)> = Vec::new();
                while let Some(found) = self.table.poll(&policy, now) {
                    // Each account has at most a lock and its attempts to report.
                    assert!(
                        polled.len() < self.table.capacity() * 40,
                        "poll never stops: {polled:?} then {found:?}"
                    );
                    polled.push(found);
                }
                for (key, account) in (0u8..).zip(&mut self.accounts) {
                    // `poll` reports what time did one thing per call, until `None`; it can
                    // report an attempt that timed out as `Counted` (behaviour §7.6), compared
                    // as in an outcome.
                    let at = judged_at(account, now);
                    let alone: Vec<Transition> =
                        std::iter::from_fn(|| account.poll(&policy, at)).collect();
                    let in_table: Vec<Transition> = polled
                        .iter()
                        .filter(|(polled_key, _)| *polled_key == key)
                        .map(|(_, transition)| comparable_transition(&policy, *transition))
                        .collect();
                    assert_eq!(
                        in_table,
                        alone
                            .into_iter()
                            .map(|transition| comparable_transition(&policy, transition))
                            .collect::<Vec<_>>(),
                        "poll of key {key}"
                    );
                }
            }
        }
    }

    /// The invariants after every step.
    fn check(&self, now: Instant) {
        let policy = &self.policy;
        assert!(self.table.len() <= self.table.capacity());
        for (key, account) in (0u8..).zip(&self.accounts) {
            let view = account.view(now);
            if let Err(problem) = check_view(&view, now) {
                panic!("{problem}: {view:?} at {now:?}");
            }
            assert_eq!(self.table.view(&key, now), view, "the view of key {key}");
            assert_eq!(
                self.table.check(policy, &key, now),
                account.check(policy, now),
                "check of key {key}"
            );
            round_trip_account(account, policy);
        }
        for (_, account) in self.table.iter() {
            round_trip_account(account, policy);
        }
        let earliest = self
            .accounts
            .iter()
            .filter_map(|account| account.next_deadline(policy, judged_at(account, now)))
            .min();
        assert_eq!(
            self.table.next_deadline(policy, now),
            earliest,
            "next_deadline"
        );
    }
}

/// The instant a table-wide call judges an account at (behaviour §7.2): never before the
/// account's own `last_seen`.
fn judged_at(account: &Standalone, now: Instant) -> Instant {
    now.max(account.last_seen())
}

/// `encode` then `decode` gives the account back, and re-encodes to the same bytes.
fn round_trip_account(account: &Standalone, policy: &Policy) {
    let mut buffer = [0u8; Standalone::MAX_ENCODED_LEN];
    let len = account
        .encode(&mut buffer)
        .expect("MAX_ENCODED_LEN suffices");
    let bytes = &buffer[..len];
    let decoded = Standalone::decode(bytes, policy)
        .unwrap_or_else(|error| panic!("decoding {account:?} ({bytes:02x?}): {error:?}"));
    assert_eq!(&decoded, account, "decode(encode(account))");
}

/// Arbitrary operation sequences against a `LockoutTable<u8, 8, 16, 8>` and, in
/// parallel, a standalone `Account<16, 8>` per key: no panic, the same outcomes and
/// views, the view's rules, and encode→decode of every account.
///
/// After every step, for all 16 keys: the table's view, `check` and `next_deadline`
/// equal the standalone accounts'. An operation the table refuses with `Full` is not
/// applied to the standalone account. Compaction (`compact`, or a new key in a full
/// table) observes `now` for the accounts it judges, as the table documents; the
/// standalone accounts then observe `now` too. Keys are `u8 % 16`, so eight slots fill.
///
/// With `TABLE_TRACE` set in the environment, the policy and every step are printed to
/// standard error, to read what a crashing input does.
pub fn table_operations(data: &[u8]) {
    let Ok(input) = TableInput::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    let mut model = Model {
        policy: input.policy,
        table: Table::new(),
        accounts: [Standalone::new(); KEYS],
        tokens: Default::default(),
    };
    let mut now = input.start;
    let trace = std::env::var_os("TABLE_TRACE").is_some();
    if trace {
        eprintln!("policy {:?}\nstart {now:?}", model.policy);
    }
    model.check(now);
    for step in input.steps {
        if trace {
            eprintln!("{:?}", (step.time, step.key, &step.action));
        }
        let unlock_at = model.accounts[usize::from(step.key)].view(now).unlock_at;
        now = step.time.apply(now, unlock_at);
        // A step whose clock-regression shift would take a stored instant below
        // `Instant::MIN` saturates it (behaviour §1), which shortens the time since it: a failure
        // a table forgot as decayed could count again in the account it stands for. The
        // table's promise (forgetting a dormant account changes no answer) holds short of
        // that, as its documentation says; around such a step, the standalone accounts
        // start again from the table's.
        let saturating = model
            .accounts
            .iter()
            .any(|account| shift_saturates(account, now));
        if saturating {
            model.resync();
        }
        model.step(now, step.key, step.action);
        if saturating {
            model.resync();
        }
        model.check(now);
    }
}

/// Whether observing `now` would shift a stored instant of `account` below `Instant::MIN`
/// (read from its binary form: the lock's start and deadline, the latest failure, the
/// recorded failures and the moved start of each attempt in flight; the token's start
/// does not move).
fn shift_saturates(account: &Standalone, now: Instant) -> bool {
    let shift = i128::from(account.last_seen().as_millis()) - i128::from(now.as_millis());
    if shift <= 0 {
        return false;
    }
    let mut buffer = [0u8; Standalone::MAX_ENCODED_LEN];
    let len = account
        .encode(&mut buffer)
        .expect("MAX_ENCODED_LEN suffices");
    let bytes = &buffer[..len];
    let instant_at =
        |offset: usize| i64::from_le_bytes(bytes[offset..offset + 8].try_into().expect("8 bytes"));
    let flags = bytes[3];
    let mut stored = Vec::new();
    for (flag, offset) in [(1 << 1, 12), (1 << 2, 20), (1 << 5, 28)] {
        if flags & flag != 0 {
            stored.push(instant_at(offset));
        }
    }
    // Version 2 (src/account/binary.rs): the three lists from byte 48 on.
    let records = usize::from(bytes[48]);
    stored.extend((0..records).map(|index| instant_at(49 + 8 * index)));
    let memory_at = 49 + 8 * records;
    let attempts_at = memory_at + 1 + 8 * usize::from(bytes[memory_at]);
    let attempts = usize::from(bytes[attempts_at]);
    // Each attempt: serial, the token's start (never moved), then the moved start.
    stored.extend((0..attempts).map(|index| instant_at(attempts_at + 1 + 18 * index + 10)));
    stored
        .into_iter()
        .any(|instant| i128::from(instant) - shift < i128::from(i64::MIN))
}

// ---------------------------------------------------------------------------------------
// patch_json: the allocation-free scanner against the serde_json path
// ---------------------------------------------------------------------------------------

/// The error of a body that is not a JSON object (or not JSON at all).
const NOT_AN_OBJECT: PatchError = PatchError {
    code: ErrorCode::InvalidValue,
    field: Field::Body,
    other: None,
};

/// The deepest nesting of arrays and objects, ignoring brackets inside strings.
fn nesting(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for byte in text.bytes() {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// `Patch::from_json` never panics, reads bytes that are not UTF-8 as not JSON, and
/// agrees with `serde_json` + `PatchDocument::into_patch` (a body serde_json refuses is
/// not an object), except beyond the scanner's nesting limit of 32.
pub fn patch_json(data: &[u8]) {
    let scanned = Patch::from_json(data);
    let Ok(text) = std::str::from_utf8(data) else {
        assert_eq!(scanned, Err(NOT_AN_OBJECT), "bytes that are not UTF-8");
        return;
    };
    if nesting(text) > 32 {
        return;
    }
    let via_serde = match serde_json::from_str::<PatchDocument>(text) {
        Ok(document) => document.into_patch(),
        // `1e400` is JSON (RFC 8259 sets no range), but serde_json refuses numbers beyond
        // f64; the scanner reads it as a value of the wrong type, as any other number.
        Err(error) if error.to_string().starts_with("number out of range") => return,
        Err(_) => Err(NOT_AN_OBJECT),
    };
    assert_eq!(
        scanned, via_serde,
        "the scanner and serde_json disagree on {text:?}"
    );
}

// ---------------------------------------------------------------------------------------
// policy_json: serde_json and serde-json-core agree; decoded policies round-trip
// ---------------------------------------------------------------------------------------

/// `encode` then `decode` gives the policy back, and re-encodes to the same bytes.
fn round_trip_policy(policy: &Policy) {
    let mut buffer = [0u8; Policy::MAX_ENCODED_LEN];
    let len = policy
        .encode(&mut buffer)
        .expect("MAX_ENCODED_LEN suffices");
    let decoded = Policy::decode(&buffer[..len])
        .unwrap_or_else(|error| panic!("decoding {policy:?}: {error:?}"));
    assert_eq!(&decoded, policy, "decode(encode(policy))");
    let mut again = [0u8; Policy::MAX_ENCODED_LEN];
    let len_again = decoded
        .encode(&mut again)
        .expect("MAX_ENCODED_LEN suffices");
    assert_eq!(&again[..len_again], &buffer[..len]);
}

/// `serde_json` and `serde_json_core` never panic on a policy document and, when both
/// accept it, read the same policy; an accepted policy round-trips through the binary
/// format.
pub fn policy_json(data: &[u8]) {
    let with_std = serde_json::from_slice::<Policy>(data).ok();
    let without_alloc = serde_json_core::from_slice::<Policy>(data)
        .ok()
        .map(|(policy, _)| policy);
    if let (Some(with_std), Some(without_alloc)) = (&with_std, &without_alloc) {
        assert_eq!(
            with_std, without_alloc,
            "serde_json and serde-json-core disagree"
        );
    }
    for policy in [with_std, without_alloc].iter().flatten() {
        round_trip_policy(policy);
    }
}

// ---------------------------------------------------------------------------------------
// binary_decode: decoding never panics; what it accepts re-encodes identically
// ---------------------------------------------------------------------------------------

/// `encoded`, the encoding of what `input` decoded to, is exactly `input`; a version-1
/// input (byte 2) re-encodes as version 2, so only its decoding is compared.
fn assert_re_encodes(input: &[u8], encoded: &[u8], what: &str) {
    if input.get(2) != Some(&1) {
        assert_eq!(encoded, input, "an accepted {what} re-encodes differently");
    }
}

/// Decodes `state` as `Account<R, M>` and, when accepted, checks that it re-encodes to
/// exactly `state` (a version-1 state, to version 2) and decodes again to the same
/// account.
fn decode_account<const R: usize, const M: usize>(state: &[u8], policy: &Policy) {
    let Ok(account) = Account::<R, M>::decode(state, policy) else {
        return;
    };
    let mut buffer = vec![0u8; Account::<R, M>::MAX_ENCODED_LEN];
    let len = account
        .encode(&mut buffer)
        .expect("MAX_ENCODED_LEN suffices");
    assert_re_encodes(state, &buffer[..len], "state");
    assert_eq!(Account::<R, M>::decode(&buffer[..len], policy), Ok(account));
}

/// `Policy::decode` of the whole input, and `Account::decode` of the rest after a policy
/// drawn from the first bytes, never panic; what they accept re-encodes to exactly the
/// same bytes (version-1 input to its version-2 form, which decodes to the same value).
pub fn binary_decode(data: &[u8]) {
    if let Ok(policy) = Policy::decode(data) {
        let mut buffer = [0u8; Policy::MAX_ENCODED_LEN];
        let len = policy
            .encode(&mut buffer)
            .expect("MAX_ENCODED_LEN suffices");
        assert_re_encodes(data, &buffer[..len], "policy");
        assert_eq!(Policy::decode(&buffer[..len]), Ok(policy));
    }
    let mut input = Unstructured::new(data);
    let Ok(policy) = Policy::arbitrary(&mut input) else {
        return;
    };
    let state = input.take_rest();
    decode_account::<16, 8>(state, &policy);
    decode_account::<0, 0>(state, &policy);
    decode_account::<3, 1>(state, &policy);
}
