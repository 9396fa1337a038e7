//! How many cases each property test runs: `PROPTEST_CASES` wins; otherwise 10,000 per
//! property. Shared by `tests/model_based.rs` and `tests/invariants.rs`.

use proptest::test_runner::Config;

/// The proptest configuration of the crate's property suites.
pub fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(10_000);
    Config {
        cases,
        ..Config::default()
    }
}
