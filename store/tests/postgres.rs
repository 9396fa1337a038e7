//! The PostgreSQL backend against a real server (`POSTGRES_URL`, a tokio-postgres
//! connection string such as `host=127.0.0.1 port=5432 user=postgres dbname=lockout`;
//! `.ci/postgres` starts a throwaway cluster and sets it): the conformance suite, the
//! outage through a proxy, and what is PostgreSQL's own: expired rows, the purge, the
//! table's creation, contention on one row, a terminated backend connection.
#![cfg(feature = "postgres")]
#![allow(clippy::restriction)]

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use account_lockout::harness::pingone;
use account_lockout::{Decision, Instant};
use account_lockout_store::conformance::{Proxy, Suite};
use account_lockout_store::{Backend, Config, Error, PostgresBackend, Store, Swap, Write};
use common::postgres_url;
use tokio_postgres::{Client, NoTls};

/// A name no other test (or earlier run on the same server) uses: `[a-z0-9_]`.
fn unique(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{test}_{}_{nanos}", std::process::id())
}

/// `url` with `host` and `port` replaced (a `key=value` connection string).
fn with_address(url: &str, host: &str, port: u16) -> String {
    let mut kept: Vec<String> = url
        .split_whitespace()
        .filter(|pair| !pair.starts_with("host=") && !pair.starts_with("port="))
        .map(str::to_owned)
        .collect();
    kept.push(format!("host={host}"));
    kept.push(format!("port={port}"));
    kept.join(" ")
}

/// A plain client, for looking behind the backend's back.
async fn raw(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

/// A backend of the test's own table (dropped by [`drop_table`]).
async fn own_table(url: &str, test: &str, clients: usize) -> (PostgresBackend, String) {
    let table = unique(test);
    let backend = PostgresBackend::connect_with(url, NoTls, &table, clients)
        .await
        .unwrap();
    (backend, table)
}

async fn drop_table(url: &str, table: &str) {
    raw(url)
        .await
        .batch_execute(&format!("DROP TABLE {table}"))
        .await
        .unwrap();
}

fn set(bytes: &[u8], ttl: Option<Duration>) -> Write<'_> {
    Write::Set { bytes, ttl }
}

/// 2026-01-01T00:00:00Z plus `millis`.
fn at(millis: i64) -> Instant {
    Instant::from_millis(1_767_225_600_000 + millis)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_passes_every_check() {
    let Some(url) = postgres_url() else {
        return;
    };
    let backend = PostgresBackend::connect(&url).await.unwrap();
    let suite = Suite::new(backend, &format!("{}:", unique("conformance")));
    suite.run_all().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_that_goes_away_midway_loses_nothing_acknowledged() {
    let Some(url) = postgres_url() else {
        return;
    };
    let config: tokio_postgres::Config = url.parse().unwrap();
    let host = match config.get_hosts() {
        [tokio_postgres::config::Host::Tcp(host)] => host.clone(),
        hosts => panic!("POSTGRES_URL must name one TCP host: {hosts:?}"),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let upstream = tokio::net::lookup_host((host.as_str(), port))
        .await
        .unwrap()
        .next()
        .unwrap();
    let proxy = Proxy::start(upstream).await.unwrap();
    let through = with_address(&url, "127.0.0.1", proxy.addr().port());
    let backend = PostgresBackend::connect(&through).await.unwrap();
    let suite = Suite::new(backend, &format!("{}:", unique("outage")));
    suite.outage(&proxy).await.unwrap();
}

#[tokio::test]
async fn an_expired_row_reads_absent_and_a_write_expecting_absent_replaces_it() {
    let Some(url) = postgres_url() else {
        return;
    };
    let (backend, table) = own_table(&url, "expired", 1).await;
    let client = raw(&url).await;
    let expire = |key: &str| {
        format!("UPDATE {table} SET expires_at = now() - interval '1 second' WHERE key = '{key}'")
    };

    assert_eq!(
        backend
            .compare_and_set("k", None, set(b"old", Some(Duration::from_secs(60))))
            .await
            .unwrap(),
        Swap::Done
    );
    assert_eq!(backend.read("k").await.unwrap(), Some(b"old".to_vec()));
    client.batch_execute(&expire("k")).await.unwrap();
    assert_eq!(backend.read("k").await.unwrap(), None);
    // Expecting the expired value loses, and sees the key absent.
    assert_eq!(
        backend
            .compare_and_set("k", Some(b"old"), set(b"other", None))
            .await
            .unwrap(),
        Swap::Changed(None)
    );
    assert_eq!(
        backend
            .compare_and_set("k", Some(b"old"), Write::Delete)
            .await
            .unwrap(),
        Swap::Changed(None)
    );
    // Expecting it absent wins, on the row still there.
    assert_eq!(
        backend
            .compare_and_set("k", None, set(b"new", None))
            .await
            .unwrap(),
        Swap::Done
    );
    assert_eq!(backend.read("k").await.unwrap(), Some(b"new".to_vec()));
    let row = client
        .query_one(
            &format!("SELECT state, expires_at IS NULL FROM {table} WHERE key = 'k'"),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, Vec<u8>>(0), b"new");
    assert!(row.get::<_, bool>(1), "a write without TTL never expires");
    // A live value: expecting absent loses and returns it.
    assert_eq!(
        backend
            .compare_and_set("k", None, set(b"late", None))
            .await
            .unwrap(),
        Swap::Changed(Some(b"new".to_vec()))
    );
    // Deleting a key expected absent removes its expired row, and is refused on a live one.
    client.batch_execute(&expire("k")).await.unwrap();
    assert_eq!(
        backend
            .compare_and_set("k", None, Write::Delete)
            .await
            .unwrap(),
        Swap::Done
    );
    let rows: i64 = client
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 0);
    // delete says whether a live value went.
    assert_eq!(
        backend
            .compare_and_set("k", None, set(b"v", None))
            .await
            .unwrap(),
        Swap::Done
    );
    assert!(backend.delete("k").await.unwrap());
    assert!(!backend.delete("k").await.unwrap());
    drop_table(&url, &table).await;
}

#[tokio::test]
async fn the_purge_removes_only_expired_rows_and_a_lock_survives_it() {
    let Some(url) = postgres_url() else {
        return;
    };
    let (backend, table) = own_table(&url, "purge", 1).await;
    let client = raw(&url).await;
    for (key, ttl) in [
        ("expired-1", Some(60)),
        ("expired-2", None),
        ("live", Some(60)),
        ("forever", None),
    ] {
        let ttl = ttl.map(Duration::from_secs);
        assert_eq!(
            backend
                .compare_and_set(key, None, set(b"x", ttl))
                .await
                .unwrap(),
            Swap::Done
        );
    }
    client
        .batch_execute(&format!(
            "UPDATE {table} SET expires_at = now() - interval '1 millisecond' \
             WHERE key IN ('expired-1', 'expired-2')"
        ))
        .await
        .unwrap();
    // A lock of 900 s, its row expiring after the lock and the margin.
    let store: Store<_> =
        Store::new(backend.clone(), Config::default(), pingone(3, Some(900))).unwrap();
    let now = Instant::from_millis(
        i64::try_from(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_millis(),
        )
        .unwrap(),
    );
    for _ in 0..3 {
        let _counted = store.failure("alice", now, None).await.unwrap();
    }
    assert!(!store.check("alice", now).await.unwrap().is_allowed());

    assert_eq!(backend.purge_expired().await.unwrap(), 2);
    assert_eq!(backend.purge_expired().await.unwrap(), 0);
    let mut keys: Vec<String> = client
        .query(&format!("SELECT key FROM {table} ORDER BY key"), &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    keys.sort();
    let mut expected = vec![store.key("alice"), "forever".to_owned(), "live".to_owned()];
    expected.sort();
    assert_eq!(keys, expected);
    assert!(!store.check("alice", now).await.unwrap().is_allowed());
    assert_eq!(store.failure_count("alice", now).await.unwrap(), 3);
    drop_table(&url, &table).await;
}

#[tokio::test]
async fn the_purge_deletes_in_batches_until_no_expired_row_is_left() {
    let Some(url) = postgres_url() else {
        return;
    };
    let (backend, table) = own_table(&url, "purge_batches", 1).await;
    let client = raw(&url).await;
    // 2,500 expired rows (two full batches of 1,000 and a part), and one live row.
    client
        .batch_execute(&format!(
            "INSERT INTO {table} (key, state, expires_at) \
             SELECT 'expired-' || n, '\\x00'::bytea, now() - interval '1 second' \
             FROM generate_series(1, 2500) AS n; \
             INSERT INTO {table} (key, state, expires_at) \
             VALUES ('live', '\\x01'::bytea, now() + interval '1 hour')"
        ))
        .await
        .unwrap();
    assert_eq!(backend.purge_expired().await.unwrap(), 2_500);
    let left: i64 = client
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 1);
    assert_eq!(backend.read("live").await.unwrap(), Some(vec![1]));
    drop_table(&url, &table).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_table_is_created_once_by_nodes_starting_together() {
    let Some(url) = postgres_url() else {
        return;
    };
    let table = unique("created");
    let connects: Vec<_> = (0..4)
        .map(|_| {
            let (url, table) = (url.clone(), table.clone());
            tokio::spawn(async move { PostgresBackend::connect_with(&url, NoTls, &table, 2).await })
        })
        .collect();
    let mut backends = Vec::new();
    for connect in connects {
        backends.push(connect.await.unwrap().unwrap());
    }
    // And once more, on the table that exists.
    backends.push(
        PostgresBackend::connect_with(&url, NoTls, &table, 1)
            .await
            .unwrap(),
    );
    assert_eq!(backends[0].table(), table);
    let client = raw(&url).await;
    let columns: Vec<(String, String, String)> = client
        .query(
            "SELECT column_name::text, data_type::text, is_nullable::text \
             FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position",
            &[&table],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect();
    let column = |name: &str, kind: &str, nullable: &str| {
        (name.to_owned(), kind.to_owned(), nullable.to_owned())
    };
    assert_eq!(
        columns,
        [
            column("key", "text", "NO"),
            column("state", "bytea", "NO"),
            column("expires_at", "timestamp with time zone", "YES"),
        ]
    );
    let indexes: Vec<String> = client
        .query(
            "SELECT indexdef FROM pg_indexes WHERE tablename = $1 ORDER BY indexname",
            &[&table],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(indexes.len(), 2, "{indexes:?}");
    assert!(
        indexes.iter().any(|index| index.contains("(expires_at)")),
        "{indexes:?}"
    );
    // Every backend works on it.
    for (i, backend) in backends.iter().enumerate() {
        let key = format!("k{i}");
        assert_eq!(
            backend
                .compare_and_set(&key, None, set(b"x", None))
                .await
                .unwrap(),
            Swap::Done
        );
        assert_eq!(backends[0].read(&key).await.unwrap(), Some(b"x".to_vec()));
    }
    drop_table(&url, &table).await;
}

#[tokio::test]
async fn a_bad_table_name_or_connection_string_is_a_configuration_error() {
    let Some(url) = postgres_url() else {
        return;
    };
    for table in ["", "a-b", "1abc", "a.b.c", "x; DROP TABLE y", "\"quoted\""] {
        let result = PostgresBackend::connect_with(&url, NoTls, table, 1).await;
        assert!(
            matches!(result, Err(Error::Config(_))),
            "{table:?}: {result:?}"
        );
    }
    let result = PostgresBackend::connect_with(&url, NoTls, "account_lockout", 0).await;
    assert!(matches!(result, Err(Error::Config(_))), "{result:?}");
    let result = PostgresBackend::connect("port=not-a-number").await;
    assert!(matches!(result, Err(Error::Config(_))), "{result:?}");
    // A schema that does not exist: the server refuses (SQLSTATE 3F000).
    let result = PostgresBackend::connect_with(&url, NoTls, "no_such_schema.accounts", 1).await;
    match result {
        Err(Error::Server {
            source,
            maybe_written: false,
        }) => {
            let error = source.downcast_ref::<tokio_postgres::Error>().unwrap();
            assert_eq!(error.code().unwrap().code(), "3F000", "{error}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_tasks_on_one_row_lose_no_update() {
    let Some(url) = postgres_url() else {
        return;
    };
    let backend = PostgresBackend::connect(&url).await.unwrap();
    let mut config = Config::default().with_prefix(format!("{}:", unique("contention")));
    config.max_attempts = 100_000;
    config.event_deadline = Duration::from_secs(120);
    config.response_timeout = Duration::from_secs(10);
    let policy = pingone(1_000_000, Some(900));
    const TASKS: i64 = 64;
    const EACH: i64 = 10;
    // 8 nodes (caches of their own), 8 tasks each.
    let nodes: Vec<Store<PostgresBackend>> = (0..8)
        .map(|_| Store::new(backend.clone(), config.clone(), policy).unwrap())
        .collect();
    let started = std::time::Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let store = nodes[usize::try_from(task).unwrap() % nodes.len()].clone();
            tokio::spawn(async move {
                for i in 0..EACH {
                    let outcome = store
                        .failure("victim", at(i * 1_000 + task), None)
                        .await
                        .unwrap();
                    assert!(matches!(outcome.decision(), Some(Decision::Allowed)));
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = started.elapsed();
    let count = nodes[0].failure_count("victim", at(100_000)).await.unwrap();
    assert_eq!(i64::from(count), TASKS * EACH);
    let conflicts: u64 = nodes.iter().map(Store::conflicts).sum();
    eprintln!(
        "{} failures on one row in {elapsed:?}, {conflicts} compare-and-sets lost",
        TASKS * EACH
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_terminated_backend_connection_is_a_typed_error_and_the_next_call_reconnects() {
    let Some(url) = postgres_url() else {
        return;
    };
    let name = unique("terminated");
    let backend = PostgresBackend::connect(&format!("{url} application_name={name}"))
        .await
        .unwrap();
    let other = raw(&url).await;
    let pids = async || -> Vec<i32> {
        other
            .query(
                "SELECT pid FROM pg_stat_activity WHERE application_name = $1",
                &[&name],
            )
            .await
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect()
    };
    let key = format!("{name}:k");
    assert_eq!(
        backend
            .compare_and_set(&key, None, set(b"before", None))
            .await
            .unwrap(),
        Swap::Done
    );
    assert_eq!(pids().await.len(), 4, "the backend's 4 connections");

    // Another session locks the row, so the next compare-and-set waits on the server.
    let locker = raw(&url).await;
    locker.batch_execute("BEGIN").await.unwrap();
    locker
        .query(
            "SELECT 1 FROM account_lockout WHERE key = $1 FOR UPDATE",
            &[&key],
        )
        .await
        .unwrap();
    let waiting = {
        let (backend, key) = (backend.clone(), key.clone());
        tokio::spawn(async move {
            backend
                .compare_and_set(&key, Some(b"before"), set(b"after", None))
                .await
        })
    };
    let waited = std::time::Instant::now();
    loop {
        let blocked: i64 = other
            .query_one(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE application_name = $1 AND wait_event_type = 'Lock'",
                &[&name],
            )
            .await
            .unwrap()
            .get(0);
        if blocked == 1 {
            break;
        }
        assert!(
            waited.elapsed() < Duration::from_secs(10),
            "the write never waited"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let terminated: Vec<bool> = other
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            &[&name],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(terminated, [true; 4]);
    // The write in flight: a connection error that says it may have been applied.
    match waiting.await.unwrap() {
        Err(error @ Error::Connection { .. }) => assert!(error.maybe_written(), "{error}"),
        other => panic!("expected a connection error, got {other:?}"),
    }
    locker.batch_execute("ROLLBACK").await.unwrap();
    // Wait until the server has ended them, and the client has seen its sockets close.
    while !pids().await.is_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Each of the next calls (one per connection, round-robin) reconnects and works.
    for _ in 0..4 {
        assert_eq!(backend.read(&key).await.unwrap(), Some(b"before".to_vec()));
    }
    assert_eq!(
        pids().await.len(),
        4,
        "the backend reconnected its 4 connections"
    );
    assert_eq!(
        backend
            .compare_and_set(&key, Some(b"before"), set(b"after", None))
            .await
            .unwrap(),
        Swap::Done
    );
    assert!(backend.delete(&key).await.unwrap());
}

/// A counter in 8 bytes, moved on by compare-and-sets from the value each lost one
/// returns.
fn counter(value: u64) -> [u8; 8] {
    value.to_be_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn compare_and_sets_racing_on_one_row_lose_no_update_through_inserts_updates_and_deletes() {
    let Some(url) = postgres_url() else {
        return;
    };
    let backend = PostgresBackend::connect(&url).await.unwrap();
    let prefix = unique("race");
    const TASKS: u64 = 32;
    const EACH: u64 = 25;

    // A counter: every win moves it on by one, so a lost update leaves it short. A lost
    // compare-and-set never returns the value it expected (the counter only grows).
    let key = format!("{prefix}:counter");
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (backend, key) = (backend.clone(), key.clone());
            tokio::spawn(async move {
                let mut current = backend.read(&key).await.unwrap();
                let mut won = 0;
                while won < EACH {
                    let value = current
                        .as_deref()
                        .map_or(0, |bytes| u64::from_be_bytes(bytes.try_into().unwrap()));
                    let next = counter(value + 1);
                    match backend
                        .compare_and_set(&key, current.as_deref(), set(&next, None))
                        .await
                        .unwrap()
                    {
                        Swap::Done => {
                            won += 1;
                            current = Some(next.to_vec());
                        }
                        Swap::Changed(value) => {
                            assert_ne!(
                                value, current,
                                "a lost compare-and-set returned the value it expected"
                            );
                            current = value;
                        }
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(
        backend.read(&key).await.unwrap(),
        Some(counter(TASKS * EACH).to_vec())
    );

    // A cycle through the absent key: absent -> 1 (an insert, the row's TTL running) ->
    // 2 (an update) -> absent (a delete), so inserts race with deletes. The wins of each
    // step follow one another: inserts = updates or updates + 1, updates = deletes or
    // deletes + 1, and the key holds what the last step left.
    let key = format!("{prefix}:cycle");
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (backend, key) = (backend.clone(), key.clone());
            tokio::spawn(async move {
                let mut current = backend.read(&key).await.unwrap();
                let mut wins = [0_u64; 3];
                while wins.iter().sum::<u64>() < EACH {
                    let (step, write) = match current.as_deref() {
                        None => (0, set(b"1", Some(Duration::from_secs(60)))),
                        Some(b"1") => (1, set(b"2", None)),
                        Some(b"2") => (2, Write::Delete),
                        Some(other) => panic!("{other:?}"),
                    };
                    match backend
                        .compare_and_set(&key, current.as_deref(), write)
                        .await
                        .unwrap()
                    {
                        Swap::Done => {
                            wins[step] += 1;
                            current = match write {
                                Write::Set { bytes, .. } => Some(bytes.to_vec()),
                                Write::Delete => None,
                            };
                        }
                        Swap::Changed(value) => current = value,
                    }
                }
                wins
            })
        })
        .collect();
    let mut wins = [0_u64; 3];
    for task in tasks {
        for (total, won) in wins.iter_mut().zip(task.await.unwrap()) {
            *total += won;
        }
    }
    let [inserts, updates, deletes] = wins;
    assert_eq!(inserts + updates + deletes, TASKS * EACH);
    let expected: Option<&[u8]> = match (inserts - updates, updates - deletes) {
        (0, 0) => None,
        (0, 1) => Some(b"2"),
        (1, 0) => Some(b"1"),
        steps => panic!("the wins do not form one chain: {wins:?} ({steps:?})"),
    };
    assert_eq!(backend.read(&key).await.unwrap().as_deref(), expected);
    let _removed = backend.delete(&key).await.unwrap();
    let _removed = backend.delete(&format!("{prefix}:counter")).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_connection_left_with_an_unanswered_call_is_replaced() {
    let Some(url) = postgres_url() else {
        return;
    };
    let name = unique("abandoned");
    let (backend, table) =
        own_table(&format!("{url} application_name={name}"), "abandoned", 1).await;
    let other = raw(&url).await;
    let pids = async || -> Vec<i32> {
        other
            .query(
                "SELECT pid FROM pg_stat_activity WHERE application_name = $1",
                &[&name],
            )
            .await
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect()
    };
    assert_eq!(
        backend
            .compare_and_set("k", None, set(b"before", None))
            .await
            .unwrap(),
        Swap::Done
    );
    let before = pids().await;
    assert_eq!(before.len(), 1);
    // The row locked elsewhere: the write waits, and is abandoned (as the store's
    // response timeout does) while the server still runs it.
    let locker = raw(&url).await;
    locker.batch_execute("BEGIN").await.unwrap();
    locker
        .query(
            &format!("SELECT 1 FROM {table} WHERE key = 'k' FOR UPDATE"),
            &[],
        )
        .await
        .unwrap();
    let abandoned = tokio::time::timeout(
        Duration::from_millis(200),
        backend.compare_and_set("k", Some(b"before"), set(b"after", None)),
    )
    .await;
    assert!(abandoned.is_err(), "the write did not wait: {abandoned:?}");
    // The next call does not queue behind it: it opens another connection.
    let read = tokio::time::timeout(Duration::from_secs(5), backend.read("k"))
        .await
        .expect("the next call waited behind the abandoned one")
        .unwrap();
    assert_eq!(read, Some(b"before".to_vec()));
    let after = pids().await;
    assert_eq!(
        after.len(),
        2,
        "the abandoned connection and its replacement: {after:?}"
    );
    locker.batch_execute("ROLLBACK").await.unwrap();
    // The abandoned write then ran (the store reports such a call as maybe written).
    let waited = std::time::Instant::now();
    while backend.read("k").await.unwrap() != Some(b"after".to_vec()) {
        assert!(waited.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(backend);
    drop_table(&url, &table).await;
}
