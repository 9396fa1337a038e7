//! The pointer-free half of the C ABI: buffers in, buffers out, typed errors. The
//! `extern "C"` functions in `lib.rs` only check and copy the caller's pointers around
//! these functions.
//!
//! A policy or state buffer is a *frame*: the length of the library's binary encoding
//! (`u16`, little-endian), the encoding ([`Policy::encode`], [`Account::encode`], which
//! carry a magic, a version and a CRC-32), then zero padding to the fixed size. Reading a
//! frame checks all of it, so a changed byte anywhere is reported, never trusted.

use core::fmt;

use account_lockout::{
    Account, AccountView, AttemptError, AttemptToken, BufferTooSmall, CapacityError, Decision,
    DecodeError, ErrorCode, Field, Fingerprint, Instant, Operation, OperationError, Outcome, Patch,
    PatchError, Policy, Rejection, Status, Verdict,
};

use crate::{
    AL_ATTEMPT_TOKEN_LEN, AL_ATTEMPTS, AL_DECISION_REJECTED_DISABLED, AL_DECISION_REJECTED_LOCKED,
    AL_ERR_BUFFER_TOO_SMALL, AL_ERR_CAPACITY, AL_ERR_CONFLICTING_FIELDS, AL_ERR_CORRUPT_POLICY,
    AL_ERR_CORRUPT_STATE, AL_ERR_INVALID_JSON, AL_ERR_INVALID_POLICY, AL_ERR_INVALID_VALUE,
    AL_ERR_NULL_POINTER, AL_ERR_READ_ONLY_FIELD, AL_ERR_REFUSED, AL_ERR_UNKNOWN_ATTEMPT,
    AL_ERR_UNKNOWN_FIELD, AL_ERR_UNLOCK_AT_NOT_IN_FUTURE, AL_ERR_UNLOCK_AT_REQUIRES_LOCKED,
    AL_FINGERPRINT_KEY_LEN, AL_MEMORY, AL_POLICY_LEN, AL_RECORDS, AL_STATE_LEN, AL_VERDICT_FAILURE,
    AL_VERDICT_SUCCESS, AL_VIEW_JSON_LEN, AlOutcome, AlView,
};

/// The account type behind the ABI's state buffer.
pub(crate) type AbiAccount = Account<AL_RECORDS, AL_MEMORY, AL_ATTEMPTS>;

/// The bytes before the encoding in a frame: its length.
const LENGTH_PREFIX: usize = 2;

// The ABI constants are literals (cbindgen copies them into the header); these checks
// tie them to the library's sizes at compile time.
const _: () = assert!(AL_STATE_LEN == LENGTH_PREFIX + AbiAccount::MAX_ENCODED_LEN);
const _: () = assert!(AL_POLICY_LEN == LENGTH_PREFIX + Policy::MAX_ENCODED_LEN);
const _: () = assert!(AL_RECORDS == account_lockout::MAX_RECORDED_FAILURES);
const _: () = assert!(AL_MEMORY == account_lockout::MAX_CREDENTIAL_MEMORY);
const _: () = assert!(AL_VIEW_JSON_LEN > AccountView::MAX_JSON_LEN); // and a NUL
const _: () = assert!(AL_FINGERPRINT_KEY_LEN == account_lockout::FingerprintKey::LEN);
const _: () = assert!(AL_ATTEMPT_TOKEN_LEN == AttemptToken::ENCODED_LEN);

/// Why a call failed: the ABI code, and what to say about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Error {
    /// One of the `AL_ERR_*` codes.
    pub(crate) code: i32,
    detail: Detail,
}

// The policy's message is a 256-byte buffer, the other details are small. An error is
// made once per failed call and returned by value; boxing it would need an allocator.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Detail {
    /// Nothing more than the code's own description.
    None,
    /// Why the policy text is not a valid policy.
    Policy(crate::policy_json::Captured),
    /// Why a policy or state buffer did not decode.
    Decode(DecodeError),
    /// A refused operation (capacity, lock or patch).
    Operation(OperationError),
}

impl Error {
    /// An error with nothing to add to its code.
    pub(crate) const fn code(code: i32) -> Error {
        Error {
            code,
            detail: Detail::None,
        }
    }

    pub(crate) const NULL_POINTER: Error = Error::code(AL_ERR_NULL_POINTER);
    pub(crate) const BUFFER_TOO_SMALL: Error = Error::code(AL_ERR_BUFFER_TOO_SMALL);

    fn operation(error: OperationError) -> Error {
        let code = match error.code() {
            ErrorCode::InvalidValue => AL_ERR_INVALID_VALUE,
            ErrorCode::ReadOnlyField => AL_ERR_READ_ONLY_FIELD,
            ErrorCode::UnknownField => AL_ERR_UNKNOWN_FIELD,
            ErrorCode::ConflictingFields => AL_ERR_CONFLICTING_FIELDS,
            ErrorCode::UnlockAtRequiresLocked => AL_ERR_UNLOCK_AT_REQUIRES_LOCKED,
            ErrorCode::UnlockAtNotInFuture => AL_ERR_UNLOCK_AT_NOT_IN_FUTURE,
            ErrorCode::AccountTooSmall => AL_ERR_CAPACITY,
            ErrorCode::UnknownAttempt => AL_ERR_UNKNOWN_ATTEMPT,
            // `ErrorCode` is non-exhaustive: a code added to the library later.
            _ => AL_ERR_REFUSED,
        };
        Error {
            code,
            detail: Detail::Operation(error),
        }
    }

    fn capacity(error: CapacityError) -> Error {
        Error::operation(OperationError::Capacity(error))
    }

    fn attempt(error: AttemptError) -> Error {
        match error {
            AttemptError::Capacity(error) => Error::capacity(error),
            AttemptError::UnknownAttempt => Error::code(AL_ERR_UNKNOWN_ATTEMPT),
            // `AttemptError` is non-exhaustive: a variant added to the library later.
            _ => Error::code(AL_ERR_REFUSED),
        }
    }

    fn decode(code: i32, error: DecodeError) -> Error {
        Error {
            code,
            detail: Detail::Decode(error),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.detail {
            Detail::None => f.write_str(describe(self.code)),
            Detail::Policy(error) => error.fmt(f),
            Detail::Decode(error) => write!(f, "{}: {error}", describe(self.code)),
            Detail::Operation(error) => error.fmt(f),
        }
    }
}

/// The code's name (`AL_ERR_NULL_POINTER` is `null_pointer`), as a C string.
pub(crate) const fn name(code: i32) -> &'static core::ffi::CStr {
    match code {
        crate::AL_OK => c"ok",
        AL_ERR_NULL_POINTER => c"null_pointer",
        AL_ERR_BUFFER_TOO_SMALL => c"buffer_too_small",
        AL_ERR_INVALID_JSON => c"invalid_json",
        AL_ERR_INVALID_POLICY => c"invalid_policy",
        AL_ERR_CORRUPT_POLICY => c"corrupt_policy",
        AL_ERR_CORRUPT_STATE => c"corrupt_state",
        AL_ERR_CAPACITY => c"account_too_small",
        AL_ERR_INVALID_VALUE => c"invalid_value",
        AL_ERR_READ_ONLY_FIELD => c"read_only_field",
        AL_ERR_UNKNOWN_FIELD => c"unknown_field",
        AL_ERR_CONFLICTING_FIELDS => c"conflicting_fields",
        AL_ERR_UNLOCK_AT_REQUIRES_LOCKED => c"unlock_at_requires_locked",
        AL_ERR_UNLOCK_AT_NOT_IN_FUTURE => c"unlock_at_not_in_future",
        AL_ERR_UNKNOWN_ATTEMPT => c"unknown_attempt",
        AL_ERR_REFUSED => c"refused",
        _ => c"unknown_error",
    }
}

/// A sentence for a code, for messages with nothing more specific to say.
const fn describe(code: i32) -> &'static str {
    match code {
        AL_ERR_NULL_POINTER => "a required pointer is null",
        AL_ERR_BUFFER_TOO_SMALL => "a buffer is shorter than the call needs",
        AL_ERR_INVALID_JSON => "the policy must be a JSON object",
        AL_ERR_CORRUPT_POLICY => "the policy buffer is corrupt",
        AL_ERR_CORRUPT_STATE => "the state buffer is corrupt",
        AL_ERR_UNKNOWN_ATTEMPT => "the token is not the attempt in flight",
        AL_ERR_INVALID_VALUE => "the verdict is neither AL_VERDICT_SUCCESS nor AL_VERDICT_FAILURE",
        AL_ERR_REFUSED => "the library refused the operation; nothing changed",
        _ => "the call failed",
    }
}

/// The encoding inside a frame, if the frame is well formed: a length that fits and
/// zero padding after it.
fn unframe(frame: &[u8]) -> Option<&[u8]> {
    let (length, rest) = frame.split_first_chunk::<LENGTH_PREFIX>()?;
    let (encoding, padding) = rest.split_at_checked(usize::from(u16::from_le_bytes(*length)))?;
    padding.iter().all(|byte| *byte == 0).then_some(encoding)
}

/// A frame of `N` bytes around what `encode` writes.
fn frame<const N: usize>(
    encode: impl FnOnce(&mut [u8]) -> Result<usize, BufferTooSmall>,
) -> Option<[u8; N]> {
    let mut frame = [0u8; N];
    let (length, rest) = frame.split_first_chunk_mut::<LENGTH_PREFIX>()?;
    let written = u16::try_from(encode(rest).ok()?).ok()?;
    *length = written.to_le_bytes();
    Some(frame)
}

/// Whether `text` is a JSON object at all (strict RFC 8259 syntax). The library's patch
/// scanner answers it without allocation: its first check is exactly this one.
fn is_json_object(text: &[u8]) -> bool {
    !matches!(
        Patch::from_json(text),
        Err(PatchError {
            code: ErrorCode::InvalidValue,
            field: Field::Body,
            ..
        })
    )
}

/// Reads a policy from its JSON form ([behaviour §6](account_lockout::behaviour#s6)) and frames its binary encoding.
pub(crate) fn policy_from_json(text: &[u8]) -> Result<[u8; AL_POLICY_LEN], Error> {
    if !is_json_object(text) {
        return Err(Error::code(AL_ERR_INVALID_JSON));
    }
    let policy = crate::policy_json::parse(text).map_err(|error| Error {
        code: AL_ERR_INVALID_POLICY,
        detail: Detail::Policy(error),
    })?;
    fits(&policy)?;
    frame(|buffer| policy.encode(buffer)).ok_or(Error::code(AL_ERR_INVALID_POLICY))
}

/// Refuses a policy that needs more room than the ABI's account has.
fn fits(policy: &Policy) -> Result<(), Error> {
    let attempts_needed = usize::from(policy.rules().max_attempts_in_flight);
    if policy.records_needed() > AL_RECORDS
        || policy.memory_needed() > AL_MEMORY
        || attempts_needed > AL_ATTEMPTS
    {
        return Err(Error::operation(OperationError::Capacity(
            CapacityError::of(policy, AL_RECORDS, AL_MEMORY, AL_ATTEMPTS),
        )));
    }
    Ok(())
}

/// The policy in a policy buffer.
pub(crate) fn decode_policy(frame: &[u8; AL_POLICY_LEN]) -> Result<Policy, Error> {
    let encoding = unframe(frame).ok_or(Error::code(AL_ERR_CORRUPT_POLICY))?;
    let policy =
        Policy::decode(encoding).map_err(|error| Error::decode(AL_ERR_CORRUPT_POLICY, error))?;
    fits(&policy)?;
    Ok(policy)
}

/// The account in a state buffer, checked against `policy`.
pub(crate) fn decode_state(
    frame: &[u8; AL_STATE_LEN],
    policy: &Policy,
) -> Result<AbiAccount, Error> {
    let encoding = unframe(frame).ok_or(Error::code(AL_ERR_CORRUPT_STATE))?;
    AbiAccount::decode(encoding, policy).map_err(|error| Error::decode(AL_ERR_CORRUPT_STATE, error))
}

/// The state buffer of `account`.
pub(crate) fn encode_state(account: &AbiAccount) -> Result<[u8; AL_STATE_LEN], Error> {
    // A buffer of MAX_ENCODED_LEN always suffices, and the frame has that much room.
    frame(|buffer| account.encode(buffer)).ok_or(Error::BUFFER_TOO_SMALL)
}

/// The state buffer of a new account: enabled, unlocked, no history.
pub(crate) fn new_state() -> Result<[u8; AL_STATE_LEN], Error> {
    encode_state(&AbiAccount::new())
}

/// What a change of the account returns: its result and the new state buffer.
pub(crate) type Changed<T> = Result<(T, [u8; AL_STATE_LEN]), Error>;

/// Runs `change` on the account in `state` under the policy in `policy`; returns what it
/// returned and the new state buffer. On error nothing is returned to write back, so the
/// caller's state stays as it was.
fn change<T>(
    policy: &[u8; AL_POLICY_LEN],
    state: &[u8; AL_STATE_LEN],
    change: impl FnOnce(&mut AbiAccount, &Policy) -> Result<T, Error>,
) -> Changed<T> {
    let policy = decode_policy(policy)?;
    let mut account = decode_state(state, &policy)?;
    let done = change(&mut account, &policy)?;
    Ok((done, encode_state(&account)?))
}

/// [`change`] for an operation whose outcome the caller gets: in its C form, with the
/// budget the account has left after it ([`Account::failures_remaining`]).
fn report(
    policy: &[u8; AL_POLICY_LEN],
    state: &[u8; AL_STATE_LEN],
    now: Instant,
    operation: impl FnOnce(&mut AbiAccount, &Policy) -> Result<Outcome, Error>,
) -> Changed<AlOutcome> {
    change(policy, state, |account, policy| {
        let outcome = operation(account, policy)?;
        Ok(outcome_to_c(
            &outcome,
            account.failures_remaining(policy, now),
        ))
    })
}

/// Applies `operation` at `now_ms` to the account in `state`, under the policy in
/// `policy`; returns what it did and the new state buffer.
pub(crate) fn apply(
    policy: &[u8; AL_POLICY_LEN],
    state: &[u8; AL_STATE_LEN],
    now_ms: i64,
    operation: Operation,
) -> Changed<AlOutcome> {
    let now = Instant::from_millis(now_ms);
    report(policy, state, now, |account, policy| {
        account
            .apply(policy, now, operation)
            .map_err(Error::operation)
    })
}

/// An attempt's token as the C caller holds it.
pub(crate) type TokenBytes = [u8; AL_ATTEMPT_TOKEN_LEN];

/// Begins an attempt at `now_ms` ([`Account::begin_attempt`]): what it did, the token's
/// bytes when the attempt was allowed, and the new state buffer.
pub(crate) fn begin_attempt(
    policy: &[u8; AL_POLICY_LEN],
    state: &[u8; AL_STATE_LEN],
    now_ms: i64,
) -> Changed<(AlOutcome, Option<TokenBytes>)> {
    let now = Instant::from_millis(now_ms);
    change(policy, state, |account, policy| {
        let start = account
            .begin_attempt(policy, now)
            .map_err(Error::capacity)?;
        let remaining = account.failures_remaining(policy, now);
        Ok((
            outcome_to_c(&start.outcome, remaining),
            start.token.map(|token| token.to_bytes()),
        ))
    })
}

/// Finishes the attempt of `token` at `now_ms` with `verdict`
/// ([`Account::finish_attempt`]); an unknown token is [`AL_ERR_UNKNOWN_ATTEMPT`].
pub(crate) fn finish_attempt(
    policy: &[u8; AL_POLICY_LEN],
    state: &[u8; AL_STATE_LEN],
    now_ms: i64,
    token: TokenBytes,
    verdict: Verdict,
) -> Changed<AlOutcome> {
    let now = Instant::from_millis(now_ms);
    report(policy, state, now, |account, policy| {
        let token = AttemptToken::from_bytes(token);
        account
            .finish_attempt(policy, now, token, verdict)
            .map_err(Error::attempt)
    })
}

/// Counts an attempt still in flight in a restored state as a failure at `now_ms`
/// ([`Account::recover`]).
pub(crate) fn recover(
    policy: &[u8; AL_POLICY_LEN],
    state: &[u8; AL_STATE_LEN],
    now_ms: i64,
) -> Changed<AlOutcome> {
    let now = Instant::from_millis(now_ms);
    report(policy, state, now, |account, policy| {
        account.recover(policy, now).map_err(Error::capacity)
    })
}

/// The verdict of `al_finish_attempt`'s bytes: exactly [`AL_VERDICT_SUCCESS`] or
/// [`AL_VERDICT_FAILURE`] (with the fingerprint when `has_fingerprint` is not 0). Any
/// other value is refused rather than guessed at.
pub(crate) fn verdict(
    verdict: u8,
    has_fingerprint: u8,
    fingerprint: u64,
) -> Result<Verdict, Error> {
    match verdict {
        AL_VERDICT_SUCCESS => Ok(Verdict::Success),
        AL_VERDICT_FAILURE => Ok(Verdict::Failure {
            credential: (has_fingerprint != 0).then_some(Fingerprint::new(fingerprint)),
        }),
        _ => Err(Error::code(AL_ERR_INVALID_VALUE)),
    }
}

/// The view of the account in `state` at `now_ms`.
pub(crate) fn view(
    policy: &[u8; AL_POLICY_LEN],
    state: &[u8; AL_STATE_LEN],
    now_ms: i64,
) -> Result<AccountView, Error> {
    let policy = decode_policy(policy)?;
    Ok(decode_state(state, &policy)?.view(Instant::from_millis(now_ms)))
}

/// A patch from its JSON body (checks 1–5 of [behaviour §4](account_lockout::behaviour#s4)).
pub(crate) fn patch_from_json(body: &[u8]) -> Result<Patch, Error> {
    Patch::from_json(body).map_err(|error| Error::operation(OperationError::Patch(error)))
}

/// The view as JSON (the seed's shape, as the simulator prints it: the library's own
/// writer), and its length.
pub(crate) fn view_json(view: &AccountView) -> Result<([u8; AL_VIEW_JSON_LEN], usize), Error> {
    let mut json = [0u8; AL_VIEW_JSON_LEN];
    // One byte stays free for the NUL the C side gets.
    let room = json
        .split_last_mut()
        .map(|(_, room)| room)
        .ok_or(Error::BUFFER_TOO_SMALL)?;
    let len = view.write_json(room).map_err(|_| Error::BUFFER_TOO_SMALL)?;
    Ok((json, len))
}

/// The `AL_DECISION_REJECTED_*` code of a rejection.
const fn rejection_code(rejection: Rejection) -> u8 {
    match rejection {
        Rejection::Locked { .. } => AL_DECISION_REJECTED_LOCKED,
        Rejection::Disabled => AL_DECISION_REJECTED_DISABLED,
        Rejection::Busy => crate::AL_DECISION_REJECTED_BUSY,
    }
}

/// The C form of an outcome, with the budget the account has left after it.
pub(crate) fn outcome_to_c(outcome: &Outcome, failures_remaining: Option<u32>) -> AlOutcome {
    let mut c = AlOutcome::NONE;
    match outcome.decision() {
        None => {}
        Some(Decision::Allowed) => c.decision = crate::AL_DECISION_ALLOWED,
        Some(Decision::Rejected(rejection)) => {
            c.decision = rejection_code(rejection);
            if let Rejection::Locked {
                unlock_at: Some(at),
                ..
            } = rejection
            {
                c.has_unlock_at = true;
                c.unlock_at_ms = at.as_millis();
            }
        }
    }
    if let Some(remaining) = failures_remaining {
        c.has_failures_remaining = true;
        c.failures_remaining = remaining;
    }
    // The AL_TRANSITION_* bits are the library's kind bits (asserted in lib.rs).
    let transitions = outcome.transitions();
    c.transitions = u32::from(transitions.kind_bits());
    if let Some(failures) = transitions.counted() {
        c.failures = failures;
    }
    c
}

/// The C form of a view.
pub(crate) fn view_to_c(view: &AccountView) -> AlView {
    AlView {
        can_authenticate: view.can_authenticate,
        enabled: view.enabled,
        status: match view.status {
            Status::Ok => crate::AL_STATUS_OK,
            Status::Locked => crate::AL_STATUS_LOCKED,
        },
        has_locked_at: view.locked_at.is_some(),
        has_unlock_at: view.unlock_at.is_some(),
        has_seconds_until_unlock: view.seconds_until_unlock.is_some(),
        locked_at_ms: view.locked_at.map_or(0, Instant::as_millis),
        unlock_at_ms: view.unlock_at.map_or(0, Instant::as_millis),
        seconds_until_unlock: view.seconds_until_unlock.unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use account_lockout::Fingerprint;

    const PINGONE: &[u8] = br#"{"pingone":{"failureCount":3,"durationSeconds":900}}"#;
    const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

    fn failure(
        policy: &[u8; AL_POLICY_LEN],
        state: &[u8; AL_STATE_LEN],
        now_ms: i64,
    ) -> (AlOutcome, [u8; AL_STATE_LEN]) {
        apply(
            policy,
            state,
            now_ms,
            Operation::Failure { credential: None },
        )
        .unwrap()
    }

    #[test]
    fn the_abi_account_holds_every_valid_policy() {
        // The largest sliding window, memory and attempts in flight the library accepts.
        let text =
            br#"{"pamFaillock":{"deny":16},"repeatedCredentialMemory":8,"maxAttemptsInFlight":16}"#;
        let policy = decode_policy(&policy_from_json(text).unwrap()).unwrap();
        assert_eq!((policy.records_needed(), policy.memory_needed()), (16, 8));
        assert_eq!(policy.rules().max_attempts_in_flight, 16);
        // 2-byte length, 51 fixed, 16 × 8 records, 8 × 8 fingerprints, 16 × 18 attempts, CRC.
        assert_eq!(AL_STATE_LEN, 2 + 51 + 128 + 64 + 288 + 4);
        assert_eq!(AL_POLICY_LEN, 271);
    }

    #[test]
    fn a_pingone_policy_locks_on_the_third_failure_and_unlocks_after_its_duration() {
        let policy = policy_from_json(PINGONE).unwrap();
        let mut state = new_state().unwrap();
        for (i, remaining) in [2, 1].into_iter().enumerate() {
            let (outcome, next) = failure(&policy, &state, T0 + i as i64);
            assert!(outcome.has_failures_remaining);
            assert_eq!(outcome.failures_remaining, remaining);
            state = next;
        }
        let (c, state) = failure(&policy, &state, T0 + 2);
        assert_eq!(c.decision, crate::AL_DECISION_ALLOWED);
        assert_eq!(
            c.transitions,
            crate::AL_TRANSITION_COUNTED | crate::AL_TRANSITION_LOCKED
        );
        assert_eq!(c.failures, 3);

        let locked = view_to_c(&view(&policy, &state, T0 + 2).unwrap());
        assert_eq!(locked.status, crate::AL_STATUS_LOCKED);
        assert!(!locked.can_authenticate && locked.has_unlock_at);
        assert_eq!(locked.unlock_at_ms, T0 + 2 + 900_000);
        assert_eq!(locked.seconds_until_unlock, 900);

        let (checked, _) = apply(&policy, &state, T0 + 1_000, Operation::Check).unwrap();
        assert_eq!(checked.decision, crate::AL_DECISION_REJECTED_LOCKED);
        assert_eq!(checked.unlock_at_ms, T0 + 2 + 900_000);

        let open = view_to_c(&view(&policy, &state, T0 + 2 + 900_000).unwrap());
        assert_eq!(open.status, crate::AL_STATUS_OK);
        assert!(open.can_authenticate && !open.has_unlock_at && !open.has_locked_at);
    }

    #[test]
    fn every_transition_has_its_c_bit() {
        let policy = policy_from_json(PINGONE).unwrap();
        let until = Some(Instant::from_millis(T0 + 60_000));
        let steps = [
            (Operation::Lock { until: None }, crate::AL_TRANSITION_LOCKED),
            (Operation::Lock { until }, crate::AL_TRANSITION_LOCK_CHANGED),
            (Operation::Unlock, crate::AL_TRANSITION_UNLOCKED),
            (
                Operation::Patch(patch_from_json(br#"{"canAuthenticate":false}"#).unwrap()),
                crate::AL_TRANSITION_DISABLED,
            ),
            (
                Operation::Patch(patch_from_json(br#"{"canAuthenticate":true}"#).unwrap()),
                crate::AL_TRANSITION_ENABLED,
            ),
        ];
        let mut state = new_state().unwrap();
        for (at, (operation, bit)) in (0_i64..).zip(steps) {
            let (c, next) = apply(&policy, &state, T0 + at, operation).unwrap();
            assert_eq!(c.transitions, bit, "step {at}");
            state = next;
        }
    }

    #[test]
    fn a_remembered_fingerprint_is_ignored() {
        let text = br#"{"pingone":{"failureCount":3},"repeatedCredentialMemory":2}"#;
        let policy = policy_from_json(text).unwrap();
        let key = account_lockout::FingerprintKey::new(*b"logic-tests-key!");
        let credential = Some(Fingerprint::keyed(&key, b"hunter2"));
        let (_, state) = apply(
            &policy,
            &new_state().unwrap(),
            T0,
            Operation::Failure { credential },
        )
        .unwrap();
        let (c, _) = apply(&policy, &state, T0 + 1, Operation::Failure { credential }).unwrap();
        assert_eq!(c.transitions, crate::AL_TRANSITION_IGNORED_REPEATED);
        assert_eq!(c.failures_remaining, 2);
    }

    #[test]
    fn policy_json_errors_are_told_apart() {
        let invalid_json = policy_from_json(br#"{"pingone":"#).unwrap_err();
        assert_eq!(invalid_json.code, AL_ERR_INVALID_JSON);
        assert_eq!(
            policy_from_json(b"[1]").unwrap_err().code,
            AL_ERR_INVALID_JSON
        );
        let invalid = policy_from_json(br#"{"pingone":{"failureCount":0}}"#).unwrap_err();
        assert_eq!(invalid.code, AL_ERR_INVALID_POLICY);
        let unknown = policy_from_json(br#"{"okta":{}}"#).unwrap_err();
        assert_eq!(unknown.code, AL_ERR_INVALID_POLICY);
        assert!(
            Message::of(&unknown, 200)
                .as_bytes()
                .starts_with(b"unknown dialect or modifier `okta`")
        );
        assert_eq!(
            Message::of(&invalid, 200).as_bytes(),
            b"invalid policy: failureCount must be at least 1"
        );
    }

    use crate::message::Message;

    #[test]
    fn every_changed_byte_of_a_state_buffer_is_caught() {
        let policy = policy_from_json(PINGONE).unwrap();
        let (_, state) = failure(&policy, &new_state().unwrap(), T0);
        let decoded = decode_policy(&policy).unwrap();
        for index in 0..AL_STATE_LEN {
            let mut corrupt = state;
            corrupt[index] ^= 0x10;
            let error = decode_state(&corrupt, &decoded).unwrap_err();
            assert_eq!(error.code, AL_ERR_CORRUPT_STATE, "byte {index}");
        }
        for index in 0..AL_POLICY_LEN {
            let mut corrupt = policy;
            corrupt[index] ^= 0x10;
            assert_eq!(
                decode_policy(&corrupt).unwrap_err().code,
                AL_ERR_CORRUPT_POLICY,
                "byte {index}"
            );
        }
    }

    #[test]
    fn refused_operations_map_to_their_codes() {
        let policy = policy_from_json(PINGONE).unwrap();
        let state = new_state().unwrap();
        let past = Operation::Lock {
            until: Some(Instant::from_millis(T0 - 1)),
        };
        let error = apply(&policy, &state, T0, past).unwrap_err();
        assert_eq!(error.code, AL_ERR_UNLOCK_AT_NOT_IN_FUTURE);
        assert_eq!(
            Message::of(&error, 200).as_bytes(),
            b"unlockAt must be later than now"
        );
        let cases: [(&[u8], i32); 5] = [
            (b"[]", AL_ERR_INVALID_VALUE),
            (br#"{"lockedAt":1}"#, AL_ERR_READ_ONLY_FIELD),
            (br#"{"color":1}"#, AL_ERR_UNKNOWN_FIELD),
            (
                br#"{"canAuthenticate":true,"status":"LOCKED"}"#,
                AL_ERR_CONFLICTING_FIELDS,
            ),
            (br#"{"status":"LOCKED"}"#, 0),
        ];
        for (body, code) in cases {
            match patch_from_json(body) {
                Ok(_) => assert_eq!(code, 0),
                Err(error) => assert_eq!(error.code, code),
            }
        }
        let dated = patch_from_json(br#"{"unlockAt":"2026-01-01T01:00:00Z"}"#).unwrap();
        let error = apply(&policy, &state, T0, Operation::Patch(dated)).unwrap_err();
        assert_eq!(error.code, AL_ERR_UNLOCK_AT_REQUIRES_LOCKED);
    }

    #[test]
    fn view_json_ends_the_text_with_a_nul() {
        // Every view fits: the library's tests write the longest one within
        // `AccountView::MAX_JSON_LEN`, which the assertion at the top of this file keeps
        // below `AL_VIEW_JSON_LEN`, leaving room for the NUL.
        let policy = policy_from_json(PINGONE).unwrap();
        let mut state = new_state().unwrap();
        for now_ms in T0..T0 + 3 {
            state = failure(&policy, &state, now_ms).1;
        }
        let (json, len) = view_json(&view(&policy, &state, T0 + 2).unwrap()).unwrap();
        assert!(json[..len].starts_with(br#"{"canAuthenticate":false,"lockedAt":"2026-"#));
        assert_eq!(json[len], 0);
        let (json, len) = view_json(&AccountView::OPEN).unwrap();
        assert_eq!(&json[..len], br#"{"canAuthenticate":true,"status":"OK"}"#);
        assert_eq!(json[len], 0);
    }

    #[test]
    fn every_code_has_a_name() {
        let codes = [
            AL_ERR_NULL_POINTER,
            AL_ERR_BUFFER_TOO_SMALL,
            AL_ERR_INVALID_JSON,
            AL_ERR_INVALID_POLICY,
            AL_ERR_CORRUPT_POLICY,
            AL_ERR_CORRUPT_STATE,
            AL_ERR_CAPACITY,
            AL_ERR_INVALID_VALUE,
            AL_ERR_READ_ONLY_FIELD,
            AL_ERR_UNKNOWN_FIELD,
            AL_ERR_CONFLICTING_FIELDS,
            AL_ERR_UNLOCK_AT_REQUIRES_LOCKED,
            AL_ERR_UNLOCK_AT_NOT_IN_FUTURE,
            AL_ERR_UNKNOWN_ATTEMPT,
        ];
        for (index, code) in codes.into_iter().enumerate() {
            assert_eq!(code, index as i32 + 1);
            assert_ne!(name(code), c"unknown_error");
        }
        assert_eq!(name(crate::AL_OK), c"ok");
        assert_eq!(name(AL_ERR_UNKNOWN_ATTEMPT), c"unknown_attempt");
        assert_eq!(name(99), c"unknown_error");
    }

    #[test]
    fn only_the_two_verdict_values_are_verdicts() {
        assert_eq!(verdict(AL_VERDICT_SUCCESS, 1, 7), Ok(Verdict::Success));
        assert_eq!(
            verdict(AL_VERDICT_FAILURE, 2, 7),
            Ok(Verdict::Failure {
                credential: Some(Fingerprint::new(7))
            })
        );
        assert_eq!(
            verdict(AL_VERDICT_FAILURE, 0, 7),
            Ok(Verdict::Failure { credential: None })
        );
        for other in 2..=u8::MAX {
            let error = verdict(other, 0, 0).unwrap_err();
            let said = b"the verdict is neither AL_VERDICT_SUCCESS nor AL_VERDICT_FAILURE";
            let message = Message::of(&error, 200);
            assert_eq!(
                (error.code, message.as_bytes()),
                (AL_ERR_INVALID_VALUE, &said[..])
            );
        }
    }

    #[test]
    fn an_unknown_attempt_has_its_own_code_and_message() {
        let policy = policy_from_json(PINGONE).unwrap();
        let ((_, token), state) = begin_attempt(&policy, &new_state().unwrap(), T0).unwrap();
        let token = token.unwrap();
        let mut forged = token;
        forged[0] ^= 1;
        let error = finish_attempt(&policy, &state, T0 + 1, forged, Verdict::Success).unwrap_err();
        let message = Message::of(&error, 200);
        let said = b"the token is not the attempt in flight";
        assert_eq!(
            (error.code, message.as_bytes()),
            (AL_ERR_UNKNOWN_ATTEMPT, &said[..])
        );
        let (outcome, _) =
            finish_attempt(&policy, &state, T0 + 1, token, Verdict::Success).unwrap();
        assert_eq!(outcome.decision, crate::AL_DECISION_ALLOWED);
    }
}
