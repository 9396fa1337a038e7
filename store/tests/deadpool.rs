//! A pool plugs in: `RedisBackend` over a deadpool-redis pool, through a handle that
//! takes a connection from the pool for each command, passes the conformance suite
//! (`REDIS_URL`, started by `.ci/redis`).
#![allow(clippy::restriction)]

mod common;

use account_lockout_store::RedisBackend;
use account_lockout_store::conformance::Suite;
use deadpool_redis::{Config, Pool, Runtime};
use redis::aio::ConnectionLike;
use redis::{Cmd, Pipeline, RedisError, RedisFuture, Value};

/// The adaptor a user of deadpool-redis writes: a `Clone` handle on the pool that
/// implements the `redis` crate's `ConnectionLike`.
#[derive(Clone)]
struct Pooled(Pool);

fn pool_error(error: deadpool_redis::PoolError) -> RedisError {
    RedisError::from(std::io::Error::other(error.to_string()))
}

impl ConnectionLike for Pooled {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let mut connection = self.0.get().await.map_err(pool_error)?;
            connection.req_packed_command(cmd).await
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            let mut connection = self.0.get().await.map_err(pool_error)?;
            connection
                .req_packed_commands(pipeline, offset, count)
                .await
        })
    }

    fn get_db(&self) -> i64 {
        0
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deadpool_redis_pool_passes_every_check() {
    let Some(url) = common::redis_url() else {
        return;
    };
    let pool = Config::from_url(url)
        .create_pool(Some(Runtime::Tokio1))
        .unwrap();
    let backend = RedisBackend::new(Pooled(pool)).await.unwrap();
    Suite::new(backend, &common::prefix("deadpool"))
        .run_all()
        .await
        .unwrap();
}
