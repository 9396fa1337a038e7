//! The keys of the JSON forms (a policy, a patch body), read by name into the enum that
//! names them, without allocating.

use core::fmt;
use core::marker::PhantomData;

use serde::de::{self, Deserializer, Visitor};

/// A key of a JSON object, known by its name.
pub(crate) trait KeyName: Sized {
    /// What a key of this object is, for serde's "expected …" messages.
    const EXPECTING: &'static str;

    /// The key of `name`, or the error for a name the object cannot have.
    fn of_name<E: de::Error>(name: &str) -> Result<Self, E>;
}

/// Reads a key of type `K` from an object's identifier.
pub(crate) fn deserialize_key<'de, K: KeyName, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<K, D::Error> {
    deserializer.deserialize_identifier(KeyVisitor(PhantomData))
}

struct KeyVisitor<K>(PhantomData<K>);

impl<K: KeyName> Visitor<'_> for KeyVisitor<K> {
    type Value = K;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(K::EXPECTING)
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<K, E> {
        K::of_name(name)
    }
}
