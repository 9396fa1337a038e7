//! The sizes of the account state, fixed at compile time for every dialect, and of what
//! every operation returns.
//!
//! The state without lists is 56 bytes: four exact millisecond instants
//! that can all be live at once (32 bytes), the counters, the attempt serial, the number
//! of attempts in flight, one byte of flags, and padding; see BENCHMARKS.md, "State size",
//! for why 32 bytes would need lossy instants. Records and fingerprints add exactly 8
//! bytes each, and each slot for an attempt in flight 18 (its serial, the token's start
//! and the moved start; behaviour §7.1), with no padding once the slots are even. These
//! assertions pin the sizes so that any change is deliberate.

use std::mem::size_of;

use account_lockout::dialect::{
    ActiveDirectory, AndroidGatekeeper, Keycloak, PamFaillock, PingOne, Tpm,
};
use account_lockout::{Account, AttemptError, CapacityError, Outcome};

/// The account type each dialect needs with its defaults (pam_faillock keeps `deny`
/// failure times).
#[test]
fn every_dialect_has_a_fixed_size_state() {
    assert_eq!(
        PingOne {
            failure_count: 5,
            duration_seconds: Some(900)
        }
        .policy()
        .unwrap()
        .records_needed(),
        0
    );
    assert_eq!(
        ActiveDirectory {
            lockout_threshold: 5,
            lockout_duration_seconds: 900,
            lockout_observation_window_seconds: 900
        }
        .policy()
        .unwrap()
        .records_needed(),
        0
    );
    assert_eq!(Keycloak::DEFAULT.policy().unwrap().records_needed(), 0);
    assert_eq!(Tpm::DEFAULT.policy().unwrap().records_needed(), 0);
    assert_eq!(AndroidGatekeeper {}.policy().unwrap().records_needed(), 0);
    assert_eq!(PamFaillock::DEFAULT.policy().unwrap().records_needed(), 3);

    assert_eq!(
        Tpm::DEFAULT
            .policy()
            .unwrap()
            .rules()
            .max_attempts_in_flight,
        1
    );
    assert_eq!(
        Keycloak::DEFAULT
            .policy()
            .unwrap()
            .rules()
            .max_attempts_in_flight,
        8
    );

    // PingOne, Active Directory, Keycloak: 8 attempts in flight by default.
    assert_eq!(size_of::<Account>(), BASE + 8 * ATTEMPT);
    // TPM and Android Gatekeeper verify one at a time: the slot fits beside the padding.
    assert_eq!(size_of::<Account<0, 0, 1>>(), BASE + 16);
    // A device that uses no attempt protocol.
    assert_eq!(size_of::<Account<0, 0, 0>>(), BASE);
    assert_eq!(size_of::<Account<0, 0, 16>>(), BASE + 16 * ATTEMPT);
    // pam_faillock (deny 3): 8 bytes per kept failure time.
    assert_eq!(size_of::<Account<3, 0, 0>>(), BASE + 3 * 8);
    assert_eq!(size_of::<Account<16, 0, 0>>(), BASE + 16 * 8);
    // The repeated-credential memory: 8 bytes per fingerprint.
    assert_eq!(size_of::<Account<0, 3, 0>>(), BASE + 3 * 8);
    assert_eq!(
        size_of::<Account<16, 8, 8>>(),
        BASE + 16 * 8 + 8 * 8 + 8 * ATTEMPT
    );
}

/// The state without records, fingerprints or attempt slots, in bytes.
const BASE: usize = 56;
/// One slot for an attempt in flight.
const ATTEMPT: usize = 18;

/// Every operation returns an `Outcome` by value: four words, and a `Result` around it
/// adds nothing for the errors of attempts (their tag sits in the decision byte's unused
/// values). Administrator operations, whose errors name a patch field, return more.
#[test]
fn an_outcome_is_four_words() {
    assert_eq!(size_of::<Outcome>(), 32);
    assert_eq!(size_of::<Result<Outcome, CapacityError>>(), 32);
    assert_eq!(size_of::<Result<Outcome, AttemptError>>(), 32);
}
