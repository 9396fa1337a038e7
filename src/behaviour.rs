//! The behaviour document: the contract this crate implements, in numbered sections.
//!
//! The rest of the rustdoc cites it as "behaviour §N". The text is
//! `docs/behaviour.md` in the repository, included here so that it ships with the crate.
#![doc = include_str!("../docs/behaviour.md")]
