//! The edge-gateway example: its sample runs as the README says, a second run resumes
//! from the saved state, and a power cut mid-attempt loses no failure.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

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
    // The lost verdict counted as alice's 8th failure: she is locked from the resume on.
    assert_eq!(
        lines[2],
        r#"{"at":"2026-11-28T09:30:00.000Z","user":"alice","source":"10.0.0.7","result":"ok","decision":"rejected","reason":"locked","account":{"canAuthenticate":false,"lockedAt":"2026-11-28T09:30:00.000Z","secondsUntilUnlock":1800,"status":"LOCKED","unlockAt":"2026-11-28T10:00:00.000Z"}}"#
    );
    std::fs::remove_file(&state).unwrap();
}

#[test]
fn a_power_cut_after_the_in_flight_save_loses_no_mark_when_only_synced_names_survive() {
    let mut disk = MemoryDisk::default();
    let state = Path::new("/gateway/gw.state");
    gateway::run_with(&sample("sample.log"), state, Some(21), &mut disk).unwrap();
    disk.power_cut();
    let second = gateway::run_with(&sample("sample-continued.log"), state, None, &mut disk);
    assert_eq!(
        second.unwrap().lines().next(),
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
