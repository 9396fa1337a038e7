//! The account view: PingOne's account-state model, derived at `now` ([behaviour §2](crate::behaviour#s2)).

use core::fmt;

use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::time::Instant;

mod json;

/// The account's lock status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Status {
    /// No lock is in effect.
    Ok,
    /// A lock is in effect.
    Locked,
}

impl Status {
    /// `"OK"` or `"LOCKED"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Locked => "LOCKED",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The five fields of PingOne's account state, derived from an account at `now`, plus
/// whether the user is enabled (which PingOne folds into `canAuthenticate`).
///
/// Serialised (serde) in the seed's JSON shape: fields in alphabetical order, dates as
/// `YYYY-MM-DDTHH:MM:SS.sssZ`, absent fields omitted, `enabled` not written.
///
/// ```
/// use account_lockout::{dialect::PingOne, Account, Instant, Status};
///
/// let policy = (PingOne { failure_count: 1, duration_seconds: Some(90) }).policy().unwrap();
/// let mut account: Account = Account::new();
/// account.failure(&policy, Instant::from_millis(0), None).unwrap();
///
/// let view = account.view(Instant::from_millis(500));
/// assert_eq!(view.status, Status::Locked);
/// assert_eq!(view.seconds_until_unlock, Some(90)); // ceil(89.5)
/// assert_eq!(
///     serde_json::to_string(&view).unwrap(),
///     r#"{"canAuthenticate":false,"lockedAt":"1970-01-01T00:00:00.000Z","secondsUntilUnlock":90,"status":"LOCKED","unlockAt":"1970-01-01T00:01:30.000Z"}"#
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AccountView {
    /// `true` iff the user is enabled and `status` is `OK`.
    pub can_authenticate: bool,
    /// When the account went from `OK` to `LOCKED`; present iff locked.
    pub locked_at: Option<Instant>,
    /// `ceil((unlockAt − now) / 1000)`; present iff `unlock_at` is, never 0.
    pub seconds_until_unlock: Option<u64>,
    /// `LOCKED` while any lock is in effect.
    pub status: Status,
    /// When the lock ends by itself; absent for a lock only an administrator ends.
    pub unlock_at: Option<Instant>,
    /// Whether the user is enabled (not part of PingOne's JSON).
    pub enabled: bool,
}

impl AccountView {
    /// The view of an enabled account with no lock.
    pub const OPEN: AccountView = AccountView {
        can_authenticate: true,
        locked_at: None,
        seconds_until_unlock: None,
        status: Status::Ok,
        unlock_at: None,
        enabled: true,
    };

    /// The view of `enabled` with a lock `locked` of `(lockedAt, unlockAt)`, at `now`.
    pub(crate) fn derive(
        enabled: bool,
        locked: Option<(Instant, Option<Instant>)>,
        now: Instant,
    ) -> AccountView {
        match locked {
            Some((locked_at, deadline)) if deadline.is_none_or(|until| now < until) => {
                AccountView {
                    can_authenticate: false,
                    locked_at: Some(locked_at),
                    seconds_until_unlock: deadline
                        .map(|until| until.saturating_duration_since(now).as_secs_ceil()),
                    status: Status::Locked,
                    unlock_at: deadline,
                    enabled,
                }
            }
            _ => AccountView {
                can_authenticate: enabled,
                enabled,
                ..AccountView::OPEN
            },
        }
    }

    /// Folds two lock sources of one user (a password account and an MFA account, say)
    /// into one view ([behaviour §2](crate::behaviour#s2)): `LOCKED` if either is; `lockedAt` the earliest;
    /// `unlockAt` absent if any locked source has none, else the latest; enabled only if
    /// both are. Both views must be taken at the same `now`.
    ///
    /// ```
    /// use account_lockout::{AccountView, Instant, Status};
    /// let password = AccountView {
    ///     locked_at: Some(Instant::from_secs(10)),
    ///     unlock_at: Some(Instant::from_secs(100)),
    ///     seconds_until_unlock: Some(50),
    ///     status: Status::Locked,
    ///     can_authenticate: false,
    ///     enabled: true,
    /// };
    /// let mfa = AccountView {
    ///     locked_at: Some(Instant::from_secs(20)),
    ///     unlock_at: Some(Instant::from_secs(200)),
    ///     seconds_until_unlock: Some(150),
    ///     ..password
    /// };
    /// let both = password.fold(mfa);
    /// assert_eq!(both.locked_at, Some(Instant::from_secs(10)));
    /// assert_eq!(both.unlock_at, Some(Instant::from_secs(200)));
    /// assert_eq!(AccountView::OPEN.fold(AccountView::OPEN), AccountView::OPEN);
    /// ```
    #[must_use]
    pub fn fold(self, other: AccountView) -> AccountView {
        let enabled = self.enabled && other.enabled;
        let locked: [&AccountView; 2] = [&self, &other];
        let mut folded = AccountView {
            can_authenticate: enabled,
            enabled,
            ..AccountView::OPEN
        };
        let mut any_without_deadline = false;
        for view in locked.into_iter().filter(|v| v.status == Status::Locked) {
            folded.status = Status::Locked;
            folded.can_authenticate = false;
            folded.locked_at = match (folded.locked_at, view.locked_at) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            if view.unlock_at.is_none() {
                any_without_deadline = true;
            }
            if view.unlock_at > folded.unlock_at {
                folded.unlock_at = view.unlock_at;
                folded.seconds_until_unlock = view.seconds_until_unlock;
            }
        }
        if any_without_deadline {
            folded.unlock_at = None;
            folded.seconds_until_unlock = None;
        }
        folded
    }

    /// Folds any number of views of one user into one (see [`AccountView::fold`]);
    /// no views at all fold into [`AccountView::OPEN`].
    pub fn fold_all(views: impl IntoIterator<Item = AccountView>) -> AccountView {
        let mut views = views.into_iter();
        match views.next() {
            Some(first) => views.fold(first, AccountView::fold),
            None => AccountView::OPEN,
        }
    }
}

impl Serialize for AccountView {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let present = 2_usize
            .saturating_add(usize::from(self.locked_at.is_some()))
            .saturating_add(usize::from(self.seconds_until_unlock.is_some()))
            .saturating_add(usize::from(self.unlock_at.is_some()));
        let mut object = serializer.serialize_struct("account", present)?;
        object.serialize_field("canAuthenticate", &self.can_authenticate)?;
        match self.locked_at {
            Some(at) => object.serialize_field("lockedAt", at.to_rfc3339().as_str())?,
            None => object.skip_field("lockedAt")?,
        }
        match self.seconds_until_unlock {
            Some(seconds) => object.serialize_field("secondsUntilUnlock", &seconds)?,
            None => object.skip_field("secondsUntilUnlock")?,
        }
        object.serialize_field("status", self.status.as_str())?;
        match self.unlock_at {
            Some(at) => object.serialize_field("unlockAt", at.to_rfc3339().as_str())?,
            None => object.skip_field("unlockAt")?,
        }
        object.end()
    }
}
