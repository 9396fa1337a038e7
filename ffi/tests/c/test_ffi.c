/*
 * The C ABI of account-lockout, tested from C: a lock and unlock cycle, administrator
 * operations, the power-loss-safe attempt protocol, and every error path (NULL pointers, short buffers, invalid JSON, corrupted
 * buffers). Each check compares concrete values; the first that fails prints its line
 * and the program exits with status 1.
 *
 * Built and run by .ci/ffi, plainly and with -fsanitize=address,undefined:
 *   cc -std=c11 -Wall -Wextra -Werror -I ffi/include ffi/tests/c/test_ffi.c \
 *      target/release/libaccount_lockout_ffi.a -lpthread -ldl -lm -o test_ffi
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account_lockout.h"

static int checks = 0;

#define CHECK(condition)                                                                   \
    do {                                                                                   \
        checks++;                                                                          \
        if (!(condition)) {                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition); \
            exit(1);                                                                       \
        }                                                                                  \
    } while (0)

#define CHECK_CODE(call, expected)                                                        \
    do {                                                                                  \
        int32_t code_ = (call);                                                           \
        checks++;                                                                         \
        if (code_ != (expected)) {                                                        \
            fprintf(stderr, "%s:%d: %s returned %d (%s), expected %d (%s)\n", __FILE__,   \
                    __LINE__, #call, code_, al_error_name(code_), (int)(expected),        \
                    al_error_name(expected));                                             \
            exit(1);                                                                      \
        }                                                                                 \
    } while (0)

/* 2026-01-01T00:00:00Z in milliseconds since the Unix epoch. */
static const int64_t T0 = 1767225600000LL;

static const char PINGONE[] = "{\"pingone\":{\"failureCount\":3,\"durationSeconds\":900}}";

static int32_t policy_from(const char *json, uint8_t *policy, char *message, size_t len) {
    return al_policy_from_json((const uint8_t *)json, strlen(json), policy, AL_POLICY_LEN,
                               message, len);
}

static int32_t patch(const uint8_t *policy, uint8_t *state, int64_t now, const char *json,
                     AlOutcome *outcome, char *message, size_t message_len) {
    return al_patch(policy, AL_POLICY_LEN, state, AL_STATE_LEN, now, (const uint8_t *)json,
                    strlen(json), outcome, message, message_len);
}

static AlView view_at(const uint8_t *policy, const uint8_t *state, int64_t now) {
    AlView view;
    memset(&view, 0xAB, sizeof view);
    CHECK_CODE(al_view(policy, AL_POLICY_LEN, state, AL_STATE_LEN, now, &view), AL_OK);
    return view;
}

/* PingOne, 3 failures lock for 900 s: lock, auto-unlock, administrator lock and unlock. */
static void lock_and_unlock_cycle(void) {
    uint8_t policy[AL_POLICY_LEN];
    uint8_t state[AL_STATE_LEN];
    char message[128] = "untouched";
    AlOutcome outcome;

    CHECK_CODE(policy_from(PINGONE, policy, message, sizeof message), AL_OK);
    CHECK(strcmp(message, "") == 0);
    CHECK_CODE(al_state_init(state, sizeof state), AL_OK);

    CHECK_CODE(al_check(policy, AL_POLICY_LEN, state, AL_STATE_LEN, T0, &outcome), AL_OK);
    CHECK(outcome.decision == AL_DECISION_ALLOWED);
    CHECK(outcome.has_failures_remaining && outcome.failures_remaining == 3);

    for (uint32_t i = 0; i < 2; i++) {
        CHECK_CODE(al_failure(policy, AL_POLICY_LEN, state, AL_STATE_LEN, T0 + 1000 * i,
                              0, 0, &outcome),
                   AL_OK);
        CHECK(outcome.decision == AL_DECISION_ALLOWED);
        CHECK(outcome.transitions == AL_TRANSITION_COUNTED);
        CHECK(outcome.failures == i + 1);
        CHECK(outcome.failures_remaining == 2 - i);
    }
    CHECK_CODE(al_failure(policy, AL_POLICY_LEN, state, AL_STATE_LEN, T0 + 2000, 0, 0,
                          &outcome),
               AL_OK);
    CHECK(outcome.decision == AL_DECISION_ALLOWED); /* the locking failure was allowed */
    CHECK(outcome.transitions == (AL_TRANSITION_COUNTED | AL_TRANSITION_LOCKED));
    CHECK(outcome.failures == 3);

    const int64_t unlock_at = T0 + 2000 + 900 * 1000;
    AlView view = view_at(policy, state, T0 + 2000);
    CHECK(view.status == AL_STATUS_LOCKED && !view.can_authenticate && view.enabled);
    CHECK(view.has_locked_at && view.locked_at_ms == T0 + 2000);
    CHECK(view.has_unlock_at && view.unlock_at_ms == unlock_at);
    CHECK(view.has_seconds_until_unlock && view.seconds_until_unlock == 900);
    /* 0.5 s later: ceil(899.5) */
    CHECK(view_at(policy, state, T0 + 2500).seconds_until_unlock == 900);

    char json[AL_VIEW_JSON_LEN];
    size_t written = 0;
    CHECK_CODE(al_view_json(policy, AL_POLICY_LEN, state, AL_STATE_LEN, T0 + 2000, json,
                            sizeof json, &written),
               AL_OK);
    const char *expected =
        "{\"canAuthenticate\":false,\"lockedAt\":\"2026-01-01T00:00:02.000Z\","
        "\"secondsUntilUnlock\":900,\"status\":\"LOCKED\","
        "\"unlockAt\":\"2026-01-01T00:15:02.000Z\"}";
    CHECK(strcmp(json, expected) == 0);
    CHECK(written == strlen(expected));

    /* While locked, attempts are rejected and not counted. */
    CHECK_CODE(al_failure(policy, AL_POLICY_LEN, state, AL_STATE_LEN, T0 + 3000, 0, 0,
                          &outcome),
               AL_OK);
    CHECK(outcome.decision == AL_DECISION_REJECTED_LOCKED);
    CHECK(outcome.has_unlock_at && outcome.unlock_at_ms == unlock_at);
    CHECK(outcome.transitions == 0);
    CHECK_CODE(al_success(policy, AL_POLICY_LEN, state, AL_STATE_LEN, T0 + 4000, &outcome),
               AL_OK);
    CHECK(outcome.decision == AL_DECISION_REJECTED_LOCKED);
    CHECK_CODE(al_check(policy, AL_POLICY_LEN, state, AL_STATE_LEN, unlock_at - 1, &outcome),
               AL_OK);
    CHECK(outcome.decision == AL_DECISION_REJECTED_LOCKED);

    /* At unlockAt the lock is over by itself. */
    CHECK_CODE(al_check(policy, AL_POLICY_LEN, state, AL_STATE_LEN, unlock_at, &outcome),
               AL_OK);
    CHECK(outcome.decision == AL_DECISION_ALLOWED);
    view = view_at(policy, state, unlock_at);
    CHECK(view.status == AL_STATUS_OK && view.can_authenticate);
    CHECK(!view.has_locked_at && !view.has_unlock_at && !view.has_seconds_until_unlock);
    CHECK(view.locked_at_ms == 0 && view.unlock_at_ms == 0 && view.seconds_until_unlock == 0);
    CHECK_CODE(al_view_json(policy, AL_POLICY_LEN, state, AL_STATE_LEN, unlock_at, json,
                            sizeof json, NULL),
               AL_OK);
    CHECK(strcmp(json, "{\"canAuthenticate\":true,\"status\":\"OK\"}") == 0);

    /* The next failure notices the expiry, and the count starts again. */
    CHECK_CODE(al_failure(policy, AL_POLICY_LEN, state, AL_STATE_LEN, unlock_at + 10, 0, 0,
                          &outcome),
               AL_OK);
    CHECK(outcome.transitions == (AL_TRANSITION_UNLOCKED | AL_TRANSITION_COUNTED));
    CHECK(outcome.failures == 1 && outcome.failures_remaining == 2);
    CHECK_CODE(al_success(policy, AL_POLICY_LEN, state, AL_STATE_LEN, unlock_at + 20, &outcome),
               AL_OK);
    CHECK(outcome.decision == AL_DECISION_ALLOWED && outcome.failures_remaining == 3);

    /* An administrator lock without a deadline, then an administrator unlock. */
    const int64_t later = unlock_at + 60000;
    CHECK_CODE(al_lock(policy, AL_POLICY_LEN, state, AL_STATE_LEN, later, 0, 0, &outcome),
               AL_OK);
    CHECK(outcome.decision == AL_DECISION_NONE && outcome.transitions == AL_TRANSITION_LOCKED);
    view = view_at(policy, state, later + 86400000LL);
    CHECK(view.status == AL_STATUS_LOCKED && view.locked_at_ms == later);
    CHECK(!view.has_unlock_at && !view.has_seconds_until_unlock);
    CHECK_CODE(al_unlock(policy, AL_POLICY_LEN, state, AL_STATE_LEN, later + 5000, &outcome),
               AL_OK);
    CHECK(outcome.transitions == AL_TRANSITION_UNLOCKED);
    CHECK(view_at(policy, state, later + 5000).status == AL_STATUS_OK);

    /* An administrator lock with a deadline; the outcome may be NULL. */
    /* has_unlock_at is a byte: 2, as a binding might pass, means "true". */
    CHECK_CODE(al_lock(policy, AL_POLICY_LEN, state, AL_STATE_LEN, later + 6000, 2,
                       later + 66000, NULL),
               AL_OK);
    view = view_at(policy, state, later + 6000);
    CHECK(view.has_unlock_at && view.unlock_at_ms == later + 66000);
    CHECK(view.seconds_until_unlock == 60);
    CHECK(view_at(policy, state, later + 66000).status == AL_STATUS_OK);
}

/* Patches: lock with a deadline, disable, enable (which unlocks). */
static void patches(void) {
    uint8_t policy[AL_POLICY_LEN];
    uint8_t state[AL_STATE_LEN];
    char message[128];
    AlOutcome outcome;
    CHECK_CODE(policy_from(PINGONE, policy, NULL, 0), AL_OK);
    CHECK_CODE(al_state_init(state, sizeof state), AL_OK);

    CHECK_CODE(patch(policy, state, T0,
                     "{\"status\":\"LOCKED\",\"unlockAt\":\"2026-01-01T01:00:00Z\"}", &outcome,
                     message, sizeof message),
               AL_OK);
    CHECK(strcmp(message, "") == 0);
    CHECK(outcome.transitions == AL_TRANSITION_LOCKED);
    AlView view = view_at(policy, state, T0);
    CHECK(view.status == AL_STATUS_LOCKED && view.unlock_at_ms == T0 + 3600000);
    CHECK(view.seconds_until_unlock == 3600);

    CHECK_CODE(patch(policy, state, T0 + 1, "{\"canAuthenticate\":false}", &outcome, NULL, 0),
               AL_OK);
    CHECK(outcome.transitions == AL_TRANSITION_DISABLED);
    CHECK_CODE(al_check(policy, AL_POLICY_LEN, state, AL_STATE_LEN, T0 + 2, &outcome), AL_OK);
    CHECK(outcome.decision == AL_DECISION_REJECTED_DISABLED);

    CHECK_CODE(patch(policy, state, T0 + 3, "{\"canAuthenticate\":true}", &outcome, NULL, 0),
               AL_OK);
    CHECK(outcome.transitions == (AL_TRANSITION_ENABLED | AL_TRANSITION_UNLOCKED));
    view = view_at(policy, state, T0 + 3);
    CHECK(view.status == AL_STATUS_OK && view.can_authenticate && view.enabled);
}

/* A 16-byte fingerprint key: a test's, where a deployment draws its own at random. */
static const uint8_t KEY[AL_FINGERPRINT_KEY_LEN] = {0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5,
                                                    0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5,
                                                    0xA5, 0xA5, 0xA5, 0xA5};

/* al_fingerprint is SipHash-2-4 under a 16-byte key, and refuses a NULL it cannot hash. */
static void siphash(void) {
    /* The SipHash reference: key 00 01 .. 0f; message 00 01 .. 0e (the paper's appendix A),
     * and the empty message (the first entry of the reference vectors_sip64). */
    uint8_t key[AL_FINGERPRINT_KEY_LEN + 1], message[15];
    for (size_t i = 0; i < sizeof key; i++) {
        key[i] = (uint8_t)i;
    }
    for (size_t i = 0; i < sizeof message; i++) {
        message[i] = (uint8_t)i;
    }
    uint64_t hash = 0;
    CHECK_CODE(al_fingerprint(key, AL_FINGERPRINT_KEY_LEN, message, sizeof message, &hash),
               AL_OK);
    CHECK(hash == 0xa129ca6149be45e5ULL);
    /* Only the first AL_FINGERPRINT_KEY_LEN bytes of a longer key are used. */
    hash = 0;
    CHECK_CODE(al_fingerprint(key, sizeof key, message, sizeof message, &hash), AL_OK);
    CHECK(hash == 0xa129ca6149be45e5ULL);
    /* The empty input: NULL or not, with length 0. */
    CHECK_CODE(al_fingerprint(key, AL_FINGERPRINT_KEY_LEN, message, 0, &hash), AL_OK);
    CHECK(hash == 0x726fdb47dd0e0e31ULL);
    hash = 0;
    CHECK_CODE(al_fingerprint(key, AL_FINGERPRINT_KEY_LEN, NULL, 0, &hash), AL_OK);
    CHECK(hash == 0x726fdb47dd0e0e31ULL);
    /* Another key, another fingerprint. */
    uint64_t other = 0;
    CHECK_CODE(al_fingerprint(KEY, sizeof KEY, message, 0, &other), AL_OK);
    CHECK(other != hash);
    /* NULL with a length is a caller's bug, not the empty credential; a short or NULL key
     * is refused: *out is untouched. */
    hash = 42;
    CHECK_CODE(al_fingerprint(key, AL_FINGERPRINT_KEY_LEN, NULL, 99, &hash),
               AL_ERR_NULL_POINTER);
    CHECK_CODE(al_fingerprint(key, AL_FINGERPRINT_KEY_LEN - 1, message, 1, &hash),
               AL_ERR_BUFFER_TOO_SMALL);
    CHECK_CODE(al_fingerprint(NULL, AL_FINGERPRINT_KEY_LEN, message, 1, &hash),
               AL_ERR_NULL_POINTER);
    CHECK(hash == 42);
    CHECK_CODE(al_fingerprint(key, AL_FINGERPRINT_KEY_LEN, message, 1, NULL),
               AL_ERR_NULL_POINTER);
}

/* A remembered fingerprint is ignored; a has_fingerprint of 2 means "true", as any
 * non-zero byte from a binding does. */
static void fingerprints(void) {
    uint8_t policy[AL_POLICY_LEN];
    uint8_t state[AL_STATE_LEN];
    AlOutcome outcome;
    const char *text = "{\"pingone\":{\"failureCount\":3},\"repeatedCredentialMemory\":2}";
    CHECK_CODE(policy_from(text, policy, NULL, 0), AL_OK);
    CHECK_CODE(al_state_init(state, sizeof state), AL_OK);

    uint64_t hunter2 = 0;
    CHECK_CODE(al_fingerprint(KEY, sizeof KEY, (const uint8_t *)"hunter2", 7, &hunter2), AL_OK);

    CHECK_CODE(al_failure(policy, AL_POLICY_LEN, state, AL_STATE_LEN, T0, 1, hunter2, &outcome),
               AL_OK);
    CHECK(outcome.transitions == AL_TRANSITION_COUNTED && outcome.failures_remaining == 2);
    CHECK_CODE(al_failure(policy, AL_POLICY_LEN, state, AL_STATE_LEN, T0 + 1, 2, hunter2,
                          &outcome),
               AL_OK);
    CHECK(outcome.transitions == AL_TRANSITION_IGNORED_REPEATED);
    CHECK(outcome.failures_remaining == 2);
    /* Without a fingerprint a failure always counts. */
    CHECK_CODE(al_failure(policy, AL_POLICY_LEN, state, AL_STATE_LEN, T0 + 2, 0, hunter2,
                          &outcome),
               AL_OK);
    CHECK(outcome.transitions == AL_TRANSITION_COUNTED && outcome.failures == 2);
}

static int32_t begin(const uint8_t *policy, uint8_t *state, int64_t now, uint8_t *token,
                     AlOutcome *outcome) {
    return al_begin_attempt(policy, AL_POLICY_LEN, state, AL_STATE_LEN, now, token,
                            AL_ATTEMPT_TOKEN_LEN, outcome);
}

static int32_t finish(const uint8_t *policy, uint8_t *state, int64_t now, const uint8_t *token,
                      uint8_t verdict, AlOutcome *outcome) {
    return al_finish_attempt(policy, AL_POLICY_LEN, state, AL_STATE_LEN, now, token,
                             AL_ATTEMPT_TOKEN_LEN, verdict, 0, 0, outcome);
}

/* The power-loss-safe protocol: begin (persist), verify, finish (persist); al_recover at
 * boot counts an attempt whose verdict a power cut lost. */
static void attempt_protocol(void) {
    uint8_t policy[AL_POLICY_LEN];
    uint8_t state[AL_STATE_LEN];
    uint8_t stored[AL_STATE_LEN]; /* the device's persistent copy */
    uint8_t token[AL_ATTEMPT_TOKEN_LEN];
    AlOutcome outcome;
    CHECK_CODE(policy_from(PINGONE, policy, NULL, 0), AL_OK);
    CHECK_CODE(al_state_init(state, sizeof state), AL_OK);

    /* begin -> persist -> finish with a success: nothing is counted. */
    memset(token, 0x5A, sizeof token);
    CHECK_CODE(begin(policy, state, T0, token, &outcome), AL_OK);
    CHECK(outcome.decision == AL_DECISION_ALLOWED && outcome.transitions == 0);
    CHECK(outcome.failures_remaining == 2); /* three lock; the attempt in flight reserves one */
    CHECK(token[0] == 1 && token[1] == 0); /* serial 1, then the start, little-endian */
    memcpy(stored, state, sizeof state);
    CHECK_CODE(finish(policy, state, T0 + 500, token, AL_VERDICT_SUCCESS, &outcome), AL_OK);
    CHECK(outcome.decision == AL_DECISION_ALLOWED);
    CHECK(outcome.transitions == 0 && outcome.failures == 0);
    CHECK(outcome.failures_remaining == 3);
    memcpy(stored, state, sizeof state);
    /* Recovering a state with nothing in flight counts nothing (it observes the time). */
    CHECK_CODE(al_recover(policy, AL_POLICY_LEN, state, AL_STATE_LEN, T0 + 600, &outcome), AL_OK);
    CHECK(outcome.decision == AL_DECISION_NONE && outcome.transitions == 0);
    CHECK(outcome.has_failures_remaining && outcome.failures_remaining == 3);

    /* begin -> persist -> the power is cut while verifying: at boot the device restores
     * the stored bytes, and al_recover counts the lost verdict as one failure. */
    CHECK_CODE(begin(policy, state, T0 + 1000, token, &outcome), AL_OK);
    CHECK(outcome.decision == AL_DECISION_ALLOWED);
    memcpy(stored, state, sizeof state);
    memset(state, 0xEE, sizeof state); /* RAM is lost */
    memcpy(state, stored, sizeof state);
    CHECK_CODE(al_recover(policy, AL_POLICY_LEN, state, AL_STATE_LEN, T0 + 5000, &outcome),
               AL_OK);
    CHECK(outcome.decision == AL_DECISION_NONE);
    CHECK(outcome.transitions == AL_TRANSITION_COUNTED && outcome.failures == 1);
    CHECK(outcome.has_failures_remaining && outcome.failures_remaining == 2);
    /* The interrupted attempt's token names nothing any more. */
    uint8_t before[AL_STATE_LEN];
    memcpy(before, state, sizeof state);
    CHECK_CODE(finish(policy, state, T0 + 5001, token, AL_VERDICT_SUCCESS, &outcome),
               AL_ERR_UNKNOWN_ATTEMPT);
    CHECK(memcmp(state, before, sizeof state) == 0);
    CHECK_CODE(al_check(policy, AL_POLICY_LEN, state, AL_STATE_LEN, T0 + 5002, &outcome),
               AL_OK);
    CHECK(outcome.failures_remaining == 2);

    /* A wrong password through the protocol counts; the third failure locks, and a
     * locked account's begin is rejected with a zeroed token. */
    CHECK_CODE(begin(policy, state, T0 + 6000, token, &outcome), AL_OK);
    CHECK_CODE(al_finish_attempt(policy, AL_POLICY_LEN, state, AL_STATE_LEN, T0 + 6001, token,
                                 sizeof token, AL_VERDICT_FAILURE, 1, 99, &outcome),
               AL_OK);
    CHECK(outcome.transitions == AL_TRANSITION_COUNTED && outcome.failures == 2);
    CHECK_CODE(begin(policy, state, T0 + 7000, token, &outcome), AL_OK);
    CHECK_CODE(finish(policy, state, T0 + 7001, token, AL_VERDICT_FAILURE, &outcome), AL_OK);
    CHECK(outcome.transitions == (AL_TRANSITION_COUNTED | AL_TRANSITION_LOCKED));
    memset(token, 0x5A, sizeof token);
    CHECK_CODE(begin(policy, state, T0 + 8000, token, &outcome), AL_OK);
    CHECK(outcome.decision == AL_DECISION_REJECTED_LOCKED);
    CHECK(outcome.has_unlock_at && outcome.unlock_at_ms == T0 + 7001 + 900000);
    for (size_t i = 0; i < sizeof token; i++) {
        CHECK(token[i] == 0);
    }
    /* AL_DECISION_REJECTED_BUSY is reserved, distinct from the other decisions. */
    CHECK(AL_DECISION_REJECTED_BUSY == 4);
}

/* A token that is not the attempt in flight, and a verdict that is neither verdict, are
 * refused and change nothing. */
static void unknown_attempts(void) {
    uint8_t policy[AL_POLICY_LEN];
    uint8_t state[AL_STATE_LEN];
    uint8_t before[AL_STATE_LEN];
    uint8_t token[AL_ATTEMPT_TOKEN_LEN];
    uint8_t forged[AL_ATTEMPT_TOKEN_LEN];
    AlOutcome outcome;
    CHECK_CODE(policy_from(PINGONE, policy, NULL, 0), AL_OK);
    CHECK_CODE(al_state_init(state, sizeof state), AL_OK);
    CHECK_CODE(begin(policy, state, T0, token, &outcome), AL_OK);
    memcpy(before, state, sizeof state);

    /* Every single flipped bit of the token makes it unknown. */
    for (size_t i = 0; i < sizeof token; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(forged, token, sizeof token);
            forged[i] ^= (uint8_t)(1u << bit);
            outcome.decision = 0xEE;
            CHECK_CODE(finish(policy, state, T0 + 1, forged, AL_VERDICT_SUCCESS, &outcome),
                       AL_ERR_UNKNOWN_ATTEMPT);
            CHECK(outcome.decision == 0xEE);
            CHECK(memcmp(state, before, sizeof state) == 0);
        }
    }
    memset(forged, 0, sizeof forged);
    CHECK_CODE(finish(policy, state, T0 + 1, forged, AL_VERDICT_FAILURE, &outcome),
               AL_ERR_UNKNOWN_ATTEMPT);
    CHECK(strcmp(al_error_name(AL_ERR_UNKNOWN_ATTEMPT), "unknown_attempt") == 0);
    /* A short token, and a verdict of 2. */
    CHECK_CODE(al_finish_attempt(policy, AL_POLICY_LEN, state, AL_STATE_LEN, T0 + 1, token,
                                 AL_ATTEMPT_TOKEN_LEN - 1, AL_VERDICT_SUCCESS, 0, 0, &outcome),
               AL_ERR_BUFFER_TOO_SMALL);
    CHECK_CODE(finish(policy, state, T0 + 1, token, 2, &outcome), AL_ERR_INVALID_VALUE);
    CHECK(memcmp(state, before, sizeof state) == 0);
    /* The genuine token still works, once. */
    CHECK_CODE(finish(policy, state, T0 + 2, token, AL_VERDICT_SUCCESS, &outcome), AL_OK);
    CHECK_CODE(finish(policy, state, T0 + 3, token, AL_VERDICT_SUCCESS, &outcome),
               AL_ERR_UNKNOWN_ATTEMPT);
}

static void null_pointers(void) {
    uint8_t policy[AL_POLICY_LEN];
    uint8_t state[AL_STATE_LEN];
    AlOutcome outcome;
    AlView view;
    char json[AL_VIEW_JSON_LEN];
    char message[64];
    CHECK_CODE(policy_from(PINGONE, policy, NULL, 0), AL_OK);
    CHECK_CODE(al_state_init(state, sizeof state), AL_OK);
    const uint8_t *text = (const uint8_t *)PINGONE;

    CHECK_CODE(al_policy_from_json(NULL, 10, policy, AL_POLICY_LEN, message, sizeof message),
               AL_ERR_NULL_POINTER);
    CHECK(strcmp(message, "a required pointer is null") == 0);
    CHECK_CODE(al_policy_from_json(text, strlen(PINGONE), NULL, AL_POLICY_LEN, NULL, 0),
               AL_ERR_NULL_POINTER);
    CHECK_CODE(al_state_init(NULL, AL_STATE_LEN), AL_ERR_NULL_POINTER);
    CHECK_CODE(al_check(NULL, AL_POLICY_LEN, state, AL_STATE_LEN, T0, &outcome),
               AL_ERR_NULL_POINTER);
    CHECK_CODE(al_check(policy, AL_POLICY_LEN, NULL, AL_STATE_LEN, T0, &outcome),
               AL_ERR_NULL_POINTER);
    CHECK_CODE(al_failure(policy, AL_POLICY_LEN, NULL, AL_STATE_LEN, T0, 0, 0, &outcome),
               AL_ERR_NULL_POINTER);
    CHECK_CODE(al_failure(NULL, AL_POLICY_LEN, state, AL_STATE_LEN, T0, 0, 0, &outcome),
               AL_ERR_NULL_POINTER);
    /* The operations with no argument of their own: a NULL policy, then a NULL state. */
    int32_t (*const operations[])(const uint8_t *, size_t, uint8_t *, size_t, int64_t,
                                  AlOutcome *) = {al_success, al_unlock, al_recover};
    for (size_t i = 0; i < sizeof operations / sizeof operations[0]; i++) {
        CHECK_CODE(operations[i](NULL, AL_POLICY_LEN, state, AL_STATE_LEN, T0, &outcome),
                   AL_ERR_NULL_POINTER);
        CHECK_CODE(operations[i](policy, AL_POLICY_LEN, NULL, AL_STATE_LEN, T0, &outcome),
                   AL_ERR_NULL_POINTER);
    }
    CHECK_CODE(al_lock(policy, AL_POLICY_LEN, NULL, AL_STATE_LEN, T0, 0, 0, &outcome),
               AL_ERR_NULL_POINTER);
    CHECK_CODE(al_patch(policy, AL_POLICY_LEN, state, AL_STATE_LEN, T0, NULL, 2, &outcome,
                        message, sizeof message),
               AL_ERR_NULL_POINTER);
    CHECK_CODE(al_patch(policy, AL_POLICY_LEN, NULL, AL_STATE_LEN, T0, (const uint8_t *)"{}",
                        2, &outcome, NULL, 0),
               AL_ERR_NULL_POINTER);
    CHECK_CODE(al_view(policy, AL_POLICY_LEN, state, AL_STATE_LEN, T0, NULL),
               AL_ERR_NULL_POINTER);
    CHECK_CODE(al_view(NULL, AL_POLICY_LEN, state, AL_STATE_LEN, T0, &view),
               AL_ERR_NULL_POINTER);
    CHECK_CODE(al_view_json(policy, AL_POLICY_LEN, state, AL_STATE_LEN, T0, NULL, 100, NULL),
               AL_ERR_NULL_POINTER);
    CHECK_CODE(al_view_json(policy, AL_POLICY_LEN, NULL, AL_STATE_LEN, T0, json, sizeof json,
                            NULL),
               AL_ERR_NULL_POINTER);
    /* The attempt protocol: NULL policy, state or token. */
    uint8_t token[AL_ATTEMPT_TOKEN_LEN];
    memset(token, 0x5A, sizeof token);
    CHECK_CODE(al_begin_attempt(NULL, AL_POLICY_LEN, state, AL_STATE_LEN, T0, token,
                                sizeof token, &outcome),
               AL_ERR_NULL_POINTER);
    CHECK_CODE(al_begin_attempt(policy, AL_POLICY_LEN, NULL, AL_STATE_LEN, T0, token,
                                sizeof token, &outcome),
               AL_ERR_NULL_POINTER);
    CHECK_CODE(al_begin_attempt(policy, AL_POLICY_LEN, state, AL_STATE_LEN, T0, NULL,
                                AL_ATTEMPT_TOKEN_LEN, &outcome),
               AL_ERR_NULL_POINTER);
    CHECK(token[0] == 0x5A && token[AL_ATTEMPT_TOKEN_LEN - 1] == 0x5A);
    CHECK_CODE(al_finish_attempt(NULL, AL_POLICY_LEN, state, AL_STATE_LEN, T0, token,
                                 sizeof token, AL_VERDICT_SUCCESS, 0, 0, &outcome),
               AL_ERR_NULL_POINTER);
    CHECK_CODE(al_finish_attempt(policy, AL_POLICY_LEN, NULL, AL_STATE_LEN, T0, token,
                                 sizeof token, AL_VERDICT_SUCCESS, 0, 0, &outcome),
               AL_ERR_NULL_POINTER);
    CHECK_CODE(al_finish_attempt(policy, AL_POLICY_LEN, state, AL_STATE_LEN, T0, NULL,
                                 AL_ATTEMPT_TOKEN_LEN, AL_VERDICT_SUCCESS, 0, 0, &outcome),
               AL_ERR_NULL_POINTER);
    /* The state survived all of it. */
    CHECK(view_at(policy, state, T0).status == AL_STATUS_OK);
    uint8_t fresh[AL_STATE_LEN];
    CHECK_CODE(al_state_init(fresh, sizeof fresh), AL_OK);
    CHECK(memcmp(state, fresh, sizeof state) == 0);
}

static void short_buffers(void) {
    uint8_t policy[AL_POLICY_LEN];
    uint8_t state[AL_STATE_LEN];
    uint8_t before[AL_STATE_LEN];
    AlOutcome outcome;
    char message[8];
    CHECK_CODE(policy_from(PINGONE, policy, NULL, 0), AL_OK);
    CHECK_CODE(al_state_init(state, sizeof state), AL_OK);
    memcpy(before, state, sizeof state);

    uint8_t small_policy[AL_POLICY_LEN];
    memset(small_policy, 0x5A, sizeof small_policy);
    CHECK_CODE(al_policy_from_json((const uint8_t *)PINGONE, strlen(PINGONE), small_policy,
                                   AL_POLICY_LEN - 1, message, sizeof message),
               AL_ERR_BUFFER_TOO_SMALL);
    /* The message is cut to fit its 8 bytes, NUL included. */
    CHECK(strcmp(message, "a buffe") == 0);
    for (size_t i = 0; i < sizeof small_policy; i++) {
        CHECK(small_policy[i] == 0x5A);
    }

    uint8_t small_state[AL_STATE_LEN];
    memset(small_state, 0x5A, sizeof small_state);
    CHECK_CODE(al_state_init(small_state, AL_STATE_LEN - 1), AL_ERR_BUFFER_TOO_SMALL);
    CHECK(small_state[0] == 0x5A && small_state[AL_STATE_LEN - 1] == 0x5A);

    CHECK_CODE(al_check(policy, AL_POLICY_LEN - 1, state, AL_STATE_LEN, T0, &outcome),
               AL_ERR_BUFFER_TOO_SMALL);
    CHECK_CODE(al_failure(policy, AL_POLICY_LEN, state, AL_STATE_LEN - 1, T0, 0, 0,
                          &outcome),
               AL_ERR_BUFFER_TOO_SMALL);
    CHECK_CODE(al_failure(policy, 0, state, AL_STATE_LEN, T0, 0, 0, &outcome),
               AL_ERR_BUFFER_TOO_SMALL);
    CHECK(memcmp(state, before, sizeof state) == 0);

    /* The view's JSON: 38 bytes and a NUL. A shorter buffer is left alone, and `written`
     * says how long the text is. */
    char json[39];
    size_t written = 0;
    memset(json, 'x', sizeof json);
    CHECK_CODE(al_view_json(policy, AL_POLICY_LEN, state, AL_STATE_LEN, T0, json, 38, &written),
               AL_ERR_BUFFER_TOO_SMALL);
    CHECK(written == 38);
    for (size_t i = 0; i < sizeof json; i++) {
        CHECK(json[i] == 'x');
    }
    CHECK_CODE(al_view_json(policy, AL_POLICY_LEN, state, AL_STATE_LEN, T0, json, 39, &written),
               AL_OK);
    CHECK(written == 38 && strcmp(json, "{\"canAuthenticate\":true,\"status\":\"OK\"}") == 0);
    CHECK_CODE(al_view_json(policy, AL_POLICY_LEN, state, AL_STATE_LEN, T0, json, 0, NULL),
               AL_ERR_BUFFER_TOO_SMALL);
}

static void invalid_json(void) {
    uint8_t policy[AL_POLICY_LEN];
    uint8_t good[AL_POLICY_LEN];
    uint8_t state[AL_STATE_LEN];
    uint8_t before[AL_STATE_LEN];
    char message[128];
    AlOutcome outcome;
    CHECK_CODE(policy_from(PINGONE, good, NULL, 0), AL_OK);
    memcpy(policy, good, sizeof policy);

    CHECK_CODE(policy_from("{\"pingone\":", policy, message, sizeof message),
               AL_ERR_INVALID_JSON);
    CHECK(strcmp(message, "the policy must be a JSON object") == 0);
    CHECK_CODE(policy_from("[1,2]", policy, message, sizeof message), AL_ERR_INVALID_JSON);
    CHECK_CODE(policy_from("", policy, message, sizeof message), AL_ERR_INVALID_JSON);
    CHECK_CODE(policy_from("{\"okta\":{}}", policy, message, sizeof message),
               AL_ERR_INVALID_POLICY);
    CHECK(strncmp(message, "unknown dialect or modifier `okta`; expected one of", 51) == 0);
    /* The message was cut to its buffer: 127 bytes and the NUL. */
    CHECK(strlen(message) == sizeof message - 1);
    CHECK_CODE(policy_from("{\"pingone\":{\"failureCount\":0}}", policy, message,
                           sizeof message),
               AL_ERR_INVALID_POLICY);
    CHECK(strcmp(message, "invalid policy: failureCount must be at least 1") == 0);
    CHECK_CODE(policy_from("{\"pamFaillock\":{\"deny\":17}}", policy, NULL, 0),
               AL_ERR_INVALID_POLICY);
    /* Nothing was written to the policy buffer by any of them. */
    CHECK(memcmp(policy, good, sizeof policy) == 0);
    /* A policy that is not NUL-terminated: only json_len bytes are read. */
    CHECK_CODE(al_policy_from_json((const uint8_t *)PINGONE, strlen(PINGONE) - 1, policy,
                                   AL_POLICY_LEN, NULL, 0),
               AL_ERR_INVALID_JSON);

    /* Refused patches change nothing and name the problem. */
    CHECK_CODE(al_state_init(state, sizeof state), AL_OK);
    memcpy(before, state, sizeof state);
    CHECK_CODE(patch(policy, state, T0, "{\"status\":", &outcome, message, sizeof message),
               AL_ERR_INVALID_VALUE);
    CHECK(strcmp(message, "the patch must be a JSON object") == 0);
    CHECK_CODE(patch(policy, state, T0, "{\"lockedAt\":\"x\"}", &outcome, message,
                     sizeof message),
               AL_ERR_READ_ONLY_FIELD);
    CHECK(strcmp(message, "lockedAt is read-only") == 0);
    CHECK_CODE(patch(policy, state, T0, "{\"color\":\"red\"}", &outcome, message,
                     sizeof message),
               AL_ERR_UNKNOWN_FIELD);
    CHECK_CODE(patch(policy, state, T0, "{\"canAuthenticate\":true,\"status\":\"LOCKED\"}",
                     &outcome, message, sizeof message),
               AL_ERR_CONFLICTING_FIELDS);
    CHECK(strcmp(message, "canAuthenticate conflicts with status") == 0);
    CHECK_CODE(patch(policy, state, T0, "{\"unlockAt\":\"2026-01-01T01:00:00Z\"}", &outcome,
                     message, sizeof message),
               AL_ERR_UNLOCK_AT_REQUIRES_LOCKED);
    CHECK_CODE(patch(policy, state, T0,
                     "{\"status\":\"LOCKED\",\"unlockAt\":\"2025-01-01T00:00:00Z\"}", &outcome,
                     message, sizeof message),
               AL_ERR_UNLOCK_AT_NOT_IN_FUTURE);
    CHECK(strcmp(message, "unlockAt must be later than now") == 0);
    CHECK_CODE(al_lock(policy, AL_POLICY_LEN, state, AL_STATE_LEN, T0, 1, T0, &outcome),
               AL_ERR_UNLOCK_AT_NOT_IN_FUTURE);
    CHECK(memcmp(state, before, sizeof state) == 0);
}

static void corrupted_buffers(void) {
    uint8_t policy[AL_POLICY_LEN];
    uint8_t state[AL_STATE_LEN];
    uint8_t corrupt[AL_STATE_LEN];
    AlOutcome outcome;
    AlView view;
    CHECK_CODE(policy_from(PINGONE, policy, NULL, 0), AL_OK);
    CHECK_CODE(al_state_init(state, sizeof state), AL_OK);
    CHECK_CODE(al_failure(policy, AL_POLICY_LEN, state, AL_STATE_LEN, T0, 0, 0, &outcome),
               AL_OK);

    /* A flipped bit anywhere in the state buffer is caught, and the buffer stays as it
     * was: decode, change a copy, write back only on success. */
    for (size_t i = 0; i < AL_STATE_LEN; i++) {
        memcpy(corrupt, state, sizeof state);
        corrupt[i] ^= 0x04;
        uint8_t copy[AL_STATE_LEN];
        memcpy(copy, corrupt, sizeof corrupt);
        CHECK_CODE(al_failure(policy, AL_POLICY_LEN, corrupt, AL_STATE_LEN, T0 + 1, 0, 0,
                              &outcome),
                   AL_ERR_CORRUPT_STATE);
        CHECK_CODE(al_unlock(policy, AL_POLICY_LEN, corrupt, AL_STATE_LEN, T0 + 1, &outcome),
                   AL_ERR_CORRUPT_STATE);
        CHECK_CODE(al_view(policy, AL_POLICY_LEN, corrupt, AL_STATE_LEN, T0 + 1, &view),
                   AL_ERR_CORRUPT_STATE);
        CHECK(memcmp(corrupt, copy, sizeof copy) == 0);
    }
    /* A buffer that al_state_init never wrote: zeros here (any initialised bytes are
     * refused alike; uninitialised memory must never be passed, reading it is UB). */
    memset(corrupt, 0, sizeof corrupt);
    CHECK_CODE(al_check(policy, AL_POLICY_LEN, corrupt, AL_STATE_LEN, T0, &outcome),
               AL_ERR_CORRUPT_STATE);

    /* A flipped bit in the policy buffer. */
    for (size_t i = 0; i < AL_POLICY_LEN; i++) {
        uint8_t bad[AL_POLICY_LEN];
        memcpy(bad, policy, sizeof policy);
        bad[i] ^= 0x80;
        uint8_t copy[AL_STATE_LEN];
        memcpy(copy, state, sizeof state);
        CHECK_CODE(al_success(bad, AL_POLICY_LEN, state, AL_STATE_LEN, T0 + 1, &outcome),
                   AL_ERR_CORRUPT_POLICY);
        CHECK(memcmp(state, copy, sizeof copy) == 0);
    }

    /* A state written under another policy: pam_faillock keeps failure times, which a
     * PingOne account never has. */
    uint8_t faillock[AL_POLICY_LEN];
    CHECK_CODE(policy_from("{\"pamFaillock\":{}}", faillock, NULL, 0), AL_OK);
    CHECK_CODE(al_state_init(corrupt, sizeof corrupt), AL_OK);
    CHECK_CODE(al_failure(faillock, AL_POLICY_LEN, corrupt, AL_STATE_LEN, T0, 0, 0,
                          &outcome),
               AL_OK);
    CHECK(outcome.failures_remaining == 2);
    CHECK_CODE(al_check(policy, AL_POLICY_LEN, corrupt, AL_STATE_LEN, T0, &outcome),
               AL_ERR_CORRUPT_STATE);
}

static void error_names(void) {
    CHECK(strcmp(al_error_name(AL_OK), "ok") == 0);
    CHECK(strcmp(al_error_name(AL_ERR_NULL_POINTER), "null_pointer") == 0);
    CHECK(strcmp(al_error_name(AL_ERR_CORRUPT_STATE), "corrupt_state") == 0);
    CHECK(strcmp(al_error_name(AL_ERR_CAPACITY), "account_too_small") == 0);
    CHECK(strcmp(al_error_name(AL_ERR_UNLOCK_AT_NOT_IN_FUTURE), "unlock_at_not_in_future") == 0);
    CHECK(strcmp(al_error_name(-1), "unknown_error") == 0);
    CHECK(strcmp(al_error_name(AL_ERR_UNKNOWN_ATTEMPT), "unknown_attempt") == 0);
    CHECK(strcmp(al_error_name(AL_ERR_REFUSED), "refused") == 0);
    CHECK(strcmp(al_error_name(16), "unknown_error") == 0);
}

int main(void) {
    lock_and_unlock_cycle();
    patches();
    siphash();
    fingerprints();
    attempt_protocol();
    unknown_attempts();
    null_pointers();
    short_buffers();
    invalid_json();
    corrupted_buffers();
    error_names();
    printf("ffi C tests: %d checks passed\n", checks);
    return 0;
}
