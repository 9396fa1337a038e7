#![allow(clippy::restriction)]
//! The service over real HTTP: a reqwest client against the server on a free 127.0.0.1
//! port, one server (and so fresh accounts) per test. argon2 runs with cheap parameters;
//! the counts of verifications come from the service's own password checker.

mod common;

use std::sync::Arc;

use account_lockout_service::directory::DEMO_ENVIRONMENT;
use account_lockout_service::users::{ACCOUNT_UNLOCK, PASSWORD_UNLOCK};
use common::{ALICE, BOB, MFA_THRESHOLD, OPEN, Server, THRESHOLD, answer};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_user_has_the_seed_shape() {
    let server = Server::start().await;
    assert_eq!(
        server.user(&ALICE).await,
        json!({
            "id": ALICE.id,
            "environment": {"id": DEMO_ENVIRONMENT},
            "username": "alice",
            "account": {"canAuthenticate": true, "status": "OK"},
        })
    );
    let unknown = format!(
        "{}/environments/{DEMO_ENVIRONMENT}/users/nobody",
        server.base
    );
    let got = server
        .send(server.client.get(unknown).bearer_auth(&server.admin))
        .await;
    assert_eq!(
        (got.status, got.code().as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_correct_logins_never_lock_the_user() {
    let server = Arc::new(Server::start().await);
    let logins: Vec<_> = (0..50)
        .map(|_| {
            let server = Arc::clone(&server);
            tokio::spawn(async move { server.login(ALICE.username, ALICE.password).await })
        })
        .collect();
    // Logins beyond the attempts the account lets run at once (its budget of 5) wait
    // their turn, and every one gets in.
    for login in logins {
        let got = login.await.unwrap();
        assert_eq!(got.status, StatusCode::OK, "{got:?}");
        assert_eq!(got.json()["userId"], json!(ALICE.id));
        assert_eq!(got.json()["mfaTicket"].as_str().unwrap().len(), 32);
    }
    assert_eq!(server.passwords.verifications(), 50);
    assert_eq!(server.account(&ALICE).await, OPEN());
    assert_eq!(
        server.login(ALICE.username, ALICE.password).await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_wrong_logins_verify_no_more_passwords_than_the_threshold() {
    let server = Arc::new(Server::start().await);
    let logins: Vec<_> = (0..100)
        .map(|n| {
            let server = Arc::clone(&server);
            tokio::spawn(async move { server.login(BOB.username, &format!("guess {n}")).await })
        })
        .collect();
    for login in logins {
        let got = login.await.unwrap();
        // Checked and wrong, or refused once the account locked: the same answer.
        assert_eq!(got.status, StatusCode::UNAUTHORIZED, "{got:?}");
        assert_eq!(got.code(), "invalid_credentials");
    }
    // The attempt protocol reserves each failure before its check: five, then the lock.
    assert_eq!(server.passwords.verifications(), THRESHOLD);
    let account = server.account(&BOB).await;
    assert_eq!(account["status"], "LOCKED");
    assert_eq!(account["canAuthenticate"], false);
    // Locked: even the right password is not checked.
    let got = server.login(BOB.username, BOB.password).await;
    assert_eq!(got.status, StatusCode::UNAUTHORIZED);
    assert_eq!(server.passwords.verifications(), THRESHOLD);
    // The other user is untouched.
    assert_eq!(server.account(&ALICE).await, OPEN());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_locked_account_answers_exactly_as_a_wrong_password() {
    let server = Server::start().await;
    let wrong = server.login(ALICE.username, "wrong").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.content_type.as_deref(), Some("application/json"));
    assert_eq!(wrong.code(), "invalid_credentials");
    assert_eq!(server.login("nobody", "wrong").await, wrong);
    server.lock_by_password(&ALICE).await;
    assert_eq!(server.login(ALICE.username, ALICE.password).await, wrong);
    assert_eq!(server.login(ALICE.username, "wrong").await, wrong);
    // And an administrator's lock or a disabled user the same.
    let bob_patched = server.patch(&BOB, r#"{"canAuthenticate":false}"#).await;
    assert_eq!(bob_patched.status, StatusCode::OK);
    assert_eq!(server.login(BOB.username, BOB.password).await, wrong);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_account_unlock_ends_a_password_lock() {
    let server = Server::start().await;
    server.lock_by_password(&ALICE).await;
    let got = server.unlock(&ALICE).await;
    assert_eq!(got.status, StatusCode::OK);
    let body = got.json();
    assert_eq!(body["events"], json!(["USER.UNLOCKED"]));
    assert_eq!(body["account"], OPEN());
    assert_eq!(body["id"], ALICE.id);
    assert_eq!(server.account(&ALICE).await, OPEN());
    assert_eq!(
        server.login(ALICE.username, ALICE.password).await.status,
        StatusCode::OK
    );
    // On an open account: nothing to report.
    assert_eq!(server.unlock(&ALICE).await.json()["events"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_account_unlock_ends_an_mfa_lock() {
    let server = Server::start().await;
    let ticket = server.ticket(&BOB).await;
    for _ in 0..MFA_THRESHOLD {
        assert_eq!(
            server.mfa(&ticket, "000000").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(server.account(&BOB).await["status"], "LOCKED");
    // A right code is refused while locked, and so is the right password.
    assert_eq!(
        server.mfa(&ticket, BOB.mfa_code).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        server.login(BOB.username, BOB.password).await.status,
        StatusCode::UNAUTHORIZED
    );
    let got = server.unlock(&BOB).await;
    assert_eq!(got.json()["events"], json!(["USER.UNLOCKED"]));
    assert_eq!(server.account(&BOB).await, OPEN());
    let got = server.mfa(&ticket, BOB.mfa_code).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.json(), json!({"userId": BOB.id, "username": "bob"}));
    // A ticket is used up by the code it was for.
    assert_eq!(
        server.mfa(&ticket, BOB.mfa_code).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_password_unlock_ends_a_password_lock_but_not_an_mfa_lock() {
    let server = Server::start().await;
    // On an open account: PASSWORD.UNLOCKED alone.
    let got = server.unlock_password(&ALICE).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.json()["events"], json!(["PASSWORD.UNLOCKED"]));

    server.lock_by_password(&ALICE).await;
    let got = server.unlock_password(&ALICE).await;
    assert_eq!(got.status, StatusCode::OK);
    let body = got.json();
    assert_eq!(
        body["events"],
        json!(["PASSWORD.UNLOCKED", "USER.UNLOCKED"])
    );
    assert_eq!(body["account"], OPEN());
    assert_eq!(server.account(&ALICE).await, OPEN());
    assert_eq!(
        server.login(ALICE.username, ALICE.password).await.status,
        StatusCode::OK
    );

    // behaviour §7.3: it never ends the MFA source's lock.
    let ticket = server.ticket(&BOB).await;
    for _ in 0..MFA_THRESHOLD {
        let _ = server.mfa(&ticket, "000000").await;
    }
    let got = server.unlock_password(&BOB).await;
    assert_eq!(got.json()["events"], json!(["PASSWORD.UNLOCKED"]));
    assert_eq!(got.json()["account"]["status"], "LOCKED");
    assert_eq!(server.account(&BOB).await["status"], "LOCKED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unlock_with_another_content_type_is_415_and_changes_nothing() {
    let server = Server::start().await;
    server.lock_by_password(&ALICE).await;
    let before = server.account(&ALICE).await;
    let user = server.user_url(&ALICE);
    let password = format!("{user}/password");
    for (url, content_type) in [
        (&user, "application/json"),
        (&user, PASSWORD_UNLOCK),
        (&user, "text/plain"),
        (&password, ACCOUNT_UNLOCK),
        (&password, "application/json"),
    ] {
        let got = server
            .raw(reqwest::Method::POST, url.clone(), content_type, "{}")
            .await;
        assert_eq!(
            got.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
        assert_eq!(got.code(), "unsupported_media_type");
    }
    // No Content-Type at all.
    let got = server
        .send(server.client.post(user.clone()).bearer_auth(&server.admin))
        .await;
    assert_eq!(got.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(server.account(&ALICE).await["status"], before["status"]);
    assert_eq!(server.account(&ALICE).await["lockedAt"], before["lockedAt"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_patch_error_is_a_400_with_its_code_and_changes_nothing() {
    let server = Server::start().await;
    let before = server.user(&ALICE).await;
    for (body, code) in [
        ("[]", "invalid_value"),
        ("null", "invalid_value"),
        (r#"{"lockedAt":"2026-01-01T00:00:00Z"}"#, "read_only_field"),
        (r#"{"secondsUntilUnlock":5}"#, "read_only_field"),
        (r#"{"status":"LOCKED","colour":"red"}"#, "unknown_field"),
        (r#"{"status":"MAYBE"}"#, "invalid_value"),
        (r#"{"canAuthenticate":"yes"}"#, "invalid_value"),
        (
            r#"{"unlockAt":"tomorrow","status":"LOCKED"}"#,
            "invalid_value",
        ),
        (r#"{"status":"LOCKED","status":"LOCKED"}"#, "invalid_value"),
        (
            r#"{"canAuthenticate":true,"status":"LOCKED"}"#,
            "conflicting_fields",
        ),
        (
            r#"{"status":"OK","unlockAt":"2999-01-01T00:00:00Z"}"#,
            "conflicting_fields",
        ),
        (
            r#"{"unlockAt":"2999-01-01T00:00:00Z"}"#,
            "unlock_at_requires_locked",
        ),
        (
            r#"{"status":"LOCKED","unlockAt":"2000-01-01T00:00:00Z"}"#,
            "unlock_at_not_in_future",
        ),
    ] {
        let got = server.patch(&ALICE, body).await;
        assert_eq!(got.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(
            got.content_type.as_deref(),
            Some("application/json"),
            "{body}"
        );
        assert_eq!(got.code(), code, "{body}");
        assert!(
            got.json()["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        assert_eq!(server.user(&ALICE).await, before, "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_patch_writes_what_it_says() {
    let server = Server::start().await;
    let got = server.patch(&ALICE, r#"{"status":"LOCKED"}"#).await;
    assert_eq!(got.status, StatusCode::OK);
    let account = got.json()["account"].clone();
    assert_eq!(account["status"], "LOCKED");
    assert_eq!(account["canAuthenticate"], false);
    assert!(account["lockedAt"].is_string());
    // An administrator lock with no deadline: no unlockAt, no secondsUntilUnlock.
    assert!(account.get("unlockAt").is_none());
    assert!(got.json().get("events").is_none());
    assert_eq!(server.account(&ALICE).await, account);
    let got = server.patch(&ALICE, r#"{"status":"OK"}"#).await;
    assert_eq!(got.json()["account"], OPEN());
    assert_eq!(server.patch(&ALICE, "{}").await.json()["account"], OPEN());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_malformed_body_is_a_clear_400_and_changes_nothing() {
    let server = Server::start().await;
    let before = server.user(&ALICE).await;
    for body in [r#"{"status":"#, "status=LOCKED", ""] {
        let got = server.patch(&ALICE, body).await;
        assert_eq!(got.status, StatusCode::BAD_REQUEST, "{body:?}");
        assert_eq!(got.code(), "invalid_value");
        let message = got.json()["message"].as_str().unwrap().to_owned();
        assert!(
            message.starts_with("the body is not valid JSON"),
            "{message}"
        );
    }
    let url = format!("{}/login", server.base);
    for body in [
        r#"{"username":"alice""#,
        r#"{"username":"alice"}"#,
        r#"{"username":1,"password":"x"}"#,
    ] {
        let got = server
            .raw(reqwest::Method::POST, url.clone(), "application/json", body)
            .await;
        assert_eq!(got.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(got.code(), "invalid_value");
    }
    // A login body that is not JSON at all is refused before any check.
    let got = server
        .raw(reqwest::Method::POST, url, "text/plain", "alice:secret")
        .await;
    assert_eq!(got.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(server.passwords.verifications(), 0);
    assert_eq!(server.user(&ALICE).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_address_that_failed_too_often_is_told_when_to_come_back() {
    let server = Server::start().await;
    // The per-address limit (20 wrong passwords) across names the directory does not
    // know, so that no user's own lock answers first.
    for n in 0..20 {
        let got = server.login(&format!("guess-{n}"), "wrong").await;
        assert_eq!(got.status, StatusCode::UNAUTHORIZED);
    }
    let response = server
        .client
        .post(format!("{}/login", server.base))
        .json(&json!({"username": "alice", "password": ALICE.password}))
        .send()
        .await
        .unwrap();
    let retry_after = response.headers().get(RETRY_AFTER).cloned();
    let got = answer(response).await;
    assert_eq!(got.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(got.code(), "too_many_attempts");
    // The lock is 300 s, counted from the 20th failure (whole seconds, rounded up).
    let seconds: u64 = retry_after.unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=300).contains(&seconds), "{seconds}");
    assert_eq!(server.passwords.verifications(), 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_account_endpoints_need_the_admin_token_and_change_nothing_without_it() {
    let server = Server::start().await;
    server.lock_by_password(&ALICE).await;
    let before = server.user(&ALICE).await;
    let user = server.user_url(&ALICE);
    let password = format!("{user}/password");
    let requests = [
        server.client.get(&user),
        server
            .client
            .post(&user)
            .header(CONTENT_TYPE, ACCOUNT_UNLOCK),
        server
            .client
            .post(&password)
            .header(CONTENT_TYPE, PASSWORD_UNLOCK),
        server
            .client
            .patch(&user)
            .header(CONTENT_TYPE, "application/json")
            .body(r#"{"status":"OK"}"#),
    ];
    for request in requests {
        for token in [None, Some("not-the-token"), Some(&server.admin[1..])] {
            let request = request.try_clone().unwrap();
            let request = match token {
                Some(token) => request.bearer_auth(token),
                None => request,
            };
            let response = request.send().await.unwrap();
            assert_eq!(
                response.headers().get("www-authenticate").unwrap(),
                "Bearer"
            );
            let got = answer(response).await;
            assert_eq!(got.status, StatusCode::UNAUTHORIZED, "{token:?}");
            assert_eq!(got.code(), "unauthorized");
        }
    }
    assert_eq!(server.user(&ALICE).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_mfa_code_needs_a_ticket_from_a_right_password() {
    let server = Server::start().await;
    // Without a ticket, a right code does not let anyone in, and wrong codes lock nothing.
    for code in [BOB.mfa_code, "000000", "000000", "000000", "000000"] {
        let got = server.mfa("made-up-ticket", code).await;
        assert_eq!(got.status, StatusCode::UNAUTHORIZED);
        assert_eq!(got.code(), "invalid_credentials");
    }
    assert_eq!(server.account(&BOB).await, OPEN());
    // A wrong password earns no ticket.
    let got = server.login(BOB.username, "wrong").await;
    assert_eq!(got.json().get("mfaTicket"), None);
    // Alice's ticket does not pass Bob's code.
    let alice = server.ticket(&ALICE).await;
    assert_eq!(
        server.mfa(&alice, BOB.mfa_code).await.status,
        StatusCode::UNAUTHORIZED
    );
    let got = server.mfa(&alice, ALICE.mfa_code).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.json(), json!({"userId": ALICE.id, "username": "alice"}));
}
