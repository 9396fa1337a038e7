//! The scripted attack on a keypad, run on an emulated Cortex-M4 (QEMU's MPS2 AN386
//! board) by `.ci/firmware`.
//!
//! A door keypad guards user 7's PIN with a PingOne policy (3 failures lock for 60
//! seconds). An attacker guesses PINs: the account locks, the lock expires, the attacker
//! goes on, an administrator unlocks, and then the attacker cuts the power while a PIN is
//! being checked, hoping that the failure is never counted. Every PIN entry follows the
//! attempt protocol (behaviour §7.1): the attempt's beginning is in "flash" before the PIN
//! is compared: the crate's `FlashStore` (feature `flash`, a sequential-storage map) on a
//! NOR flash simulated in a RAM array (`flash.rs`; QEMU's board has no writable flash),
//! its async calls driven by `embassy_futures::block_on`. A reboot drops everything in
//! RAM but that array, mounts the store on it again and runs `recover_all`, which counts
//! the interrupted attempt as the failure it may have been.
//!
//! Each step prints one JSON line on the host's standard output through semihosting:
//! the step's name, the simulated time (a real-time clock that keeps running across a
//! power cut), what the step did, the failures left before the lock, and the PingOne view
//! as `AccountView::write_json` writes it. `.ci/firmware` compares the lines with
//! `examples/firmware/expected.jsonl`. At the end the stack's high-water mark, measured by
//! painting, goes to standard error, and the program exits through semihosting: status 0
//! when every step ran, 1 on a fault (which it names on standard error).
//!
//! ```sh
//! cargo build --release -p account-lockout-firmware --target thumbv7em-none-eabihf --features qemu --bin attack
//! qemu-system-arm -M mps2-an386 -nographic -semihosting-config enable=on,target=native \
//!     -kernel target/thumbv7em-none-eabihf/release/attack
//! ```

#![no_std]
#![no_main]
#![forbid(unsafe_code)]
// Panic-free by construction: the workspace's lints (the root Cargo.toml).

mod console;
mod device;
mod flash;
mod script;
mod stack;

use cortex_m_rt::entry;
use cortex_m_semihosting::debug;
use panic_halt as _;

/// User 7's PIN, which the attacker does not know.
const USER_PIN: [u8; 4] = *b"2468";

#[entry]
fn main() -> ! {
    // First of all, before anything deeper than this frame runs.
    stack::paint();
    // The board's flash, erased; it outlives every reboot of the script.
    let mut flash = flash::RamFlash::erased();
    let result = script::run(&mut flash);
    let (used, size) = stack::high_water_mark();
    // What goes to standard error is not compared; a note that fails changes nothing.
    let _ = console::note(format_args!(
        "stack high-water mark: {used} bytes (of {size} bytes of stack)"
    ));
    match result {
        Ok(()) => debug::exit(debug::EXIT_SUCCESS),
        Err(fault) => {
            let _ = console::note(format_args!("attack: fault: {fault}"));
            debug::exit(debug::EXIT_FAILURE);
        }
    }
    // Only reached without a host to exit to.
    loop {
        core::hint::spin_loop();
    }
}
