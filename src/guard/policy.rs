//! A [`Guard`](crate::Guard)'s configuration: a policy per scope, how sources are keyed,
//! and what a refusal may tell the client.

use core::net::IpAddr;

use super::answer::Disclosure;
use super::error::GuardError;
use super::scope::Scope;
use super::source::{DEFAULT_IPV6_PREFIX, SourceKey};
use crate::policy::Policy;

/// The policies of a [`Guard`](crate::Guard)'s three scopes, the IPv6 prefix its sources
/// are keyed on, and its [`Disclosure`].
///
/// ```
/// use account_lockout::{dialect::PingOne, Disclosure, GuardPolicy};
///
/// let user = PingOne { failure_count: 20, duration_seconds: Some(300) }.policy().unwrap();
/// let user_source = PingOne { failure_count: 5, duration_seconds: Some(900) }.policy().unwrap();
/// let source = PingOne { failure_count: 50, duration_seconds: Some(3600) }.policy().unwrap();
/// let policy = GuardPolicy::new(user, user_source, source)
///     .with_ipv6_prefix(56)?
///     .with_disclosure(Disclosure::AsWrongCredential);
/// assert_eq!(policy.ipv6_prefix(), 56);
/// assert!(GuardPolicy::new(user, user_source, source).with_ipv6_prefix(129).is_err());
/// # Ok::<(), account_lockout::GuardError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct GuardPolicy {
    /// The user scope's policy: every attempt on the user, from anywhere.
    pub user: Policy,
    /// The user × source scope's policy: the user's attempts from one source.
    pub user_source: Policy,
    /// The source scope's policy: one source's attempts, on every user.
    pub source: Policy,
    ipv6_prefix: u8,
    disclosure: Disclosure,
}

impl GuardPolicy {
    /// The three policies, IPv6 sources keyed on their /64, and [`Disclosure::Full`].
    #[must_use]
    pub const fn new(user: Policy, user_source: Policy, source: Policy) -> GuardPolicy {
        GuardPolicy {
            user,
            user_source,
            source,
            ipv6_prefix: DEFAULT_IPV6_PREFIX,
            disclosure: Disclosure::Full,
        }
    }

    /// IPv6 sources keyed on their first `prefix` bits (1 to 128, else
    /// [`GuardError::Ipv6Prefix`]). /56 or /48 group a whole site, as some providers
    /// delegate; /128 counts each address (which a host rotates at will).
    pub const fn with_ipv6_prefix(self, prefix: u8) -> Result<GuardPolicy, GuardError> {
        if prefix == 0 || prefix > 128 {
            return Err(GuardError::Ipv6Prefix(prefix));
        }
        Ok(GuardPolicy {
            ipv6_prefix: prefix,
            ..self
        })
    }

    /// What a refusal may tell the client ([`GuardDecision::answer`](crate::GuardDecision::answer)).
    #[must_use]
    pub const fn with_disclosure(self, disclosure: Disclosure) -> GuardPolicy {
        GuardPolicy { disclosure, ..self }
    }

    /// The IPv6 prefix length sources are keyed on.
    #[must_use]
    pub const fn ipv6_prefix(&self) -> u8 {
        self.ipv6_prefix
    }

    /// What a refusal may tell the client.
    #[must_use]
    pub const fn disclosure(&self) -> Disclosure {
        self.disclosure
    }

    /// The policy of `scope`.
    #[must_use]
    pub const fn policy(&self, scope: Scope) -> &Policy {
        match scope {
            Scope::User => &self.user,
            Scope::UserSource => &self.user_source,
            Scope::Source => &self.source,
        }
    }

    /// The key `ip` is counted under ([`SourceKey::new`] with this policy's prefix).
    ///
    /// ```
    /// use account_lockout::{dialect::PingOne, GuardPolicy};
    /// let p = PingOne { failure_count: 5, duration_seconds: Some(60) }.policy().unwrap();
    /// let policy = GuardPolicy::new(p, p, p);
    /// assert_eq!(policy.source_key("2001:db8::1".parse().unwrap()).to_string(), "2001:db8::/64");
    /// ```
    #[must_use]
    pub fn source_key(&self, ip: IpAddr) -> SourceKey {
        SourceKey::masked(ip, self.ipv6_prefix)
    }
}
