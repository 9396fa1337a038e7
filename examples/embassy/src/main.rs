//! An embassy example for `account-lockout` on a Cortex-M4 (`thumbv7em-none-eabihf`).
//!
//! A door keypad's firmware: the main task replays a scripted attack (wrong PINs that
//! lock two users, a rejected attempt while locked, a third user locked and then unlocked
//! by an administrator, a success after the locks ended), and the watcher task sleeps
//! until the lockout table's next deadline with `Timer::at`, or until an event moved it,
//! then polls, and reports each unlock exactly once. The reporting logic is the library's
//! [`Monitor`], tested on the host. Time comes from a `SysTick` driver of our own
//! (`src/systick.rs`), so the example needs no HAL.
//!
//! It runs on QEMU's MPS2 AN386 board, printing through semihosting and exiting with 0
//! when every lock was reported ended once (see the package's Cargo.toml for the
//! commands, and `expected-output.txt` for what it prints).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod systick;

use core::cell::RefCell;

use account_lockout::dialect::PingOne;
use account_lockout::{Decision, Instant, Operation, Policy, Rejection, TableError};
use account_lockout_embassy::clock::BootClock;
use account_lockout_embassy::monitor::{Monitor, Report};
use cortex_m_semihosting::{debug, hprintln};
use embassy_executor::Spawner;
use embassy_futures::select::select;
use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::signal::Signal;
use embassy_time::Timer;

/// 3 failures lock a user for 2 seconds (short, so that the run takes 5 seconds).
// A `const` item: an invalid policy fails the build, it can never panic at run time.
#[allow(clippy::panic)]
const POLICY: Policy = match (PingOne {
    failure_count: 3,
    duration_seconds: Some(2),
})
.policy()
{
    Ok(policy) => policy,
    Err(_) => panic!("invalid lockout policy"),
};

/// Boot on the wall clock, as a real-time clock would give it: 2026-01-01T00:00:00Z.
const CLOCK: BootClock = BootClock::new(Instant::from_millis(1_767_225_600_000));

/// How many users the table holds at once (a power of two).
const SLOTS: usize = 8;

/// What happens in the script.
#[derive(Clone, Copy)]
enum Action {
    /// A wrong PIN.
    Failure,
    /// A right PIN.
    Success,
    /// An administrator's unlock.
    Unlock,
}

/// The attack, in milliseconds since boot. No event falls near a deadline (2.300 s,
/// 2.600 s and the cancelled 3.400 s): the last one leaves the watcher 2.4 s to report
/// the unlocks on its own, so that the output is the same on every run, even on a busy
/// host.
const SCRIPT: &[(u64, &str, Action)] = &[
    (100, "ana", Action::Failure),
    (200, "ana", Action::Failure),
    (300, "ana", Action::Failure),
    (400, "bo", Action::Failure),
    (500, "bo", Action::Failure),
    (600, "bo", Action::Failure),
    (1_000, "ana", Action::Failure),
    (1_200, "cy", Action::Failure),
    (1_300, "cy", Action::Failure),
    (1_400, "cy", Action::Failure),
    (1_800, "cy", Action::Unlock),
    (5_000, "ana", Action::Success),
];

/// The table, and what was reported.
struct Shared {
    monitor: Monitor<&'static str, SLOTS>,
    locks: u32,
    unlocks: u32,
    /// The script has run to its end.
    done: bool,
}

/// Shared by the two tasks, and locked only briefly (no `await` inside).
static SHARED: Mutex<CriticalSectionRawMutex, RefCell<Shared>> = Mutex::new(RefCell::new(Shared {
    monitor: Monitor::new(POLICY),
    locks: 0,
    unlocks: 0,
    done: false,
}));

/// A bound on the watcher's wakes over the script: one at start, one per event and one
/// per deadline reached make 15 (the last event's signal and the end's come together); a
/// watcher that polled instead of sleeping until the deadline would wake thousands of
/// times.
const MAX_WAKES: u32 = 32;

/// An event may have moved the next deadline: the watcher looks again.
static MOVED: Signal<CriticalSectionRawMutex, ()> = Signal::new();

/// `instant` as seconds and milliseconds since boot.
fn since_boot(instant: Instant) -> (u64, u64) {
    let millis = CLOCK.millis_at(instant);
    (millis / 1_000, millis % 1_000)
}

/// Prints one report and counts it.
fn report(locks: &mut u32, unlocks: &mut u32, report: Report<&'static str>) {
    match report {
        Report::Locked {
            key, until, cause, ..
        } => {
            *locks = locks.saturating_add(1);
            match until {
                Some(until) => {
                    let (s, ms) = since_boot(until);
                    hprintln!(
                        "  LOCKED {} until +{}.{:03} ({})",
                        key,
                        s,
                        ms,
                        cause.as_str()
                    );
                }
                None => hprintln!("  LOCKED {} until an administrator unlocks", key),
            }
        }
        Report::Unlocked { key, at, cause } => {
            *unlocks = unlocks.saturating_add(1);
            let (s, ms) = since_boot(at);
            hprintln!(
                "  UNLOCKED {} at +{}.{:03} ({})",
                key,
                s,
                ms,
                cause.as_str()
            );
        }
    }
}

/// The wall-clock time now.
fn now() -> Instant {
    CLOCK.instant(embassy_time::Instant::now().as_millis())
}

/// Sleeps until the next deadline (or an event), polls, reports; ends, with the exit of
/// the program, once the script is over and nothing is pending.
#[embassy_executor::task]
async fn watcher() {
    let mut wakes: u32 = 0;
    loop {
        wakes = wakes.saturating_add(1);
        let now = now();
        let (next, done) = SHARED.lock(|shared| {
            let mut shared = shared.borrow_mut();
            let Shared {
                monitor,
                locks,
                unlocks,
                done,
            } = &mut *shared;
            let next = monitor.wake(now, |found| report(locks, unlocks, found));
            (next, *done)
        });
        match next {
            Some(deadline) => {
                let at = embassy_time::Instant::from_millis(CLOCK.millis_at(deadline));
                select(Timer::at(at), MOVED.wait()).await;
            }
            None if done => break,
            None => MOVED.wait().await,
        }
    }
    let (locks, unlocks) = SHARED.lock(|shared| {
        let shared = shared.borrow();
        (shared.locks, shared.unlocks)
    });
    hprintln!("done: {} locks, {} unlocks", locks, unlocks);
    if wakes > MAX_WAKES {
        fail("the watcher woke more often than its deadlines and events");
    }
    hprintln!("the watcher slept between deadlines and events");
    debug::exit(if locks == unlocks {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
}

/// Runs one scripted event at its instant and prints its outcome.
fn run(at: u64, user: &'static str, action: Action) {
    // Stamped with its scripted instant (the timer woke at or just after it), so that the
    // deadlines printed are the same on every run.
    let now = CLOCK.instant(at);
    let (name, operation) = match action {
        Action::Failure => ("failure", Operation::Failure { credential: None }),
        Action::Success => ("success", Operation::Success),
        Action::Unlock => ("unlock", Operation::Unlock),
    };
    let (s, ms) = since_boot(now);
    hprintln!("+{}.{:03} {} {}", s, ms, user, name);
    let outcome = SHARED.lock(|shared| {
        let mut shared = shared.borrow_mut();
        let Shared {
            monitor,
            locks,
            unlocks,
            ..
        } = &mut *shared;
        monitor.apply(user, now, operation, |found| report(locks, unlocks, found))
    });
    match outcome.map(|outcome| outcome.decision()) {
        Ok(Some(Decision::Allowed)) | Ok(None) => {}
        Ok(Some(Decision::Rejected(Rejection::Locked {
            unlock_at: Some(until),
        }))) => {
            let (s, ms) = since_boot(until);
            hprintln!("  rejected: locked until +{}.{:03}", s, ms);
        }
        Ok(Some(Decision::Rejected(_))) => hprintln!("  rejected"),
        // Every slot holds information: fail closed (refuse the login).
        Err(TableError::Full) => hprintln!("  rejected: the table is full"),
        Err(_) => hprintln!("  refused"),
    }
    MOVED.signal(());
}

/// Starts the tick and the watcher, then replays the script.
#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let Some(peripherals) = cortex_m::Peripherals::take() else {
        fail("the core peripherals were taken")
    };
    systick::start(peripherals.SYST);
    hprintln!("account-lockout on embassy: PingOne, 3 failures lock for 2 s");
    match watcher() {
        Ok(token) => spawner.spawn(token),
        Err(_) => fail("the watcher task could not be spawned"),
    }
    for &(at, user, action) in SCRIPT {
        Timer::at(embassy_time::Instant::from_millis(at)).await;
        run(at, user, action);
    }
    SHARED.lock(|shared| shared.borrow_mut().done = true);
    MOVED.signal(());
}

/// Prints why and exits with a failure status.
fn fail(why: &str) -> ! {
    hprintln!("error: {}", why);
    debug::exit(debug::EXIT_FAILURE);
    // Without a debugger attached, exit returns: stop here.
    loop {
        cortex_m::asm::wfi();
    }
}

/// A panic (none is reachable: the workspace's lints) exits with a failure status.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    fail("panic")
}
