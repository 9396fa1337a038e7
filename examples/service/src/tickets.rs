//! MFA tickets: what a right password earns, and what an MFA code is checked against.
//! Without one, anyone could send codes for any user name, and so lock any account by
//! MFA without its password, or get in with a code alone.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::{OsRng, RngCore};

/// How long a ticket may be used: PingOne gives a sign-on flow some minutes.
pub const TICKET_LIFETIME: Duration = Duration::from_secs(300);
/// The most tickets held at once; past it, the one that expires first goes.
const CAPACITY: usize = 4_096;

/// The tickets issued and not yet used up or expired.
///
/// ```
/// use account_lockout_service::tickets::MfaTickets;
///
/// let tickets = MfaTickets::default();
/// let ticket = tickets.issue("user-1");
/// assert_eq!(tickets.user_of(&ticket).as_deref(), Some("user-1"));
/// tickets.consume(&ticket);
/// assert_eq!(tickets.user_of(&ticket), None);
/// assert_eq!(tickets.user_of("made-up"), None);
/// ```
#[derive(Debug, Default)]
pub struct MfaTickets {
    tickets: Mutex<HashMap<String, (String, Instant)>>,
}

impl MfaTickets {
    /// A new ticket for `user_id`: 128 random bits as hex, valid for
    /// [`TICKET_LIFETIME`].
    pub fn issue(&self, user_id: &str) -> String {
        let mut bytes = [0_u8; 16];
        OsRng.fill_bytes(&mut bytes);
        let ticket: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
        let now = Instant::now();
        let mut tickets = self.tickets.lock().unwrap_or_else(PoisonError::into_inner);
        tickets.retain(|_, (_, expires)| *expires > now);
        if tickets.len() >= CAPACITY {
            let first = tickets
                .iter()
                .min_by_key(|(_, (_, expires))| *expires)
                .map(|(ticket, _)| ticket.clone());
            if let Some(first) = first {
                tickets.remove(&first);
            }
        }
        let expires = now.checked_add(TICKET_LIFETIME).unwrap_or(now);
        tickets.insert(ticket.clone(), (user_id.to_owned(), expires));
        ticket
    }

    /// The user `ticket` was issued to, while it is valid.
    #[must_use]
    pub fn user_of(&self, ticket: &str) -> Option<String> {
        let tickets = self.tickets.lock().unwrap_or_else(PoisonError::into_inner);
        tickets
            .get(ticket)
            .filter(|(_, expires)| *expires > Instant::now())
            .map(|(user, _)| user.clone())
    }

    /// Uses `ticket` up (after the MFA check it was issued for succeeded).
    pub fn consume(&self, ticket: &str) {
        let mut tickets = self.tickets.lock().unwrap_or_else(PoisonError::into_inner);
        tickets.remove(ticket);
    }
}
