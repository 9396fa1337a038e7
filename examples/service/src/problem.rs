//! The error bodies of the service: `{"code":"…","message":"…"}` with a status.
//!
//! Every answer that is not a success and not a login's verdict has this shape: a
//! refused administrator action (400, with [behaviour §4](account_lockout::behaviour#s4)'s
//! code), a body that is not what the endpoint takes (400), an unknown user or route
//! (404), a wrong method (405) or `Content-Type` (415), a body over the limit (413), and
//! a state that cannot be read (503). axum's own plain-text rejections never reach a
//! client: the extractors map them here.

use core::fmt;

use account_lockout::ErrorCode;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::state::{AdminError, StateError};

/// An error answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    status: StatusCode,
    code: &'static str,
    message: String,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: &'a str,
}

impl Problem {
    /// An answer of `status` with `code` and `message`.
    pub fn new(status: StatusCode, code: &'static str, message: impl fmt::Display) -> Problem {
        Problem {
            status,
            code,
            message: message.to_string(),
        }
    }

    /// 400 with one of [behaviour §4](account_lockout::behaviour#s4)'s codes.
    pub fn bad_request(code: ErrorCode, message: impl fmt::Display) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, code.as_str(), message)
    }

    /// 404: no such user (or environment, or route).
    pub fn not_found(message: impl fmt::Display) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 405: the route exists, the method does not.
    #[must_use]
    pub fn method_not_allowed() -> Problem {
        Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this route does not take this method",
        )
    }

    /// 401: the one answer to a wrong credential, an unknown user name, and a locked or
    /// disabled account alike, so that it tells nothing about the account.
    #[must_use]
    pub fn invalid_credentials() -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "the user name or the credential is wrong",
        )
    }

    /// 415: the request's `Content-Type` is none of `accepted`.
    #[must_use]
    pub fn unsupported_media_type(accepted: &[&str]) -> Problem {
        Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format_args!("Content-Type must be {}", accepted.join(" or ")),
        )
    }

    /// The answer to a state that could not be read or written.
    #[must_use]
    pub fn state(error: StateError) -> Problem {
        let status = match error {
            StateError::AccountTooSmall => StatusCode::INTERNAL_SERVER_ERROR,
            StateError::Full | StateError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        };
        Problem::new(status, "unavailable", error)
    }

    /// The answer to a refused administrator action: 400 with its code, or the state's.
    #[must_use]
    pub fn admin(error: AdminError) -> Problem {
        match error {
            AdminError::Refused(error) => Problem::bad_request(error.code(), error),
            AdminError::State(error) => Problem::state(error),
        }
    }

    /// The status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

impl std::error::Error for Problem {}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = Body {
            code: self.code,
            message: &self.message,
        };
        (self.status, Json(body)).into_response()
    }
}
