//! Password hashes: argon2id in PHC strings, checked off the async threads.
//!
//! Every login that gets as far as a check costs one argon2 verification, whether the
//! user exists or not: an unknown name is checked against a dummy hash made with the same
//! parameters, so that the time an answer takes does not tell which names exist.
//! [`Passwords::verifications`] counts them (the tests read it to prove that no more
//! passwords are checked than the lock allows).

use core::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// A password could not be hashed (parameters the argon2 crate refuses).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HashError;

impl fmt::Display for HashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the password could not be hashed with these argon2 parameters")
    }
}

impl std::error::Error for HashError {}

/// Hashes and checks passwords with argon2id; cheap to clone (the counter is shared).
#[derive(Clone)]
pub struct Passwords {
    argon2: Argon2<'static>,
    /// The hash unknown names are checked against: of a random password nobody knows.
    dummy: Arc<str>,
    verifications: Arc<AtomicU64>,
    /// How many verifications run at once, service-wide: each holds argon2's memory
    /// (19 MiB by default) on a blocking thread, so a flood from many addresses queues
    /// here instead of exhausting memory.
    running: Arc<Semaphore>,
    /// The latest verification's duration, in microseconds: how long a refused login
    /// waits before it answers, so that its speed does not tell it from a wrong password.
    typical_micros: Arc<AtomicU64>,
}

impl fmt::Debug for Passwords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Passwords")
            .field("params", self.argon2.params())
            .field("verifications", &self.verifications())
            .finish_non_exhaustive()
    }
}

impl Passwords {
    /// argon2id with `params` ([`Params::default`] is OWASP's 19 MiB, 2 passes, one
    /// lane); makes the dummy hash, so it costs one hash.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use account_lockout_service::credentials::Passwords;
    /// let cheap = argon2::Params::new(8, 1, 1, None).unwrap();
    /// let passwords = Passwords::new(cheap).unwrap();
    /// let hash = passwords.hash("open sesame").unwrap();
    /// assert!(passwords.verify(Some(hash.clone()), "open sesame".into()).await);
    /// assert!(!passwords.verify(Some(hash), "open sesame!".into()).await);
    /// assert!(!passwords.verify(None, "anything".into()).await); // the dummy hash
    /// assert_eq!(passwords.verifications(), 3);
    /// # });
    /// ```
    pub fn new(params: Params) -> Result<Passwords, HashError> {
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut secret = [0_u8; 32];
        OsRng.fill_bytes(&mut secret);
        let dummy = hash_with(&argon2, &secret)?;
        let started = Instant::now();
        let _same_cost = PasswordHash::new(&dummy)
            .is_ok_and(|hash| argon2.verify_password(&secret, &hash).is_ok());
        let typical = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let parallelism = std::thread::available_parallelism().map_or(1, usize::from);
        Ok(Passwords {
            argon2,
            dummy: dummy.into(),
            verifications: Arc::new(AtomicU64::new(0)),
            running: Arc::new(Semaphore::new(parallelism.saturating_mul(2))),
            typical_micros: Arc::new(AtomicU64::new(typical)),
        })
    }

    /// The PHC string of `password` under a fresh random salt.
    pub fn hash(&self, password: &str) -> Result<String, HashError> {
        hash_with(&self.argon2, password.as_bytes())
    }

    /// Whether `password` matches `stored` (a PHC string), checked on tokio's blocking
    /// threads; `None` (an unknown user) is checked against the dummy hash and is
    /// `false`. A stored string that does not parse is `false` too.
    pub async fn verify(&self, stored: Option<String>, password: String) -> bool {
        let argon2 = self.argon2.clone();
        // Nobody knows the dummy's password, and an unknown user is refused regardless.
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| self.dummy.to_string());
        let verifications = Arc::clone(&self.verifications);
        let typical = Arc::clone(&self.typical_micros);
        // The semaphore is never closed, so acquiring fails only if it were: refuse then.
        let Ok(permit) = Arc::clone(&self.running).acquire_owned().await else {
            return false;
        };
        let checked = tokio::task::spawn_blocking(move || {
            let _running = permit;
            verifications.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let verified = PasswordHash::new(&stored)
                .is_ok_and(|hash| argon2.verify_password(password.as_bytes(), &hash).is_ok());
            let took = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            typical.store(took, Ordering::Relaxed);
            verified
        })
        .await;
        // A check that panicked (it cannot: argon2 returns errors) refuses.
        known && checked.unwrap_or(false)
    }

    /// Waits as long as a verification takes (the latest one's duration), without
    /// verifying anything: a login refused before its check answers no faster than a
    /// wrong password, and costs no argon2 run.
    pub async fn pace(&self) {
        let micros = self.typical_micros.load(Ordering::Relaxed);
        tokio::time::sleep(Duration::from_micros(micros)).await;
    }

    /// How many passwords were checked since start-up (real and dummy hashes alike).
    #[must_use]
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }
}

fn hash_with(argon2: &Argon2<'_>, password: &[u8]) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2
        .hash_password(password, &salt)
        .map(|hash| hash.to_string())
        .map_err(|_| HashError)
}
