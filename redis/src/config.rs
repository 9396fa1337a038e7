//! The store's settings.

use std::time::Duration;

use crate::error::Error;

/// How a [`crate::Store`] reaches Redis and how hard it tries.
///
/// Every node of a fleet that shares accounts must use the same `key_prefix` and the same
/// policy for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The server, as a `redis://host:port/db` URL (`rediss://` needs the client's TLS
    /// features, which this crate does not enable).
    pub url: String,
    /// Prepended to every account key: `prefix + user` is the Redis key.
    pub key_prefix: String,
    /// Prepended to the keys of the names the host marks unknown
    /// ([`crate::Store::unknown_failure`]): `unknown_prefix + bucket`. It must not start
    /// with `key_prefix` (a user's key could then be a bucket's).
    pub unknown_prefix: String,
    /// How many keys all unknown names share, at least 1: each unknown name counts its
    /// failures in one of these buckets (chosen by a hash of the name), so a spray of
    /// made-up names costs at most this many keys.
    pub unknown_buckets: u32,
    /// The longest a key lives after the account's latest event when only a count keeps
    /// it (enabled, nothing in flight, no lock or one that ends before): a count that
    /// never decays is forgotten this long after the account's latest event, so that
    /// every key expires ([`crate::retention::bounded_retention`]). `None`: keys live as
    /// long as the policy needs, forever for a count that never decays.
    pub max_retention: Option<Duration>,
    /// How long connecting may take.
    pub connect_timeout: Duration,
    /// How long one reply may take (read and write timeouts of the connection).
    pub response_timeout: Duration,
    /// How many compare-and-sets an event tries before it gives up with
    /// [`Error::Conflict`] (at least 1).
    pub max_attempts: u32,
    /// How long an event may keep retrying lost compare-and-sets: once it has passed, the
    /// next retry gives up with [`Error::Timeout`] (nothing written) instead. Checked
    /// before each retry, never before the first try: contention holds an event at most
    /// this long plus one compare-and-set and one read (each within `response_timeout`)
    /// and a pause of at most 1 ms.
    pub event_deadline: Duration,
    /// Added to every TTL ([`crate::retention`]): covers the time between computing a
    /// TTL and Redis applying it, and Redis's clock running at another rate.
    pub ttl_margin: Duration,
}

impl Config {
    /// The defaults for `url`: key prefix `"lockout:"` (unknown names under
    /// `"unknown:lockout:"`, in 4,096 buckets), 500 ms to connect and per reply, 100
    /// compare-and-sets within 2 s per event, a 5-minute TTL margin, a retention of at
    /// most 7 days for a count.
    pub fn new(url: impl Into<String>) -> Config {
        Config {
            url: url.into(),
            key_prefix: "lockout:".into(),
            unknown_prefix: "unknown:lockout:".into(),
            unknown_buckets: 4_096,
            max_retention: Some(Duration::from_secs(7 * 24 * 3_600)),
            connect_timeout: Duration::from_millis(500),
            response_timeout: Duration::from_millis(500),
            max_attempts: 100,
            event_deadline: Duration::from_secs(2),
            ttl_margin: Duration::from_secs(300),
        }
    }

    /// The same settings with another key prefix (and `"unknown:" + prefix` for the
    /// unknown names).
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Config {
        self.key_prefix = prefix.into();
        self.unknown_prefix = format!("unknown:{}", self.key_prefix);
        self
    }

    /// Checks what the types cannot.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.connect_timeout.is_zero() || self.response_timeout.is_zero() {
            return Err(Error::Config("timeouts must not be zero".into()));
        }
        if self.max_attempts == 0 {
            return Err(Error::Config("max_attempts must be at least 1".into()));
        }
        if self.unknown_buckets == 0 {
            return Err(Error::Config("unknown_buckets must be at least 1".into()));
        }
        if self.unknown_prefix.starts_with(&self.key_prefix) {
            return Err(Error::Config(format!(
                "unknown_prefix {:?} starts with key_prefix {:?}: a user's key could be a \
                 bucket of unknown names",
                self.unknown_prefix, self.key_prefix
            )));
        }
        if self.max_retention.is_some_and(|cap| cap.is_zero()) {
            return Err(Error::Config("max_retention must not be zero".into()));
        }
        Ok(())
    }
}
