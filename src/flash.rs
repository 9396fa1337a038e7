//! Account states on NOR flash that survive any power cut (feature `flash`; `no_std`, no
//! allocation).
//!
//! [`FlashStore`] keeps each account's binary state ([`Account::encode`](crate::Account::encode))
//! under its key in a [`sequential-storage`](https://docs.rs/sequential-storage) map, over
//! any [`embedded-storage-async`](https://docs.rs/embedded-storage-async) `NorFlash`: a
//! power-fail-safe, wear-levelled key-value store whose items are CRC-protected, so a write
//! cut short leaves the previous state of the key, never a torn one.
//!
//! - **The policy record.** The store keeps the policy's own encoding
//!   ([`Policy::encode`](crate::Policy::encode)) beside the accounts. Opening the store
//!   with another policy migrates every stored state to it
//!   ([`Account::decode_migrating`](crate::Account::decode_migrating)) before the new
//!   policy record is written, so a power cut during the migration leaves the old record
//!   and the next boot migrates again: a changed policy never loses a state.
//! - **The attempt protocol across reboots** ([behaviour §7.1](crate::behaviour#s7-1)).
//!   [`FlashStore::begin`] returns the token only once the state with the attempt in
//!   flight is on flash, so it is there before the credential is checked: pulling the
//!   power during the check cannot give a free guess. At boot, [`FlashStore::recover_all`]
//!   counts every attempt still in flight ([`Account::recover`](crate::Account::recover))
//!   and writes the result.
//! - **Cancelled futures.** sequential-storage warns that a dropped future can leave a
//!   write half done; its next operation repairs the store, and the key holds the state
//!   before the write or after it. A dropped `begin` returns no token, and if its attempt
//!   did reach flash, the attempt counts as a failure at its timeout or at the next boot:
//!   never a free guess.
//! - **Wear.** A state is written only when its encoding changed, and an attempt rejected
//!   by a lock, which changes nothing but `last_seen`, writes nothing: an attack on a
//!   locked account spends no erase cycles (the README's "Flash persistence" and
//!   BENCHMARKS.md's "Flash wear" give the figures).
//! - **Errors** are a typed [`FlashError`], never a panic.
//!
//! ```
//! # embassy_futures::block_on(async {
//! use account_lockout::dialect::PingOne;
//! use account_lockout::flash::FlashStore;
//! use account_lockout::{Instant, Verdict};
//! # let flash = doc_flash::RamFlash::new();
//! # let range = 0..doc_flash::RamFlash::CAPACITY;
//!
//! let policy = PingOne { failure_count: 3, duration_seconds: Some(60) }.policy().unwrap();
//! // The flash (any `NorFlash`) and the page-aligned range the store owns.
//! let mut store: FlashStore<_, u16> = FlashStore::open(flash, range, policy).await.unwrap();
//! let now = Instant::from_secs(1_000);
//! store.recover_all(now).await.unwrap(); // at boot
//!
//! let start = store.begin(&7, now).await.unwrap(); // on flash before the check
//! let token = start.token.unwrap();
//! store.finish(&7, now, token, Verdict::Failure { credential: None }).await.unwrap();
//! assert_eq!(store.account(&7).await.unwrap().unwrap().failure_count(&policy, now), 1);
//! # });
//! # mod doc_flash {
//! #     use embedded_storage_async::nor_flash::{ErrorType, NorFlash, NorFlashErrorKind, ReadNorFlash};
//! #     pub struct RamFlash(pub [u8; 4096]);
//! #     impl RamFlash {
//! #         pub const CAPACITY: u32 = 4096;
//! #         pub fn new() -> Self { RamFlash([0xff; 4096]) }
//! #     }
//! #     impl ErrorType for RamFlash { type Error = NorFlashErrorKind; }
//! #     impl ReadNorFlash for RamFlash {
//! #         const READ_SIZE: usize = 4;
//! #         async fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
//! #             let at = offset as usize;
//! #             bytes.copy_from_slice(&self.0[at..at + bytes.len()]);
//! #             Ok(())
//! #         }
//! #         fn capacity(&self) -> usize { 4096 }
//! #     }
//! #     impl NorFlash for RamFlash {
//! #         const WRITE_SIZE: usize = 4;
//! #         const ERASE_SIZE: usize = 1024;
//! #         async fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
//! #             self.0[from as usize..to as usize].fill(0xff);
//! #             Ok(())
//! #         }
//! #         async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
//! #             let at = offset as usize;
//! #             for (cell, byte) in self.0[at..at + bytes.len()].iter_mut().zip(bytes) { *cell &= byte; }
//! #             Ok(())
//! #         }
//! #     }
//! # }
//! ```

mod error;
mod key;
mod store;

pub use error::FlashError;
pub use sequential_storage::map::Key;
pub use store::{FlashStore, RECOVERY_BATCH};
