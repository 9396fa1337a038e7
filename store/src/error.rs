//! What can go wrong, and what the caller does about it: [`Error`] and [`FailMode`].

use std::fmt;

use account_lockout::{DecodeError, OperationError};

/// The database client's own error, boxed: each backend has its own type.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What a login does when the shared state cannot be read or written.
///
/// - [`FailMode::Closed`] refuses the login: safe against guessing (an outage never
///   lets a password guess through uncounted), but an outage of the store locks everybody
///   out.
/// - [`FailMode::Open`] lets the login go on uncounted: no denial of service, but
///   guesses made during the outage are not counted (and are not counted later either:
///   nothing is queued). A stored value that does not decode ([`Error::Corrupt`]) is not
///   an outage: it refuses the login in this mode too.
///
/// The library never chooses: every such failure is an [`Error`], and
/// [`Error::allows_attempt`] gives the caller's decision for its mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FailMode {
    /// Allow the attempt when the store fails.
    Open,
    /// Reject the attempt when the store fails.
    Closed,
}

/// Why an operation on the shared state did not complete.
///
/// Two families: the *store* failed ([`Error::Config`], [`Error::Connection`],
/// [`Error::Timeout`], [`Error::Server`], [`Error::Corrupt`], [`Error::Conflict`],
/// [`Error::Internal`]; see [`Error::is_store_failure`]), or the lockout library *refused* the operation
/// ([`Error::Refused`], [`Error::UnknownAttempt`]), which is not an outage and changes
/// nothing.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is invalid: a bad URL, a zero timeout, a policy the store's
    /// account type cannot hold, or a server whose `maxmemory-policy` may evict keys
    /// (checked whenever the store connects).
    Config(String),
    /// The database could not be reached, or the connection broke (refused, reset, closed).
    Connection {
        /// The client's error.
        source: BoxError,
        /// Whether the write may have reached the database (the connection broke while the
        /// compare-and-set was sent or awaited): the operation may or may not be applied.
        maybe_written: bool,
    },
    /// The database did not answer within the response timeout (or the connection
    /// timeout). Contention that outlasts [`crate::Config::event_deadline`] is an
    /// [`Error::Conflict`] instead.
    Timeout {
        /// The client's error.
        source: BoxError,
        /// Whether the write may have reached the database, as for [`Error::Connection`].
        maybe_written: bool,
    },
    /// The database answered with an error (out of memory, read-only replica, still
    /// loading, wrong type, authentication, a failed serializable transaction).
    Server {
        /// The client's error.
        source: BoxError,
        /// Whether the write may have reached the database (an error reply to a
        /// compare-and-set means its write did not happen, so this is `false` unless
        /// the reply itself was unreadable).
        maybe_written: bool,
    },
    /// The stored value is not a valid account state, nor one the store can migrate to
    /// this policy (bit rot, another program writing to the key, a format version this
    /// build does not know; see the crate's README on policy changes). It is left as it is: only [`crate::Store::forget`] removes
    /// it. It never allows the attempt, in either [`FailMode`]
    /// ([`Error::allows_attempt`]).
    Corrupt {
        /// The key.
        key: String,
        /// Why the value does not decode.
        error: DecodeError,
    },
    /// Other nodes kept changing the account: every one of `attempts` compare-and-sets
    /// lost, or the event's retries outlasted [`crate::Config::event_deadline`].
    /// Nothing was written. It refuses the attempt in both fail modes
    /// ([`Error::allows_attempt`]).
    Conflict {
        /// The key.
        key: String,
        /// The compare-and-sets tried.
        attempts: u32,
    },
    /// The lockout library refused the operation (an account type too small for the
    /// policy, an administrator lock or patch that is not valid now); nothing changed.
    Refused(OperationError),
    /// [`crate::Store::finish_attempt`] with a token that is not the attempt in flight:
    /// finished already, replaced by a later attempt (which counted it as a failure), or
    /// recovered. Nothing changed; the attempt has already been counted.
    UnknownAttempt,
    /// An invariant of this crate did not hold (a bug, to be reported): nothing was
    /// written. It is a store failure, so the caller's [`FailMode`] decides as for an
    /// outage: [`FailMode::Closed`] refuses the login, [`FailMode::Open`] lets it go on
    /// uncounted.
    Internal(&'static str),
}

impl Error {
    /// Whether the store failed (as opposed to the library refusing the operation):
    /// the case where the caller's [`FailMode`] decides.
    pub fn is_store_failure(&self) -> bool {
        matches!(
            self,
            Error::Config(_)
                | Error::Connection { .. }
                | Error::Timeout { .. }
                | Error::Server { .. }
                | Error::Corrupt { .. }
                | Error::Conflict { .. }
                | Error::Internal(_)
        )
    }

    /// Whether the write may have been applied although the operation failed. Only a
    /// broken connection or a timeout during the compare-and-set leaves that open;
    /// retrying such a failure may count it twice (the safe side for a lockout).
    pub fn maybe_written(&self) -> bool {
        match self {
            Error::Connection { maybe_written, .. }
            | Error::Timeout { maybe_written, .. }
            | Error::Server { maybe_written, .. } => *maybe_written,
            _ => false,
        }
    }

    /// Whether the attempt this error interrupted may go on: for a store failure, what
    /// `mode` says; a refused operation is never an outage and never allows it.
    ///
    /// [`Error::Corrupt`] never allows it, in either mode: a value that does not decode
    /// is not an outage but a state that cannot be read (it may be a lock), and the
    /// caller cannot wait it out: it stays until [`crate::Store::forget`] removes it.
    /// Failing open there would let every attempt on that user through, uncounted.
    ///
    /// [`Error::Conflict`] never allows it either: it is not an outage but contention
    /// on that one account (other nodes' events kept winning), and a burst of
    /// concurrent attempts on one account is what a guesser sends. Failing open there
    /// would let the burst's extra guesses through, uncounted, exactly when they come.
    pub fn allows_attempt(&self, mode: FailMode) -> bool {
        self.is_store_failure()
            && mode == FailMode::Open
            && !matches!(self, Error::Corrupt { .. } | Error::Conflict { .. })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let written = |maybe: bool| {
            if maybe {
                " (the write may have been applied)"
            } else {
                " (nothing was written)"
            }
        };
        match self {
            Error::Config(message) => write!(f, "invalid configuration: {message}"),
            Error::Connection {
                source,
                maybe_written,
            } => write!(
                f,
                "the store's connection failed: {source}{}",
                written(*maybe_written)
            ),
            Error::Timeout {
                source,
                maybe_written,
            } => write!(
                f,
                "the store timed out: {source}{}",
                written(*maybe_written)
            ),
            Error::Server {
                source,
                maybe_written,
            } => write!(
                f,
                "the store answered with an error: {source}{}",
                written(*maybe_written)
            ),
            Error::Corrupt { key, error } => {
                write!(
                    f,
                    "the value at {key:?} is not a valid account state: {error}"
                )
            }
            Error::Conflict { key, attempts } => write!(
                f,
                "{key:?} kept changing: {attempts} compare-and-sets lost (nothing was written)"
            ),
            Error::Refused(error) => write!(f, "refused: {error}"),
            Error::UnknownAttempt => f.write_str(
                "the token is not the attempt in flight (finished, replaced or recovered)",
            ),
            Error::Internal(what) => write!(
                f,
                "internal error in account-lockout-store: {what} (nothing was written)"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Connection { source, .. }
            | Error::Timeout { source, .. }
            | Error::Server { source, .. } => Some(source.as_ref()),
            Error::Corrupt { error, .. } => Some(error),
            Error::Refused(error) => Some(error),
            Error::Config(_)
            | Error::Conflict { .. }
            | Error::UnknownAttempt
            | Error::Internal(_) => None,
        }
    }
}

impl From<OperationError> for Error {
    fn from(error: OperationError) -> Error {
        Error::Refused(error)
    }
}
