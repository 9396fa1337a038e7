//! The fuzz corpus, replayed on stable: every file of `fuzz/corpus/<target>/`
//! goes through the same check as the cargo-fuzz target of that name (`fuzz/checks.rs`),
//! so `cargo test` keeps the seeds and every fixed crash passing without nightly.

use std::fs;
use std::path::Path;

#[path = "../fuzz/checks.rs"]
mod checks;

#[test]
fn every_corpus_file_passes_its_target_check() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut replayed = 0;
    for (target, check) in checks::TARGETS {
        let directory = corpus.join(target);
        let mut files: Vec<_> = fs::read_dir(&directory)
            .unwrap_or_else(|error| panic!("{}: {error}", directory.display()))
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.is_file())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{} has no seeds", directory.display());
        for path in files {
            let data = fs::read(&path).unwrap();
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(outcome.is_ok(), "{target}: {} fails", path.display());
            replayed += 1;
        }
    }
    println!("replayed {replayed} corpus files");
}
