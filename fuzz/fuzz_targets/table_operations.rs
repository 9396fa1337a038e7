//! Arbitrary operation sequences against a `LockoutTable<u8, 8, 16, 8>` and, in
//! parallel, a standalone `Account<16, 8>` per key: no panic, the same outcomes and views,
//! the view's rules, and encode→decode of every account.
//!
//! The check is in `fuzz/checks.rs`, shared with `tests/fuzz_corpus.rs`.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::table_operations(data));
