//! The three scopes a [`Guard`](crate::Guard) counts in, and one value per scope.

use core::fmt;

use super::source::SourceKey;

/// One of the three scopes of a [`Guard`](crate::Guard), each with its own table and
/// [`Policy`](crate::Policy).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Scope {
    /// The user, from every address.
    User,
    /// The user from one source (an IPv4 address, an IPv6 prefix).
    UserSource,
    /// One source, for every user.
    Source,
}

impl Scope {
    /// The three scopes, in the order that breaks ties between refusals.
    pub const ALL: [Scope; 3] = [Scope::User, Scope::UserSource, Scope::Source];

    /// The scope's name: `user`, `user_source` or `source`.
    ///
    /// ```
    /// use account_lockout::Scope;
    /// assert_eq!(Scope::UserSource.as_str(), "user_source");
    /// assert_eq!(Scope::Source.to_string(), "source");
    /// ```
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::User => "user",
            Scope::UserSource => "user_source",
            Scope::Source => "source",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One value for each [`Scope`]: the outcomes of a guard call, the attempt tokens of a
/// [`GuardToken`](crate::GuardToken).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PerScope<T> {
    /// The user scope's.
    pub user: T,
    /// The user × source scope's.
    pub user_source: T,
    /// The source scope's.
    pub source: T,
}

impl<T> PerScope<T> {
    /// The value of `scope`.
    #[must_use]
    pub const fn get(&self, scope: Scope) -> &T {
        match scope {
            Scope::User => &self.user,
            Scope::UserSource => &self.user_source,
            Scope::Source => &self.source,
        }
    }

    /// Each scope with its value, in [`Scope::ALL`]'s order.
    ///
    /// ```
    /// use account_lockout::{PerScope, Scope};
    /// let counts = PerScope { user: 1, user_source: 2, source: 3 };
    /// let listed: Vec<(Scope, &i32)> = counts.iter().collect();
    /// assert_eq!(listed, [(Scope::User, &1), (Scope::UserSource, &2), (Scope::Source, &3)]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (Scope, &T)> {
        Scope::ALL.into_iter().map(|scope| (scope, self.get(scope)))
    }

    /// The values passed through `f`, each with its scope.
    pub fn map<V>(self, mut f: impl FnMut(Scope, T) -> V) -> PerScope<V> {
        PerScope {
            user: f(Scope::User, self.user),
            user_source: f(Scope::UserSource, self.user_source),
            source: f(Scope::Source, self.source),
        }
    }
}

/// The key of an account in one of a guard's scopes, as [`Guard::poll`](crate::Guard::poll)
/// reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ScopeKey<U> {
    /// A user.
    User(U),
    /// A user from one source.
    UserSource(U, SourceKey),
    /// A source.
    Source(SourceKey),
}

/// `user`, `user@source` and `source` (a source as [`SourceKey`] shows it): the subject of
/// an event (`account_lockout::events`, with the feature `tracing` or `metrics`).
///
/// ```
/// use account_lockout::{GuardPolicy, ScopeKey, dialect::PingOne};
/// let p = PingOne { failure_count: 5, duration_seconds: Some(60) }.policy().unwrap();
/// let source = GuardPolicy::new(p, p, p).source_key("2001:db8::7".parse().unwrap());
/// assert_eq!(ScopeKey::UserSource("ana", source).to_string(), "ana@2001:db8::/64");
/// ```
impl<U: core::fmt::Display> core::fmt::Display for ScopeKey<U> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ScopeKey::User(user) => user.fmt(f),
            ScopeKey::UserSource(user, source) => write!(f, "{user}@{source}"),
            ScopeKey::Source(source) => source.fmt(f),
        }
    }
}

impl<U> ScopeKey<U> {
    /// The scope the key belongs to.
    #[must_use]
    pub const fn scope(&self) -> Scope {
        match self {
            ScopeKey::User(_) => Scope::User,
            ScopeKey::UserSource(..) => Scope::UserSource,
            ScopeKey::Source(_) => Scope::Source,
        }
    }
}
