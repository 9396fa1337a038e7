//! RFC 3339 dates: the one text form of an instant, in and out.
//!
//! Input ([behaviour §1](crate::behaviour#s1)): `YYYY-MM-DDTHH:MM:SS`, an optional fraction of any length, then `Z`
//! or a `±HH:MM` offset. The separator must be an upper-case `T` and the zone an
//! upper-case `Z`; leap seconds (`:60`) are refused. Offsets are normalised to UTC and
//! digits below the millisecond are dropped (rounding towards the past).
//!
//! Output: UTC with exactly three fraction digits and `Z`, `2026-01-01T00:15:20.000Z`.
//! RFC 3339 has four-digit years only; an instant outside years 0000–9999 (reachable
//! only through saturating arithmetic near the `i64` limits) is written in the ISO 8601
//! expanded form with a sign, such as `+292278994-08-17T07:12:55.807Z`.

use core::fmt;

use crate::time::Instant;

/// Why a text is not an RFC 3339 date-time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum DateError {
    /// The text does not have the `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)` shape.
    Malformed,
    /// The shape is right but a field is out of range (month 13, February 30, 24:00, …).
    OutOfRange,
}

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DateError::Malformed => f.write_str(
                "not an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SS[.fff] then Z or ±HH:MM)",
            ),
            DateError::OutOfRange => f.write_str("an RFC 3339 date-time with a field out of range"),
        }
    }
}

impl core::error::Error for DateError {}

/// Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// A byte cursor over the input (a `str`, or a JSON string decoded as it is read).
struct Cursor<I: Iterator<Item = u8>> {
    bytes: core::iter::Peekable<I>,
}

impl<I: Iterator<Item = u8>> Cursor<I> {
    fn next(&mut self) -> Option<u8> {
        self.bytes.next()
    }

    fn peek(&mut self) -> Option<u8> {
        self.bytes.peek().copied()
    }

    fn expect(&mut self, wanted: u8) -> Result<(), DateError> {
        match self.next() {
            Some(byte) if byte == wanted => Ok(()),
            _ => Err(DateError::Malformed),
        }
    }

    fn digit(&mut self) -> Result<u32, DateError> {
        match self.next() {
            Some(byte @ b'0'..=b'9') => Ok(u32::from(byte.wrapping_sub(b'0'))),
            _ => Err(DateError::Malformed),
        }
    }

    /// Exactly `count` decimal digits (count <= 4, so the value fits easily).
    fn number(&mut self, count: u32) -> Result<u32, DateError> {
        let mut value: u32 = 0;
        for _ in 0..count {
            let digit = self.digit()?;
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(digit))
                .ok_or(DateError::Malformed)?;
        }
        Ok(value)
    }
}

/// Parses an RFC 3339 date-time into an instant ([behaviour §1](crate::behaviour#s1)).
///
/// ```
/// use account_lockout::{parse_rfc3339, DateError, Instant};
///
/// assert_eq!(parse_rfc3339("1970-01-01T00:00:01Z"), Ok(Instant::from_millis(1_000)));
/// assert_eq!(parse_rfc3339("1970-01-01T01:00:00.0009+01:00"), Ok(Instant::from_millis(0)));
/// assert_eq!(parse_rfc3339("1970-01-01 00:00:00Z"), Err(DateError::Malformed));
/// assert_eq!(parse_rfc3339("2026-02-29T00:00:00Z"), Err(DateError::OutOfRange));
/// ```
pub fn parse_rfc3339(text: &str) -> Result<Instant, DateError> {
    parse_rfc3339_bytes(text.bytes())
}

/// [`parse_rfc3339`] over bytes as they come: the patch scanner feeds a JSON string
/// through it while decoding its escapes, so a fraction of any length needs no buffer.
pub(crate) fn parse_rfc3339_bytes(bytes: impl Iterator<Item = u8>) -> Result<Instant, DateError> {
    let mut cursor = Cursor {
        bytes: bytes.peekable(),
    };
    let year = cursor.number(4)?;
    cursor.expect(b'-')?;
    let month = cursor.number(2)?;
    cursor.expect(b'-')?;
    let day = cursor.number(2)?;
    cursor.expect(b'T')?;
    let hour = cursor.number(2)?;
    cursor.expect(b':')?;
    let minute = cursor.number(2)?;
    cursor.expect(b':')?;
    let second = cursor.number(2)?;

    let mut millis: u32 = 0;
    if cursor.peek() == Some(b'.') {
        cursor.expect(b'.')?;
        // At least one digit; the first three make the milliseconds, the rest are dropped.
        let mut digits: u32 = 0;
        while let Some(b'0'..=b'9') = cursor.peek() {
            let digit = cursor.digit()?;
            if digits < 3 {
                millis = millis
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(digit))
                    .ok_or(DateError::Malformed)?;
            }
            digits = digits.saturating_add(1);
        }
        if digits == 0 {
            return Err(DateError::Malformed);
        }
        for _ in digits..3 {
            millis = millis.checked_mul(10).ok_or(DateError::Malformed)?;
        }
    }

    let offset_seconds: i64 = match cursor.next() {
        Some(b'Z') => 0,
        Some(sign @ (b'+' | b'-')) => {
            let offset_hours = cursor.number(2)?;
            cursor.expect(b':')?;
            let offset_minutes = cursor.number(2)?;
            if offset_hours > 23 || offset_minutes > 59 {
                return Err(DateError::OutOfRange);
            }
            let magnitude = seconds_of(offset_hours, offset_minutes, 0);
            if sign == b'+' {
                magnitude
            } else {
                magnitude.saturating_neg()
            }
        }
        _ => return Err(DateError::Malformed),
    };
    if cursor.next().is_some() {
        return Err(DateError::Malformed);
    }

    if hour > 23 || minute > 59 || second > 59 {
        return Err(DateError::OutOfRange);
    }
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .ok_or(DateError::OutOfRange)?;
    let year = i32::try_from(year).map_err(|_| DateError::OutOfRange)?;
    let day = u8::try_from(day).map_err(|_| DateError::OutOfRange)?;
    let date =
        time::Date::from_calendar_date(year, month, day).map_err(|_| DateError::OutOfRange)?;

    // Years 0000..=9999 keep every term below 2^49: the saturating forms never saturate.
    let days = i64::from(date.to_julian_day()).saturating_sub(UNIX_EPOCH_JULIAN_DAY);
    let seconds = days
        .saturating_mul(86_400)
        .saturating_add(seconds_of(hour, minute, second))
        .saturating_sub(offset_seconds);
    Ok(Instant::from_millis(
        seconds
            .saturating_mul(1_000)
            .saturating_add(i64::from(millis)),
    ))
}

/// Seconds in `hours:minutes:seconds` (each already range-checked or at most 99).
fn seconds_of(hours: u32, minutes: u32, seconds: u32) -> i64 {
    i64::from(hours)
        .saturating_mul(3_600)
        .saturating_add(i64::from(minutes).saturating_mul(60))
        .saturating_add(i64::from(seconds))
}

/// A formatted date, held on the stack: what [`Instant::to_rfc3339`] returns.
///
/// It dereferences to `str` and implements `Display`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateString {
    text: heapless::String<32>,
}

impl DateString {
    /// The date as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.text.as_str()
    }
}

impl core::ops::Deref for DateString {
    type Target = str;
    fn deref(&self) -> &str {
        self.text.as_str()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for DateString {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=str}", self.as_str());
    }
}

impl fmt::Display for DateString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text.as_str())
    }
}

/// Calendar fields of an instant, in UTC.
struct Civil {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    millisecond: i64,
}

/// Splits an instant into calendar fields (Howard Hinnant's `civil_from_days`).
///
/// Valid for every `i64` millisecond count: the day number stays within ±1.1e11, so
/// every intermediate below stays within ±2^40.
#[allow(clippy::arithmetic_side_effects)]
fn civil(instant: Instant) -> Civil {
    let millis = instant.as_millis();
    let days = millis.div_euclid(86_400_000);
    let millis_of_day = millis.rem_euclid(86_400_000);

    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);

    Civil {
        year,
        month,
        day,
        hour: millis_of_day / 3_600_000,
        minute: millis_of_day / 60_000 % 60,
        second: millis_of_day / 1_000 % 60,
        millisecond: millis_of_day % 1_000,
    }
}

impl Instant {
    /// The instant as an RFC 3339 UTC date with milliseconds, formatted on the stack.
    ///
    /// ```
    /// use account_lockout::Instant;
    /// assert_eq!(Instant::from_millis(1_767_226_520_000).to_rfc3339().as_str(), "2026-01-01T00:15:20.000Z");
    /// assert_eq!(Instant::MAX.to_rfc3339().as_str(), "+292278994-08-17T07:12:55.807Z");
    /// assert_eq!(Instant::MIN.to_rfc3339().as_str(), "-292275055-05-16T16:47:04.192Z");
    /// ```
    #[must_use]
    pub fn to_rfc3339(self) -> DateString {
        let mut bytes = [0_u8; MAX_DATE_LEN];
        let len = self.write_rfc3339(&mut bytes);
        let mut text = heapless::String::new();
        // The bytes are ASCII and at most 30 fit in 32: both steps always succeed.
        if let Some(ascii) = bytes.get(..len).and_then(|b| core::str::from_utf8(b).ok()) {
            let _ = text.push_str(ascii);
        }
        DateString { text }
    }

    /// Writes the form [`Instant::to_rfc3339`] returns into `out` and returns its length,
    /// digit by digit: core::fmt would cost ten times more on the view's hot path, and
    /// would be linked into firmware that writes views.
    pub(crate) fn write_rfc3339(self, out: &mut [u8; MAX_DATE_LEN]) -> usize {
        let c = civil(self);
        // Years 0000–9999 in four digits; others with a sign and at least four digits.
        let magnitude = c.year.unsigned_abs();
        let year_digits = magnitude
            .checked_ilog10()
            .unwrap_or(0)
            .saturating_add(1)
            .max(4);
        let year_digits = usize::try_from(year_digits).unwrap_or(4);
        let sign = if (0..=9_999).contains(&c.year) {
            None
        } else if c.year < 0 {
            Some(b'-')
        } else {
            Some(b'+')
        };
        let year_len = year_digits.saturating_add(usize::from(sign.is_some()));
        if let (Some(first), Some(sign)) = (out.first_mut(), sign) {
            *first = sign;
        }
        if let Some(digits) = out.get_mut(year_len.saturating_sub(year_digits)..year_len) {
            write_digits(digits, magnitude);
        }
        let mut rest = *b"-00-00T00:00:00.000Z";
        // Each `civil` field below is within its calendar range, so it fits in a `u64`.
        for (range, value) in [
            (1..3, c.month),
            (4..6, c.day),
            (7..9, c.hour),
            (10..12, c.minute),
            (13..15, c.second),
            (16..19, c.millisecond),
        ] {
            if let Some(digits) = rest.get_mut(range) {
                write_digits(digits, value.unsigned_abs());
            }
        }
        let len = year_len.saturating_add(rest.len());
        if let Some(target) = out.get_mut(year_len..len) {
            target.copy_from_slice(&rest);
        }
        len
    }
}

/// The longest [`Instant::to_rfc3339`] output, `-292275055-05-16T16:47:04.192Z`.
pub(crate) const MAX_DATE_LEN: usize = 30;

/// Writes `value` in decimal, right-aligned and zero-padded, into all of `field`; digits
/// that do not fit are dropped from the left.
#[inline]
pub(crate) fn write_digits(field: &mut [u8], value: u64) {
    // Date fields are small: 32-bit division is cheaper than 64-bit.
    match u32::try_from(value) {
        Ok(mut small) => {
            for byte in field.iter_mut().rev() {
                *byte = b'0'.saturating_add(u8::try_from(small % 10).unwrap_or(0));
                small /= 10;
            }
        }
        Err(_) => {
            let mut value = value;
            for byte in field.iter_mut().rev() {
                *byte = b'0'.saturating_add(u8::try_from(value % 10).unwrap_or(0));
                value /= 10;
            }
        }
    }
}

impl fmt::Display for Instant {
    /// Writes the RFC 3339 form, as [`Instant::to_rfc3339`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.to_rfc3339().as_str())
    }
}

impl core::str::FromStr for Instant {
    type Err = DateError;

    /// Parses an RFC 3339 date-time, as [`parse_rfc3339`].
    fn from_str(text: &str) -> Result<Instant, DateError> {
        parse_rfc3339(text)
    }
}
