//! Request bodies: JSON only, read whole within the router's limit, and every way they
//! can be wrong answered as a [`Problem`] (never as axum's plain-text rejections).

use account_lockout::ErrorCode;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use crate::problem::Problem;

/// The largest body the service reads (a login or a patch is a few hundred bytes).
pub const BODY_LIMIT: usize = 16 * 1024;

/// The media type of the request's `Content-Type`, lower-cased and without parameters
/// (`application/json; charset=utf-8` is `application/json`).
#[must_use]
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next()?.trim();
    Some(essence.to_ascii_lowercase())
}

/// Whether a media type is JSON: `application/json`, or any `…+json`.
fn is_json(media_type: &str) -> bool {
    media_type == "application/json" || media_type.ends_with("+json")
}

/// The answer to a body axum could not read (over the limit, or cut off).
#[must_use]
pub fn unreadable(rejection: &BytesRejection) -> Problem {
    let code = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        "payload_too_large"
    } else {
        "invalid_body"
    };
    Problem::new(rejection.status(), code, rejection.body_text())
}

/// The answer to a body that is not the JSON an endpoint takes: `invalid_value`, with
/// serde's message (which says where: line and column).
#[must_use]
pub fn malformed(error: &serde_json::Error) -> Problem {
    let message = if error.is_syntax() || error.is_eof() {
        format!("the body is not valid JSON: {error}")
    } else {
        error.to_string()
    };
    Problem::bad_request(ErrorCode::InvalidValue, message)
}

/// A JSON body, as bytes: the `Content-Type` checked (415 otherwise), the body read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBytes {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<JsonBytes, Problem> {
        if !media_type(request.headers()).is_some_and(|media| is_json(&media)) {
            return Err(Problem::unsupported_media_type(&["application/json"]));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| unreadable(&rejection))?;
        Ok(JsonBytes(bytes))
    }
}

/// A JSON body deserialised into `T`; a body that does not fit `T` (bad JSON, a wrong
/// type, a missing or unknown field) is a 400 `invalid_value` with serde's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<JsonBody<T>, Problem> {
        let JsonBytes(bytes) = JsonBytes::from_request(request, state).await?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|error| malformed(&error))
    }
}
