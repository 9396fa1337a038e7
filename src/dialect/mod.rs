//! The six dialects: thin constructors of the one [`Policy`](crate::Policy), each with
//! its anchor's parameter names (in JSON) and defaults.
//!
//! | dialect | JSON key | anchor |
//! |---|---|---|
//! | [`PingOne`] | `pingone` | PingOne password policy `lockout` (and [`PingOneMfa`], its `mfa` member) |
//! | [`ActiveDirectory`] | `activeDirectory` | AD DS account lockout policy |
//! | [`Keycloak`] | `keycloak` | Keycloak brute force detection |
//! | [`PamFaillock`] | `pamFaillock` | Linux-PAM `pam_faillock` |
//! | [`Tpm`] | `tpm` | TPM 2.0 dictionary-attack protection |
//! | [`AndroidGatekeeper`] | `androidGatekeeper` | AOSP Gatekeeper's classic schedule |
//!
//! A dialect has no state machine of its own: its `policy()` returns [`Rules`](crate::Rules)
//! built into a [`Policy`](crate::Policy), and [`Account`](crate::Account) runs every
//! policy through the same transition function.

mod active_directory;
mod android_gatekeeper;
mod keycloak;
mod pam_faillock;
mod pingone;
mod tpm;

pub use active_directory::ActiveDirectory;
pub use android_gatekeeper::AndroidGatekeeper;
pub use keycloak::{BruteForceStrategy, Keycloak};
pub use pam_faillock::PamFaillock;
pub use pingone::{PingOne, PingOneMfa};
pub use tpm::Tpm;
