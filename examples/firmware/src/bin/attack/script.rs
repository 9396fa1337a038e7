//! The attack, step by step, on a simulated clock.

use account_lockout::Instant;

use crate::console::{self, Detail};
use crate::device::{Device, Fault};
use crate::flash::RamFlash;

/// The attacked user.
pub const USER: u16 = 7;

#[path = "../../keypad_policy.rs"]
mod keypad_policy;
use keypad_policy::POLICY;

/// The real-time clock: 2026-01-01T00:00:00Z plus `seconds`. It keeps running across a
/// power cut, as a battery-backed RTC does.
fn at(seconds: i64) -> Instant {
    Instant::from_secs(1_767_225_600_i64.saturating_add(seconds))
}

/// Prints `user`'s line for the step `name` at `now`.
fn report(device: &mut Device<'_>, name: &str, now: Instant, detail: &Detail) -> Result<(), Fault> {
    let (view, remaining) = device.view(USER, now)?;
    console::step(name, now, detail, remaining, &view).map_err(|_| Fault::Console)
}

/// A PIN entry at `seconds`, and its line.
fn pin(device: &mut Device<'_>, name: &str, seconds: i64, entered: &[u8; 4]) -> Result<(), Fault> {
    let now = at(seconds);
    let decision = device.enter_pin(USER, entered, now)?;
    report(device, name, now, &Detail::Decision(decision))
}

/// The timer fires at the next deadline, which must be at `seconds`: the lock ends.
fn expiry(device: &mut Device<'_>, name: &str, seconds: i64) -> Result<(), Fault> {
    let now = at(seconds);
    if device.next_deadline(at(seconds.saturating_sub(1)))? != Some(now) {
        return Err(Fault::Expiry);
    }
    let ended = device.expire(USER, now)?;
    report(device, name, now, &Detail::Unlocked(ended))
}

/// Powers on at `seconds` (RAM empty, state from `flash`), and its line.
fn boot<'f>(flash: &'f mut RamFlash, name: &str, seconds: i64) -> Result<Device<'f>, Fault> {
    let now = at(seconds);
    let (mut device, found) = Device::boot(flash, POLICY, now)?;
    let detail = Detail::Boot {
        restored: found.restored,
        recovered: found.recovered,
    };
    report(&mut device, name, now, &detail)?;
    Ok(device)
}

/// The whole attack, on `flash` (erased at first).
pub fn run(flash: &mut RamFlash) -> Result<(), Fault> {
    let mut device = boot(flash, "boot", 0)?;

    // Three wrong PINs lock user 7 for 60 seconds; the right PIN does not help meanwhile.
    pin(&mut device, "wrong-pin-1", 10, b"1111")?;
    pin(&mut device, "wrong-pin-2", 20, b"1234")?;
    pin(&mut device, "wrong-pin-3-locks", 30, b"0000")?;
    pin(&mut device, "right-pin-while-locked", 40, b"2468")?;
    // The timer wakes the device at the lock's deadline.
    expiry(&mut device, "lock-expires", 90)?;

    // Three more lock again; the administrator unlocks.
    pin(&mut device, "wrong-pin-4", 100, b"9999")?;
    pin(&mut device, "wrong-pin-5", 110, b"4321")?;
    pin(&mut device, "wrong-pin-6-locks", 120, b"1357")?;
    let now = at(130);
    device.admin_unlock(USER, now)?;
    report(&mut device, "admin-unlock", now, &Detail::None)?;

    // A wrong PIN, then a plain reboot: the failure is still counted.
    pin(&mut device, "wrong-pin-7", 140, b"8642")?;
    // RAM is lost; the flash is mounted again.
    let flash = device.power_off();
    let mut device = boot(flash, "reboot", 145)?;
    pin(&mut device, "wrong-pin-8", 150, b"1122")?;

    // The attacker's trick: the power goes at the third guess, after the attempt began
    // (on flash) and before its verdict. RAM, the token included, is lost.
    let now = at(160);
    let (decision, _token) = device.begin(USER, now)?;
    report(
        &mut device,
        "pin-check-begun",
        now,
        &Detail::Decision(decision),
    )?;
    let flash = device.power_off();
    let mut device = boot(flash, "power-cut-reboot-recovers", 165)?;

    // The recovered attempt counted as the third failure: locked until 00:03:45.
    pin(&mut device, "right-pin-after-reboot", 170, b"2468")?;
    expiry(&mut device, "lock-expires-after-reboot", 225)?;
    pin(&mut device, "right-pin", 230, b"2468")?;
    Ok(())
}
