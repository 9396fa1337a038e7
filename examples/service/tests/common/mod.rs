//! The helpers of the service's HTTP tests (tests/http.rs on the in-memory state,
//! tests/fleet.rs on a shared store): a server on a free 127.0.0.1 port and a reqwest
//! client that speaks to it.
// Each test binary uses its own part of these helpers.
#![allow(dead_code)]

use std::sync::Arc;

use account_lockout_service::credentials::Passwords;
use account_lockout_service::directory::{DEMO_ENVIRONMENT, DEMO_USERS, DemoUser};
use account_lockout_service::state::memory::MemoryStates;
use account_lockout_service::state::{AccountStates, Policies};
use account_lockout_service::users::{ACCOUNT_UNLOCK, PASSWORD_UNLOCK};
use account_lockout_service::{Service, serve};
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

pub const ALICE: DemoUser = DEMO_USERS[0];
pub const BOB: DemoUser = DEMO_USERS[1];
/// The default password policy's `failureCount` (PingOne's default, 5).
pub const THRESHOLD: u64 = 5;
/// The default MFA policy's `failureCount`.
pub const MFA_THRESHOLD: usize = 3;

pub const OPEN: fn() -> Value = || json!({"canAuthenticate": true, "status": "OK"});

pub struct Server {
    pub base: String,
    pub client: reqwest::Client,
    pub passwords: Passwords,
    /// The administrator's bearer token.
    pub admin: String,
}

/// An answer: status, `Content-Type`, body bytes.
#[derive(Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: StatusCode,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap().to_owned()
    }
}

pub async fn answer(response: reqwest::Response) -> Answer {
    Answer {
        status: response.status(),
        content_type: response
            .headers()
            .get(CONTENT_TYPE)
            .map(|value| value.to_str().unwrap().to_owned()),
        body: response.bytes().await.unwrap().to_vec(),
    }
}

impl Server {
    /// A server on the in-memory state under the default policies.
    pub async fn start() -> Server {
        Server::on(MemoryStates::new(Policies::defaults().unwrap())).await
    }

    /// A server on `states`.
    pub async fn on<S: AccountStates>(states: S) -> Server {
        // argon2id at its smallest: the tests count verifications, they do not time them.
        let cheap = argon2::Params::new(8, 1, 1, None).unwrap();
        let service = Arc::new(Service::demo(cheap, states).unwrap());
        let passwords = service.passwords().clone();
        let admin = service.admin_token().reveal().to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, service, std::future::pending()));
        Server {
            base: format!("http://{address}"),
            client: reqwest::Client::new(),
            passwords,
            admin,
        }
    }

    pub fn user_url(&self, user: &DemoUser) -> String {
        format!(
            "{}/environments/{DEMO_ENVIRONMENT}/users/{}",
            self.base, user.id
        )
    }

    pub async fn login(&self, username: &str, password: &str) -> Answer {
        let body = json!({"username": username, "password": password});
        let url = format!("{}/login", self.base);
        answer(self.client.post(url).json(&body).send().await.unwrap()).await
    }

    /// The MFA ticket a right password earns `user`.
    pub async fn ticket(&self, user: &DemoUser) -> String {
        let got = self.login(user.username, user.password).await;
        assert_eq!(got.status, StatusCode::OK, "{got:?}");
        got.json()["mfaTicket"].as_str().unwrap().to_owned()
    }

    pub async fn mfa(&self, ticket: &str, code: &str) -> Answer {
        let body = json!({"ticket": ticket, "code": code});
        let url = format!("{}/login/mfa", self.base);
        answer(self.client.post(url).json(&body).send().await.unwrap()).await
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        answer(request.send().await.unwrap()).await
    }

    pub async fn raw(
        &self,
        method: reqwest::Method,
        url: String,
        content_type: &str,
        body: &str,
    ) -> Answer {
        let request = self
            .client
            .request(method, url)
            .bearer_auth(&self.admin)
            .header(CONTENT_TYPE, content_type)
            .body(body.to_owned());
        self.send(request).await
    }

    pub async fn patch(&self, user: &DemoUser, body: &str) -> Answer {
        self.raw(
            reqwest::Method::PATCH,
            self.user_url(user),
            "application/json",
            body,
        )
        .await
    }

    pub async fn unlock(&self, user: &DemoUser) -> Answer {
        self.raw(
            reqwest::Method::POST,
            self.user_url(user),
            ACCOUNT_UNLOCK,
            "",
        )
        .await
    }

    pub async fn unlock_password(&self, user: &DemoUser) -> Answer {
        let url = format!("{}/password", self.user_url(user));
        self.raw(reqwest::Method::POST, url, PASSWORD_UNLOCK, "")
            .await
    }

    /// The user as `GET` shows it.
    pub async fn user(&self, user: &DemoUser) -> Value {
        let request = self
            .client
            .get(self.user_url(user))
            .bearer_auth(&self.admin);
        let got = self.send(request).await;
        assert_eq!(got.status, StatusCode::OK);
        got.json()
    }

    /// Just the `account` object.
    pub async fn account(&self, user: &DemoUser) -> Value {
        self.user(user).await["account"].clone()
    }

    /// `THRESHOLD` wrong passwords, one after the other: a password lock.
    pub async fn lock_by_password(&self, user: &DemoUser) {
        for _ in 0..THRESHOLD {
            let got = self.login(user.username, "wrong").await;
            assert_eq!(got.status, StatusCode::UNAUTHORIZED);
        }
        assert_eq!(self.account(user).await["status"], "LOCKED");
    }
}
