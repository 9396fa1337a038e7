//! Administrator patches of the account fields ([behaviour §4](crate::behaviour#s4)), and their JSON form.
//!
//! A JSON body is read in two steps, so that the error of [behaviour §4](crate::behaviour#s4) is typed and its order
//! is exact without allocation: [`PatchDocument`] deserialises from *any* JSON value and
//! remembers what it saw; [`PatchDocument::into_patch`] runs checks 1–5 in order. The
//! account runs checks 6 and 7, which depend on its state and `now`
//! ([`crate::Account::patch`]).
//!
//! ```
//! use account_lockout::{ErrorCode, PatchDocument};
//!
//! let document: PatchDocument = serde_json::from_str(r#"{"lockedAt":"x","color":"red"}"#).unwrap();
//! let error = document.into_patch().unwrap_err();
//! assert_eq!(error.code, ErrorCode::ReadOnlyField);
//! assert_eq!(error.to_string(), "lockedAt is read-only");
//! ```

use core::fmt;
use core::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::date::parse_rfc3339_bytes;
use crate::json_key::{KeyName, deserialize_key};
use crate::operation::ErrorCode;
use crate::time::Instant;
use crate::view::Status;

mod json;

/// What a patch does to `unlockAt`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum UnlockAtPatch {
    /// `"unlockAt": null`: a lock only an administrator ends (on a locked account).
    Clear,
    /// `"unlockAt": "<date>"`: lock until then.
    At(Instant),
}

/// A validated patch over the seed's mutable fields (checks 1–5 of [behaviour §4](crate::behaviour#s4) passed).
///
/// ```
/// use account_lockout::{Patch, Status, ErrorCode};
/// let patch = Patch::new(Some(true), Some(Status::Locked), None);
/// assert_eq!(patch.unwrap_err().code, ErrorCode::ConflictingFields);
/// assert!(Patch::new(Some(false), Some(Status::Ok), None).is_ok());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Patch {
    /// `canAuthenticate`: `false` disables the user, `true` enables and unlocks.
    pub can_authenticate: Option<bool>,
    /// `status`: `LOCKED` locks an `OK` account (admin-only unless `unlockAt` is given),
    /// `OK` unlocks.
    pub status: Option<Status>,
    /// `unlockAt`: a date locks until then; `null` makes a lock admin-only.
    pub unlock_at: Option<UnlockAtPatch>,
}

impl Patch {
    /// Checks 6 and 7 of [behaviour §4](crate::behaviour#s4), which depend on the account
    /// and `now`: a date `unlockAt` without `status` needs a locked account (its status
    /// read only then), and a date in the future.
    pub(crate) fn check_deadline(
        &self,
        status: impl FnOnce() -> Status,
        now: Instant,
    ) -> Result<(), PatchError> {
        if let Some(UnlockAtPatch::At(until)) = self.unlock_at {
            if self.status.is_none() && status() == Status::Ok {
                return Err(PatchError::unlock_at_requires_locked());
            }
            if until <= now {
                return Err(PatchError::unlock_at_not_in_future());
            }
        }
        Ok(())
    }

    /// A patch of the given fields, refused when they conflict (check 5 of [behaviour §4](crate::behaviour#s4)).
    pub const fn new(
        can_authenticate: Option<bool>,
        status: Option<Status>,
        unlock_at: Option<UnlockAtPatch>,
    ) -> Result<Patch, PatchError> {
        let dated = matches!(unlock_at, Some(UnlockAtPatch::At(_)));
        let conflict = match (can_authenticate, status) {
            (Some(true), Some(Status::Locked)) => Some((Field::CanAuthenticate, Field::Status)),
            (Some(true), _) if dated => Some((Field::CanAuthenticate, Field::UnlockAt)),
            (_, Some(Status::Ok)) if dated => Some((Field::Status, Field::UnlockAt)),
            _ => None,
        };
        if let Some((field, other)) = conflict {
            return Err(PatchError {
                code: ErrorCode::ConflictingFields,
                field,
                other: Some(other),
            });
        }
        Ok(Patch {
            can_authenticate,
            status,
            unlock_at,
        })
    }
}

/// The longest unknown field name an error keeps (longer ones are cut, marked `…`).
const FIELD_NAME_CAPACITY: usize = 32;

/// A field name from the input that the account model does not have, kept on the stack.
///
/// Its bytes are kept by hand rather than in a `heapless::String`, which is not `Copy`:
/// the errors that carry a name ([`PatchError`], [`crate::OperationError`]) are `Copy`,
/// as small error types are.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FieldName {
    bytes: [u8; FIELD_NAME_CAPACITY],
    len: u8,
    truncated: bool,
}

impl FieldName {
    fn new(name: &str) -> FieldName {
        let mut cut = name.len().min(FIELD_NAME_CAPACITY);
        while !name.is_char_boundary(cut) {
            cut = cut.saturating_sub(1);
        }
        let kept = name.as_bytes().get(..cut).unwrap_or(&[]);
        let mut bytes = [0; FIELD_NAME_CAPACITY];
        if let Some(target) = bytes.get_mut(..kept.len()) {
            target.copy_from_slice(kept);
        }
        FieldName {
            bytes,
            len: u8::try_from(kept.len()).unwrap_or(0),
            truncated: cut < name.len(),
        }
    }

    /// The name (cut at 32 bytes).
    #[must_use]
    pub fn as_str(&self) -> &str {
        let bytes = self.bytes.get(..usize::from(self.len)).unwrap_or(&[]);
        core::str::from_utf8(bytes).unwrap_or("")
    }
}

impl fmt::Debug for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())?;
        if self.truncated {
            f.write_str("…")?;
        }
        Ok(())
    }
}

/// The part of a patch an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Field {
    /// The body as a whole.
    Body,
    /// `canAuthenticate`.
    CanAuthenticate,
    /// `status`.
    Status,
    /// `unlockAt`.
    UnlockAt,
    /// `lockedAt` (read-only).
    LockedAt,
    /// `secondsUntilUnlock` (read-only).
    SecondsUntilUnlock,
    /// A key the model does not have.
    Unknown(FieldName),
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Body => f.write_str("the body"),
            Field::CanAuthenticate => f.write_str("canAuthenticate"),
            Field::Status => f.write_str("status"),
            Field::UnlockAt => f.write_str("unlockAt"),
            Field::LockedAt => f.write_str("lockedAt"),
            Field::SecondsUntilUnlock => f.write_str("secondsUntilUnlock"),
            Field::Unknown(name) => write!(f, "{name}"),
        }
    }
}

/// A refused patch: the [behaviour §4](crate::behaviour#s4) code and the field it is about. Nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PatchError {
    /// The code.
    pub code: ErrorCode,
    /// The field.
    pub field: Field,
    /// The other field of a conflict.
    pub other: Option<Field>,
}

impl PatchError {
    const fn about(code: ErrorCode, field: Field) -> PatchError {
        PatchError {
            code,
            field,
            other: None,
        }
    }

    pub(crate) const fn unlock_at_requires_locked() -> PatchError {
        PatchError::about(ErrorCode::UnlockAtRequiresLocked, Field::UnlockAt)
    }

    pub(crate) const fn unlock_at_not_in_future() -> PatchError {
        PatchError::about(ErrorCode::UnlockAtNotInFuture, Field::UnlockAt)
    }
}

impl fmt::Display for PatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.code, self.field) {
            (ErrorCode::InvalidValue, Field::Body) => {
                f.write_str("the patch must be a JSON object")
            }
            (ErrorCode::InvalidValue, Field::CanAuthenticate) => {
                f.write_str("canAuthenticate must be true or false, given once")
            }
            (ErrorCode::InvalidValue, Field::Status) => {
                f.write_str("status must be \"LOCKED\" or \"OK\", given once")
            }
            (ErrorCode::InvalidValue, Field::UnlockAt) => {
                f.write_str("unlockAt must be an RFC 3339 date-time or null, given once")
            }
            (ErrorCode::ReadOnlyField, field) => write!(f, "{field} is read-only"),
            (ErrorCode::UnknownField, field) => write!(
                f,
                "unknown field `{field}`; the mutable fields are canAuthenticate, status and unlockAt"
            ),
            (ErrorCode::ConflictingFields, field) => match self.other {
                Some(other) => write!(f, "{field} conflicts with {other}"),
                None => write!(f, "{field} conflicts with another field"),
            },
            (ErrorCode::UnlockAtRequiresLocked, _) => f.write_str(
                "unlockAt needs a LOCKED account: the account is OK; add \"status\":\"LOCKED\"",
            ),
            (ErrorCode::UnlockAtNotInFuture, _) => f.write_str("unlockAt must be later than now"),
            (ErrorCode::InvalidValue, field) => write!(f, "{field} has an invalid value"),
            (ErrorCode::AccountTooSmall, _) => {
                f.write_str("the account type is too small for the policy")
            }
            (ErrorCode::UnknownAttempt, _) => f.write_str("the token names no attempt in flight"),
        }
    }
}

impl core::error::Error for PatchError {}

/// One mutable field's value as seen in the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
enum Slot<T> {
    Absent,
    Valid(T),
    /// A wrong type, a bad date or status, or the key given twice.
    Invalid,
}

impl<T> Slot<T> {
    fn fill(&mut self, value: Option<T>) {
        *self = match (&*self, value) {
            (Slot::Absent, Some(value)) => Slot::Valid(value),
            _ => Slot::Invalid,
        };
    }

    fn into_option(self, field: Field) -> Result<Option<T>, PatchError> {
        match self {
            Slot::Absent => Ok(None),
            Slot::Valid(value) => Ok(Some(value)),
            Slot::Invalid => Err(PatchError::about(ErrorCode::InvalidValue, field)),
        }
    }
}

/// A patch body as read from JSON, before the checks of [behaviour §4](crate::behaviour#s4).
///
/// It deserialises from any JSON value (it needs a self-describing format such as JSON),
/// so that a body that is not an object, or has bad fields, still yields a typed
/// [`PatchError`] from [`PatchDocument::into_patch`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PatchDocument {
    object: bool,
    first_read_only: Option<Field>,
    first_unknown: Option<FieldName>,
    can_authenticate: Slot<bool>,
    status: Slot<Status>,
    unlock_at: Slot<UnlockAtPatch>,
}

impl PatchDocument {
    /// Runs checks 1–5 of [behaviour §4](crate::behaviour#s4), in order, and returns the patch or the first error.
    pub fn into_patch(self) -> Result<Patch, PatchError> {
        if !self.object {
            return Err(PatchError::about(ErrorCode::InvalidValue, Field::Body));
        }
        if let Some(field) = self.first_read_only {
            return Err(PatchError::about(ErrorCode::ReadOnlyField, field));
        }
        if let Some(name) = self.first_unknown {
            return Err(PatchError::about(
                ErrorCode::UnknownField,
                Field::Unknown(name),
            ));
        }
        let can_authenticate = self.can_authenticate.into_option(Field::CanAuthenticate)?;
        let status = self.status.into_option(Field::Status)?;
        let unlock_at = self.unlock_at.into_option(Field::UnlockAt)?;
        Patch::new(can_authenticate, status, unlock_at)
    }
}

/// How a mutable field reads a scalar; anything it does not accept is `None`.
trait Interpret: Sized {
    fn from_bool(_value: bool) -> Option<Self> {
        None
    }
    /// A string, as its decoded UTF-8 bytes: the scanner decodes JSON escapes as it
    /// goes, so a string of any length is read whole without a buffer.
    fn from_text<I: Iterator<Item = u8> + Clone>(_value: I) -> Option<Self> {
        None
    }
    fn from_null() -> Option<Self> {
        None
    }
}

impl Interpret for bool {
    fn from_bool(value: bool) -> Option<bool> {
        Some(value)
    }
}

impl Interpret for Status {
    fn from_text<I: Iterator<Item = u8> + Clone>(value: I) -> Option<Status> {
        if value.clone().eq(*b"LOCKED") {
            Some(Status::Locked)
        } else if value.eq(*b"OK") {
            Some(Status::Ok)
        } else {
            None
        }
    }
}

impl Interpret for UnlockAtPatch {
    fn from_text<I: Iterator<Item = u8> + Clone>(value: I) -> Option<UnlockAtPatch> {
        parse_rfc3339_bytes(value).ok().map(UnlockAtPatch::At)
    }
    fn from_null() -> Option<UnlockAtPatch> {
        Some(UnlockAtPatch::Clear)
    }
}

/// `visit_*` methods of a visitor that answer `$answer` to each JSON type named: the
/// patch body reads most types as "not what this field takes", and says so once.
macro_rules! answer_every {
    ($value:ty => $answer:expr; $($method:ident $(($arg:ty))?),* $(,)?) => {
        $(fn $method<E: de::Error>(self $(, _: $arg)?) -> Result<$value, E> {
            Ok($answer)
        })*
    };
}

/// A value of any JSON type, read as `T` where it can be.
struct Loose<T>(Option<T>);

struct LooseVisitor<T>(PhantomData<T>);

impl<'de, T: Interpret> Visitor<'de> for LooseVisitor<T> {
    type Value = Loose<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Loose<T>, E> {
        Ok(Loose(T::from_bool(value)))
    }
    answer_every!(Loose<T> => Loose(None);
        visit_i64(i64), visit_u64(u64), visit_i128(i128), visit_u128(u128), visit_f64(f64),
        visit_bytes(&[u8]));
    fn visit_str<E: de::Error>(self, value: &str) -> Result<Loose<T>, E> {
        Ok(Loose(T::from_text(value.bytes())))
    }
    fn visit_none<E: de::Error>(self) -> Result<Loose<T>, E> {
        Ok(Loose(T::from_null()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Loose<T>, E> {
        Ok(Loose(T::from_null()))
    }
    fn visit_some<D: Deserializer<'de>>(self, inner: D) -> Result<Loose<T>, D::Error> {
        inner.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Loose<T>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Loose(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Loose<T>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Loose(None))
    }
}

impl<'de, T: Interpret> Deserialize<'de> for Loose<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Loose<T>, D::Error> {
        deserializer.deserialize_any(LooseVisitor(PhantomData))
    }
}

/// A key of the body.
enum Key {
    CanAuthenticate,
    Status,
    UnlockAt,
    ReadOnly(Field),
    Unknown(FieldName),
}

impl Key {
    fn of(name: &str) -> Key {
        match name {
            "canAuthenticate" => Key::CanAuthenticate,
            "status" => Key::Status,
            "unlockAt" => Key::UnlockAt,
            "lockedAt" => Key::ReadOnly(Field::LockedAt),
            "secondsUntilUnlock" => Key::ReadOnly(Field::SecondsUntilUnlock),
            other => Key::Unknown(FieldName::new(other)),
        }
    }
}

impl KeyName for Key {
    const EXPECTING: &'static str = "a field name";

    fn of_name<E: de::Error>(name: &str) -> Result<Key, E> {
        Ok(Key::of(name))
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key, D::Error> {
        deserialize_key(deserializer)
    }
}

struct DocumentVisitor;

impl PatchDocument {
    const NOT_AN_OBJECT: PatchDocument = PatchDocument {
        object: false,
        first_read_only: None,
        first_unknown: None,
        can_authenticate: Slot::Absent,
        status: Slot::Absent,
        unlock_at: Slot::Absent,
    };
}

impl<'de> Visitor<'de> for DocumentVisitor {
    type Value = PatchDocument;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    answer_every!(PatchDocument => PatchDocument::NOT_AN_OBJECT;
        visit_bool(bool), visit_i64(i64), visit_u64(u64), visit_i128(i128), visit_u128(u128),
        visit_f64(f64), visit_str(&str), visit_bytes(&[u8]), visit_none, visit_unit);
    fn visit_some<D: Deserializer<'de>>(self, inner: D) -> Result<PatchDocument, D::Error> {
        inner.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PatchDocument, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(PatchDocument::NOT_AN_OBJECT)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PatchDocument, A::Error> {
        let mut document = PatchDocument {
            object: true,
            ..PatchDocument::NOT_AN_OBJECT
        };
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::CanAuthenticate => {
                    let Loose(value) = map.next_value::<Loose<bool>>()?;
                    document.can_authenticate.fill(value);
                }
                Key::Status => {
                    let Loose(value) = map.next_value::<Loose<Status>>()?;
                    document.status.fill(value);
                }
                Key::UnlockAt => {
                    let Loose(value) = map.next_value::<Loose<UnlockAtPatch>>()?;
                    document.unlock_at.fill(value);
                }
                Key::ReadOnly(field) => {
                    map.next_value::<IgnoredAny>()?;
                    document.first_read_only.get_or_insert(field);
                }
                Key::Unknown(name) => {
                    map.next_value::<IgnoredAny>()?;
                    document.first_unknown.get_or_insert(name);
                }
            }
        }
        Ok(document)
    }
}

impl<'de> Deserialize<'de> for PatchDocument {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<PatchDocument, D::Error> {
        deserializer.deserialize_any(DocumentVisitor)
    }
}

impl<'de> Deserialize<'de> for Patch {
    /// Reads and validates a patch body in one step; the error message carries the
    /// [behaviour §4](crate::behaviour#s4) code (use [`PatchDocument`] to get the typed [`PatchError`]).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Patch, D::Error> {
        PatchDocument::deserialize(deserializer)?
            .into_patch()
            .map_err(|error| de::Error::custom(format_args!("{}: {error}", error.code)))
    }
}
