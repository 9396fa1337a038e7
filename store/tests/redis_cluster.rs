//! The fleet store on a Redis Cluster of 3 masters and 3 replicas (`REDIS_CLUSTER_URLS`:
//! every node's `redis://host:port/`, comma-separated; `bash .ci/redis-cluster` starts
//! one): the conformance suite; exact counts and one lock per key under races on keys of
//! every master; a failover, a slot that moves and connections killed in the middle of a
//! race, with nothing acknowledged lost; and the suite's outage with the whole cluster
//! cut off.
//!
//! The tests reshape the cluster (a failover, a moved slot, announced ports), so they run
//! one at a time ([`SERIAL`]), each first waiting until every node agrees on the
//! topology the previous one left.
// Test code: the workspace's panic-free lints (all restriction lints) do not apply.
#![allow(clippy::restriction)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant as Clock};

use account_lockout::{Decision, Policy, Transition};
use account_lockout_store::conformance::{Fault, Proxy, Suite};
use account_lockout_store::{Config, Error, RedisBackend, Store};
use common::{at, cluster_pids, cluster_urls, prefix};
use redis::aio::MultiplexedConnection;
use redis::cluster_async::ClusterConnection;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

/// One test at a time: each may reshape the cluster under the others.
static SERIAL: Mutex<()> = Mutex::const_new(());

/// A count that locks for 900 s at `failure_count`.
fn pingone(failure_count: u32) -> Policy {
    account_lockout::harness::pingone(failure_count, Some(900))
}

/// Patient settings: a race must fail on a wrong count, not on the contention it makes.
fn config(prefix: &str) -> Config {
    let mut config = Config::default().with_prefix(prefix);
    config.max_attempts = 100_000;
    config.event_deadline = Duration::from_secs(60);
    config.response_timeout = Duration::from_secs(5);
    config
}

type ClusterStore = Store<RedisBackend<ClusterConnection>>;

async fn connect(urls: &[String]) -> RedisBackend<ClusterConnection> {
    let nodes: Vec<&str> = urls.iter().map(String::as_str).collect();
    RedisBackend::connect_cluster(&nodes).await.unwrap()
}

/// A node as one node's `CLUSTER NODES` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct NodeView {
    /// `ip:port`, as announced.
    addr: String,
    /// The master it replicates; `None` for a master.
    replicates: Option<String>,
    /// Slot ranges, inclusive.
    slots: Vec<(u16, u16)>,
    /// Flags other than myself/master/slave (fail, fail?, handshake, noaddr...).
    trouble: Vec<String>,
}

/// Node id → view.
type Topology = BTreeMap<String, NodeView>;

fn parse_nodes(text: &str) -> Topology {
    let mut topology = Topology::new();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let addr = fields[1].split('@').next().unwrap().to_owned();
        let flags: Vec<&str> = fields[2].split(',').collect();
        let replicates = (fields[3] != "-").then(|| fields[3].to_owned());
        let trouble = flags
            .iter()
            .filter(|flag| !matches!(**flag, "myself" | "master" | "slave" | "nofailover"))
            .map(|flag| (*flag).to_owned())
            .collect();
        let slots = fields[8..]
            .iter()
            // `[slot->-id]` and `[slot-<-id]` mark a slot being migrated or imported.
            .filter(|slot| !slot.starts_with('['))
            .map(|range| match range.split_once('-') {
                Some((first, last)) => (first.parse().unwrap(), last.parse().unwrap()),
                None => (range.parse().unwrap(), range.parse().unwrap()),
            })
            .collect();
        topology.insert(
            fields[0].to_owned(),
            NodeView {
                addr,
                replicates,
                slots,
                trouble,
            },
        );
    }
    topology
}

/// The master that serves `slot`.
fn owner(topology: &Topology, slot: u16) -> String {
    topology
        .iter()
        .find(|(_, node)| {
            node.replicates.is_none()
                && node
                    .slots
                    .iter()
                    .any(|(first, last)| (*first..=*last).contains(&slot))
        })
        .map(|(id, _)| id.clone())
        .unwrap_or_else(|| panic!("no master serves slot {slot}: {topology:#?}"))
}

fn masters(topology: &Topology) -> Vec<String> {
    topology
        .iter()
        .filter(|(_, node)| node.replicates.is_none() && !node.slots.is_empty())
        .map(|(id, _)| id.clone())
        .collect()
}

fn replica_of(topology: &Topology, master: &str) -> String {
    topology
        .iter()
        .find(|(_, node)| node.replicates.as_deref() == Some(master))
        .map(|(id, _)| id.clone())
        .unwrap_or_else(|| panic!("master {master} has no replica: {topology:#?}"))
}

/// The cluster's nodes, by their real addresses (whatever they announce), for the
/// commands a test sends to one node.
struct Cluster {
    urls: Vec<String>,
    clients: Vec<redis::Client>,
    /// Node ids, in the order of `urls`.
    ids: Vec<String>,
}

impl Cluster {
    async fn open(urls: &[String]) -> Cluster {
        let clients: Vec<redis::Client> = urls
            .iter()
            .map(|url| redis::Client::open(url.as_str()).unwrap())
            .collect();
        let mut cluster = Cluster {
            urls: urls.to_vec(),
            clients,
            ids: Vec::new(),
        };
        for node in 0..urls.len() {
            let id: String = cluster
                .query(node, redis::cmd("CLUSTER").arg("MYID"))
                .await
                .unwrap();
            cluster.ids.push(id);
        }
        cluster
    }

    /// A connection of its own to node `node` (each command gets a fresh one: a test
    /// may kill the others).
    async fn connection(&self, node: usize) -> redis::RedisResult<MultiplexedConnection> {
        self.clients[node].get_multiplexed_async_connection().await
    }

    async fn query<T: redis::FromRedisValue>(
        &self,
        node: usize,
        cmd: &redis::Cmd,
    ) -> redis::RedisResult<T> {
        cmd.query_async(&mut self.connection(node).await?).await
    }

    fn index(&self, id: &str) -> usize {
        self.ids
            .iter()
            .position(|known| known == id)
            .unwrap_or_else(|| panic!("no node {id} among {:?}", self.ids))
    }

    /// `host:port` of a node's real address.
    fn real_addr(&self, node: usize) -> (String, u16) {
        let addr = self.urls[node]
            .trim_start_matches("redis://")
            .trim_end_matches('/');
        let (host, port) = addr.rsplit_once(':').unwrap();
        (host.to_owned(), port.parse().unwrap())
    }

    async fn slot(&self, key: &str) -> u16 {
        self.query(0, redis::cmd("CLUSTER").arg("KEYSLOT").arg(key))
            .await
            .unwrap()
    }

    /// Node `node`'s view of the cluster.
    async fn view(&self, node: usize) -> redis::RedisResult<Topology> {
        let text: String = self.query(node, redis::cmd("CLUSTER").arg("NODES")).await?;
        Ok(parse_nodes(&text))
    }

    /// The topology every node agrees on, once they do: cluster_state ok, no node in
    /// trouble, every replica's link to its master up, and the same view everywhere
    /// (announcing `announced` addresses when given, the real ones otherwise).
    async fn converged(&self, announced: Option<&[String]>) -> Result<Topology, String> {
        let mut agreed: Option<Topology> = None;
        for node in 0..self.urls.len() {
            let info: String = self
                .query(node, redis::cmd("CLUSTER").arg("INFO"))
                .await
                .map_err(|error| error.to_string())?;
            if !info.lines().any(|line| line.trim() == "cluster_state:ok") {
                return Err(format!("node {} is not ok", self.urls[node]));
            }
            let view = self.view(node).await.map_err(|error| error.to_string())?;
            if let Some((id, trouble)) = view.iter().find(|(_, node)| !node.trouble.is_empty()) {
                return Err(format!(
                    "{} sees {id} as {:?}",
                    self.urls[node], trouble.trouble
                ));
            }
            for (id, seen) in &view {
                let expected = match announced {
                    Some(addrs) => addrs[self.index(id)].clone(),
                    None => {
                        let (host, port) = self.real_addr(self.index(id));
                        format!("{host}:{port}")
                    }
                };
                if seen.addr != expected {
                    return Err(format!("{} sees {id} at {}", self.urls[node], seen.addr));
                }
            }
            let replication: String = self
                .query(node, redis::cmd("INFO").arg("replication"))
                .await
                .map_err(|error| error.to_string())?;
            if replication.lines().any(|line| line.trim() == "role:slave")
                && !replication
                    .lines()
                    .any(|line| line.trim() == "master_link_status:up")
            {
                return Err(format!("{}'s link to its master is down", self.urls[node]));
            }
            match &agreed {
                None => agreed = Some(view),
                Some(first) if *first == view => {}
                Some(_) => return Err(format!("{} disagrees", self.urls[node])),
            }
        }
        let topology = agreed.ok_or("no nodes")?;
        if masters(&topology).len() != 3 {
            return Err(format!("not 3 masters: {topology:#?}"));
        }
        Ok(topology)
    }

    /// Waits (up to 30 s) until [`Cluster::converged`].
    async fn wait_converged(&self, announced: Option<&[String]>) -> Topology {
        let start = Clock::now();
        loop {
            match self.converged(announced).await {
                Ok(topology) => return topology,
                Err(why) if start.elapsed() > Duration::from_secs(30) => {
                    panic!("the cluster did not settle within 30 s: {why}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// `per_master` users whose keys (`prefix + user`) fall on each master's slots.
    async fn users_on_every_master(
        &self,
        topology: &Topology,
        prefix: &str,
        per_master: usize,
    ) -> Vec<String> {
        let mut by_master: BTreeMap<String, Vec<String>> = masters(topology)
            .into_iter()
            .map(|id| (id, Vec::new()))
            .collect();
        for n in 0..10_000 {
            let user = format!("user-{n}");
            let slot = self.slot(&format!("{prefix}{user}")).await;
            let users = by_master.get_mut(&owner(topology, slot)).unwrap();
            if users.len() < per_master {
                users.push(user);
            }
            if by_master.values().all(|users| users.len() == per_master) {
                return by_master.into_values().flatten().collect();
            }
        }
        panic!("10,000 names do not give {per_master} keys to each master");
    }
}

/// What a racing task saw.
#[derive(Debug, Default)]
struct Tally {
    acknowledged: u32,
    /// Errors that say the write may have happened.
    maybe_written: u32,
    /// Errors that say it did not.
    not_written: u32,
    /// Errors an outage, failover or migration does not explain (corrupt, internal...).
    unexplained: Vec<String>,
    /// A few of the errors, for the report.
    samples: Vec<String>,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.acknowledged += other.acknowledged;
        self.maybe_written += other.maybe_written;
        self.not_written += other.not_written;
        self.unexplained.extend(other.unexplained);
        for sample in other.samples {
            if self.samples.len() < 6 && !self.samples.contains(&sample) {
                self.samples.push(sample);
            }
        }
    }

    fn errors(&self) -> u32 {
        self.maybe_written + self.not_written
    }
}

/// `stores.len() × tasks` tasks recording failures of `user` until `stop` is set.
fn race(
    stores: &[ClusterStore],
    tasks: usize,
    user: &str,
    stop: &Arc<AtomicBool>,
) -> Vec<JoinHandle<Tally>> {
    let mut handles = Vec::new();
    for (node, store) in stores.iter().enumerate() {
        for task in 0..tasks {
            let (store, stop, user) = (store.clone(), Arc::clone(stop), user.to_owned());
            let number = (node * tasks + task) as i64;
            handles.push(tokio::spawn(async move {
                let mut tally = Tally::default();
                let mut i = 0_i64;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    match store.failure(&user, at(i * 100 + number), None).await {
                        Ok(_) => tally.acknowledged += 1,
                        Err(error) => {
                            match error {
                                Error::Connection { .. }
                                | Error::Timeout { .. }
                                | Error::Server { .. } => {}
                                ref other => tally.unexplained.push(other.to_string()),
                            }
                            if error.maybe_written() {
                                tally.maybe_written += 1;
                            } else {
                                tally.not_written += 1;
                            }
                            if tally.samples.len() < 3 {
                                tally.samples.push(error.to_string());
                            }
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                    }
                }
                tally
            }));
        }
    }
    handles
}

async fn join(handles: Vec<JoinHandle<Tally>>) -> Tally {
    let mut tally = Tally::default();
    for handle in handles {
        tally.add(handle.await.unwrap());
    }
    tally
}

/// The user every race is on.
const RACED: &str = "victim";

/// 64 tasks (4 stores × 16) racing failures on [`RACED`] under `prefix`, for the tests
/// that disrupt the cluster in the middle of a race.
struct Race {
    urls: Vec<String>,
    prefix: String,
    stop: Arc<AtomicBool>,
    handles: Vec<JoinHandle<Tally>>,
}

impl Race {
    /// Starts the race and lets it run a second, ready for the disruption.
    async fn start(urls: &[String], prefix: String) -> Race {
        let backend = connect(urls).await;
        let stores = stores(&backend, &prefix, 4, pingone(1_000_000));
        let stop = Arc::new(AtomicBool::new(false));
        let handles = race(&stores, 16, RACED, &stop);
        tokio::time::sleep(Duration::from_secs(1)).await;
        Race {
            urls: urls.to_vec(),
            prefix,
            stop,
            handles,
        }
    }

    /// Lets the race run a second more, stops it, and checks that it acknowledged
    /// something and lost nothing it acknowledged (`what`: the disruption, for the
    /// messages).
    async fn finish(self, what: &str) -> Tally {
        tokio::time::sleep(Duration::from_secs(1)).await;
        self.stop.store(true, Ordering::Relaxed);
        let tally = join(self.handles).await;
        assert!(
            tally.acknowledged > 0,
            "{what}: the race acknowledged nothing"
        );
        assert_no_lost_update(&self.urls, &self.prefix, RACED, &tally, what).await;
        tally
    }
}

/// `nodes` stores (a cache each) on one backend.
fn stores(
    backend: &RedisBackend<ClusterConnection>,
    prefix: &str,
    nodes: usize,
    policy: Policy,
) -> Vec<ClusterStore> {
    (0..nodes)
        .map(|_| Store::new(backend.clone(), config(prefix), policy).unwrap())
        .collect()
}

/// The stored count of `user`, read by a store with no cache on a fresh connection,
/// retried for up to 10 s while the cluster settles.
async fn stored_count(urls: &[String], prefix: &str, user: &str) -> u32 {
    let mut uncached = config(prefix);
    uncached.cache_entries = 0;
    let reader: ClusterStore =
        Store::new(connect(urls).await, uncached, pingone(1_000_000)).unwrap();
    let start = Clock::now();
    loop {
        match reader.failure_count(user, at(1_000_000_000)).await {
            Ok(count) => return count,
            Err(error) if start.elapsed() > Duration::from_secs(10) => {
                panic!("the count of {user} cannot be read: {error}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// The checks after a disrupted race on `user`: nothing unexplained, nothing
/// acknowledged lost, nothing counted that no call attempted; then new events succeed
/// and count exactly. Returns the count.
async fn assert_no_lost_update(
    urls: &[String],
    prefix: &str,
    user: &str,
    tally: &Tally,
    what: &str,
) -> u32 {
    assert!(
        tally.unexplained.is_empty(),
        "{what}: errors a {what} does not explain: {:?}",
        tally.unexplained
    );
    let count = stored_count(urls, prefix, user).await;
    println!(
        "{what}: {} failures acknowledged, {} errors ({} maybe written, {} not written), \
         {count} counted; e.g. {:?}",
        tally.acknowledged,
        tally.errors(),
        tally.maybe_written,
        tally.not_written,
        tally.samples
    );
    assert!(
        tally.acknowledged <= count && count <= tally.acknowledged + tally.maybe_written,
        "{what}: {} acknowledged, {} maybe written: {count} counted",
        tally.acknowledged,
        tally.maybe_written
    );
    // The store keeps working: a new store on a new connection, and one of the racing
    // kind, count new failures exactly.
    let after: ClusterStore =
        Store::new(connect(urls).await, config(prefix), pingone(1_000_000)).unwrap();
    for i in 0..10 {
        let _counted = after
            .failure(user, at(500_000_000 + i), None)
            .await
            .unwrap_or_else(|error| panic!("{what}: a failure after it failed: {error}"));
    }
    let later = stored_count(urls, prefix, user).await;
    assert_eq!(later, count + 10, "{what}: 10 failures after it");
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_redis_cluster_passes_every_check() {
    let Some(urls) = cluster_urls() else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let cluster = Cluster::open(&urls).await;
    cluster.wait_converged(None).await;
    let suite = Suite::new(connect(&urls).await, &prefix("conformance"));
    suite.run_all().await.unwrap();
}

/// 64 tasks (4 stores × 16) record 1,536 failures on 24 keys, 8 on each master's slots,
/// each task going round the keys from a place of its own: every failure is
/// acknowledged, and each key's count is exactly the failures acknowledged on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn races_on_keys_of_every_master_count_exactly() {
    let Some(urls) = cluster_urls() else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let cluster = Cluster::open(&urls).await;
    let topology = cluster.wait_converged(None).await;
    let prefix = prefix("exact");
    let users = Arc::new(cluster.users_on_every_master(&topology, &prefix, 8).await);
    let backend = connect(&urls).await;
    let stores = stores(&backend, &prefix, 4, pingone(1_000_000));
    let mut handles = Vec::new();
    for (node, store) in stores.iter().enumerate() {
        for task in 0..16 {
            let (store, users) = (store.clone(), Arc::clone(&users));
            let number = node * 16 + task;
            handles.push(tokio::spawn(async move {
                let mut acknowledged = vec![0_u32; users.len()];
                for i in 0..users.len() {
                    let which = (number * 5 + i) % users.len();
                    let now = at((i * 100 + number) as i64);
                    let _counted = store.failure(&users[which], now, None).await.unwrap();
                    acknowledged[which] += 1;
                }
                acknowledged
            }));
        }
    }
    let mut acknowledged = vec![0_u32; users.len()];
    for handle in handles {
        for (total, counted) in acknowledged.iter_mut().zip(handle.await.unwrap()) {
            *total += counted;
        }
    }
    assert_eq!(acknowledged.iter().sum::<u32>(), 64 * 24);
    for (user, acknowledged) in users.iter().zip(&acknowledged) {
        assert_eq!(
            stored_count(&urls, &prefix, user).await,
            *acknowledged,
            "{user} ({} on slot {})",
            prefix,
            cluster.slot(&format!("{prefix}{user}")).await
        );
    }
}

/// A threshold of 5, 12 keys (4 on each master's slots) and 64 tasks each recording one
/// failure on every key, from a place of its own: on each key exactly 5 failures are
/// allowed, exactly one locks, 59 are rejected, and the key ends locked.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn races_on_keys_of_every_master_lock_once_per_key() {
    let Some(urls) = cluster_urls() else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let cluster = Cluster::open(&urls).await;
    let topology = cluster.wait_converged(None).await;
    let prefix = prefix("lock-once");
    let users = Arc::new(cluster.users_on_every_master(&topology, &prefix, 4).await);
    let backend = connect(&urls).await;
    let policy = pingone(5);
    let stores = stores(&backend, &prefix, 4, policy);
    let mut handles = Vec::new();
    for (node, store) in stores.iter().enumerate() {
        for task in 0..16 {
            let (store, users) = (store.clone(), Arc::clone(&users));
            let number = node * 16 + task;
            handles.push(tokio::spawn(async move {
                // Per key: (allowed, rejected, locked).
                let mut seen = vec![(0_u32, 0_u32, 0_u32); users.len()];
                for i in 0..users.len() {
                    let which = (number + i) % users.len();
                    let now = at((i * 100 + number) as i64);
                    let outcome = store.failure(&users[which], now, None).await.unwrap();
                    match outcome.decision() {
                        Some(Decision::Allowed) => seen[which].0 += 1,
                        Some(Decision::Rejected(_)) => seen[which].1 += 1,
                        None => panic!("a failure without a decision: {outcome:?}"),
                    }
                    if outcome
                        .transitions()
                        .iter()
                        .any(|transition| matches!(transition, Transition::Locked { .. }))
                    {
                        seen[which].2 += 1;
                    }
                }
                seen
            }));
        }
    }
    let mut seen = vec![(0_u32, 0_u32, 0_u32); users.len()];
    for handle in handles {
        for (total, task) in seen.iter_mut().zip(handle.await.unwrap()) {
            total.0 += task.0;
            total.1 += task.1;
            total.2 += task.2;
        }
    }
    let reader: ClusterStore = Store::new(connect(&urls).await, config(&prefix), policy).unwrap();
    for (user, seen) in users.iter().zip(seen) {
        assert_eq!(
            seen,
            (5, 59, 1),
            "{user}: (allowed, rejected, locked) of 64 failures at a threshold of 5"
        );
        let check = reader.check(user, at(10_000)).await.unwrap();
        assert!(!check.is_allowed(), "{user} is not locked: {check:?}");
    }
}

/// 64 tasks race failures on one key; a second in, the replica of the master serving
/// the key's slot is told `CLUSTER FAILOVER`; the race goes on a second past the end of
/// the failover. Nothing acknowledged is lost, nothing is counted twice, and the store
/// works on the new master.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failover_in_the_middle_of_a_race_loses_no_update() {
    let Some(urls) = cluster_urls() else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let cluster = Cluster::open(&urls).await;
    let topology = cluster.wait_converged(None).await;
    let prefix = prefix("failover");
    let slot = cluster.slot(&format!("{prefix}{RACED}")).await;
    let master = owner(&topology, slot);
    let replica = replica_of(&topology, &master);
    let race = Race::start(&urls, prefix).await;
    let started = Clock::now();
    let _: () = cluster
        .query(
            cluster.index(&replica),
            redis::cmd("CLUSTER").arg("FAILOVER"),
        )
        .await
        .unwrap();
    let after = cluster.wait_converged(None).await;
    assert_eq!(
        owner(&after, slot),
        replica,
        "slot {slot} is not served by the promoted replica"
    );
    println!(
        "failover of slot {slot}'s master took {:?} (until every node agreed)",
        started.elapsed()
    );
    race.finish("failover").await;
}

/// As the failover, with the key's slot migrated to another master a second into the
/// race: `CLUSTER SETSLOT IMPORTING` on the destination, `MIGRATING` on the source,
/// `MIGRATE` of the slot's keys, then `SETSLOT NODE` on every master.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slot_moved_in_the_middle_of_a_race_loses_no_update() {
    let Some(urls) = cluster_urls() else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let cluster = Cluster::open(&urls).await;
    let topology = cluster.wait_converged(None).await;
    let prefix = prefix("migration");
    let slot = cluster.slot(&format!("{prefix}{RACED}")).await;
    let source = owner(&topology, slot);
    let destination = masters(&topology)
        .into_iter()
        .find(|id| *id != source)
        .unwrap();
    let (from, to) = (cluster.index(&source), cluster.index(&destination));
    let race = Race::start(&urls, prefix).await;
    let started = Clock::now();
    let setslot = |state: &str, id: &str| {
        let mut cmd = redis::cmd("CLUSTER");
        cmd.arg("SETSLOT").arg(slot).arg(state).arg(id);
        cmd
    };
    let _: () = cluster
        .query(to, &setslot("IMPORTING", &source))
        .await
        .unwrap();
    let _: () = cluster
        .query(from, &setslot("MIGRATING", &destination))
        .await
        .unwrap();
    let (host, port) = cluster.real_addr(to);
    let mut migrated = 0;
    loop {
        let keys: Vec<String> = cluster
            .query(
                from,
                redis::cmd("CLUSTER")
                    .arg("GETKEYSINSLOT")
                    .arg(slot)
                    .arg(100),
            )
            .await
            .unwrap();
        if keys.is_empty() {
            break;
        }
        migrated += keys.len();
        let _: () = cluster
            .query(
                from,
                redis::cmd("MIGRATE")
                    .arg(&host)
                    .arg(port)
                    .arg("")
                    .arg(0)
                    .arg(5_000)
                    .arg("KEYS")
                    .arg(&keys),
            )
            .await
            .unwrap();
    }
    // The destination first, then the source, then the other masters.
    let mut order = vec![destination.clone(), source.clone()];
    order.extend(
        masters(&topology)
            .into_iter()
            .filter(|id| *id != source && *id != destination),
    );
    for id in &order {
        let _: () = cluster
            .query(cluster.index(id), &setslot("NODE", &destination))
            .await
            .unwrap();
    }
    let after = cluster.wait_converged(None).await;
    assert_eq!(owner(&after, slot), destination);
    println!(
        "slot {slot} ({migrated} keys) moved in {:?} (until every node agreed)",
        started.elapsed()
    );
    race.finish("slot migration").await;
}

/// Kills every client connection of every node every 20 ms while stopped: connections
/// break under requests in flight, though new ones are accepted between kills.
struct KillConnections {
    cluster: Arc<Cluster>,
    stop: Arc<AtomicBool>,
    killer: std::sync::Mutex<Option<JoinHandle<u64>>>,
}

impl Fault for KillConnections {
    async fn stop(&self) {
        self.stop.store(false, Ordering::Relaxed);
        let (cluster, stop) = (Arc::clone(&self.cluster), Arc::clone(&self.stop));
        let killer = tokio::spawn(async move {
            let mut connections = Vec::new();
            for node in 0..cluster.urls.len() {
                connections.push(cluster.connection(node).await.unwrap());
            }
            let mut killed = 0;
            while !stop.load(Ordering::Relaxed) {
                for connection in &mut connections {
                    // SKIPME yes (the default): this connection survives.
                    let count: u64 = redis::cmd("CLIENT")
                        .arg("KILL")
                        .arg("TYPE")
                        .arg("normal")
                        .query_async(connection)
                        .await
                        .unwrap();
                    killed += count;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            killed
        });
        *self.killer.lock().unwrap() = Some(killer);
    }

    async fn restart(&self) {
        self.stop.store(true, Ordering::Relaxed);
        let killer = self.killer.lock().unwrap().take();
        if let Some(killer) = killer {
            println!("killed {} connections", killer.await.unwrap());
        }
    }
}

/// 64 tasks race failures on one key while every client connection of every node is
/// killed every 20 ms for 2 s: requests in flight break after the server ran them, or
/// before. Nothing acknowledged is lost, and nothing is counted twice (a request the
/// client sends again after the server ran it must not count again).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn connections_killed_in_the_middle_of_a_race_lose_no_update() {
    let Some(urls) = cluster_urls() else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let cluster = Arc::new(Cluster::open(&urls).await);
    cluster.wait_converged(None).await;
    let race = Race::start(&urls, prefix("killed")).await;
    let fault = KillConnections {
        cluster: Arc::clone(&cluster),
        stop: Arc::new(AtomicBool::new(false)),
        killer: std::sync::Mutex::new(None),
    };
    fault.stop().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    fault.restart().await;
    race.finish("connections killed").await;
}

/// The whole cluster cut off: every node announces (`cluster-announce-port`) the port of
/// a [`Proxy`] in front of it, so clients reach every node through the proxies only,
/// and stopping them drops every connection and refuses new ones. The cluster bus is
/// not cut, so the nodes see each other up all along: an outage between the clients and
/// the cluster, not inside it.
struct ClusterCut {
    proxies: Vec<Proxy>,
}

impl Fault for ClusterCut {
    async fn stop(&self) {
        for proxy in &self.proxies {
            proxy.stop().await;
        }
    }

    async fn restart(&self) {
        for proxy in &self.proxies {
            proxy.restart().await;
        }
    }
}

/// Puts the nodes' real ports back in their announcements, even when the test fails.
struct Announced<'a>(&'a Cluster);

impl Drop for Announced<'_> {
    fn drop(&mut self) {
        for client in &self.0.clients {
            if let Ok(mut connection) = client.get_connection() {
                let _: redis::RedisResult<()> = redis::cmd("CONFIG")
                    .arg("SET")
                    .arg("cluster-announce-port")
                    .arg(0)
                    .query(&mut connection);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_redis_cluster_cut_off_midway_loses_nothing_acknowledged() {
    let Some(urls) = cluster_urls() else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let cluster = Cluster::open(&urls).await;
    cluster.wait_converged(None).await;
    let mut proxies = Vec::new();
    for node in 0..urls.len() {
        let (host, port) = cluster.real_addr(node);
        proxies.push(
            Proxy::start(format!("{host}:{port}").parse().unwrap())
                .await
                .unwrap(),
        );
    }
    let announced: Vec<String> = proxies
        .iter()
        .map(|proxy| proxy.addr().to_string())
        .collect();
    let restore = Announced(&cluster);
    for (node, proxy) in proxies.iter().enumerate() {
        let _: () = cluster
            .query(
                node,
                redis::cmd("CONFIG")
                    .arg("SET")
                    .arg("cluster-announce-port")
                    .arg(proxy.addr().port()),
            )
            .await
            .unwrap();
    }
    cluster.wait_converged(Some(&announced)).await;
    let through: Vec<String> = announced
        .iter()
        .map(|addr| format!("redis://{addr}/"))
        .collect();
    let fault = ClusterCut { proxies };
    let suite = Suite::new(connect(&through).await, &prefix("outage"));
    let result = suite.outage(&fault).await;
    drop(restore);
    cluster.wait_converged(None).await;
    result.unwrap();
}

/// One writer, so a compare-and-set that loses can only lose to itself: while every
/// client connection is killed every few ms, a lost compare-and-set must never report
/// the very bytes it was writing (the client sent it again after the server ran it, and
/// the store would count the event twice).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_compare_and_set_sent_again_is_not_reported_lost() {
    use account_lockout_store::{Backend, Swap, Write};
    let Some(urls) = cluster_urls() else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let cluster = Arc::new(Cluster::open(&urls).await);
    cluster.wait_converged(None).await;
    let key = format!("{}victim", prefix("resent"));
    let backend = connect(&urls).await;
    let fault = KillConnections {
        cluster: Arc::clone(&cluster),
        stop: Arc::new(AtomicBool::new(false)),
        killer: std::sync::Mutex::new(None),
    };
    fault.stop().await;
    let started = Clock::now();
    let (mut done, mut lost_to_itself, mut errors) = (0, 0, 0);
    let mut current: Option<Vec<u8>> = None;
    let mut next = 0_u64;
    while started.elapsed() < Duration::from_secs(3) {
        next += 1;
        let bytes = next.to_be_bytes();
        let write = Write::Set {
            bytes: &bytes,
            ttl: Some(Duration::from_secs(60)),
        };
        match backend
            .compare_and_set(&key, current.as_deref(), write)
            .await
        {
            Ok(Swap::Done) => {
                done += 1;
                current = Some(bytes.to_vec());
            }
            Ok(Swap::Changed(held)) => {
                if held.as_deref() == Some(&bytes[..]) {
                    lost_to_itself += 1;
                }
                current = held;
            }
            Err(_) => {
                errors += 1;
                loop {
                    if let Ok(held) = backend.read(&key).await {
                        current = held;
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    }
    fault.restart().await;
    println!(
        "one writer, connections killed: {done} compare-and-sets done, {errors} errors, \
         {lost_to_itself} reported lost to their own bytes"
    );
    assert_eq!(lost_to_itself, 0);
}

/// Every node of the cluster hung: `SIGSTOP` to every node process (their ids from
/// `REDIS_CLUSTER_PIDS`, which `.ci/redis-cluster` sets), `SIGCONT` to restart. Nothing
/// is dropped: requests wait unanswered (the client times out), and the nodes run what
/// they were sent once they go on.
struct Hung {
    pids: Vec<String>,
}

impl Hung {
    fn signal(&self, signal: &str) {
        for pid in &self.pids {
            let status = std::process::Command::new("kill")
                .arg(format!("-{signal}"))
                .arg(pid)
                .status()
                .unwrap();
            assert!(status.success(), "kill -{signal} {pid}");
        }
    }
}

impl Fault for Hung {
    async fn stop(&self) {
        self.signal("STOP");
    }

    async fn restart(&self) {
        self.signal("CONT");
    }
}

impl Drop for Hung {
    fn drop(&mut self) {
        // Nothing left stopped, whatever happened.
        for pid in &self.pids {
            let _ = std::process::Command::new("kill")
                .arg("-CONT")
                .arg(pid)
                .status();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_redis_cluster_hung_midway_loses_nothing_acknowledged() {
    let Some(urls) = cluster_urls() else {
        return;
    };
    let Some(pids) = cluster_pids() else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let cluster = Cluster::open(&urls).await;
    cluster.wait_converged(None).await;
    let fault = Hung { pids };
    assert_eq!(fault.pids.len(), urls.len(), "one process id per node");
    let suite = Suite::new(connect(&urls).await, &prefix("hung"));
    let result = suite.outage(&fault).await;
    drop(fault);
    cluster.wait_converged(None).await;
    result.unwrap();
}
