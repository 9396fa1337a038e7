//! The per-node guess of each account's stored bytes, so that an event can try its
//! compare-and-set without reading first.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::{Mutex, PoisonError};

/// Shards, so that tasks on different keys rarely wait for one another's lock.
const SHARDS: usize = 16;

/// The longest key the cache remembers, in bytes. A key is the prefix and a user name
/// the host passes on, which a spray can make long; a longer key is simply not
/// remembered (its events guess "absent"), so the cache holds at most its entries
/// times this plus an encoded account, whatever the names.
pub(crate) const MAX_KEY_LEN: usize = 512;

/// The latest bytes this node read or wrote at each key, for at most `capacity` keys.
///
/// Only a guess: another node may have written since. The store never decides from it
/// alone; a compare-and-set against it either wins (the guess was right) or returns the
/// true bytes. A key the cache does not hold is guessed absent, which is right for a
/// new account, and costs one failed compare-and-set otherwise: no more than the read it
/// replaces. When a shard is full, an arbitrary entry makes room: a spray of names keeps
/// the cache at its size.
#[derive(Debug)]
pub(crate) struct Cache {
    shards: Vec<Mutex<HashMap<String, Vec<u8>>>>,
    per_shard: usize,
    hasher: RandomState,
}

impl Cache {
    pub(crate) fn new(capacity: usize) -> Cache {
        let per_shard = capacity.div_ceil(SHARDS);
        Cache {
            shards: (0..if capacity == 0 { 0 } else { SHARDS })
                .map(|_| Mutex::new(HashMap::new()))
                .collect(),
            per_shard,
            hasher: RandomState::new(),
        }
    }

    fn shard(&self, key: &str) -> Option<&Mutex<HashMap<String, Vec<u8>>>> {
        let count = u64::try_from(self.shards.len()).ok()?;
        let index = self.hasher.hash_one(key).checked_rem(count)?;
        self.shards.get(usize::try_from(index).ok()?)
    }

    /// The guess for `key`: `None` is "absent" (or no cache).
    pub(crate) fn get(&self, key: &str) -> Option<Vec<u8>> {
        let shard = self.shard(key)?;
        // A task that panicked while holding the lock left a map that is still a valid
        // guess (every entry is a whole value), so the poison is ignored.
        let map = shard.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(key).cloned()
    }

    /// Records that `key` holds `bytes` (`None`: absent).
    pub(crate) fn put(&self, key: &str, bytes: Option<&[u8]>) {
        if key.len() > MAX_KEY_LEN {
            return;
        }
        let Some(shard) = self.shard(key) else {
            return;
        };
        let mut map = shard.lock().unwrap_or_else(PoisonError::into_inner);
        match bytes {
            None => {
                map.remove(key);
            }
            Some(bytes) => {
                if let Some(entry) = map.get_mut(key) {
                    entry.clear();
                    entry.extend_from_slice(bytes);
                    return;
                }
                if map.len() >= self.per_shard {
                    let victim = map.keys().next().cloned();
                    if let Some(victim) = victim {
                        map.remove(&victim);
                    }
                }
                map.insert(key.to_owned(), bytes.to_vec());
            }
        }
    }

    /// How many keys it holds.
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| shard.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::Cache;

    #[test]
    fn a_guess_is_the_latest_put_and_absent_removes_it() {
        let cache = Cache::new(64);
        assert_eq!(cache.get("a"), None);
        cache.put("a", Some(b"one"));
        cache.put("a", Some(b"two"));
        assert_eq!(cache.get("a"), Some(b"two".to_vec()));
        cache.put("a", None);
        assert_eq!(cache.get("a"), None);
    }

    #[test]
    fn a_spray_of_keys_keeps_the_cache_at_its_size() {
        let cache = Cache::new(160);
        for i in 0..10_000 {
            cache.put(&format!("user{i}"), Some(b"state"));
        }
        assert!(cache.len() <= 160, "{} keys held", cache.len());
        assert!(cache.len() >= 16, "{} keys held", cache.len());
    }

    #[test]
    fn a_key_longer_than_the_bound_is_not_remembered() {
        let cache = Cache::new(64);
        let long = "x".repeat(super::MAX_KEY_LEN + 1);
        cache.put(&long, Some(b"state"));
        assert_eq!(cache.get(&long), None);
        assert_eq!(cache.len(), 0);
        let longest = "x".repeat(super::MAX_KEY_LEN);
        cache.put(&longest, Some(b"state"));
        assert_eq!(cache.get(&longest), Some(b"state".to_vec()));
    }

    #[test]
    fn a_cache_of_size_zero_holds_nothing() {
        let cache = Cache::new(0);
        cache.put("a", Some(b"one"));
        assert_eq!(cache.get("a"), None);
        assert_eq!(cache.len(), 0);
    }
}
