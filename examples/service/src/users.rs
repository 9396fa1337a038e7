//! `/environments/{env}/users/{id}`: the user with its `account` object, the patch of
//! its mutable fields, and PingOne's two unlock actions, chosen by `Content-Type`.
//!
//! An unknown environment or user is a 404 before the state is touched, so that
//! administrator calls on made-up ids take no room in it.

use std::sync::Arc;

use account_lockout::{AccountView, PatchDocument};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::Service;
use crate::body::{JsonBytes, malformed, media_type};
use crate::directory::User;
use crate::problem::Problem;
use crate::state::{AccountEvent, AccountStates, AdminDone};

/// The `Content-Type` of PingOne's account unlock.
pub const ACCOUNT_UNLOCK: &str = "application/vnd.pingidentity.account.unlock+json";
/// The `Content-Type` of PingOne's password unlock.
pub const PASSWORD_UNLOCK: &str = "application/vnd.pingidentity.password.unlock+json";

/// A user as PingOne shows it: `id`, `environment.id`, `username`, `account`, and the
/// `events` of the administrator action that produced it, if any.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserBody<'a> {
    /// The user's id.
    pub id: &'a str,
    /// The user's environment.
    pub environment: EnvironmentRef<'a>,
    /// The name the user logs in with.
    pub username: &'a str,
    /// The folded account view.
    pub account: AccountView,
    /// The events an unlock emitted (absent from a plain read or a patch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<&'static str>>,
}

/// `{"id": …}` of an environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EnvironmentRef<'a> {
    /// The environment's id.
    pub id: &'a str,
}

impl<'a> UserBody<'a> {
    fn new(environment: &'a str, user: &'a User, account: AccountView) -> UserBody<'a> {
        UserBody {
            id: &user.id,
            environment: EnvironmentRef { id: environment },
            username: &user.username,
            account,
            events: None,
        }
    }
}

fn find<'a, S>(service: &'a Service<S>, environment: &str, id: &str) -> Result<&'a User, Problem> {
    service
        .directory
        .user(environment, id)
        .ok_or_else(|| Problem::not_found("no such user in this environment"))
}

fn done(environment: &str, user: &User, done: AdminDone, with_events: bool) -> Response {
    let mut body = UserBody::new(environment, user, done.view);
    if with_events {
        body.events = Some(event_names(&done.events));
    }
    Json(body).into_response()
}

/// `GET`: the user and its account.
pub async fn show<S: AccountStates>(
    State(service): State<Arc<Service<S>>>,
    Path((environment, id)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let user = find(&service, &environment, &id)?;
    let view = service
        .states
        .view(&user.id, service.now())
        .await
        .map_err(Problem::state)?;
    Ok(Json(UserBody::new(&environment, user, view)).into_response())
}

/// `PATCH`: the account's mutable fields ([behaviour §4.3](account_lockout::behaviour#s4-3)).
/// Checks 1–5 of §4.3 are judged on the body, 6 and 7 by the state; any refusal is 400
/// with its code, and changes nothing.
pub async fn patch<S: AccountStates>(
    State(service): State<Arc<Service<S>>>,
    Path((environment, id)): Path<(String, String)>,
    JsonBytes(bytes): JsonBytes,
) -> Result<Response, Problem> {
    let user = find(&service, &environment, &id)?;
    let document: PatchDocument =
        serde_json::from_slice(&bytes).map_err(|error| malformed(&error))?;
    let patch = document
        .into_patch()
        .map_err(|error| Problem::bad_request(error.code, error))?;
    let applied = service
        .states
        .patch(&user.id, patch, service.now())
        .await
        .map_err(Problem::admin)?;
    Ok(done(&environment, user, applied, false))
}

/// `POST` with [`ACCOUNT_UNLOCK`]: PingOne's account unlock. Its body, if any, is not read.
pub async fn unlock<S: AccountStates>(
    State(service): State<Arc<Service<S>>>,
    Path((environment, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    require(&headers, ACCOUNT_UNLOCK)?;
    let user = find(&service, &environment, &id)?;
    let unlocked = service
        .states
        .unlock(&user.id, service.now())
        .await
        .map_err(Problem::admin)?;
    Ok(done(&environment, user, unlocked, true))
}

/// `POST …/password` with [`PASSWORD_UNLOCK`]: PingOne's password unlock.
pub async fn unlock_password<S: AccountStates>(
    State(service): State<Arc<Service<S>>>,
    Path((environment, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    require(&headers, PASSWORD_UNLOCK)?;
    let user = find(&service, &environment, &id)?;
    let unlocked = service
        .states
        .unlock_password(&user.id, service.now())
        .await
        .map_err(Problem::admin)?;
    Ok(done(&environment, user, unlocked, true))
}

/// 415 unless the request's media type is `expected`.
fn require(headers: &HeaderMap, expected: &'static str) -> Result<(), Problem> {
    if media_type(headers).as_deref() == Some(expected) {
        Ok(())
    } else {
        Err(Problem::unsupported_media_type(&[expected]))
    }
}

/// The names of `events`, in order.
#[must_use]
pub fn event_names(events: &[AccountEvent]) -> Vec<&'static str> {
    events.iter().map(|event| event.name()).collect()
}
