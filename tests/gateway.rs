//! The edge-gateway example: its sample runs as the README says, a second run resumes
//! from the saved state, and a power cut mid-attempt loses no failure.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

mod fixtures;

#[allow(dead_code)]
#[path = "../examples/gateway.rs"]
mod gateway;

use gateway::Storage;

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

/// A disk in memory that a power cut takes back to what was synced: a file's bytes are
/// synced with it, but its name (a creation, a rename) only when its folder is synced.
#[derive(Default)]
struct MemoryDisk {
    files: HashMap<PathBuf, Vec<u8>>,
    synced: HashMap<PathBuf, Vec<u8>>,
}

impl MemoryDisk {
    fn power_cut(&mut self) {
        self.files = self.synced.clone();
    }
}

/// Where the tests on a [`MemoryDisk`] keep the state.
const MEMORY_STATE: &str = "/gateway/gw.state";

fn in_folder(path: &Path, dir: &Path) -> bool {
    path.parent() == Some(dir)
}

impl Storage for MemoryDisk {
    fn read(&mut self, path: &Path) -> io::Result<Option<Vec<u8>>> {
        Ok(self.files.get(path).cloned())
    }
    fn write_synced(&mut self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        self.files.insert(path.to_path_buf(), bytes.to_vec());
        Ok(())
    }
    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        let bytes = self.files.remove(from).ok_or(io::ErrorKind::NotFound)?;
        self.files.insert(to.to_path_buf(), bytes);
        Ok(())
    }
    fn sync_dir(&mut self, dir: &Path) -> io::Result<()> {
        self.synced.retain(|path, _| !in_folder(path, dir));
        let names = self.files.iter().filter(|(path, _)| in_folder(path, dir));
        self.synced
            .extend(names.map(|(path, bytes)| (path.clone(), bytes.clone())));
        Ok(())
    }
}

#[test]
fn the_sample_and_its_continuation_print_their_expected_output() {
    let state = state_file("resume");
    let first = gateway::run(&sample("sample.log"), &state, None)
        .unwrap()
        .output;
    assert_eq!(first, sample("sample.expected.jsonl"));
    assert!(state.exists(), "the state is saved");
    let second = gateway::run(&sample("sample-continued.log"), &state, None)
        .unwrap()
        .output;
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
    let first = gateway::run(&sample("sample.log"), &state, Some(21))
        .unwrap()
        .output;
    assert!(first.ends_with(
        "{\"at\":\"2026-11-28T09:12:07.000Z\",\"event\":\"powerCut\",\"user\":\"alice\",\"source\":\"198.51.100.4\"}\n"
    ));
    let second = gateway::run(&sample("sample-continued.log"), &state, None)
        .unwrap()
        .output;
    let lines: Vec<&str> = second.lines().collect();
    assert_eq!(
        lines[0],
        r#"{"event":"resumed","restoredAccounts":6,"recoveredBySource":1,"recoveredByUser":1}"#
    );
    // The lost verdict counted as alice's 8th failure. The resume came after the attempt's
    // timeout (300 s after 09:12:07), so it counted at 09:17:07 (behaviour §7.6): she has been
    // locked since then.
    assert_eq!(
        lines[2],
        r#"{"at":"2026-11-28T09:30:00.000Z","user":"alice","source":"10.0.0.7","result":"ok","decision":"rejected","reason":"locked","account":{"canAuthenticate":false,"lockedAt":"2026-11-28T09:17:07.000Z","secondsUntilUnlock":1027,"status":"LOCKED","unlockAt":"2026-11-28T09:47:07.000Z"}}"#
    );
    std::fs::remove_file(&state).unwrap();
}

#[test]
fn a_power_cut_after_the_in_flight_save_loses_no_mark_when_only_synced_names_survive() {
    let mut disk = MemoryDisk::default();
    let state = Path::new(MEMORY_STATE);
    gateway::run_with(&sample("sample.log"), state, Some(21), &mut disk).unwrap();
    disk.power_cut();
    let second = gateway::run_with(&sample("sample-continued.log"), state, None, &mut disk);
    assert_eq!(
        second.unwrap().output.lines().next(),
        Some(
            r#"{"event":"resumed","restoredAccounts":6,"recoveredBySource":1,"recoveredByUser":1}"#
        )
    );
    assert_eq!(
        disk.synced.keys().collect::<Vec<_>>(),
        [state],
        "only the state file, no temporary file, is left"
    );
}

#[test]
fn malformed_lines_are_refused_with_their_number_and_the_run_goes_on() {
    let state = state_file("malformed");
    let input = "2026-11-28T09:00:00Z alice 10.0.0.7 maybe\n# comment\n\nyesterday alice 10.0.0.7 ok\n2026-11-28T09:00:00Z alice\n";
    let run = gateway::run(input, &state, None).unwrap();
    assert_eq!(run.output, "");
    assert_eq!(run.refused.len(), 3, "{:?}", run.refused);
    assert_eq!(run.refused[0], "line 1: `maybe` is not ok or fail");
    assert!(run.refused[1].starts_with("line 4: "), "{:?}", run.refused);
    assert_eq!(run.refused[2], "line 5: expected `AT USER SOURCE ok|fail`");
    assert!(!state.exists(), "nothing was saved");
}

/// The refusal of input line `line` for want of a slot.
fn full(line: usize) -> String {
    format!("line {line}: the lockout table is full: the login is refused (fail closed)")
}

/// A run on `disk` of `users` × `sources` failures at 09:00, each user (`user0`, `user1`,
/// …) from each source (`192.0.2.0`, `192.0.2.1`, …), then of the lines `then`.
fn spray_then(disk: &mut MemoryDisk, users: usize, sources: usize, then: &str) -> gateway::Run {
    let mut input: String = (0..users)
        .flat_map(|user| (0..sources).map(move |source| (user, source)))
        .map(|(user, source)| format!("2026-11-28T09:00:00Z user{user} 192.0.2.{source} fail\n"))
        .collect();
    input.push_str(then);
    gateway::run_with(&input, Path::new(MEMORY_STATE), None, disk).unwrap()
}

#[test]
fn a_name_too_long_for_the_state_file_refuses_only_its_line() {
    let mut disk = MemoryDisk::default();
    let state = Path::new(MEMORY_STATE);
    let longest = "u".repeat(255);
    let input = format!(
        "2026-11-28T09:00:00Z {longest} 10.0.0.7 fail\n\
         2026-11-28T09:00:01Z {longest}u 10.0.0.7 fail\n\
         2026-11-28T09:00:02Z bob {}s fail\n\
         2026-11-28T09:00:03Z bob 10.0.0.9 fail\n",
        "s".repeat(255)
    );
    let first = gateway::run_with(&input, state, None, &mut disk).unwrap();
    assert_eq!(
        first.refused,
        [
            "line 2: the user name is 256 bytes long, more than the 255 the state file holds",
            "line 3: the source name is 256 bytes long, more than the 255 the state file holds",
        ]
    );
    let decided: Vec<&str> = first.output.lines().collect();
    assert_eq!(decided.len(), 2, "{}", first.output);
    assert!(decided[0].contains(&format!(r#""user":"{longest}""#)));
    assert!(decided[1].starts_with(r#"{"at":"2026-11-28T09:00:03.000Z","user":"bob""#));
    // The state was saved, and a later run resumes from it.
    let second = gateway::run_with(
        "2026-11-28T09:01:00Z bob 10.0.0.9 fail\n",
        state,
        None,
        &mut disk,
    )
    .unwrap();
    assert_eq!(
        second.output,
        concat!(
            r#"{"event":"resumed","restoredAccounts":4,"recoveredBySource":0,"recoveredByUser":0}"#,
            "\n",
            r#"{"at":"2026-11-28T09:01:00.000Z","user":"bob","source":"10.0.0.9","result":"fail","decision":"allowed","account":{"canAuthenticate":true,"status":"OK"},"failuresRemaining":1}"#,
            "\n"
        )
    );
    assert!(second.refused.is_empty());
}

#[test]
fn a_full_table_refuses_only_the_line_that_needs_a_slot() {
    let mut disk = MemoryDisk::default();
    let state = Path::new(MEMORY_STATE);
    // 1,024 users fill both tables; the 1,025th user finds no slot.
    let first = spray_then(
        &mut disk,
        1_025,
        1,
        "2026-11-28T09:00:01Z user0 192.0.2.0 ok\n",
    );
    assert_eq!(first.refused, [full(1025)]);
    assert_eq!(first.output.lines().count(), 1_025);
    assert_eq!(
        first.output.lines().last(),
        Some(
            r#"{"at":"2026-11-28T09:00:01.000Z","user":"user0","source":"192.0.2.0","result":"ok","decision":"allowed","account":{"canAuthenticate":true,"status":"OK"},"failuresRemaining":3}"#
        )
    );
    // user0's success freed its slots: the next run resumes, lets one new user in and
    // refuses the next.
    let later = "2026-11-28T09:00:02Z newcomer 192.0.2.0 fail\n\
                 2026-11-28T09:00:03Z latecomer 192.0.2.0 fail\n";
    let second = gateway::run_with(later, state, None, &mut disk).unwrap();
    let lines: Vec<&str> = second.output.lines().collect();
    assert_eq!(
        lines[0],
        r#"{"event":"resumed","restoredAccounts":2046,"recoveredBySource":0,"recoveredByUser":0}"#
    );
    assert!(lines[1].starts_with(r#"{"at":"2026-11-28T09:00:02.000Z","user":"newcomer""#));
    assert_eq!(lines.len(), 2);
    assert_eq!(second.refused, [full(2)]);
}

#[test]
fn source_slots_free_up_once_their_failures_decay() {
    let mut disk = MemoryDisk::default();
    let state = Path::new(MEMORY_STATE);
    // 256 users from 4 sources each fill the source table (the user table holds 256).
    // Five minutes later the failures still count; a second later they have decayed.
    let then = "2026-11-28T09:05:00Z newcomer 10.0.0.7 fail\n\
                2026-11-28T09:05:01Z newcomer 10.0.0.7 fail\n";
    let run = spray_then(&mut disk, 256, 4, then);
    assert_eq!(run.refused, [full(1025)]);
    assert_eq!(
        run.output.lines().last(),
        Some(
            r#"{"at":"2026-11-28T09:05:01.000Z","user":"newcomer","source":"10.0.0.7","result":"fail","decision":"allowed","account":{"canAuthenticate":true,"status":"OK"},"failuresRemaining":2}"#
        )
    );
    // Compaction dropped the 1,024 dormant source accounts: the state holds the newcomer's
    // and the 257 users'.
    let next = "2026-11-28T09:05:02Z newcomer 10.0.0.7 ok\n";
    let resumed = gateway::run_with(next, state, None, &mut disk).unwrap();
    assert!(
        resumed
            .output
            .starts_with(r#"{"event":"resumed","restoredAccounts":258,"#),
        "{}",
        resumed.output
    );
}

/// alice's source locks at 09:10:02 until 09:15:02; bob fails at 09:12.
const LOCKED_UNTIL_09_15_02: &str = "2026-11-28T09:10:00Z alice 203.0.113.9 fail
2026-11-28T09:10:01Z alice 203.0.113.9 fail
2026-11-28T09:10:02Z alice 203.0.113.9 fail
2026-11-28T09:12:00Z bob 10.0.0.9 fail
";

/// carol's line stamped 08:50, after 09:12 was seen, then alice's source at 09:13.
const EARLY_LINE_THEN_ALICE: &str = "2026-11-28T08:50:00Z carol 10.0.0.5 fail
2026-11-28T09:13:00Z alice 203.0.113.9 ok
";

/// alice's source at 09:13, still locked for 122 seconds.
const ALICE_STILL_LOCKED: &str = r#"{"at":"2026-11-28T09:13:00.000Z","user":"alice","source":"203.0.113.9","result":"ok","decision":"rejected","reason":"locked","account":{"canAuthenticate":false,"lockedAt":"2026-11-28T09:10:02.000Z","secondsUntilUnlock":122,"status":"LOCKED","unlockAt":"2026-11-28T09:15:02.000Z"}}"#;

/// carol's line of 08:50, decided at the high-water mark, 09:12.
const CAROL_AT_09_12: &str = r#"{"at":"2026-11-28T09:12:00.000Z","stampedAt":"2026-11-28T08:50:00.000Z","user":"carol","source":"10.0.0.5","result":"fail","decision":"allowed","account":{"canAuthenticate":true,"status":"OK"},"failuresRemaining":2}"#;

/// A run resumed after `LOCKED_UNTIL_09_15_02`.
const RESUMED_4: &str =
    r#"{"event":"resumed","restoredAccounts":4,"recoveredBySource":0,"recoveredByUser":0}"#;

#[test]
fn a_line_stamped_early_does_not_move_the_clock_back_nor_end_another_lock() {
    let mut disk = MemoryDisk::default();
    let input = format!("{LOCKED_UNTIL_09_15_02}{EARLY_LINE_THEN_ALICE}");
    let run = gateway::run_with(&input, Path::new(MEMORY_STATE), None, &mut disk).unwrap();
    let lines: Vec<&str> = run.output.lines().collect();
    assert_eq!(lines[4..], [CAROL_AT_09_12, ALICE_STILL_LOCKED]);
}

#[test]
fn a_resumed_run_keeps_the_high_water_mark_of_the_clock() {
    let mut disk = MemoryDisk::default();
    let state = Path::new(MEMORY_STATE);
    gateway::run_with(LOCKED_UNTIL_09_15_02, state, None, &mut disk).unwrap();
    let second = gateway::run_with(EARLY_LINE_THEN_ALICE, state, None, &mut disk).unwrap();
    assert_eq!(
        second.output,
        format!("{RESUMED_4}\n{CAROL_AT_09_12}\n{ALICE_STILL_LOCKED}\n")
    );
}

#[test]
fn a_state_file_of_the_first_format_without_the_high_water_mark_still_loads() {
    let mut disk = MemoryDisk::default();
    let state = Path::new(MEMORY_STATE);
    gateway::run_with(LOCKED_UNTIL_09_15_02, state, None, &mut disk).unwrap();
    let saved = disk.files.get_mut(state).unwrap();
    assert_eq!(&saved[..8], b"ALGATE2\n");
    // The first format: its magic, then the tables at once.
    saved.splice(..16, *b"ALGATE1\n");
    let next = "2026-11-28T09:13:00Z alice 203.0.113.9 ok\n";
    let second = gateway::run_with(next, state, None, &mut disk).unwrap();
    assert_eq!(
        second.output,
        format!("{RESUMED_4}\n{ALICE_STILL_LOCKED}\n")
    );
}

#[test]
fn help_describes_the_gateway_and_every_option_and_exits_0() {
    let (code, stdout, stderr) = fixtures::run_cli(gateway::cli, &["--help"], "");
    assert_eq!((code, stderr.as_str()), (0, ""));
    for wanted in [
        "An edge gateway's login loop",
        "--state <FILE>",
        "--cut-power-at <LINE>",
        "<INPUT>",
        "`-` reads standard input",
    ] {
        assert!(stdout.contains(wanted), "{wanted}: {stdout}");
    }
}

#[test]
fn unknown_flags_and_bad_line_numbers_are_usage_errors_exiting_2() {
    for args in [&["--bogus", "-"][..], &["--cut-power-at", "x", "-"]] {
        let (code, stdout, stderr) = fixtures::run_cli(gateway::cli, args, "");
        assert_eq!((code, stdout.as_str()), (2, ""), "{args:?}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    }
}

#[test]
fn the_sample_read_from_standard_input_prints_its_expected_output() {
    let state = state_file("stdin");
    let args = ["--state", state.to_str().unwrap(), "-"];
    let run = fixtures::run_cli(gateway::cli, &args, &sample("sample.log"));
    assert_eq!(run, (0, sample("sample.expected.jsonl"), String::new()));
    std::fs::remove_file(&state).unwrap();
}
