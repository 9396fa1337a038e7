//! `POST /login` and `POST /login/mfa`.
//!
//! A password login is the attempt protocol of [behaviour §7.1](account_lockout::behaviour#s7-1):
//! begin (which may refuse, and then no password is checked), verify the argon2 hash,
//! finish with the verdict. A locked account, a disabled user, an unknown name and a wrong
//! password all get [`Problem::invalid_credentials`], byte for byte.

use std::net::SocketAddr;
use std::sync::Arc;

use account_lockout::Verdict;
use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::http::header::RETRY_AFTER;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::Service;
use crate::body::JsonBody;
use crate::problem::Problem;
use crate::state::{AccountStates, Admission, LoginStart, LoginSubject, Refusal};

/// The body of `POST /login`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordLogin {
    /// The name the user logs in with.
    pub username: String,
    /// The password, in clear (over TLS in a real deployment).
    pub password: String,
}

/// The body of `POST /login/mfa`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MfaLogin {
    /// The ticket a right password earned ([`Admitted::mfa_ticket`]).
    pub ticket: String,
    /// The MFA code (the demo's fixed code: [`crate::directory::DemoUser::mfa_code`]).
    pub code: String,
}

/// The answer to an admitted login.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Admitted {
    /// The user's id.
    pub user_id: String,
    /// The name the user logged in with.
    pub username: String,
    /// After a right password: the ticket to send with the MFA code
    /// (`POST /login/mfa`), valid for [`crate::tickets::TICKET_LIFETIME`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa_ticket: Option<String>,
}

fn admitted(user_id: String, username: String, mfa_ticket: Option<String>) -> Response {
    let body = Admitted {
        user_id,
        username,
        mfa_ticket,
    };
    (StatusCode::OK, Json(body)).into_response()
}

/// How long a login waits for the user's attempts in flight before it gives up, in
/// steps: some 2 s, a few verifications.
const BUSY_WAIT: std::time::Duration = std::time::Duration::from_millis(50);
const BUSY_WAITS: u32 = 40;

/// The answer to a login refused before its password was checked: a wrong password's,
/// unless the client's own address is throttled.
fn refused(refusal: Refusal) -> Response {
    match refusal {
        // Still busy after waiting: answered as a wrong password too, since how many
        // attempts a user has in flight is the user's business.
        Refusal::Denied | Refusal::Busy => Problem::invalid_credentials().into_response(),
        Refusal::SourceThrottled { retry_after } => {
            let problem = Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                "too many failed logins from this address",
            );
            match retry_after {
                // Whole seconds, rounded up: a client that waits that long is let through.
                Some(wait) => (
                    [(RETRY_AFTER, wait.as_secs_ceil().max(1).to_string())],
                    problem,
                )
                    .into_response(),
                None => problem.into_response(),
            }
        }
    }
}

/// `POST /login`: a password login.
pub async fn password<S: AccountStates>(
    State(service): State<Arc<Service<S>>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    JsonBody(login): JsonBody<PasswordLogin>,
) -> Response {
    // Run on its own task: a client that hangs up must not leave the attempt in flight
    // (it would hold part of the account's budget until the attempt times out).
    let task = tokio::spawn(async move { password_login(&service, peer, login).await });
    task.await.unwrap_or_else(|_| {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the login could not be completed",
        )
        .into_response()
    })
}

async fn password_login<S: AccountStates>(
    service: &Service<S>,
    peer: SocketAddr,
    login: PasswordLogin,
) -> Response {
    let source = peer.ip();
    let subject = service.directory.subject(&login.username);
    let mut waits = 0;
    let ticket = loop {
        match service
            .states
            .login_begin(&subject, source, service.now())
            .await
        {
            Ok(LoginStart::Verify(ticket)) => break ticket,
            // The user's attempts in flight hold its whole budget: one ends within a
            // verification or so; wait for it rather than answer something a wrong
            // password would not get.
            Ok(LoginStart::Refused(Refusal::Busy)) if waits < BUSY_WAITS => {
                waits = waits.saturating_add(1);
                tokio::time::sleep(BUSY_WAIT).await;
            }
            Ok(LoginStart::Refused(refusal)) => {
                if !matches!(refusal, Refusal::SourceThrottled { .. }) {
                    // As slow as a wrong password, without checking one.
                    service.passwords.pace().await;
                }
                return refused(refusal);
            }
            Err(error) => return Problem::state(error).into_response(),
        }
    };
    let user = match &subject {
        LoginSubject::User(id) => service
            .directory
            .user(service.directory.environment(), id)
            .cloned(),
        LoginSubject::UnknownName(_) => None,
    };
    let stored = user.as_ref().map(|user| user.password_hash().to_owned());
    let verdict = if service.passwords.verify(stored, login.password).await {
        Verdict::Success
    } else {
        Verdict::Failure { credential: None }
    };
    let finished = service
        .states
        .login_finish(&subject, source, ticket, verdict, service.now())
        .await;
    match (finished, user) {
        (Ok(Admission::Admitted), Some(user)) => {
            let ticket = service.tickets.issue(&user.id);
            admitted(user.id, user.username, Some(ticket))
        }
        (Ok(_), _) => Problem::invalid_credentials().into_response(),
        (Err(error), _) => Problem::state(error).into_response(),
    }
}

/// `POST /login/mfa`: an MFA code, with the ticket a right password earned, counted by
/// the account's MFA source. A ticket unknown, used up or expired is answered as a wrong
/// code, and counts nothing.
pub async fn mfa<S: AccountStates>(
    State(service): State<Arc<Service<S>>>,
    JsonBody(login): JsonBody<MfaLogin>,
) -> Response {
    let user = service
        .tickets
        .user_of(&login.ticket)
        .and_then(|id| service.directory.user(service.directory.environment(), &id));
    let Some(user) = user else {
        return Problem::invalid_credentials().into_response();
    };
    let code_ok = user.mfa_code_matches(&login.code);
    match service.states.mfa(&user.id, code_ok, service.now()).await {
        Ok(Admission::Admitted) => {
            service.tickets.consume(&login.ticket);
            admitted(user.id.clone(), user.username.clone(), None)
        }
        Ok(Admission::Denied) => Problem::invalid_credentials().into_response(),
        Err(error) => Problem::state(error).into_response(),
    }
}
