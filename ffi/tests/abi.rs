//! The exported `extern "C"` functions called from Rust exactly as a C caller calls them:
//! through raw pointers and lengths. `cargo test` runs these natively; `.ci/miri` runs them
//! under Miri, which checks the crate's `unsafe` code (reads and writes through the
//! caller's pointers, slices made from them) for out-of-bounds accesses, misaligned or
//! aliasing-violating writes and reads of uninitialised memory.
//!
//! Buffers are allocations of exactly the length passed with them, so that a read or a
//! write past it is an error under Miri.

// Test code: the workspace's panic-free lints do not apply, but every `unsafe` block
// still says why it is sound.
#![allow(clippy::restriction)]
#![deny(clippy::undocumented_unsafe_blocks)]

use core::ptr;

use account_lockout_ffi::{
    AL_ATTEMPT_TOKEN_LEN, AL_DECISION_ALLOWED, AL_DECISION_NONE, AL_DECISION_REJECTED_BUSY,
    AL_DECISION_REJECTED_LOCKED, AL_ERR_BUFFER_TOO_SMALL, AL_ERR_CORRUPT_POLICY,
    AL_ERR_CORRUPT_STATE, AL_ERR_INVALID_POLICY, AL_ERR_INVALID_VALUE, AL_ERR_NULL_POINTER,
    AL_ERR_READ_ONLY_FIELD, AL_ERR_UNKNOWN_ATTEMPT, AL_FINGERPRINT_KEY_LEN, AL_OK, AL_POLICY_LEN,
    AL_STATE_LEN, AL_STATUS_LOCKED, AL_STATUS_OK, AL_TRANSITION_COUNTED,
    AL_TRANSITION_IGNORED_REPEATED, AL_TRANSITION_LOCKED, AL_TRANSITION_UNLOCKED,
    AL_VERDICT_FAILURE, AL_VERDICT_SUCCESS, AL_VIEW_JSON_LEN, AlOutcome, AlView, al_begin_attempt,
    al_check, al_failure, al_fingerprint, al_finish_attempt, al_lock, al_patch,
    al_policy_from_json, al_recover, al_state_init, al_success, al_unlock, al_view, al_view_json,
};

/// 2026-01-01T00:00:00Z in milliseconds since the Unix epoch.
const T0: i64 = 1_767_225_600_000;

const PINGONE: &[u8] = br#"{"pingone":{"failureCount":3,"durationSeconds":900}}"#;

/// An outcome no call writes: a refused call must leave it as it is.
const UNWRITTEN: AlOutcome = AlOutcome {
    decision: 0xEE,
    has_unlock_at: true,
    has_failures_remaining: true,
    unlock_at_ms: -7,
    failures_remaining: 0xEEEE,
    transitions: 0xEEEE,
    failures: 0xEEEE,
};

fn policy_from(json: &[u8]) -> Vec<u8> {
    let mut policy = vec![0u8; AL_POLICY_LEN];
    // SAFETY: `json` and `policy` are valid for their lengths; `message` is NULL.
    let code = unsafe {
        al_policy_from_json(
            json.as_ptr(),
            json.len(),
            policy.as_mut_ptr(),
            policy.len(),
            ptr::null_mut(),
            0,
        )
    };
    assert_eq!(code, AL_OK);
    policy
}

fn new_state() -> Vec<u8> {
    let mut state = vec![0x5Au8; AL_STATE_LEN];
    // SAFETY: `state` is valid for writes of its length.
    let code = unsafe { al_state_init(state.as_mut_ptr(), state.len()) };
    assert_eq!(code, AL_OK);
    state
}

/// Runs `call` with the pointers and lengths of the policy and state buffers and a
/// pointer to an outcome that starts as [`UNWRITTEN`]; returns the code and the outcome.
fn with_buffers(
    policy: &[u8],
    state: &mut [u8],
    call: impl FnOnce(*const u8, usize, *mut u8, usize, *mut AlOutcome) -> i32,
) -> (i32, AlOutcome) {
    let mut outcome = UNWRITTEN;
    let code = call(
        policy.as_ptr(),
        policy.len(),
        state.as_mut_ptr(),
        state.len(),
        &mut outcome,
    );
    (code, outcome)
}

/// A failure, with `has_fingerprint` passed through as the byte a binding sends.
fn failure(policy: &[u8], state: &mut [u8], now: i64, has: u8, fp: u64) -> (i32, AlOutcome) {
    with_buffers(policy, state, |p, p_len, s, s_len, outcome| {
        // SAFETY: `with_buffers` passes pointers valid for the lengths beside them, and an
        // outcome of its own.
        unsafe { al_failure(p, p_len, s, s_len, now, has, fp, outcome) }
    })
}

/// A check, through a pointer made from a shared reference: were the library to write
/// through it, Miri would report it.
fn check(policy: &[u8], state: &[u8], now: i64) -> (i32, AlOutcome) {
    let mut outcome = UNWRITTEN;
    // SAFETY: `policy` and `state` are valid for reads of their lengths, `outcome` is a
    // local.
    let code = unsafe {
        al_check(
            policy.as_ptr(),
            policy.len(),
            state.as_ptr(),
            state.len(),
            now,
            &mut outcome,
        )
    };
    (code, outcome)
}

fn view(policy: &[u8], state: &[u8], now: i64) -> AlView {
    let mut view = AlView {
        can_authenticate: true,
        enabled: false,
        status: 0xEE,
        has_locked_at: true,
        has_unlock_at: true,
        has_seconds_until_unlock: true,
        locked_at_ms: -1,
        unlock_at_ms: -1,
        seconds_until_unlock: 7,
    };
    // SAFETY: `policy` and `state` are valid for reads of their lengths, `view` is a local.
    let code = unsafe {
        al_view(
            policy.as_ptr(),
            policy.len(),
            state.as_ptr(),
            state.len(),
            now,
            &mut view,
        )
    };
    assert_eq!(code, AL_OK);
    view
}

/// The view's JSON in a buffer of `len` bytes: the code, `written`, and the buffer.
fn view_json(policy: &[u8], state: &[u8], now: i64, len: usize) -> (i32, usize, Vec<u8>) {
    let mut json = vec![b'x'; len];
    let mut written = usize::MAX;
    // SAFETY: `policy` and `state` are valid for reads of their lengths, `json` for writes
    // of `len` bytes, `written` is a local.
    let code = unsafe {
        al_view_json(
            policy.as_ptr(),
            policy.len(),
            state.as_ptr(),
            state.len(),
            now,
            json.as_mut_ptr().cast(),
            len,
            &mut written,
        )
    };
    (code, written, json)
}

/// The NUL-terminated text at the start of `buffer`.
fn c_text(buffer: &[u8]) -> &str {
    let end = buffer.iter().position(|&byte| byte == 0).expect("a NUL");
    std::str::from_utf8(&buffer[..end]).expect("UTF-8")
}

/// The SipHash reference key, 00 01 .. 0f.
const REFERENCE_KEY: [u8; AL_FINGERPRINT_KEY_LEN] =
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/// `al_fingerprint` under `key`, into an `out` that starts as 42.
fn fingerprint(key: &[u8], bytes: *const u8, len: usize) -> (i32, u64) {
    let mut out = 42u64;
    // SAFETY: `key` is valid for its length; every caller passes NULL or a pointer valid
    // for `len` bytes; `out` is a local.
    let code = unsafe { al_fingerprint(key.as_ptr(), key.len(), bytes, len, &mut out) };
    (code, out)
}

#[test]
fn a_lock_and_unlock_cycle() {
    let policy = policy_from(PINGONE);
    let mut state = new_state();

    for (i, now) in [T0, T0 + 1000].into_iter().enumerate() {
        let (code, outcome) = failure(&policy, &mut state, now, 0, 0);
        assert_eq!(code, AL_OK);
        assert_eq!(outcome.decision, AL_DECISION_ALLOWED);
        assert_eq!(outcome.transitions, AL_TRANSITION_COUNTED);
        assert_eq!(outcome.failures, i as u32 + 1);
        assert_eq!(outcome.failures_remaining, 2 - i as u32);
    }
    let (code, outcome) = failure(&policy, &mut state, T0 + 2000, 0, 0);
    assert_eq!(code, AL_OK);
    assert_eq!(
        outcome.transitions,
        AL_TRANSITION_COUNTED | AL_TRANSITION_LOCKED
    );
    assert_eq!(outcome.failures, 3);

    let unlock_at = T0 + 2000 + 900_000;
    let locked = view(&policy, &state, T0 + 2000);
    assert_eq!(
        locked,
        AlView {
            can_authenticate: false,
            enabled: true,
            status: AL_STATUS_LOCKED,
            has_locked_at: true,
            has_unlock_at: true,
            has_seconds_until_unlock: true,
            locked_at_ms: T0 + 2000,
            unlock_at_ms: unlock_at,
            seconds_until_unlock: 900,
        }
    );
    let (code, written, json) = view_json(&policy, &state, T0 + 2000, AL_VIEW_JSON_LEN);
    assert_eq!(code, AL_OK);
    let expected = r#"{"canAuthenticate":false,"lockedAt":"2026-01-01T00:00:02.000Z","secondsUntilUnlock":900,"status":"LOCKED","unlockAt":"2026-01-01T00:15:02.000Z"}"#;
    assert_eq!(c_text(&json), expected);
    assert_eq!(written, expected.len());

    // Locked: rejected and not counted, the deadline in the outcome.
    let (code, outcome) = failure(&policy, &mut state, T0 + 3000, 0, 0);
    assert_eq!(code, AL_OK);
    assert_eq!(outcome.decision, AL_DECISION_REJECTED_LOCKED);
    assert!(outcome.has_unlock_at);
    assert_eq!(outcome.unlock_at_ms, unlock_at);
    assert_eq!(outcome.transitions, 0);
    assert_eq!(
        check(&policy, &state, unlock_at - 1).1.decision,
        AL_DECISION_REJECTED_LOCKED
    );
    assert_eq!(
        check(&policy, &state, unlock_at).1.decision,
        AL_DECISION_ALLOWED
    );

    // An administrator lock whose `has_unlock_at` is 2, as a binding may pass: a
    // deadline; then an administrator unlock.
    let (code, outcome) = with_buffers(&policy, &mut state, |p, p_len, s, s_len, outcome| {
        // SAFETY: `with_buffers` passes pointers valid for the lengths beside them.
        unsafe {
            al_lock(
                p,
                p_len,
                s,
                s_len,
                unlock_at + 10,
                2,
                unlock_at + 60_010,
                outcome,
            )
        }
    });
    assert_eq!(code, AL_OK);
    assert_eq!(outcome.decision, AL_DECISION_NONE);
    assert_eq!(
        outcome.transitions,
        AL_TRANSITION_UNLOCKED | AL_TRANSITION_LOCKED
    );
    let relocked = view(&policy, &state, unlock_at + 10);
    assert!(relocked.has_unlock_at);
    assert_eq!(relocked.unlock_at_ms, unlock_at + 60_010);
    assert_eq!(relocked.seconds_until_unlock, 60);

    let (code, outcome) = with_buffers(&policy, &mut state, |p, p_len, s, s_len, outcome| {
        // SAFETY: `with_buffers` passes pointers valid for the lengths beside them.
        unsafe { al_unlock(p, p_len, s, s_len, unlock_at + 20, outcome) }
    });
    assert_eq!((code, outcome.transitions), (AL_OK, AL_TRANSITION_UNLOCKED));
    assert_eq!(view(&policy, &state, unlock_at + 20).status, AL_STATUS_OK);
    let (code, _) = with_buffers(&policy, &mut state, |p, p_len, s, s_len, _| {
        // SAFETY: `with_buffers` passes pointers valid for the lengths beside them; the
        // outcome may be NULL.
        unsafe { al_success(p, p_len, s, s_len, unlock_at + 30, ptr::null_mut()) }
    });
    assert_eq!(code, AL_OK);
}

#[test]
fn fingerprints_and_a_has_fingerprint_of_2() {
    // The SipHash-2-4 reference vectors (the paper's appendix A, and the first entry of
    // the reference `vectors_sip64`: the empty message).
    let message: [u8; 15] = core::array::from_fn(|i| i as u8);
    // Only the first 16 bytes of a longer key are used.
    let mut long_key = REFERENCE_KEY.to_vec();
    long_key.push(0xff);
    // The key, the bytes and their length, and what `al_fingerprint` returns.
    type Case<'a> = (&'a [u8], *const u8, usize, (i32, u64));
    let cases: [Case; 5] = [
        (
            &REFERENCE_KEY,
            message.as_ptr(),
            15,
            (AL_OK, 0xa129_ca61_49be_45e5),
        ),
        (
            &REFERENCE_KEY,
            ptr::null(),
            0,
            (AL_OK, 0x726f_db47_dd0e_0e31),
        ),
        (
            &long_key,
            message.as_ptr(),
            15,
            (AL_OK, 0xa129_ca61_49be_45e5),
        ),
        // NULL with a length and a short key are refused; `out` keeps its 42.
        (&REFERENCE_KEY, ptr::null(), 5, (AL_ERR_NULL_POINTER, 42)),
        (
            &REFERENCE_KEY[..15],
            message.as_ptr(),
            15,
            (AL_ERR_BUFFER_TOO_SMALL, 42),
        ),
    ];
    for (index, (key, bytes, len, expected)) in cases.into_iter().enumerate() {
        assert_eq!(fingerprint(key, bytes, len), expected, "case {index}");
    }
    // A NULL key or `out` is refused too.
    let mut out = 42u64;
    // SAFETY: the key is NULL, the bytes are valid for their length, `out` is a local.
    let code = unsafe { al_fingerprint(ptr::null(), 16, b"x".as_ptr(), 1, &mut out) };
    assert_eq!((code, out), (AL_ERR_NULL_POINTER, 42));
    // SAFETY: the key and the bytes are valid for their lengths; `out` is NULL.
    let code = unsafe {
        al_fingerprint(
            REFERENCE_KEY.as_ptr(),
            16,
            b"x".as_ptr(),
            1,
            ptr::null_mut(),
        )
    };
    assert_eq!(code, AL_ERR_NULL_POINTER);
    // Another key, another fingerprint.
    assert_ne!(
        fingerprint(&[0xA5; 16], b"hunter2".as_ptr(), 7).1,
        fingerprint(&REFERENCE_KEY, b"hunter2".as_ptr(), 7).1
    );

    let policy = policy_from(br#"{"pingone":{"failureCount":3},"repeatedCredentialMemory":2}"#);
    let mut state = new_state();
    let hunter2 = fingerprint(&[0xA5; 16], b"hunter2".as_ptr(), 7).1;
    let (code, first) = failure(&policy, &mut state, T0, 1, hunter2);
    assert_eq!((code, first.transitions), (AL_OK, AL_TRANSITION_COUNTED));
    // 2 is "true": the same credential again is recognised and not counted.
    let (code, again) = failure(&policy, &mut state, T0 + 1, 2, hunter2);
    assert_eq!(
        (code, again.transitions),
        (AL_OK, AL_TRANSITION_IGNORED_REPEATED)
    );
    assert_eq!(again.failures_remaining, 2);
    // 0 is "false": the fingerprint is ignored and the failure counts.
    let (code, counted) = failure(&policy, &mut state, T0 + 2, 0, hunter2);
    assert_eq!((code, counted.transitions), (AL_OK, AL_TRANSITION_COUNTED));
    assert_eq!(counted.failures, 2);
}

#[test]
fn null_pointers_are_refused_and_change_nothing() {
    let policy = policy_from(PINGONE);
    let mut state = new_state();
    let before = state.clone();
    let mut message = vec![b'?'; 64];
    let mut outcome = UNWRITTEN;
    let out: *mut AlOutcome = &mut outcome;
    let (p, p_len, s, s_len) = (
        policy.as_ptr(),
        policy.len(),
        state.as_mut_ptr(),
        state.len(),
    );
    let (null, null_mut) = (ptr::null(), ptr::null_mut());
    let (msg, msg_len) = (message.as_mut_ptr().cast(), message.len());
    // The attempt protocol's token: an output for begin, an input for finish.
    let mut token = [0x5Au8; AL_ATTEMPT_TOKEN_LEN];
    let (t, t_len) = (token.as_mut_ptr(), token.len());
    let success = AL_VERDICT_SUCCESS;

    // SAFETY: every pointer is NULL or valid for the length passed with it, and `out`
    // points to a local outcome.
    let codes = unsafe {
        [
            al_policy_from_json(null, 10, null_mut, AL_POLICY_LEN, msg, msg_len),
            al_policy_from_json(p, p_len, null_mut, AL_POLICY_LEN, null_mut.cast(), 0),
            al_state_init(null_mut, AL_STATE_LEN),
            al_check(null, AL_POLICY_LEN, s.cast_const(), s_len, T0, out),
            al_check(p, p_len, null, AL_STATE_LEN, T0, out),
            al_failure(p, p_len, null_mut, AL_STATE_LEN, T0, 0, 0, out),
            al_success(null, AL_POLICY_LEN, s, s_len, T0, out),
            al_unlock(p, p_len, null_mut, AL_STATE_LEN, T0, out),
            al_lock(null, AL_POLICY_LEN, s, s_len, T0, 0, 0, out),
            al_patch(p, p_len, s, s_len, T0, null, 2, out, null_mut.cast(), 0),
            al_view(p, p_len, s.cast_const(), s_len, T0, null_mut.cast()),
            al_view_json(
                p,
                p_len,
                null,
                AL_STATE_LEN,
                T0,
                msg,
                msg_len,
                null_mut.cast(),
            ),
            al_view_json(
                p,
                p_len,
                s,
                s_len,
                T0,
                null_mut.cast(),
                100,
                null_mut.cast(),
            ),
            al_begin_attempt(null, AL_POLICY_LEN, s, s_len, T0, t, t_len, out),
            al_begin_attempt(p, p_len, null_mut, AL_STATE_LEN, T0, t, t_len, out),
            al_begin_attempt(p, p_len, s, s_len, T0, null_mut, AL_ATTEMPT_TOKEN_LEN, out),
            al_finish_attempt(
                null,
                AL_POLICY_LEN,
                s,
                s_len,
                T0,
                t,
                t_len,
                success,
                0,
                0,
                out,
            ),
            al_finish_attempt(
                p,
                p_len,
                null_mut,
                AL_STATE_LEN,
                T0,
                t,
                t_len,
                success,
                0,
                0,
                out,
            ),
            al_finish_attempt(p, p_len, s, s_len, T0, null, t_len, success, 0, 0, out),
            al_recover(null, AL_POLICY_LEN, s, s_len, T0, out),
            al_recover(p, p_len, null_mut, AL_STATE_LEN, T0, out),
        ]
    };
    assert_eq!(codes, [AL_ERR_NULL_POINTER; 21]);
    assert_eq!(token, [0x5A; AL_ATTEMPT_TOKEN_LEN]);
    assert_eq!(c_text(&message), "a required pointer is null");
    assert_eq!(state, before);
    assert_eq!(outcome, UNWRITTEN);
}

#[test]
fn short_buffers_are_refused_and_change_nothing() {
    let policy = policy_from(PINGONE);
    let mut small_policy = vec![0x5Au8; AL_POLICY_LEN - 1];
    let mut message = vec![b'?'; 8];
    // SAFETY: each buffer is valid for the length passed with it.
    let code = unsafe {
        al_policy_from_json(
            PINGONE.as_ptr(),
            PINGONE.len(),
            small_policy.as_mut_ptr(),
            small_policy.len(),
            message.as_mut_ptr().cast(),
            message.len(),
        )
    };
    assert_eq!(code, AL_ERR_BUFFER_TOO_SMALL);
    // Cut to its 8 bytes, the NUL included.
    assert_eq!(c_text(&message), "a buffe");
    assert!(small_policy.iter().all(|&byte| byte == 0x5A));

    let mut small_state = vec![0x5Au8; AL_STATE_LEN - 1];
    // SAFETY: `small_state` is valid for writes of its length.
    let code = unsafe { al_state_init(small_state.as_mut_ptr(), small_state.len()) };
    assert_eq!(code, AL_ERR_BUFFER_TOO_SMALL);
    let (code, outcome) = failure(&policy, &mut small_state, T0, 0, 0);
    assert_eq!((code, outcome), (AL_ERR_BUFFER_TOO_SMALL, UNWRITTEN));
    assert!(small_state.iter().all(|&byte| byte == 0x5A));
    assert_eq!(
        check(&policy[..10], &new_state(), T0),
        (AL_ERR_BUFFER_TOO_SMALL, UNWRITTEN)
    );

    // The view's JSON is 38 bytes and a NUL: 38 bytes are too few, and are left alone.
    let state = new_state();
    let (code, written, json) = view_json(&policy, &state, T0, 38);
    assert_eq!((code, written), (AL_ERR_BUFFER_TOO_SMALL, 38));
    assert!(json.iter().all(|&byte| byte == b'x'));
    let (code, written, json) = view_json(&policy, &state, T0, 39);
    assert_eq!((code, written), (AL_OK, 38));
    assert_eq!(c_text(&json), r#"{"canAuthenticate":true,"status":"OK"}"#);
    assert_eq!(view_json(&policy, &state, T0, 0).0, AL_ERR_BUFFER_TOO_SMALL);
}

#[test]
fn corrupted_buffers_are_refused_and_left_as_they_were() {
    let policy = policy_from(PINGONE);
    let mut state = new_state();
    assert_eq!(failure(&policy, &mut state, T0, 0, 0).0, AL_OK);

    // Every byte natively; a sample of them under the interpreter.
    let step = if cfg!(miri) { 37 } else { 1 };
    for offset in (0..AL_STATE_LEN).step_by(step) {
        let mut corrupt = state.clone();
        corrupt[offset] ^= 0x04;
        let copy = corrupt.clone();
        let (code, outcome) = failure(&policy, &mut corrupt, T0 + 1, 0, 0);
        assert_eq!(
            (code, outcome),
            (AL_ERR_CORRUPT_STATE, UNWRITTEN),
            "byte {offset}"
        );
        assert_eq!(corrupt, copy, "byte {offset}");
    }
    for offset in (0..AL_POLICY_LEN).step_by(step) {
        let mut bad = policy.clone();
        bad[offset] ^= 0x80;
        let copy = state.clone();
        assert_eq!(
            failure(&bad, &mut state, T0 + 1, 0, 0).0,
            AL_ERR_CORRUPT_POLICY
        );
        assert_eq!(state, copy, "byte {offset}");
    }
    // Zeroes that al_state_init never wrote.
    assert_eq!(
        check(&policy, &[0u8; AL_STATE_LEN], T0).0,
        AL_ERR_CORRUPT_STATE
    );
}

#[test]
fn inputs_may_overlap_each_other() {
    // The same bytes as the policy and the state: both only read, and a policy frame is
    // not an account's.
    let mut policy = policy_from(PINGONE);
    // A state buffer is longer than a policy's: pad the policy's frame with zeros.
    policy.resize(AL_STATE_LEN, 0);
    assert_eq!(
        check(&policy, &policy, T0),
        (AL_ERR_CORRUPT_STATE, UNWRITTEN)
    );
}

/// The contract forbids an output that overlaps an input; a caller who breaks it still
/// gets no undefined behaviour from the library: it is done reading a JSON text before it
/// writes anything (Miri checks the aliasing), so the message simply replaces the text.
#[test]
fn a_json_input_and_its_message_output_in_one_buffer() {
    let mut buffer = vec![0u8; 128];
    let text = br#"{"okta":{}}"#;
    buffer[..text.len()].copy_from_slice(text);
    let mut policy = vec![0x5Au8; AL_POLICY_LEN];
    // One raw pointer for both roles, so that neither invalidates the other.
    let shared = buffer.as_mut_ptr();
    // SAFETY: `shared` is valid for reads of `text.len()` and writes of `buffer.len()`
    // bytes, `policy` for writes of its length.
    let code = unsafe {
        al_policy_from_json(
            shared.cast_const(),
            text.len(),
            policy.as_mut_ptr(),
            policy.len(),
            shared.cast(),
            buffer.len(),
        )
    };
    assert_eq!(code, AL_ERR_INVALID_POLICY);
    assert!(c_text(&buffer).starts_with("unknown dialect or modifier `okta`; expected one of"));
    assert!(policy.iter().all(|&byte| byte == 0x5A));

    let policy = policy_from(PINGONE);
    let mut state = new_state();
    let before = state.clone();
    for (body, expected_code, expected_message) in [
        (
            &br#"{"lockedAt":"x"}"#[..],
            AL_ERR_READ_ONLY_FIELD,
            "lockedAt is read-only",
        ),
        (br#"{"status":"LOCKED"}"#, AL_OK, ""),
    ] {
        let mut buffer = vec![0u8; 64];
        buffer[..body.len()].copy_from_slice(body);
        let shared = buffer.as_mut_ptr();
        let (code, outcome) = with_buffers(&policy, &mut state, |p, p_len, s, s_len, outcome| {
            // SAFETY: `with_buffers` passes pointers valid for the lengths beside them;
            // `shared` is valid for reads of `body.len()` and writes of `buffer.len()`
            // bytes.
            unsafe {
                al_patch(
                    p,
                    p_len,
                    s,
                    s_len,
                    T0,
                    shared.cast_const(),
                    body.len(),
                    outcome,
                    shared.cast(),
                    buffer.len(),
                )
            }
        });
        assert_eq!(code, expected_code);
        assert_eq!(c_text(&buffer), expected_message);
        if code == AL_OK {
            assert_eq!(outcome.transitions, AL_TRANSITION_LOCKED);
        } else {
            assert_eq!((outcome, &state), (UNWRITTEN, &before));
        }
    }
    assert_eq!(view(&policy, &state, T0).status, AL_STATUS_LOCKED);
}

/// `al_begin_attempt` into a token buffer of `token_len` bytes filled with 0x5A: the code,
/// the outcome and the token buffer.
fn begin(policy: &[u8], state: &mut [u8], now: i64, token_len: usize) -> (i32, AlOutcome, Vec<u8>) {
    let mut token = vec![0x5Au8; token_len];
    let (code, outcome) = with_buffers(policy, state, |p, p_len, s, s_len, outcome| {
        // SAFETY: `with_buffers` passes pointers valid for the lengths beside them; `token`
        // is valid for writes of its length.
        unsafe {
            al_begin_attempt(
                p,
                p_len,
                s,
                s_len,
                now,
                token.as_mut_ptr(),
                token.len(),
                outcome,
            )
        }
    });
    (code, outcome, token)
}

/// `al_finish_attempt` with `token`, `verdict` and no fingerprint.
fn finish(
    policy: &[u8],
    state: &mut [u8],
    now: i64,
    token: &[u8],
    verdict: u8,
) -> (i32, AlOutcome) {
    finish_with(policy, state, now, token, verdict, (0, 0))
}

/// `al_finish_attempt` with `token`, `verdict`, and `has_fingerprint` and the fingerprint.
fn finish_with(
    policy: &[u8],
    state: &mut [u8],
    now: i64,
    token: &[u8],
    verdict: u8,
    (has, fingerprint): (u8, u64),
) -> (i32, AlOutcome) {
    let (t, t_len) = (token.as_ptr(), token.len());
    with_buffers(policy, state, |p, p_len, s, s_len, out| {
        // SAFETY: `with_buffers` passes pointers valid for the lengths beside them; `token`
        // is valid for reads of its length.
        unsafe {
            al_finish_attempt(
                p,
                p_len,
                s,
                s_len,
                now,
                t,
                t_len,
                verdict,
                has,
                fingerprint,
                out,
            )
        }
    })
}

fn recover(policy: &[u8], state: &mut [u8], now: i64) -> (i32, AlOutcome) {
    with_buffers(policy, state, |p, p_len, s, s_len, outcome| {
        // SAFETY: `with_buffers` passes pointers valid for the lengths beside them.
        unsafe { al_recover(p, p_len, s, s_len, now, outcome) }
    })
}

/// A PingOne policy, and a new account's state and token after a begin at `T0`.
fn begun() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let policy = policy_from(PINGONE);
    let mut state = new_state();
    let (code, _, token) = begin(&policy, &mut state, T0, AL_ATTEMPT_TOKEN_LEN);
    assert_eq!(code, AL_OK);
    (policy, state, token)
}

#[test]
fn an_attempt_finished_with_a_success_counts_nothing() {
    let policy = policy_from(PINGONE);
    let mut state = new_state();
    // One earlier failure, so that the success has something to reset.
    assert_eq!(failure(&policy, &mut state, T0, 0, 0).0, AL_OK);

    let (code, outcome, token) = begin(&policy, &mut state, T0 + 1_000, AL_ATTEMPT_TOKEN_LEN);
    assert_eq!(
        (code, outcome.decision, outcome.transitions),
        (AL_OK, AL_DECISION_ALLOWED, 0)
    );
    // Three lock: one counted, one reserved by the attempt in flight, one left.
    assert_eq!(outcome.failures_remaining, 1);
    // The token is the library's bytes: serial 1, then the start in ms, little-endian.
    let mut expected = vec![1, 0];
    expected.extend_from_slice(&(T0 + 1_000).to_le_bytes());
    assert_eq!(token, expected);
    let persisted = state.clone();

    let (code, outcome) = finish(&policy, &mut state, T0 + 1_500, &token, AL_VERDICT_SUCCESS);
    assert_eq!((code, outcome.decision), (AL_OK, AL_DECISION_ALLOWED));
    assert_eq!((outcome.transitions, outcome.failures), (0, 0));
    assert_eq!(outcome.failures_remaining, 3);
    assert_ne!(state, persisted);
    // Nothing is in flight any more: recovering counts nothing, the token is spent.
    let (code, outcome) = recover(&policy, &mut state, T0 + 2_000);
    assert_eq!((code, outcome.decision), (AL_OK, AL_DECISION_NONE));
    assert_eq!((outcome.transitions, outcome.failures_remaining), (0, 3));
    let after = state.clone();
    let (code, outcome) = finish(&policy, &mut state, T0 + 2_500, &token, AL_VERDICT_SUCCESS);
    assert_eq!((code, outcome), (AL_ERR_UNKNOWN_ATTEMPT, UNWRITTEN));
    assert_eq!(state, after);
    assert_eq!(check(&policy, &state, T0 + 3_000).1.failures_remaining, 3);
}

#[test]
fn a_power_cut_during_the_check_counts_one_failure_on_recovery() {
    let policy = policy_from(PINGONE);
    let mut state = new_state();
    // Three power cuts between the persisted begin and the verdict: each costs a failure,
    // the third locks, so cutting the power gives no free guesses.
    for round in 0..3u32 {
        let now = T0 + i64::from(round) * 10_000;
        let (code, outcome, _token) = begin(&policy, &mut state, now, AL_ATTEMPT_TOKEN_LEN);
        assert_eq!((code, outcome.decision), (AL_OK, AL_DECISION_ALLOWED));
        let stored = state.clone(); // persisted before the credential is checked
        // ... the power is cut while verifying; at boot the device restores `stored`.
        state = stored;
        let (code, outcome) = recover(&policy, &mut state, now + 5_000);
        assert_eq!((code, outcome.decision), (AL_OK, AL_DECISION_NONE));
        assert_eq!(outcome.failures, round + 1);
        let locked = if round == 2 { AL_TRANSITION_LOCKED } else { 0 };
        assert_eq!(outcome.transitions, AL_TRANSITION_COUNTED | locked);
        assert_eq!(outcome.failures_remaining, 2 - round);
    }
    assert_eq!(view(&policy, &state, T0 + 25_000).status, AL_STATUS_LOCKED);
    // Locked: a new attempt is rejected, not counted, and its token buffer zeroed.
    let (code, outcome, token) = begin(&policy, &mut state, T0 + 30_000, AL_ATTEMPT_TOKEN_LEN);
    assert_eq!(
        (code, outcome.decision),
        (AL_OK, AL_DECISION_REJECTED_LOCKED)
    );
    assert_eq!(
        (outcome.transitions, outcome.unlock_at_ms),
        (0, T0 + 25_000 + 900_000)
    );
    assert_eq!(token, [0; AL_ATTEMPT_TOKEN_LEN]);
    let before = state.clone();
    assert_eq!(
        finish(&policy, &mut state, T0 + 30_001, &token, AL_VERDICT_SUCCESS),
        (AL_ERR_UNKNOWN_ATTEMPT, UNWRITTEN)
    );
    assert_eq!(state, before);
}

#[test]
fn concurrent_attempts_reserve_the_budget_and_a_full_budget_is_busy() {
    // PingOne, 3 failures lock: at most three credentials are checked before a lock.
    let (policy, mut state, first) = begun();
    let (code, outcome, second) = begin(&policy, &mut state, T0 + 1, AL_ATTEMPT_TOKEN_LEN);
    assert_eq!((code, outcome.decision), (AL_OK, AL_DECISION_ALLOWED));
    assert_eq!((outcome.transitions, outcome.failures_remaining), (0, 1));
    let (code, outcome, third) = begin(&policy, &mut state, T0 + 2, AL_ATTEMPT_TOKEN_LEN);
    assert_eq!((code, outcome.decision), (AL_OK, AL_DECISION_ALLOWED));
    assert_eq!(outcome.failures_remaining, 0);
    let (code, outcome, fourth) = begin(&policy, &mut state, T0 + 3, AL_ATTEMPT_TOKEN_LEN);
    assert_eq!((code, outcome.decision), (AL_OK, AL_DECISION_REJECTED_BUSY));
    assert_eq!((outcome.transitions, outcome.has_unlock_at), (0, false));
    assert_eq!(fourth, [0; AL_ATTEMPT_TOKEN_LEN]);

    // The first finishes with a success: nothing is counted, and its token is spent.
    let (code, outcome) = finish(&policy, &mut state, T0 + 4, &first, AL_VERDICT_SUCCESS);
    assert_eq!(
        (code, outcome.decision, outcome.transitions),
        (AL_OK, AL_DECISION_ALLOWED, 0)
    );
    assert_eq!(
        finish(&policy, &mut state, T0 + 5, &first, AL_VERDICT_SUCCESS).0,
        AL_ERR_UNKNOWN_ATTEMPT
    );
    // The second finishes with a failure and a fingerprint (a `has_fingerprint` of 2).
    let (code, outcome) = finish_with(
        &policy,
        &mut state,
        T0 + 6,
        &second,
        AL_VERDICT_FAILURE,
        (2, 7),
    );
    assert_eq!(
        (code, outcome.transitions, outcome.failures),
        (AL_OK, AL_TRANSITION_COUNTED, 1)
    );
    // Three lock: one counted, one in flight (the third), one left.
    assert_eq!(outcome.failures_remaining, 1);
    let (code, outcome) = finish(&policy, &mut state, T0 + 7, &third, AL_VERDICT_FAILURE);
    assert_eq!((code, outcome.failures), (AL_OK, 2));
    assert_eq!(outcome.failures_remaining, 1);
}

#[test]
fn unknown_tokens_and_verdicts_are_refused_and_change_nothing() {
    let (policy, mut state, token) = begun();
    let before = state.clone();
    // Another serial, another start, zeros, and a token that is too short.
    let mut other_serial = token.clone();
    other_serial[0] ^= 1;
    let mut other_start = token.clone();
    other_start[AL_ATTEMPT_TOKEN_LEN - 1] ^= 0x40;
    for (forged, expected) in [
        (other_serial, AL_ERR_UNKNOWN_ATTEMPT),
        (other_start, AL_ERR_UNKNOWN_ATTEMPT),
        (vec![0; AL_ATTEMPT_TOKEN_LEN], AL_ERR_UNKNOWN_ATTEMPT),
        (
            token[..AL_ATTEMPT_TOKEN_LEN - 1].to_vec(),
            AL_ERR_BUFFER_TOO_SMALL,
        ),
    ] {
        let (code, outcome) = finish(&policy, &mut state, T0 + 1, &forged, AL_VERDICT_SUCCESS);
        assert_eq!((code, outcome), (expected, UNWRITTEN), "{forged:?}");
        assert_eq!(state, before);
    }
    // A verdict that is neither AL_VERDICT_SUCCESS nor AL_VERDICT_FAILURE.
    for verdict in [2, 0xFF] {
        let (code, outcome) = finish(&policy, &mut state, T0 + 1, &token, verdict);
        assert_eq!((code, outcome), (AL_ERR_INVALID_VALUE, UNWRITTEN));
        assert_eq!(state, before);
    }
    // The genuine token still finishes its attempt.
    assert_eq!(
        finish(&policy, &mut state, T0 + 2, &token, AL_VERDICT_SUCCESS).0,
        AL_OK
    );
    // A token buffer too short for begin is refused before anything changes.
    let before = state.clone();
    let (code, outcome, short) = begin(&policy, &mut state, T0 + 3, AL_ATTEMPT_TOKEN_LEN - 1);
    assert_eq!((code, outcome), (AL_ERR_BUFFER_TOO_SMALL, UNWRITTEN));
    assert!(short.iter().all(|&byte| byte == 0x5A));
    assert_eq!(state, before);
}
