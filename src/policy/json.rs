//! The JSON form of a policy ([behaviour §6](crate::behaviour#s6)): exactly one dialect key, plus the modifiers as
//! sibling keys.
//!
//! ```
//! use account_lockout::Policy;
//!
//! let policy: Policy = serde_json::from_str(
//!     r#"{"pingone":{"failureCount":3,"durationSeconds":900},"repeatedCredentialMemory":2}"#,
//! )
//! .unwrap();
//! assert_eq!(policy.rules().threshold, 3);
//! assert_eq!(policy.rules().repeated_credential_memory, 2);
//!
//! let error = serde_json::from_str::<Policy>(r#"{"pingone":{"failureCount":0}}"#).unwrap_err();
//! assert!(error.to_string().starts_with("invalid policy: failureCount must be at least 1"));
//! ```

use core::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::dialect::{
    ActiveDirectory, AndroidGatekeeper, Keycloak, PamFaillock, PingOne, PingOneMfa, Tpm,
};
use crate::json_key::{KeyName, deserialize_key};
use crate::mfa::MfaPolicy;
use crate::policy::{
    Decay, LockLength, OnLockEnd, OnSuccess, Policy, PolicyError, QuickFailure, Rules,
};
use crate::schedule::{MAX_SCHEDULE_STEPS, Schedule, Step};
use crate::time::Duration;

/// The keys a policy object may have.
const KEYS: &[&str] = &[
    "pingone",
    "activeDirectory",
    "keycloak",
    "pamFaillock",
    "tpm",
    "androidGatekeeper",
    "custom",
    "repeatedCredentialMemory",
    "maxConsecutiveFailures",
    "maxAttemptsInFlight",
    "attemptTimeoutSeconds",
];

/// `lock` in the custom form.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
// Lives on the stack only while a policy is read.
#[allow(clippy::large_enum_variant)]
enum LockForm {
    Permanent,
    FixedSeconds(u64),
    MultipleSeconds(u64),
    LinearSeconds(u64),
    ExponentialSeconds(u64),
    Table(heapless::Vec<StepForm, MAX_SCHEDULE_STEPS>),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StepForm {
    from_count: u32,
    seconds: u64,
}

/// `decay` in the custom form.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
enum DecayForm {
    None,
    QuietWindowSeconds(u64),
    SlidingWindowSeconds(u64),
    SelfHealingSeconds(u64),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
enum ResetForm {
    Reset,
    Keep,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct QuickFailureForm {
    within_milliseconds: u64,
    lock_seconds: u64,
}

/// The `pingone` member: the password lockout and, optionally, the MFA lockout
/// ([behaviour §7.3](crate::behaviour#s7-3)); `"mfa": null` is no MFA lockout.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PingOneForm {
    failure_count: u32,
    #[serde(default)]
    duration_seconds: Option<u64>,
    #[serde(default)]
    mfa: Option<PingOneMfa>,
}

/// The crate's general form, `custom` in JSON (documented in the README).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CustomForm {
    #[serde(default)]
    threshold: u32,
    #[serde(default)]
    lock: Option<LockForm>,
    #[serde(default)]
    max_lock_seconds: Option<u64>,
    #[serde(default)]
    decay: Option<DecayForm>,
    #[serde(default)]
    on_success: Option<ResetForm>,
    #[serde(default)]
    on_lock_end: Option<ResetForm>,
    #[serde(default)]
    quick_failure: Option<QuickFailureForm>,
    #[serde(default)]
    permanent_after_temporary_locks: Option<u16>,
    #[serde(default)]
    deadline_from_whole_second: bool,
}

impl CustomForm {
    fn rules(self) -> Result<Rules, PolicyError> {
        let seconds = Duration::from_secs;
        let lock = match self.lock {
            None | Some(LockForm::Permanent) => LockLength::Permanent,
            Some(LockForm::FixedSeconds(s)) => LockLength::Fixed(seconds(s)),
            Some(LockForm::MultipleSeconds(s)) => LockLength::Multiple {
                increment: seconds(s),
            },
            Some(LockForm::LinearSeconds(s)) => LockLength::Linear {
                increment: seconds(s),
            },
            Some(LockForm::ExponentialSeconds(s)) => LockLength::Exponential {
                initial: seconds(s),
            },
            Some(LockForm::Table(steps)) => {
                let mut table: heapless::Vec<Step, MAX_SCHEDULE_STEPS> = heapless::Vec::new();
                for step in &steps {
                    // Both vectors have the same capacity, so this never drops a step.
                    let _ = table.push(Step::new(step.from_count, seconds(step.seconds)));
                }
                LockLength::Table(Schedule::new(&table)?)
            }
        };
        let decay = match self.decay {
            None | Some(DecayForm::None) => Decay::None,
            Some(DecayForm::QuietWindowSeconds(s)) => Decay::QuietWindow(seconds(s)),
            Some(DecayForm::SlidingWindowSeconds(s)) => Decay::SlidingWindow(seconds(s)),
            Some(DecayForm::SelfHealingSeconds(s)) => Decay::SelfHealing(seconds(s)),
        };
        let on_lock_end = match self.on_lock_end {
            Some(ResetForm::Reset) => OnLockEnd::Reset,
            Some(ResetForm::Keep) => OnLockEnd::Keep,
            // An escalating length needs the count to survive the lock ends.
            None => {
                let probe = Rules {
                    threshold: self.threshold,
                    lock,
                    on_lock_end: OnLockEnd::Keep,
                    ..Rules::NEVER_LOCK
                };
                if probe.escalates() {
                    OnLockEnd::Keep
                } else {
                    OnLockEnd::Reset
                }
            }
        };
        Ok(Rules {
            threshold: self.threshold,
            lock,
            max_lock: self.max_lock_seconds.map(seconds),
            decay,
            on_success: match self.on_success {
                None | Some(ResetForm::Reset) => OnSuccess::Reset,
                Some(ResetForm::Keep) => OnSuccess::Keep,
            },
            on_lock_end,
            quick_failure: self.quick_failure.map(|quick| QuickFailure {
                within: Duration::from_millis(quick.within_milliseconds),
                lock: seconds(quick.lock_seconds),
            }),
            permanent_after_temporary_locks: self.permanent_after_temporary_locks,
            deadline_from_whole_second: self.deadline_from_whole_second,
            ..Rules::NEVER_LOCK
        })
    }
}

enum Key {
    Dialect(&'static str),
    RepeatedCredentialMemory,
    MaxConsecutiveFailures,
    MaxAttemptsInFlight,
    AttemptTimeoutSeconds,
}

impl KeyName for Key {
    const EXPECTING: &'static str = "a dialect key or a modifier";

    fn of_name<E: de::Error>(name: &str) -> Result<Key, E> {
        match name {
            "repeatedCredentialMemory" => Ok(Key::RepeatedCredentialMemory),
            "maxConsecutiveFailures" => Ok(Key::MaxConsecutiveFailures),
            "maxAttemptsInFlight" => Ok(Key::MaxAttemptsInFlight),
            "attemptTimeoutSeconds" => Ok(Key::AttemptTimeoutSeconds),
            _ => KEYS
                .iter()
                .take(7)
                .find(|dialect| **dialect == name)
                .map(|dialect| Key::Dialect(dialect))
                .ok_or_else(|| {
                    E::custom(format_args!(
                        "unknown dialect or modifier `{name}`; expected one of pingone, \
                         activeDirectory, keycloak, pamFaillock, tpm, androidGatekeeper, custom, \
                         repeatedCredentialMemory, maxConsecutiveFailures, maxAttemptsInFlight, \
                         attemptTimeoutSeconds"
                    ))
                }),
        }
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key, D::Error> {
        deserialize_key(deserializer)
    }
}

/// A policy document read whole: the policy, and the MFA policy of `pingone`'s `mfa`.
struct Document {
    policy: Policy,
    mfa: Option<Policy>,
}

struct PolicyVisitor;

fn invalid<E: de::Error>(error: PolicyError) -> E {
    E::custom(error)
}

impl<'de> Visitor<'de> for PolicyVisitor {
    type Value = Document;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a policy object with exactly one dialect key")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Document, A::Error> {
        let mut dialect: Option<(&'static str, Policy)> = None;
        let mut mfa: Option<Policy> = None;
        let mut memory: Option<u8> = None;
        let mut cap: Option<u32> = None;
        let mut in_flight: Option<u8> = None;
        let mut timeout: Option<u64> = None;
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Dialect(name) => {
                    if let Some((first, _)) = dialect {
                        return Err(de::Error::custom(format_args!(
                            "policy has two dialects, `{first}` and `{name}`; give exactly one"
                        )));
                    }
                    let policy = match name {
                        "pingone" => {
                            let form = map.next_value::<PingOneForm>()?;
                            if let Some(lockout) = form.mfa {
                                mfa = Some(lockout.policy().map_err(invalid)?);
                            }
                            PingOne {
                                failure_count: form.failure_count,
                                duration_seconds: form.duration_seconds,
                            }
                            .policy()
                        }
                        "activeDirectory" => map.next_value::<ActiveDirectory>()?.policy(),
                        "keycloak" => map.next_value::<Keycloak>()?.policy(),
                        "pamFaillock" => map.next_value::<PamFaillock>()?.policy(),
                        "tpm" => map.next_value::<Tpm>()?.policy(),
                        "androidGatekeeper" => map.next_value::<AndroidGatekeeper>()?.policy(),
                        _ => map
                            .next_value::<CustomForm>()?
                            .rules()
                            .and_then(Rules::build),
                    };
                    dialect = Some((name, policy.map_err(invalid)?));
                }
                Key::RepeatedCredentialMemory => {
                    set_once(&mut memory, map.next_value()?, "repeatedCredentialMemory")?;
                }
                Key::MaxConsecutiveFailures => {
                    set_once(&mut cap, map.next_value()?, "maxConsecutiveFailures")?;
                }
                Key::MaxAttemptsInFlight => {
                    set_once(&mut in_flight, map.next_value()?, "maxAttemptsInFlight")?;
                }
                Key::AttemptTimeoutSeconds => {
                    set_once(&mut timeout, map.next_value()?, "attemptTimeoutSeconds")?;
                }
            }
        }
        let Some((_, policy)) = dialect else {
            return Err(de::Error::custom(
                "policy has no dialect: give one of pingone, activeDirectory, keycloak, \
                 pamFaillock, tpm, androidGatekeeper, custom",
            ));
        };
        let rules = policy.rules();
        let max_in_flight = in_flight.unwrap_or(rules.max_attempts_in_flight);
        let timeout = timeout.map_or(rules.attempt_timeout, Duration::from_secs);
        let policy = policy
            .with_modifiers(memory.unwrap_or(0), cap)
            .and_then(|policy| policy.with_attempt_limits(max_in_flight, timeout))
            .map_err(invalid)?;
        Ok(Document { policy, mfa })
    }
}

impl<'de> Deserialize<'de> for Policy {
    /// Reads the policy document of [behaviour §6](crate::behaviour#s6). A `pingone`
    /// member with an `mfa` member describes two lock sources: read it as an
    /// [`MfaPolicy`].
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Policy, D::Error> {
        let document = deserializer.deserialize_map(PolicyVisitor)?;
        if document.mfa.is_some() {
            return Err(de::Error::custom(
                "pingone.mfa describes a second lock source: read this policy as an MfaPolicy \
                 and run it on an MfaAccount",
            ));
        }
        Ok(document.policy)
    }
}

impl<'de> Deserialize<'de> for MfaPolicy {
    /// Reads the policy document of [behaviour §6](crate::behaviour#s6), with `pingone`'s
    /// `mfa` member ([behaviour §7.3](crate::behaviour#s7-3)) if it has one. The
    /// modifiers apply to the password policy only.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<MfaPolicy, D::Error> {
        let document = deserializer.deserialize_map(PolicyVisitor)?;
        MfaPolicy::new(document.policy, document.mfa).map_err(invalid)
    }
}

/// Sets a modifier read from the policy object, which may name it once.
fn set_once<T, E: de::Error>(slot: &mut Option<T>, value: T, name: &'static str) -> Result<(), E> {
    match slot.replace(value) {
        Some(_) => Err(E::duplicate_field(name)),
        None => Ok(()),
    }
}
