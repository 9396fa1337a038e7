//! Error messages for the caller's buffer: formatted on the stack, cut to fit, never
//! allocating and never failing.

use core::fmt::{self, Write};

/// The longest message kept, in bytes (longer ones are cut at a character boundary).
pub(crate) const MESSAGE_CAPACITY: usize = 256;

/// A message formatted into a fixed buffer: text that does not fit is dropped, cut at a
/// UTF-8 character boundary, so the kept bytes are always valid UTF-8.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Message {
    bytes: [u8; MESSAGE_CAPACITY],
    len: usize,
    limit: usize,
}

impl Message {
    /// An empty message that keeps at most `limit` bytes (and never more than
    /// [`MESSAGE_CAPACITY`]).
    pub(crate) fn with_limit(limit: usize) -> Message {
        Message {
            bytes: [0; MESSAGE_CAPACITY],
            len: 0,
            limit: limit.min(MESSAGE_CAPACITY),
        }
    }

    /// `value` formatted, kept up to `limit` bytes.
    pub(crate) fn of(value: &dyn fmt::Display, limit: usize) -> Message {
        let mut message = Message::with_limit(limit);
        // Our `write_str` never fails; a `Display` impl that fails leaves what it wrote.
        let _ = write!(message, "{value}");
        message
    }

    /// The kept bytes (valid UTF-8, no NUL added).
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

impl Write for Message {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let room = self.limit.saturating_sub(self.len);
        let mut cut = text.len().min(room);
        while !text.is_char_boundary(cut) {
            cut = cut.saturating_sub(1);
        }
        let kept = text.as_bytes().get(..cut).unwrap_or(&[]);
        let end = self.len.saturating_add(kept.len());
        if let Some(target) = self.bytes.get_mut(self.len..end) {
            target.copy_from_slice(kept);
            self.len = end;
        }
        Ok(())
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(core::str::from_utf8(self.as_bytes()).unwrap_or(""), f)
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(core::str::from_utf8(self.as_bytes()).unwrap_or(""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_cut_at_the_limit_on_a_character_boundary() {
        assert_eq!(Message::of(&"hello", 10).as_bytes(), b"hello");
        assert_eq!(Message::of(&"hello", 3).as_bytes(), b"hel");
        assert_eq!(Message::of(&"hello", 0).as_bytes(), b"");
        // "é" is two bytes: a limit of 2 after "a" keeps only "a".
        assert_eq!(Message::of(&"aé", 2).as_bytes(), b"a");
        assert_eq!(Message::of(&"aé", 3).as_bytes(), "aé".as_bytes());
        let long = "x".repeat(1_000);
        assert_eq!(
            Message::of(&long, usize::MAX).as_bytes().len(),
            MESSAGE_CAPACITY
        );
    }
}
