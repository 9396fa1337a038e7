//! The view's JSON, written straight into a caller's buffer: the bytes serde_json writes
//! for [`AccountView`], without serde, `core::fmt` or an allocator. Firmware and the C ABI
//! use it; nothing in the view needs escaping (dates, digits, `OK`/`LOCKED`).

use crate::binary::BufferTooSmall;
use crate::date::{MAX_DATE_LEN, write_digits};
use crate::time::Instant;
use crate::view::AccountView;

/// A cursor over the caller's buffer that counts what it could not write.
struct Output<'a> {
    buffer: &'a mut [u8],
    len: usize,
    needed: usize,
    /// A piece did not fit: nothing after it is written either.
    short: bool,
}

impl Output<'_> {
    fn push(&mut self, piece: &[u8]) {
        let end = self.len.saturating_add(piece.len());
        self.needed = self.needed.saturating_add(piece.len());
        match self.buffer.get_mut(self.len..end) {
            Some(target) if !self.short => {
                target.copy_from_slice(piece);
                self.len = end;
            }
            _ => self.short = true,
        }
    }

    fn date(&mut self, at: Instant) {
        self.push(b"\"");
        let mut date = [0_u8; MAX_DATE_LEN];
        let len = at.write_rfc3339(&mut date);
        self.push(date.get(..len).unwrap_or(&[]));
        self.push(b"\"");
    }

    fn number(&mut self, value: u64) {
        let mut digits = [0_u8; 20];
        write_digits(&mut digits, value);
        let first = digits
            .iter()
            .position(|digit| *digit != b'0')
            .unwrap_or(digits.len().saturating_sub(1));
        self.push(digits.get(first..).unwrap_or(b"0"));
    }
}

impl AccountView {
    /// The longest JSON a view can have: both dates in the expanded form and a 20-digit
    /// `secondsUntilUnlock`. A buffer this long always suffices.
    pub const MAX_JSON_LEN: usize = r#"{"canAuthenticate":false,"lockedAt":"","secondsUntilUnlock":,"status":"LOCKED","unlockAt":""}"#.len()
        + 2 * MAX_DATE_LEN
        + 20;

    /// Writes the view as JSON into `buffer` and returns the length written: the same
    /// bytes as `serde_json::to_vec(&view)`, with no serde, formatting or allocation.
    /// When `buffer` is short, [`BufferTooSmall`] says how many bytes are needed, and what
    /// `buffer` holds is unspecified (a prefix of the JSON).
    ///
    /// ```
    /// use account_lockout::{dialect::PingOne, Account, AccountView, Instant};
    ///
    /// let policy = (PingOne { failure_count: 1, duration_seconds: Some(90) }).policy().unwrap();
    /// let mut account: Account = Account::new();
    /// account.failure(&policy, Instant::from_millis(0), None).unwrap();
    ///
    /// let mut buffer = [0_u8; AccountView::MAX_JSON_LEN];
    /// let len = account.view(Instant::from_millis(500)).write_json(&mut buffer).unwrap();
    /// assert_eq!(
    ///     &buffer[..len],
    ///     br#"{"canAuthenticate":false,"lockedAt":"1970-01-01T00:00:00.000Z","secondsUntilUnlock":90,"status":"LOCKED","unlockAt":"1970-01-01T00:01:30.000Z"}"#
    /// );
    /// assert_eq!(account.view(Instant::from_millis(500)).write_json(&mut [0_u8; 20]).unwrap_err().needed, len);
    /// ```
    pub fn write_json(&self, buffer: &mut [u8]) -> Result<usize, BufferTooSmall> {
        let mut out = Output {
            buffer,
            len: 0,
            needed: 0,
            short: false,
        };
        out.push(if self.can_authenticate {
            br#"{"canAuthenticate":true"#
        } else {
            br#"{"canAuthenticate":false"#
        });
        if let Some(at) = self.locked_at {
            out.push(br#","lockedAt":"#);
            out.date(at);
        }
        if let Some(seconds) = self.seconds_until_unlock {
            out.push(br#","secondsUntilUnlock":"#);
            out.number(seconds);
        }
        out.push(br#","status":""#);
        out.push(self.status.as_str().as_bytes());
        out.push(b"\"");
        if let Some(at) = self.unlock_at {
            out.push(br#","unlockAt":"#);
            out.date(at);
        }
        out.push(b"}");
        if out.short {
            Err(BufferTooSmall { needed: out.needed })
        } else {
            Ok(out.len)
        }
    }
}
