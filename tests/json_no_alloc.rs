//! JSON without allocation: the patch scanner agrees with the serde path, and the
//! no_std serde-json-core reads policies and writes the view byte for byte as the
//! simulator (serde_json) does.

use account_lockout::{
    Account, AccountView, ErrorCode, Field, Instant, Patch, PatchDocument, PatchError, Policy,
    Status, UnlockAtPatch,
};

/// The serde_json path: a body that is not JSON at all is "not a JSON object".
fn via_serde(body: &str) -> Result<Patch, PatchError> {
    match serde_json::from_str::<PatchDocument>(body) {
        Ok(document) => document.into_patch(),
        Err(_) => Err(PatchError {
            code: ErrorCode::InvalidValue,
            field: Field::Body,
            other: None,
        }),
    }
}

/// Bodies that are not of the form `{"status":V}` (that form is built from
/// [`STATUS_VALUES`] by [`bodies`]).
const OTHER_BODIES: &[&str] = &[
    "{}",
    " { } ",
    r#"{"\u0073tatus":"LOCKED"}"#,
    r#"{"canAuthenticate":true}"#,
    r#"{"canAuthenticate":false,"status":"OK"}"#,
    r#"{"canAuthenticate":"true"}"#,
    r#"{"canAuthenticate":0}"#,
    r#"{"canAuthenticate":true,"status":"LOCKED"}"#,
    r#"{"canAuthenticate":true,"unlockAt":"2026-01-01T01:00:00Z"}"#,
    r#"{"status":"OK","unlockAt":"2026-01-01T01:00:00Z"}"#,
    r#"{"unlockAt":"2026-01-01T01:00:00Z"}"#,
    r#"{"unlockAt":"2026-01-01T01:00:00.123456+02:00"}"#,
    r#"{"unlockAt":"2026-01-01 01:00:00Z"}"#,
    r#"{"unlockAt":null}"#,
    r#"{"unlockAt":[]}"#,
    r#"{"unlockAt":{"at":"2026-01-01T01:00:00Z"}}"#,
    r#"{"status":"LOCKED","unlockAt":"2026-01-01T01:00:00Z","canAuthenticate":false}"#,
    r#"{"lockedAt":"2026-01-01T00:00:00Z"}"#,
    r#"{"secondsUntilUnlock":5}"#,
    r#"{"bogus":1,"lockedAt":2}"#,
    r#"{"bogus":{"deep":[1,2,{"x":[true,false,null,-1.5e3]}]}}"#,
    r#"{"a-very-long-field-name-that-goes-on-and-on-and-on-past-sixty-four-bytes-of-text":1}"#,
    r#"{"status":"FOO","bogus":1}"#,
    r#"{"status":"LOCKED","status":"LOCKED"}"#,
    r#"{"canAuthenticate":true,"canAuthenticate":true}"#,
    r#"{"unlockAt":"2026-01-01T01:00:00Z","unlockAt":null}"#,
    r#"{"status":"LOCKED","unlockAt":"2026-01-01T01:00:00Z"}"#,
    "[]",
    r#"["status"]"#,
    r#""status""#,
    "null",
    "true",
    "12",
    "-0.5e-7",
    "",
    "{",
    "}",
    r#"{"status":"LOCKED",}"#,
    r#"{"status" "LOCKED"}"#,
    r#"{status:"LOCKED"}"#,
    r#"{"status":"LOCK"#,
    r#"{"bogus":"\ud800"}"#,
    r#"{"bogus":["\udc00x", "\ud83d\ude00"]}"#,
    r#"{"s":01}"#,
    r#"{"s":1.}"#,
    r#"{"s":-}"#,
    r#"{"s":tru}"#,
    "{\"s\":\"a\u{1}b\"}",
];

/// The values `V` tried in the body `{"status":V}`: both names, other spellings and
/// types, escapes, and strings JSON does not allow.
const STATUS_VALUES: &[&str] = &[
    r#""LOCKED""#,
    r#""OK""#,
    r#""locked""#,
    r#""FOO""#,
    "null",
    "1",
    r#""LOC\u004bED""#,
    r#""ÖK""#,
    "'LOCKED'",
    r#""\x""#,
    r#""\ud800""#,
    r#""\ud83d\ude00""#,
];

/// Every body the scanner and the serde path are compared on: [`OTHER_BODIES`], each
/// `{"status":V}`, and a whole `{"status":"LOCKED"}` followed by more text.
fn bodies() -> Vec<String> {
    let status = |value: &str| format!(r#"{{"status":{value}}}"#);
    let trailing = [" x", "{}"].map(|more| status(r#""LOCKED""#) + more);
    OTHER_BODIES
        .iter()
        .map(|body| body.to_string())
        .chain(STATUS_VALUES.iter().map(|value| status(value)))
        .chain(trailing)
        .collect()
}

#[test]
fn the_scanner_and_the_serde_path_agree_on_every_body() {
    for body in bodies() {
        assert_eq!(
            Patch::from_json(body.as_bytes()),
            via_serde(&body),
            "body {body}"
        );
    }
}

#[test]
fn the_scanner_reads_a_string_of_any_length_and_decodes_its_escapes() {
    // RFC 3339 sets no limit on the fraction: digits past the millisecond are dropped.
    let long = format!(
        r#"{{"unlockAt":"2026-05-01T01:00:00.123{}+02:00"}}"#,
        "9".repeat(500)
    );
    let expected = Patch {
        can_authenticate: None,
        status: None,
        unlock_at: Some(UnlockAtPatch::At(Instant::from_millis(1_777_590_000_123))),
    };
    assert_eq!(Patch::from_json(long.as_bytes()), Ok(expected));
    assert_eq!(via_serde(&long), Ok(expected));
    // Escapes, one of them long, inside a long value.
    let escaped = format!(
        r#"{{"unlockAt":"\u0032026-05-01T01:00:00.1\u0032{}\u0033+02:00"}}"#,
        "1".repeat(100)
    );
    let expected = Patch {
        unlock_at: Some(UnlockAtPatch::At(Instant::from_millis(1_777_590_000_121))),
        ..expected
    };
    assert_eq!(Patch::from_json(escaped.as_bytes()), Ok(expected));
    assert_eq!(via_serde(&escaped), Ok(expected));
    // A status is read whole, so a long one is not a prefix match.
    let error =
        Patch::from_json(format!(r#"{{"status":"OK{}"}}"#, " ".repeat(80)).as_bytes()).unwrap_err();
    assert_eq!(
        (error.code, error.field),
        (ErrorCode::InvalidValue, Field::Status)
    );
    assert_eq!(
        Patch::from_json(br#"{"status":"\u004c\u004FCKED"}"#).map(|patch| patch.status),
        Ok(Some(Status::Locked))
    );
}

#[test]
fn the_scanner_reads_bytes_that_are_not_utf8_as_not_json() {
    let error = Patch::from_json(b"{\"status\":\"\xff\"}").unwrap_err();
    assert_eq!(
        (error.code, error.field),
        (ErrorCode::InvalidValue, Field::Body)
    );
}

#[test]
fn the_scanner_bounds_nesting() {
    let deep_ok = format!(r#"{{"x":{}1{}}}"#, "[".repeat(31), "]".repeat(31));
    assert_eq!(
        Patch::from_json(deep_ok.as_bytes()).unwrap_err().code,
        ErrorCode::UnknownField
    );
    let too_deep = format!(r#"{{"x":{}1{}}}"#, "[".repeat(40), "]".repeat(40));
    let error = Patch::from_json(too_deep.as_bytes()).unwrap_err();
    assert_eq!(
        (error.code, error.field),
        (ErrorCode::InvalidValue, Field::Body)
    );
    let bomb = "[".repeat(100_000);
    assert_eq!(
        Patch::from_json(bomb.as_bytes()).unwrap_err().code,
        ErrorCode::InvalidValue
    );
}

#[test]
fn scanner_errors_name_their_field() {
    let error = Patch::from_json(br#"{"colour":"red"}"#).unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown field `colour`; the mutable fields are canAuthenticate, status and unlockAt"
    );
    let error = Patch::from_json(br#"{"status":"LOCKED","canAuthenticate":true}"#).unwrap_err();
    assert_eq!(error.to_string(), "canAuthenticate conflicts with status");
    assert_eq!(
        Patch::from_json(br#"{"status":"LOCKED"}"#).unwrap(),
        Patch::new(None, Some(Status::Locked), None).unwrap()
    );
}

const POLICIES: &[&str] = &[
    r#"{"pingone":{"failureCount":3,"durationSeconds":900}}"#,
    r#"{"pingone":{"failureCount":5},"repeatedCredentialMemory":3,"maxConsecutiveFailures":100}"#,
    r#"{"activeDirectory":{"lockoutThreshold":5,"lockoutDurationSeconds":1800,"lockoutObservationWindowSeconds":900}}"#,
    r#"{"keycloak":{}}"#,
    r#"{"keycloak":{"failureFactor":5,"waitIncrementSeconds":30,"bruteForceStrategy":"LINEAR","permanentLockout":true,"maxTemporaryLockouts":2}}"#,
    r#"{"pamFaillock":{"deny":4,"failInterval":600,"unlockTime":0}}"#,
    r#"{"tpm":{"maxTries":32,"recoveryTime":600}}"#,
    r#"{"androidGatekeeper":{}}"#,
    r#"{"custom":{"threshold":3,"lock":{"exponentialSeconds":60},"maxLockSeconds":600,"decay":{"quietWindowSeconds":3600},"onLockEnd":"keep","permanentAfterTemporaryLocks":3}}"#,
    r#"{"custom":{"threshold":1,"lock":{"table":[{"fromCount":3,"seconds":30},{"fromCount":6,"seconds":300}]},"decay":"none","onSuccess":"keep"}}"#,
    r#"{"custom":{"threshold":4,"lock":{"fixedSeconds":600},"decay":{"slidingWindowSeconds":900},"quickFailure":{"withinMilliseconds":500,"lockSeconds":5},"deadlineFromWholeSecond":true}}"#,
    r#"{"custom":{"threshold":2,"lock":"permanent","decay":{"selfHealingSeconds":60}}}"#,
];

#[test]
fn serde_json_core_reads_every_policy_form_as_serde_json_does() {
    for text in POLICIES {
        let with_std: Policy = serde_json::from_str(text).unwrap();
        let (without_alloc, used) = serde_json_core::from_slice::<Policy>(text.as_bytes())
            .unwrap_or_else(|error| panic!("{text}: {error}"));
        assert_eq!(used, text.len());
        assert_eq!(without_alloc, with_std, "{text}");
    }
}

#[test]
fn serde_json_core_refuses_invalid_policies() {
    for text in [
        r#"{"pingone":{"failureCount":0}}"#,
        r#"{"okta":{}}"#,
        r#"{"tpm":{},"pingone":{"failureCount":1}}"#,
        r#"{}"#,
        r#"{"pamFaillock":{"deny":17}}"#,
    ] {
        assert!(
            serde_json_core::from_slice::<Policy>(text.as_bytes()).is_err(),
            "{text}"
        );
    }
}

#[test]
fn serde_json_core_writes_the_view_byte_for_byte_as_serde_json() {
    let policy: Policy = serde_json::from_str(POLICIES[0]).unwrap();
    let mut account: Account = Account::new();
    let t = Instant::from_millis(1_767_225_600_250);
    let mut views = vec![account.view(t)];
    for _ in 0..3 {
        let _ = account.failure(&policy, t, None).unwrap();
    }
    views.push(account.view(t));
    let _ = account.lock(&policy, t, None).unwrap();
    views.push(account.view(t));
    let _ = account
        .patch(
            &policy,
            t,
            &Patch::from_json(br#"{"canAuthenticate":false,"status":"OK"}"#).unwrap(),
        )
        .unwrap();
    views.push(account.view(t));
    views.push(AccountView {
        unlock_at: Some(Instant::MAX),
        seconds_until_unlock: Some(u64::MAX),
        status: Status::Locked,
        locked_at: Some(Instant::MIN),
        ..AccountView::OPEN
    });
    for view in views {
        let mut buffer = [0u8; 256];
        let length = serde_json_core::to_slice(&view, &mut buffer).unwrap();
        assert_eq!(
            std::str::from_utf8(&buffer[..length]).unwrap(),
            serde_json::to_string(&view).unwrap()
        );
    }
}

proptest::proptest! {
    /// `AccountView::write_json` writes serde_json's bytes for any view, and refuses every
    /// shorter buffer with the length it needs.
    #[test]
    fn write_json_writes_serde_json_bytes(
        can_authenticate: bool,
        locked: bool,
        locked_at in proptest::option::of(proptest::num::i64::ANY),
        seconds_until_unlock: Option<u64>,
        unlock_at in proptest::option::of(proptest::num::i64::ANY),
    ) {
        let view = AccountView {
            can_authenticate,
            locked_at: locked_at.map(Instant::from_millis),
            seconds_until_unlock,
            status: if locked { Status::Locked } else { Status::Ok },
            unlock_at: unlock_at.map(Instant::from_millis),
            enabled: true,
        };
        let expected = serde_json::to_string(&view).unwrap();
        let mut buffer = [0_u8; AccountView::MAX_JSON_LEN];
        let len = view.write_json(&mut buffer).unwrap();
        proptest::prop_assert_eq!(std::str::from_utf8(&buffer[..len]).unwrap(), expected.as_str());
        for short in [0, 1, len / 2, len - 1] {
            let mut small = vec![0_u8; short];
            proptest::prop_assert_eq!(view.write_json(&mut small).unwrap_err().needed, len);
        }
    }
}

#[test]
fn write_json_fits_the_longest_view_in_max_json_len() {
    let longest = AccountView {
        can_authenticate: false,
        locked_at: Some(Instant::MIN),
        seconds_until_unlock: Some(u64::MAX),
        status: Status::Locked,
        unlock_at: Some(Instant::MIN),
        enabled: true,
    };
    let mut buffer = [0_u8; AccountView::MAX_JSON_LEN];
    assert_eq!(
        longest.write_json(&mut buffer),
        Ok(AccountView::MAX_JSON_LEN)
    );
    assert_eq!(
        std::str::from_utf8(&buffer).unwrap(),
        serde_json::to_string(&longest).unwrap()
    );
}
