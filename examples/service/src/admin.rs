//! The administrator's credential: a bearer token that the account endpoints (`GET`,
//! `PATCH`, the unlocks) require, as PingOne's management API requires an access token.
//! Without it, anyone could unlock an account after each round of guesses and so check
//! passwords without end.

use core::fmt;
use std::sync::Arc;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::Service;
use crate::problem::Problem;
use crate::state::AccountStates;

/// The shortest token accepted: 128 bits as hex.
const MIN_TOKEN_LEN: usize = 32;

/// The administrator's bearer token.
///
/// ```
/// use account_lockout_service::admin::AdminToken;
///
/// let token = AdminToken::new("0123456789abcdef0123456789abcdef".into()).unwrap();
/// assert!(token.matches("0123456789abcdef0123456789abcdef"));
/// assert!(!token.matches("0123456789abcdef0123456789abcdeF"));
/// assert!(AdminToken::new("short".into()).is_err());
/// ```
#[derive(Clone)]
pub struct AdminToken(Arc<str>);

/// A token shorter than 32 characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenTooShort;

impl fmt::Display for TokenTooShort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an admin token has at least {MIN_TOKEN_LEN} characters")
    }
}

impl std::error::Error for TokenTooShort {}

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A secret: never in a log.
        f.write_str("AdminToken(..)")
    }
}

impl AdminToken {
    /// `token` (surrounding whitespace dropped), if it has at least 32 characters.
    pub fn new(token: String) -> Result<AdminToken, TokenTooShort> {
        let token = token.trim();
        if token.len() < MIN_TOKEN_LEN {
            return Err(TokenTooShort);
        }
        Ok(AdminToken(token.into()))
    }

    /// 256 random bits from the operating system, as hex.
    #[must_use]
    pub fn generate() -> AdminToken {
        let mut bytes = [0_u8; 32];
        OsRng.fill_bytes(&mut bytes);
        let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
        AdminToken(hex.into())
    }

    /// The token, to hand to the administrator.
    #[must_use]
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// Whether `presented` is the token, compared in time that does not depend on where
    /// they differ.
    #[must_use]
    pub fn matches(&self, presented: &str) -> bool {
        let (expected, presented) = (self.0.as_bytes(), presented.as_bytes());
        expected.len() == presented.len()
            && expected
                .iter()
                .zip(presented)
                .fold(0_u8, |difference, (a, b)| difference | (a ^ b))
                == 0
    }
}

/// The middleware of the account endpoints: 401 `unauthorized` (with
/// `WWW-Authenticate: Bearer`) unless the request carries `Authorization: Bearer <token>`.
pub async fn require<S: AccountStates>(
    State(service): State<Arc<Service<S>>>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    if presented.is_some_and(|token| service.admin_token().matches(token)) {
        return next.run(request).await;
    }
    let mut response = Problem::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "the account endpoints need the administrator's bearer token",
    )
    .into_response();
    response
        .headers_mut()
        .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}
