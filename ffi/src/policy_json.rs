//! The policy's JSON form read with serde-json-core, keeping the library's error
//! messages ("invalid policy: failureCount must be at least 1", "unknown dialect or
//! modifier `okta`; ...") without allocation.
//!
//! serde-json-core's error type keeps no message (its `custom-error-messages` feature
//! formats into 64 bytes with an `unwrap`, which would panic on the library's longer
//! messages). So the policy object is read through a thin adapter whose error type,
//! [`Captured`], formats the message into a fixed [`Message`], used twice: around the
//! top-level map (where the library reports invalid parameters, a missing or second
//! dialect and a repeated modifier), and around its keys (where it reports an unknown
//! key). Where an
//! error has to cross back into serde-json-core, the message waits in a `Cell` owned by
//! the call, and is taken back out where the error returns. Values (a dialect's fields)
//! are read by serde-json-core directly, with its own messages.

use core::cell::Cell;
use core::fmt;

use account_lockout::Policy;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, forward_to_deserialize_any};

use crate::message::{MESSAGE_CAPACITY, Message};

/// Where a message waits while its error crosses serde-json-core.
type Slot = Cell<Option<Message>>;

/// A serde error that keeps its message (cut to [`MESSAGE_CAPACITY`] bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Captured(Message);

impl fmt::Display for Captured {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl core::error::Error for Captured {}

impl de::Error for Captured {
    fn custom<T: fmt::Display>(message: T) -> Captured {
        Captured(Message::of(&message, MESSAGE_CAPACITY))
    }
}

/// Our error on its way into serde-json-core: the message waits in `slot`.
fn stash<E: de::Error>(slot: &Slot, error: Captured) -> E {
    slot.set(Some(error.0));
    E::custom("see the captured message")
}

/// An error back from serde-json-core: the waiting message if there is one, else the
/// parser's own.
fn take<E: fmt::Display>(slot: &Slot, error: E) -> Captured {
    match slot.take() {
        Some(message) => Captured(message),
        None => <Captured as de::Error>::custom(error),
    }
}

/// Reads a policy from JSON text, with the library's message on error.
pub(crate) fn parse(text: &[u8]) -> Result<Policy, Captured> {
    let slot = Slot::new(None);
    let mut json = serde_json_core::de::Deserializer::new(text, None);
    let policy = Policy::deserialize(Adapter {
        deserializer: &mut json,
        slot: &slot,
        part: Part::Map,
    })?;
    json.end().map_err(|error| take(&slot, error))?;
    Ok(policy)
}

/// Which part of the policy an [`Adapter`] reads.
#[derive(Clone, Copy)]
enum Part {
    /// The top-level map: the policy.
    Map,
    /// One of the map's keys, read as an identifier.
    Key,
}

/// A deserializer whose errors keep their messages, around serde-json-core's for the
/// policy's map or around a key's.
struct Adapter<'c, D> {
    deserializer: D,
    slot: &'c Slot,
    part: Part,
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Adapter<'_, D> {
    type Error = Captured;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Captured> {
        let Adapter {
            deserializer,
            slot,
            part,
        } = self;
        let visitor = Keeper { visitor, slot };
        match part {
            Part::Map => deserializer.deserialize_map(visitor),
            Part::Key => deserializer.deserialize_identifier(visitor),
        }
        .map_err(|error| take(slot, error))
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map struct
        enum identifier ignored_any
    }
}

/// Hands the library's visitor the policy's map or a key's text; its errors keep their
/// messages.
struct Keeper<'c, V> {
    visitor: V,
    slot: &'c Slot,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Keeper<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        let slot = self.slot;
        self.visitor
            .visit_map(Map { map, slot })
            .map_err(|error| stash(slot, error))
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<V::Value, E> {
        self.visitor
            .visit_str::<Captured>(key)
            .map_err(|error| stash(self.slot, error))
    }

    fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<V::Value, E> {
        self.visitor
            .visit_borrowed_str::<Captured>(key)
            .map_err(|error| stash(self.slot, error))
    }
}

/// The policy's map: keys through [`KeySeed`], values straight to serde-json-core.
struct Map<'c, A> {
    map: A,
    slot: &'c Slot,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Map<'_, A> {
    type Error = Captured;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Captured> {
        let slot = self.slot;
        self.map
            .next_key_seed(KeySeed { seed, slot })
            .map_err(|error| take(slot, error))
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Captured> {
        let slot = self.slot;
        self.map
            .next_value_seed(seed)
            .map_err(|error| take(slot, error))
    }
}

/// A key of the policy's map, read as an identifier.
struct KeySeed<'c, K> {
    seed: K,
    slot: &'c Slot,
}

impl<'de, K: DeserializeSeed<'de>> DeserializeSeed<'de> for KeySeed<'_, K> {
    type Value = K::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<K::Value, D::Error> {
        let slot = self.slot;
        self.seed
            .deserialize(Adapter {
                deserializer,
                slot,
                part: Part::Key,
            })
            .map_err(|error| stash(slot, error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> std::string::String {
        std::format!("{}", parse(text.as_bytes()).unwrap_err())
    }

    #[test]
    fn the_library_messages_survive_the_parser() {
        assert_eq!(
            message(r#"{"pingone":{"failureCount":0}}"#),
            "invalid policy: failureCount must be at least 1"
        );
        assert_eq!(
            message(r#"{"pamFaillock":{"deny":17}}"#),
            "invalid policy: deny must be at most 16 (got 17)"
        );
        assert!(message(r#"{"okta":{}}"#).starts_with("unknown dialect or modifier `okta`;"));
        assert_eq!(
            message(r#"{"pingone":{"failureCount":1},"tpm":{}}"#),
            "policy has two dialects, `pingone` and `tpm`; give exactly one"
        );
        assert!(message(r#"{"repeatedCredentialMemory":2}"#).starts_with("policy has no dialect"));
        assert_eq!(
            message(r#"{"pingone":{"failureCount":1},"repeatedCredentialMemory":9}"#),
            "invalid policy: repeatedCredentialMemory must be at most 8 (got 9)"
        );
        // Errors inside a dialect's object are serde-json-core's own.
        assert_eq!(
            message(r#"{"pingone":{"failureCount":"3"}}"#),
            "Invalid type"
        );
        assert_eq!(
            message(r#"{"pingone":{"failureCount":1}} x"#),
            "JSON has non-whitespace trailing characters after the value."
        );
    }

    #[test]
    fn a_valid_policy_reads_as_with_serde_json_core_alone() {
        let text = br#"{"keycloak":{"failureFactor":5},"maxConsecutiveFailures":100}"#;
        let (expected, _) = serde_json_core::from_slice::<Policy>(text).unwrap();
        assert_eq!(parse(text).unwrap(), expected);
        assert_eq!(expected.rules().threshold, 5);
    }
}
