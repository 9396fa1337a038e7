#![allow(clippy::restriction)]
//! Two instances of the service on one fleet store, over real HTTP: what one does, the
//! other sees. The store is the server of the environment: `REDIS_URL` (.ci/redis) and/or
//! `POSTGRES_URL` (.ci/postgres, a tokio-postgres connection string). Without either the
//! tests fail: they are built only with the feature `fleet-tests`, which those scripts
//! turn on. Each test keeps its keys under a prefix of its own.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use account_lockout_service::state::Policies;
use account_lockout_service::state::fleet::FleetStates;
use account_lockout_store::{PostgresBackend, RedisBackend};
use common::{ALICE, MFA_THRESHOLD, OPEN, Server, THRESHOLD};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The databases named by the environment.
fn databases() -> Vec<(&'static str, String)> {
    let found: Vec<_> = ["REDIS_URL", "POSTGRES_URL"]
        .into_iter()
        .filter_map(|name| std::env::var(name).ok().map(|url| (name, url)))
        .collect();
    assert!(
        !found.is_empty(),
        "REDIS_URL or POSTGRES_URL must name the store's server (.ci/redis, .ci/postgres)"
    );
    found
}

/// A key prefix no other test (or run) uses.
fn fresh_prefix() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("service-fleet-test:{}:{nanos}:{n}:", std::process::id())
}

/// An instance of the service on the database `name` (`REDIS_URL` or `POSTGRES_URL`) at
/// `url`, with its own connection and its own store cache, under `prefix`.
async fn instance(name: &str, url: &str, prefix: &str) -> Server {
    let policies = Policies::defaults().unwrap();
    if name == "REDIS_URL" {
        let backend = RedisBackend::connect(url).await.unwrap();
        Server::on(FleetStates::new(backend, prefix, policies).unwrap()).await
    } else {
        let backend = PostgresBackend::connect(url).await.unwrap();
        Server::on(FleetStates::new(backend, prefix, policies).unwrap()).await
    }
}

/// Two instances on each database of the environment, on fresh keys.
async fn pairs() -> Vec<(Server, Server)> {
    let mut pairs = Vec::new();
    for (name, url) in databases() {
        let prefix = fresh_prefix();
        pairs.push((
            instance(name, &url, &prefix).await,
            instance(name, &url, &prefix).await,
        ));
    }
    pairs
}

/// The same lock: status, `lockedAt`, `unlockAt` (`secondsUntilUnlock` moves with the
/// clock).
fn assert_same_lock(seen: &Value, lock: &Value) {
    for field in ["status", "canAuthenticate", "lockedAt", "unlockAt"] {
        assert_eq!(seen[field], lock[field], "{field}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_logins_on_two_instances_lock_at_exactly_the_threshold_and_both_see_it() {
    for (a, b) in pairs().await {
        for n in 1..=THRESHOLD {
            let on = if n % 2 == 0 { &a } else { &b };
            assert_eq!(
                on.login(ALICE.username, "wrong").await.status,
                StatusCode::UNAUTHORIZED
            );
            let expected = if n < THRESHOLD { "OK" } else { "LOCKED" };
            assert_eq!(a.account(&ALICE).await["status"], expected, "failure {n}");
            assert_eq!(b.account(&ALICE).await["status"], expected, "failure {n}");
        }
        let locked = a.account(&ALICE).await;
        assert_eq!(locked["canAuthenticate"], false);
        assert_same_lock(&b.account(&ALICE).await, &locked);
        // The right password, on either instance: the same answer as a wrong one, and
        // no password is verified once the account is locked.
        let verified = a.passwords.verifications() + b.passwords.verifications();
        assert_eq!(verified, THRESHOLD);
        for on in [&a, &b] {
            let got = on.login(ALICE.username, ALICE.password).await;
            assert_eq!(got.status, StatusCode::UNAUTHORIZED);
            assert_eq!(got.code(), "invalid_credentials");
        }
        let verified = a.passwords.verifications() + b.passwords.verifications();
        assert_eq!(verified, THRESHOLD);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_wrong_logins_on_two_instances_verify_no_more_than_the_threshold() {
    for (a, b) in pairs().await {
        let (a, b) = (Arc::new(a), Arc::new(b));
        let logins: Vec<_> = (0..40)
            .map(|n| {
                let on = Arc::clone(if n % 2 == 0 { &a } else { &b });
                tokio::spawn(async move { on.login(ALICE.username, "wrong").await })
            })
            .collect();
        for login in logins {
            let got = login.await.unwrap();
            // A wrong password, a locked account, or a full budget of attempts in flight.
            assert!(
                [StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS].contains(&got.status),
                "{got:?}"
            );
        }
        // Each failure is reserved before its check, across both instances.
        let verified = a.passwords.verifications() + b.passwords.verifications();
        assert!(verified <= THRESHOLD, "{verified}");
        // Whatever busy answers left uncounted, the rest lock it at exactly five.
        for _ in verified..THRESHOLD {
            let _ = b.login(ALICE.username, "wrong").await;
        }
        assert_eq!(a.account(&ALICE).await["status"], "LOCKED");
        assert_eq!(b.account(&ALICE).await["status"], "LOCKED");
        let _ = a.login(ALICE.username, ALICE.password).await;
        let verified = a.passwords.verifications() + b.passwords.verifications();
        assert_eq!(verified, THRESHOLD);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_account_unlock_through_one_instance_is_seen_by_the_other() {
    for (a, b) in pairs().await {
        // An administrator lock through A, the account unlock through B.
        let got = a.patch(&ALICE, r#"{"status":"LOCKED"}"#).await;
        assert_eq!(got.status, StatusCode::OK);
        assert_eq!(b.account(&ALICE).await["status"], "LOCKED");
        let got = b.unlock(&ALICE).await;
        assert_eq!(got.status, StatusCode::OK);
        assert_eq!(got.json()["events"], json!(["USER.UNLOCKED"]));
        assert_eq!(a.account(&ALICE).await, OPEN());
        let got = a.login(ALICE.username, ALICE.password).await;
        assert_eq!(got.status, StatusCode::OK);
        assert_eq!(got.json()["userId"], json!(ALICE.id));

        // A password lock through A, the account unlock through B.
        for _ in 0..THRESHOLD {
            let _ = a.login(ALICE.username, "wrong").await;
        }
        assert_eq!(b.account(&ALICE).await["status"], "LOCKED");
        let got = b.unlock(&ALICE).await;
        assert_eq!(got.json()["events"], json!(["USER.UNLOCKED"]));
        assert_eq!(a.account(&ALICE).await, OPEN());
        // Once unlocked, an unlock reports nothing.
        assert_eq!(a.unlock(&ALICE).await.json()["events"], json!([]));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_mfa_lock_stays_through_the_password_unlock_on_either_instance() {
    for (a, b) in pairs().await {
        // A right password on A earns a ticket there (MFA tickets are each instance's).
        let ticket_a = a.ticket(&ALICE).await;
        for _ in 0..MFA_THRESHOLD {
            let got = a.mfa(&ticket_a, "999999").await;
            assert_eq!(got.status, StatusCode::UNAUTHORIZED);
        }
        let locked = b.account(&ALICE).await;
        assert_eq!(locked["status"], "LOCKED");
        assert!(locked["unlockAt"].is_string());
        // The right password is refused, as a wrong one, and not verified.
        let got = b.login(ALICE.username, ALICE.password).await;
        assert_eq!(got.status, StatusCode::UNAUTHORIZED);
        assert_eq!(a.passwords.verifications() + b.passwords.verifications(), 1);
        // The password unlock through B leaves the MFA lock (and its lockedAt) alone.
        let got = b.unlock_password(&ALICE).await;
        assert_eq!(got.status, StatusCode::OK);
        assert_eq!(got.json()["events"], json!(["PASSWORD.UNLOCKED"]));
        assert_same_lock(&got.json()["account"], &locked);
        assert_same_lock(&a.account(&ALICE).await, &locked);
        let got = a.login(ALICE.username, ALICE.password).await;
        assert_eq!(got.status, StatusCode::UNAUTHORIZED);
        // `status: "LOCKED"` through A on the locked account changes nothing (behaviour
        // §4): the MFA lock stands, with its lockedAt.
        let got = a.patch(&ALICE, r#"{"status":"LOCKED"}"#).await;
        assert_eq!(got.status, StatusCode::OK);
        let taken = b.account(&ALICE).await;
        assert_same_lock(&taken, &got.json()["account"]);
        assert_eq!(taken["status"], "LOCKED");
        assert_eq!(taken["lockedAt"], locked["lockedAt"]);
        // The account unlock ends it; the MFA counter starts again from zero.
        let got = b.unlock(&ALICE).await;
        assert_eq!(got.json()["events"], json!(["USER.UNLOCKED"]));
        assert_eq!(a.account(&ALICE).await, OPEN());
        let ticket_b = b.ticket(&ALICE).await;
        for _ in 1..MFA_THRESHOLD {
            let _ = b.mfa(&ticket_b, "999999").await;
        }
        assert_eq!(a.account(&ALICE).await, OPEN());
        let got = a.mfa(&ticket_a, ALICE.mfa_code).await;
        assert_eq!(got.status, StatusCode::OK);
    }
}
