//! The key of a source: an IPv4 address, or the IPv6 network an address belongs to.

use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::error::GuardError;

/// The IPv6 prefix length a source is keyed on unless configured otherwise: one /64 is
/// one subscriber's LAN, and a host picks any address in it at will.
pub const DEFAULT_IPV6_PREFIX: u8 = 64;

/// Where attempts come from, as a [`Guard`](crate::Guard) counts them.
///
/// - An IPv4 address is its own key.
/// - An IPv4-mapped IPv6 address (`::ffff:203.0.113.7`, what a dual-stack socket reports
///   for an IPv4 client) is keyed as that IPv4 address, and so is an address of NAT64's
///   well-known prefix (`64:ff9b::203.0.113.7`, what a server behind a NAT64 gateway
///   sees of an IPv4 client).
/// - Any other IPv6 address is keyed on its network, the address masked to a prefix
///   (`/64` by default, [`DEFAULT_IPV6_PREFIX`]): a single host holds a whole /64 and can
///   send every attempt from a new address in it, so counting addresses would count
///   nothing.
///
/// ```
/// use account_lockout::SourceKey;
/// use core::net::IpAddr;
///
/// let ip = |text: &str| text.parse::<IpAddr>().unwrap();
/// let a = SourceKey::new(ip("2001:db8:1:2::1"), 64)?;
/// let b = SourceKey::new(ip("2001:db8:1:2:ffff::9"), 64)?;
/// assert_eq!(a, b);
/// assert_eq!(a.to_string(), "2001:db8:1:2::/64");
/// assert_eq!(SourceKey::new(ip("::ffff:203.0.113.7"), 64)?.to_string(), "203.0.113.7");
/// assert_eq!(SourceKey::new(ip("64:ff9b::203.0.113.7"), 64)?.to_string(), "203.0.113.7");
/// assert!(SourceKey::new(ip("2001:db8::1"), 0).is_err());
/// # Ok::<(), account_lockout::GuardError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SourceKey {
    network: Network,
}

/// A [`SourceKey`]'s value: an IPv4 address, or an IPv6 network with its prefix length.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
enum Network {
    V4([u8; 4]),
    V6 { address: [u8; 16], prefix: u8 },
}

/// The IPv4 address inside an address of NAT64's well-known prefix `64:ff9b::/96`
/// (RFC 6052): behind a NAT64 gateway every IPv4 client arrives in that one /96, so
/// keying it as IPv6 would put the whole IPv4 internet behind one source.
fn nat64_ipv4(v6: core::net::Ipv6Addr) -> Option<core::net::Ipv4Addr> {
    let bits = u128::from(v6);
    const WELL_KNOWN: u128 = 0x0064_ff9b_u128 << 96;
    const PREFIX_MASK: u128 = u128::MAX << 32;
    (bits & PREFIX_MASK == WELL_KNOWN)
        .then(|| core::net::Ipv4Addr::from(u32::try_from(bits & 0xffff_ffff).unwrap_or(0)))
}

impl SourceKey {
    /// The key of `ip`, IPv6 masked to its first `ipv6_prefix` bits; a prefix outside
    /// 1..=128 is [`GuardError::Ipv6Prefix`] (also for an IPv4 address, so that a wrong
    /// configuration shows on the first call).
    pub fn new(ip: IpAddr, ipv6_prefix: u8) -> Result<SourceKey, GuardError> {
        if !(1..=128).contains(&ipv6_prefix) {
            return Err(GuardError::Ipv6Prefix(ipv6_prefix));
        }
        Ok(SourceKey::masked(ip, ipv6_prefix))
    }

    /// The key of `ip` for a prefix length already checked to be in 1..=128.
    pub(super) fn masked(ip: IpAddr, ipv6_prefix: u8) -> SourceKey {
        let network = match ip {
            IpAddr::V4(v4) => Network::V4(v4.octets()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped().or_else(|| nat64_ipv4(v6)) {
                Some(v4) => Network::V4(v4.octets()),
                None => {
                    let host_bits = 128_u8.saturating_sub(ipv6_prefix);
                    let mask = u128::MAX.checked_shl(u32::from(host_bits)).unwrap_or(0);
                    Network::V6 {
                        address: (u128::from(v6) & mask).to_be_bytes(),
                        prefix: ipv6_prefix,
                    }
                }
            },
        };
        SourceKey { network }
    }

    /// The address the key stands for: the IPv4 address, or the IPv6 network's first
    /// address.
    ///
    /// ```
    /// use account_lockout::SourceKey;
    /// let key = SourceKey::new("2001:db8:1:2::7".parse().unwrap(), 48).unwrap();
    /// assert_eq!(key.ip().to_string(), "2001:db8:1::");
    /// assert_eq!(key.prefix_len(), 48);
    /// ```
    #[must_use]
    pub fn ip(&self) -> IpAddr {
        match self.network {
            Network::V4(octets) => IpAddr::V4(Ipv4Addr::from(octets)),
            Network::V6 { address, .. } => IpAddr::V6(Ipv6Addr::from(address)),
        }
    }

    /// How many leading bits of the address the key keeps: 32 for IPv4, the prefix
    /// length for IPv6.
    #[must_use]
    pub fn prefix_len(&self) -> u8 {
        match self.network {
            Network::V4(_) => 32,
            Network::V6 { prefix, .. } => prefix,
        }
    }
}

impl fmt::Display for SourceKey {
    /// `203.0.113.7` for IPv4, `2001:db8:1:2::/64` for IPv6.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.network {
            Network::V4(octets) => Ipv4Addr::from(octets).fmt(f),
            Network::V6 { address, prefix } => {
                write!(f, "{}/{prefix}", Ipv6Addr::from(address))
            }
        }
    }
}

impl fmt::Debug for SourceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SourceKey({self})")
    }
}
