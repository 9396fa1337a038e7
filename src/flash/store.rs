//! The store: read a state, apply one event, write the state back if its encoding changed.

use core::ops::Range;

use embedded_storage_async::nor_flash::NorFlash;
use sequential_storage::cache::{Cache, Uncached};
use sequential_storage::map::{Key, MapConfig, MapStorage};

use super::error::FlashError;
use super::key::RecordKey;
use crate::account::{Account, AttemptStart, AttemptToken, Verdict};
use crate::outcome::{Decision, Outcome};
use crate::policy::Policy;
use crate::time::Instant;

/// How many account keys [`FlashStore::recover_all`] and the migration at opening hold in
/// memory at once: each batch is one scan of the flash, in key order.
pub const RECOVERY_BATCH: usize = 16;

/// sequential-storage's largest flash word; its buffer needs that much room beyond the
/// item for the rounding up to whole words.
const MAX_WORD_SIZE: usize = 32;

type Map<F, K> = MapStorage<RecordKey<K>, F, Cache<Uncached, Uncached, Uncached, RecordKey<K>>>;

/// sequential-storage's work buffer, aligned for drivers that need aligned writes.
#[repr(C, align(32))]
struct Aligned<const N: usize>([u8; N]);

/// Account states on a NOR flash, each under its key `K`, with the policy they were
/// written under (the module documentation, [`crate::flash`], gives the guarantees).
///
/// `Account<RECORDS, MEMORY, ATTEMPTS>` is the account type (the defaults are
/// [`Account`]'s); `BUFFER` is the size of each of the store's two buffers, which must
/// hold the larger of the policy's and the account's encoding, the key, and a flash word
/// (512 bytes suffice for the default account type and keys up to 16 bytes).
///
/// Every call reads the state from flash and writes it back before it returns: the store
/// holds no state in memory, so a call cancelled or cut short by a power cut leaves the
/// previous state or the new one on flash. Calls that write return only once the write
/// is done.
pub struct FlashStore<
    F: NorFlash,
    K: Key + Ord,
    const RECORDS: usize = 0,
    const MEMORY: usize = 0,
    const ATTEMPTS: usize = 8,
    const BUFFER: usize = 512,
> {
    map: Map<F, K>,
    policy: Policy,
    /// sequential-storage's buffer: items are read into it and written from it.
    data: Aligned<BUFFER>,
    /// The encoding of the state to write.
    scratch: [u8; BUFFER],
}

impl<
    F: NorFlash,
    K: Key + Ord,
    const RECORDS: usize,
    const MEMORY: usize,
    const ATTEMPTS: usize,
    const BUFFER: usize,
> FlashStore<F, K, RECORDS, MEMORY, ATTEMPTS, BUFFER>
{
    /// Mounts the store on `range` of `flash` (whole pages, at least two) under `policy`.
    ///
    /// An empty range becomes an empty store. If the stored states were written under
    /// another policy, or none is recorded, every stored state is migrated to `policy`
    /// ([`Account::decode_migrating`]) and then `policy` is recorded; a migration cut
    /// short is done again at the next opening. Nothing is written when the policy is the
    /// recorded one.
    ///
    /// # Errors
    ///
    /// [`FlashError::Range`] for a range that is not whole pages, or pages too small;
    /// [`FlashError::BufferTooSmall`] for a `BUFFER` too small; a stored state that
    /// cannot be migrated is [`FlashError::Record`]; and the flash's own errors.
    pub async fn open(
        flash: F,
        range: Range<u32>,
        policy: Policy,
    ) -> Result<Self, FlashError<F::Error>> {
        let config = MapConfig::<F>::try_new(range).map_err(|_| FlashError::Range)?;
        let needed = Self::buffer_needed();
        if BUFFER < needed {
            return Err(FlashError::BufferTooSmall { needed });
        }
        let mut store = FlashStore {
            map: MapStorage::new(flash, config, Cache::new_uncached()),
            policy,
            data: Aligned([0; BUFFER]),
            scratch: [0; BUFFER],
        };
        store.mount().await?;
        Ok(store)
    }

    /// The bytes each buffer needs: the larger encoding, the key (its in-memory size
    /// bounds its serialisation for the keys sequential-storage provides), the record's
    /// tag, and a flash word of rounding.
    fn buffer_needed() -> usize {
        Policy::MAX_ENCODED_LEN
            .max(Account::<RECORDS, MEMORY, ATTEMPTS>::MAX_ENCODED_LEN)
            .saturating_add(core::mem::size_of::<K>())
            .saturating_add(1)
            .saturating_add(MAX_WORD_SIZE.max(F::WRITE_SIZE))
    }

    /// The policy the store applies.
    pub const fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Unmounts the store and gives the flash back (for a test's reboot, say).
    pub fn into_flash(self) -> F {
        self.map.destroy().0
    }

    /// The stored state of `key`, or `None` if none is stored. It writes nothing, and
    /// counts no attempt left in flight: that is [`FlashStore::recover_all`]'s job.
    ///
    /// # Errors
    ///
    /// A record that is not a sound state is [`FlashError::Record`]; and the flash's
    /// own errors.
    pub async fn account(
        &mut self,
        key: &K,
    ) -> Result<Option<Account<RECORDS, MEMORY, ATTEMPTS>>, FlashError<F::Error>> {
        let record = RecordKey::Account(key.clone());
        let stored = self
            .map
            .fetch_item::<&[u8]>(&mut self.data.0, &record)
            .await?;
        stored
            .map(|bytes| Account::decode(bytes, &self.policy))
            .transpose()
            .map_err(FlashError::Record)
    }

    /// Applies `change` to the state of `key` (a new account if none is stored) and
    /// writes the result if its encoding changed; returns what `change` returned.
    ///
    /// A rejected attempt that changes nothing but `last_seen` writes nothing, as the
    /// fleet store does: the stored `last_seen` stays the instant of the latest event
    /// that changed the state, and every later event applies at or after it. `now` is
    /// the instant `change` applies its event at.
    ///
    /// ```text
    /// store.update(&key, now, |account, policy| account.unlock(policy, now)).await?;
    /// ```
    ///
    /// # Errors
    ///
    /// A stored record that is not a sound state is [`FlashError::Record`], and then
    /// `change` is not called; a full store is [`FlashError::Full`]; and the flash's own
    /// errors. When the write fails, the state on flash is the one before `change`.
    pub async fn update<T>(
        &mut self,
        key: &K,
        now: Instant,
        change: impl FnOnce(&mut Account<RECORDS, MEMORY, ATTEMPTS>, &Policy) -> T,
    ) -> Result<T, FlashError<F::Error>> {
        let before = self.account(key).await?.unwrap_or_else(Account::new);
        let mut after = before;
        let result = change(&mut after, &self.policy);
        if !only_last_seen_changed(&before, &after, &self.policy, now) {
            self.write_if_changed(key, &before, &after).await?;
        }
        Ok(result)
    }

    /// Begins an attempt on `key` at `now` ([`Account::begin_attempt`]). The state with
    /// the attempt in flight is on flash when this returns its token, so check the
    /// credential only after it returns: a power cut during the check then costs the
    /// attempt a failure at the next boot ([`FlashStore::recover_all`]).
    ///
    /// # Errors
    ///
    /// As [`FlashStore::update`], and [`FlashError::Capacity`] for an account type too
    /// small for the policy. On any error there is no token: do not check the credential.
    pub async fn begin(
        &mut self,
        key: &K,
        now: Instant,
    ) -> Result<AttemptStart, FlashError<F::Error>> {
        self.update(key, now, |account, policy| {
            account.begin_attempt(policy, now)
        })
        .await?
        .map_err(FlashError::Capacity)
    }

    /// Finishes the attempt of `token` on `key` with the credential check's `verdict`
    /// at `now` ([`Account::finish_attempt`]), and writes the result.
    ///
    /// # Errors
    ///
    /// As [`FlashStore::update`], and [`FlashError::Attempt`] for a token that names no
    /// attempt in flight (then nothing is written). If the write fails, the attempt is
    /// still in flight on flash, and the next boot counts it as a failure.
    pub async fn finish(
        &mut self,
        key: &K,
        now: Instant,
        token: AttemptToken,
        verdict: Verdict,
    ) -> Result<Outcome, FlashError<F::Error>> {
        self.update(key, now, |account, policy| {
            account.finish_attempt(policy, now, token, verdict)
        })
        .await?
        .map_err(FlashError::Attempt)
    }

    /// At boot: every stored account with attempts in flight lost their verdicts, so
    /// [`Account::recover`] counts them as failures at `now` (those past their timeout,
    /// at their timeouts), and the result is written. Returns how many accounts it
    /// recovered. Accounts with nothing in flight are not written.
    ///
    /// Call it once after [`FlashStore::open`], before any attempt; calling it again
    /// finds nothing in flight. It scans the flash once per [`RECOVERY_BATCH`] accounts.
    ///
    /// # Errors
    ///
    /// As [`FlashStore::update`]. A call cut short by a power cut leaves the accounts
    /// not yet written in flight, and the next call recovers them. A record that is not
    /// a sound state is [`FlashError::Record`], returned after every other account was
    /// recovered; that account stays unusable (each call on it is that error, so no
    /// attempt is let through on it).
    pub async fn recover_all(&mut self, now: Instant) -> Result<usize, FlashError<F::Error>> {
        let mut recovered: usize = 0;
        let mut unsound = None;
        let mut after: Option<K> = None;
        loop {
            let batch = self.keys_after(after.as_ref()).await?;
            for key in &batch {
                let counted = self
                    .update(key, now, |account, policy| {
                        (account.attempts_in_flight() > 0)
                            .then(|| account.recover(policy, now))
                            .transpose()
                    })
                    .await;
                match counted {
                    Ok(Ok(Some(_))) => recovered = recovered.saturating_add(1),
                    Ok(Ok(None)) => {}
                    Ok(Err(error)) => return Err(FlashError::Capacity(error)),
                    // One unsound record does not keep the others from being recovered.
                    Err(FlashError::Record(error)) => {
                        unsound.get_or_insert(FlashError::Record(error));
                    }
                    Err(error) => return Err(error),
                }
            }
            if !batch.is_full() {
                return unsound.map_or(Ok(recovered), Err);
            }
            after = batch.last().cloned();
        }
    }

    /// Mounting: migrates the stored states and records the policy unless the recorded
    /// policy is this one.
    async fn mount(&mut self) -> Result<(), FlashError<F::Error>> {
        let len =
            self.policy
                .encode(&mut self.scratch)
                .map_err(|error| FlashError::BufferTooSmall {
                    needed: error.needed,
                })?;
        let recorded = self
            .map
            .fetch_item::<&[u8]>(&mut self.data.0, &RecordKey::Policy)
            .await?;
        if recorded.is_some() && recorded == self.scratch.get(..len) {
            return Ok(());
        }
        let mut after: Option<K> = None;
        loop {
            let batch = self.keys_after(after.as_ref()).await?;
            for key in &batch {
                self.migrate(key).await?;
            }
            if !batch.is_full() {
                break;
            }
            after = batch.last().cloned();
        }
        // Only now: a cut before this line leaves the old record, and the next opening
        // migrates again (a migrated state migrates to itself).
        let len =
            self.policy
                .encode(&mut self.scratch)
                .map_err(|error| FlashError::BufferTooSmall {
                    needed: error.needed,
                })?;
        let policy = self.scratch.get(..len).unwrap_or(&[]);
        self.map
            .store_item(&mut self.data.0, &RecordKey::Policy, &policy)
            .await?;
        Ok(())
    }

    /// Rewrites the state of `key` as the store's policy keeps it, if that changes its
    /// bytes.
    async fn migrate(&mut self, key: &K) -> Result<(), FlashError<F::Error>> {
        let record = RecordKey::Account(key.clone());
        let stored = self
            .map
            .fetch_item::<&[u8]>(&mut self.data.0, &record)
            .await?;
        let Some(bytes) = stored else {
            return Ok(());
        };
        let migrated = Account::<RECORDS, MEMORY, ATTEMPTS>::decode_migrating(bytes, &self.policy)
            .map_err(FlashError::Record)?;
        let len =
            migrated
                .encode(&mut self.scratch)
                .map_err(|error| FlashError::BufferTooSmall {
                    needed: error.needed,
                })?;
        if Some(bytes) == self.scratch.get(..len) {
            return Ok(());
        }
        let new = self.scratch.get(..len).unwrap_or(&[]);
        self.map.store_item(&mut self.data.0, &record, &new).await?;
        Ok(())
    }

    /// Writes `after` under `key` unless its encoding is `before`'s.
    async fn write_if_changed(
        &mut self,
        key: &K,
        before: &Account<RECORDS, MEMORY, ATTEMPTS>,
        after: &Account<RECORDS, MEMORY, ATTEMPTS>,
    ) -> Result<(), FlashError<F::Error>> {
        let old_len =
            before
                .encode(&mut self.data.0)
                .map_err(|error| FlashError::BufferTooSmall {
                    needed: error.needed,
                })?;
        let len = self.encode(after)?;
        if self.data.0.get(..old_len) == self.scratch.get(..len) {
            return Ok(());
        }
        let new = self.scratch.get(..len).unwrap_or(&[]);
        let record = RecordKey::Account(key.clone());
        self.map.store_item(&mut self.data.0, &record, &new).await?;
        Ok(())
    }

    /// Encodes `account` into the scratch buffer; returns its length.
    fn encode(
        &mut self,
        account: &Account<RECORDS, MEMORY, ATTEMPTS>,
    ) -> Result<usize, FlashError<F::Error>> {
        account
            .encode(&mut self.scratch)
            .map_err(|error| FlashError::BufferTooSmall {
                needed: error.needed,
            })
    }

    /// The smallest [`RECOVERY_BATCH`] account keys stored after `after` (all of them if
    /// `None`), in order: one scan of every item on flash, older copies of a key included.
    async fn keys_after(
        &mut self,
        after: Option<&K>,
    ) -> Result<heapless::Vec<K, RECOVERY_BATCH>, FlashError<F::Error>> {
        let mut batch = heapless::Vec::<K, RECOVERY_BATCH>::new();
        let mut items = self.map.fetch_all_items(&mut self.data.0).await?;
        while let Some((record, _)) = items.next::<&[u8]>(&mut self.scratch).await? {
            let RecordKey::Account(key) = record else {
                continue;
            };
            if after.is_some_and(|after| key <= *after) {
                continue;
            }
            let Err(at) = batch.binary_search(&key) else {
                continue; // already in the batch
            };
            if batch.is_full() {
                if at >= batch.len() {
                    continue; // after every key of a full batch: a later batch's
                }
                batch.pop();
            }
            // Room was made above.
            let _ = batch.insert(at, key);
        }
        Ok(batch)
    }
}

/// Whether `after`, the state an event at `at` left, differs from `before` only where any
/// rejected attempt at `at` would: in `last_seen`. Told by the library itself: a success
/// at `at` on `before`, if rejected too, changes exactly that.
fn only_last_seen_changed<const RECORDS: usize, const MEMORY: usize, const ATTEMPTS: usize>(
    before: &Account<RECORDS, MEMORY, ATTEMPTS>,
    after: &Account<RECORDS, MEMORY, ATTEMPTS>,
    policy: &Policy,
    at: Instant,
) -> bool {
    let mut probe = *before;
    let outcome = probe.success(policy, at);
    matches!(outcome.decision(), Some(Decision::Rejected(_))) && probe == *after
}
