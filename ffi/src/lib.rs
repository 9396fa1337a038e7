//! # account-lockout-ffi
//!
//! A C ABI for [`account_lockout`]: the same deterministic state machine, callable from
//! C, C++, Go, Python or Java, and from C firmware (the static library builds for
//! `thumbv7em-none-eabihf` without `std`, with the `panic-handler` feature).
//!
//! - **The caller owns every byte.** A policy is an [`AL_POLICY_LEN`]-byte buffer and an
//!   account state an [`AL_STATE_LEN`]-byte buffer, both holding the library's versioned,
//!   CRC-protected binary encodings: store them anywhere (RAM, flash, a database column).
//!   Nothing is allocated, nothing is global; every function is re-entrant (two calls
//!   must not share a state buffer at the same time, as with any buffer).
//! - **Time is an argument.** Every operation takes `now_ms`, milliseconds since the Unix
//!   epoch, UTC.
//! - **Errors are codes.** Every function returns [`AL_OK`] (0) or one of the `AL_ERR_*`
//!   codes, and a refused call changes nothing: the state is decoded, changed on a copy
//!   and written back only when the whole call succeeds. Bytes that do not decode (a
//!   flipped bit in flash) are [`AL_ERR_CORRUPT_STATE`], never trusted.
//!
//! - **No free guess at a power cut.** [`al_begin_attempt`] marks an attempt in flight
//!   *before* the credential is checked (persist the state then), [`al_finish_attempt`]
//!   applies the verdict, and [`al_recover`] counts an attempt that a restart interrupted as
//!   a failure: the recommended way to authenticate. [`al_failure`] and [`al_success`]
//!   remain for hosts that record a verdict they already have.
//!
//! The account type behind the state buffer holds [`AL_RECORDS`] failure times and
//! [`AL_MEMORY`] credential fingerprints: the library's maxima, so every valid policy fits.
//!
//! The header `include/account_lockout.h` is generated from this file by cbindgen.
//!
//! This is the workspace's only crate with `unsafe` code: the raw pointers of the C
//! callers. Each block says why it is sound; the logic lives in safe, pointer-free
//! functions (`logic.rs`).

#![cfg_attr(not(test), no_std)]
#![deny(missing_docs)]
#![deny(clippy::undocumented_unsafe_blocks, unsafe_op_in_unsafe_fn)]
// Panic-free by construction, as the library (the workspace's lints, in the root
// Cargo.toml): a panic across `extern "C"` would abort the caller's process.
// With no heap to box into, an error carries an invalid policy's message inline (256
// bytes, on the stack): a copy paid only on the error path.
#![allow(clippy::result_large_err)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

// On a hosted target the static library links `std` (its panic handler, and the runtime
// a C program's linker expects); on bare metal the `panic-handler` feature's handler (at
// the end of this file) stands in.
#[cfg(all(not(test), not(target_os = "none")))]
extern crate std;

use core::ffi::c_char;

use account_lockout::{Fingerprint, FingerprintKey, Instant, Operation};

mod logic;
mod message;
mod policy_json;

use logic::Error;
use message::Message;

/// The size of an account state buffer, in bytes: a 2-byte length, the library's binary
/// encoding of an account with [`AL_RECORDS`] failure times, [`AL_MEMORY`] fingerprints
/// and [`AL_ATTEMPTS`] attempts in flight, and zero padding.
pub const AL_STATE_LEN: usize = 537;

/// The size of a policy buffer, in bytes: a 2-byte length, the library's binary encoding
/// of a policy, and zero padding.
pub const AL_POLICY_LEN: usize = 271;

/// The failure times an account state keeps (a pam_faillock `deny` or a custom sliding
/// window's threshold may be at most this).
pub const AL_RECORDS: usize = 16;

/// The credential fingerprints an account state remembers (`repeatedCredentialMemory`
/// may be at most this).
pub const AL_MEMORY: usize = 8;

/// The attempts an account state holds in flight at once (`maxAttemptsInFlight` may be
/// at most this: the library's maximum).
pub const AL_ATTEMPTS: usize = 16;

/// A buffer of this many bytes holds any view as JSON, with its terminating NUL.
pub const AL_VIEW_JSON_LEN: usize = 192;

/// The size of [`al_fingerprint`]'s secret key, in bytes (SipHash's 128-bit key).
pub const AL_FINGERPRINT_KEY_LEN: usize = 16;

/// The size of an attempt token, in bytes: [`al_begin_attempt`] writes one, and
/// [`al_finish_attempt`] reads it (the library's `AttemptToken::to_bytes`: a serial number
/// and the attempt's start).
pub const AL_ATTEMPT_TOKEN_LEN: usize = 10;

/// Success.
pub const AL_OK: i32 = 0;
/// A required pointer is NULL.
pub const AL_ERR_NULL_POINTER: i32 = 1;
/// A buffer is shorter than the call needs (a state buffer shorter than
/// [`AL_STATE_LEN`], a view JSON buffer too short for the view, ...).
pub const AL_ERR_BUFFER_TOO_SMALL: i32 = 2;
/// The policy text is not a JSON object (malformed JSON, or another kind of value).
pub const AL_ERR_INVALID_JSON: i32 = 3;
/// The policy text is JSON but not a valid policy (unknown dialect, bad parameter, ...).
pub const AL_ERR_INVALID_POLICY: i32 = 4;
/// The policy buffer does not hold a policy (corrupted, or never written by
/// [`al_policy_from_json`]: zeroed or arbitrary bytes). The bytes must be initialised all
/// the same: reading uninitialised memory is undefined behaviour, in C as in Rust.
pub const AL_ERR_CORRUPT_POLICY: i32 = 5;
/// The state buffer does not hold an account state valid under the policy: corrupted,
/// written under another policy, or never written by [`al_state_init`] (zeroed or
/// arbitrary bytes). The bytes must be initialised all the same: reading uninitialised
/// memory is undefined behaviour, in C as in Rust.
pub const AL_ERR_CORRUPT_STATE: i32 = 6;
/// The policy needs more failure times or fingerprints than [`AL_RECORDS`] and
/// [`AL_MEMORY`] (`account_too_small`).
pub const AL_ERR_CAPACITY: i32 = 7;
/// A patch is not a JSON object, or a value has the wrong type (`invalid_value`); also
/// [`al_finish_attempt`]'s verdict when it is neither [`AL_VERDICT_SUCCESS`] nor
/// [`AL_VERDICT_FAILURE`].
pub const AL_ERR_INVALID_VALUE: i32 = 8;
/// A patch writes `lockedAt` or `secondsUntilUnlock` (`read_only_field`).
pub const AL_ERR_READ_ONLY_FIELD: i32 = 9;
/// A patch has a key the account model does not have (`unknown_field`).
pub const AL_ERR_UNKNOWN_FIELD: i32 = 10;
/// A patch's fields ask for opposite things (`conflicting_fields`).
pub const AL_ERR_CONFLICTING_FIELDS: i32 = 11;
/// A patch gives `unlockAt` for an account that is not locked
/// (`unlock_at_requires_locked`).
pub const AL_ERR_UNLOCK_AT_REQUIRES_LOCKED: i32 = 12;
/// A lock or patch deadline is not later than `now_ms` (`unlock_at_not_in_future`).
pub const AL_ERR_UNLOCK_AT_NOT_IN_FUTURE: i32 = 13;
/// The token given to [`al_finish_attempt`] is not the attempt in flight in the state
/// buffer: already finished, replaced by a later attempt (which counted it as a failure),
/// recovered after a restore, zeroed by a rejected [`al_begin_attempt`], or not a token
/// at all (`unknown_attempt`). Nothing changed.
pub const AL_ERR_UNKNOWN_ATTEMPT: i32 = 14;
/// The library refused the operation for a reason this build of the C ABI has no code
/// for (an error variant added to the library after these codes were written). Nothing
/// changed.
pub const AL_ERR_REFUSED: i32 = 15;

/// [`AlView::status`]: no lock is in effect.
pub const AL_STATUS_OK: u8 = 0;
/// [`AlView::status`]: a lock is in effect.
pub const AL_STATUS_LOCKED: u8 = 1;

/// [`AlOutcome::decision`] of an administrator operation (unlock, lock, patch).
pub const AL_DECISION_NONE: u8 = 0;
/// [`AlOutcome::decision`]: the attempt was allowed (a failure counted, a success applied,
/// or for a check, the user may try).
pub const AL_DECISION_ALLOWED: u8 = 1;
/// [`AlOutcome::decision`]: rejected because the account is locked (not counted).
pub const AL_DECISION_REJECTED_LOCKED: u8 = 2;
/// [`AlOutcome::decision`]: rejected because the user is disabled (not counted).
pub const AL_DECISION_REJECTED_DISABLED: u8 = 3;
/// [`AlOutcome::decision`]: [`al_begin_attempt`] rejected because the attempts in flight
/// already use the lock's whole budget or the policy's `maxAttemptsInFlight` (the
/// library's `Rejection::Busy`, reason `busy`; not counted, no token). Try again when an
/// attempt finishes.
pub const AL_DECISION_REJECTED_BUSY: u8 = 4;

/// [`al_finish_attempt`]'s verdict: the credential was wrong. It counts as a failure.
pub const AL_VERDICT_FAILURE: u8 = 0;
/// [`al_finish_attempt`]'s verdict: the credential was right. Only this exact value is a
/// success; a value that is neither verdict is refused with [`AL_ERR_INVALID_VALUE`].
pub const AL_VERDICT_SUCCESS: u8 = 1;

/// [`AlOutcome::transitions`] bit: a failure was counted.
pub const AL_TRANSITION_COUNTED: u32 = 1 << 0;
/// [`AlOutcome::transitions`] bit: a failure repeated a remembered credential, ignored.
pub const AL_TRANSITION_IGNORED_REPEATED: u32 = 1 << 1;
/// [`AlOutcome::transitions`] bit: the account went from OK to LOCKED.
pub const AL_TRANSITION_LOCKED: u32 = 1 << 2;
/// [`AlOutcome::transitions`] bit: the account stayed locked, but its lock changed.
pub const AL_TRANSITION_LOCK_CHANGED: u32 = 1 << 3;
/// [`AlOutcome::transitions`] bit: the account went from LOCKED to OK (its lock expired,
/// or an administrator ended it).
pub const AL_TRANSITION_UNLOCKED: u32 = 1 << 4;
/// [`AlOutcome::transitions`] bit: the user was disabled.
pub const AL_TRANSITION_DISABLED: u32 = 1 << 5;
/// [`AlOutcome::transitions`] bit: the user was enabled.
pub const AL_TRANSITION_ENABLED: u32 = 1 << 6;

/// The PingOne account view at `now_ms` ([behaviour §2](account_lockout::behaviour#s2)). A `has_*` flag says whether the field
/// after it is present; an absent field is 0.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlView {
    /// `canAuthenticate`: the user is enabled and the status is OK.
    pub can_authenticate: bool,
    /// Whether the user is enabled (not part of PingOne's JSON).
    pub enabled: bool,
    /// [`AL_STATUS_OK`] or [`AL_STATUS_LOCKED`].
    pub status: u8,
    /// Whether `locked_at_ms` is present (iff locked).
    pub has_locked_at: bool,
    /// Whether `unlock_at_ms` is present (iff locked and the lock ends by itself).
    pub has_unlock_at: bool,
    /// Whether `seconds_until_unlock` is present (iff `unlock_at_ms` is).
    pub has_seconds_until_unlock: bool,
    /// `lockedAt`: when the account went from OK to LOCKED, ms since the epoch.
    pub locked_at_ms: i64,
    /// `unlockAt`: when the lock ends by itself, ms since the epoch.
    pub unlock_at_ms: i64,
    /// `secondsUntilUnlock`: `ceil((unlockAt - now) / 1000)`, never 0 while locked.
    pub seconds_until_unlock: u64,
}

/// What an operation did.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlOutcome {
    /// One of the `AL_DECISION_*` values: allowed or rejected (and why) for an attempt,
    /// [`AL_DECISION_NONE`] for an administrator operation.
    pub decision: u8,
    /// Whether `unlock_at_ms` is present: the attempt was rejected by a lock that ends by
    /// itself.
    pub has_unlock_at: bool,
    /// Whether `failures_remaining` is present (the policy knows it).
    pub has_failures_remaining: bool,
    /// When the lock that rejected the attempt ends, ms since the epoch.
    pub unlock_at_ms: i64,
    /// How many more counted failures, made now, would lock the account.
    pub failures_remaining: u32,
    /// The `AL_TRANSITION_*` bits of the changes the operation made.
    pub transitions: u32,
    /// The policy's failure count after a counted failure ([`AL_TRANSITION_COUNTED`]);
    /// 0 otherwise.
    pub failures: u32,
}

impl AlOutcome {
    /// An outcome with nothing in it.
    const NONE: AlOutcome = AlOutcome {
        decision: AL_DECISION_NONE,
        has_unlock_at: false,
        has_failures_remaining: false,
        unlock_at_ms: 0,
        failures_remaining: 0,
        transitions: 0,
        failures: 0,
    };
}

/// Copies the first `N` bytes of the caller's buffer `ptr` of `len` bytes.
///
/// # Safety
///
/// `ptr` is NULL, or valid for reads of `len` bytes.
unsafe fn read_buffer<const N: usize>(ptr: *const u8, len: usize) -> Result<[u8; N], Error> {
    if ptr.is_null() {
        return Err(Error::NULL_POINTER);
    }
    if len < N {
        return Err(Error::BUFFER_TOO_SMALL);
    }
    let mut copy = [0u8; N];
    // SAFETY: `ptr` is not NULL and, by this function's contract, valid for reads of
    // `len >= N` bytes; `copy` is a local array of `N` bytes, so the two cannot overlap.
    // Copying (instead of borrowing the caller's memory) keeps every later write to the
    // caller's buffers free of aliasing questions.
    unsafe { core::ptr::copy_nonoverlapping(ptr, copy.as_mut_ptr(), N) };
    Ok(copy)
}

/// Checks an output buffer before anything is computed.
fn check_output(ptr: *mut u8, len: usize, needed: usize) -> Result<(), Error> {
    if ptr.is_null() {
        Err(Error::NULL_POINTER)
    } else if len < needed {
        Err(Error::BUFFER_TOO_SMALL)
    } else {
        Ok(())
    }
}

/// Copies `bytes` into the caller's buffer `ptr`, checked by [`check_output`] for at least
/// `bytes.len()` bytes.
///
/// # Safety
///
/// `ptr` is not NULL and valid for writes of `bytes.len()` bytes, and does not overlap
/// `bytes` (which lives on our stack).
unsafe fn write_buffer(ptr: *mut u8, bytes: &[u8]) {
    // SAFETY: by this function's contract `ptr` is valid for writes of `bytes.len()`
    // bytes and does not overlap `bytes`.
    unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), ptr, bytes.len()) };
}

/// Borrows the caller's input bytes (a JSON text) for the duration of a call.
///
/// # Safety
///
/// `ptr` is NULL, or valid for reads of `len` bytes that nothing writes while the
/// returned slice is in use.
unsafe fn input<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], Error> {
    if ptr.is_null() {
        return Err(Error::NULL_POINTER);
    }
    // SAFETY: `ptr` is not NULL (and `u8` has no alignment to respect); by this
    // function's contract it is valid for reads of `len` bytes, which bounds `len` by the
    // size of one allocation (so by `isize::MAX`), and nothing writes them while the
    // slice lives: every call drops it before writing any output.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// Writes `value` to the caller's `ptr` when it is not NULL.
///
/// # Safety
///
/// `ptr` is NULL, or valid and aligned for a write of a `T`.
unsafe fn write_optional<T>(ptr: *mut T, value: T) {
    if !ptr.is_null() {
        // SAFETY: `ptr` is not NULL and, by this function's contract, valid and aligned
        // for a write of a `T`; `T` is a plain `Copy` value with nothing to drop.
        unsafe { ptr.write(value) };
    }
}

/// Writes `error`'s message into the caller's `message` buffer of `len` bytes, cut to fit
/// and terminated by a NUL; nothing when `message` is NULL or `len` is 0.
///
/// # Safety
///
/// `message` is NULL, or valid for writes of `len` bytes.
unsafe fn write_message(message: *mut c_char, len: usize, text: &dyn core::fmt::Display) {
    let Some(room) = len.checked_sub(1) else {
        return;
    };
    if message.is_null() {
        return;
    }
    let kept = Message::of(text, room);
    let bytes = kept.as_bytes();
    // SAFETY: `message` is not NULL and valid for writes of `len` bytes; `bytes` has at
    // most `len - 1` bytes (the message's limit), lives on our stack, and the NUL goes to
    // offset `bytes.len() <= len - 1`, inside the buffer.
    unsafe {
        let target = message.cast::<u8>();
        core::ptr::copy_nonoverlapping(bytes.as_ptr(), target, bytes.len());
        target.add(bytes.len()).write(0);
    }
}

/// The result of a call as its code.
fn code(result: Result<(), Error>) -> i32 {
    match result {
        Ok(()) => AL_OK,
        Err(error) => error.code,
    }
}

/// Reads a policy from its JSON form into a policy buffer.
///
/// `json` is the policy document of the library's README (exactly one dialect key, plus
/// the optional modifiers), for example
/// `{"pingone":{"failureCount":3,"durationSeconds":900}}`; it need not end in a NUL. The
/// policy buffer receives its binary form ([`AL_POLICY_LEN`] bytes).
///
/// Returns [`AL_OK`], [`AL_ERR_NULL_POINTER`] (`json` or `policy`),
/// [`AL_ERR_BUFFER_TOO_SMALL`] (`policy_len < AL_POLICY_LEN`), [`AL_ERR_INVALID_JSON`],
/// [`AL_ERR_INVALID_POLICY`] or [`AL_ERR_CAPACITY`]. On error the policy buffer is
/// unchanged and, when `message` is not NULL and `message_len > 0`, a NUL-terminated
/// message (cut to fit) is written there; on success `message` gets an empty string.
///
/// # Safety
///
/// `json` is NULL or valid for reads of `json_len` bytes; `policy` is NULL or valid for
/// writes of `policy_len` bytes; `message` is NULL or valid for writes of `message_len`
/// bytes. The outputs `policy` and `message` must not overlap each other or `json`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn al_policy_from_json(
    json: *const u8,
    json_len: usize,
    policy: *mut u8,
    policy_len: usize,
    message: *mut c_char,
    message_len: usize,
) -> i32 {
    let result = (|| {
        check_output(policy, policy_len, AL_POLICY_LEN)?;
        // SAFETY: `json` is NULL or valid for reads of `json_len` bytes (this function's
        // contract); the slice is dropped inside `policy_from_json`, before any write.
        let text = unsafe { input(json, json_len) }?;
        let frame = logic::policy_from_json(text)?;
        // SAFETY: `check_output` found `policy` not NULL with `policy_len >= AL_POLICY_LEN`
        // bytes, valid for writes by this function's contract; `frame` is on our stack.
        unsafe { write_buffer(policy, &frame) };
        Ok(())
    })();
    // SAFETY: `message` is NULL or valid for writes of `message_len` bytes (this
    // function's contract).
    unsafe {
        match &result {
            Ok(()) => write_message(message, message_len, &""),
            Err(error) => write_message(message, message_len, error),
        }
    }
    code(result)
}

/// Writes a new account (enabled, OK, no failure history) into a state buffer of at
/// least [`AL_STATE_LEN`] bytes.
///
/// Returns [`AL_OK`], [`AL_ERR_NULL_POINTER`] or [`AL_ERR_BUFFER_TOO_SMALL`].
///
/// # Safety
///
/// `state` is NULL or valid for writes of `state_len` bytes (the only buffer: nothing to
/// overlap).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn al_state_init(state: *mut u8, state_len: usize) -> i32 {
    code((|| {
        check_output(state, state_len, AL_STATE_LEN)?;
        let frame = logic::new_state()?;
        // SAFETY: `check_output` found `state` not NULL with at least `AL_STATE_LEN`
        // bytes, valid for writes by this function's contract; `frame` is on our stack.
        unsafe { write_buffer(state, &frame) };
        Ok(())
    })())
}

/// Runs `run` on copies of the caller's policy and state buffers; writes the new state it
/// returns back only when it succeeds (and with `write_back`), and returns the rest.
///
/// # Safety
///
/// `policy` is NULL or valid for reads of `policy_len` bytes; `state` is NULL or valid
/// for reads (and, with `write_back`, writes) of `state_len` bytes, and with `write_back`
/// it does not overlap `policy`.
unsafe fn transact<T>(
    policy: *const u8,
    policy_len: usize,
    state: *mut u8,
    state_len: usize,
    write_back: bool,
    run: impl FnOnce(&[u8; AL_POLICY_LEN], &[u8; AL_STATE_LEN]) -> logic::Changed<T>,
) -> Result<T, Error> {
    // SAFETY: `policy` and `state` are NULL or valid for reads of their lengths (this
    // function's contract); `read_buffer` checks for NULL and the length.
    let (policy, old) = unsafe {
        (
            read_buffer::<AL_POLICY_LEN>(policy, policy_len)?,
            read_buffer::<AL_STATE_LEN>(state, state_len)?,
        )
    };
    let (done, new) = run(&policy, &old)?;
    if write_back {
        // SAFETY: `read_buffer` found `state` not NULL with at least `AL_STATE_LEN` bytes,
        // valid for writes by this function's contract; `new` is on our stack.
        unsafe { write_buffer(state, &new) };
    }
    Ok(done)
}

/// [`transact`] for a `run` that returns an outcome: the outcome goes to `outcome` (when
/// not NULL) once the call has succeeded.
///
/// # Safety
///
/// As [`transact`]; also, `outcome` is NULL or valid and aligned for a write of an
/// [`AlOutcome`], and does not overlap the buffers.
// The C functions' arguments, passed through unchanged.
#[allow(clippy::too_many_arguments)]
unsafe fn operate_with(
    policy: *const u8,
    policy_len: usize,
    state: *mut u8,
    state_len: usize,
    write_back: bool,
    outcome: *mut AlOutcome,
    run: impl FnOnce(&[u8; AL_POLICY_LEN], &[u8; AL_STATE_LEN]) -> logic::Changed<AlOutcome>,
) -> Result<(), Error> {
    // SAFETY: forwarded from this function's contract.
    let done = unsafe { transact(policy, policy_len, state, state_len, write_back, run) }?;
    // SAFETY: `outcome` is NULL or valid and aligned for an `AlOutcome` (contract).
    unsafe { write_optional(outcome, done) };
    Ok(())
}

/// Runs `operation` on the caller's policy and state buffers; writes the new state and
/// the outcome only when it succeeds. With `write_back` false (a check), the state is
/// only read.
///
/// # Safety
///
/// As [`operate_with`].
// The C functions' arguments, passed through unchanged.
#[allow(clippy::too_many_arguments)]
unsafe fn operate(
    policy: *const u8,
    policy_len: usize,
    state: *mut u8,
    state_len: usize,
    now_ms: i64,
    operation: Result<Operation, Error>,
    write_back: bool,
    outcome: *mut AlOutcome,
) -> Result<(), Error> {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        operate_with(
            policy,
            policy_len,
            state,
            state_len,
            write_back,
            outcome,
            |policy, state| logic::apply(policy, state, now_ms, operation?),
        )
    }
}

/// [`operate`] for the C functions that change the state by one operation (failure,
/// success, unlock, lock), as their return code.
///
/// # Safety
///
/// As [`operate`], with `write_back`.
unsafe fn update(
    policy: *const u8,
    policy_len: usize,
    state: *mut u8,
    state_len: usize,
    now_ms: i64,
    operation: Operation,
    outcome: *mut AlOutcome,
) -> i32 {
    let operation = Ok(operation);
    // SAFETY: forwarded from this function's contract.
    code(unsafe {
        operate(
            policy, policy_len, state, state_len, now_ms, operation, true, outcome,
        )
    })
}

/// May the user authenticate at `now_ms`? A read: the state buffer is not written.
///
/// `outcome` (may be NULL) gets the decision: [`AL_DECISION_ALLOWED`], or rejected as
/// locked (with the deadline when the lock ends by itself) or disabled, and the failures
/// remaining before a lock.
///
/// Returns [`AL_OK`], [`AL_ERR_NULL_POINTER`] (`policy` or `state`),
/// [`AL_ERR_BUFFER_TOO_SMALL`], [`AL_ERR_CORRUPT_POLICY`] or [`AL_ERR_CORRUPT_STATE`].
///
/// # Safety
///
/// `policy` is NULL or valid for reads of `policy_len` bytes; `state` is NULL or valid for
/// reads of `state_len` bytes; `outcome` is NULL or valid and aligned for an
/// [`AlOutcome`]. The output `outcome` must not overlap `policy` or `state`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn al_check(
    policy: *const u8,
    policy_len: usize,
    state: *const u8,
    state_len: usize,
    now_ms: i64,
    outcome: *mut AlOutcome,
) -> i32 {
    // SAFETY: forwarded from this function's contract; with `write_back` false `state`
    // is only read, so the cast to `*mut` is never written through.
    code(unsafe {
        operate(
            policy,
            policy_len,
            state.cast_mut(),
            state_len,
            now_ms,
            Ok(Operation::Check),
            false,
            outcome,
        )
    })
}

/// A failed authentication attempt at `now_ms`, with the fingerprint of the attempted
/// credential when `has_fingerprint` is not 0 (see [`al_fingerprint`]: a keyed hash, since
/// the state stores it). `has_fingerprint` is a byte, not a `bool`, so that a
/// binding passing any non-zero value (JNA, ctypes, cgo) means "true" rather than
/// undefined behaviour. Rejected, and not counted, while the account is locked or the
/// user disabled; otherwise counted by the policy, possibly locking the account.
///
/// Returns [`AL_OK`], [`AL_ERR_NULL_POINTER`], [`AL_ERR_BUFFER_TOO_SMALL`],
/// [`AL_ERR_CORRUPT_POLICY`], [`AL_ERR_CORRUPT_STATE`] or [`AL_ERR_CAPACITY`]; on error
/// the state buffer is unchanged.
///
/// # Safety
///
/// `policy` is NULL or valid for reads of `policy_len` bytes; `state` is NULL or valid for
/// reads and writes of `state_len` bytes; `outcome` is NULL or valid and aligned for an
/// [`AlOutcome`]. The outputs `state` and `outcome` must not overlap each other or
/// `policy`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn al_failure(
    policy: *const u8,
    policy_len: usize,
    state: *mut u8,
    state_len: usize,
    now_ms: i64,
    has_fingerprint: u8,
    fingerprint: u64,
    outcome: *mut AlOutcome,
) -> i32 {
    let credential = (has_fingerprint != 0).then_some(Fingerprint::new(fingerprint));
    let operation = Operation::Failure { credential };
    // SAFETY: forwarded from this function's contract.
    unsafe {
        update(
            policy, policy_len, state, state_len, now_ms, operation, outcome,
        )
    }
}

/// A successful authentication at `now_ms`. Rejected while the account is locked or the
/// user disabled (a success never ends a lock); otherwise the policy's success rule
/// applies.
///
/// Returns [`AL_OK`], [`AL_ERR_NULL_POINTER`], [`AL_ERR_BUFFER_TOO_SMALL`],
/// [`AL_ERR_CORRUPT_POLICY`] or [`AL_ERR_CORRUPT_STATE`]; on error the state buffer is
/// unchanged.
///
/// # Safety
///
/// As [`al_failure`]: the outputs `state` and `outcome` must not overlap each other or
/// `policy` either.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn al_success(
    policy: *const u8,
    policy_len: usize,
    state: *mut u8,
    state_len: usize,
    now_ms: i64,
    outcome: *mut AlOutcome,
) -> i32 {
    let operation = Operation::Success;
    // SAFETY: forwarded from this function's contract.
    unsafe {
        update(
            policy, policy_len, state, state_len, now_ms, operation, outcome,
        )
    }
}

/// Begins an authentication attempt at `now_ms`, **before** the credential is checked:
/// the power-loss-safe protocol (as TPMs and Android Gatekeeper do it).
///
/// 1. `al_begin_attempt`: if the account can authenticate, the state buffer gets the mark
///    of an attempt in flight and `token` the attempt's [`AL_ATTEMPT_TOKEN_LEN`] bytes.
/// 2. Persist the state buffer, *then* verify the credential.
/// 3. [`al_finish_attempt`] with the token and the verdict; persist the state again.
///
/// After a restart, call [`al_recover`] on the restored state: an attempt still in flight
/// lost its verdict, and counts as a failure. So cutting the power between the verdict
/// and the write gives no free guess.
///
/// `outcome` (may be NULL) gets the decision: [`AL_DECISION_ALLOWED`] (the token is
/// valid), or rejected as locked, disabled or [`AL_DECISION_REJECTED_BUSY`]; then the
/// token buffer is zeroed, a token that names no attempt. Several attempts may be in
/// flight at once ([behaviour §7.1](account_lockout::behaviour#s7-1)): each reserves one failure of the lock's budget, and a
/// success counts nothing. An attempt in flight for the policy's `attemptTimeoutSeconds`
/// counts as a failure. The state buffer is written whenever the call returns [`AL_OK`],
/// allowed or not.
///
/// Returns [`AL_OK`], [`AL_ERR_NULL_POINTER`] (`policy`, `state` or `token`),
/// [`AL_ERR_BUFFER_TOO_SMALL`] (`token_len < AL_ATTEMPT_TOKEN_LEN`, or a short policy or
/// state), [`AL_ERR_CORRUPT_POLICY`], [`AL_ERR_CORRUPT_STATE`] or [`AL_ERR_CAPACITY`]; on
/// error the state, the token and `*outcome` are unchanged.
///
/// # Safety
///
/// `policy` is NULL or valid for reads of `policy_len` bytes; `state` is NULL or valid for
/// reads and writes of `state_len` bytes; `token` is NULL or valid for writes of
/// `token_len` bytes; `outcome` is NULL or valid and aligned for an [`AlOutcome`]. The
/// outputs `state`, `token` and `outcome` must not overlap each other or `policy`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn al_begin_attempt(
    policy: *const u8,
    policy_len: usize,
    state: *mut u8,
    state_len: usize,
    now_ms: i64,
    token: *mut u8,
    token_len: usize,
    outcome: *mut AlOutcome,
) -> i32 {
    code((|| {
        check_output(token, token_len, AL_ATTEMPT_TOKEN_LEN)?;
        // SAFETY: forwarded from this function's contract.
        let (done, issued) = unsafe {
            transact(
                policy,
                policy_len,
                state,
                state_len,
                true,
                |policy, state| logic::begin_attempt(policy, state, now_ms),
            )
        }?;
        // SAFETY: `check_output` found `token` not NULL with at least
        // `AL_ATTEMPT_TOKEN_LEN` bytes, valid for writes by this function's contract; the
        // bytes are on our stack.
        unsafe { write_buffer(token, &issued.unwrap_or([0; AL_ATTEMPT_TOKEN_LEN])) };
        // SAFETY: `outcome` is NULL or valid and aligned for an `AlOutcome` (contract).
        unsafe { write_optional(outcome, done) };
        Ok(())
    })())
}

/// Finishes the attempt of `token` (from [`al_begin_attempt`]) at `now_ms` with the
/// credential check's verdict: [`AL_VERDICT_SUCCESS`], or [`AL_VERDICT_FAILURE`] with the
/// attempted credential's fingerprint when `has_fingerprint` is not 0 (see
/// [`al_fingerprint`]). The verdict applies as [`al_success`] or [`al_failure`] at `now_ms`
/// would: rejected if the account was locked or disabled in the meantime. A success
/// counts nothing.
///
/// Returns [`AL_OK`], [`AL_ERR_NULL_POINTER`] (`policy`, `state` or `token`),
/// [`AL_ERR_BUFFER_TOO_SMALL`] (`token_len < AL_ATTEMPT_TOKEN_LEN`, or a short policy or
/// state), [`AL_ERR_INVALID_VALUE`] (`verdict` is neither verdict),
/// [`AL_ERR_UNKNOWN_ATTEMPT`] (the token is not the attempt in flight: finished already,
/// replaced, recovered, or not a token), [`AL_ERR_CORRUPT_POLICY`],
/// [`AL_ERR_CORRUPT_STATE`] or [`AL_ERR_CAPACITY`]; on error the state buffer and
/// `*outcome` are unchanged (and an attempt in flight stays in flight: the next
/// [`al_begin_attempt`] or [`al_recover`] counts it as a failure).
///
/// # Safety
///
/// `policy` is NULL or valid for reads of `policy_len` bytes; `state` is NULL or valid for
/// reads and writes of `state_len` bytes; `token` is NULL or valid for reads of
/// `token_len` bytes; `outcome` is NULL or valid and aligned for an [`AlOutcome`]. The
/// outputs `state` and `outcome` must not overlap each other, `policy` or `token`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn al_finish_attempt(
    policy: *const u8,
    policy_len: usize,
    state: *mut u8,
    state_len: usize,
    now_ms: i64,
    token: *const u8,
    token_len: usize,
    verdict: u8,
    has_fingerprint: u8,
    fingerprint: u64,
    outcome: *mut AlOutcome,
) -> i32 {
    code((|| {
        // SAFETY: `token` is NULL or valid for reads of `token_len` bytes (this function's
        // contract); `read_buffer` checks for NULL and the length.
        let token = unsafe { read_buffer::<AL_ATTEMPT_TOKEN_LEN>(token, token_len) }?;
        let verdict = logic::verdict(verdict, has_fingerprint, fingerprint)?;
        let run =
            |policy: &_, state: &_| logic::finish_attempt(policy, state, now_ms, token, verdict);
        // SAFETY: forwarded from this function's contract.
        unsafe { operate_with(policy, policy_len, state, state_len, true, outcome, run) }
    })())
}

/// After restoring a state buffer from storage (at boot, say): an attempt still in flight
/// lost its verdict, so it counts as a failure at `now_ms` ([`AL_TRANSITION_COUNTED`],
/// possibly [`AL_TRANSITION_LOCKED`]). Without one, nothing changes (the state is written
/// back as it was). Call it before anything else on a restored state.
///
/// `outcome` (may be NULL) gets the transitions and the failures remaining; its decision
/// is [`AL_DECISION_NONE`].
///
/// Returns [`AL_OK`], [`AL_ERR_NULL_POINTER`], [`AL_ERR_BUFFER_TOO_SMALL`],
/// [`AL_ERR_CORRUPT_POLICY`], [`AL_ERR_CORRUPT_STATE`] or [`AL_ERR_CAPACITY`]; on error
/// the state buffer is unchanged.
///
/// # Safety
///
/// As [`al_failure`]: the outputs `state` and `outcome` must not overlap each other or
/// `policy` either.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn al_recover(
    policy: *const u8,
    policy_len: usize,
    state: *mut u8,
    state_len: usize,
    now_ms: i64,
    outcome: *mut AlOutcome,
) -> i32 {
    let run = |policy: &_, state: &_| logic::recover(policy, state, now_ms);
    // SAFETY: forwarded from this function's contract.
    code(unsafe { operate_with(policy, policy_len, state, state_len, true, outcome, run) })
}

/// Administrator unlock at `now_ms`: ends any lock and clears the failure history (it
/// does not enable a disabled user).
///
/// Returns [`AL_OK`], [`AL_ERR_NULL_POINTER`], [`AL_ERR_BUFFER_TOO_SMALL`],
/// [`AL_ERR_CORRUPT_POLICY`] or [`AL_ERR_CORRUPT_STATE`]; on error the state buffer is
/// unchanged.
///
/// # Safety
///
/// As [`al_failure`]: the outputs `state` and `outcome` must not overlap each other or
/// `policy` either.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn al_unlock(
    policy: *const u8,
    policy_len: usize,
    state: *mut u8,
    state_len: usize,
    now_ms: i64,
    outcome: *mut AlOutcome,
) -> i32 {
    let operation = Operation::Unlock;
    // SAFETY: forwarded from this function's contract.
    unsafe {
        update(
            policy, policy_len, state, state_len, now_ms, operation, outcome,
        )
    }
}

/// Administrator lock at `now_ms`: until `unlock_at_ms` when `has_unlock_at` is not 0 (it
/// must be later than `now_ms`), else until an administrator unlocks. `has_unlock_at` is
/// a byte, not a `bool`: any non-zero value means "true".
///
/// Returns [`AL_OK`], [`AL_ERR_NULL_POINTER`], [`AL_ERR_BUFFER_TOO_SMALL`],
/// [`AL_ERR_CORRUPT_POLICY`], [`AL_ERR_CORRUPT_STATE`] or
/// [`AL_ERR_UNLOCK_AT_NOT_IN_FUTURE`]; on error the state buffer is unchanged.
///
/// # Safety
///
/// As [`al_failure`]: the outputs `state` and `outcome` must not overlap each other or
/// `policy` either.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn al_lock(
    policy: *const u8,
    policy_len: usize,
    state: *mut u8,
    state_len: usize,
    now_ms: i64,
    has_unlock_at: u8,
    unlock_at_ms: i64,
    outcome: *mut AlOutcome,
) -> i32 {
    let until = (has_unlock_at != 0).then_some(Instant::from_millis(unlock_at_ms));
    let operation = Operation::Lock { until };
    // SAFETY: forwarded from this function's contract.
    unsafe {
        update(
            policy, policy_len, state, state_len, now_ms, operation, outcome,
        )
    }
}

/// Administrator patch at `now_ms` from a JSON body over the account's mutable fields,
/// such as `{"status":"LOCKED","unlockAt":"2026-01-01T01:00:00Z"}` ([behaviour §4](account_lockout::behaviour#s4)):
/// `canAuthenticate`, `status`, `unlockAt`. All or nothing.
///
/// Returns [`AL_OK`], [`AL_ERR_NULL_POINTER`] (`policy`, `state` or `json`),
/// [`AL_ERR_BUFFER_TOO_SMALL`], [`AL_ERR_CORRUPT_POLICY`], [`AL_ERR_CORRUPT_STATE`], or
/// the patch's error: [`AL_ERR_INVALID_VALUE`], [`AL_ERR_READ_ONLY_FIELD`],
/// [`AL_ERR_UNKNOWN_FIELD`], [`AL_ERR_CONFLICTING_FIELDS`],
/// [`AL_ERR_UNLOCK_AT_REQUIRES_LOCKED`] or [`AL_ERR_UNLOCK_AT_NOT_IN_FUTURE`]. On error
/// the state buffer is unchanged and `message` (when not NULL, `message_len > 0`) gets a
/// NUL-terminated message naming the field; on success an empty string.
///
/// # Safety
///
/// As [`al_failure`]; also, `json` is NULL or valid for reads of `json_len` bytes, and
/// `message` is NULL or valid for writes of `message_len` bytes. The outputs `state`,
/// `outcome` and `message` must not overlap each other, `policy` or `json`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn al_patch(
    policy: *const u8,
    policy_len: usize,
    state: *mut u8,
    state_len: usize,
    now_ms: i64,
    json: *const u8,
    json_len: usize,
    outcome: *mut AlOutcome,
    message: *mut c_char,
    message_len: usize,
) -> i32 {
    // SAFETY: `json` is NULL or valid for reads of `json_len` bytes (this function's
    // contract); the slice is dropped once the patch is parsed, before any write.
    let operation = unsafe { input(json, json_len) }
        .and_then(logic::patch_from_json)
        .map(Operation::Patch);
    // SAFETY: forwarded from this function's contract.
    let result = unsafe {
        operate(
            policy, policy_len, state, state_len, now_ms, operation, true, outcome,
        )
    };
    // SAFETY: `message` is NULL or valid for writes of `message_len` bytes (contract).
    unsafe {
        match &result {
            Ok(()) => write_message(message, message_len, &""),
            Err(error) => write_message(message, message_len, error),
        }
    }
    code(result)
}

/// The account view at `now_ms` as a C struct. A read: the state buffer is not written.
///
/// Returns [`AL_OK`], [`AL_ERR_NULL_POINTER`] (`policy`, `state` or `view`),
/// [`AL_ERR_BUFFER_TOO_SMALL`], [`AL_ERR_CORRUPT_POLICY`] or [`AL_ERR_CORRUPT_STATE`]; on
/// error `*view` is unchanged.
///
/// # Safety
///
/// `policy` is NULL or valid for reads of `policy_len` bytes; `state` is NULL or valid for
/// reads of `state_len` bytes; `view` is NULL or valid and aligned for an [`AlView`]. The
/// output `view` must not overlap `policy` or `state`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn al_view(
    policy: *const u8,
    policy_len: usize,
    state: *const u8,
    state_len: usize,
    now_ms: i64,
    view: *mut AlView,
) -> i32 {
    code((|| {
        if view.is_null() {
            return Err(Error::NULL_POINTER);
        }
        // SAFETY: `policy` and `state` are NULL or valid for reads of their lengths (this
        // function's contract); `read_buffer` checks for NULL and the length.
        let (policy, state) = unsafe {
            (
                read_buffer::<AL_POLICY_LEN>(policy, policy_len)?,
                read_buffer::<AL_STATE_LEN>(state, state_len)?,
            )
        };
        let derived = logic::view(&policy, &state, now_ms)?;
        // SAFETY: `view` is not NULL and, by this function's contract, valid and aligned
        // for an `AlView`.
        unsafe { write_optional(view, logic::view_to_c(&derived)) };
        Ok(())
    })())
}

/// The account view at `now_ms` as JSON, in the seed's shape (fields in alphabetical
/// order, dates in RFC 3339 UTC with milliseconds, absent fields omitted), for example
/// `{"canAuthenticate":false,"lockedAt":"2026-01-01T00:00:00.000Z","secondsUntilUnlock":900,"status":"LOCKED","unlockAt":"2026-01-01T00:15:00.000Z"}`.
///
/// `json` receives the text and a terminating NUL; [`AL_VIEW_JSON_LEN`] bytes always
/// suffice. `written` (may be NULL) receives the text's length without the NUL, or, when
/// the buffer is too small, the length the text needs (without the NUL).
///
/// Returns [`AL_OK`], [`AL_ERR_NULL_POINTER`] (`policy`, `state` or `json`),
/// [`AL_ERR_BUFFER_TOO_SMALL`] (nothing is written to `json` then),
/// [`AL_ERR_CORRUPT_POLICY`] or [`AL_ERR_CORRUPT_STATE`].
///
/// # Safety
///
/// `policy` is NULL or valid for reads of `policy_len` bytes; `state` is NULL or valid for
/// reads of `state_len` bytes; `json` is NULL or valid for writes of `json_len` bytes;
/// `written` is NULL or valid and aligned for a `size_t`. The outputs `json` and `written`
/// must not overlap each other, `policy` or `state`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn al_view_json(
    policy: *const u8,
    policy_len: usize,
    state: *const u8,
    state_len: usize,
    now_ms: i64,
    json: *mut c_char,
    json_len: usize,
    written: *mut usize,
) -> i32 {
    code((|| {
        let json = json.cast::<u8>();
        check_output(json, json_len, 0)?;
        // SAFETY: `policy` and `state` are NULL or valid for reads of their lengths (this
        // function's contract); `read_buffer` checks for NULL and the length.
        let (policy, state) = unsafe {
            (
                read_buffer::<AL_POLICY_LEN>(policy, policy_len)?,
                read_buffer::<AL_STATE_LEN>(state, state_len)?,
            )
        };
        let (text, len) = logic::view_json(&logic::view(&policy, &state, now_ms)?)?;
        // SAFETY: `written` is NULL or valid and aligned for a `usize` (contract).
        unsafe { write_optional(written, len) };
        // The text and its NUL.
        let with_nul = text
            .get(..len.saturating_add(1))
            .ok_or(Error::BUFFER_TOO_SMALL)?;
        check_output(json, json_len, with_nul.len())?;
        // SAFETY: `check_output` found `json` not NULL with at least `with_nul.len()`
        // bytes, valid for writes by this function's contract; `text` is on our stack.
        unsafe { write_buffer(json, with_nul) };
        Ok(())
    })())
}

/// The name of a return code (`"ok"`, `"null_pointer"`, `"corrupt_state"`, ...; the
/// [behaviour §4](account_lockout::behaviour#s4) code for the operation errors), as a static NUL-terminated string;
/// `"unknown_error"` for a value that is not a code.
#[unsafe(no_mangle)]
pub extern "C" fn al_error_name(code: i32) -> *const c_char {
    logic::name(code).as_ptr()
}

/// The fingerprint of a credential: SipHash-2-4 (64-bit output) of the `len` bytes at
/// `bytes` under the 16-byte secret `key` ([`AL_FINGERPRINT_KEY_LEN`]), written to `*out`,
/// for [`al_failure`]'s fingerprint. The same on every target, so every node that shares
/// the key recognises the same credential. Fingerprints are stored in the state buffer:
/// choose the key at random per deployment and keep it apart from the stored states, so
/// that reading them does not let anyone test guesses offline.
///
/// `key_len` must be at least [`AL_FINGERPRINT_KEY_LEN`] (only that many bytes are used).
/// `bytes` may be NULL only with `len` 0 (the empty input). A NULL `bytes` with `len > 0`
/// is a caller's bug, not an empty credential: hashing it as one would give every failure
/// the same fingerprint, and with `repeatedCredentialMemory` count only the first.
///
/// Returns [`AL_OK`], [`AL_ERR_NULL_POINTER`] (`key`, `out`, or `bytes` with `len > 0`)
/// or [`AL_ERR_BUFFER_TOO_SMALL`] (`key_len < AL_FINGERPRINT_KEY_LEN`); on error `*out` is
/// unchanged.
///
/// # Safety
///
/// `key` is NULL or valid for reads of `key_len` bytes; `bytes` is NULL or valid for reads
/// of `len` bytes; `out` is NULL or valid and aligned for a write of a `uint64_t`. The
/// output `out` must not overlap `key` or `bytes`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn al_fingerprint(
    key: *const u8,
    key_len: usize,
    bytes: *const u8,
    len: usize,
    out: *mut u64,
) -> i32 {
    code((|| {
        if out.is_null() {
            return Err(Error::NULL_POINTER);
        }
        // SAFETY: `key` is NULL or valid for reads of `key_len` bytes (this function's
        // contract); `read_buffer` checks for NULL and the length.
        let key = FingerprintKey::new(unsafe { read_buffer(key, key_len) }?);
        let credential = if bytes.is_null() && len == 0 {
            &[][..]
        } else {
            // SAFETY: `bytes` is NULL or valid for reads of `len` bytes (this function's
            // contract; `input` refuses NULL); the slice is dropped before `out` is written.
            unsafe { input(bytes, len) }?
        };
        let hash = Fingerprint::keyed(&key, credential).get();
        // SAFETY: `out` is not NULL and, by this function's contract, valid and aligned for
        // a `u64`.
        unsafe { write_optional(out, hash) };
        Ok(())
    })())
}

/// Bare metal has no `std` to handle a panic, and a static library must bring a handler:
/// the `panic-handler` feature's, for C firmware. The crate never panics by construction
/// (see the lints above); were one to happen anyway, the core parks itself. Off by
/// default, so that the rlib brings no handler of its own into a Rust program.
#[cfg(all(not(test), target_os = "none", feature = "panic-handler"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {
        core::hint::spin_loop();
    }
}
