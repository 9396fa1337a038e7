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
    /// The defaults for `url`: key prefix `"lockout:"`, 500 ms to connect and per reply,
    /// 100 compare-and-sets within 2 s per event, a 5-minute TTL margin.
    pub fn new(url: impl Into<String>) -> Config {
        Config {
            url: url.into(),
            key_prefix: "lockout:".into(),
            connect_timeout: Duration::from_millis(500),
            response_timeout: Duration::from_millis(500),
            max_attempts: 100,
            event_deadline: Duration::from_secs(2),
            ttl_margin: Duration::from_secs(300),
        }
    }

    /// The same settings with another key prefix.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Config {
        self.key_prefix = prefix.into();
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
        Ok(())
    }
}
