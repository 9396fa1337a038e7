//! The conformance suite on one Redis node (`REDIS_URL`, started by `.ci/redis`): every
//! check, and the outage through a proxy that cuts the server off.
#![allow(clippy::restriction)]

mod common;

use std::net::SocketAddr;

use account_lockout_store::RedisBackend;
use account_lockout_store::conformance::{Proxy, Suite};

/// The server's address (`host:port`) from a `redis://host:port/` URL.
fn address(url: &str) -> SocketAddr {
    url.trim_start_matches("redis://")
        .trim_end_matches('/')
        .parse()
        .unwrap_or_else(|error| panic!("{url} is not redis://host:port/: {error}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_single_redis_node_passes_every_check() {
    let Some(url) = common::redis_url() else {
        return;
    };
    let backend = RedisBackend::connect(&url).await.unwrap();
    let suite = Suite::new(backend, &common::prefix("conformance"));
    suite.run_all().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_single_redis_node_that_goes_away_midway_loses_nothing_acknowledged() {
    let Some(url) = common::redis_url() else {
        return;
    };
    let proxy = Proxy::start(address(&url)).await.unwrap();
    let backend = RedisBackend::connect(&format!("redis://{}/", proxy.addr()))
        .await
        .unwrap();
    let suite = Suite::new(backend, &common::prefix("conformance-outage"));
    suite.outage(&proxy).await.unwrap();
}
