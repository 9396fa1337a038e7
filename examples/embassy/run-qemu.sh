#!/usr/bin/env bash
# Builds the embassy example and runs it on QEMU's MPS2 AN386 board (a Cortex-M4), with
# semihosting for its output and its exit status, then compares the output with
# expected-output.txt. It takes about 5 seconds of emulated (and real) time.
# Needs qemu-system-arm (Debian: apt-get install qemu-system-arm) and the
# thumbv7em-none-eabihf target. Run from anywhere: bash examples/embassy/run-qemu.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."

cargo build --release --locked -p account-lockout-embassy --target thumbv7em-none-eabihf
elf="${CARGO_TARGET_DIR:-target}/thumbv7em-none-eabihf/release/account-lockout-embassy"

output=$(mktemp)
trap 'rm -f "$output"' EXIT
# The firmware exits through semihosting: status 0 when every lock was reported ended
# exactly once. The timeout stops a firmware that hangs.
timeout 60 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
    -semihosting-config enable=on,target=native \
    -kernel "$elf" >"$output"
diff -u "$here/expected-output.txt" "$output"
echo "the embassy example under QEMU: output as expected, exit status 0"
