//! The keys of the map on flash: the policy record, and one record per account.

use sequential_storage::map::{Key, SerializationError};

/// Where a record lives in the map: a tag byte, then the account's own key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RecordKey<K> {
    /// The encoding of the policy the stored states were written under.
    Policy,
    /// One account's binary state.
    Account(K),
}

const POLICY_TAG: u8 = 0;
const ACCOUNT_TAG: u8 = 1;

impl<K: Key> Key for RecordKey<K> {
    fn serialize_into(&self, buffer: &mut [u8]) -> Result<usize, SerializationError> {
        let (tag, rest) = buffer
            .split_first_mut()
            .ok_or(SerializationError::BufferTooSmall)?;
        match self {
            RecordKey::Policy => {
                *tag = POLICY_TAG;
                Ok(1)
            }
            RecordKey::Account(key) => {
                *tag = ACCOUNT_TAG;
                let len = key.serialize_into(rest)?;
                len.checked_add(1).ok_or(SerializationError::BufferTooSmall)
            }
        }
    }

    fn deserialize_from(buffer: &[u8]) -> Result<(Self, usize), SerializationError> {
        match buffer.split_first() {
            Some((&POLICY_TAG, _)) => Ok((RecordKey::Policy, 1)),
            Some((&ACCOUNT_TAG, rest)) => {
                let (key, len) = K::deserialize_from(rest)?;
                let len = len
                    .checked_add(1)
                    .ok_or(SerializationError::InvalidFormat)?;
                Ok((RecordKey::Account(key), len))
            }
            Some(_) => Err(SerializationError::InvalidFormat),
            None => Err(SerializationError::BufferTooSmall),
        }
    }

    fn get_len(buffer: &[u8]) -> Result<usize, SerializationError> {
        match buffer.split_first() {
            Some((&POLICY_TAG, _)) => Ok(1),
            Some((&ACCOUNT_TAG, rest)) => K::get_len(rest)?
                .checked_add(1)
                .ok_or(SerializationError::InvalidFormat),
            Some(_) => Err(SerializationError::InvalidFormat),
            None => Err(SerializationError::BufferTooSmall),
        }
    }
}
