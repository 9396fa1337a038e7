//! Credential fingerprints: how an account recognises a repeated wrong password.
//!
//! Fingerprints leave the process (a stored account state, a Redis value, a file), so an
//! unkeyed digest would let whoever reads them test password guesses offline.
//! [`Fingerprint::keyed`] is SipHash-2-4 under a [`FingerprintKey`] the host chooses and
//! keeps secret (the `siphasher` crate's implementation, not one of our own).

use siphasher::sip::SipHasher24;

/// The 128-bit secret key of [`Fingerprint::keyed`]: chosen by the host (random, per
/// deployment), kept out of the stored states, the same on every node that must
/// recognise the same credential.
///
/// Its `Debug` form does not show the key.
///
/// ```
/// use account_lockout::FingerprintKey;
/// let key = FingerprintKey::new([7; 16]);
/// assert_eq!(format!("{key:?}"), "FingerprintKey(..)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct FingerprintKey([u8; FingerprintKey::LEN]);

impl FingerprintKey {
    /// The length of a key, in bytes.
    pub const LEN: usize = 16;

    /// A key from its 16 bytes (SipHash reads them as two little-endian 64-bit halves).
    pub const fn new(bytes: [u8; FingerprintKey::LEN]) -> FingerprintKey {
        FingerprintKey(bytes)
    }
}

impl core::fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("FingerprintKey(..)")
    }
}

/// A 64-bit digest of an attempted credential, for the repeated-credential memory
/// ([behaviour §5](crate::behaviour#s5) modifiers: PingOne's Basic policy, Entra smart lockout).
///
/// The account stores fingerprints, so never store a raw or cheaply reversible one:
/// compute it with [`Fingerprint::keyed`] (SipHash-2-4 under the host's secret key), or
/// with a keyed hash of the host's own (an HMAC, say) passed to [`Fingerprint::new`].
///
/// ```
/// use account_lockout::{Fingerprint, FingerprintKey};
/// let key = FingerprintKey::new(*b"per-deployment!!");
/// let other = FingerprintKey::new(*b"another-secret!!");
/// assert_eq!(Fingerprint::keyed(&key, b"hunter2"), Fingerprint::keyed(&key, b"hunter2"));
/// assert_ne!(Fingerprint::keyed(&key, b"hunter2"), Fingerprint::keyed(&key, b"hunter3"));
/// assert_ne!(Fingerprint::keyed(&key, b"hunter2"), Fingerprint::keyed(&other, b"hunter2"));
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

    /// SipHash-2-4 of `credential` under `key`, 64-bit output: the reference algorithm
    /// (the key as two little-endian 64-bit halves, the result as SipHash defines it), so
    /// the same on every target, in every process and on every node sharing the key.
    ///
    /// ```
    /// use account_lockout::{Fingerprint, FingerprintKey};
    /// // The SipHash paper's test vector (Aumasson and Bernstein, appendix A): key
    /// // 00 01 .. 0f, message 00 01 .. 0e.
    /// let key = FingerprintKey::new([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    /// let message = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
    /// assert_eq!(Fingerprint::keyed(&key, &message).get(), 0xa129_ca61_49be_45e5);
    /// ```
    pub fn keyed(key: &FingerprintKey, credential: &[u8]) -> Fingerprint {
        Fingerprint(SipHasher24::new_with_key(&key.0).hash(credential))
    }

    /// The digest.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::{Fingerprint, FingerprintKey};

    /// The reference key of the SipHash paper and of its `vectors.h`: 00 01 .. 0f.
    const REFERENCE_KEY: FingerprintKey =
        FingerprintKey::new([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);

    #[test]
    fn siphash_2_4_reference_vectors() {
        // `vectors_sip64` of the reference implementation: entry i hashes the message
        // 00 01 .. (i-1); each is the 8 output bytes, read here as a little-endian u64.
        let cases: [(usize, u64); 4] = [
            (0, 0x726f_db47_dd0e_0e31),
            (1, 0x74f8_39c5_93dc_67fd),
            (8, 0x93f5_f579_9a93_2462),
            (15, 0xa129_ca61_49be_45e5),
        ];
        let message: [u8; 16] = core::array::from_fn(|i| i as u8);
        for (len, expected) in cases {
            let fingerprint = message
                .get(..len)
                .map(|prefix| Fingerprint::keyed(&REFERENCE_KEY, prefix).get());
            assert_eq!(fingerprint, Some(expected), "message of {len} bytes");
        }
    }

    #[test]
    fn the_key_changes_the_fingerprint() {
        let other = FingerprintKey::new([0xff; 16]);
        assert_ne!(
            Fingerprint::keyed(&REFERENCE_KEY, b"hunter2"),
            Fingerprint::keyed(&other, b"hunter2")
        );
        assert_ne!(
            Fingerprint::keyed(&REFERENCE_KEY, b""),
            Fingerprint::keyed(&other, b"")
        );
    }
}
