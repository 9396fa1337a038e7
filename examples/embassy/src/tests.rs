//! Host tests of the reporting logic: each lock and each unlock reported exactly once, on
//! scripted schedules and on random ones (early, late and repeated wakes, events that
//! notice an expiry first, administrator unlocks), and the boot clock's conversions.

use account_lockout::dialect::{ActiveDirectory, PingOne};
use account_lockout::{Duration, Instant, LockCause, Operation, Policy, UnlockCause};

use crate::clock::BootClock;
use crate::monitor::{Monitor, Report};

/// 2026-01-01T00:00:00Z, in milliseconds (the fixtures' `T0_MS`).
const T0_MS: i64 = 1_767_225_600_000;

fn ms(ms: i64) -> Instant {
    Instant::from_millis(T0_MS + ms)
}

fn s(s: i64) -> Instant {
    ms(s * 1_000)
}

/// 3 failures lock for 60 s.
fn pingone() -> Policy {
    PingOne {
        failure_count: 3,
        duration_seconds: Some(60),
    }
    .policy()
    .unwrap()
}

const FAILURE: Operation = Operation::Failure { credential: None };

/// A monitor, and every report it made, in order.
struct Harness {
    monitor: Monitor<u8, 8>,
    reports: Vec<Report<u8>>,
}

impl Harness {
    fn new(policy: Policy) -> Harness {
        Harness {
            monitor: Monitor::new(policy),
            reports: Vec::new(),
        }
    }

    fn apply(&mut self, key: u8, now: Instant, operation: Operation) {
        let reports = &mut self.reports;
        let _outcome = self
            .monitor
            .apply(key, now, operation, |report| reports.push(report))
            .unwrap();
    }

    /// Wakes at `now`; returns the reports of this wake alone and the next deadline.
    fn wake(&mut self, now: Instant) -> (Vec<Report<u8>>, Option<Instant>) {
        let mut these = Vec::new();
        let next = self.monitor.wake(now, |report| these.push(report));
        self.reports.extend(these.iter().copied());
        (these, next)
    }

    fn lock(&mut self, key: u8, now: Instant) {
        for _ in 0..3 {
            self.apply(key, now, FAILURE);
        }
    }
}

fn unlocked(key: u8, at: Instant, cause: UnlockCause) -> Report<u8> {
    Report::Unlocked { key, at, cause }
}

fn unlocks(reports: &[Report<u8>]) -> usize {
    reports
        .iter()
        .filter(|report| matches!(report, Report::Unlocked { .. }))
        .count()
}

#[test]
fn the_lock_is_reported_once_by_the_event_that_starts_it() {
    let mut h = Harness::new(pingone());
    h.lock(1, s(0));
    assert_eq!(
        h.reports,
        vec![Report::Locked {
            key: 1,
            at: s(0),
            until: Some(s(60)),
            cause: LockCause::Policy
        }]
    );
    // A rejected attempt while locked reports nothing.
    h.apply(1, s(5), FAILURE);
    assert_eq!(h.reports.len(), 1);
}

#[test]
fn a_wake_at_the_deadline_reports_the_expiry_once() {
    let mut h = Harness::new(pingone());
    h.lock(1, s(0));
    assert_eq!(h.monitor.next_deadline(s(0)), Some(s(60)));
    // Early: nothing, and the same deadline again.
    assert_eq!(h.wake(s(30)), (vec![], Some(s(60))));
    // At the deadline the watcher sleeps until: the unlock, then nothing pending.
    assert_eq!(
        h.wake(s(60)),
        (vec![unlocked(1, s(60), UnlockCause::Expired)], None)
    );
    // Again, and later: nothing more.
    assert_eq!(h.wake(s(60)), (vec![], None));
    assert_eq!(h.wake(s(600)), (vec![], None));
    assert_eq!(unlocks(&h.reports), 1);
}

#[test]
fn a_late_wake_reports_the_deadline_not_the_wake() {
    let mut h = Harness::new(pingone());
    h.lock(1, s(0));
    assert_eq!(
        h.wake(ms(95_250)).0,
        vec![unlocked(1, s(60), UnlockCause::Expired)]
    );
}

#[test]
fn an_event_that_notices_the_expiry_first_reports_it_and_the_wake_does_not() {
    let mut h = Harness::new(pingone());
    h.lock(1, s(0));
    // The watcher is late; a new failure at 70 s finds the lock over.
    h.apply(1, s(70), FAILURE);
    assert_eq!(
        h.reports.last(),
        Some(&unlocked(1, s(60), UnlockCause::Expired))
    );
    assert_eq!(h.wake(s(70)).0, vec![]);
    assert_eq!(h.wake(s(200)).0, vec![]);
    assert_eq!(unlocks(&h.reports), 1);
}

#[test]
fn an_administrator_unlock_is_reported_once_and_cancels_the_expiry() {
    let mut h = Harness::new(pingone());
    h.lock(1, s(0));
    h.apply(1, s(10), Operation::Unlock);
    assert_eq!(
        h.reports.last(),
        Some(&unlocked(1, s(10), UnlockCause::Administrator))
    );
    // The old deadline passes: nothing to report.
    assert_eq!(h.wake(s(60)).0, vec![]);
    assert_eq!(h.monitor.next_deadline(s(60)), None);
    assert_eq!(unlocks(&h.reports), 1);
}

#[test]
fn two_accounts_due_at_one_wake_are_each_reported_once() {
    let mut h = Harness::new(pingone());
    h.lock(1, s(0));
    h.lock(2, s(5));
    assert_eq!(h.monitor.next_deadline(s(5)), Some(s(60)));
    let (reports, next) = h.wake(s(90));
    assert_eq!(reports.len(), 2);
    assert!(reports.contains(&unlocked(1, s(60), UnlockCause::Expired)));
    assert!(reports.contains(&unlocked(2, s(65), UnlockCause::Expired)));
    assert_eq!(next, None);
    assert_eq!(h.wake(s(91)).0, vec![]);
}

/// xorshift64: the random schedules, the same on every run.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Checks one key's reports: locks and unlocks alternate, starting with a lock; an expiry
/// is reported at its lock's deadline, never before it was due; an administrator unlock at
/// the instant of the unlock.
fn check_alternation(key: u8, reports: &[(Report<u8>, Instant)], admin_unlocks: &[(u8, Instant)]) {
    let mut open: Option<Option<Instant>> = None;
    for (report, reported_at) in reports {
        match *report {
            Report::Locked { key: k, until, .. } if k == key => {
                assert!(open.is_none(), "key {key}: a second lock before an unlock");
                open = Some(until);
            }
            Report::Unlocked { key: k, at, cause } if k == key => {
                let Some(until) = open.take() else {
                    panic!("key {key}: an unlock reported twice, or without a lock");
                };
                assert!(at <= *reported_at, "key {key}: reported before it happened");
                match cause {
                    UnlockCause::Expired => assert_eq!(Some(at), until, "key {key}"),
                    UnlockCause::Administrator => {
                        assert!(admin_unlocks.contains(&(key, at)), "key {key}")
                    }
                }
            }
            _ => {}
        }
    }
    assert!(open.is_none(), "key {key}: a lock never reported as ended");
}

fn random_policy(random: &mut Random) -> Policy {
    match random.below(3) {
        0 => pingone(),
        1 => PingOne {
            failure_count: 2,
            duration_seconds: Some(1 + random.below(5)),
        }
        .policy()
        .unwrap(),
        // A count that decays: deadlines that unlock nothing.
        _ => ActiveDirectory {
            lockout_threshold: 3,
            lockout_duration_seconds: 4,
            lockout_observation_window_seconds: 2,
        }
        .policy()
        .unwrap(),
    }
}

#[test]
fn random_schedules_report_each_lock_and_unlock_exactly_once() {
    let mut total_unlocks = 0;
    for seed in 1..=400u64 {
        let mut random = Random(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let policy = random_policy(&mut random);
        let mut monitor: Monitor<u8, 8> = Monitor::new(policy);
        // Each report with the instant of the call that made it.
        let mut reports: Vec<(Report<u8>, Instant)> = Vec::new();
        let mut admin_unlocks: Vec<(u8, Instant)> = Vec::new();
        let mut now = s(0);
        for _ in 0..120 {
            let before = now;
            now = now.saturating_add(Duration::from_millis(random.below(1_500)));
            // The watcher, asleep since the last event until the deadline it saw then
            // (the clock never goes back): on time, twice, or late (the event below
            // then finds the expiry first).
            if let Some(deadline) = monitor.next_deadline(before)
                && deadline <= now
                && random.below(3) != 0
            {
                monitor.wake(deadline, |report| reports.push((report, deadline)));
                if random.below(4) == 0 {
                    monitor.wake(deadline, |report| reports.push((report, deadline)));
                }
            }
            let key = random.below(4) as u8;
            let operation = match random.below(10) {
                0 => Operation::Success,
                1 => Operation::Unlock,
                _ => FAILURE,
            };
            if operation == Operation::Unlock {
                admin_unlocks.push((key, now));
            }
            let _outcome = monitor
                .apply(key, now, operation, |report| reports.push((report, now)))
                .unwrap();
            if random.below(5) == 0 {
                // An early or spurious wake.
                monitor.wake(now, |report| reports.push((report, now)));
            }
        }
        // Then the watcher alone: it catches up at `now`, then sleeps from deadline to
        // deadline.
        let mut next = monitor.wake(now, |report| reports.push((report, now)));
        let mut rounds = 0;
        while let Some(deadline) = next {
            next = monitor.wake(deadline, |report| reports.push((report, deadline)));
            rounds += 1;
            assert!(rounds < 1_000, "seed {seed}: the deadlines never run out");
        }
        for key in 0..4 {
            check_alternation(key, &reports, &admin_unlocks);
        }
        total_unlocks += reports
            .iter()
            .filter(|(report, _)| matches!(report, Report::Unlocked { .. }))
            .count();
    }
    // The schedules do lock and unlock (the test would pass vacuously otherwise).
    assert!(total_unlocks > 1_000, "only {total_unlocks} unlocks");
}

#[test]
fn the_boot_clock_converts_both_ways() {
    let clock = BootClock::new(s(0));
    assert_eq!(clock.instant(0), s(0));
    assert_eq!(clock.instant(1_500), ms(1_500));
    assert_eq!(clock.millis_at(ms(1_500)), 1_500);
    assert_eq!(clock.millis_at(clock.instant(123_456)), 123_456);
    // Due before boot: wake now.
    assert_eq!(clock.millis_at(s(-10)), 0);
    assert_eq!(clock.millis_at(Instant::MIN), 0);
    // Beyond the range: far away, no overflow.
    assert_eq!(clock.millis_at(Instant::MAX), (i64::MAX - T0_MS) as u64);
    assert_eq!(clock.instant(u64::MAX), Instant::MAX);
}
