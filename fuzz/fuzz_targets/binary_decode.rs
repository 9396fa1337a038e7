//! `Policy::decode` and `Account::decode` never panic, and what they accept
//! re-encodes to exactly the same bytes.
//!
//! The check is in `fuzz/checks.rs`, shared with `tests/fuzz_corpus.rs`.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::binary_decode(data));
