//! The demo directory: one PingOne-style environment and its users, with their password
//! hashes and MFA codes. A real service reads these from its user store.

use crate::credentials::{HashError, Passwords};
use crate::state::LoginSubject;

/// The demo environment's id.
pub const DEMO_ENVIRONMENT: &str = "5f0e3a7c-9d42-4b1e-8c6f-2a9d7e1b4c30";

/// A demo user as shipped: its password in clear, to print and to try (a demo only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoUser {
    /// The user's id.
    pub id: &'static str,
    /// The name the user logs in with.
    pub username: &'static str,
    /// The password, hashed with argon2id at start-up.
    pub password: &'static str,
    /// The fixed MFA code of the demo (a real service checks a TOTP or a pushed code).
    pub mfa_code: &'static str,
}

/// The demo users.
pub const DEMO_USERS: [DemoUser; 2] = [
    DemoUser {
        id: "8c2b6f0a-3e1d-4a57-b9c4-71d05e2a9f18",
        username: "alice",
        password: "correct horse battery staple",
        mfa_code: "123456",
    },
    DemoUser {
        id: "2d7e9b41-6a0c-4f3e-8b25-c9e1a4d06b73",
        username: "bob",
        password: "open sesame",
        mfa_code: "246810",
    },
];

/// A user of the directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The user's id (the key of its account state).
    pub id: String,
    /// The name the user logs in with.
    pub username: String,
    password_hash: String,
    mfa_code: String,
}

impl User {
    /// The user's password hash, a PHC string.
    #[must_use]
    pub fn password_hash(&self) -> &str {
        &self.password_hash
    }

    /// Whether `code` is the user's MFA code, compared in constant time.
    #[must_use]
    pub fn mfa_code_matches(&self, code: &str) -> bool {
        let expected = self.mfa_code.as_bytes();
        let given = code.as_bytes();
        let difference = expected
            .iter()
            .zip(given)
            .fold(0_u8, |difference, (a, b)| difference | (a ^ b));
        expected.len() == given.len() && difference == 0
    }
}

/// One environment's users.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directory {
    environment: String,
    users: Vec<User>,
}

impl Directory {
    /// The demo environment with [`DEMO_USERS`], their passwords hashed by `passwords`
    /// (under fresh random salts).
    pub fn demo(passwords: &Passwords) -> Result<Directory, HashError> {
        let users = DEMO_USERS
            .iter()
            .map(|demo| {
                Ok(User {
                    id: demo.id.to_owned(),
                    username: demo.username.to_owned(),
                    password_hash: passwords.hash(demo.password)?,
                    mfa_code: demo.mfa_code.to_owned(),
                })
            })
            .collect::<Result<Vec<User>, HashError>>()?;
        Ok(Directory {
            environment: DEMO_ENVIRONMENT.to_owned(),
            users,
        })
    }

    /// The environment's id.
    #[must_use]
    pub fn environment(&self) -> &str {
        &self.environment
    }

    /// The users.
    #[must_use]
    pub fn users(&self) -> &[User] {
        &self.users
    }

    /// The user `id` of the environment `environment`, if both exist.
    #[must_use]
    pub fn user(&self, environment: &str, id: &str) -> Option<&User> {
        if environment != self.environment {
            return None;
        }
        self.users.iter().find(|user| user.id == id)
    }

    /// The user who logs in as `username`, if there is one.
    #[must_use]
    pub fn by_username(&self, username: &str) -> Option<&User> {
        self.users.iter().find(|user| user.username == username)
    }

    /// Whose lockout a login as `username` counts against.
    #[must_use]
    pub fn subject(&self, username: &str) -> LoginSubject {
        match self.by_username(username) {
            Some(user) => LoginSubject::User(user.id.clone()),
            None => LoginSubject::UnknownName(username.to_owned()),
        }
    }
}
