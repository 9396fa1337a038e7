//! `arbitrary::Arbitrary` for the types a fuzzer drives the crate with.

use arbitrary::{Arbitrary, Result, Unstructured};

use super::{Action, Call, PolicySeed, TimeStep};
use crate::account::Verdict;
use crate::fingerprint::Fingerprint;
use crate::operation::Operation;
use crate::patch::{Patch, UnlockAtPatch};
use crate::policy::Policy;
use crate::time::{Duration, Instant};
use crate::view::Status;

impl<'a> Arbitrary<'a> for Instant {
    fn arbitrary(input: &mut Unstructured<'a>) -> Result<Instant> {
        Ok(Instant::from_millis(i64::arbitrary(input)?))
    }
}

impl<'a> Arbitrary<'a> for Duration {
    fn arbitrary(input: &mut Unstructured<'a>) -> Result<Duration> {
        Ok(Duration::from_millis(u64::arbitrary(input)?))
    }
}

impl<'a> Arbitrary<'a> for Fingerprint {
    /// One of 16 fingerprints, so that repeats (the repeated-credential memory) happen.
    fn arbitrary(input: &mut Unstructured<'a>) -> Result<Fingerprint> {
        Ok(Fingerprint::new(u64::from(u8::arbitrary(input)? % 16)))
    }
}

impl<'a> Arbitrary<'a> for Policy {
    /// A valid policy: a dialect with parameters in range, or a general policy, with
    /// random modifiers.
    fn arbitrary(input: &mut Unstructured<'a>) -> Result<Policy> {
        Ok(PolicySeed {
            form: u8::arbitrary(input)?,
            numbers: <[u32; 6]>::arbitrary(input)?,
            memory: u8::arbitrary(input)?,
            cap: if bool::arbitrary(input)? {
                0
            } else {
                u8::arbitrary(input)?
            },
        }
        .policy())
    }
}

impl<'a> Arbitrary<'a> for Status {
    fn arbitrary(input: &mut Unstructured<'a>) -> Result<Status> {
        Ok(if bool::arbitrary(input)? {
            Status::Locked
        } else {
            Status::Ok
        })
    }
}

impl<'a> Arbitrary<'a> for UnlockAtPatch {
    fn arbitrary(input: &mut Unstructured<'a>) -> Result<UnlockAtPatch> {
        Ok(match Option::<Instant>::arbitrary(input)? {
            Some(at) => UnlockAtPatch::At(at),
            None => UnlockAtPatch::Clear,
        })
    }
}

impl<'a> Arbitrary<'a> for Patch {
    /// A valid patch: fields that would conflict are dropped, `unlockAt` first.
    fn arbitrary(input: &mut Unstructured<'a>) -> Result<Patch> {
        let can_authenticate = Option::<bool>::arbitrary(input)?;
        let status = Option::<Status>::arbitrary(input)?;
        let unlock_at = Option::<UnlockAtPatch>::arbitrary(input)?;
        Ok(Patch::new(can_authenticate, status, unlock_at)
            .or_else(|_| Patch::new(can_authenticate, status, None))
            .or_else(|_| Patch::new(can_authenticate, None, None))
            .unwrap_or_default())
    }
}

impl<'a> Arbitrary<'a> for Verdict {
    fn arbitrary(input: &mut Unstructured<'a>) -> Result<Verdict> {
        Ok(match Option::<Option<Fingerprint>>::arbitrary(input)? {
            None => Verdict::Success,
            Some(credential) => Verdict::Failure { credential },
        })
    }
}

impl<'a> Arbitrary<'a> for Operation {
    fn arbitrary(input: &mut Unstructured<'a>) -> Result<Operation> {
        Ok(match u8::arbitrary(input)? % 8 {
            0 => Operation::Check,
            1..=3 => Operation::Failure {
                credential: Option::<Fingerprint>::arbitrary(input)?,
            },
            4 => Operation::Success,
            5 => Operation::Unlock,
            6 => Operation::Lock {
                until: Option::<Instant>::arbitrary(input)?,
            },
            _ => Operation::Patch(Patch::arbitrary(input)?),
        })
    }
}

impl<'a> Arbitrary<'a> for TimeStep {
    /// The mapping of [`crate::harness::strategy::time_step`], from a byte and a `u64`.
    fn arbitrary(input: &mut Unstructured<'a>) -> Result<TimeStep> {
        let (kind, value) = <(u8, u64)>::arbitrary(input)?;
        Ok(TimeStep::from_numbers(kind, value))
    }
}

impl<'a> Arbitrary<'a> for Action {
    /// The mapping of [`crate::harness::strategy::action`], from a byte and two `u64`s.
    fn arbitrary(input: &mut Unstructured<'a>) -> Result<Action> {
        let (kind, a, b) = <(u8, u64, u64)>::arbitrary(input)?;
        Ok(Action::from_numbers(kind, a, b))
    }
}

impl<'a> Arbitrary<'a> for Call {
    /// The mapping of [`crate::harness::strategy::call`], from a byte and two `u64`s.
    fn arbitrary(input: &mut Unstructured<'a>) -> Result<Call> {
        let (kind, a, b) = <(u8, u64, u64)>::arbitrary(input)?;
        Ok(Call::from_numbers(kind, a, b))
    }
}
