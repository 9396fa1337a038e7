//! The accounts in the binary format, in a static buffer standing in for flash.
//!
//! One record per table slot: the encoding's length (0: empty), the key (`u16`,
//! little-endian), then the encoding. A real firmware writes the same bytes to flash or
//! EEPROM; the library's CRC-32 catches a torn or corrupted record at load.
//!
//! Used by the size builds (`src/main.rs`, feature `binary`), which define `SLOTS` and
//! `Table`. The scripted attack (`src/bin/attack`) uses the crate's `FlashStore` instead.

use core::hint::black_box;
use core::sync::atomic::{AtomicU8, Ordering};

use account_lockout::{Account, Instant, Policy};

use crate::{SLOTS, Table};

/// The length byte and the key.
const HEADER: usize = 3;
/// One record.
const RECORD: usize = HEADER + Account::<0, 0>::MAX_ENCODED_LEN;

static FLASH: [[AtomicU8; RECORD]; SLOTS] = [const { [const { AtomicU8::new(0) }; RECORD] }; SLOTS];

/// Writes every account of `table` into [`FLASH`], and empties the other records;
/// whether every account was written (a record is big enough for any account, and there
/// is one per slot, so it always is).
pub fn save(table: &Table) -> bool {
    let mut accounts = table.iter();
    let mut written: usize = 0;
    for cells in &FLASH {
        let mut record = [0u8; RECORD];
        if let Some((key, account)) = accounts.next()
            && let Some((header, body)) = record.split_first_chunk_mut::<HEADER>()
            && let Ok(len) = account.encode(body)
            && let Ok(len) = u8::try_from(len)
        {
            let [low, high] = key.to_le_bytes();
            *header = [len, low, high];
            written = written.saturating_add(1);
        }
        for (cell, byte) in cells.iter().zip(record) {
            cell.store(byte, Ordering::Relaxed);
        }
    }
    written == table.len()
}

/// Decodes every record of [`FLASH`] and restores it into `table`; returns how many
/// accounts came back. A record that fails to decode is skipped: that user starts
/// afresh.
pub fn load(table: &mut Table, policy: &Policy, now: Instant) -> usize {
    let mut restored: usize = 0;
    // Through `black_box`: the optimiser may not assume the buffer is still zero.
    for cells in black_box(&FLASH) {
        let mut record = [0u8; RECORD];
        for (byte, cell) in record.iter_mut().zip(cells) {
            *byte = cell.load(Ordering::Relaxed);
        }
        let Some(([len, low, high], body)) = record.split_first_chunk::<HEADER>() else {
            continue;
        };
        let Some(bytes) = body.get(..usize::from(*len)).filter(|b| !b.is_empty()) else {
            continue;
        };
        match Account::decode(bytes, policy) {
            Ok(account) => {
                let key = u16::from_le_bytes([*low, *high]);
                if table.restore(policy, key, now, account).is_ok() {
                    restored = restored.saturating_add(1);
                }
            }
            Err(error) => {
                black_box(error);
            }
        }
    }
    restored
}
