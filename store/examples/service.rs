//! The root README's fleet example: one async `Store` shared by every login handler of a
//! tokio service. Run with a Redis server:
//!
//! ```sh
//! REDIS_URL=redis://127.0.0.1:6379/ cargo run -p account-lockout-store --example service
//! ```
//!
//! Twelve concurrent logins with a wrong password: five are checked and counted, the
//! fifth locks, and the other seven are refused without checking the password.
#![allow(clippy::restriction)]

use std::time::{SystemTime, UNIX_EPOCH};

use account_lockout::dialect::PingOne;
use account_lockout::{AttemptStart, Instant, Status, Verdict};
use account_lockout_store::{Config, RedisBackend, Store};

/// The password check a real service does (here: every password is wrong).
async fn password_ok(_user: &str, _password: &str) -> bool {
    false
}

fn now() -> Instant {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    Instant::from_millis(i64::try_from(since.as_millis()).unwrap())
}

// README: begin
const WRONG: Verdict = Verdict::Failure { credential: None };

async fn login(store: Store<RedisBackend>, user: &str, password: &str) -> bool {
    // Rejected (locked), or the store is down and we fail closed: no password check.
    let Ok(AttemptStart {
        token: Some(token), ..
    }) = store.begin_attempt(user, now()).await
    else {
        return false;
    };
    let ok = password_ok(user, password).await;
    let verdict = if ok { Verdict::Success } else { WRONG };
    let recorded = store.finish_attempt(user, now(), token, verdict).await;
    ok && recorded.is_ok_and(|outcome| outcome.is_allowed())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let policy = PingOne {
        failure_count: 5,
        duration_seconds: Some(900),
    }
    .policy()?;
    let backend = RedisBackend::connect(&std::env::var("REDIS_URL")?).await?;
    let store: Store<_> = Store::new(backend, Config::default().with_prefix("example:"), policy)?;
    let logins = (0..12).map(|_| tokio::spawn(login(store.clone(), "alice", "guess")));
    for login in logins.collect::<Vec<_>>() {
        assert!(!login.await?); // 5 checked and counted (the 5th locks), 7 refused unchecked
    }
    assert_eq!(store.view("alice", now()).await?.status, Status::Locked);
    Ok(())
}
// README: end
