//! With the `defmt` feature, every public type firmware logs implements `defmt::Format`.
//! A compile-time check: the test builds only if every bound holds.
#![cfg(feature = "defmt")]

use account_lockout::dialect::{
    ActiveDirectory, AndroidGatekeeper, BruteForceStrategy, Keycloak, PamFaillock, PingOne, Tpm,
};
use account_lockout::*;

fn loggable<T: defmt::Format>() {}

#[test]
fn every_public_type_firmware_logs_is_defmt_format() {
    // Time, the view, outcomes and transitions.
    loggable::<Instant>();
    loggable::<Duration>();
    loggable::<DateString>();
    loggable::<OutOfTimeRange>();
    loggable::<AccountView>();
    loggable::<Status>();
    loggable::<Outcome>();
    loggable::<Decision>();
    loggable::<Rejection>();
    loggable::<Transition>();
    loggable::<Transitions>();
    loggable::<LockCause>();
    loggable::<UnlockCause>();
    // State, operations and the attempt protocol.
    loggable::<Account>();
    loggable::<Account<16, 8>>();
    loggable::<Operation>();
    loggable::<Patch>();
    loggable::<PatchDocument>();
    loggable::<UnlockAtPatch>();
    loggable::<Fingerprint>();
    loggable::<AttemptToken>();
    loggable::<AttemptStart>();
    loggable::<Verdict>();
    // Errors.
    loggable::<DateError>();
    loggable::<PolicyError>();
    loggable::<Problem>();
    loggable::<PatchError>();
    loggable::<Field>();
    loggable::<FieldName>();
    loggable::<ErrorCode>();
    loggable::<LockError>();
    loggable::<CapacityError>();
    loggable::<OperationError>();
    loggable::<AttemptError>();
    loggable::<TableError<CapacityError>>();
    loggable::<DecodeError>();
    loggable::<Inconsistency>();
    loggable::<BufferTooSmall>();
    // Policies.
    loggable::<Policy>();
    loggable::<Rules>();
    loggable::<LockLength>();
    loggable::<Decay>();
    loggable::<OnSuccess>();
    loggable::<OnLockEnd>();
    loggable::<QuickFailure>();
    loggable::<Schedule>();
    loggable::<Step>();
    loggable::<PingOne>();
    loggable::<ActiveDirectory>();
    loggable::<Keycloak>();
    loggable::<BruteForceStrategy>();
    loggable::<PamFaillock>();
    loggable::<Tpm>();
    loggable::<AndroidGatekeeper>();
}
