//! The host's console through semihosting: one JSON line per step on standard output
//! (what .ci/firmware compares with `expected.jsonl`), notes on standard error.

use core::fmt::{self, Write};

use account_lockout::{AccountView, Decision, Instant};
use cortex_m_semihosting::hio;

/// The longest line: the view's JSON and room for the step's own fields.
const LINE_LEN: usize = AccountView::MAX_JSON_LEN + 192;

/// What a step adds to its line, besides its name, time, failures remaining and view.
pub enum Detail {
    /// Nothing: a step that is not an attempt.
    None,
    /// An attempt's decision (and the reason of a rejection).
    Decision(Decision),
    /// A lock ended by itself, at this instant (reported by `poll`).
    Unlocked(Instant),
    /// A boot: the accounts read back from flash, and the attempts in flight that
    /// `recover` counted as failures.
    Boot {
        /// Accounts restored from flash.
        restored: usize,
        /// Attempts in flight recovered.
        recovered: usize,
    },
}

/// A line built on the stack, so that it reaches the host in one write.
struct Line {
    bytes: [u8; LINE_LEN],
    len: usize,
}

impl Write for Line {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let end = self.len.checked_add(text.len()).ok_or(fmt::Error)?;
        let target = self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?;
        target.copy_from_slice(text.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// The host refused a write, or a line did not fit its buffer.
#[derive(Debug)]
pub struct ConsoleError;

/// Prints one step's JSON line on the host's standard output:
/// `{"step":…,"at":…,[detail,]"failuresRemaining":…,"view":{…}}`, the view as
/// `AccountView::write_json` writes it.
pub fn step(
    name: &str,
    now: Instant,
    detail: &Detail,
    failures_remaining: Option<u32>,
    view: &AccountView,
) -> Result<(), ConsoleError> {
    let mut line = Line {
        bytes: [0; LINE_LEN],
        len: 0,
    };
    write_fields(&mut line, name, now, detail, failures_remaining).map_err(|_| ConsoleError)?;
    let mut json = [0_u8; AccountView::MAX_JSON_LEN];
    let len = view.write_json(&mut json).map_err(|_| ConsoleError)?;
    let json = json.get(..len).ok_or(ConsoleError)?;
    let json = core::str::from_utf8(json).map_err(|_| ConsoleError)?;
    writeln!(line, "{json}}}").map_err(|_| ConsoleError)?;
    let bytes = line.bytes.get(..line.len).ok_or(ConsoleError)?;
    hio::hstdout()
        .and_then(|mut out| out.write_all(bytes))
        .map_err(|()| ConsoleError)
}

/// The fields before the view.
fn write_fields(
    line: &mut Line,
    name: &str,
    now: Instant,
    detail: &Detail,
    failures_remaining: Option<u32>,
) -> fmt::Result {
    write!(line, r#"{{"step":"{name}","at":"{}""#, now.to_rfc3339())?;
    match detail {
        Detail::None => {}
        Detail::Decision(Decision::Allowed) => write!(line, r#","decision":"allowed""#)?,
        Detail::Decision(Decision::Rejected(reason)) => write!(
            line,
            r#","decision":"rejected","reason":"{}""#,
            reason.as_str()
        )?,
        Detail::Unlocked(at) => write!(line, r#","unlocked":"{}""#, at.to_rfc3339())?,
        Detail::Boot {
            restored,
            recovered,
        } => write!(line, r#","restored":{restored},"recovered":{recovered}"#)?,
    }
    match failures_remaining {
        Some(count) => write!(line, r#","failuresRemaining":{count}"#)?,
        None => write!(line, r#","failuresRemaining":null"#)?,
    }
    write!(line, r#","view":"#)
}

/// Prints a note on the host's standard error (not compared with the expected output).
pub fn note(arguments: fmt::Arguments<'_>) -> Result<(), ConsoleError> {
    let mut err = hio::hstderr().map_err(|()| ConsoleError)?;
    err.write_fmt(arguments)
        .and_then(|()| err.write_str("\n"))
        .map_err(|_| ConsoleError)
}
