//! The keypad's lockout policy, shared by the size builds (src/main.rs) and the QEMU
//! attack (src/bin/attack).

use account_lockout::Policy;
use account_lockout::dialect::PingOne;

/// 3 failures lock the user for 60 seconds. Checked at compile time.
// A `const` item: an invalid policy fails the build, it can never panic at run time.
#[allow(clippy::panic)]
pub const POLICY: Policy = match (PingOne {
    failure_count: 3,
    duration_seconds: Some(60),
})
.policy()
{
    Ok(policy) => policy,
    Err(_) => panic!("invalid lockout policy"),
};
