//! The shipped scenarios: the simulator's output must match the committed expectation
//! byte for byte, and its error handling must follow behaviour §6.

use std::path::{Path, PathBuf};

mod fixtures;

#[allow(dead_code)]
#[path = "../examples/simulate.rs"]
mod simulate;

fn scenarios() -> Vec<PathBuf> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scenarios");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&folder)
        .expect("the scenarios folder exists")
        .map(|entry| entry.expect("a readable entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    found.sort();
    found
}

#[test]
fn every_dialect_and_feature_has_a_scenario() {
    let names: Vec<String> = scenarios()
        .iter()
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    for wanted in [
        "pingone",
        "active-directory",
        "keycloak",
        "pam-faillock",
        "tpm",
        "android-gatekeeper",
        "admin",
        "clock-backwards",
        "custom",
        "pingone-mfa",
    ] {
        assert!(
            names.iter().any(|name| name == wanted),
            "missing scenario {wanted}"
        );
    }
}

#[test]
fn shipped_scenarios_print_their_expected_output() {
    for path in scenarios() {
        let input = std::fs::read_to_string(&path).unwrap();
        let expected = std::fs::read_to_string(path.with_extension("expected.jsonl"))
            .unwrap_or_else(|_| panic!("{} has no expected output", path.display()));
        let output = simulate::run(&input)
            .unwrap_or_else(|error| panic!("{} failed: {error}", path.display()));
        assert_eq!(
            output,
            expected,
            "{} differs from its expected output",
            path.display()
        );
    }
}

/// Runs the simulator's command line on `args` with `stdin`: (status, stdout, stderr).
fn run_cli(args: &[&str], stdin: &str) -> (u8, String, String) {
    fixtures::run_cli(simulate::cli, args, stdin)
}

#[test]
fn standard_input_is_read_for_a_dash() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scenarios/tpm.json");
    let input = std::fs::read_to_string(&path).unwrap();
    let expected = std::fs::read_to_string(path.with_extension("expected.jsonl")).unwrap();
    let (code, stdout, stderr) = run_cli(&["-"], &input);
    assert_eq!(
        (code, stdout.as_str(), stderr.as_str()),
        (0, expected.as_str(), "")
    );
    let file = path.to_str().unwrap();
    let (code, stdout, stderr) = run_cli(&[file], "");
    assert_eq!(
        (code, stdout.as_str(), stderr.as_str()),
        (0, expected.as_str(), "")
    );
}

#[test]
fn usage_and_unreadable_files_exit_2() {
    let (code, stdout, stderr) = run_cli(&[], "");
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(stderr.contains("Usage: simulate <FILE>"), "{stderr}");
    let (code, stdout, stderr) = run_cli(&["/no/such/scenario.json"], "");
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(
        stderr.starts_with("simulate: /no/such/scenario.json: "),
        "{stderr}"
    );
}

#[test]
fn bad_files_exit_2_with_one_line_and_no_output() {
    let cases = [
        ("{", "EOF while parsing"),
        (
            r#"{"policy":{"okta":{}},"events":[]}"#,
            "unknown dialect or modifier `okta`",
        ),
        (
            r#"{"policy":{"pingone":{"failureCount":0}},"events":[]}"#,
            "failureCount must be at least 1",
        ),
        (
            r#"{"policy":{"pamFaillock":{"deny":17}},"events":[]}"#,
            "deny must be at most 16 (got 17)",
        ),
        (
            r#"{"policy":{"tpm":{},"pingone":{"failureCount":1}},"events":[]}"#,
            "two dialects",
        ),
        (r#"{"policy":{},"events":[]}"#, "policy has no dialect"),
        (
            r#"{"policy":{"tpm":{}},"events":[{"at":"2026-01-01","event":"check"}]}"#,
            "events[0].at",
        ),
        (
            r#"{"policy":{"tpm":{}},"events":[{"at":"2026-01-01T00:00:00Z","event":"jump"}]}"#,
            "unknown variant `jump`",
        ),
        (
            r#"{"policy":{"tpm":{}},"events":[{"at":"2026-01-01T00:00:00Z","event":"patch"}]}"#,
            "needs an `account` object",
        ),
        (
            r#"{"policy":{"tpm":{}},"events":[{"at":"2026-01-01T00:00:00Z","event":"check","credential":"x"}]}"#,
            "`credential` does not go with this event",
        ),
        (
            r#"{"policy":{"keycloak":{"failureFactor":5,"colour":1}},"events":[]}"#,
            "unknown field `colour`",
        ),
        (
            r#"{"policy":{"pingone":{"failureCount":3}},"events":[{"at":"2026-01-01T00:00:00Z","event":"check"},{"at":"2026-01-01T00:00:00Z","event":"mfaFailure"}]}"#,
            "events[1]: an MFA event needs a policy with pingone.mfa",
        ),
        (
            r#"{"policy":{"pingone":{"failureCount":3,"mfa":null}},"events":[{"at":"2026-01-01T00:00:00Z","event":"mfaSuccess"}]}"#,
            "events[0]: an MFA event needs a policy with pingone.mfa",
        ),
        (
            r#"{"policy":{"tpm":{}},"events":[{"at":"2026-01-01T00:00:00Z","event":"unlockPassword"}]}"#,
            "events[0]: unlockPassword is PingOne's password unlock",
        ),
        (
            r#"{"policy":{"pingone":{"failureCount":3,"mfa":{"failureCount":0}}},"events":[]}"#,
            "mfa.failureCount must be at least 1",
        ),
    ];
    for (input, message) in cases {
        // The valid events before a bad one must not be printed either.
        let (code, stdout, stderr) = run_cli(&["-"], input);
        assert_eq!(code, 2, "{input}");
        assert_eq!(stdout, "", "{input}");
        assert_eq!(stderr.lines().count(), 1, "{input}: {stderr}");
        assert!(stderr.contains(message), "{input}: {stderr}");
    }
}

#[test]
fn a_bad_event_after_good_ones_prints_nothing() {
    let input = r#"{"policy":{"tpm":{}},"events":[
        {"at":"2026-01-01T00:00:00Z","event":"failure"},
        {"at":"not a date","event":"failure"}]}"#;
    let (code, stdout, stderr) = run_cli(&["-"], input);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(stderr.contains("events[1].at"), "{stderr}");
}

#[test]
fn a_refused_operation_is_reported_in_its_line_and_changes_nothing() {
    let input = r#"{"policy":{"pingone":{"failureCount":2}},"events":[
        {"at":"2026-01-01T00:00:00Z","event":"failure"},
        {"at":"2026-01-01T00:00:01Z","event":"lock","unlockAt":"soon"},
        {"at":"2026-01-01T00:00:02Z","event":"patch","account":{"secondsUntilUnlock":5}}]}"#;
    let output = simulate::run(input).unwrap();
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        lines[1],
        r#"{"at":"2026-01-01T00:00:01.000Z","event":"lock","account":{"canAuthenticate":true,"status":"OK"},"error":{"code":"invalid_value","message":"unlockAt: not an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SS[.fff] then Z or ±HH:MM)"}}"#
    );
    assert_eq!(
        lines[2],
        r#"{"at":"2026-01-01T00:00:02.000Z","event":"patch","account":{"canAuthenticate":true,"status":"OK"},"error":{"code":"read_only_field","message":"secondsUntilUnlock is read-only"}}"#
    );
}

/// `"events"` is on every `pingone` unlock and password unlock line (`[]` when none), and
/// nowhere else: not on a patch that unlocks, not in another dialect (behaviour §7.3).
#[test]
fn pingone_unlock_lines_carry_their_events() {
    let events = |output: &str| -> Vec<Option<serde_json::Value>> {
        output
            .lines()
            .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["events"].clone())
            .map(|value| (!value.is_null()).then_some(value))
            .collect()
    };
    let pingone = r#"{"policy":{"pingone":{"failureCount":1,"durationSeconds":60}},"events":[
        {"at":"2026-01-01T00:00:00Z","event":"failure"},
        {"at":"2026-01-01T00:00:01Z","event":"unlockPassword"},
        {"at":"2026-01-01T00:00:02Z","event":"unlock"},
        {"at":"2026-01-01T00:00:03Z","event":"failure"},
        {"at":"2026-01-01T00:00:04Z","event":"unlock"},
        {"at":"2026-01-01T00:00:05Z","event":"failure"},
        {"at":"2026-01-01T00:00:06Z","event":"patch","account":{"status":"OK"}}]}"#;
    let json = |text: &str| Some(serde_json::from_str::<serde_json::Value>(text).unwrap());
    assert_eq!(
        events(&simulate::run(pingone).unwrap()),
        vec![
            None,
            json(r#"["PASSWORD.UNLOCKED","USER.UNLOCKED"]"#),
            json("[]"),
            None,
            json(r#"["USER.UNLOCKED"]"#),
            None,
            None,
        ]
    );
    let tpm = r#"{"policy":{"tpm":{"maxTries":1,"recoveryTime":60}},"events":[
        {"at":"2026-01-01T00:00:00Z","event":"failure"},
        {"at":"2026-01-01T00:00:01Z","event":"unlock"}]}"#;
    assert_eq!(events(&simulate::run(tpm).unwrap()), vec![None, None]);
}

#[test]
fn help_describes_the_program_and_its_argument_and_exits_0() {
    for flag in ["--help", "-h"] {
        let (code, stdout, stderr) = run_cli(&[flag], "");
        assert_eq!((code, stderr.as_str()), (0, ""), "{flag}");
        for wanted in [
            "Replays a JSON scenario",
            "<FILE>",
            "`-` reads standard input",
        ] {
            assert!(stdout.contains(wanted), "{flag}: {stdout}");
        }
    }
}

#[test]
fn an_unknown_flag_is_a_usage_error_exiting_2() {
    let (code, stdout, stderr) = run_cli(&["--bogus", "-"], "");
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(stderr.contains("unexpected argument '--bogus'"), "{stderr}");
}
