//! What a refused login may tell the client.

use crate::time::Duration;

/// How much a refusal tells the client ([`GuardDecision::answer`](crate::GuardDecision::answer)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Disclosure {
    /// Say what refused: a lock with its wait ([`Answer::RetryAfter`]), a busy account
    /// (retry, no known wait); a disabled user is answered as a wrong credential.
    #[default]
    Full,
    /// Answer a refusal by the user or the user × source scope exactly as a wrong
    /// credential (busy included): the client cannot tell a locked account from a wrong
    /// password, so guessing reveals neither which users exist nor which are locked. A
    /// refusal by the source scope still says [`Answer::RetryAfter`], with the source's
    /// own wait, whatever the other scopes say: it tells only that this address is
    /// throttled, which its owner knows anyway, and the same for every user name.
    AsWrongCredential,
}

/// What a login's client may be told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Answer {
    /// The attempt may go on: verify the credential, then answer by its verdict.
    Verify,
    /// Answer as for a wrong credential (HTTP 401), without verifying it. Spend the time a
    /// verification takes (verify against a dummy hash), or the answer's speed tells.
    WrongCredential,
    /// Answer "too many attempts" (HTTP 429), with `Retry-After` when the wait is known:
    /// `None` for a lock only an administrator ends, or for a user with too many
    /// attempts in flight (retry when one finishes).
    RetryAfter(Option<Duration>),
}
