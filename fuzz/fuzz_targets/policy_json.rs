//! serde_json and serde-json-core read policy documents alike, without panicking;
//! what they accept round-trips through the binary format.
//!
//! The check is in `fuzz/checks.rs`, shared with `tests/fuzz_corpus.rs`.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::policy_json(data));
