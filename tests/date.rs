//! RFC 3339 dates (behaviour §1): what the parser accepts and refuses, how fractions
//! are floored to milliseconds, and the UTC, three-fraction-digit output.

mod fixtures;

use account_lockout::{DateError, Instant, parse_rfc3339};
use fixtures::{T0_MS, date};

/// `(text, expected instant)`: every valid form the parser accepts, in UTC milliseconds.
const VALID: [(&str, i64); 26] = [
    ("2026-01-01T00:00:00Z", T0_MS),
    ("1970-01-01T00:00:00Z", 0),
    ("1970-01-01T00:00:01Z", 1_000),
    // +HH:MM: local time is ahead of UTC.
    ("2026-01-01T01:00:00+01:00", T0_MS),
    ("2026-01-01T05:30:00+05:30", T0_MS),
    ("2026-01-01T23:59:00+23:59", T0_MS),
    // -HH:MM: local time is behind UTC (here, the previous day).
    ("2025-12-31T19:00:00-05:00", T0_MS),
    ("2025-12-31T14:15:00-09:45", T0_MS),
    ("2026-01-01T00:00:00+00:00", T0_MS),
    ("2026-01-01T00:00:00-00:00", T0_MS),
    // Leap years: 2024 and 2000 have a February 29.
    ("2024-02-29T00:00:00Z", 1_709_164_800_000),
    ("2000-02-29T12:00:00Z", 951_825_600_000),
    // Before the epoch.
    ("1969-12-31T23:59:59Z", -1_000),
    ("2026-01-01T00:15:20Z", T0_MS + 920_000),
    // Fractions are floored to milliseconds.
    ("2026-01-01T00:00:00.9999Z", T0_MS + 999),
    ("2026-01-01T00:00:00.999999999Z", T0_MS + 999),
    ("2026-01-01T00:00:00.5Z", T0_MS + 500),
    ("2026-01-01T00:00:00.05Z", T0_MS + 50),
    ("2026-01-01T00:00:00.123Z", T0_MS + 123),
    ("2026-01-01T00:00:00.1239Z", T0_MS + 123),
    ("2026-01-01T00:00:00.0009Z", T0_MS),
    ("2026-01-01T00:00:00.000Z", T0_MS),
    ("2026-01-01T00:00:07Z", T0_MS + 7_000),
    // A fraction with an offset.
    ("2026-01-01T01:00:00.9999+01:00", T0_MS + 999),
    // Floor, not truncation towards zero: 0.1 ms before the epoch is -1 ms.
    ("1969-12-31T23:59:59.9999Z", -1),
    ("2026-01-01T01:00:00.12345+01:00", T0_MS + 123),
];

#[test]
fn rfc3339_parses_zulu_offsets_and_fractions_into_utc_millis() {
    for (text, millis) in VALID {
        let expected = Instant::from_millis(millis);
        assert_eq!(parse_rfc3339(text), Ok(expected), "{text:?}");
        // FromStr is the same parser.
        assert_eq!(
            text.parse::<Instant>(),
            Ok(expected),
            "{text:?} via FromStr"
        );
    }
}

#[test]
fn rfc3339_invalid_forms_are_errors() {
    let invalid = [
        "2026-01-01 00:00:00Z",      // space separator
        "2026-01-01t00:00:00Z",      // lower-case t
        "2026-01-01T00:00:00z",      // lower-case z
        "2026-01-01T00:00:00",       // missing offset
        "2026-13-01T00:00:00Z",      // month 13
        "2026-00-01T00:00:00Z",      // month 0
        "2025-02-29T00:00:00Z",      // Feb 29 in a non-leap year
        "1900-02-29T00:00:00Z",      // 1900 is not a leap year
        "2026-04-31T00:00:00Z",      // April 31
        "2026-01-32T00:00:00Z",      // day 32
        "2026-01-00T00:00:00Z",      // day 0
        "2026-01-01T24:00:00Z",      // 24:00:00
        "2026-01-01T00:60:00Z",      // minute 60
        "2026-01-01T00:00:00+24:00", // offset of 24 hours
        "2026-01-01T00:00:00+01:60", // offset minute 60
        "2026-01-01T00:00:00+0100",  // offset without a colon
        "2026-01-01T00:00:00+01",    // offset without minutes
        "2026-01-01T00:00:00.Z",     // a dot with no digits
        "2026-01-01T00:00Z",         // no seconds
        "2026-1-01T00:00:00Z",       // one-digit month
        "26-01-01T00:00:00Z",        // two-digit year
        "2026-01-01",                // date only
        "2026-01-01T00:00:00Z ",     // trailing space
        " 2026-01-01T00:00:00Z",     // leading space
        "2026-01-01T00:00:00ZZ",     // trailing garbage
        "",
        "now",
    ];
    for text in invalid {
        assert!(
            parse_rfc3339(text).is_err(),
            "{text:?} must be refused, got {:?}",
            parse_rfc3339(text)
        );
        assert!(text.parse::<Instant>().is_err(), "{text:?} via FromStr");
    }
    // The error is typed and displays.
    let error: DateError = parse_rfc3339("2026-13-01T00:00:00Z").unwrap_err();
    assert!(!error.to_string().is_empty());
}

/// `(instant in milliseconds, its text)`: the output is UTC with exactly three digits.
const FORMATTED: [(i64, &str); 12] = [
    (T0_MS + 920_000, "2026-01-01T00:15:20.000Z"),
    (T0_MS + 1, "2026-01-01T00:00:00.001Z"),
    (T0_MS + 10, "2026-01-01T00:00:00.010Z"),
    (T0_MS + 999, "2026-01-01T00:00:00.999Z"),
    (T0_MS + 123, "2026-01-01T00:00:00.123Z"),
    (T0_MS, "2026-01-01T00:00:00.000Z"),
    (T0_MS + 123_456, "2026-01-01T00:02:03.456Z"),
    (0, "1970-01-01T00:00:00.000Z"),
    (-1, "1969-12-31T23:59:59.999Z"),
    (1_709_164_800_000, "2024-02-29T00:00:00.000Z"),
    (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
    (-62_167_219_200_000, "0000-01-01T00:00:00.000Z"),
];

#[test]
fn rfc3339_output_is_utc_with_exactly_three_fraction_digits_and_round_trips() {
    for (millis, text) in FORMATTED {
        let instant = Instant::from_millis(millis);
        assert_eq!(instant.to_string(), text, "{millis}");
        assert_eq!(instant.to_rfc3339().as_str(), text, "{millis}");
        assert_eq!(parse_rfc3339(text), Ok(instant), "{text} round trip");
    }
    // An input with an offset and a sub-millisecond fraction comes out normalised.
    for (input, output) in [
        (
            "2026-01-01T01:00:00.12345+01:00",
            "2026-01-01T00:00:00.123Z",
        ),
        ("2025-12-31T19:00:00-05:00", "2026-01-01T00:00:00.000Z"),
    ] {
        assert_eq!(date(input).to_string(), output, "{input}");
    }
    // The limits format without panicking; their milliseconds are i64::MAX mod 1000 and
    // i64::MIN rem_euclid 1000.
    let max = Instant::MAX.to_string();
    let min = Instant::MIN.to_string();
    assert!(max.ends_with(".807Z"), "{max}");
    assert!(min.ends_with(".192Z"), "{min}");
}
