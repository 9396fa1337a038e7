//! The store's events (feature `tracing`) on the reference backend, with no server: one
//! report per event, however many compare-and-sets it took; a refusal that stands
//! unwritten reports the refusal alone, and its transitions once they are stored; an
//! unknown name is never shown.
#![allow(clippy::restriction)]

mod common;
// The root crate's capturing subscriber, shared rather than copied.
#[allow(dead_code)]
#[path = "../../tests/fixtures/capture.rs"]
mod capture;

use account_lockout::harness::pingone;
use account_lockout_store::conformance::{Counted, MemoryBackend};
use account_lockout_store::{Config, Store};
use capture::{Capture, event};
use common::at;
use tracing::Level;

type Backend = Counted<MemoryBackend>;

fn node(backend: &Backend) -> Store<Backend> {
    Store::new(backend.clone(), Config::default(), pingone(3, Some(900))).unwrap()
}

/// Alice's account's fields, then `more`.
fn alice(more: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut fields = vec![("scope", "account"), ("subject", "alice")];
    fields.extend_from_slice(more);
    fields
}

// A current-thread runtime: the store runs on the test's thread, whose subscriber the
// capture is.
#[tokio::test(flavor = "current_thread")]
async fn an_event_whose_compare_and_set_lost_is_reported_once() {
    let (capture, _guard) = Capture::install();
    let backend = Counted::new(MemoryBackend::new());
    let (a, b) = (node(&backend), node(&backend));
    let _ = a.failure("alice", at(0), None).await.unwrap();
    let _ = capture.take();
    // B guesses "absent": its first compare-and-set loses, the second wins.
    let before = backend.calls();
    let outcome = b.failure("alice", at(1_000), None).await.unwrap();
    assert_eq!(backend.calls().since(before).compare_and_sets, 2);
    assert_eq!(outcome.transitions().counted(), Some(2));
    assert_eq!(
        capture.take(),
        [event("counted", Level::DEBUG, &alice(&[("failures", "2")]))]
    );
    // A's guess is stale now: the same, for the failure that locks.
    let before = backend.calls();
    let _ = a.failure("alice", at(2_000), None).await.unwrap();
    assert_eq!(backend.calls().since(before).compare_and_sets, 2);
    assert_eq!(
        capture.take(),
        [
            event("counted", Level::DEBUG, &alice(&[("failures", "3")])),
            event(
                "locked",
                Level::INFO,
                &alice(&[
                    ("at", "2026-01-01T00:00:02.000Z"),
                    ("until", "2026-01-01T00:15:02.000Z"),
                    ("cause", "policy"),
                ])
            ),
        ]
    );
    // A refusal that changes nothing but `last_seen` writes nothing: still one event.
    let _ = b.failure("alice", at(3_000), None).await.unwrap();
    assert_eq!(
        capture.take(),
        [event(
            "rejected",
            Level::INFO,
            &alice(&[
                ("reason", "locked"),
                ("unlock_at", "2026-01-01T00:15:02.000Z")
            ])
        )]
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_refusal_that_stands_unwritten_reports_its_transitions_once_they_are_stored() {
    let (capture, _guard) = Capture::install();
    let backend = Counted::new(MemoryBackend::new());
    let store = node(&backend);
    for i in 0..2 {
        let _ = store.failure("alice", at(i), None).await.unwrap();
    }
    // An attempt left in flight at T0+10 ms: its node crashed.
    let _token = store.begin_attempt("alice", at(10)).await.unwrap().token;
    let _ = capture.take();
    // Past its 300 s timeout (behaviour §7.1) it counts as the 3rd failure, at its start
    // plus the timeout, which locks; the next attempt is refused. The database refuses
    // the write: the refusal stands, and only it is reported.
    backend.inner().refuse_writes(true);
    let refused = store.begin_attempt("alice", at(301_000)).await.unwrap();
    assert_eq!(refused.token, None);
    assert_eq!(refused.outcome.transitions().counted(), Some(3));
    let rejected = event(
        "rejected",
        Level::INFO,
        &alice(&[
            ("reason", "locked"),
            ("unlock_at", "2026-01-01T00:20:00.010Z"),
        ]),
    );
    assert_eq!(capture.take(), std::slice::from_ref(&rejected));
    // Once the database takes writes, the next attempt stores them and reports them.
    backend.inner().refuse_writes(false);
    let _ = store.begin_attempt("alice", at(302_000)).await.unwrap();
    assert_eq!(
        capture.take(),
        [
            event("counted", Level::DEBUG, &alice(&[("failures", "3")])),
            event(
                "locked",
                Level::INFO,
                &alice(&[
                    ("at", "2026-01-01T00:05:00.010Z"),
                    ("until", "2026-01-01T00:20:00.010Z"),
                    ("cause", "policy"),
                ])
            ),
            rejected,
        ]
    );
    // An event that fails reports nothing.
    backend.inner().set_down(true);
    assert!(store.failure("bob", at(303_000), None).await.is_err());
    assert_eq!(capture.take(), []);
}

#[tokio::test(flavor = "current_thread")]
async fn an_unknown_name_is_reported_as_its_bucket_never_by_name() {
    let (capture, _guard) = Capture::install();
    let backend = Counted::new(MemoryBackend::new());
    let store = node(&backend);
    // Often a password typed into the user field.
    let name = "hunter2";
    let _ = store.unknown_failure(name, at(0)).await.unwrap();
    let bucket = store.unknown_key(name);
    assert!(bucket.starts_with("unknown:lockout:"), "{bucket}");
    assert_eq!(
        capture.take(),
        [event(
            "counted",
            Level::DEBUG,
            &[
                ("scope", "unknown"),
                ("subject", bucket.as_str()),
                ("failures", "1")
            ]
        )]
    );
}
