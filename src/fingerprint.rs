//! Credential fingerprints: how an account recognises a repeated wrong password.

/// A 64-bit digest of an attempted credential, for the repeated-credential memory
/// (SPEC §5 modifiers: PingOne's Basic policy, Entra smart lockout).
///
/// The account stores fingerprints, so never store a raw or cheaply reversible one:
/// compute it with a keyed hash (HMAC with a per-deployment secret, say) and pass it to
/// [`Fingerprint::new`]. [`Fingerprint::of`] is an unkeyed FNV-1a hash for tests,
/// simulations and firmware without a better digest.
///
/// ```
/// use account_lockout::Fingerprint;
/// assert_eq!(Fingerprint::of(b"hunter2"), Fingerprint::of(b"hunter2"));
/// assert_ne!(Fingerprint::of(b"hunter2"), Fingerprint::of(b"hunter3"));
/// assert_eq!(Fingerprint::new(7).get(), 7);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Fingerprint(u64);

impl Fingerprint {
    /// A fingerprint the host computed.
    pub const fn new(digest: u64) -> Fingerprint {
        Fingerprint(digest)
    }

    /// The 64-bit FNV-1a hash of `credential`: the same on every target.
    pub const fn of(credential: &[u8]) -> Fingerprint {
        const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
        const PRIME: u64 = 0x0000_0100_0000_01b3;
        let mut hash = OFFSET_BASIS;
        let mut rest = credential;
        while let [byte, tail @ ..] = rest {
            hash = (hash ^ *byte as u64).wrapping_mul(PRIME);
            rest = tail;
        }
        Fingerprint(hash)
    }

    /// The digest.
    pub const fn get(self) -> u64 {
        self.0
    }
}
