//! The keypad device: its accounts in "flash" (`account_lockout::flash::FlashStore` over
//! the `flash` module's [`RamFlash`]), and every PIN entry under the attempt protocol
//! (behaviour §7.1): `FlashStore::begin` returns the attempt's token only once the attempt
//! is on flash, so the PIN is compared after that, and cutting the power during the check
//! still costs the attacker a failure (`FlashStore::recover_all` at the next boot).
//!
//! The store keeps no state in RAM: every call reads the account from flash and writes it
//! back. Its calls are `async` (the `NorFlash` traits are); the device has nothing else to
//! do meanwhile, so `embassy_futures::block_on` drives each one to completion.

use core::fmt;

use account_lockout::flash::{FlashError, FlashStore};
use account_lockout::{
    Account, AccountView, AttemptToken, Decision, Instant, Policy, Transition, Verdict,
};
use embassy_futures::block_on;

use crate::USER_PIN;
use crate::flash::{self, FlashFault, RamFlash};

/// The store: accounts by user id, the default account type and buffers, on a borrow of
/// the flash (`NorFlash` for `&mut RamFlash`: the 4 KiB array stays in `main`'s frame
/// rather than being copied with the store and its futures).
type Store<'f> = FlashStore<&'f mut RamFlash, u16>;

/// The users enrolled on the keypad: the accounts a boot reads back.
const USERS: [u16; 1] = [crate::script::USER];

/// Something the script never expects: the firmware reports it and exits with failure.
#[derive(Debug)]
pub enum Fault {
    /// The account type had no capacity, or a token no attempt, for an operation.
    Refused(&'static str),
    /// The flash store failed.
    Flash(FlashError<FlashFault>),
    /// A lock that should have ended by itself did not, or something else ended.
    Expiry,
    /// The console refused a line.
    Console,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Refused(operation) => write!(f, "{operation} was refused"),
            Fault::Flash(error) => write!(f, "flash: {error}"),
            Fault::Expiry => f.write_str("the expected lock expiry did not come"),
            Fault::Console => f.write_str("the host console refused a line"),
        }
    }
}

impl From<FlashError<FlashFault>> for Fault {
    fn from(error: FlashError<FlashFault>) -> Self {
        match error {
            FlashError::Capacity(_) => Fault::Refused("the account's capacity"),
            FlashError::Attempt(_) => Fault::Refused("finish (no such attempt)"),
            error => Fault::Flash(error),
        }
    }
}

/// One power-on of the device: the mounted store, lost at a power cut (the flash is not).
pub struct Device<'f> {
    store: Store<'f>,
}

/// What a boot found in flash.
pub struct Boot {
    /// Accounts read back.
    pub restored: usize,
    /// Attempts that were in flight at the power cut, now counted as failures.
    pub recovered: usize,
}

impl<'f> Device<'f> {
    /// Powers on at `now` with empty RAM: mounts the store on `flash`, counts each attempt
    /// that was in flight as a failure and writes the result (`recover_all`) before any
    /// PIN is taken, then reads back the enrolled users' accounts.
    pub fn boot(
        flash: &'f mut RamFlash,
        policy: Policy,
        now: Instant,
    ) -> Result<(Device<'f>, Boot), Fault> {
        let mut store = block_on(Store::open(flash, flash::RANGE, policy))?;
        let recovered = block_on(store.recover_all(now))?;
        let mut device = Device { store };
        let mut restored: usize = 0;
        for user in USERS {
            if device.account(user)?.is_some() {
                restored = restored.saturating_add(1);
            }
        }
        Ok((
            device,
            Boot {
                restored,
                recovered,
            },
        ))
    }

    /// The power goes: RAM is lost, the flash is given back for the next boot.
    pub fn power_off(self) -> &'f mut RamFlash {
        self.store.into_flash()
    }

    /// `user`'s account as on flash, if one is stored.
    fn account(&mut self, user: u16) -> Result<Option<Account>, Fault> {
        Ok(block_on(self.store.account(&user))?)
    }

    /// The first half of a PIN entry: the attempt begins, and is on flash before the PIN
    /// is compared. Its decision, and the attempt's token when it may go on.
    pub fn begin(
        &mut self,
        user: u16,
        now: Instant,
    ) -> Result<(Decision, Option<AttemptToken>), Fault> {
        let start = block_on(self.store.begin(&user, now))?;
        let decision = start
            .outcome
            .decision()
            .ok_or(Fault::Refused("begin without a decision"))?;
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
        let outcome = block_on(self.store.finish(&user, now, token, verdict))?;
        outcome
            .decision()
            .ok_or(Fault::Refused("finish without a decision"))
    }

    /// The administrator's unlock of `user` (over the maintenance port).
    pub fn admin_unlock(&mut self, user: u16, now: Instant) -> Result<(), Fault> {
        let _outcome = block_on(
            self.store
                .update(&user, now, |account, policy| account.unlock(policy, now)),
        )?;
        Ok(())
    }

    /// The timer fired at `now`: the one change time alone made must be `user`'s lock
    /// ending; returns when it ended.
    pub fn expire(&mut self, user: u16, now: Instant) -> Result<Instant, Fault> {
        let (first, second) = block_on(self.store.update(&user, now, |account, policy| {
            (account.poll(policy, now), account.poll(policy, now))
        }))?;
        match (first, second) {
            (Some(Transition::Unlocked { at, .. }), None) => Ok(at),
            _ => Err(Fault::Expiry),
        }
    }

    /// When the device must wake up next: the earliest deadline of any enrolled user.
    pub fn next_deadline(&mut self, now: Instant) -> Result<Option<Instant>, Fault> {
        let policy = *self.store.policy();
        let mut next: Option<Instant> = None;
        for user in USERS {
            let deadline = self
                .account(user)?
                .and_then(|account| account.next_deadline(&policy, now));
            next = match (next, deadline) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        Ok(next)
    }

    /// What the PingOne view of `user` shows at `now`, and how many failures would lock
    /// (a user with nothing on flash is a new account).
    pub fn view(&mut self, user: u16, now: Instant) -> Result<(AccountView, Option<u32>), Fault> {
        let policy = *self.store.policy();
        let account: Account = self.account(user)?.unwrap_or_else(Account::new);
        Ok((
            account.view_with(&policy, now),
            account.failures_remaining(&policy, now),
        ))
    }
}
