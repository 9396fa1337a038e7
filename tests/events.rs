//! The events and counters of `account_lockout::events` (features `tracing` and
//! `metrics`): the exact events, in order, of each kind of operation, their levels, and
//! no credential material in any field or label.
#![allow(clippy::restriction)]

mod fixtures;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use account_lockout::{Account, Fingerprint, FingerprintKey, Outcome, Patch, Verdict, events};
use fixtures::capture::{Seen, event, events_of};
use fixtures::{pingone, s};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use tracing::Level;

/// The events of recording `outcome` for alice, a user.
fn events_for_alice(outcome: &Outcome) -> Vec<Seen> {
    events_of(|| events::record("user", &"alice", outcome))
}

/// Alice's fields, then `more`.
fn alice(more: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut fields = vec![("scope", "user"), ("subject", "alice")];
    fields.extend_from_slice(more);
    fields
}

/// An account locked by its third failure at T0+2 s, until T0+902 s.
fn locked_by_three_failures() -> (account_lockout::Policy, Account) {
    let policy = pingone(3, Some(900));
    let mut account: Account = Account::new();
    for t in 0..3 {
        let _ = account.failure(&policy, s(t), None).unwrap();
    }
    (policy, account)
}

// ---------------------------------------------------------------------------------------
// The events of each kind of operation
// ---------------------------------------------------------------------------------------

#[test]
fn a_failure_that_counts_is_one_counted_event() {
    let policy = pingone(3, Some(900));
    let mut account: Account = Account::new();
    let outcome = account.failure(&policy, s(0), None).unwrap();
    assert_eq!(
        events_for_alice(&outcome),
        [event("counted", Level::DEBUG, &alice(&[("failures", "1")]))]
    );
}

#[test]
fn the_failure_that_locks_is_counted_then_locked() {
    let policy = pingone(3, Some(900));
    let mut account: Account = Account::new();
    for t in 0..2 {
        let _ = account.failure(&policy, s(t), None).unwrap();
    }
    let outcome = account.failure(&policy, s(2), None).unwrap();
    assert_eq!(
        events_for_alice(&outcome),
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
}

#[test]
fn an_attempt_while_locked_is_rejected_with_the_deadline() {
    let (policy, mut account) = locked_by_three_failures();
    let outcome = account.failure(&policy, s(10), None).unwrap();
    assert_eq!(
        events_for_alice(&outcome),
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

#[test]
fn a_lock_only_an_administrator_ends_shows_none_for_its_deadline() {
    let policy = pingone(3, Some(900));
    let mut account: Account = Account::new();
    let locked = account.lock(&policy, s(0), None).unwrap();
    let rejected = account.success(&policy, s(1));
    assert_eq!(
        events_for_alice(&locked),
        [event(
            "locked",
            Level::INFO,
            &alice(&[
                ("at", "2026-01-01T00:00:00.000Z"),
                ("until", "none"),
                ("cause", "administrator"),
            ])
        )]
    );
    assert_eq!(
        events_for_alice(&rejected),
        [event(
            "rejected",
            Level::INFO,
            &alice(&[("reason", "locked"), ("unlock_at", "none")])
        )]
    );
}

#[test]
fn an_administrator_changing_a_lock_is_lock_changed() {
    let (policy, mut account) = locked_by_three_failures();
    let outcome = account.lock(&policy, s(10), Some(s(3_600))).unwrap();
    assert_eq!(
        events_for_alice(&outcome),
        [event(
            "lock_changed",
            Level::DEBUG,
            &alice(&[
                ("until", "2026-01-01T01:00:00.000Z"),
                ("cause", "administrator")
            ])
        )]
    );
}

#[test]
fn a_begin_with_no_room_left_is_busy() {
    let policy = pingone(3, Some(900));
    let mut account: Account = Account::new();
    for _ in 0..3 {
        let start = account.begin_attempt(&policy, s(0)).unwrap();
        assert!(start.outcome.is_allowed());
        // An allowed begin changes nothing a log reports.
        assert_eq!(events_for_alice(&start.outcome), []);
    }
    let fourth = account.begin_attempt(&policy, s(0)).unwrap();
    assert_eq!(
        events_for_alice(&fourth.outcome),
        [event("busy", Level::INFO, &alice(&[]))]
    );
}

#[test]
fn an_expiry_noticed_late_is_unlocked_at_the_deadline_not_at_now() {
    let (policy, mut account) = locked_by_three_failures();
    // The lock ended at T0+902 s; nothing happened until T0+5000 s.
    let outcome = account.failure(&policy, s(5_000), None).unwrap();
    assert_eq!(
        events_for_alice(&outcome),
        [
            event(
                "unlocked",
                Level::INFO,
                &alice(&[("at", "2026-01-01T00:15:02.000Z"), ("cause", "expired")])
            ),
            event("counted", Level::DEBUG, &alice(&[("failures", "1")])),
        ]
    );
    assert_eq!(s(5_000).to_string(), "2026-01-01T01:23:20.000Z");
}

#[test]
fn an_administrator_unlock_is_unlocked_at_its_instant() {
    let (policy, mut account) = locked_by_three_failures();
    let outcome = account.unlock(&policy, s(60));
    assert_eq!(
        events_for_alice(&outcome),
        [event(
            "unlocked",
            Level::INFO,
            &alice(&[
                ("at", "2026-01-01T00:01:00.000Z"),
                ("cause", "administrator")
            ])
        )]
    );
}

#[test]
fn disabling_and_enabling_and_an_attempt_while_disabled() {
    let policy = pingone(3, Some(900));
    let mut account: Account = Account::new();
    let disable = Patch::new(Some(false), None, None).unwrap();
    let enable = Patch::new(Some(true), None, None).unwrap();
    let disabled = account.patch(&policy, s(0), &disable).unwrap();
    let rejected = account.failure(&policy, s(1), None).unwrap();
    let enabled = account.patch(&policy, s(2), &enable).unwrap();
    assert_eq!(
        events_for_alice(&disabled),
        [event("disabled", Level::DEBUG, &alice(&[]))]
    );
    assert_eq!(
        events_for_alice(&rejected),
        [event(
            "rejected",
            Level::INFO,
            &alice(&[("reason", "disabled"), ("unlock_at", "none")])
        )]
    );
    assert_eq!(
        events_for_alice(&enabled),
        [event("enabled", Level::DEBUG, &alice(&[]))]
    );
}

#[test]
fn the_subject_is_any_key_shown_as_it_displays() {
    let policy = pingone(3, Some(900));
    let mut account: Account = Account::new();
    let outcome = account.failure(&policy, s(0), None).unwrap();
    let source = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7));
    assert_eq!(
        events_of(|| events::record("source", &source, &outcome)),
        [event(
            "counted",
            Level::DEBUG,
            &[
                ("scope", "source"),
                ("subject", "203.0.113.7"),
                ("failures", "1")
            ]
        )]
    );
}

#[test]
fn a_refusal_recorded_alone_has_no_transitions() {
    let rejection = account_lockout::Rejection::Locked {
        unlock_at: Some(s(900)),
    };
    assert_eq!(
        events_of(|| events::record_rejection("account", &"alice", rejection)),
        [event(
            "rejected",
            Level::INFO,
            &[
                ("scope", "account"),
                ("subject", "alice"),
                ("reason", "locked"),
                ("unlock_at", "2026-01-01T00:15:00.000Z"),
            ]
        )]
    );
}

#[test]
fn no_field_holds_the_credential_or_its_fingerprint() {
    // Two remembered credentials, so that a repeat is ignored.
    let policy = pingone(3, Some(900)).with_modifiers(2, None).unwrap();
    let key = FingerprintKey::new(*b"events-test-key!");
    let password = "correct horse battery staple";
    let fingerprint = Fingerprint::keyed(&key, password.as_bytes());
    let mut account: Account<0, 8> = Account::new();
    let mut outcomes = vec![
        account.failure(&policy, s(0), Some(fingerprint)).unwrap(),
        account.failure(&policy, s(1), Some(fingerprint)).unwrap(),
    ];
    let token = account.begin_attempt(&policy, s(2)).unwrap().token.unwrap();
    let other = Fingerprint::keyed(&key, b"hunter2");
    let credential = Some(other);
    outcomes.push(
        account
            .finish_attempt(&policy, s(3), token, Verdict::Failure { credential })
            .unwrap(),
    );
    outcomes.push(account.failure(&policy, s(4), None).unwrap());
    outcomes.push(account.failure(&policy, s(5), Some(other)).unwrap());
    let seen = events_of(|| {
        for outcome in &outcomes {
            events::record("user", &"alice", outcome);
        }
    });
    let names: Vec<&str> = seen.iter().map(|event| event.name).collect();
    assert_eq!(
        names,
        [
            "counted",
            "ignored_repeated",
            "counted",
            "counted",
            "locked",
            "rejected"
        ]
    );
    let secrets: Vec<String> = [fingerprint, other]
        .iter()
        .flat_map(|fingerprint| {
            let digest = fingerprint.get();
            [
                digest.to_string(),
                format!("{digest:x}"),
                format!("{digest:X}"),
                format!("{fingerprint:?}"),
                (digest as i64).to_string(),
            ]
        })
        .chain([password.to_owned(), "hunter2".to_owned()])
        .collect();
    for event in &seen {
        for (field, value) in &event.fields {
            assert!(
                [
                    "event",
                    "scope",
                    "subject",
                    "failures",
                    "at",
                    "until",
                    "cause",
                    "reason",
                    "unlock_at"
                ]
                .contains(field),
                "{field} is not a documented field"
            );
            for secret in &secrets {
                assert!(
                    !value.contains(secret.as_str()),
                    "{field} = {value} holds {secret}"
                );
            }
        }
    }
}

#[test]
fn every_event_has_the_documented_level() {
    let (policy, mut account) = locked_by_three_failures();
    let mut outcomes = vec![
        account.failure(&policy, s(10), None).unwrap(),
        account.lock(&policy, s(11), None).unwrap(),
        account.unlock(&policy, s(12)),
    ];
    let mut counting: Account = Account::new();
    outcomes.push(counting.failure(&policy, s(0), None).unwrap());
    let levels: Vec<(&str, Level)> = events_of(|| {
        for outcome in &outcomes {
            events::record("user", &"alice", outcome);
        }
    })
    .iter()
    .map(|event| (event.name, event.level))
    .collect();
    assert_eq!(
        levels,
        [
            ("rejected", Level::INFO),
            ("lock_changed", Level::DEBUG),
            ("unlocked", Level::INFO),
            ("counted", Level::DEBUG),
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Counters
// ---------------------------------------------------------------------------------------

/// Every counter `recorder` holds: (name, labels in order) → value.
fn counters(recorder: &DebuggingRecorder) -> BTreeMap<(String, Vec<(String, String)>), u64> {
    recorder
        .snapshotter()
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let key = key.key();
            let labels = key
                .labels()
                .map(|label| (label.key().to_owned(), label.value().to_owned()))
                .collect();
            let DebugValue::Counter(count) = value else {
                panic!("{} is not a counter", key.name());
            };
            ((key.name().to_owned(), labels), count)
        })
        .collect()
}

fn labelled(name: &str, labels: [(&str, &str); 2]) -> (String, Vec<(String, String)>) {
    (
        name.to_owned(),
        labels
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect(),
    )
}

#[test]
fn the_counters_count_each_kind_by_scope_and_never_name_a_user() {
    let recorder = DebuggingRecorder::new();
    let policy = pingone(3, Some(900));
    let source = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7));
    metrics::with_local_recorder(&recorder, || {
        // alice: three failures that lock, then a refusal.
        let mut alice: Account = Account::new();
        for t in 0..4 {
            let outcome = alice.failure(&policy, s(t), None).unwrap();
            events::record("user", &"alice", &outcome);
        }
        // bob: a fourth attempt in flight finds no room.
        let mut bob: Account = Account::new();
        for _ in 0..4 {
            let start = bob.begin_attempt(&policy, s(0)).unwrap();
            events::record("user", &"bob", &start.outcome);
        }
        // The source both tried from: one failure.
        let mut from_source: Account = Account::new();
        let outcome = from_source.failure(&policy, s(0), None).unwrap();
        events::record("source", &source, &outcome);
    });
    let transitions = "account_lockout_transitions_total";
    let rejections = "account_lockout_rejections_total";
    assert_eq!(
        (events::TRANSITIONS_TOTAL, events::REJECTIONS_TOTAL),
        (transitions, rejections)
    );
    let counted = counters(&recorder);
    assert_eq!(
        counted,
        BTreeMap::from([
            (
                labelled(transitions, [("scope", "user"), ("kind", "counted")]),
                3
            ),
            (
                labelled(transitions, [("scope", "user"), ("kind", "locked")]),
                1
            ),
            (
                labelled(rejections, [("scope", "user"), ("reason", "locked")]),
                1
            ),
            (
                labelled(rejections, [("scope", "user"), ("reason", "busy")]),
                1
            ),
            (
                labelled(transitions, [("scope", "source"), ("kind", "counted")]),
                1
            ),
        ])
    );
    for (_, labels) in counted.keys() {
        for (key, value) in labels {
            assert!(
                ["scope", "kind", "reason"].contains(&key.as_str()),
                "label {key}"
            );
            assert!(
                !["alice", "bob", "203.0.113.7"].contains(&value.as_str()),
                "{key} = {value} names a subject"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// The guard's events (SharedGuard::with_events)
// ---------------------------------------------------------------------------------------

#[test]
fn a_shared_guard_reports_each_scope_under_its_key() {
    use account_lockout::{GuardPolicy, ManualClock, SharedGuard};

    let p = pingone(1, Some(60));
    let clock = ManualClock::new(s(0));
    let guard: SharedGuard<&str, 8, 8, 8, _> =
        SharedGuard::with_clock(GuardPolicy::new(p, p, pingone(9, Some(60))), &clock).with_events();
    let source: IpAddr = "2001:db8::7".parse().unwrap();
    let token = guard.begin(&"ana", source).unwrap().token.unwrap();
    let seen = events_of(|| {
        let failure = Verdict::Failure { credential: None };
        let _ = guard.finish(&"ana", source, token, failure).unwrap();
    });
    let counted = |scope, subject| {
        event(
            "counted",
            Level::DEBUG,
            &[("scope", scope), ("subject", subject), ("failures", "1")],
        )
    };
    let locked = |scope, subject| {
        event(
            "locked",
            Level::INFO,
            &[
                ("scope", scope),
                ("subject", subject),
                ("at", "2026-01-01T00:00:00.000Z"),
                ("until", "2026-01-01T00:01:00.000Z"),
                ("cause", "policy"),
            ],
        )
    };
    assert_eq!(
        seen,
        [
            counted("user", "ana"),
            locked("user", "ana"),
            counted("user_source", "ana@2001:db8::/64"),
            locked("user_source", "ana@2001:db8::/64"),
            counted("source", "2001:db8::/64"),
        ]
    );

    // The next attempt is refused in the two locked scopes: one rejection each.
    let seen = events_of(|| {
        let _ = guard.begin(&"ana", source).unwrap();
    });
    let rejected = |scope, subject| {
        event(
            "rejected",
            Level::INFO,
            &[
                ("scope", scope),
                ("subject", subject),
                ("reason", "locked"),
                ("unlock_at", "2026-01-01T00:01:00.000Z"),
            ],
        )
    };
    assert_eq!(
        seen,
        [
            rejected("user", "ana"),
            rejected("user_source", "ana@2001:db8::/64")
        ]
    );
}
