//! An HTTP service over `account-lockout`: argon2 logins through the attempt protocol
//! ([behaviour §7.1](account_lockout::behaviour#s7-1)), and PingOne's account endpoints
//! (view, patch, account unlock, password unlock, [behaviour §7.3](account_lockout::behaviour#s7-3)).
//!
//! # Running it
//!
//! ```text
//! cargo run -p account-lockout-service -- --listen 127.0.0.1:8080
//! cargo run -p account-lockout-service -- --policy policy.json   # a `pingone` policy, `mfa` optional
//! cargo run -p account-lockout-service -- --redis redis://127.0.0.1:6379/   # or --postgres URL
//! ```
//!
//! It prints the demo environment and users (see [`directory::DEMO_USERS`]) and the
//! administrator's bearer token (random, or `--admin-token-file`), then serves:
//!
//! | request | answer |
//! |---|---|
//! | `POST /login` `{"username","password"}` | 200 `{"userId","username","mfaTicket"}`; 401 `invalid_credentials` for a wrong password **and** for a locked or disabled account or an unknown name (the same bytes, after as long as a check takes); 429 `too_many_attempts` with `Retry-After` (when the wait is known) for an address that failed too often, the same for every name |
//! | `POST /login/mfa` `{"ticket","code"}` | 200 `{"userId","username"}`, or the same 401; the ticket is what a right password earned ([`tickets`]); the demo's codes are fixed per user (a real service checks a TOTP) |
//! | `GET /environments/{env}/users/{id}` (admin) | the user with its `account` object (`canAuthenticate`, `lockedAt`, `secondsUntilUnlock`, `status`, `unlockAt`) |
//! | `PATCH /environments/{env}/users/{id}` (admin, `application/json`) | the account's mutable fields ([behaviour §4.3](account_lockout::behaviour#s4-3)); a refused patch is 400 with its [behaviour §4](account_lockout::behaviour#s4) code and changes nothing |
//! | `POST /environments/{env}/users/{id}` (admin, `application/vnd.pingidentity.account.unlock+json`) | account unlock; the user and `"events":["USER.UNLOCKED"]` when it was locked |
//! | `POST /environments/{env}/users/{id}/password` (admin, `application/vnd.pingidentity.password.unlock+json`) | password unlock; `"events":["PASSWORD.UNLOCKED", …]` |
//!
//! "admin": `Authorization: Bearer <token>` ([`admin`]), else 401 `unauthorized`. Every
//! error is a JSON body `{"code":"…","message":"…"}` ([`problem::Problem`]): a body that
//! is not JSON is 400 `invalid_value` and changes nothing, another `Content-Type` is 415.
//!
//! ```text
//! ENV=5f0e3a7c-9d42-4b1e-8c6f-2a9d7e1b4c30; ALICE=8c2b6f0a-3e1d-4a57-b9c4-71d05e2a9f18
//! TOKEN=...   # the "admin token" line it printed
//! curl -si localhost:8080/login -H 'Content-Type: application/json' \
//!      -d '{"username":"alice","password":"wrong"}'
//! curl -s localhost:8080/environments/$ENV/users/$ALICE -H "Authorization: Bearer $TOKEN"
//! curl -s -X PATCH localhost:8080/environments/$ENV/users/$ALICE -H "Authorization: Bearer $TOKEN" \
//!      -H 'Content-Type: application/json' -d '{"status":"LOCKED"}'
//! curl -s -X POST localhost:8080/environments/$ENV/users/$ALICE -H "Authorization: Bearer $TOKEN" \
//!      -H 'Content-Type: application/vnd.pingidentity.account.unlock+json'
//! curl -s -X POST localhost:8080/environments/$ENV/users/$ALICE/password -H "Authorization: Bearer $TOKEN" \
//!      -H 'Content-Type: application/vnd.pingidentity.password.unlock+json'
//! ```
//!
//! # In a test
//!
//! [`serve`] runs the service on any listener, so a test binds `127.0.0.1:0`:
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use account_lockout_service::{Service, serve};
//! use account_lockout_service::state::{Policies, memory::MemoryStates};
//!
//! let service = Arc::new(Service::demo(argon2::Params::default(), MemoryStates::new(Policies::defaults()?))?);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! println!("listening on {}", listener.local_addr()?);
//! serve(listener, service, std::future::pending()).await?;
//! # Ok(())
//! # }
//! ```
//!
//! # The guard and the events
//!
//! The in-memory state ([`state::memory`]) judges each login with the crate's
//! [`Guard`](account_lockout::Guard): the user (the account's password lockout), the user
//! from one address, and the address (IPv4, or IPv6 by /64), each under its policy of
//! [`state::Policies`], recorded in all three or none. A refusal by the user or the user ×
//! source scope answers as a wrong password
//! ([`Disclosure::AsWrongCredential`](account_lockout::Disclosure)); only an address's own
//! throttle says so, with `Retry-After`. Each transition is a `tracing` event of the
//! target `account_lockout` ([`account_lockout::events`]), on stderr:
//! `RUST_LOG=account_lockout=debug` shows every count, the default `info` the locks,
//! unlocks and refusals.
//!
//! The accounts sit behind [`state::AccountStates`]; the handlers know nothing else of
//! them, so another state (a shared store) drops in without touching the HTTP layer.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod admin;
pub mod body;
pub mod clock;
pub mod credentials;
pub mod directory;
pub mod login;
pub mod problem;
pub mod state;
pub mod tickets;
pub mod users;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use account_lockout::{Clock, Instant};
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::{Router, middleware};
use tokio::net::TcpListener;

use crate::admin::AdminToken;
use crate::clock::SystemClock;
use crate::credentials::{HashError, Passwords};
use crate::directory::Directory;
use crate::problem::Problem;
use crate::state::AccountStates;
use crate::tickets::MfaTickets;

/// What the handlers share: the users, their password checker and the account states.
#[derive(Debug)]
pub struct Service<S> {
    directory: Directory,
    passwords: Passwords,
    states: S,
    admin: AdminToken,
    tickets: MfaTickets,
}

impl<S: AccountStates> Service<S> {
    /// A service over `directory`, whose hashes `passwords` checks, and `states`; its
    /// account endpoints take `admin`.
    #[must_use]
    pub fn new(
        directory: Directory,
        passwords: Passwords,
        states: S,
        admin: AdminToken,
    ) -> Service<S> {
        Service {
            directory,
            passwords,
            states,
            admin,
            tickets: MfaTickets::default(),
        }
    }

    /// The demo directory, hashed with argon2id under `params` (the tests pass cheap
    /// ones), over `states`, with a fresh random admin token.
    pub fn demo(params: argon2::Params, states: S) -> Result<Service<S>, HashError> {
        let passwords = Passwords::new(params)?;
        let directory = Directory::demo(&passwords)?;
        Ok(Service::new(
            directory,
            passwords,
            states,
            AdminToken::generate(),
        ))
    }

    /// The administrator's bearer token, which the account endpoints require.
    #[must_use]
    pub fn admin_token(&self) -> &AdminToken {
        &self.admin
    }

    /// Replaces the admin token (`--admin-token-file`).
    #[must_use]
    pub fn with_admin_token(self, admin: AdminToken) -> Service<S> {
        Service { admin, ..self }
    }

    /// The MFA tickets that right passwords earned.
    #[must_use]
    pub fn tickets(&self) -> &MfaTickets {
        &self.tickets
    }

    /// The users.
    #[must_use]
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// The password checker (a clone shares its count of verifications).
    #[must_use]
    pub fn passwords(&self) -> &Passwords {
        &self.passwords
    }

    /// The account states.
    #[must_use]
    pub fn states(&self) -> &S {
        &self.states
    }

    /// The instant a request acts at.
    fn now(&self) -> Instant {
        SystemClock.now()
    }
}

/// The routes. The login handlers read the client's address, so serve the router with
/// [`Router::into_make_service_with_connect_info`] (as [`serve`] does).
pub fn app<S: AccountStates>(service: Arc<Service<S>>) -> Router {
    let accounts = Router::new()
        .route(
            "/environments/{environment}/users/{user}",
            get(users::show::<S>)
                .patch(users::patch::<S>)
                .post(users::unlock::<S>),
        )
        .route(
            "/environments/{environment}/users/{user}/password",
            post(users::unlock_password::<S>),
        )
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&service),
            admin::require::<S>,
        ));
    Router::new()
        .route("/login", post(login::password::<S>))
        .route("/login/mfa", post(login::mfa::<S>))
        .merge(accounts)
        .fallback(|| async { Problem::not_found("no such route") })
        .method_not_allowed_fallback(|| async { Problem::method_not_allowed() })
        .layer(DefaultBodyLimit::max(body::BODY_LIMIT))
        .with_state(service)
}

/// Serves [`app`] on `listener` until `shutdown` completes.
pub async fn serve<S: AccountStates>(
    listener: TcpListener,
    service: Arc<Service<S>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    axum::serve(
        listener,
        app(service).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
