//! A patch body straight from JSON bytes, without serde or allocation: for firmware and
//! for any host that wants [behaviour §4](crate::behaviour#s4)'s error order without a JSON library.
//!
//! The scanner accepts exactly RFC 8259 JSON (nesting at most 32 deep); anything else is
//! "not a JSON object" (`invalid_value`). It keeps only what the checks need: which keys
//! came, in order, and the values of the three mutable fields, decoded into small stack
//! buffers.

use super::{FieldName, Interpret, Key, Patch, PatchDocument, PatchError};

/// How deep arrays and objects may nest inside a value.
const MAX_DEPTH: u32 = 32;
/// The longest string value kept for a field (dates and statuses are far shorter).
const VALUE_CAPACITY: usize = 64;

/// A JSON syntax error: the body is not JSON.
struct Malformed;

/// A decoded string, kept if it fits. Its pieces are bytes of valid UTF-8 (runs of the
/// input, or encoded escapes), but a cut may fall inside a character.
struct Text {
    bytes: heapless::Vec<u8, VALUE_CAPACITY>,
    overflow: bool,
}

impl Text {
    fn new() -> Text {
        Text {
            bytes: heapless::Vec::new(),
            overflow: false,
        }
    }

    /// Appends `piece`, or as much of it as fits (then the text is marked cut).
    fn push(&mut self, piece: &[u8]) {
        let room = VALUE_CAPACITY.saturating_sub(self.bytes.len());
        let (kept, cut) = piece.split_at(piece.len().min(room));
        self.overflow |= !cut.is_empty();
        // `kept` fits the room left, so this cannot fail.
        let _ = self.bytes.extend_from_slice(kept);
    }

    /// The text, if it was kept whole.
    fn as_str(&self) -> Option<&str> {
        if self.overflow {
            return None;
        }
        core::str::from_utf8(&self.bytes).ok()
    }

    /// The text, cut at the capacity (for field names in errors).
    fn lossy(&self) -> &str {
        let bytes: &[u8] = &self.bytes;
        match core::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => {
                core::str::from_utf8(bytes.get(..error.valid_up_to()).unwrap_or(&[])).unwrap_or("")
            }
        }
    }
}

/// A value of a mutable field.
enum Scalar<'a> {
    Bool(bool),
    Null,
    /// A string's raw content between its quotes, already checked.
    Str(&'a [u8]),
    Other,
}

impl Scalar<'_> {
    fn read<T: Interpret>(&self) -> Option<T> {
        match self {
            Scalar::Bool(value) => T::from_bool(*value),
            Scalar::Null => T::from_null(),
            Scalar::Str(raw) => T::from_text(Unescaped::new(raw)),
            Scalar::Other => None,
        }
    }
}

/// What `\\` and one character other than `u` stand for in a JSON string.
fn single_character_escape(kind: u8) -> Option<char> {
    Some(match kind {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        _ => return None,
    })
}

/// The UTF-8 bytes of a checked JSON string's content, escapes decoded as they are read.
/// A date may carry a fraction of any length, so the value is never copied to a buffer.
#[derive(Clone)]
struct Unescaped<'a> {
    raw: &'a [u8],
    /// The rest of a decoded escape's UTF-8 bytes.
    pending: [u8; 4],
    pending_len: usize,
}

impl<'a> Unescaped<'a> {
    fn new(raw: &'a [u8]) -> Unescaped<'a> {
        Unescaped {
            raw,
            pending: [0; 4],
            pending_len: 0,
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let (digits, rest) = self.raw.split_at_checked(4)?;
        self.raw = rest;
        u32::from_str_radix(core::str::from_utf8(digits).ok()?, 16).ok()
    }

    /// The character of the escape after a `\`.
    fn escape(&mut self) -> Option<char> {
        let (&kind, rest) = self.raw.split_first()?;
        self.raw = rest;
        if kind != b'u' {
            return single_character_escape(kind);
        }
        let code = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&code) {
            // The scanner let only a high surrogate followed by `\u` and a low one in.
            self.raw = self.raw.get(2..)?;
            let low = self.hex4()?;
            0x10000 | ((code & 0x3FF) << 10) | (low & 0x3FF)
        } else {
            code
        };
        char::from_u32(code)
    }
}

impl Iterator for Unescaped<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        if self.pending_len > 0 {
            let byte = *self.pending.first()?;
            self.pending.rotate_left(1);
            self.pending_len = self.pending_len.saturating_sub(1);
            return Some(byte);
        }
        let (&byte, rest) = self.raw.split_first()?;
        self.raw = rest;
        if byte != b'\\' {
            return Some(byte);
        }
        let decoded = self.escape()?;
        let mut buffer = [0; 4];
        let encoded = decoded.encode_utf8(&mut buffer).as_bytes();
        let (&first, others) = encoded.split_first()?;
        self.pending_len = others.len();
        if let Some(target) = self.pending.get_mut(..others.len()) {
            target.copy_from_slice(others);
        }
        Some(first)
    }
}

struct Scanner<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.position).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.position = self.position.saturating_add(1);
        Some(byte)
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.bump();
        }
    }

    fn expect(&mut self, wanted: u8) -> Result<(), Malformed> {
        match self.bump() {
            Some(byte) if byte == wanted => Ok(()),
            _ => Err(Malformed),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Malformed> {
        for &byte in word {
            self.expect(byte)?;
        }
        Ok(())
    }

    fn digits(&mut self) -> Result<(), Malformed> {
        match self.bump() {
            Some(b'0'..=b'9') => {}
            _ => return Err(Malformed),
        }
        while let Some(b'0'..=b'9') = self.peek() {
            self.bump();
        }
        Ok(())
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Result<(), Malformed> {
        if self.peek() == Some(b'-') {
            self.bump();
        }
        if self.peek() == Some(b'0') {
            self.bump();
        } else {
            self.digits()?;
        }
        if self.peek() == Some(b'.') {
            self.bump();
            self.digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.bump();
            if let Some(b'+' | b'-') = self.peek() {
                self.bump();
            }
            self.digits()?;
        }
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, Malformed> {
        let mut value: u32 = 0;
        for _ in 0..4 {
            let digit = match self.bump() {
                Some(byte @ b'0'..=b'9') => byte.wrapping_sub(b'0'),
                Some(byte @ b'a'..=b'f') => byte.wrapping_sub(b'a').wrapping_add(10),
                Some(byte @ b'A'..=b'F') => byte.wrapping_sub(b'A').wrapping_add(10),
                _ => return Err(Malformed),
            };
            value = (value << 4) | u32::from(digit);
        }
        Ok(value)
    }

    /// A string (the opening quote is next), decoded into `text`; `None` checks the
    /// syntax only. RFC 8259 allows a `\u` escape of a lone surrogate: a skipped string
    /// may have one, but a kept one cannot become UTF-8 and is refused (as serde_json
    /// refuses it).
    fn string(&mut self, mut text: Option<&mut Text>) -> Result<(), Malformed> {
        self.expect(b'"')?;
        loop {
            let start = self.position;
            while let Some(byte) = self.peek() {
                if byte == b'"' || byte == b'\\' || byte < 0x20 {
                    break;
                }
                self.bump();
            }
            let run = self.bytes.get(start..self.position).ok_or(Malformed)?;
            core::str::from_utf8(run).map_err(|_| Malformed)?;
            if let Some(text) = text.as_deref_mut() {
                text.push(run);
            }
            match self.bump() {
                Some(b'"') => return Ok(()),
                Some(b'\\') => {}
                _ => return Err(Malformed),
            }
            let escaped = match self.bump().ok_or(Malformed)? {
                b'u' => {
                    let code = self.hex4()?;
                    let Some(text) = text.as_deref_mut() else {
                        continue;
                    };
                    let code = if (0xD800..0xDC00).contains(&code) {
                        self.literal(b"\\u")?;
                        let low = self.hex4()?;
                        if !(0xDC00..0xE000).contains(&low) {
                            return Err(Malformed);
                        }
                        0x10000 | ((code & 0x3FF) << 10) | (low & 0x3FF)
                    } else {
                        code
                    };
                    let decoded = char::from_u32(code).ok_or(Malformed)?;
                    let mut buffer = [0; 4];
                    text.push(decoded.encode_utf8(&mut buffer).as_bytes());
                    continue;
                }
                other => single_character_escape(other).ok_or(Malformed)?,
            };
            if let Some(text) = text.as_deref_mut() {
                let mut buffer = [0; 4];
                text.push(escaped.encode_utf8(&mut buffer).as_bytes());
            }
        }
    }

    /// Any value, checked and thrown away.
    fn skip_value(&mut self, depth: u32) -> Result<(), Malformed> {
        if depth > MAX_DEPTH {
            return Err(Malformed);
        }
        self.skip_whitespace();
        match self.peek().ok_or(Malformed)? {
            b'{' => {
                self.bump();
                self.sequence(b'}', |scanner| {
                    scanner.member_name(None)?;
                    scanner.skip_value(depth.saturating_add(1))
                })
            }
            b'[' => {
                self.bump();
                self.sequence(b']', |scanner| scanner.skip_value(depth.saturating_add(1)))
            }
            b'"' => self.string(None),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number(),
        }
    }

    /// The value of a mutable field.
    fn scalar(&mut self) -> Result<Scalar<'a>, Malformed> {
        self.skip_whitespace();
        Ok(match self.peek().ok_or(Malformed)? {
            b't' => {
                self.literal(b"true")?;
                Scalar::Bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                Scalar::Bool(false)
            }
            b'n' => {
                self.literal(b"null")?;
                Scalar::Null
            }
            b'"' => {
                let start = self.position.saturating_add(1);
                // Decoding into a scratch text checks what `Unescaped` will assume.
                self.string(Some(&mut Text::new()))?;
                let end = self.position.saturating_sub(1);
                Scalar::Str(self.bytes.get(start..end).ok_or(Malformed)?)
            }
            _ => {
                self.skip_value(1)?;
                Scalar::Other
            }
        })
    }

    /// The members of an object whose `{` was read.
    fn members(&mut self, document: &mut PatchDocument) -> Result<(), Malformed> {
        self.sequence(b'}', |scanner| {
            let mut name = Text::new();
            scanner.member_name(Some(&mut name))?;
            // A name longer than the buffer is not one of ours: keep what fits for errors.
            let key = match name.as_str() {
                Some(whole) => Key::of(whole),
                None => Key::Unknown(FieldName::new(name.lossy())),
            };
            match key {
                Key::CanAuthenticate => {
                    let value = scanner.scalar()?.read();
                    document.can_authenticate.fill(value);
                }
                Key::Status => {
                    let value = scanner.scalar()?.read();
                    document.status.fill(value);
                }
                Key::UnlockAt => {
                    let value = scanner.scalar()?.read();
                    document.unlock_at.fill(value);
                }
                Key::ReadOnly(field) => {
                    scanner.skip_value(1)?;
                    document.first_read_only.get_or_insert(field);
                }
                Key::Unknown(name) => {
                    scanner.skip_value(1)?;
                    document.first_unknown.get_or_insert(name);
                }
            }
            Ok(())
        })
    }

    /// The items of an object or array whose opening bracket was read, up to `close`:
    /// `item` reads one, then a `,` or `close` must follow.
    fn sequence(
        &mut self,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Result<(), Malformed>,
    ) -> Result<(), Malformed> {
        self.skip_whitespace();
        if self.peek() == Some(close) {
            self.bump();
            return Ok(());
        }
        loop {
            item(self)?;
            self.skip_whitespace();
            match self.bump() {
                Some(b',') => {}
                Some(byte) if byte == close => return Ok(()),
                _ => return Err(Malformed),
            }
        }
    }

    /// A member's name and its `:`, the name decoded into `name` if given.
    fn member_name(&mut self, name: Option<&mut Text>) -> Result<(), Malformed> {
        self.skip_whitespace();
        self.string(name)?;
        self.skip_whitespace();
        self.expect(b':')
    }

    fn document(&mut self) -> Result<PatchDocument, Malformed> {
        self.skip_whitespace();
        let document = if self.peek() == Some(b'{') {
            self.bump();
            let mut document = PatchDocument {
                object: true,
                ..PatchDocument::NOT_AN_OBJECT
            };
            self.members(&mut document)?;
            document
        } else {
            self.skip_value(0)?;
            PatchDocument::NOT_AN_OBJECT
        };
        self.skip_whitespace();
        if self.position != self.bytes.len() {
            return Err(Malformed);
        }
        Ok(document)
    }
}

impl PatchDocument {
    /// Reads a patch body from JSON bytes, without allocation. Bytes that are not JSON
    /// read as "not an object", so [`PatchDocument::into_patch`] reports `invalid_value`.
    pub fn from_json(body: &[u8]) -> PatchDocument {
        Scanner {
            bytes: body,
            position: 0,
        }
        .document()
        .unwrap_or(PatchDocument::NOT_AN_OBJECT)
    }
}

impl Patch {
    /// Parses and checks a JSON patch body (checks 1–5 of [behaviour §4](crate::behaviour#s4)), without allocation.
    ///
    /// ```
    /// use account_lockout::{ErrorCode, Patch, Status};
    /// let patch = Patch::from_json(br#"{"status":"LOCKED","unlockAt":"2026-01-01T01:00:00Z"}"#).unwrap();
    /// assert_eq!(patch.status, Some(Status::Locked));
    /// let error = Patch::from_json(br#"{"status":"LOCKED","lockedAt":null}"#).unwrap_err();
    /// assert_eq!(error.code, ErrorCode::ReadOnlyField);
    /// assert_eq!(Patch::from_json(b"{").unwrap_err().code, ErrorCode::InvalidValue);
    /// ```
    pub fn from_json(body: &[u8]) -> Result<Patch, PatchError> {
        PatchDocument::from_json(body).into_patch()
    }
}
