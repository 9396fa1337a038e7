//! An edge gateway's login loop: two lockout tables, the power-loss-safe attempt protocol,
//! state saved after every change, and timer-driven unlocks reported as they happen.
//!
//! ```text
//! cargo run --example gateway -- examples/gateway/sample.log
//! cargo run --example gateway -- examples/gateway/sample-continued.log   # resumes
//! cargo run --example gateway -- --state /tmp/gw.state -                 # standard input
//! cargo run --example gateway -- --cut-power-at 21 examples/gateway/sample.log
//! cargo run --example gateway -- --help
//! ```
//!
//! Each input line is `AT USER SOURCE ok|fail` (`#` starts a comment). The gateway keys
//! one table by `(user, source)` — an attacker at one source cannot lock the user out at
//! another — and a second table by user alone, whose larger cap holds across all sources.
//! An attempt is allowed only if both allow it; the user's view is the fold of the two.
//!
//! For each attempt it begins the attempt in both tables, saves the state (to a temporary
//! file in the same folder, synced, renamed over the old one, then the folder synced),
//! applies the verdict and saves again. At start it loads the saved state and counts an
//! attempt left in flight by a crash as a failure. It prints one JSON line per decision
//! and per unlock that time alone caused. Time never moves back: a line stamped before
//! one already seen is taken at the latest instant seen, which the state keeps.
//!
//! A bad line is refused alone, on standard error with its number and the reason: a
//! malformed line, a name longer than the state file's 255 bytes, or a new key when a
//! table is full of accounts that hold information (the login is refused: fail closed).
//! The run goes on and exits 0; only an unreadable input or state file stops it (exit 2).
//!
//! `--cut-power-at LINE` simulates a power cut during the attempt on that input line,
//! after the state with the attempt in flight was saved: the next run counts it.

#[path = "common/cli.rs"]
mod cli;

use cli::{Input, Output};

use std::fs;
use std::hash::Hash;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use account_lockout::dialect::ActiveDirectory;
use account_lockout::{
    Account, AccountView, Decision, Instant, LockoutTable, Policy, Rejection, Transition, Verdict,
    parse_rfc3339,
};
use clap::Parser;
use serde::Serialize;

/// Per user and source: 3 failures, each within 5 minutes of the one before, lock that
/// source out for 5 minutes.
///
/// The count starts again after 5 quiet minutes, so an account whose source went quiet
/// becomes dormant and the table can give its slot to another (a count that never
/// decays, as PingOne's, would hold its slot for ever: a spray over many sources would
/// fill the table for good).
const PER_SOURCE: Policy = match (ActiveDirectory {
    lockout_threshold: 3,
    lockout_duration_seconds: 300,
    lockout_observation_window_seconds: 300,
})
.policy()
{
    Ok(policy) => policy,
    Err(_) => panic!("invalid per-source policy"),
};

/// Per user, across sources: 8 failures within 30 minutes lock the user for 30 minutes.
const PER_USER: Policy = match (ActiveDirectory {
    lockout_threshold: 8,
    lockout_duration_seconds: 1_800,
    lockout_observation_window_seconds: 1_800,
})
.policy()
{
    Ok(policy) => policy,
    Err(_) => panic!("invalid per-user policy"),
};

const SLOTS: usize = 1_024;
type SourceTable = LockoutTable<(String, String), SLOTS>;
type UserTable = LockoutTable<String, SLOTS>;

/// The file operations the state file needs: the disk, or a model of one in the tests.
pub trait Storage {
    /// The bytes of `path`; `None` when there is no such file.
    fn read(&mut self, path: &Path) -> io::Result<Option<Vec<u8>>>;
    /// Creates or truncates `path`, writes `bytes` and syncs them (not the name) to disk.
    fn write_synced(&mut self, path: &Path, bytes: &[u8]) -> io::Result<()>;
    /// Renames `from` over `to`, atomically.
    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()>;
    /// Syncs the folder `dir`: its names (a rename among them) reach the disk.
    fn sync_dir(&mut self, dir: &Path) -> io::Result<()>;
}

/// The real file system.
pub struct Disk;

impl Storage for Disk {
    fn read(&mut self, path: &Path) -> io::Result<Option<Vec<u8>>> {
        match fs::read(path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }
    fn write_synced(&mut self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let mut file = fs::File::create(path)?;
        file.write_all(bytes)?;
        file.sync_all()
    }
    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }
    fn sync_dir(&mut self, dir: &Path) -> io::Result<()> {
        fs::File::open(dir)?.sync_all()
    }
}

/// The folder that holds `path` (`.` for a bare file name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// The two tables and where they are saved.
struct Gateway<'s> {
    /// The latest instant seen, which the tables are fed in place of any earlier one.
    ///
    /// Time never moves back for the tables: each table-wide call (reporting unlocks,
    /// compacting) observes its `now` for every account, and an account that observes an
    /// earlier instant shifts its timers back with it. One early-stamped log line (another
    /// source's skewed clock) would then end a lock of another source early, or count an
    /// old failure again. So each line is taken at `max(high-water mark, its stamp)`, and
    /// the mark is saved with the state, so that a resumed run keeps it.
    clock: Instant,
    by_source: SourceTable,
    by_user: UserTable,
    state: PathBuf,
    storage: &'s mut dyn Storage,
}

/// The state file: this magic, the clock's high-water mark (milliseconds, `i64` little
/// endian), then the two tables.
const STATE_MAGIC: &[u8; 8] = b"ALGATE2\n";
/// The first format, without the high-water mark; still read.
const STATE_MAGIC_V1: &[u8; 8] = b"ALGATE1\n";

fn push_text(out: &mut Vec<u8>, text: &str) -> Result<(), String> {
    let len = u8::try_from(text.len()).map_err(|_| format!("name too long: {text}"))?;
    out.push(len);
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

fn push_account<const R: usize, const M: usize>(out: &mut Vec<u8>, account: &Account<R, M>) {
    let mut buffer = vec![0; Account::<R, M>::MAX_ENCODED_LEN];
    // The buffer has the maximum length, so encoding cannot fail.
    let len = account.encode(&mut buffer).unwrap_or(0);
    out.extend_from_slice(&(len as u16).to_le_bytes());
    out.extend_from_slice(&buffer[..len]);
}

/// Reads the saved state's framing; the accounts inside are the library's binary format.
struct StateReader<'a> {
    bytes: &'a [u8],
}

impl StateReader<'_> {
    fn take(&mut self, len: usize) -> Result<&[u8], String> {
        if self.bytes.len() < len {
            return Err("the state file is truncated".into());
        }
        let (head, tail) = self.bytes.split_at(len);
        self.bytes = tail;
        Ok(head)
    }
    fn instant(&mut self) -> Result<Instant, String> {
        let bytes = self.take(8)?;
        let mut millis = [0; 8];
        millis.copy_from_slice(bytes);
        Ok(Instant::from_millis(i64::from_le_bytes(millis)))
    }
    fn count(&mut self) -> Result<usize, String> {
        let bytes = self.take(4)?;
        Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize)
    }
    fn text(&mut self) -> Result<String, String> {
        let len = self.take(1)?[0] as usize;
        String::from_utf8(self.take(len)?.to_vec()).map_err(|_| "a name is not UTF-8".into())
    }
    fn account(&mut self, policy: &Policy) -> Result<Account, String> {
        let len = self.take(2)?;
        let len = u16::from_le_bytes([len[0], len[1]]) as usize;
        Account::decode(self.take(len)?, policy).map_err(|error| error.to_string())
    }
}

impl<'s> Gateway<'s> {
    fn new(state: PathBuf, storage: &'s mut dyn Storage) -> Gateway<'s> {
        Gateway {
            clock: Instant::MIN,
            by_source: SourceTable::new(),
            by_user: UserTable::new(),
            state,
            storage,
        }
    }

    /// Writes both tables to a temporary file in the state's folder and syncs it, renames
    /// it over the state file, then syncs the folder. A crash leaves either the old state
    /// or the new one, never half of one; and once `save` returns, the new state survives
    /// a power cut (without syncing the folder, the rename itself could be lost, and with
    /// it the mark of an attempt in flight).
    fn save(&mut self) -> Result<(), String> {
        let mut out = STATE_MAGIC.to_vec();
        out.extend_from_slice(&self.clock.as_millis().to_le_bytes());
        out.extend_from_slice(&(self.by_source.len() as u32).to_le_bytes());
        for ((user, source), account) in self.by_source.iter() {
            push_text(&mut out, user)?;
            push_text(&mut out, source)?;
            push_account(&mut out, account);
        }
        out.extend_from_slice(&(self.by_user.len() as u32).to_le_bytes());
        for (user, account) in self.by_user.iter() {
            push_text(&mut out, user)?;
            push_account(&mut out, account);
        }
        let temporary = self.state.with_extension("tmp");
        let storage = &mut *self.storage;
        storage
            .write_synced(&temporary, &out)
            .and_then(|()| storage.rename(&temporary, &self.state))
            .and_then(|()| storage.sync_dir(folder_of(&self.state)))
            .map_err(|error| format!("saving {}: {error}", self.state.display()))
    }

    /// The clock at an input line stamped `at`: the high-water mark, moved up to `at`.
    fn advance(&mut self, at: Instant) -> Instant {
        self.clock = self.clock.max(at);
        self.clock
    }

    /// Loads the saved state, if any, with its clock, then advances the clock to `first`
    /// (the first line's stamp); returns how many accounts it restored.
    fn load(&mut self, first: Instant) -> Result<usize, String> {
        let bytes = match self.storage.read(&self.state) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                self.advance(first);
                return Ok(0);
            }
            Err(error) => return Err(format!("reading {}: {error}", self.state.display())),
        };
        let mut reader = StateReader { bytes: &bytes };
        match reader.take(STATE_MAGIC.len())? {
            magic if magic == STATE_MAGIC => self.clock = reader.instant()?,
            magic if magic == STATE_MAGIC_V1 => {}
            _ => {
                return Err(format!(
                    "{} is not a gateway state file",
                    self.state.display()
                ));
            }
        }
        let now = self.advance(first);
        let full = || "the saved state does not fit the table".to_string();
        let mut restored = 0;
        for _ in 0..reader.count()? {
            let key = (reader.text()?, reader.text()?);
            let account = reader.account(&PER_SOURCE)?;
            self.by_source
                .restore(&PER_SOURCE, key, now, account)
                .map_err(|_| full())?;
            restored += 1;
        }
        for _ in 0..reader.count()? {
            let key = reader.text()?;
            let account = reader.account(&PER_USER)?;
            self.by_user
                .restore(&PER_USER, key, now, account)
                .map_err(|_| full())?;
            restored += 1;
        }
        Ok(restored)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DecisionLine<'a> {
    /// When the gateway decided: the line's stamp, or the clock's high-water mark.
    at: String,
    /// The line's stamp, when it was earlier than the high-water mark.
    #[serde(skip_serializing_if = "Option::is_none")]
    stamped_at: Option<String>,
    user: &'a str,
    source: &'a str,
    result: &'a str,
    decision: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    account: AccountView,
    #[serde(skip_serializing_if = "Option::is_none")]
    failures_remaining: Option<u32>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UnlockLine<'a> {
    at: String,
    event: &'static str,
    user: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResumeLine {
    event: &'static str,
    restored_accounts: usize,
    /// Attempts a crash left in flight, now counted as failures, per table.
    recovered_by_source: usize,
    recovered_by_user: usize,
}

fn json<T: Serialize>(out: &mut String, line: &T) -> Result<(), String> {
    out.push_str(&serde_json::to_string(line).map_err(|error| error.to_string())?);
    out.push('\n');
    Ok(())
}

/// Reports every unlock that time alone caused up to `now`, with the instant it happened.
fn report_unlocks(gateway: &mut Gateway, now: Instant, out: &mut String) -> Result<bool, String> {
    let mut any = false;
    while let Some(((user, source), Transition::Unlocked { at, .. })) =
        gateway.by_source.poll(&PER_SOURCE, now)
    {
        let line = UnlockLine {
            at: at.to_string(),
            event: "sourceUnlocked",
            user: &user,
            source: Some(&source),
        };
        json(out, &line)?;
        any = true;
    }
    while let Some((user, Transition::Unlocked { at, .. })) = gateway.by_user.poll(&PER_USER, now) {
        json(
            out,
            &UnlockLine {
                at: at.to_string(),
                event: "userUnlocked",
                user: &user,
                source: None,
            },
        )?;
        any = true;
    }
    Ok(any)
}

/// What became of an attempt.
enum Ended {
    Finished,
    /// The power was cut after the in-flight state was saved: the run stops there.
    PowerCut,
    /// The line was refused, for this reason; nothing changed.
    Refused(&'static str),
}

/// Whether `key` has a slot in `table` or can have one, compacting a full table at `now`
/// (dormant accounts give their slots up). Asked of both tables before the attempt begins
/// in either, so that a refused line leaves no attempt in flight.
fn has_room<K: Hash + Eq>(
    table: &mut LockoutTable<K, SLOTS>,
    policy: &Policy,
    now: Instant,
    key: &K,
) -> bool {
    table.get(key).is_some() || table.len() < table.capacity() || table.compact(policy, now) > 0
}

/// One attempt, through the power-loss-safe protocol in both tables, at the gateway's
/// clock (the line's stamp is only reported).
fn attempt(
    gateway: &mut Gateway,
    (stamped, user, source, ok): (Instant, &str, &str, bool),
    cut_power: bool,
    out: &mut String,
) -> Result<Ended, String> {
    let at = gateway.clock;
    let source_key = (user.to_string(), source.to_string());
    let by_source = gateway.by_source.check(&PER_SOURCE, &source_key, at);
    let by_user = gateway.by_user.check(&PER_USER, &user.to_string(), at);
    let rejection = [by_source.decision(), by_user.decision()]
        .into_iter()
        .find_map(|decision| match decision {
            Some(Decision::Rejected(rejection)) => Some(rejection),
            _ => None,
        });
    if rejection.is_none() {
        if !has_room(&mut gateway.by_source, &PER_SOURCE, at, &source_key)
            || !has_room(&mut gateway.by_user, &PER_USER, at, &user.to_string())
        {
            return Ok(Ended::Refused(
                "the lockout table is full: the login is refused (fail closed)",
            ));
        }
        // Both keys have a slot: beginning cannot find a table full.
        let source_token = gateway
            .by_source
            .begin_attempt(&PER_SOURCE, source_key.clone(), at)
            .map_err(|error| error.to_string())?
            .token;
        let user_token = gateway
            .by_user
            .begin_attempt(&PER_USER, user.to_string(), at)
            .map_err(|error| error.to_string())?
            .token;
        gateway.save()?; // the failure is recorded before the credential is checked
        if cut_power {
            json(
                out,
                &UnlockLine {
                    at: at.to_string(),
                    event: "powerCut",
                    user,
                    source: Some(source),
                },
            )?;
            return Ok(Ended::PowerCut);
        }
        let verdict = if ok {
            Verdict::Success
        } else {
            Verdict::Failure { credential: None }
        };
        if let Some(token) = source_token {
            let _ = gateway
                .by_source
                .finish_attempt(&PER_SOURCE, source_key.clone(), at, token, verdict)
                .map_err(|error| error.to_string())?;
        }
        if let Some(token) = user_token {
            let _ = gateway
                .by_user
                .finish_attempt(&PER_USER, user.to_string(), at, token, verdict)
                .map_err(|error| error.to_string())?;
        }
        gateway.save()?;
    }
    let view = AccountView::fold(
        gateway.by_source.view(&source_key, at),
        gateway.by_user.view(&user.to_string(), at),
    );
    let remaining = [
        gateway
            .by_source
            .failures_remaining(&PER_SOURCE, &source_key, at),
        gateway
            .by_user
            .failures_remaining(&PER_USER, &user.to_string(), at),
    ]
    .into_iter()
    .flatten()
    .min();
    let line = DecisionLine {
        at: at.to_string(),
        stamped_at: (stamped < at).then(|| stamped.to_string()),
        user,
        source,
        result: if ok { "ok" } else { "fail" },
        decision: if rejection.is_some() {
            "rejected"
        } else {
            "allowed"
        },
        reason: rejection.map(Rejection::as_str),
        account: view,
        failures_remaining: if view.can_authenticate {
            remaining
        } else {
            None
        },
    };
    json(out, &line)?;
    Ok(Ended::Finished)
}

/// What a run printed.
#[derive(Debug)]
pub struct Run {
    /// The JSON lines, one per decision, unlock, resume or power cut.
    pub output: String,
    /// The refused input lines, in order, as `line N: reason`.
    pub refused: Vec<String>,
}

/// The longest user or source name: the state file gives a name's length one byte.
const MAX_NAME_LEN: usize = u8::MAX as usize;

/// One input line: `None` for a blank or comment line, the reason it is refused for a
/// malformed one.
fn parse_line(line: &str) -> Result<Option<(Instant, &str, &str, bool)>, String> {
    let line = line.split('#').next().unwrap_or("").trim();
    if line.is_empty() {
        return Ok(None);
    }
    let fields: Vec<&str> = line.split_whitespace().collect();
    let [at, user, source, result] = fields[..] else {
        return Err("expected `AT USER SOURCE ok|fail`".into());
    };
    let at = parse_rfc3339(at).map_err(|error| error.to_string())?;
    for (what, name) in [("user", user), ("source", source)] {
        if name.len() > MAX_NAME_LEN {
            return Err(format!(
                "the {what} name is {} bytes long, more than the {MAX_NAME_LEN} the state file holds",
                name.len()
            ));
        }
    }
    let ok = match result {
        "ok" => true,
        "fail" => false,
        other => return Err(format!("`{other}` is not ok or fail")),
    };
    Ok(Some((at, user, source, ok)))
}

/// Runs the gateway over `input` with its state in `state`. With `cut_power_at`, the
/// power is cut during the attempt on that input line, right after the state with the
/// attempt in flight is saved.
///
/// A line that is malformed, names a user or source too long for the state file, or
/// needs a slot in a full table is refused alone: the run goes on. An error is what stops
/// the whole run: the state file cannot be read or written.
pub fn run(input: &str, state: &Path, cut_power_at: Option<usize>) -> Result<Run, String> {
    run_with(input, state, cut_power_at, &mut Disk)
}

/// [`run`] with the state on `storage`.
pub fn run_with(
    input: &str,
    state: &Path,
    cut_power_at: Option<usize>,
    storage: &mut dyn Storage,
) -> Result<Run, String> {
    let mut lines = Vec::new();
    let mut refused = Vec::new();
    for (number, line) in (1..).zip(input.lines()) {
        match parse_line(line) {
            Ok(Some(line)) => lines.push((number, line)),
            Ok(None) => {}
            Err(reason) => refused.push((number, reason)),
        }
    }

    let mut gateway = Gateway::new(state.to_path_buf(), storage);
    let mut out = String::new();
    if let Some(&(_, (first, ..))) = lines.first() {
        let restored = gateway.load(first)?;
        if restored > 0 {
            let now = gateway.clock;
            let by_source = gateway.by_source.recover(&PER_SOURCE, now);
            let by_user = gateway.by_user.recover(&PER_USER, now);
            json(
                &mut out,
                &ResumeLine {
                    event: "resumed",
                    restored_accounts: restored,
                    recovered_by_source: by_source.map_err(|error| error.to_string())?,
                    recovered_by_user: by_user.map_err(|error| error.to_string())?,
                },
            )?;
            gateway.save()?;
        }
    }
    for (number, line) in lines {
        let now = gateway.advance(line.0);
        if report_unlocks(&mut gateway, now, &mut out)? {
            gateway.save()?;
        }
        let cut_power = cut_power_at == Some(number);
        match attempt(&mut gateway, line, cut_power, &mut out)? {
            Ended::Finished => {}
            Ended::PowerCut => break,
            Ended::Refused(reason) => refused.push((number, reason.to_string())),
        }
    }
    refused.sort();
    Ok(Run {
        output: out,
        refused: refused
            .into_iter()
            .map(|(number, reason)| format!("line {number}: {reason}"))
            .collect(),
    })
}

/// An edge gateway's login loop. Reads login attempts, one a line: `AT USER SOURCE
/// ok|fail` (`#` starts a comment). Two lockout tables decide each attempt: one per user
/// and source (3 failures lock that source out for 5 minutes) and one per user across
/// sources (8 failures lock the user for 30 minutes). Prints a JSON line per decision and
/// per unlock that time alone caused; saves its state after every change and resumes from
/// it, counting an attempt a crash left in flight as a failure. A refused line is reported
/// on standard error and the run goes on (exit 0); an unreadable input or state file
/// stops it (exit 2).
#[derive(Parser)]
#[command(name = "gateway", version)]
struct Args {
    /// The state file, written after every change and resumed from at start.
    #[arg(long, value_name = "FILE", default_value = "gateway.state")]
    state: PathBuf,
    /// Cuts the power during the attempt on input line LINE, once the state with the
    /// attempt in flight is saved: the next run counts it as a failure.
    #[arg(long, value_name = "LINE")]
    cut_power_at: Option<usize>,
    /// The login attempts; `-` reads standard input.
    #[arg(value_name = "INPUT")]
    input: String,
}

/// The command line: `gateway [--state FILE] [--cut-power-at LINE] INPUT` (`-` for
/// standard input). Returns the exit status.
pub fn cli(args: &[String], stdin: Input, stdout: Output, stderr: Output) -> u8 {
    let args = match cli::parse::<Args>(args, stdout, stderr) {
        Ok(args) => args,
        Err(status) => return status,
    };
    let result = cli::read_input(&args.input, stdin)
        .map_err(|error| format!("{}: {error}", args.input))
        .and_then(|text| run(&text, &args.state, args.cut_power_at));
    // A failed write to standard error leaves nothing better to do than the exit status.
    match result {
        Ok(run) => {
            let status = cli::write_output("gateway", &run.output, stdout, stderr);
            for refusal in run.refused {
                let _ = writeln!(stderr, "gateway: {refusal}");
            }
            status
        }
        Err(message) => {
            let _ = writeln!(stderr, "gateway: {message}");
            2
        }
    }
}

fn main() -> ExitCode {
    cli::main(cli)
}
