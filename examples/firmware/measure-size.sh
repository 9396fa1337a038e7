#!/usr/bin/env bash
# The firmware example's .text size, for the README: builds it for thumbv7em-none-eabihf
# with the workspace's release profile (opt-level "s", LTO, one codegen unit, panic abort)
# in three variants and prints one line per build with the size of .text in bytes.
#
#   bash examples/firmware/measure-size.sh
#
# It installs what it needs (the target and the llvm-tools component, for llvm-size) and
# exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/../.."

target=thumbv7em-none-eabihf
package=account-lockout-firmware

rustup target add "$target" >&2
rustup component add llvm-tools >&2

sysroot=$(rustc --print sysroot)
llvm_size=$(find "$sysroot"/lib/rustlib/*/bin -name llvm-size -type f 2>/dev/null | head -n 1)
if [ -z "$llvm_size" ]; then
    echo "measure-size: llvm-size not found under $sysroot/lib/rustlib/*/bin" >&2
    exit 1
fi

target_dir=$(cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
if [ -z "$target_dir" ]; then
    echo "measure-size: cannot find the target directory (cargo metadata)" >&2
    exit 1
fi
elf="$target_dir/$target/release/$package"

measure() {
    local label=$1
    shift
    cargo build --locked --release -p "$package" --target "$target" "$@" >&2
    local text
    text=$("$llvm_size" -A "$elf" | awk '$1 == ".text" { print $2 }')
    if [ -z "$text" ]; then
        echo "measure-size: no .text section in $elf" >&2
        exit 1
    fi
    printf '%-40s %7d bytes of .text  (cargo build --release -p %s --target %s%s)\n' \
        "$label" "$text" "$package" "$target" "${*:+ $*}"
}

measure "state machine alone:"
measure "with JSON view output:" --features json
measure "with the binary format:" --features binary
measure "with JSON input too (policy, patches):" --features json-input
