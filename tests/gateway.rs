//! The edge-gateway example: its sample runs as the README says, a second run resumes
//! from the saved state, and a power cut mid-attempt loses no failure.

use std::path::{Path, PathBuf};

#[allow(dead_code)]
#[path = "../examples/gateway.rs"]
mod gateway;

fn sample(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/gateway")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{} is shipped", path.display()))
}

/// A state file path of this test's own, removed first.
fn state_file(test: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "account-lockout-{test}-{}.state",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    path
}

#[test]
fn the_sample_and_its_continuation_print_their_expected_output() {
    let state = state_file("resume");
    let first = gateway::run(&sample("sample.log"), &state, None).unwrap();
    assert_eq!(first, sample("sample.expected.jsonl"));
    assert!(state.exists(), "the state is saved");
    let second = gateway::run(&sample("sample-continued.log"), &state, None).unwrap();
    assert_eq!(second, sample("sample-continued.expected.jsonl"));
    // The second run resumed: it knew the locks of the first.
    assert!(
        second.starts_with(r#"{"event":"resumed","restoredAccounts":6,"#),
        "{second}"
    );
    assert!(second.contains(r#"{"at":"2026-11-28T09:15:02.000Z","event":"sourceUnlocked","user":"alice","source":"203.0.113.9"}"#));
    assert!(
        second
            .contains(r#"{"at":"2026-11-28T09:42:07.000Z","event":"userUnlocked","user":"alice"}"#)
    );
    std::fs::remove_file(&state).unwrap();
}

#[test]
fn a_power_cut_mid_attempt_is_counted_as_a_failure_on_resume() {
    let state = state_file("power-cut");
    // Line 21 is alice's 8th failure across sources: the one that locks her everywhere.
    let first = gateway::run(&sample("sample.log"), &state, Some(21)).unwrap();
    assert!(first.ends_with(
        "{\"at\":\"2026-11-28T09:12:07.000Z\",\"event\":\"powerCut\",\"user\":\"alice\",\"source\":\"198.51.100.4\"}\n"
    ));
    let second = gateway::run(&sample("sample-continued.log"), &state, None).unwrap();
    let lines: Vec<&str> = second.lines().collect();
    assert_eq!(
        lines[0],
        r#"{"event":"resumed","restoredAccounts":6,"recoveredBySource":1,"recoveredByUser":1}"#
    );
    // The lost verdict counted as alice's 8th failure. The resume came after the attempt's
    // timeout (300 s after 09:12:07), so it counted at 09:17:07 (SPEC §7.6): she has been
    // locked since then.
    assert_eq!(
        lines[2],
        r#"{"at":"2026-11-28T09:30:00.000Z","user":"alice","source":"10.0.0.7","result":"ok","decision":"rejected","reason":"locked","account":{"canAuthenticate":false,"lockedAt":"2026-11-28T09:17:07.000Z","secondsUntilUnlock":1027,"status":"LOCKED","unlockAt":"2026-11-28T09:47:07.000Z"}}"#
    );
    std::fs::remove_file(&state).unwrap();
}

#[test]
fn malformed_lines_are_refused_with_their_number() {
    let state = state_file("malformed");
    let error =
        gateway::run("2026-11-28T09:00:00Z alice 10.0.0.7 maybe\n", &state, None).unwrap_err();
    assert_eq!(error, "line 1: `maybe` is not ok or fail");
    let error =
        gateway::run("# comment\n\nyesterday alice 10.0.0.7 ok\n", &state, None).unwrap_err();
    assert!(error.starts_with("line 3: "), "{error}");
    assert!(!state.exists(), "nothing was saved");
}
