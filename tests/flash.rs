//! The flash store (feature `flash`): a power cut at every step of a scripted session,
//! the policy migration under every cut, writes only on change, and the wear an attack
//! costs. Run with `cargo test --features flash --test flash -- --nocapture` to see the
//! matrix size and the wear figures.

#![allow(clippy::restriction)]

mod fixtures;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use account_lockout::dialect::{PamFaillock, PingOne};
use account_lockout::flash::FlashStore;
use account_lockout::{
    Account, AttemptError, AttemptToken, Decision, FlashError, Instant, Policy, Verdict,
};
use embassy_futures::block_on;
use embedded_storage_async::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};
use fixtures::{s, tpm};

// ---------------------------------------------------------------------------------------
// A NOR flash that loses power after a chosen step.

/// 4-byte words, as most internal flash of Cortex-M parts.
const WORD: usize = 4;

/// Where the power goes.
#[derive(Clone, Copy, Debug)]
struct Cut {
    /// The step (a word written or a page erased, counted from 1) that the cut interrupts.
    at: u64,
    /// Whether that step is left half done (the first half of the word written, the first
    /// half of the page erased) rather than not done at all.
    torn: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MockError {
    /// The power is off: the write or erase did not happen (or happened in part).
    PowerCut,
    OutOfBounds,
    NotAligned,
    /// A word written twice without an erase: NOR flash cannot do that.
    NotErased,
}

impl NorFlashError for MockError {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            MockError::OutOfBounds => NorFlashErrorKind::OutOfBounds,
            MockError::NotAligned => NorFlashErrorKind::NotAligned,
            MockError::PowerCut | MockError::NotErased => NorFlashErrorKind::Other,
        }
    }
}

/// What the flash holds and what happened to it.
struct Cells<const PAGES: usize> {
    bytes: Vec<u8>,
    steps: u64,
    words_written: u64,
    erases: [u64; PAGES],
    cut: Option<Cut>,
    dead: bool,
}

/// `PAGES` pages of `PAGE` bytes. Erased bytes are 0xFF; a write clears bits and may
/// only go to an erased word; every word written and every page erased is one step. A
/// clone is another handle on the same cells, so a test keeps the flash when a store
/// that owns it is dropped.
#[derive(Clone)]
struct MockFlash<const PAGE: usize, const PAGES: usize>(Rc<RefCell<Cells<PAGES>>>);

impl<const PAGE: usize, const PAGES: usize> MockFlash<PAGE, PAGES> {
    const CAPACITY: u32 = (PAGE * PAGES) as u32;

    fn new(cut: Option<Cut>) -> Self {
        MockFlash(Rc::new(RefCell::new(Cells {
            bytes: vec![0xFF; PAGE * PAGES],
            steps: 0,
            words_written: 0,
            erases: [0; PAGES],
            cut,
            dead: false,
        })))
    }

    /// A new flash with these contents, whose power goes at `cut`.
    fn copy(&self, cut: Option<Cut>) -> Self {
        let copy = Self::new(cut);
        copy.0.borrow_mut().bytes.clone_from(&self.0.borrow().bytes);
        copy
    }

    /// The power comes back: the same contents, a new boot.
    fn reboot(&self) -> Self {
        let mut cells = self.0.borrow_mut();
        cells.cut = None;
        cells.dead = false;
        self.clone()
    }

    fn steps(&self) -> u64 {
        self.0.borrow().steps
    }

    fn words_written(&self) -> u64 {
        self.0.borrow().words_written
    }

    fn erases(&self) -> [u64; PAGES] {
        self.0.borrow().erases
    }

    fn range(offset: u32, len: usize) -> Result<std::ops::Range<usize>, MockError> {
        let start = offset as usize;
        let end = start.checked_add(len).ok_or(MockError::OutOfBounds)?;
        if end > PAGE * PAGES {
            return Err(MockError::OutOfBounds);
        }
        Ok(start..end)
    }
}

impl<const PAGES: usize> Cells<PAGES> {
    /// The next step: whether it completes (false: the power goes during it).
    fn step(&mut self) -> Result<bool, MockError> {
        if self.dead {
            return Err(MockError::PowerCut);
        }
        self.steps += 1;
        let whole = self.cut.is_none_or(|cut| cut.at != self.steps);
        self.dead = !whole;
        Ok(whole)
    }

    fn torn(&self) -> bool {
        self.cut.is_some_and(|cut| cut.torn)
    }
}

impl<const PAGE: usize, const PAGES: usize> ErrorType for MockFlash<PAGE, PAGES> {
    type Error = MockError;
}

impl<const PAGE: usize, const PAGES: usize> ReadNorFlash for MockFlash<PAGE, PAGES> {
    const READ_SIZE: usize = WORD;

    async fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), MockError> {
        let range = Self::range(offset, bytes.len())?;
        bytes.copy_from_slice(&self.0.borrow().bytes[range]);
        Ok(())
    }

    fn capacity(&self) -> usize {
        PAGE * PAGES
    }
}

impl<const PAGE: usize, const PAGES: usize> NorFlash for MockFlash<PAGE, PAGES> {
    const WRITE_SIZE: usize = WORD;
    const ERASE_SIZE: usize = PAGE;

    async fn erase(&mut self, from: u32, to: u32) -> Result<(), MockError> {
        let len = to.checked_sub(from).ok_or(MockError::NotAligned)?;
        let range = Self::range(from, len as usize)?;
        if !range.start.is_multiple_of(PAGE) || !range.end.is_multiple_of(PAGE) {
            return Err(MockError::NotAligned);
        }
        let mut cells = self.0.borrow_mut();
        for page in range.start / PAGE..range.end / PAGE {
            let whole = cells.step()?;
            let erased = if whole {
                PAGE
            } else if cells.torn() {
                PAGE / 2
            } else {
                0
            };
            cells.bytes[page * PAGE..page * PAGE + erased].fill(0xFF);
            if !whole {
                return Err(MockError::PowerCut);
            }
            cells.erases[page] += 1;
        }
        Ok(())
    }

    async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), MockError> {
        let range = Self::range(offset, bytes.len())?;
        if !range.start.is_multiple_of(WORD) || !bytes.len().is_multiple_of(WORD) {
            return Err(MockError::NotAligned);
        }
        let mut cells = self.0.borrow_mut();
        for (index, word) in bytes.chunks_exact(WORD).enumerate() {
            let at = range.start + index * WORD;
            if cells.bytes[at..at + WORD].iter().any(|&byte| byte != 0xFF) {
                return Err(MockError::NotErased);
            }
            let whole = cells.step()?;
            let written = if whole {
                WORD
            } else if cells.torn() {
                WORD / 2
            } else {
                0
            };
            for (cell, byte) in cells.bytes[at..at + written].iter_mut().zip(word) {
                *cell &= byte;
            }
            if !whole {
                return Err(MockError::PowerCut);
            }
            cells.words_written += 1;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// The scripted session.

/// Small pages, so that the session fills several and the cuts fall in page erases and
/// in the moves of live records too.
const PAGE: usize = 512;
const PAGES: usize = 4;
type SmallFlash = MockFlash<PAGE, PAGES>;
type Store<F> = FlashStore<F, u16>;
/// Room for three failure times (pam_faillock's default deny).
type Store3 = FlashStore<SmallFlash, u16, 3>;

const ALICE: u16 = 1;
const BOB: u16 = 2;

/// One call on the store.
#[derive(Clone, Copy, Debug)]
enum Op {
    /// `begin`, then the credential check of `verdict`, `finish` in a later op.
    Begin(u16, i64),
    Finish(u16, i64, bool),
    /// A failure reported without the protocol (`Account::failure`).
    Failure(u16, i64),
    Lock(u16, i64),
    Unlock(u16, i64),
}

fn policy() -> Policy {
    PingOne {
        failure_count: 3,
        duration_seconds: Some(60),
    }
    .policy()
    .unwrap()
}

/// Failures, successes, a lock by the count and its expiry, attempts rejected while
/// locked, an administrator's lock and unlock, attempts of two accounts interleaved, and
/// a begin that never finishes (Bob's at 400 s).
fn session() -> Vec<Op> {
    use Op::*;
    vec![
        Begin(ALICE, 10),
        Finish(ALICE, 11, false),
        Begin(ALICE, 20),
        Finish(ALICE, 21, true),
        Begin(ALICE, 30),
        Begin(BOB, 30),
        Finish(ALICE, 31, false),
        Finish(BOB, 31, false),
        Begin(ALICE, 40),
        Finish(ALICE, 41, false),
        Failure(ALICE, 42), // the third: locked until 102 s
        Begin(ALICE, 50),   // rejected: writes nothing
        Failure(ALICE, 60), // rejected
        Begin(ALICE, 110),  // the lock has expired
        Finish(ALICE, 111, true),
        Lock(BOB, 120),
        Begin(BOB, 130), // rejected
        Unlock(BOB, 140),
        Begin(BOB, 150),
        Finish(BOB, 151, true),
        Begin(ALICE, 200),
        Finish(ALICE, 201, false),
        Begin(ALICE, 210),
        Finish(ALICE, 211, false),
        Begin(ALICE, 220),
        Finish(ALICE, 221, false), // locked again, until 281 s
        Unlock(ALICE, 230),
        Begin(ALICE, 300),
        Finish(ALICE, 301, true),
        Begin(BOB, 310),
        Finish(BOB, 311, false),
        Begin(ALICE, 320),
        Finish(ALICE, 321, false),
        Begin(BOB, 400), // never finished
    ]
}

/// The instant of the reboot after a cut: after every op of the session.
const BOOT: i64 = 1_000;

type Accounts = BTreeMap<u16, Account>;

/// Applies `op` to the in-memory reference accounts.
fn apply(accounts: &mut Accounts, tokens: &mut BTreeMap<u16, AttemptToken>, op: Op) {
    let policy = policy();
    match op {
        Op::Begin(key, t) => {
            let start = accounts
                .entry(key)
                .or_default()
                .begin_attempt(&policy, s(t))
                .unwrap();
            if let Some(token) = start.token {
                tokens.insert(key, token);
            }
        }
        Op::Finish(key, t, right) => {
            let token = tokens.remove(&key).expect("a finish after its begin");
            let verdict = verdict(right);
            let _ = accounts
                .entry(key)
                .or_default()
                .finish_attempt(&policy, s(t), token, verdict)
                .unwrap();
        }
        Op::Failure(key, t) => {
            let _ = accounts
                .entry(key)
                .or_default()
                .failure(&policy, s(t), None)
                .unwrap();
        }
        Op::Lock(key, t) => {
            let _ = accounts
                .entry(key)
                .or_default()
                .lock(&policy, s(t), None)
                .unwrap();
        }
        Op::Unlock(key, t) => {
            let _ = accounts.entry(key).or_default().unlock(&policy, s(t));
        }
    }
}

fn op_name(op: Op) -> &'static str {
    match op {
        Op::Begin(..) => "begin",
        Op::Finish(..) => "finish",
        Op::Failure(..) => "failure",
        Op::Lock(..) => "lock",
        Op::Unlock(..) => "unlock",
    }
}

fn verdict(right: bool) -> Verdict {
    if right {
        Verdict::Success
    } else {
        Verdict::Failure { credential: None }
    }
}

/// Runs `op` on the store. A begin's token is kept only once `begin` returned it, so a
/// credential is never checked for an attempt not on flash.
async fn run<F: NorFlash>(
    store: &mut Store<F>,
    tokens: &mut BTreeMap<u16, AttemptToken>,
    op: Op,
) -> Result<(), FlashError<F::Error>> {
    match op {
        Op::Begin(key, t) => {
            if let Some(token) = store.begin(&key, s(t)).await?.token {
                tokens.insert(key, token);
            }
        }
        Op::Finish(key, t, right) => {
            let token = tokens[&key];
            let _ = store.finish(&key, s(t), token, verdict(right)).await?;
            tokens.remove(&key);
        }
        Op::Failure(key, t) => {
            let _ = store
                .update(&key, s(t), |account, policy| {
                    account.failure(policy, s(t), None)
                })
                .await?
                .unwrap();
        }
        Op::Lock(key, t) => {
            let _ = store
                .update(&key, s(t), |account, policy| {
                    account.lock(policy, s(t), None)
                })
                .await?
                .unwrap();
        }
        Op::Unlock(key, t) => {
            let _ = store
                .update(&key, s(t), |account, policy| account.unlock(policy, s(t)))
                .await?;
        }
    }
    Ok(())
}

/// The accounts a boot at `now` should find: `accounts` after `recover` (which also
/// observes `now`, as every read at `now` would).
fn recovered(accounts: &Accounts, policy: &Policy, now: Instant) -> Accounts {
    accounts
        .iter()
        .map(|(&key, account)| {
            let mut account = *account;
            let _ = account.recover(policy, now).unwrap();
            (key, account)
        })
        .collect()
}

/// What the store holds for the session's keys, each observed at `now`.
async fn stored<F: NorFlash>(store: &mut Store<F>, now: Instant) -> Accounts
where
    F::Error: std::fmt::Debug,
{
    let policy = *store.policy();
    let mut accounts = Accounts::new();
    for key in [ALICE, BOB] {
        if let Some(mut account) = store.account(&key).await.unwrap() {
            assert_eq!(
                account.attempts_in_flight(),
                0,
                "recover_all left an attempt in flight"
            );
            let _ = account.recover(&policy, now).unwrap();
            accounts.insert(key, account);
        }
    }
    accounts
}

/// The reference states after each prefix of the session: `states[k]` after `k` ops.
fn reference(ops: &[Op]) -> Vec<Accounts> {
    let mut accounts = Accounts::new();
    let mut tokens = BTreeMap::new();
    let mut states = vec![accounts.clone()];
    for &op in ops {
        apply(&mut accounts, &mut tokens, op);
        states.push(accounts.clone());
    }
    states
}

/// How far a session got before the power went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Progress {
    /// The cut came while `open` recorded the policy: no op ran.
    Open,
    /// This many ops completed; the next one (if any) was cut.
    Ops(usize),
}

/// The session on a flash that loses power at `cut`: how far it got, and the flash
/// (powered again).
fn session_with_cut(ops: &[Op], cut: Option<Cut>) -> (Progress, SmallFlash) {
    let flash = SmallFlash::new(cut);
    let progress = block_on(async {
        let mut store = match Store::open(flash.clone(), 0..SmallFlash::CAPACITY, policy()).await {
            Ok(store) => store,
            Err(FlashError::Flash(MockError::PowerCut)) => return Progress::Open,
            Err(error) => panic!("open: {error:?}"),
        };
        let mut tokens = BTreeMap::new();
        for (done, &op) in ops.iter().enumerate() {
            match run(&mut store, &mut tokens, op).await {
                Ok(()) => {}
                Err(FlashError::Flash(MockError::PowerCut)) => return Progress::Ops(done),
                Err(error) => panic!("op {done} ({op:?}): {error:?}"),
            }
        }
        Progress::Ops(ops.len())
    });
    (progress, flash.reboot())
}

/// Mounts the store on `flash` after a reboot at `now`: it must mount, and `recover_all`
/// must succeed; returns what it holds and how many accounts it recovered.
fn boot(flash: SmallFlash, policy: Policy, now: Instant, what: &str) -> (Accounts, usize) {
    block_on(async {
        let mut store: Store<SmallFlash> = Store::open(flash, 0..SmallFlash::CAPACITY, policy)
            .await
            .unwrap_or_else(|error| panic!("{what}: mount: {error:?}"));
        let count = store
            .recover_all(now)
            .await
            .unwrap_or_else(|error| panic!("{what}: recover_all: {error:?}"));
        (stored(&mut store, now).await, count)
    })
}

fn in_flight(accounts: &Accounts) -> usize {
    accounts
        .values()
        .filter(|account| account.attempts_in_flight() > 0)
        .count()
}

/// Every cut point: each step of the uncut session (a word written or a page erased),
/// cut clean and torn. After each: reboot, mount, `recover_all`, and the accounts are
/// those of the reference before the op the cut interrupted, or after it, both recovered
/// at the boot. So no failure acknowledged before the cut is lost (every op before the
/// cut is in both), and no success turns into a failure except the one attempt in
/// flight that the protocol counts (a `finish` cut short leaves its `begin`, recovered
/// as a failure).
#[test]
fn a_power_cut_at_any_step_loses_no_failure_and_invents_none() {
    let ops = session();
    let policy = policy();
    let now = s(BOOT);
    let states = reference(&ops);
    let (progress, uncut) = session_with_cut(&ops, None);
    assert_eq!(progress, Progress::Ops(ops.len()));
    let steps = uncut.steps();
    let mut points = 0;
    let mut in_erases = 0;
    let mut interrupted = BTreeMap::<&str, usize>::new();
    for at in 1..=steps {
        for torn in [false, true] {
            points += 1;
            let cut = Cut { at, torn };
            let what = format!("{cut:?}");
            let (progress, flash) = session_with_cut(&ops, Some(cut));
            in_erases += usize::from(flash.erases().iter().sum::<u64>() > 0);
            let (found, count) = boot(flash, policy, now, &what);
            let Progress::Ops(done) = progress else {
                assert_eq!(found, Accounts::new(), "{what}: cut in open");
                assert_eq!(count, 0);
                *interrupted.entry("open").or_default() += 1;
                continue;
            };
            assert!(done < ops.len(), "{what}: the cut did not stop the session");
            *interrupted.entry(op_name(ops[done])).or_default() += 1;
            let before = recovered(&states[done], &policy, now);
            let after = recovered(&states[done + 1], &policy, now);
            let landed = if found == before {
                &states[done]
            } else if found == after {
                &states[done + 1]
            } else {
                panic!(
                    "{what}, during op {done} {:?}:\nfound {found:#?}\nbefore {before:#?}\nafter {after:#?}",
                    ops[done]
                )
            };
            // recover_all counted exactly the accounts with attempts in flight.
            assert_eq!(count, in_flight(landed), "{what}");
        }
    }
    println!(
        "power-cut matrix: {points} cut points ({steps} steps of a {}-op session, each cut \
         clean and torn); cuts by the op they interrupted: {interrupted:?}; {in_erases} cut \
         points came after a page erase",
        ops.len()
    );
    assert!(
        in_erases > 0,
        "the session never erased a page: the matrix misses erases"
    );
}

#[test]
fn the_session_ends_as_the_reference_and_counts_the_unfinished_begin() {
    let ops = session();
    let policy = policy();
    let (progress, flash) = session_with_cut(&ops, None);
    assert_eq!(progress, Progress::Ops(ops.len()));
    let (found, count) = boot(flash.clone(), policy, s(BOOT), "uncut");
    assert_eq!(count, 1, "Bob's begin at 400 s never finished");
    let expected = recovered(reference(&ops).last().unwrap(), &policy, s(BOOT));
    assert_eq!(found, expected);
    // Alice: the failure at 321 s; Bob: the failure at 311 s and the lost verdict.
    assert_eq!(found[&ALICE].failure_count(&policy, s(BOOT)), 1);
    assert_eq!(found[&BOB].failure_count(&policy, s(BOOT)), 2);
    // A second boot finds nothing in flight, and writes nothing.
    let words = flash.words_written();
    let (again, count) = boot(flash.reboot(), policy, s(BOOT), "second boot");
    assert_eq!((again, count), (found, 0));
    assert_eq!(flash.words_written(), words);
}

#[test]
fn a_begin_is_on_flash_before_its_token_is_returned() {
    let policy = policy();
    let flash = SmallFlash::new(None);
    let token = block_on(async {
        let mut store: Store<SmallFlash> =
            Store::open(flash.clone(), 0..SmallFlash::CAPACITY, policy)
                .await
                .unwrap();
        store.begin(&ALICE, s(1)).await.unwrap().token.unwrap()
    });
    // The store is gone (the power went during the credential check).
    block_on(async {
        let mut store: Store<SmallFlash> =
            Store::open(flash.reboot(), 0..SmallFlash::CAPACITY, policy)
                .await
                .unwrap();
        let account = store.account(&ALICE).await.unwrap().unwrap();
        assert_eq!(account.attempt_tokens().collect::<Vec<_>>(), vec![token]);
        assert_eq!(store.recover_all(s(2)).await.unwrap(), 1);
        let account = store.account(&ALICE).await.unwrap().unwrap();
        assert_eq!(account.failure_count(&policy, s(2)), 1);
        assert_eq!(
            store.finish(&ALICE, s(3), token, Verdict::Success).await,
            Err(FlashError::Attempt(AttemptError::UnknownAttempt))
        );
    });
}

#[test]
fn writes_only_when_the_state_changes() {
    let policy = policy();
    let flash = SmallFlash::new(None);
    block_on(async {
        let mut store: Store<SmallFlash> =
            Store::open(flash.clone(), 0..SmallFlash::CAPACITY, policy)
                .await
                .unwrap();
        // Three failures lock Alice until 62 s.
        for t in 0..3 {
            let _ = store
                .update(&ALICE, s(t), |account, policy| {
                    account.failure(policy, s(t), None)
                })
                .await
                .unwrap()
                .unwrap();
        }
        let locked = flash.words_written();
        // Rejected begins, failures and successes while locked write nothing; nor do
        // reads, a check, or recover_all with nothing in flight.
        for t in 3..50 {
            let start = store.begin(&ALICE, s(t)).await.unwrap();
            assert!(start.token.is_none());
            let _ = store
                .update(&ALICE, s(t), |account, policy| {
                    account.failure(policy, s(t), None)
                })
                .await
                .unwrap()
                .unwrap();
            let _ = store
                .update(&ALICE, s(t), |account, policy| {
                    account.success(policy, s(t))
                })
                .await
                .unwrap();
            store.account(&ALICE).await.unwrap();
        }
        assert_eq!(store.recover_all(s(50)).await.unwrap(), 0);
        let _ = store
            .update(&BOB, s(50), |account, policy| account.check(policy, s(50)))
            .await
            .unwrap();
        assert_eq!(
            flash.words_written(),
            locked,
            "a rejection or a read wrote to flash"
        );
        // Nor does mounting again under the same policy.
        drop(store);
        let mut store: Store<SmallFlash> =
            Store::open(flash.reboot(), 0..SmallFlash::CAPACITY, policy)
                .await
                .unwrap();
        assert_eq!(
            flash.words_written(),
            locked,
            "an unchanged policy was written again"
        );
        // The lock's end is a change: the next begin writes.
        assert!(store.begin(&ALICE, s(70)).await.unwrap().token.is_some());
        assert!(flash.words_written() > locked);
    });
}

/// Alice has 4 failures and Bob 1 under PingOne 5, when the device boots with
/// pam_faillock (deny 3, a sliding window that keeps failure times): [`Account::decode`]
/// refuses both states, which the migration keeps (as failure times). A cut at
/// any step of the migration leaves a store that mounts under the new policy and holds
/// the migrated states.
#[test]
fn a_changed_policy_migrates_the_states_under_every_cut() {
    let old = PingOne {
        failure_count: 5,
        duration_seconds: Some(60),
    }
    .policy()
    .unwrap();
    let new = PamFaillock::DEFAULT.policy().unwrap();
    let failures = [(ALICE, 4), (BOB, 1)];
    let prepared = SmallFlash::new(None);
    block_on(async {
        let mut store: Store3 = Store3::open(prepared.clone(), 0..SmallFlash::CAPACITY, old)
            .await
            .unwrap();
        for (key, count) in failures {
            for t in 0..count {
                let _ = store
                    .update(&key, s(t), |account, policy| {
                        account.failure(policy, s(t), None)
                    })
                    .await
                    .unwrap()
                    .unwrap();
            }
        }
    });
    let expected: BTreeMap<u16, Account<3>> = failures
        .iter()
        .map(|&(key, count)| {
            let mut account: Account<3> = Account::new();
            for t in 0..count {
                let _ = account.failure(&old, s(t), None).unwrap();
            }
            let mut bytes = [0u8; Account::<3>::MAX_ENCODED_LEN];
            let len = account.encode(&mut bytes).unwrap();
            assert!(Account::<3>::decode(&bytes[..len], &new).is_err());
            (key, Account::decode_migrating(&bytes[..len], &new).unwrap())
        })
        .collect();
    let read = |flash: SmallFlash, what: &str| -> BTreeMap<u16, Account<3>> {
        block_on(async {
            let mut store: Store3 = Store3::open(flash, 0..SmallFlash::CAPACITY, new)
                .await
                .unwrap_or_else(|error| panic!("{what}: mount: {error:?}"));
            let mut accounts = BTreeMap::new();
            for key in [ALICE, BOB] {
                accounts.insert(key, store.account(&key).await.unwrap().unwrap());
            }
            accounts
        })
    };
    let uncut = prepared.copy(None);
    assert_eq!(read(uncut.clone(), "uncut"), expected);
    let steps = uncut.steps();
    assert!(steps > 0, "the new policy was not recorded");
    let mut points = 0;
    for at in 1..=steps {
        for torn in [false, true] {
            points += 1;
            let flash = prepared.copy(Some(Cut { at, torn }));
            let opened = block_on(Store3::open(flash.clone(), 0..SmallFlash::CAPACITY, new));
            assert!(matches!(
                opened,
                Err(FlashError::Flash(MockError::PowerCut))
            ));
            let what = format!("migration cut {at} {torn}");
            assert_eq!(read(flash.reboot(), &what), expected, "{what}");
        }
    }
    println!("policy migration: {points} cut points ({steps} steps, each cut clean and torn)");
}

/// A bigger flash for many accounts.
type WideFlash = MockFlash<1024, 8>;
type WideStore = FlashStore<WideFlash, u16>;

/// `in_flight` accounts, in an order that is not the keys', each with a begin in flight;
/// 10 more with nothing in flight.
fn many_in_flight(in_flight: u16) -> (WideFlash, Accounts) {
    let policy = policy();
    let flash = WideFlash::new(None);
    let mut reference = Accounts::new();
    block_on(async {
        let mut store: WideStore = WideStore::open(flash.clone(), 0..WideFlash::CAPACITY, policy)
            .await
            .unwrap();
        for index in 0..in_flight + 10 {
            let key = (index * 37) % 101;
            let account = reference.entry(key).or_default();
            let _ = account.begin_attempt(&policy, s(1)).unwrap();
            let token = store.begin(&key, s(1)).await.unwrap().token.unwrap();
            if index >= in_flight {
                let _ = account
                    .finish_attempt(&policy, s(2), token, Verdict::Success)
                    .unwrap();
                let _ = store
                    .finish(&key, s(2), token, Verdict::Success)
                    .await
                    .unwrap();
            }
        }
    });
    (flash, reference)
}

fn read_all(store_flash: WideFlash, keys: &Accounts, now: Instant) -> (Accounts, usize) {
    let policy = policy();
    block_on(async {
        let mut store: WideStore = WideStore::open(store_flash, 0..WideFlash::CAPACITY, policy)
            .await
            .unwrap();
        let count = store.recover_all(now).await.unwrap();
        let mut found = Accounts::new();
        for &key in keys.keys() {
            let mut account = store.account(&key).await.unwrap().unwrap();
            let _ = account.recover(&policy, now).unwrap();
            found.insert(key, account);
        }
        (found, count)
    })
}

/// More than two batches of `RECOVERY_BATCH` accounts.
#[test]
fn recover_all_reaches_every_account_in_batches() {
    const { assert!(account_lockout::flash::RECOVERY_BATCH * 2 < 40) };
    let (flash, reference) = many_in_flight(40);
    let now = s(BOOT);
    let (found, count) = read_all(flash.reboot(), &reference, now);
    assert_eq!(count, 40);
    assert_eq!(found, recovered(&reference, &policy(), now));
    assert!(
        found
            .values()
            .all(|account| account.attempts_in_flight() == 0)
    );
}

/// A power cut at any step of `recover_all` itself (over more than one batch of
/// `RECOVERY_BATCH` accounts): the next boot recovers the rest, and no attempt is counted
/// twice.
#[test]
fn a_power_cut_during_recover_all_counts_each_attempt_once() {
    const { assert!(account_lockout::flash::RECOVERY_BATCH < 20) };
    let (prepared, reference) = many_in_flight(20);
    let now = s(BOOT);
    let expected = recovered(&reference, &policy(), now);
    let steps = {
        let flash = prepared.copy(None);
        let (_, count) = read_all(flash.clone(), &reference, now);
        assert_eq!(count, 20);
        flash.steps()
    };
    let mut points = 0;
    for at in 1..=steps {
        for torn in [false, true] {
            points += 1;
            let flash = prepared.copy(Some(Cut { at, torn }));
            let cut = block_on(async {
                let mut store: WideStore =
                    WideStore::open(flash.clone(), 0..WideFlash::CAPACITY, policy())
                        .await
                        .unwrap();
                store.recover_all(now).await
            });
            assert_eq!(cut, Err(FlashError::Flash(MockError::PowerCut)), "cut {at}");
            let (found, count) = read_all(flash.reboot(), &reference, now);
            // The states tell: an attempt counted by both boots would be two failures.
            assert_eq!(
                found, expected,
                "cut {at} {torn}: {count} recovered at the second boot"
            );
        }
    }
    println!("recover_all: {points} cut points ({steps} steps, each cut clean and torn)");
}

/// A record that is not a sound state is a typed error on every call on its account, and
/// recover_all still recovers the others.
#[test]
fn an_unsound_record_is_a_typed_error_never_a_panic() {
    use sequential_storage::cache::Cache;
    use sequential_storage::map::{MapConfig, MapStorage};

    let policy = policy();
    let flash = SmallFlash::new(None);
    block_on(async {
        let mut store: Store<SmallFlash> =
            Store::open(flash.clone(), 0..SmallFlash::CAPACITY, policy)
                .await
                .unwrap();
        let _ = store.begin(&BOB, s(1)).await.unwrap().token.unwrap();
        // Alice's record: an account state with a flipped bit, under the store's own key
        // layout (tag 1, then the u16 key, little-endian).
        let mut account: Account = Account::new();
        let _ = account.failure(&policy, s(1), None).unwrap();
        let mut bytes = [0u8; Account::<0, 0>::MAX_ENCODED_LEN];
        let len = account.encode(&mut bytes).unwrap();
        bytes[20] ^= 1;
        let mut map = MapStorage::<[u8; 3], _, _>::new(
            store.into_flash(),
            MapConfig::new(0..SmallFlash::CAPACITY),
            Cache::new_uncached(),
        );
        let mut buffer = [0u8; 512];
        let alice = [1, ALICE.to_le_bytes()[0], ALICE.to_le_bytes()[1]];
        map.store_item(&mut buffer, &alice, &&bytes[..len])
            .await
            .unwrap();

        let mut store: Store<SmallFlash> =
            Store::open(flash.reboot(), 0..SmallFlash::CAPACITY, policy)
                .await
                .unwrap();
        let unsound = FlashError::Record(account_lockout::DecodeError::Checksum);
        assert_eq!(store.recover_all(s(5)).await, Err(unsound));
        // Bob was recovered all the same.
        let bob = store.account(&BOB).await.unwrap().unwrap();
        assert_eq!(bob.attempts_in_flight(), 0);
        assert_eq!(bob.failure_count(&policy, s(5)), 1);
        assert_eq!(store.account(&ALICE).await, Err(unsound));
        assert_eq!(store.begin(&ALICE, s(6)).await, Err(unsound));
    });
}

// ---------------------------------------------------------------------------------------
// Wear.

/// The flash of the wear figures: 4 pages of 4 KiB, 10,000 erase cycles each.
const WEAR_PAGE: usize = 4096;
const WEAR_PAGES: usize = 4;
const CYCLES: u64 = 10_000;

/// How long the device takes to check a PIN: the fastest an attacker can go where no
/// lock stops them.
const CHECK_MS: i64 = 100;

/// An attacker with one wrong PIN at a time, as fast as the lock allows: each attempt as
/// soon as the account can authenticate, each check taking [`CHECK_MS`]. Returns the
/// simulated seconds it took, and the flash.
fn attack(policy: Policy, attempts: u64) -> (f64, WearFlash) {
    let flash = WearFlash::new(None);
    let seconds = block_on(async {
        let mut store: FlashStore<_, u16> =
            FlashStore::open(flash.clone(), 0..WearFlash::CAPACITY, policy)
                .await
                .unwrap();
        let start = s(0);
        let mut now = start;
        let mut made = 0;
        while made < attempts {
            let words = flash.words_written();
            let begun = store.begin(&ALICE, now).await.unwrap();
            match begun.token {
                Some(token) => {
                    now = Instant::from_millis(now.as_millis() + CHECK_MS);
                    let wrong = Verdict::Failure { credential: None };
                    let _ = store.finish(&ALICE, now, token, wrong).await.unwrap();
                    made += 1;
                }
                None => {
                    assert!(matches!(
                        begun.outcome.decision(),
                        Some(Decision::Rejected(_))
                    ));
                    assert_eq!(flash.words_written(), words, "a rejected begin wrote");
                    let account = store.account(&ALICE).await.unwrap().unwrap();
                    now = account
                        .next_deadline(&policy, now)
                        .expect("a lock that ends");
                }
            }
        }
        (now.as_millis() - start.as_millis()) as f64 / 1000.0
    });
    (seconds, flash)
}

type WearFlash = MockFlash<WEAR_PAGE, WEAR_PAGES>;

/// Erases per wrong PIN under a sustained attack, and how long the flash lasts, for
/// PingOne 3 failures / 60 s, the TPM's recovery schedule, and, for scale, a policy that
/// never locks (the attacker as fast as the device checks PINs).
#[test]
fn wear_under_a_sustained_attack() {
    let attempts = 2_000;
    for (name, policy) in [
        ("PingOne 3 failures / 60 s", policy()),
        ("TPM maxTries 3, recoveryTime 1000 s", tpm(3, 1_000)),
        ("no lock, 100 ms per PIN check", Policy::NEVER_LOCK),
    ] {
        let (seconds, flash) = attack(policy, attempts);
        let erases = flash.erases();
        let total: u64 = erases.iter().sum();
        assert!(total > 0, "{name}: the attack never filled a page");
        // Wear levelling: the pages are used in turn.
        let most = erases.iter().max().unwrap();
        let least = erases.iter().min().unwrap();
        assert!(most - least <= 1, "{name}: uneven wear {erases:?}");
        let per_attempt = total as f64 / attempts as f64;
        let words_per_attempt = flash.words_written() as f64 / attempts as f64;
        // Two records per attempt (begin, finish), each of about 25 words; and the
        // moves of live records when a page is reused.
        assert!(
            words_per_attempt < 64.0,
            "{name}: {words_per_attempt} words per attempt"
        );
        let seconds_per_attempt = seconds / attempts as f64;
        let attempts_to_wear_out = (WEAR_PAGES as u64 * CYCLES) as f64 / per_attempt;
        let days = attempts_to_wear_out * seconds_per_attempt / 86_400.0;
        println!(
            "wear: {name}: {attempts} wrong PINs in {seconds:.0} s ({seconds_per_attempt:.1} s \
             each): {words_per_attempt:.1} words and {per_attempt:.4} page erases per wrong \
             PIN (erases by page {erases:?}); a {WEAR_PAGES} x {WEAR_PAGE}-byte, \
             {CYCLES}-cycle flash lasts {attempts_to_wear_out:.0} wrong PINs = {:.0} hours = {days:.1} days \
             ({:.2} years)",
            days * 24.0,
            days / 365.25
        );
    }
}
