//! `Patch::from_json` never panics and agrees with the serde_json path.
//!
//! The check is in `fuzz/checks.rs`, shared with `tests/fuzz_corpus.rs`.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::patch_json(data));
