//! What the store reports (feature `tracing`): each operation that may change an account
//! reports its outcome through `account_lockout::events` once, when it is final, never
//! once per retry of its compare-and-set.

use account_lockout::{Decision, Outcome};

/// Whose outcomes an operation reports: a fixed scope label (a label of the counters too)
/// and the subject shown in the events.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Subject<'a> {
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    scope: &'static str,
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    name: &'a str,
}

impl<'a> Subject<'a> {
    /// A user's account: scope `"account"`, the user name as the subject (not the key,
    /// whose prefix is the deployment's).
    pub(crate) const fn account(user: &'a str) -> Self {
        Subject {
            scope: "account",
            name: user,
        }
    }

    /// A bucket of names the host does not know: scope `"unknown"`, the bucket's key as
    /// the subject. Never the name itself: a name nobody has is often a password typed
    /// into the user field.
    pub(crate) const fn unknown(bucket_key: &'a str) -> Self {
        Subject {
            scope: "unknown",
            name: bucket_key,
        }
    }

    /// `outcome` is final and its state is in the database (written, or already there):
    /// its transitions, then its refusal, if any.
    pub(crate) fn stored(self, outcome: &Outcome) {
        #[cfg(feature = "tracing")]
        account_lockout::events::record(self.scope, &self.name, outcome);
        #[cfg(not(feature = "tracing"))]
        let _ = outcome;
    }

    /// `outcome` is a refusal that stands although its state was not written (the
    /// database refused the write, could not be reached, or stayed contended): the
    /// refusal alone. Its transitions are reported by the event that stores them.
    pub(crate) fn standing(self, outcome: &Outcome) {
        if let Some(Decision::Rejected(rejection)) = outcome.decision() {
            #[cfg(feature = "tracing")]
            account_lockout::events::record_rejection(self.scope, &self.name, rejection);
            #[cfg(not(feature = "tracing"))]
            let _ = rejection;
        }
    }
}
