//! Redis, one node or a cluster: [`RedisBackend`].

use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::{Client, RedisError, Script, Value};

use crate::backend::{Backend, Swap, Write};
use crate::error::Error;

/// The compare-and-set, run atomically by Redis.
///
/// `ARGV[1]` is `"1"` when the caller expects a value (`ARGV[2]`), `"0"` when it expects
/// the key absent. If the key does not hold exactly that, nothing is written and the reply
/// is `{0}` (absent) or `{0, value}`, so the caller can retry without another read.
/// Otherwise `ARGV[3]` says what to write: `"del"`, `"set"` (`ARGV[4]`, no expiry) or
/// `"px"` (`ARGV[4]` expiring after `ARGV[5]` ms); the reply is `{1}`. The write is the
/// script's last command, so an error reply means nothing was written. One key, so
/// Redis Cluster runs it on the key's node.
const COMPARE_AND_SET: &str = r"
local current = redis.call('GET', KEYS[1])
local same
if ARGV[1] == '1' then
  same = current ~= false and current == ARGV[2]
else
  same = current == false
end
if not same then
  if current == false then return {0} end
  return {0, current}
end
if ARGV[3] == 'del' then
  redis.call('DEL', KEYS[1])
elseif ARGV[3] == 'set' then
  redis.call('SET', KEYS[1], ARGV[4])
else
  redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5])
end
return {1}
";

/// Accounts in Redis: one string per key, the compare-and-set a Lua script
/// ([`RedisBackend::SCRIPT`]), called with `EVALSHA` (the script is loaded on a node that
/// does not know it yet). **One round trip** per compare-and-set, and a lost one returns
/// the current value, so the store never needs a read to retry.
///
/// `C` is any asynchronous connection of the `redis` crate that is cheap to clone and
/// shared by every task: a [`redis::aio::MultiplexedConnection`], a
/// [`ConnectionManager`] (reconnects by itself: [`RedisBackend::connect`]), or a
/// [`ClusterConnection`] ([`RedisBackend::connect_cluster`]). A pooled connection
/// (deadpool-redis, bb8) plugs in through a `Clone` handle that implements
/// [`ConnectionLike`] by taking a connection from the pool for each command.
///
/// **The server.** A key that Redis evicts is an account back in its initial state, so
/// [`RedisBackend::new`] refuses a server whose `maxmemory-policy` is not `noeviction`
/// ([`Error::Config`]). A server that refuses `CONFIG GET` (managed Redis services often
/// do) is accepted unchecked.
#[derive(Clone)]
pub struct RedisBackend<C = ConnectionManager> {
    connection: C,
    script: Script,
}

impl<C> std::fmt::Debug for RedisBackend<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBackend").finish_non_exhaustive()
    }
}

impl RedisBackend<ConnectionManager> {
    /// A backend on the server at `url` (`redis://host:port/db`), through a
    /// [`ConnectionManager`]: one multiplexed connection shared by every task, replaced
    /// in the background when it breaks. Connecting may take 500 ms, each reply 500 ms
    /// (the store's own [`crate::Config::response_timeout`] also applies).
    ///
    /// Fails with [`Error::Config`] for a bad URL or a server that may evict keys, and
    /// with [`Error::Connection`] or [`Error::Timeout`] when the server cannot be reached.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        let client = Client::open(url).map_err(|error| Error::Config(error.to_string()))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Duration::from_millis(500))
            .set_response_timeout(Duration::from_millis(500))
            .set_number_of_retries(2);
        let connection = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(|error| from_redis(error, false))?;
        RedisBackend::new(connection).await
    }
}

impl RedisBackend<ClusterConnection> {
    /// A backend on the Redis Cluster that `nodes` (`redis://host:port/` URLs, one or
    /// more of its nodes) belong to. Each script call runs on its key's node, and the
    /// connection follows the cluster's slots: a `MOVED` reply (after a failover or a
    /// slot that moved) makes the client refresh its map of the slots.
    ///
    /// The client sends no command twice on its own: a compare-and-set it sent again
    /// after a broken connection may have run already, and would then report its own
    /// write as another node's (the store would count the event twice). So a broken
    /// connection is an [`Error::Connection`] (the write may have happened). A reply that
    /// says the command did not run (`MOVED` after a failover, `ASK` while a slot
    /// migrates, `TRYAGAIN`, `CLUSTERDOWN`) is followed by this backend instead: it sends
    /// the command again, up to 8 times over about half a second, to the slot's new node.
    pub async fn connect_cluster(nodes: &[&str]) -> Result<Self, Error> {
        let client = ClusterClientBuilder::new(nodes.to_vec())
            .connection_timeout(Duration::from_millis(500))
            .response_timeout(Duration::from_millis(500))
            .retries(0)
            .build()
            .map_err(|error| Error::Config(error.to_string()))?;
        let connection = client
            .get_async_connection()
            .await
            .map_err(|error| from_redis(error, false))?;
        RedisBackend::new(connection).await
    }
}

impl<C> RedisBackend<C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    /// A backend on `connection`, with the server checked (see the type's
    /// documentation).
    pub async fn new(connection: C) -> Result<Self, Error> {
        let mut backend = RedisBackend::unchecked(connection);
        check_eviction(&mut backend.connection).await?;
        Ok(backend)
    }

    /// A backend on `connection`, with no check of the server's eviction policy.
    pub fn unchecked(connection: C) -> Self {
        RedisBackend {
            connection,
            script: Script::new(COMPARE_AND_SET),
        }
    }

    /// The compare-and-set script's Lua source, as Redis runs it (`EVALSHA` of its
    /// SHA-1): to load it yourself, or to measure it with `redis-benchmark`.
    pub const SCRIPT: &'static str = COMPARE_AND_SET;

    /// The connection.
    pub fn connection(&self) -> &C {
        &self.connection
    }
}

impl<C> Backend for RedisBackend<C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    async fn read(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        let get = redis::cmd("GET").arg(key).to_owned();
        follow_cluster(|| {
            let mut connection = self.connection.clone();
            let get = &get;
            async move { get.query_async(&mut connection).await }
        })
        .await
        .map_err(|error| from_redis(error, false))
    }

    async fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        write: Write<'_>,
    ) -> Result<Swap, Error> {
        let (mode, bytes, ttl): (&str, &[u8], u64) = match write {
            Write::Delete => ("del", &[], 0),
            Write::Set { bytes, ttl: None } => ("set", bytes, 0),
            Write::Set {
                bytes,
                ttl: Some(ttl),
            } => (
                "px",
                bytes,
                u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1),
            ),
        };
        let mut invocation = self.script.key(key);
        invocation
            .arg(if expected.is_some() { "1" } else { "0" })
            .arg(expected.unwrap_or_default())
            .arg(mode)
            .arg(bytes)
            .arg(ttl);
        let invocation = &invocation;
        let reply: Value = follow_cluster(|| {
            let mut connection = self.connection.clone();
            async move { invocation.invoke_async(&mut connection).await }
        })
        .await
        .map_err(|error| from_redis(error, true))?;
        match reply {
            Value::Array(items) => match items.as_slice() {
                [Value::Int(1)] => Ok(Swap::Done),
                [Value::Int(0)] => Ok(Swap::Changed(None)),
                [Value::Int(0), Value::BulkString(current)] => {
                    Ok(Swap::Changed(Some(current.clone())))
                }
                _ => Err(unexpected_reply()),
            },
            _ => Err(unexpected_reply()),
        }
    }

    async fn delete(&self, key: &str) -> Result<bool, Error> {
        let del = redis::cmd("DEL").arg(key).to_owned();
        let removed: u64 = follow_cluster(|| {
            let mut connection = self.connection.clone();
            let del = &del;
            async move { del.query_async(&mut connection).await }
        })
        .await
        .map_err(|error| from_redis(error, true))?;
        Ok(removed > 0)
    }
}

/// How many times a command is sent again after a Redis Cluster reply that says it did
/// not run.
const CLUSTER_RETRIES: u32 = 8;

/// Runs `command`, and again (after 5, 10, 20 … 100 ms) while Redis Cluster answers that
/// the key's slot is served elsewhere or not at all right now (`MOVED` after a failover,
/// `ASK` while a slot migrates, `TRYAGAIN`, `CLUSTERDOWN`). Such a reply means the command
/// did not run, so sending it again cannot apply a write twice, unlike a resend after a
/// broken connection, which the cluster client is told never to do
/// ([`RedisBackend::connect_cluster`]). After `MOVED`, the client has refreshed its map
/// of the slots, so the next try goes to the new node. The store's response timeout
/// bounds the whole.
async fn follow_cluster<T, F, Fut>(mut command: F) -> redis::RedisResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = redis::RedisResult<T>>,
{
    let mut pause = Duration::from_millis(5);
    for _ in 0..CLUSTER_RETRIES {
        match command().await {
            Err(error) if error.is_cluster_error() => {
                tokio::time::sleep(pause).await;
                pause = pause.saturating_mul(2).min(Duration::from_millis(100));
            }
            result => return result,
        }
    }
    command().await
}

/// Classifies a client error; `maybe_written` as in [`Error::Connection`].
fn from_redis(source: RedisError, maybe_written: bool) -> Error {
    if source.is_timeout() {
        Error::Timeout {
            source: Box::new(source),
            maybe_written,
        }
    } else if source.is_io_error()
        || source.is_connection_refusal()
        || source.is_connection_dropped()
        || source.is_unrecoverable_error()
    {
        Error::Connection {
            source: Box::new(source),
            maybe_written,
        }
    } else {
        // An error reply. The compare-and-set script's only write is its last command,
        // and DEL is one command, so an error reply means the write did not happen.
        Error::Server {
            source: Box::new(source),
            maybe_written: false,
        }
    }
}

fn unexpected_reply() -> Error {
    Error::Server {
        source: Box::new(RedisError::from((
            redis::ErrorKind::TypeError,
            "unexpected reply from the compare-and-set script",
        ))),
        // The script replied, but not as it does: whether it wrote is unknown.
        maybe_written: true,
    }
}

/// Refuses a server that may evict keys: an evicted key is an account back in its initial
/// state, its failures and lock forgotten. A server that refuses the question (`CONFIG`
/// renamed or not permitted, as on managed services) is accepted, and so is an answer
/// that names no policy.
async fn check_eviction<C: ConnectionLike>(connection: &mut C) -> Result<(), Error> {
    let reply: Value = match redis::cmd("CONFIG")
        .arg("GET")
        .arg("maxmemory-policy")
        .query_async(connection)
        .await
    {
        Ok(reply) => reply,
        Err(error) => {
            return match from_redis(error, false) {
                // Refused (unknown command, not permitted), not a passing condition such
                // as a server still loading its data.
                Error::Server { source, .. }
                    if matches!(
                        source.downcast_ref::<RedisError>().map(RedisError::kind),
                        Some(redis::ErrorKind::ResponseError | redis::ErrorKind::ExtensionError)
                    ) =>
                {
                    Ok(())
                }
                error => Err(error),
            };
        }
    };
    // RESP2 answers [name, value]; RESP3 a map.
    let policy = match &reply {
        Value::Array(items) => match items.as_slice() {
            [_, Value::BulkString(value)] => Some(value.as_slice()),
            _ => None,
        },
        Value::Map(pairs) => match pairs.as_slice() {
            [(_, Value::BulkString(value))] => Some(value.as_slice()),
            _ => None,
        },
        _ => None,
    };
    match policy {
        Some(b"noeviction") | None => Ok(()),
        Some(policy) => Err(Error::Config(format!(
            "the server's maxmemory-policy is {}: under memory pressure it may evict an \
             account's key and forget its failures and lock; set maxmemory-policy to \
             noeviction on a server of the lockout's own",
            String::from_utf8_lossy(policy)
        ))),
    }
}
