//! Every public error's `Display` reads as English: a sentence fragment naming the
//! problem, never a Rust identifier (`AfterLastSeen`) or a bare code.
//!
//! The only inner-capital words allowed are the JSON names the messages quote on purpose:
//! the PingOne account fields a patch or a lock is about, and the policy parameters.

use account_lockout::NegativeDuration;
use account_lockout::{
    AttemptError, BufferTooSmall, CapacityError, DateError, DecodeError, ErrorCode, Field,
    Inconsistency, LockError, OperationError, OutOfTimeRange, PatchError, PolicyError, Problem,
    TableError,
};

/// JSON names that messages quote: camel case by the wire format's choice.
const JSON_NAMES: [&str; 6] = [
    "canAuthenticate",
    "unlockAt",
    "lockedAt",
    "secondsUntilUnlock",
    "lockoutThreshold",
    "slidingWindow",
];

/// The words of `message` with a lower-case letter and an upper-case one after the first
/// character (`AfterLastSeen`, `unlockAt`), other than [`JSON_NAMES`].
fn camel_case_words(message: &str) -> Vec<&str> {
    message
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|word| {
            word.chars().any(char::is_lowercase)
                && word.chars().skip(1).any(char::is_uppercase)
                && !JSON_NAMES.contains(word)
        })
        .collect()
}

const CAPACITY: CapacityError = CapacityError {
    records_needed: 5,
    records: 0,
    memory_needed: 0,
    memory: 0,
    attempts_needed: 1,
    attempts: 8,
};

const INCONSISTENCIES: [Inconsistency; 12] = [
    Inconsistency::UnknownFlags,
    Inconsistency::AbsentFieldNotZero,
    Inconsistency::UnknownLockCause,
    Inconsistency::LockEndsBeforeItStarts,
    Inconsistency::AfterLastSeen,
    Inconsistency::RecordsOutOfOrder,
    Inconsistency::UnreachableCounter,
    Inconsistency::CountWithoutFailure,
    Inconsistency::AttemptWithoutSerial,
    Inconsistency::AttemptsOutOfOrder,
    Inconsistency::DuplicateAttempt,
    Inconsistency::UnknownTag,
];

fn policy_errors() -> Vec<PolicyError> {
    [
        Problem::Zero,
        Problem::TooLarge {
            max: 999,
            got: 1_000,
        },
        Problem::Exceeds {
            other: "lockoutThreshold",
        },
        Problem::Empty,
        Problem::TooLong { max: 16 },
        Problem::NotIncreasing,
        Problem::NeverEscalates {
            because: "decay.slidingWindow",
        },
    ]
    .into_iter()
    .map(|problem| PolicyError::new("lockoutThreshold", problem))
    .collect()
}

fn patch_errors() -> Vec<PatchError> {
    let fields = [
        Field::Body,
        Field::CanAuthenticate,
        Field::Status,
        Field::UnlockAt,
        Field::LockedAt,
        Field::SecondsUntilUnlock,
    ];
    let codes = [
        ErrorCode::InvalidValue,
        ErrorCode::ReadOnlyField,
        ErrorCode::UnknownField,
        ErrorCode::ConflictingFields,
        ErrorCode::UnlockAtRequiresLocked,
        ErrorCode::UnlockAtNotInFuture,
        ErrorCode::AccountTooSmall,
        ErrorCode::UnknownAttempt,
    ];
    let mut errors = Vec::new();
    for code in codes {
        for field in fields {
            for other in [None, Some(Field::Status)] {
                errors.push(PatchError { code, field, other });
            }
        }
    }
    // A real one, with an unknown field from the input.
    errors.push(account_lockout::Patch::from_json(br#"{"colour":1}"#).unwrap_err());
    errors
}

/// One formatted value of every error variant the public API lets us build.
fn every_message() -> Vec<String> {
    let mut decode = vec![
        DecodeError::Truncated,
        DecodeError::TrailingBytes,
        DecodeError::BadMagic,
        DecodeError::UnknownVersion(9),
        DecodeError::Checksum,
        DecodeError::TooManyEntries,
    ];
    decode.extend(INCONSISTENCIES.map(DecodeError::Inconsistent));
    decode.extend(policy_errors().into_iter().map(DecodeError::InvalidPolicy));

    let operation: Vec<OperationError> = [
        OperationError::Capacity(CAPACITY),
        OperationError::Lock(LockError::UnlockAtNotInFuture),
    ]
    .into_iter()
    .chain(patch_errors().into_iter().map(OperationError::Patch))
    .collect();

    let mut messages: Vec<String> = Vec::new();
    messages.extend(decode.iter().map(ToString::to_string));
    messages.extend(INCONSISTENCIES.iter().map(ToString::to_string));
    messages.extend(policy_errors().iter().map(ToString::to_string));
    messages.extend(patch_errors().iter().map(ToString::to_string));
    messages.extend(operation.iter().map(ToString::to_string));
    messages.extend(
        operation
            .iter()
            .map(|error| TableError::Operation(*error).to_string()),
    );
    messages.push(TableError::<OperationError>::Full.to_string());
    messages.push(LockError::UnlockAtNotInFuture.to_string());
    messages.push(CAPACITY.to_string());
    messages.push(AttemptError::Capacity(CAPACITY).to_string());
    messages.push(AttemptError::UnknownAttempt.to_string());
    messages.push(DateError::Malformed.to_string());
    messages.push(DateError::OutOfRange.to_string());
    messages.push(BufferTooSmall { needed: 64 }.to_string());
    messages.push(OutOfTimeRange.to_string());
    messages.push(NegativeDuration.to_string());
    messages
}

#[test]
fn no_message_names_a_rust_identifier() {
    for message in every_message() {
        assert!(!message.is_empty());
        assert_eq!(
            camel_case_words(&message),
            Vec::<&str>::new(),
            "{message:?} names an identifier"
        );
    }
}

#[test]
fn the_check_catches_identifiers() {
    assert_eq!(
        camel_case_words("inconsistent state: AfterLastSeen"),
        ["AfterLastSeen"]
    );
    assert_eq!(
        camel_case_words("isDormant, RFC 3339, LOCKED, unlockAt"),
        ["isDormant"]
    );
}

#[test]
fn some_exact_messages() {
    assert_eq!(
        DecodeError::Inconsistent(Inconsistency::AfterLastSeen).to_string(),
        "inconsistent state: a past instant (lock start, last failure or a recorded failure) \
         is after the account's last_seen"
    );
    assert_eq!(
        Inconsistency::DuplicateAttempt.to_string(),
        "two attempts in flight have the same token"
    );
    assert_eq!(
        DecodeError::Checksum.to_string(),
        "the checksum does not match: the bytes are corrupted"
    );
    assert_eq!(
        DecodeError::UnknownVersion(9).to_string(),
        "unknown format version 9"
    );
    assert_eq!(
        LockError::UnlockAtNotInFuture.to_string(),
        "unlockAt must be later than now"
    );
    assert_eq!(
        TableError::<OperationError>::Full.to_string(),
        "the lockout table is full of accounts that hold information"
    );
    assert_eq!(
        PatchError {
            code: ErrorCode::AccountTooSmall,
            field: Field::Body,
            other: None,
        }
        .to_string(),
        "the account type is too small for the policy"
    );
    assert_eq!(
        PatchError {
            code: ErrorCode::InvalidValue,
            field: Field::LockedAt,
            other: None,
        }
        .to_string(),
        "lockedAt has an invalid value"
    );
    assert_eq!(
        AttemptError::UnknownAttempt.to_string(),
        "the token names no attempt in flight (finished, timed out or recovered)"
    );
    assert_eq!(NegativeDuration.to_string(), "the duration is negative");
}
