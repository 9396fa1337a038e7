//! PostgreSQL, through tokio-postgres: [`PostgresBackend`].

use std::fmt;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::RwLock;
use tokio_postgres::error::{DbError, Severity, SqlState};
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::types::Type;
use tokio_postgres::{Client, NoTls, Socket, Statement};

use crate::backend::{Backend, Swap, Write};
use crate::error::Error;

/// The table [`PostgresBackend::connect`] uses.
const DEFAULT_TABLE: &str = "account_lockout";

/// The connections [`PostgresBackend::connect`] opens (see the type's documentation).
const DEFAULT_CLIENTS: usize = 4;

/// How long a connection may take when the connection string sets no `connect_timeout`.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest TTL written (about 1,000 years): the database's timestamps end in 294276.
const MAX_TTL_MILLIS: i64 = 1_000 * 366 * 24 * 3_600 * 1_000;

/// Accounts in a PostgreSQL table, one row per key:
///
/// ```sql
/// CREATE TABLE account_lockout (key text PRIMARY KEY, state bytea NOT NULL, expires_at timestamptz NULL);
/// CREATE INDEX account_lockout_expires_at ON account_lockout (expires_at) WHERE expires_at IS NOT NULL;
/// ```
///
/// [`PostgresBackend::connect`] creates both if the table is missing (so the first
/// connection needs the `CREATE` privilege on the schema; later ones need only `SELECT`,
/// `INSERT`, `UPDATE` and `DELETE` on the table).
///
/// **Expiry.** A TTL is counted by the server's clock: a write stores
/// `expires_at = now() + ttl`, and every statement treats a row whose `expires_at <=
/// now()` as absent: a read does not return it, a compare-and-set expecting the key
/// absent overwrites it, one expecting a value does not match it. PostgreSQL does not
/// remove such rows by itself: [`Backend::purge_expired`] deletes them (through the index
/// on `expires_at`); run it now and then from any node (it never removes a live row).
///
/// **Compare-and-set**: one statement, so one round trip, at the default isolation
/// (`READ COMMITTED`):
///
/// - expecting a value: `UPDATE … WHERE key = $k AND state = $old AND (expires_at IS NULL
///   OR expires_at > now())` (or the `DELETE` with the same condition);
/// - expecting the key absent: `INSERT … ON CONFLICT (key) DO NOTHING`, and in the same
///   statement `UPDATE … WHERE key = $k AND expires_at <= now()` for an expired row. At
///   most one of them writes: the insert only where no row is there (it waits for a
///   transaction inserting or deleting the key, then decides), the update only on an
///   expired row of the statement's snapshot, checked again if another transaction
///   changed it meanwhile (a row deleted meanwhile is skipped: the insert then takes its
///   place, or another writer did). The usual upsert, `ON CONFLICT (key) DO UPDATE …
///   WHERE expires_at <= now()`, is as atomic, but it locks the row it finds even when
///   its condition fails: a compare-and-set lost to a live row, which is every node's
///   first event on an account it has not seen (it guesses the key absent), would take a
///   transaction id, write a WAL commit record and wait for its flush, and hold up that
///   row's writers. `DO NOTHING` locks nothing;
/// - deleting a key expected absent: the expired row, if any, is deleted.
///
/// A write that finds a row changed by a transaction that committed while it waited for
/// the row's lock checks its condition again on the new row (PostgreSQL's `READ
/// COMMITTED` re-check), so two compare-and-sets never both win on one value: no lost
/// update. The same statement returns, in a common table expression, whether it wrote
/// and, if not, the key's live value from the statement's snapshot, so a lost
/// compare-and-set costs no second round trip. That snapshot predates a write that
/// committed while the statement waited: when the value it returns is the one expected
/// (the only case where it is stale), the backend reads the key again in a statement of
/// its own before answering [`Swap::Changed`]. This second round trip happens only in
/// that race; the alternative that avoids it, locking the row in the fallback
/// (`FOR SHARE`), would make every lost compare-and-set take a transaction id and wait
/// for a WAL flush.
///
/// **Connections.** `clients` connections (4 by [`PostgresBackend::connect`]), each
/// with its statements prepared, shared round-robin by every clone and task. A
/// tokio-postgres client pipelines the statements of many tasks on one connection, so a
/// few suffice; more than one because the server runs a connection's statements one
/// after another in one process: a statement waiting for a row lock (another node
/// writing the same account) holds up those queued behind it, and one connection uses
/// one server core. A connection that broke (server restart, a terminated backend, a
/// network error) is replaced by the next call that picks it, and so is one that left a
/// call unanswered when the call was abandoned (the store's
/// [`crate::Config::response_timeout`]): a connection that stopped answering is not
/// kept waiting on TCP's own timeouts.
///
/// `T` makes the connections: [`NoTls`] ([`PostgresBackend::connect`]), or a TLS
/// connector of the tokio-postgres ecosystem (postgres-native-tls, tokio-postgres-rustls)
/// through [`PostgresBackend::connect_with`].
pub struct PostgresBackend<T = NoTls> {
    shared: Arc<Shared<T>>,
}

impl<T> Clone for PostgresBackend<T> {
    fn clone(&self) -> Self {
        PostgresBackend {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> fmt::Debug for PostgresBackend<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresBackend")
            .field("table", &self.shared.table)
            .field("clients", &self.shared.slots.len())
            .finish_non_exhaustive()
    }
}

struct Shared<T> {
    config: tokio_postgres::Config,
    tls: T,
    table: String,
    sql: Sql,
    slots: Box<[RwLock<Option<Arc<Session>>>]>,
    next: AtomicUsize,
}

/// The statements' text for one table.
struct Sql {
    read: String,
    set_if_absent: String,
    set_if_equal: String,
    delete_if_absent: String,
    delete_if_equal: String,
    delete: String,
    purge: String,
}

impl Sql {
    fn new(table: &str) -> Sql {
        const LIVE: &str = "(expires_at IS NULL OR expires_at > now())";
        const EXPIRES: &str = "now() + $_ * interval '1 millisecond'";
        // The statement's answer: whether it wrote, and the key's live value from its
        // snapshot (evaluated only when it did not write).
        let answer = format!(
            "SELECT EXISTS (SELECT 1 FROM written), \
             CASE WHEN EXISTS (SELECT 1 FROM written) THEN NULL \
             ELSE (SELECT state FROM {table} WHERE key = $1 AND {LIVE}) END"
        );
        Sql {
            read: format!("SELECT state FROM {table} WHERE key = $1 AND {LIVE}"),
            // $1 key, $2 new state, $3 TTL in ms (NULL: none). Inserts, or replaces an
            // expired row (see the type's documentation).
            set_if_absent: format!(
                "WITH inserted AS (\
                 INSERT INTO {table} (key, state, expires_at) VALUES ($1, $2, {expires}) \
                 ON CONFLICT (key) DO NOTHING RETURNING 1), \
                 replaced AS (\
                 UPDATE {table} SET state = $2, expires_at = {expires} \
                 WHERE key = $1 AND expires_at <= now() RETURNING 1), \
                 written AS (SELECT 1 FROM inserted UNION ALL SELECT 1 FROM replaced) \
                 {answer}",
                expires = EXPIRES.replace("$_", "$3")
            ),
            // $1 key, $2 expected state, $3 new state, $4 TTL in ms (NULL: none).
            set_if_equal: format!(
                "WITH written AS (\
                 UPDATE {table} SET state = $3, expires_at = {} \
                 WHERE key = $1 AND state = $2 AND {LIVE} RETURNING 1) {answer}",
                EXPIRES.replace("$_", "$4")
            ),
            // $1 key. Deletes the expired row; done if no live row is there.
            delete_if_absent: format!(
                "WITH gone AS (DELETE FROM {table} WHERE key = $1 AND expires_at <= now()), \
                 live AS (SELECT state FROM {table} WHERE key = $1 AND {LIVE}) \
                 SELECT NOT EXISTS (SELECT 1 FROM live), (SELECT state FROM live)"
            ),
            // $1 key, $2 expected state.
            delete_if_equal: format!(
                "WITH written AS (\
                 DELETE FROM {table} WHERE key = $1 AND state = $2 AND {LIVE} RETURNING 1) \
                 {answer}"
            ),
            // $1 key. Whether the row that went was live.
            delete: format!("DELETE FROM {table} WHERE key = $1 RETURNING {LIVE}"),
            // In batches that skip rows being written: a purge never holds many row
            // locks at once, nor waits on (or holds up) an event's statement.
            purge: format!(
                "DELETE FROM {table} WHERE ctid IN (SELECT ctid FROM {table} \
                 WHERE expires_at <= now() LIMIT {PURGE_BATCH} FOR UPDATE SKIP LOCKED)"
            ),
        }
    }
}

/// One connection and its prepared statements.
struct Session {
    client: Client,
    read: Statement,
    set_if_absent: Statement,
    set_if_equal: Statement,
    delete_if_absent: Statement,
    delete_if_equal: Statement,
    delete: Statement,
    purge: Statement,
    /// A call on it was dropped before its answer came (timed out by the store).
    abandoned: AtomicBool,
}

/// How many expired rows one statement of [`Backend::purge_expired`] deletes at most.
const PURGE_BATCH: u64 = 1_000;

impl Session {
    fn usable(&self) -> bool {
        !self.client.is_closed() && !self.abandoned.load(Ordering::Relaxed)
    }

    /// Runs `call` on this connection; if it is dropped unanswered, the connection is
    /// replaced by the next call that picks it. `write`: whether `call` may write.
    async fn run<R>(
        &self,
        write: bool,
        call: impl Future<Output = Result<R, tokio_postgres::Error>>,
    ) -> Result<R, Error> {
        let mut flight = InFlight {
            abandoned: &self.abandoned,
            answered: false,
        };
        let result = call.await;
        flight.answered = true;
        result.map_err(|error| from_postgres(error, write))
    }
}

/// Marks a connection abandoned when a call is dropped before its answer.
struct InFlight<'a> {
    abandoned: &'a AtomicBool,
    answered: bool,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if !self.answered {
            self.abandoned.store(true, Ordering::Relaxed);
        }
    }
}

impl PostgresBackend<NoTls> {
    /// A backend on the database `conninfo` names (`host=… port=… user=… dbname=…`, or a
    /// `postgresql://` URL; tokio-postgres's [`tokio_postgres::Config`]), without TLS, on
    /// the table `account_lockout` (created if missing), over 4 connections. A
    /// connection string without `connect_timeout` gets one of 5 s.
    ///
    /// Fails with [`Error::Config`] for a connection string that does not parse, with
    /// [`Error::Connection`] or [`Error::Timeout`] when the server cannot be reached,
    /// and with [`Error::Server`] when it refuses (authentication, privileges).
    pub async fn connect(conninfo: &str) -> Result<Self, Error> {
        PostgresBackend::connect_with(conninfo, NoTls, DEFAULT_TABLE, DEFAULT_CLIENTS).await
    }
}

impl<T> PostgresBackend<T>
where
    T: MakeTlsConnect<Socket> + Clone + Send + Sync + 'static,
    T::Stream: Send + 'static,
    T::TlsConnect: Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    /// As [`PostgresBackend::connect`], with connections made by `tls`, on `table` (an
    /// unquoted identifier, optionally schema-qualified: `lockout.accounts`), over
    /// `clients` connections (at least 1). All of them are opened now; the table and
    /// its index are created if the table is missing (under an advisory lock, so nodes
    /// starting together do not race on it).
    pub async fn connect_with(
        conninfo: &str,
        tls: T,
        table: &str,
        clients: usize,
    ) -> Result<Self, Error> {
        let mut config: tokio_postgres::Config = conninfo.parse().map_err(|error| {
            Error::Config(format!("invalid PostgreSQL connection string: {error}"))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(DEFAULT_CONNECT_TIMEOUT);
        }
        check_table_name(table)?;
        if clients == 0 {
            return Err(Error::Config(
                "a PostgresBackend needs at least one connection".into(),
            ));
        }
        let shared = Shared {
            config,
            tls,
            table: table.to_owned(),
            sql: Sql::new(table),
            slots: (0..clients).map(|_| RwLock::new(None)).collect(),
            next: AtomicUsize::new(0),
        };
        let backend = PostgresBackend {
            shared: Arc::new(shared),
        };
        let mut create = true;
        for slot in backend.shared.slots.iter() {
            let session = backend.open(create).await?;
            create = false;
            *slot.write().await = Some(Arc::new(session));
        }
        Ok(backend)
    }

    /// The table the accounts are kept in.
    pub fn table(&self) -> &str {
        &self.shared.table
    }

    /// A new connection with its statements prepared; first, if `create`, the table and
    /// its index when the table is missing.
    async fn open(&self, create: bool) -> Result<Session, Error> {
        let shared = &*self.shared;
        let (client, connection) = shared
            .config
            .connect(shared.tls.clone())
            .await
            .map_err(|error| from_postgres(error, false))?;
        // The connection's I/O; it ends when the connection breaks or the client goes.
        tokio::spawn(async move {
            let _ended = connection.await;
        });
        let failed = |error| from_postgres(error, false);
        if create {
            let exists: bool = client
                .query_one("SELECT to_regclass($1) IS NOT NULL", &[&shared.table])
                .await
                .and_then(|row| row.try_get(0))
                .map_err(failed)?;
            if !exists {
                client
                    .batch_execute(&create_table(&shared.table))
                    .await
                    .map_err(failed)?;
            }
        }
        let sql = &shared.sql;
        let prepare = async |text: &str, types: &[Type]| {
            client.prepare_typed(text, types).await.map_err(failed)
        };
        const KEY: &[Type] = &[Type::TEXT];
        const KEY_STATE: &[Type] = &[Type::TEXT, Type::BYTEA];
        const KEY_STATE_TTL: &[Type] = &[Type::TEXT, Type::BYTEA, Type::INT8];
        const KEY_STATES_TTL: &[Type] = &[Type::TEXT, Type::BYTEA, Type::BYTEA, Type::INT8];
        // All at once: the client pipelines them, one round trip rather than seven.
        let (read, set_if_absent, set_if_equal, delete_if_absent, delete_if_equal, delete, purge) =
            tokio::try_join!(
                prepare(&sql.read, KEY),
                prepare(&sql.set_if_absent, KEY_STATE_TTL),
                prepare(&sql.set_if_equal, KEY_STATES_TTL),
                prepare(&sql.delete_if_absent, KEY),
                prepare(&sql.delete_if_equal, KEY_STATE),
                prepare(&sql.delete, KEY),
                prepare(&sql.purge, &[]),
            )?;
        Ok(Session {
            read,
            set_if_absent,
            set_if_equal,
            delete_if_absent,
            delete_if_equal,
            delete,
            purge,
            client,
            abandoned: AtomicBool::new(false),
        })
    }

    /// The next connection, round-robin; a broken or abandoned one is replaced first.
    async fn session(&self) -> Result<Arc<Session>, Error> {
        let slots = &self.shared.slots;
        let index = self
            .shared
            .next
            .fetch_add(1, Ordering::Relaxed)
            .checked_rem(slots.len())
            .unwrap_or(0);
        let slot = slots
            .get(index)
            .ok_or(Error::Internal("a PostgresBackend without connections"))?;
        if let Some(session) = slot.read().await.as_ref().filter(|s| s.usable()) {
            return Ok(Arc::clone(session));
        }
        // Replaced in a task of its own: a caller that times out (the store's response
        // timeout) does not abandon the reconnection halfway, so a slow reconnection
        // still completes, and the next caller finds it done.
        let backend = self.clone();
        tokio::spawn(async move { backend.replace(index).await })
            .await
            .map_err(|_| Error::Internal("the task replacing a connection did not finish"))?
    }

    /// Replaces the connection of slot `index` if it is broken or abandoned.
    async fn replace(&self, index: usize) -> Result<Arc<Session>, Error> {
        let slot = self
            .shared
            .slots
            .get(index)
            .ok_or(Error::Internal("a PostgresBackend without connections"))?;
        let mut guard = slot.write().await;
        if let Some(session) = guard.as_ref().filter(|s| s.usable()) {
            return Ok(Arc::clone(session));
        }
        // Calls still running on the old connection keep it until they end.
        *guard = None;
        let session = Arc::new(self.open(false).await?);
        *guard = Some(Arc::clone(&session));
        Ok(session)
    }

    /// The key's live value, on `session`.
    async fn read_on(&self, session: &Session, key: &str) -> Result<Option<Vec<u8>>, Error> {
        let row = session
            .run(false, session.client.query_opt(&session.read, &[&key]))
            .await?;
        match row {
            Some(row) => row.try_get(0).map_err(|error| from_postgres(error, false)),
            None => Ok(None),
        }
    }
}

impl<T> Backend for PostgresBackend<T>
where
    T: MakeTlsConnect<Socket> + Clone + Send + Sync + 'static,
    T::Stream: Send + 'static,
    T::TlsConnect: Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    async fn read(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        let session = self.session().await?;
        self.read_on(&session, key).await
    }

    async fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        write: Write<'_>,
    ) -> Result<Swap, Error> {
        let session = self.session().await?;
        let client = &session.client;
        let row = match (expected, write) {
            (None, Write::Set { bytes, ttl }) => {
                let ttl = ttl_millis(ttl);
                session
                    .run(
                        true,
                        client.query_one(&session.set_if_absent, &[&key, &bytes, &ttl]),
                    )
                    .await?
            }
            (Some(old), Write::Set { bytes, ttl }) => {
                let ttl = ttl_millis(ttl);
                session
                    .run(
                        true,
                        client.query_one(&session.set_if_equal, &[&key, &old, &bytes, &ttl]),
                    )
                    .await?
            }
            (None, Write::Delete) => {
                session
                    .run(true, client.query_one(&session.delete_if_absent, &[&key]))
                    .await?
            }
            (Some(old), Write::Delete) => {
                session
                    .run(
                        true,
                        client.query_one(&session.delete_if_equal, &[&key, &old]),
                    )
                    .await?
            }
        };
        // An answer that does not parse: whether the statement wrote is unknown.
        let unreadable = |error| from_postgres(error, true);
        let done: bool = row.try_get(0).map_err(unreadable)?;
        if done {
            return Ok(Swap::Done);
        }
        let current: Option<Vec<u8>> = row.try_get(1).map_err(unreadable)?;
        if current.as_deref() != expected {
            return Ok(Swap::Changed(current));
        }
        // The snapshot still held the expected value, so a write committed while the
        // statement waited for the row: read what it wrote (nothing was written here).
        Ok(Swap::Changed(self.read_on(&session, key).await?))
    }

    async fn delete(&self, key: &str) -> Result<bool, Error> {
        let session = self.session().await?;
        let rows = session
            .run(true, session.client.query(&session.delete, &[&key]))
            .await?;
        let mut live = false;
        for row in rows {
            let was_live: bool = row.try_get(0).map_err(|error| from_postgres(error, true))?;
            live |= was_live;
        }
        Ok(live)
    }

    async fn purge_expired(&self) -> Result<u64, Error> {
        let mut purged: u64 = 0;
        loop {
            let session = self.session().await?;
            let batch = session
                .run(true, session.client.execute(&session.purge, &[]))
                .await?;
            purged = purged.saturating_add(batch);
            if batch < PURGE_BATCH {
                return Ok(purged);
            }
        }
    }
}

/// The table and its index, created under a transaction-scoped advisory lock (one
/// implicit transaction: the statements are sent as one simple query).
fn create_table(table: &str) -> String {
    let name = table.rsplit('.').next().unwrap_or(table);
    format!(
        "SELECT pg_advisory_xact_lock(hashtext('account-lockout-store table {table}')); \
         CREATE TABLE IF NOT EXISTS {table} (\
         key text PRIMARY KEY, state bytea NOT NULL, expires_at timestamptz NULL); \
         CREATE INDEX IF NOT EXISTS {name}_expires_at ON {table} (expires_at) \
         WHERE expires_at IS NOT NULL;"
    )
}

/// Accepts `name` or `schema.name`, each an unquoted identifier (a letter or `_`, then
/// letters, digits or `_`, at most 63 bytes): the name is written into the statements.
fn check_table_name(table: &str) -> Result<(), Error> {
    let identifier = |part: &str| {
        let mut chars = part.chars();
        part.len() <= 63
            && chars
                .next()
                .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let parts: Vec<&str> = table.split('.').collect();
    if (1..=2).contains(&parts.len()) && parts.iter().all(|part| identifier(part)) {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "{table:?} is not a table name: expected name or schema.name, each a letter or _ \
             then letters, digits or _ (at most 63)"
        )))
    }
}

/// A TTL in milliseconds for the statements: at least 1, at most [`MAX_TTL_MILLIS`];
/// `None`, no expiry.
fn ttl_millis(ttl: Option<Duration>) -> Option<i64> {
    ttl.map(|ttl| {
        i64::try_from(ttl.as_millis())
            .unwrap_or(MAX_TTL_MILLIS)
            .clamp(1, MAX_TTL_MILLIS)
    })
}

/// Classifies a client error. `write`: whether the call may have written, which only a
/// call whose answer was lost leaves open.
fn from_postgres(error: tokio_postgres::Error, write: bool) -> Error {
    let source = Box::new(error);
    if let Some(db) = source.as_db_error() {
        return match classify(db) {
            Class::Connection => Error::Connection {
                source,
                maybe_written: write,
            },
            Class::Timeout => Error::Timeout {
                source,
                maybe_written: false,
            },
            Class::Server => Error::Server {
                source,
                maybe_written: false,
            },
        };
    }
    let io_error = std::error::Error::source(&*source)
        .and_then(|cause| cause.downcast_ref::<io::Error>())
        .map(io::Error::kind);
    match io_error {
        Some(io::ErrorKind::TimedOut) => Error::Timeout {
            source,
            maybe_written: write,
        },
        // The socket failed.
        Some(_) => Error::Connection {
            source,
            maybe_written: write,
        },
        // The connection had closed (its task ended), or closed during the call.
        None if source.is_closed() => Error::Connection {
            source,
            maybe_written: write,
        },
        // An answer that does not parse, a TLS or configuration error.
        None => Error::Server {
            source,
            maybe_written: write,
        },
    }
}

/// What an error the server sent is.
enum Class {
    /// The server is ending the connection.
    Connection,
    /// `statement_timeout` or `lock_timeout`: the statement was cancelled.
    Timeout,
    /// Anything else: the statement failed.
    Server,
}

/// A statement runs in a transaction of its own, so an error reply means nothing was
/// written, except when the server is ending the connection (`FATAL`: a terminated
/// backend, a shutdown): the client then cannot know whether the statement committed
/// before the server went.
fn classify(db: &DbError) -> Class {
    let code = db.code();
    let fatal = matches!(
        db.parsed_severity(),
        Some(Severity::Fatal | Severity::Panic)
    );
    if fatal
        || code.code().starts_with("08")
        || *code == SqlState::ADMIN_SHUTDOWN
        || *code == SqlState::CRASH_SHUTDOWN
        || *code == SqlState::CANNOT_CONNECT_NOW
    {
        Class::Connection
    } else if *code == SqlState::QUERY_CANCELED || *code == SqlState::LOCK_NOT_AVAILABLE {
        Class::Timeout
    } else {
        Class::Server
    }
}
