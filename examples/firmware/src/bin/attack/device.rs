//! The keypad device: its lockout table in RAM, its accounts in "flash" (the `store`
//! module's static buffer), and every PIN entry under the attempt protocol
//! (behaviour §7.1): the attempt's beginning is on flash before the PIN is compared, so
//! that cutting the power during the check still costs the attacker a failure.

use core::fmt;

use account_lockout::{
    AccountView, AttemptToken, Decision, Instant, LockoutTable, Policy, Transition, Verdict,
};

use crate::store;
use crate::{Table, USER_PIN};

/// Something the script never expects: the firmware reports it and exits with failure.
#[derive(Debug)]
pub enum Fault {
    /// The table had no room, or the account type no capacity, for an operation.
    Refused(&'static str),
    /// An account could not be written to flash.
    Flash,
    /// A lock that should have ended by itself did not, or something else ended.
    Expiry,
    /// The console refused a line.
    Console,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Refused(operation) => write!(f, "{operation} was refused"),
            Fault::Flash => f.write_str("an account did not fit its flash record"),
            Fault::Expiry => f.write_str("the expected lock expiry did not come"),
            Fault::Console => f.write_str("the host console refused a line"),
        }
    }
}

/// One power-on of the device: the state in RAM, lost at a power cut.
pub struct Device {
    policy: Policy,
    table: Table,
}

/// What a boot found in flash.
pub struct Boot {
    /// Accounts read back.
    pub restored: usize,
    /// Attempts that were in flight at the power cut, now counted as failures.
    pub recovered: usize,
}

impl Device {
    /// Powers on at `now` with empty RAM: reads every account back from flash, counts
    /// each attempt that was in flight as a failure (`recover`), and writes the result
    /// back before any PIN is taken.
    pub fn boot(policy: Policy, now: Instant) -> Result<(Device, Boot), Fault> {
        let mut table: Table = LockoutTable::new();
        let restored = store::load(&mut table, &policy, now);
        let recovered = table
            .recover(&policy, now)
            .map_err(|_| Fault::Refused("recover"))?;
        let device = Device { policy, table };
        device.save()?;
        Ok((
            device,
            Boot {
                restored,
                recovered,
            },
        ))
    }

    /// Writes every account to flash.
    fn save(&self) -> Result<(), Fault> {
        if store::save(&self.table) {
            Ok(())
        } else {
            Err(Fault::Flash)
        }
    }

    /// The first half of a PIN entry: the attempt begins, and is on flash before the PIN
    /// is compared. Its decision, and the attempt's token when it may go on.
    pub fn begin(
        &mut self,
        user: u16,
        now: Instant,
    ) -> Result<(Decision, Option<AttemptToken>), Fault> {
        let start = self
            .table
            .begin_attempt(&self.policy, user, now)
            .map_err(|_| Fault::Refused("begin_attempt"))?;
        self.save()?;
        let decision = start
            .outcome
            .decision()
            .ok_or(Fault::Refused("begin_attempt without a decision"))?;
        Ok((decision, start.token))
    }

    /// A whole PIN entry: begin (on flash), compare the PIN, then the verdict (on flash).
    pub fn enter_pin(&mut self, user: u16, pin: &[u8; 4], now: Instant) -> Result<Decision, Fault> {
        let (decision, token) = self.begin(user, now)?;
        let Some(token) = token else {
            // Rejected (locked, or busy): the PIN is not even compared.
            return Ok(decision);
        };
        let verdict = if pin == &USER_PIN {
            Verdict::Success
        } else {
            Verdict::Failure { credential: None }
        };
        let outcome = self
            .table
            .finish_attempt(&self.policy, user, now, token, verdict)
            .map_err(|_| Fault::Refused("finish_attempt"))?;
        self.save()?;
        outcome
            .decision()
            .ok_or(Fault::Refused("finish_attempt without a decision"))
    }

    /// The administrator's unlock of `user` (over the maintenance port).
    pub fn admin_unlock(&mut self, user: u16, now: Instant) -> Result<(), Fault> {
        let _outcome = self
            .table
            .unlock(&self.policy, user, now)
            .map_err(|_| Fault::Refused("unlock"))?;
        self.save()
    }

    /// The timer fired at `now`: the one change time alone made must be `user`'s lock
    /// ending; returns when it ended.
    pub fn expire(&mut self, user: u16, now: Instant) -> Result<Instant, Fault> {
        let ended = match self.table.poll(&self.policy, now) {
            Some((key, Transition::Unlocked { at, .. })) if key == user => at,
            _ => return Err(Fault::Expiry),
        };
        if self.table.poll(&self.policy, now).is_some() {
            return Err(Fault::Expiry);
        }
        self.save()?;
        Ok(ended)
    }

    /// When the device must wake up next: the earliest deadline of any account.
    pub fn next_deadline(&self, now: Instant) -> Option<Instant> {
        self.table.next_deadline(&self.policy, now)
    }

    /// What the PingOne view of `user` shows at `now`, and how many failures would lock.
    pub fn view(&self, user: u16, now: Instant) -> (AccountView, Option<u32>) {
        (
            self.table.view_with(&self.policy, &user, now),
            self.table.failures_remaining(&self.policy, &user, now),
        )
    }
}
