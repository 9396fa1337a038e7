//! What an operation did: the decision, the failures left, and the transitions, so a
//! host can answer the user and write an audit log.

use crate::time::{Duration, Instant};

/// Why an account is locked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LockCause {
    /// The policy's count.
    Policy,
    /// The policy's quick-failure throttling ([`crate::QuickFailure`]). Its end never
    /// restarts the count.
    QuickFailure,
    /// The consecutive-failure cap (`maxConsecutiveFailures`).
    ConsecutiveFailures,
    /// An administrator.
    Administrator,
}

impl LockCause {
    /// The JSON name of the cause.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            LockCause::Policy => "policy",
            LockCause::QuickFailure => "quickFailure",
            LockCause::ConsecutiveFailures => "consecutiveFailures",
            LockCause::Administrator => "administrator",
        }
    }

    /// The cause's two bits: in the account's flags, its binary format and an outcome.
    pub(crate) const fn bits(self) -> u8 {
        match self {
            LockCause::Policy => 0,
            LockCause::ConsecutiveFailures => 1,
            LockCause::Administrator => 2,
            LockCause::QuickFailure => 3,
        }
    }

    /// The cause of two bits (the higher bits are ignored); every value names one.
    pub(crate) const fn of_bits(bits: u8) -> LockCause {
        match bits & 0b11 {
            1 => LockCause::ConsecutiveFailures,
            2 => LockCause::Administrator,
            3 => LockCause::QuickFailure,
            _ => LockCause::Policy,
        }
    }

    /// Whether an attempt, not an administrator, started the lock.
    #[must_use]
    pub const fn is_automatic(self) -> bool {
        !matches!(self, LockCause::Administrator)
    }
}

/// How a lock ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum UnlockCause {
    /// Its deadline passed.
    Expired,
    /// An administrator ended it (unlock, `status: "OK"`, or `canAuthenticate: true`).
    Administrator,
}

impl UnlockCause {
    /// The JSON name of the cause.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            UnlockCause::Expired => "expired",
            UnlockCause::Administrator => "administrator",
        }
    }
}

/// Why an attempt was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Rejection {
    /// The account is locked.
    Locked {
        /// When the lock ends by itself; `None`: only an administrator ends it. How long
        /// until then is [`Rejection::unlock_in`].
        unlock_at: Option<Instant>,
    },
    /// The user is disabled (reported even when the account is also locked, since
    /// waiting for the lock to end would not help).
    Disabled,
    /// [`crate::Account::begin_attempt`] only: the attempts in flight already use the
    /// lock's whole budget, or the policy's `maxAttemptsInFlight`. Try again when one
    /// finishes; no retry time is known.
    Busy,
}

impl Rejection {
    /// The reason's JSON name: `locked`, `disabled` or `busy`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Rejection::Locked { .. } => "locked",
            Rejection::Disabled => "disabled",
            Rejection::Busy => "busy",
        }
    }

    /// How long from `now` until a lock ends by itself (a `Retry-After`); `None` for a
    /// lock only an administrator ends, and for the other reasons.
    ///
    /// ```
    /// use account_lockout::{Duration, Instant, Rejection};
    /// let rejection = Rejection::Locked { unlock_at: Some(Instant::from_secs(900)) };
    /// assert_eq!(rejection.unlock_in(Instant::from_secs(300)), Some(Duration::from_secs(600)));
    /// assert_eq!(Rejection::Disabled.unlock_in(Instant::from_secs(300)), None);
    /// ```
    #[must_use]
    pub fn unlock_in(self, now: Instant) -> Option<Duration> {
        match self {
            Rejection::Locked {
                unlock_at: Some(until),
            } => Some(until.saturating_duration_since(now)),
            _ => None,
        }
    }
}

/// Whether an attempt was allowed when it arrived ([behaviour §3](crate::behaviour#s3)).
///
/// It describes the attempt, not the account after it: the failure that locks an account
/// was allowed (and counted); the lock it started is in the transitions and the view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Decision {
    /// The account could authenticate: a failure was counted (or ignored as repeated), a
    /// success applied, or (for `check`) the user may try.
    Allowed,
    /// The attempt was rejected: not counted, nothing changed.
    Rejected(Rejection),
}

impl Decision {
    /// Whether the attempt was allowed.
    #[must_use]
    pub const fn is_allowed(self) -> bool {
        matches!(self, Decision::Allowed)
    }
}

/// One change an operation made, for audit logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Transition {
    /// A failure was counted; `failures` is the policy's count after it.
    Counted {
        /// The failure count after this failure.
        failures: u32,
    },
    /// A failure repeated a remembered credential and was ignored.
    IgnoredRepeated,
    /// The account went from `OK` to `LOCKED`.
    Locked {
        /// When (`lockedAt`).
        at: Instant,
        /// When it ends by itself; `None`: only an administrator ends it.
        until: Option<Instant>,
        /// Why.
        cause: LockCause,
    },
    /// The account stayed locked, but the lock changed: an administrator took over an
    /// automatic lock, or changed the deadline of theirs.
    LockChanged {
        /// The new deadline; `None`: only an administrator ends it.
        until: Option<Instant>,
        /// The cause from now on.
        cause: LockCause,
    },
    /// The account went from `LOCKED` to `OK`.
    Unlocked {
        /// When it really happened: the deadline for an expired lock (even if noticed
        /// later), the operation's `now` for an administrator.
        at: Instant,
        /// How.
        cause: UnlockCause,
    },
    /// The user was disabled.
    Disabled,
    /// The user was enabled.
    Enabled,
}

/// The kinds of [`Transition`], as stored in [`Transitions`]' order word.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Counted = 1,
    IgnoredRepeated = 2,
    Locked = 3,
    LockChanged = 4,
    Unlocked = 5,
    Disabled = 6,
    Enabled = 7,
}

impl Kind {
    const fn of(transition: &Transition) -> Kind {
        match transition {
            Transition::Counted { .. } => Kind::Counted,
            Transition::IgnoredRepeated => Kind::IgnoredRepeated,
            Transition::Locked { .. } => Kind::Locked,
            Transition::LockChanged { .. } => Kind::LockChanged,
            Transition::Unlocked { .. } => Kind::Unlocked,
            Transition::Disabled => Kind::Disabled,
            Transition::Enabled => Kind::Enabled,
        }
    }

    const fn from_code(code: u16) -> Option<Kind> {
        Some(match code {
            1 => Kind::Counted,
            2 => Kind::IgnoredRepeated,
            3 => Kind::Locked,
            4 => Kind::LockChanged,
            5 => Kind::Unlocked,
            6 => Kind::Disabled,
            7 => Kind::Enabled,
            _ => return None,
        })
    }
}

/// The most transitions one operation lists: each kind at most once (see
/// [`Transitions`]), and no operation causes more than five kinds.
pub const MAX_TRANSITIONS: usize = 5;

/// Bits of the order word per listed kind.
const KIND_BITS: u32 = 3;
const KIND_MASK: u16 = 0b111;

// `Transitions::flags`: the cause of `Locked` (bits 0–1), of `LockChanged` (2–3), of
// `Unlocked` (4), and whether `until` holds a deadline (5).
const LOCKED_CAUSE_SHIFT: u32 = 0;
const CHANGED_CAUSE_SHIFT: u32 = 2;
const UNLOCKED_BY_ADMINISTRATOR: u8 = 1 << 4;
const UNTIL_KNOWN: u8 = 1 << 5;

/// `Outcome`'s decision byte. An enum rather than a `u8`, so that its unused values give
/// `Result<Outcome, _>` room for its tag.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
enum DecisionCode {
    #[default]
    None,
    Allowed,
    RejectedLocked,
    RejectedDisabled,
    RejectedBusy,
}

/// The transitions of one operation, in the order they happened. `Copy`, 32 bytes.
///
/// Each kind of [`Transition`] is listed at most once: when an operation causes one kind
/// twice (several attempts in flight that timed out and counted, a lock started and ended
/// while observing a long gap), the list keeps the last of them, in the place of its last
/// occurrence. So `Counted` gives the count as the operation left it, and `Locked` the
/// lock in effect. `Locked` and `LockChanged` in one operation (an attempt in flight that
/// timed out and locked, then an administrator's lock) both report the lock's final
/// deadline. Every change is applied all the same; only the list is short.
///
/// ```
/// use account_lockout::{dialect::PingOne, Account, Instant, LockCause, Transition};
///
/// let policy = PingOne { failure_count: 1, duration_seconds: Some(60) }.policy().unwrap();
/// let mut account: Account = Account::new();
/// let outcome = account.failure(&policy, Instant::from_secs(0), None).unwrap();
/// let listed: Vec<Transition> = outcome.transitions().iter().collect();
/// assert_eq!(
///     listed,
///     [
///         Transition::Counted { failures: 1 },
///         Transition::Locked {
///             at: Instant::from_secs(0),
///             until: Some(Instant::from_secs(60)),
///             cause: LockCause::Policy,
///         },
///     ]
/// );
/// ```
#[derive(Clone, Copy, Default)]
pub struct Transitions {
    locked_at: Instant,
    until: Instant,
    unlocked_at: Instant,
    failures: u32,
    /// The kinds listed, 3 bits each, the first in the lowest bits; 0 ends the list.
    order: u16,
    flags: u8,
    /// [`Outcome`]'s decision, kept here to fill what would be padding; always
    /// `DecisionCode::None` in a `Transitions` handed out.
    decision: DecisionCode,
}

impl Transitions {
    /// No transitions.
    pub const NONE: Transitions = Transitions {
        locked_at: Instant::UNIX_EPOCH,
        until: Instant::UNIX_EPOCH,
        unlocked_at: Instant::UNIX_EPOCH,
        failures: 0,
        order: 0,
        flags: 0,
        decision: DecisionCode::None,
    };

    /// [`Transitions::push`] of a `Counted`, the one transition of most failures.
    #[inline(always)]
    pub(crate) fn push_counted(&mut self, failures: u32) {
        if self.order == 0 {
            self.failures = failures;
            self.order = Kind::Counted as u16;
        } else {
            self.push(Transition::Counted { failures });
        }
    }

    pub(crate) fn push(&mut self, transition: Transition) {
        let kind = Kind::of(&transition);
        if self.order != 0 {
            self.forget(kind);
        }
        match transition {
            Transition::Counted { failures } => self.failures = failures,
            Transition::Locked { at, until, cause } => {
                self.locked_at = at;
                self.set_until(until);
                self.flags = (self.flags & !(0b11 << LOCKED_CAUSE_SHIFT))
                    | (cause.bits() << LOCKED_CAUSE_SHIFT);
            }
            Transition::LockChanged { until, cause } => {
                self.set_until(until);
                self.flags = (self.flags & !(0b11 << CHANGED_CAUSE_SHIFT))
                    | (cause.bits() << CHANGED_CAUSE_SHIFT);
            }
            Transition::Unlocked { at, cause } => {
                self.unlocked_at = at;
                self.flags = match cause {
                    UnlockCause::Expired => self.flags & !UNLOCKED_BY_ADMINISTRATOR,
                    UnlockCause::Administrator => self.flags | UNLOCKED_BY_ADMINISTRATOR,
                };
            }
            Transition::IgnoredRepeated | Transition::Disabled | Transition::Enabled => {}
        }
        if self.order == 0 {
            self.order = kind as u16;
            return;
        }
        let mut listed = self.len();
        if listed >= MAX_TRANSITIONS {
            // Never reached (no operation causes more kinds); dropping the oldest keeps
            // the latest changes if it ever were.
            self.order >>= KIND_BITS;
            listed = listed.saturating_sub(1);
        }
        let at = u32::try_from(listed).unwrap_or(0).saturating_mul(KIND_BITS);
        self.order |= (kind as u16).checked_shl(at).unwrap_or(0);
    }

    /// Shows the count of `Counted` as 0 (for [`crate::harness::table_comparable`]).
    #[cfg(any(feature = "arbitrary", feature = "proptest"))]
    pub(crate) fn forget_count(&mut self) {
        self.failures = 0;
    }

    /// Removes `kind` from the order, closing the gap.
    fn forget(&mut self, kind: Kind) {
        let mut kept: u16 = 0;
        let mut shift: u32 = 0;
        let mut rest = self.order;
        while rest != 0 {
            let code = rest & KIND_MASK;
            if code != kind as u16 {
                kept |= code.checked_shl(shift).unwrap_or(0);
                shift = shift.saturating_add(KIND_BITS);
            }
            rest >>= KIND_BITS;
        }
        self.order = kept;
    }

    fn set_until(&mut self, until: Option<Instant>) {
        match until {
            Some(until) => {
                self.until = until;
                self.flags |= UNTIL_KNOWN;
            }
            None => self.flags &= !UNTIL_KNOWN,
        }
    }

    fn until(&self) -> Option<Instant> {
        (self.flags & UNTIL_KNOWN != 0).then_some(self.until)
    }

    fn transition(&self, kind: Kind) -> Transition {
        match kind {
            Kind::Counted => Transition::Counted {
                failures: self.failures,
            },
            Kind::IgnoredRepeated => Transition::IgnoredRepeated,
            Kind::Locked => Transition::Locked {
                at: self.locked_at,
                until: self.until(),
                cause: LockCause::of_bits(self.flags >> LOCKED_CAUSE_SHIFT),
            },
            Kind::LockChanged => Transition::LockChanged {
                until: self.until(),
                cause: LockCause::of_bits(self.flags >> CHANGED_CAUSE_SHIFT),
            },
            Kind::Unlocked => Transition::Unlocked {
                at: self.unlocked_at,
                cause: if self.flags & UNLOCKED_BY_ADMINISTRATOR != 0 {
                    UnlockCause::Administrator
                } else {
                    UnlockCause::Expired
                },
            },
            Kind::Disabled => Transition::Disabled,
            Kind::Enabled => Transition::Enabled,
        }
    }

    /// The transitions, in order.
    #[must_use]
    pub fn iter(&self) -> TransitionIter {
        TransitionIter {
            transitions: *self,
            rest: self.order,
        }
    }

    /// How many transitions there are.
    #[must_use]
    pub fn len(&self) -> usize {
        // Every listed kind is a non-zero code, so the highest set bit says how many.
        let used_bits = u16::BITS.saturating_sub(self.order.leading_zeros());
        usize::try_from(used_bits.div_ceil(KIND_BITS)).unwrap_or(MAX_TRANSITIONS)
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.order == 0
    }

    /// The kinds listed, one bit each in the order [`Transition`] declares them:
    /// `Counted` is bit 0, `IgnoredRepeated` 1, `Locked` 2, `LockChanged` 3, `Unlocked` 4,
    /// `Disabled` 5, `Enabled` 6 (the C ABI's `AL_TRANSITION_*` bits).
    ///
    /// ```
    /// use account_lockout::{dialect::PingOne, Account, Instant};
    /// let policy = PingOne { failure_count: 1, duration_seconds: None }.policy().unwrap();
    /// let mut account: Account = Account::new();
    /// let outcome = account.failure(&policy, Instant::from_secs(0), None).unwrap();
    /// assert_eq!(outcome.transitions().kind_bits(), 0b101); // counted, locked
    /// ```
    #[must_use]
    pub fn kind_bits(&self) -> u8 {
        let mut bits: u8 = 0;
        let mut rest = self.order;
        while rest != 0 {
            let code = u32::from(rest & KIND_MASK);
            bits |= 1_u8.checked_shl(code.saturating_sub(1)).unwrap_or(0);
            rest >>= KIND_BITS;
        }
        bits
    }

    /// The count after the `Counted` listed, if one is.
    #[must_use]
    pub fn counted(&self) -> Option<u32> {
        self.iter().find_map(|transition| match transition {
            Transition::Counted { failures } => Some(failures),
            _ => None,
        })
    }

    /// Whether a transition of the same kind as `transition` is listed.
    #[must_use]
    pub fn contains_kind(&self, transition: &Transition) -> bool {
        let kind = Kind::of(transition);
        self.iter().any(|listed| Kind::of(&listed) == kind)
    }
}

// Equal when they list the same transitions: the slots of kinds not listed, and a
// rejection's deadline kept in `until`, are not part of the value.
impl PartialEq for Transitions {
    fn eq(&self, other: &Transitions) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Transitions {}

impl core::hash::Hash for Transitions {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.iter().for_each(|transition| transition.hash(state));
    }
}

impl core::fmt::Debug for Transitions {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Transitions {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "[");
        for (index, transition) in self.iter().enumerate() {
            if index > 0 {
                defmt::write!(f, ", ");
            }
            defmt::write!(f, "{}", transition);
        }
        defmt::write!(f, "]");
    }
}

/// The iterator of [`Transitions::iter`]: transitions by value, in order.
#[derive(Clone, Debug)]
pub struct TransitionIter {
    transitions: Transitions,
    rest: u16,
}

impl Iterator for TransitionIter {
    type Item = Transition;

    fn next(&mut self) -> Option<Transition> {
        let kind = Kind::from_code(self.rest & KIND_MASK)?;
        self.rest >>= KIND_BITS;
        Some(self.transitions.transition(kind))
    }
}

impl IntoIterator for Transitions {
    type Item = Transition;
    type IntoIter = TransitionIter;

    fn into_iter(self) -> TransitionIter {
        self.iter()
    }
}

impl IntoIterator for &Transitions {
    type Item = Transition;
    type IntoIter = TransitionIter;

    fn into_iter(self) -> TransitionIter {
        self.iter()
    }
}

/// What an operation did: for an attempt (`check`, `failure`, `success`) the decision,
/// and for every operation the transitions. `Copy`, 32 bytes: what a caller may want
/// beyond these is a read on the account, computed only when asked
/// ([`Account::failures_remaining`](crate::Account::failures_remaining),
/// [`Account::view`](crate::Account::view)).
///
/// ```
/// use account_lockout::{dialect::PingOne, Account, Decision, Instant, Rejection};
///
/// let policy = PingOne { failure_count: 1, duration_seconds: Some(60) }.policy().unwrap();
/// let mut account: Account = Account::new();
/// let now = Instant::from_secs(0);
/// assert_eq!(account.failure(&policy, now, None).unwrap().decision(), Some(Decision::Allowed));
/// let rejected = account.failure(&policy, now, None).unwrap();
/// assert_eq!(
///     rejected.decision(),
///     Some(Decision::Rejected(Rejection::Locked { unlock_at: Some(Instant::from_secs(60)) }))
/// );
/// assert!(rejected.transitions().is_empty()); // rejected: nothing changed
/// ```
#[must_use]
#[derive(Clone, Copy)]
pub struct Outcome {
    pub(crate) record: Transitions,
}

impl Outcome {
    /// An administrator operation's outcome: no decision.
    pub(crate) fn administrative(transitions: Transitions) -> Outcome {
        Outcome {
            record: Transitions {
                decision: DecisionCode::None,
                ..transitions
            },
        }
    }

    /// An attempt's outcome. A rejection for a lock keeps the lock's deadline, which is
    /// the deadline of any `Locked` listed (the lock in effect).
    pub(crate) fn attempt(rejection: Option<Rejection>, transitions: Transitions) -> Outcome {
        let mut record = transitions;
        record.decision = match rejection {
            None => DecisionCode::Allowed,
            Some(Rejection::Locked { unlock_at }) => {
                record.set_until(unlock_at);
                DecisionCode::RejectedLocked
            }
            Some(Rejection::Disabled) => DecisionCode::RejectedDisabled,
            Some(Rejection::Busy) => DecisionCode::RejectedBusy,
        };
        Outcome { record }
    }

    /// Allowed or rejected, for an attempt; `None` for an administrator operation.
    #[must_use]
    pub fn decision(&self) -> Option<Decision> {
        Some(match self.record.decision {
            DecisionCode::None => return None,
            DecisionCode::Allowed => Decision::Allowed,
            DecisionCode::RejectedLocked => Decision::Rejected(Rejection::Locked {
                unlock_at: self.record.until(),
            }),
            DecisionCode::RejectedDisabled => Decision::Rejected(Rejection::Disabled),
            DecisionCode::RejectedBusy => Decision::Rejected(Rejection::Busy),
        })
    }

    /// Whether this is an attempt that was allowed.
    #[must_use]
    pub fn is_allowed(&self) -> bool {
        self.record.decision == DecisionCode::Allowed
    }

    /// The changes, in order.
    #[must_use]
    pub fn transitions(&self) -> Transitions {
        Transitions {
            decision: DecisionCode::None,
            ..self.record
        }
    }
}

// Equal when the decision and the transitions are.
impl PartialEq for Outcome {
    fn eq(&self, other: &Outcome) -> bool {
        self.decision() == other.decision() && self.transitions() == other.transitions()
    }
}

impl Eq for Outcome {}

impl core::hash::Hash for Outcome {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.decision().hash(state);
        self.transitions().hash(state);
    }
}

// The outcome is returned by value from every operation: keep it to four words.
const _: () = assert!(core::mem::size_of::<Outcome>() <= 32);
const _: () = assert!(
    core::mem::size_of::<Result<Outcome, crate::CapacityError>>()
        == core::mem::size_of::<Outcome>()
);

impl core::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Outcome")
            .field("decision", &self.decision())
            .field("transitions", &self.transitions())
            .finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Outcome {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "Outcome {{ decision: {}, transitions: {} }}",
            self.decision(),
            self.transitions()
        );
    }
}

impl serde::Serialize for Transition {
    /// An object tagged by `type`, dates in RFC 3339, for audit logs:
    /// `{"type":"locked","at":"…","until":"…","cause":"policy"}`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;

        let (kind, fields) = match self {
            Transition::Counted { .. } => ("counted", 2),
            Transition::IgnoredRepeated => ("ignoredRepeated", 1),
            Transition::Locked { until, .. } => (
                "locked",
                3_usize.saturating_add(usize::from(until.is_some())),
            ),
            Transition::LockChanged { until, .. } => (
                "lockChanged",
                2_usize.saturating_add(usize::from(until.is_some())),
            ),
            Transition::Unlocked { .. } => ("unlocked", 3),
            Transition::Disabled => ("disabled", 1),
            Transition::Enabled => ("enabled", 1),
        };
        let mut object = serializer.serialize_struct("transition", fields)?;
        object.serialize_field("type", kind)?;
        match *self {
            Transition::Counted { failures } => object.serialize_field("failures", &failures)?,
            Transition::Locked { at, until, cause } => {
                object.serialize_field("at", at.to_rfc3339().as_str())?;
                if let Some(until) = until {
                    object.serialize_field("until", until.to_rfc3339().as_str())?;
                }
                object.serialize_field("cause", cause.as_str())?;
            }
            Transition::LockChanged { until, cause } => {
                if let Some(until) = until {
                    object.serialize_field("until", until.to_rfc3339().as_str())?;
                }
                object.serialize_field("cause", cause.as_str())?;
            }
            Transition::Unlocked { at, cause } => {
                object.serialize_field("at", at.to_rfc3339().as_str())?;
                object.serialize_field("cause", cause.as_str())?;
            }
            Transition::IgnoredRepeated | Transition::Disabled | Transition::Enabled => {}
        }
        object.end()
    }
}

impl serde::Serialize for Transitions {
    /// A JSON array of [`Transition`]s.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}
