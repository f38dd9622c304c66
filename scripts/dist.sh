#!/usr/bin/env bash
# The binary to ship: `braid` without its debug info, and `braid.debug` holding it (the release
# profile's line tables), linked by `.gnu_debuglink`. Kept beside the binary (or under
# /usr/lib/debug), the debug file gives backtraces, gdb and addr2line their files and lines;
# the binary runs without it.
#   scripts/dist.sh [output directory, default dist/]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/dist}"
target="${CARGO_TARGET_DIR:-$root/target}"

if ! command -v objcopy >/dev/null; then
  echo "dist.sh: objcopy is needed (GNU binutils)" >&2
  exit 2
fi

(cd "$root" && cargo build --locked --release --bin braid)
mkdir -p "$out"
built="$target/release/braid"
# The link names the debug file and its checksum; objcopy reads it to compute that.
objcopy --only-keep-debug "$built" "$out/braid.debug"
objcopy --strip-debug --add-gnu-debuglink="$out/braid.debug" "$built" "$out/braid"
chmod -x "$out/braid.debug"
ls -l "$built" "$out/braid" "$out/braid.debug" | awk '{ printf "%6.1f MB  %s\n", $5 / 1e6, $NF }'
