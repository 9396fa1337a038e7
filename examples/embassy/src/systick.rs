//! A time driver for embassy on the Cortex-M `SysTick` timer, so that the example needs no
//! HAL: a 1 kHz tick counted into 64 bits (it never wraps), and embassy's generic timer
//! queue, whose expired timers the tick handler wakes.
//!
//! One interrupt per millisecond, whether or not a timer is due: simple, and enough for an
//! example. A low-power device would use a compare timer instead and tick only when due.

use core::cell::{Cell, RefCell};
use core::task::Waker;

use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::exception;
use critical_section::Mutex;
use embassy_time_driver::Driver;
use embassy_time_queue_utils::Queue;

/// The core clock of the MPS2 AN386 board (and of QEMU's `mps2-an386`): 25 MHz.
pub const CORE_HZ: u32 = 25_000_000;

/// `SysTick` counts `RELOAD + 1` core cycles per tick: one millisecond, embassy's tick
/// (`tick-hz-1_000` on embassy-time-driver).
const RELOAD: u32 = CORE_HZ / 1_000 - 1;

/// The driver's state, behind a critical section: the handler and the tasks share it.
struct SysTickDriver {
    /// Milliseconds since [`start`].
    ticks: Mutex<Cell<u64>>,
    /// The earliest expiry in the queue (`u64::MAX`: none).
    alarm: Mutex<Cell<u64>>,
    /// The timers the tasks wait on.
    queue: Mutex<RefCell<Queue>>,
}

impl Driver for SysTickDriver {
    fn now(&self) -> u64 {
        critical_section::with(|cs| self.ticks.borrow(cs).get())
    }

    fn schedule_wake(&self, at: u64, waker: &Waker) {
        critical_section::with(|cs| {
            let mut queue = self.queue.borrow_ref_mut(cs);
            if queue.schedule_wake(at, waker) {
                // Wakes what is already due, and gives the new earliest expiry, which the
                // next tick checks.
                let now = self.ticks.borrow(cs).get();
                self.alarm.borrow(cs).set(queue.next_expiration(now));
            }
        });
    }
}

embassy_time_driver::time_driver_impl!(static DRIVER: SysTickDriver = SysTickDriver {
    ticks: Mutex::new(Cell::new(0)),
    alarm: Mutex::new(Cell::new(u64::MAX)),
    queue: Mutex::new(RefCell::new(Queue::new())),
});

/// Starts the tick: `SysTick` on the core clock, interrupting every millisecond.
pub fn start(mut syst: SYST) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(RELOAD);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

/// Counts the tick and, when the earliest timer is due, wakes every due timer.
#[exception]
fn SysTick() {
    critical_section::with(|cs| {
        let ticks = DRIVER.ticks.borrow(cs);
        let now = ticks.get().saturating_add(1);
        ticks.set(now);
        let alarm = DRIVER.alarm.borrow(cs);
        if now >= alarm.get() {
            alarm.set(DRIVER.queue.borrow_ref_mut(cs).next_expiration(now));
        }
    });
}
