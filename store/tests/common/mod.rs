//! Shared by the tests against a real redis-server.
#![allow(
    dead_code,
    unused_imports,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant as Clock, SystemTime, UNIX_EPOCH};

use account_lockout::dialect::PamFaillock;
use account_lockout::{Account, Instant, Policy};
use account_lockout_store::blocking::Store;
use account_lockout_store::{Config, Error, Retention, retention};

/// Set by the `.ci` scripts (`.ci/redis`, `.ci/redis-cluster`, `.ci/postgres`): a
/// missing server is then a failure, not a skip.
const REQUIRED: &str = "ACCOUNT_LOCKOUT_REDIS_REQUIRED";

fn skip(what: &str) {
    if std::env::var_os(REQUIRED).is_some() {
        panic!("{what}, but {REQUIRED} is set (run the tests through their .ci script)");
    }
    eprintln!("note: {what}; skipping this test (its .ci script runs it)");
}

/// The URL in the environment variable `name`; `None` (with a note) when it is unset.
fn url_from(name: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            skip(&format!("{name} is not set"));
            None
        }
    }
}

/// The shared server's URL from `REDIS_URL`; `None` (with a note) when it is unset.
pub fn redis_url() -> Option<String> {
    url_from("REDIS_URL")
}

/// The Redis Cluster's nodes from `REDIS_CLUSTER_URLS` (comma-separated; `.ci/redis-cluster`
/// sets it); `None` (with a note) when it is unset.
pub fn cluster_urls() -> Option<Vec<String>> {
    url_from("REDIS_CLUSTER_URLS").map(|urls| urls.split(',').map(str::to_owned).collect())
}

/// The process ids of the Redis Cluster's nodes from `REDIS_CLUSTER_PIDS`
/// (comma-separated; `.ci/redis-cluster` sets it); `None` (with a note) when it is unset.
pub fn cluster_pids() -> Option<Vec<String>> {
    url_from("REDIS_CLUSTER_PIDS").map(|pids| pids.split(',').map(str::to_owned).collect())
}

/// The PostgreSQL connection string from `POSTGRES_URL` (`.ci/postgres` sets it); `None`
/// (with a note) when it is unset.
pub fn postgres_url() -> Option<String> {
    url_from("POSTGRES_URL")
}

/// The URL of the small server from `REDIS_SMALL_URL` (`.ci/redis` starts one with
/// `--maxmemory 16mb --maxmemory-policy noeviction`); `None` (with a note) when unset.
pub fn small_redis_url() -> Option<String> {
    url_from("REDIS_SMALL_URL")
}

/// Runs `work` on `nodes` threads at once, each with a blocking store of its own on the
/// server at `url` with `config` (`work` gets the store and the node's number); returns
/// the results in node order.
pub fn on_nodes<T: Send>(
    nodes: usize,
    url: &str,
    config: &Config,
    policy: Policy,
    work: impl Fn(&Store, usize) -> T + Sync,
) -> Vec<T> {
    thread::scope(|scope| {
        let workers: Vec<_> = (0..nodes)
            .map(|node| {
                let work = &work;
                scope.spawn(move || {
                    let store: Store = Store::open(url, config.clone(), policy).unwrap();
                    work(&store, node)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().unwrap())
            .collect()
    })
}

/// A field of `INFO memory` (`used_memory`, `maxmemory`, ...), in bytes.
pub fn memory_info(connection: &mut redis::Connection, field: &str) -> u64 {
    let info: String = redis::cmd("INFO").arg("memory").query(connection).unwrap();
    info.lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .unwrap_or_else(|| panic!("no {field} in INFO memory"))
        .trim()
        .parse()
        .unwrap()
}

/// A key prefix no other test (or earlier run against the same server) uses.
pub fn prefix(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("test:{test}:{}:{nanos}:", std::process::id())
}

/// The default configuration, under the test's own prefix.
pub fn config(test: &str) -> Config {
    Config::default().with_prefix(prefix(test))
}

/// Whether `error` is Redis refusing a write for want of memory (`OOM command not
/// allowed when used memory > 'maxmemory'`).
pub fn is_out_of_memory(error: &Error) -> bool {
    match error {
        Error::Server { source, .. } => source
            .downcast_ref::<redis::RedisError>()
            .is_some_and(|error| error.code() == Some("OOM")),
        _ => false,
    }
}

/// The kind of the Redis client's error inside a store error, if any.
pub fn redis_kind(error: &Error) -> Option<redis::ErrorKind> {
    match error {
        Error::Connection { source, .. }
        | Error::Timeout { source, .. }
        | Error::Server { source, .. } => source
            .downcast_ref::<redis::RedisError>()
            .map(redis::RedisError::kind),
        _ => None,
    }
}

pub use account_lockout::harness::pingone;

/// pam_faillock: `deny` failures within 900 s lock for 600 s (a sliding window that
/// keeps `deny` failure times).
pub fn faillock(deny: u32) -> Policy {
    PamFaillock {
        deny,
        fail_interval: 900,
        unlock_time: 600,
    }
    .policy()
    .unwrap()
}

/// 2026-01-01T00:00:00Z.
pub const T0: Instant = Instant::from_millis(1_767_225_600_000);

pub fn at(millis: i64) -> Instant {
    Instant::from_millis(T0.as_millis() + millis)
}

/// A plain connection for looking at keys behind the store's back.
pub fn raw(url: &str) -> redis::Connection {
    redis::Client::open(url).unwrap().get_connection().unwrap()
}

/// `CONFIG SET name value` on the server at `url`.
pub fn config_set(url: &str, name: &str, value: &str) {
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg(name)
        .arg(value)
        .query(&mut raw(url))
        .unwrap();
}

/// How many keys start with `prefix` (SCAN, so the server is not blocked; a key SCAN
/// returns twice counts once).
pub fn count_keys(connection: &mut redis::Connection, prefix: &str) -> usize {
    let mut keys = std::collections::HashSet::new();
    let mut cursor: u64 = 0;
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}*"))
            .arg("COUNT")
            .arg(10_000)
            .query(connection)
            .unwrap();
        keys.extend(batch);
        if next == 0 {
            return keys.len();
        }
        cursor = next;
    }
}

pub fn pttl(connection: &mut redis::Connection, key: &str) -> i64 {
    redis::cmd("PTTL").arg(key).query(connection).unwrap()
}

pub fn exists(connection: &mut redis::Connection, key: &str) -> bool {
    redis::cmd("EXISTS")
        .arg(key)
        .query::<i64>(connection)
        .unwrap()
        == 1
}

/// Asserts that the key's TTL is what the stored state needs: no expiry when it is never
/// dormant without an event and not bounded by `Config::max_retention`, otherwise the
/// time until it is dormant plus the margin, at most the retention cap (a lock with a
/// deadline is kept at least until it ends), as set by the latest write (at the
/// account's `last_seen`) less what has elapsed since.
pub fn assert_ttl_fits(store: &Store, url: &str, user: &str) {
    let account: Account = store.load(user).unwrap().expect("the key exists");
    let written_at = account.last_seen();
    let policy = *store.policy();
    let margin = store.config().ttl_margin;
    let cap = store.config().max_retention;
    let ttl = pttl(&mut raw(url), &store.key(user));
    let millis = |duration: Duration| i64::try_from(duration.as_millis()).unwrap();
    match retention::bounded_retention(&account, &policy, written_at, margin, cap) {
        Retention::Forever => {
            assert_eq!(ttl, -1, "a state that never goes dormant must not expire")
        }
        Retention::Delete => panic!("a dormant account must have no key"),
        Retention::Expire(full) => {
            let full = millis(full);
            // The TTL counts down in real time; a test takes well under 20 s.
            assert!(
                ttl <= full && ttl > full - 20_000,
                "TTL {ttl} ms, expected {full} ms"
            );
        }
    }
    // Never shorter than the state needs, up to the cap.
    if let Some(dormant) = retention::dormant_at(&account, &policy, written_at) {
        let needed = dormant.as_millis() - written_at.as_millis();
        assert!(needed > 0, "a dormant account must have no key");
        let floor = (needed + millis(margin)).min(cap.map_or(i64::MAX, millis));
        assert!(
            ttl > floor - 20_000,
            "TTL {ttl} ms, the state needs {floor} ms"
        );
    }
}

/// A redis-server of a test's own, on a free port, with an append-only file that is
/// synced before each reply, so that acknowledged writes survive a kill.
pub struct OwnServer {
    pub port: u16,
    pub dir: PathBuf,
    /// More `redis-server` options, after the defaults.
    options: Vec<String>,
    child: Option<Child>,
}

/// The redis-server binary, or `None` (with a note) when it is not installed.
pub fn redis_server() -> Option<&'static str> {
    let found = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if found {
        Some("redis-server")
    } else {
        skip("redis-server is not installed");
        None
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl OwnServer {
    pub fn start(test: &str) -> Option<OwnServer> {
        OwnServer::start_with(test, &[])
    }

    /// As [`OwnServer::start`], with more `redis-server` options (`--name`, value, ...).
    pub fn start_with(test: &str, options: &[&str]) -> Option<OwnServer> {
        let binary = redis_server()?;
        let dir = std::env::temp_dir().join(prefix(test).replace(':', "-"));
        std::fs::create_dir_all(&dir).unwrap();
        let mut server = OwnServer {
            port: free_port(),
            dir,
            options: options.iter().map(|option| option.to_string()).collect(),
            child: None,
        };
        server.spawn(binary);
        Some(server)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn spawn(&mut self, binary: &str) {
        let child = Command::new(binary)
            .args(["--bind", "127.0.0.1", "--port"])
            .arg(self.port.to_string())
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ])
            .args(["--daemonize", "no", "--dir"])
            .arg(&self.dir)
            .args(&self.options)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        wait_until_ready(&self.url());
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// SIGKILL: no shutdown, no final save.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// Starts it again on the same port and directory (the append-only file reloads).
    pub fn restart(&mut self) {
        self.kill();
        self.spawn("redis-server");
    }

    /// Sends a signal by name (`STOP`, `CONT`) to the server.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        if let Some(child) = &self.child {
            // A stopped server is continued first, so that nothing is left half-stopped.
            let _ = Command::new("kill")
                .arg("-CONT")
                .arg(child.id().to_string())
                .status();
        }
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Waits (up to 10 s) until the server at `url` answers PING.
pub fn wait_until_ready(url: &str) {
    let client = redis::Client::open(url).unwrap();
    let start = Clock::now();
    loop {
        let pong = client
            .get_connection_with_timeout(Duration::from_millis(200))
            .and_then(|mut connection| redis::cmd("PING").query::<String>(&mut connection));
        if pong.is_ok() {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "redis-server at {url} did not start: {pong:?}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}
