//! The store's settings.

use std::time::Duration;

use crate::error::Error;

/// How a [`crate::Store`] names its keys, how long it keeps them, and how hard it tries.
/// Where the database is, is the backend's business ([`crate::Backend`]).
///
/// Every node of a fleet that shares accounts must use the same `key_prefix` and the same
/// policy for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Prepended to every account key: `prefix + user` is the key.
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
    /// How long one call to the backend may take (a read, a compare-and-set, a
    /// delete); past it the call is dropped and the event fails with [`Error::Timeout`].
    pub response_timeout: Duration,
    /// How many compare-and-sets an event tries before it gives up with
    /// [`Error::Conflict`] (at least 1).
    pub max_attempts: u32,
    /// How long an event may keep retrying lost compare-and-sets: once it has passed, the
    /// next retry gives up with [`Error::Conflict`] (nothing written) instead. Checked
    /// before each retry, never before the first try: contention holds an event at most
    /// this long plus one compare-and-set and one read (each within `response_timeout`)
    /// and a pause of at most 1 ms.
    pub event_deadline: Duration,
    /// Added to every TTL ([`crate::retention`]): covers the time between computing a
    /// TTL and the database applying it, and the database's clock running at another rate.
    pub ttl_margin: Duration,
    /// How many accounts' latest known bytes each store (and its clones) remembers, so
    /// that an event can try its compare-and-set at once, without a read first: one
    /// round trip when nothing else wrote the key meanwhile, two when something did
    /// (the failed compare-and-set returns the current bytes). `0`: no cache, every
    /// event reads first. The cache is only a guess: every decision is confirmed by a
    /// compare-and-set or a read of the same event (see [`crate::Store`]). Keys longer
    /// than 512 bytes (a long user name) are not remembered, so the cache's memory is
    /// bounded whatever names a spray sends.
    pub cache_entries: usize,
}

impl Default for Config {
    /// Key prefix `"lockout:"` (unknown names under `"unknown:lockout:"`, in 4,096
    /// buckets), 500 ms per call, 100 compare-and-sets within 2 s per event, a 5-minute
    /// TTL margin, a retention of at most 7 days for a count, and a cache of 65,536
    /// accounts.
    fn default() -> Config {
        Config {
            key_prefix: "lockout:".into(),
            unknown_prefix: "unknown:lockout:".into(),
            unknown_buckets: 4_096,
            max_retention: Some(Duration::from_secs(7 * 24 * 3_600)),
            response_timeout: Duration::from_millis(500),
            max_attempts: 100,
            event_deadline: Duration::from_secs(2),
            ttl_margin: Duration::from_secs(300),
            cache_entries: 65_536,
        }
    }
}

impl Config {
    /// The same settings with another key prefix (and `"unknown:" + prefix` for the
    /// unknown names).
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Config {
        self.key_prefix = prefix.into();
        self.unknown_prefix = format!("unknown:{}", self.key_prefix);
        self
    }

    /// Checks what the types cannot.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.response_timeout.is_zero() {
            return Err(Error::Config("response_timeout must not be zero".into()));
        }
        if self.max_attempts == 0 {
            return Err(Error::Config("max_attempts must be at least 1".into()));
        }
        if self.unknown_buckets == 0 {
            return Err(Error::Config("unknown_buckets must be at least 1".into()));
        }
        if self.unknown_prefix.starts_with(&self.key_prefix)
            || self.key_prefix.starts_with(&self.unknown_prefix)
        {
            return Err(Error::Config(format!(
                "unknown_prefix {:?} and key_prefix {:?}: one starts with the other, so a \
                 user's key could be a bucket of unknown names",
                self.unknown_prefix, self.key_prefix
            )));
        }
        if self.max_retention.is_some_and(|cap| cap.is_zero()) {
            return Err(Error::Config("max_retention must not be zero".into()));
        }
        Ok(())
    }
}
