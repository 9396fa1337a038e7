//! The board's "flash": a NOR flash over a RAM array, for `account_lockout::flash::FlashStore`.
//!
//! QEMU's MPS2 AN386 has no flash controller a program can erase or write, so the device's
//! accounts live in [`RamFlash`], an array that behaves as NOR flash does and as
//! `embedded-storage-async`'s `NorFlash` contract says: an erase sets whole pages to
//! 0xFF, a write goes to whole words that are still erased (writing a word twice without
//! an erase is refused: it is not a `MultiwriteNorFlash`, which sequential-storage's map
//! does not need), and a write can only clear bits. `main` owns the array; a reboot takes
//! it back from the dropped store (`FlashStore::into_flash`) and mounts it again, while
//! everything else in RAM is gone.

use core::ops::Range;

use embedded_storage_async::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};

/// A page, the unit of erase: 1 KiB, as on many small Cortex-M4 parts.
const PAGE: usize = 1024;
/// Pages given to the store (sequential-storage's map needs at least two).
const PAGES: usize = 4;
/// The whole region, in bytes.
const CAPACITY: usize = PAGE * PAGES;
/// A word, the unit of write: 4 bytes, as most Cortex-M internal flash.
const WORD: usize = 4;

/// The region the store owns: all of it.
// 4 KiB fits a u32 (the assertion below).
pub const RANGE: Range<u32> = 0..CAPACITY as u32;
const _: () = assert!(CAPACITY <= u32::MAX as usize);

/// A write or erase that NOR flash cannot do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashFault {
    /// Outside the region.
    OutOfBounds,
    /// Not on whole words (write) or whole pages (erase).
    NotAligned,
    /// A word written twice without an erase between.
    NotErased,
}

impl NorFlashError for FlashFault {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            FlashFault::OutOfBounds => NorFlashErrorKind::OutOfBounds,
            FlashFault::NotAligned => NorFlashErrorKind::NotAligned,
            FlashFault::NotErased => NorFlashErrorKind::Other,
        }
    }
}

/// [`PAGES`] pages of [`PAGE`] bytes of NOR flash, in RAM.
pub struct RamFlash {
    bytes: [u8; CAPACITY],
}

impl RamFlash {
    /// A flash fresh from the factory: every page erased.
    pub const fn erased() -> Self {
        RamFlash {
            bytes: [0xFF; CAPACITY],
        }
    }

    /// The bytes `offset..offset + len`, if they are inside the region.
    fn span(offset: u32, len: usize) -> Result<Range<usize>, FlashFault> {
        let start = usize::try_from(offset).map_err(|_| FlashFault::OutOfBounds)?;
        let end = start.checked_add(len).ok_or(FlashFault::OutOfBounds)?;
        if end > CAPACITY {
            return Err(FlashFault::OutOfBounds);
        }
        Ok(start..end)
    }
}

impl ErrorType for RamFlash {
    type Error = FlashFault;
}

impl ReadNorFlash for RamFlash {
    /// Memory-mapped flash reads any byte.
    const READ_SIZE: usize = 1;

    async fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), FlashFault> {
        let span = Self::span(offset, bytes.len())?;
        let cells = self.bytes.get(span).ok_or(FlashFault::OutOfBounds)?;
        bytes.copy_from_slice(cells);
        Ok(())
    }

    fn capacity(&self) -> usize {
        CAPACITY
    }
}

impl NorFlash for RamFlash {
    const WRITE_SIZE: usize = WORD;
    const ERASE_SIZE: usize = PAGE;

    async fn erase(&mut self, from: u32, to: u32) -> Result<(), FlashFault> {
        let len = to.checked_sub(from).ok_or(FlashFault::NotAligned)?;
        let len = usize::try_from(len).map_err(|_| FlashFault::OutOfBounds)?;
        let span = Self::span(from, len)?;
        if !span.start.is_multiple_of(PAGE) || !span.end.is_multiple_of(PAGE) {
            return Err(FlashFault::NotAligned);
        }
        self.bytes
            .get_mut(span)
            .ok_or(FlashFault::OutOfBounds)?
            .fill(0xFF);
        Ok(())
    }

    async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), FlashFault> {
        let span = Self::span(offset, bytes.len())?;
        if !span.start.is_multiple_of(WORD) || !bytes.len().is_multiple_of(WORD) {
            return Err(FlashFault::NotAligned);
        }
        let cells = self.bytes.get_mut(span).ok_or(FlashFault::OutOfBounds)?;
        // Checked before any byte changes: a refused write leaves the flash as it was.
        if cells.iter().any(|&cell| cell != 0xFF) {
            return Err(FlashFault::NotErased);
        }
        for (cell, byte) in cells.iter_mut().zip(bytes) {
            *cell &= byte; // NOR flash only clears bits
        }
        Ok(())
    }
}
