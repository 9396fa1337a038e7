//! The scenario simulator (behaviour §6): replays a JSON scenario through the library and
//! prints one JSON line per event.
//!
//! ```text
//! cargo run --example simulate -- examples/scenarios/pingone.json
//! cargo run --example simulate -- - < examples/scenarios/pingone.json
//! cargo run --example simulate -- --help
//! ```
//!
//! It only parses, calls the library and prints: every lockout rule lives in the crate.
//! A malformed file, an unknown dialect or an invalid policy prints one line on standard
//! error and exits with status 2, with nothing on standard output.

#[path = "common/cli.rs"]
mod cli;

use cli::{Input, Output};

use std::collections::HashMap;
use std::process::ExitCode;

use account_lockout::{
    AccountEvents, AccountView, AttemptToken, Decision, ErrorCode, Fingerprint, FingerprintKey,
    Instant, MAX_ATTEMPTS_IN_FLIGHT, MAX_CREDENTIAL_MEMORY, MAX_RECORDED_FAILURES, MfaAccount,
    MfaPolicy, Operation, Outcome, PatchDocument, Transitions, Verdict, parse_rfc3339,
};
use clap::Parser;
use serde::{Deserialize, Serialize};

/// The simulator's fingerprint key: fixed, so that a scenario replays the same on every
/// run and machine, and public, so it protects nothing. A deployment draws its own secret
/// key at random and keeps it out of the stored states.
const SIMULATOR_KEY: FingerprintKey = FingerprintKey::new(*b"simulator-key-16");

/// The biggest account the crate offers, so that every policy fits. Every dialect runs
/// on the folded account of behaviour §7.3: without an `mfa` member its MFA source stays
/// empty, and it is the plain account.
type SimulatedAccount =
    MfaAccount<MAX_RECORDED_FAILURES, MAX_CREDENTIAL_MEMORY, MAX_ATTEMPTS_IN_FLIGHT>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    policy: MfaPolicy,
    events: Vec<EventInput>,
}

/// The policy's keys, read in a second pass over a file that parsed: the PingOne unlock
/// actions and their events belong to the `pingone` dialect.
#[derive(Deserialize)]
struct PolicyKeys {
    policy: HashMap<String, serde::de::IgnoredAny>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
enum Kind {
    Failure,
    Success,
    Check,
    Unlock,
    Lock,
    Patch,
    Begin,
    Finish,
    Recover,
    MfaFailure,
    MfaSuccess,
    UnlockPassword,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
enum VerdictForm {
    Success,
    Failure,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct EventInput {
    at: String,
    event: Kind,
    #[serde(default)]
    credential: Option<String>,
    #[serde(default)]
    unlock_at: Option<String>,
    #[serde(default)]
    account: Option<PatchDocument>,
    /// The file's name for an attempt (`begin`, `finish`).
    #[serde(default)]
    attempt: Option<String>,
    #[serde(default)]
    verdict: Option<VerdictForm>,
}

/// An event ready to apply, or an operation refused while reading its input.
enum Step {
    Apply(Operation),
    Begin(String),
    Finish(String, Verdict),
    Recover,
    MfaFailure,
    MfaSuccess,
    UnlockPassword,
    Refused(ErrorOutput),
}

#[derive(Serialize)]
struct ErrorOutput {
    code: &'static str,
    message: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Line {
    at: String,
    event: &'static str,
    account: AccountView,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorOutput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    decision: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seconds_until_retry: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failures_remaining: Option<u32>,
    #[serde(skip_serializing_if = "Transitions::is_empty")]
    transitions: Transitions,
    /// PingOne's events, on every `pingone` unlock and password unlock line.
    #[serde(skip_serializing_if = "Option::is_none")]
    events: Option<AccountEvents>,
}

/// What the policy offers the events: PingOne's actions, and an MFA source.
#[derive(Clone, Copy)]
struct Dialect {
    pingone: bool,
    mfa: bool,
}

/// Reads every event before applying any, so a malformed file prints nothing.
fn prepare(index: usize, input: EventInput, dialect: Dialect) -> Result<(Instant, Step), String> {
    let at = parse_rfc3339(&input.at).map_err(|error| format!("events[{index}].at: {error}"))?;
    if matches!(input.event, Kind::MfaFailure | Kind::MfaSuccess) && !dialect.mfa {
        return Err(format!(
            "events[{index}]: an MFA event needs a policy with pingone.mfa"
        ));
    }
    if input.event == Kind::UnlockPassword && !dialect.pingone {
        return Err(format!(
            "events[{index}]: unlockPassword is PingOne's password unlock; the policy's dialect is not pingone"
        ));
    }
    let misplaced = |field: &str| format!("events[{index}]: `{field}` does not go with this event");
    let finishes_a_failure =
        input.event == Kind::Finish && input.verdict == Some(VerdictForm::Failure);
    if input.credential.is_some() && input.event != Kind::Failure && !finishes_a_failure {
        return Err(misplaced("credential"));
    }
    if input.attempt.is_some() && !matches!(input.event, Kind::Begin | Kind::Finish) {
        return Err(misplaced("attempt"));
    }
    if input.verdict.is_some() && input.event != Kind::Finish {
        return Err(misplaced("verdict"));
    }
    let credential = input
        .credential
        .map(|text| Fingerprint::keyed(&SIMULATOR_KEY, text.as_bytes()));
    let attempt = |input: Option<String>| {
        input.ok_or_else(|| {
            format!("events[{index}]: a begin or finish event needs an `attempt` name")
        })
    };
    if input.unlock_at.is_some() && input.event != Kind::Lock {
        return Err(misplaced("unlockAt"));
    }
    if input.account.is_some() && input.event != Kind::Patch {
        return Err(misplaced("account"));
    }
    let step = match input.event {
        Kind::Failure => Step::Apply(Operation::Failure { credential }),
        Kind::Begin => Step::Begin(attempt(input.attempt)?),
        Kind::Finish => {
            let verdict = match input.verdict {
                Some(VerdictForm::Success) => Verdict::Success,
                Some(VerdictForm::Failure) => Verdict::Failure { credential },
                None => {
                    return Err(format!(
                        "events[{index}]: a finish event needs a `verdict` (success or failure)"
                    ));
                }
            };
            Step::Finish(attempt(input.attempt)?, verdict)
        }
        Kind::Recover => Step::Recover,
        Kind::MfaFailure => Step::MfaFailure,
        Kind::MfaSuccess => Step::MfaSuccess,
        Kind::UnlockPassword => Step::UnlockPassword,
        Kind::Success => Step::Apply(Operation::Success),
        Kind::Check => Step::Apply(Operation::Check),
        Kind::Unlock => Step::Apply(Operation::Unlock),
        Kind::Lock => match input.unlock_at.as_deref().map(parse_rfc3339) {
            None => Step::Apply(Operation::Lock { until: None }),
            Some(Ok(until)) => Step::Apply(Operation::Lock { until: Some(until) }),
            Some(Err(error)) => Step::Refused(ErrorOutput {
                code: account_lockout::ErrorCode::InvalidValue.as_str(),
                message: format!("unlockAt: {error}"),
            }),
        },
        Kind::Patch => match input.account {
            Some(document) => match document.into_patch() {
                Ok(patch) => Step::Apply(Operation::Patch(patch)),
                Err(error) => Step::Refused(ErrorOutput {
                    code: error.code.as_str(),
                    message: error.to_string(),
                }),
            },
            None => {
                return Err(format!(
                    "events[{index}]: a patch event needs an `account` object"
                ));
            }
        },
    };
    Ok((at, step))
}

fn event_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Failure => "failure",
        Kind::Success => "success",
        Kind::Check => "check",
        Kind::Unlock => "unlock",
        Kind::Lock => "lock",
        Kind::Patch => "patch",
        Kind::Begin => "begin",
        Kind::Finish => "finish",
        Kind::Recover => "recover",
        Kind::MfaFailure => "mfaFailure",
        Kind::MfaSuccess => "mfaSuccess",
        Kind::UnlockPassword => "unlockPassword",
    }
}

/// A refusal with its code and message.
fn refused(code: ErrorCode, message: impl ToString) -> ErrorOutput {
    ErrorOutput {
        code: code.as_str(),
        message: message.to_string(),
    }
}

/// The account and the file's names for the tokens of the attempts it began.
struct Simulation {
    policy: MfaPolicy,
    account: SimulatedAccount,
    attempts: HashMap<String, AttemptToken>,
    /// PingOne's events of the latest unlock action.
    events: Option<AccountEvents>,
}

impl Simulation {
    /// Applies one step: its outcome, or the refusal of behaviour §4/§7.4.
    fn apply(&mut self, at: Instant, step: Step) -> Result<Outcome, ErrorOutput> {
        let policy = &self.policy;
        self.events = None;
        match step {
            Step::Refused(error) => Err(error),
            Step::Apply(Operation::Unlock) => {
                let unlocked = self.account.unlock(policy, at);
                self.events = Some(unlocked.events);
                Ok(unlocked.outcome)
            }
            Step::UnlockPassword => {
                let unlocked = self.account.unlock_password(policy, at);
                self.events = Some(unlocked.events);
                Ok(unlocked.outcome)
            }
            Step::MfaFailure => self
                .account
                .mfa_failure(policy, at)
                .map_err(|error| refused(ErrorCode::InvalidValue, error)),
            Step::MfaSuccess => self
                .account
                .mfa_success(policy, at)
                .map_err(|error| refused(ErrorCode::InvalidValue, error)),
            Step::Apply(operation) => self
                .account
                .apply(policy, at, operation)
                .map_err(|error| refused(error.code(), error)),
            Step::Begin(name) => {
                let in_flight = self.attempts.get(&name).is_some_and(|token| {
                    self.account
                        .password()
                        .attempt_tokens()
                        .any(|other| other == *token)
                });
                if in_flight {
                    return Err(refused(
                        ErrorCode::InvalidValue,
                        format_args!("attempt `{name}` is already in flight"),
                    ));
                }
                let start = self
                    .account
                    .begin_attempt(policy, at)
                    .map_err(|error| refused(error.code(), error))?;
                if let Some(token) = start.token {
                    self.attempts.insert(name, token);
                }
                Ok(start.outcome)
            }
            Step::Finish(name, verdict) => {
                let Some(token) = self.attempts.get(&name) else {
                    return Err(refused(
                        ErrorCode::UnknownAttempt,
                        format_args!("attempt `{name}` was never begun"),
                    ));
                };
                self.account
                    .finish_attempt(policy, at, *token, verdict)
                    .map_err(|error| {
                        refused(error.code(), format_args!("attempt `{name}`: {error}"))
                    })
            }
            Step::Recover => self
                .account
                .recover(policy, at)
                .map_err(|error| refused(error.code(), error)),
        }
    }
}

/// Runs a scenario and returns the output lines, or the one-line error of behaviour §6.
pub fn run(input: &str) -> Result<String, String> {
    let scenario: Scenario = serde_json::from_str(input).map_err(|error| error.to_string())?;
    let keys: PolicyKeys = serde_json::from_str(input).map_err(|error| error.to_string())?;
    let dialect = Dialect {
        pingone: keys.policy.contains_key("pingone"),
        mfa: scenario.policy.mfa().is_some(),
    };
    let mut steps = Vec::with_capacity(scenario.events.len());
    for (index, event) in scenario.events.into_iter().enumerate() {
        let kind = event.event;
        let (at, step) = prepare(index, event, dialect)?;
        steps.push((kind, at, step));
    }

    let mut simulation = Simulation {
        policy: scenario.policy,
        account: SimulatedAccount::new(),
        attempts: HashMap::new(),
        events: None,
    };
    let mut output = String::new();
    for (kind, at, step) in steps {
        let (outcome, error) = match simulation.apply(at, step) {
            Ok(outcome) => (Some(outcome), None),
            Err(error) => (None, Some(error)),
        };
        let decision = outcome.and_then(|outcome| outcome.decision());
        let line = Line {
            at: at.to_rfc3339().to_string(),
            event: event_name(kind),
            account: simulation.account.view_with(&simulation.policy, at),
            error,
            decision: decision.map(|decision| match decision {
                Decision::Allowed => "allowed",
                Decision::Rejected(_) => "rejected",
            }),
            reason: match decision {
                Some(Decision::Rejected(rejection)) => Some(rejection.as_str()),
                _ => None,
            },
            seconds_until_retry: match decision {
                Some(Decision::Rejected(rejection)) => {
                    rejection.unlock_in(at).map(|wait| wait.as_secs_ceil())
                }
                _ => None,
            },
            // Asked of the account after the event, as a host would.
            failures_remaining: outcome.and_then(|_| {
                simulation
                    .account
                    .failures_remaining(&simulation.policy, at)
            }),
            transitions: outcome
                .map(|outcome| outcome.transitions())
                .unwrap_or_default(),
            events: simulation.events.filter(|_| dialect.pingone),
        };
        let text = serde_json::to_string(&line).map_err(|error| error.to_string())?;
        output.push_str(&text);
        output.push('\n');
    }
    Ok(output)
}

/// Replays a JSON scenario (a policy and its events, behaviour §6) through the
/// account-lockout library and prints one JSON line per event: the account's view, the
/// decision and its reason, the transitions, or the refusal of an operation. A malformed
/// file, an unknown dialect or an invalid policy prints one line on standard error and
/// exits with status 2, with nothing on standard output.
#[derive(Parser)]
#[command(name = "simulate", version)]
struct Args {
    /// The scenario: a JSON file with `policy` and `events`; `-` reads standard input.
    #[arg(value_name = "FILE")]
    file: String,
}

/// The command line: `simulate FILE` (`-` for standard input). Returns the exit status.
pub fn cli(args: &[String], stdin: Input, stdout: Output, stderr: Output) -> u8 {
    let path = match cli::parse::<Args>(args, stdout, stderr) {
        Ok(args) => args.file,
        Err(status) => return status,
    };
    let result = cli::read_input(&path, stdin)
        .map_err(|error| error.to_string())
        .and_then(|input| run(&input));
    match result {
        Ok(output) => cli::write_output("simulate", &output, stdout, stderr),
        Err(message) => {
            // A failed write to standard error leaves nothing better to do than the status.
            let _ = writeln!(stderr, "simulate: {path}: {message}");
            2
        }
    }
}

fn main() -> ExitCode {
    cli::main(cli)
}
