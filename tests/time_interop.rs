//! Conversions between this crate's `Instant`/`Duration` and the `time` crate's
//! `OffsetDateTime`, `UtcDateTime` and `Duration`, on concrete values.

mod fixtures;

use account_lockout::NegativeDuration;
use account_lockout::{Duration, Instant, OutOfTimeRange};
use fixtures::{T0_MS, ms};
use time::{OffsetDateTime, UtcDateTime, UtcOffset};

/// 2026-01-01T00:00:00Z as `time` sees it.
fn t0_utc() -> UtcDateTime {
    UtcDateTime::from_unix_timestamp(1_767_225_600).unwrap()
}

#[test]
fn the_epoch_both_ways() {
    assert_eq!(Instant::from(UtcDateTime::UNIX_EPOCH), Instant::UNIX_EPOCH);
    assert_eq!(
        Instant::from(OffsetDateTime::UNIX_EPOCH),
        Instant::UNIX_EPOCH
    );
    assert_eq!(
        UtcDateTime::try_from(Instant::UNIX_EPOCH),
        Ok(UtcDateTime::UNIX_EPOCH)
    );
    assert_eq!(
        OffsetDateTime::try_from(Instant::UNIX_EPOCH),
        Ok(OffsetDateTime::UNIX_EPOCH)
    );
}

#[test]
fn new_year_2026_both_ways() {
    assert_eq!(Instant::from(t0_utc()), ms(0));
    assert_eq!(Instant::from(t0_utc()).as_millis(), T0_MS);
    assert_eq!(UtcDateTime::try_from(ms(0)), Ok(t0_utc()));
    let offset = OffsetDateTime::try_from(ms(0)).unwrap();
    assert!(offset.offset().is_utc());
    assert_eq!(offset.unix_timestamp(), 1_767_225_600);
    // The same instant seen at +05:30 is the same Instant.
    let india = offset.to_offset(UtcOffset::from_hms(5, 30, 0).unwrap());
    assert_eq!(india.hour(), 5);
    assert_eq!(Instant::from(india), ms(0));
    // Milliseconds survive the round trip.
    assert_eq!(UtcDateTime::try_from(ms(123)).unwrap().millisecond(), 123);
    assert_eq!(
        Instant::from(UtcDateTime::try_from(ms(123)).unwrap()),
        ms(123)
    );
}

#[test]
fn negative_instants() {
    // 1969-12-31T23:59:59.999Z.
    let date = UtcDateTime::try_from(Instant::from_millis(-1)).unwrap();
    assert_eq!(date.year(), 1969);
    assert_eq!(date.second(), 59);
    assert_eq!(date.millisecond(), 999);
    assert_eq!(date.unix_timestamp_nanos(), -1_000_000);
    assert_eq!(Instant::from(date), Instant::from_millis(-1));
    let offset = OffsetDateTime::try_from(Instant::from_millis(-86_400_000)).unwrap();
    assert_eq!(offset.unix_timestamp(), -86_400);
    assert_eq!(Instant::from(offset), Instant::from_millis(-86_400_000));
}

#[test]
fn sub_millisecond_fractions_are_dropped_towards_the_past() {
    let at = |nanos: i128| Instant::from(UtcDateTime::from_unix_timestamp_nanos(nanos).unwrap());
    assert_eq!(at(999_999), Instant::from_millis(0));
    assert_eq!(at(1_000_000), Instant::from_millis(1));
    assert_eq!(at(1_999_999), Instant::from_millis(1));
    // Before the epoch, towards the past is away from zero.
    assert_eq!(at(-1), Instant::from_millis(-1));
    assert_eq!(at(-1_000_000), Instant::from_millis(-1));
    assert_eq!(at(-1_000_001), Instant::from_millis(-2));
    let offset = OffsetDateTime::from_unix_timestamp_nanos(1_767_225_600_000_999_999).unwrap();
    assert_eq!(Instant::from(offset), ms(0));
}

#[test]
fn instants_outside_the_time_crate_range() {
    // `time` without `large-dates` holds years -9999..=9999.
    let last =
        Instant::from(UtcDateTime::from_unix_timestamp_nanos(253_402_300_799_999_999_999).unwrap());
    assert_eq!(last.to_string(), "9999-12-31T23:59:59.999Z");
    assert!(UtcDateTime::try_from(last).is_ok());
    let after = last.saturating_add(Duration::from_millis(1));
    assert_eq!(UtcDateTime::try_from(after), Err(OutOfTimeRange));
    assert_eq!(OffsetDateTime::try_from(after), Err(OutOfTimeRange));
    for instant in [Instant::MAX, Instant::MIN] {
        assert_eq!(UtcDateTime::try_from(instant), Err(OutOfTimeRange));
        assert_eq!(OffsetDateTime::try_from(instant), Err(OutOfTimeRange));
    }
    let first = Instant::from(UtcDateTime::MIN);
    assert_eq!(UtcDateTime::try_from(first), Ok(UtcDateTime::MIN));
    let before = first.saturating_sub(Duration::from_millis(1));
    assert_eq!(UtcDateTime::try_from(before), Err(OutOfTimeRange));
}

#[test]
fn durations_from_time() {
    assert_eq!(Duration::try_from(time::Duration::ZERO), Ok(Duration::ZERO));
    assert_eq!(
        Duration::try_from(time::Duration::minutes(15)),
        Ok(Duration::from_secs(900))
    );
    // Sub-millisecond parts are dropped.
    assert_eq!(
        Duration::try_from(time::Duration::nanoseconds(999_999)),
        Ok(Duration::ZERO)
    );
    assert_eq!(
        Duration::try_from(time::Duration::new(1, 2_999_999)),
        Ok(Duration::from_millis(1_002))
    );
    assert_eq!(
        Duration::try_from(time::Duration::milliseconds(i64::MAX)),
        Ok(Duration::from_millis(i64::MAX as u64))
    );
    // Longer than u64 milliseconds: saturates.
    assert_eq!(
        Duration::try_from(time::Duration::seconds(i64::MAX / 100)),
        Ok(Duration::MAX)
    );
    assert_eq!(Duration::try_from(time::Duration::MAX), Ok(Duration::MAX));
}

#[test]
fn negative_durations_are_refused() {
    for negative in [
        time::Duration::nanoseconds(-1),
        time::Duration::milliseconds(-1),
        time::Duration::seconds(-900),
        time::Duration::MIN,
    ] {
        assert_eq!(Duration::try_from(negative), Err(NegativeDuration));
    }
    assert_eq!(NegativeDuration.to_string(), "the duration is negative");
    let error: &dyn core::error::Error = &NegativeDuration;
    assert!(error.source().is_none());
}

#[test]
fn durations_to_time() {
    assert_eq!(time::Duration::from(Duration::ZERO), time::Duration::ZERO);
    assert_eq!(
        time::Duration::from(Duration::from_millis(1_500)),
        time::Duration::new(1, 500_000_000)
    );
    let max = time::Duration::from(Duration::MAX);
    assert_eq!(max.whole_milliseconds(), i128::from(u64::MAX));
    assert_eq!(Duration::try_from(max), Ok(Duration::MAX));
}
