#!/usr/bin/env bash
# Runs subscribe.mjs (see there) with the pinned npm clients, installing them first when
# node_modules is missing or older than the lock file.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
marker="$here/node_modules/.package-lock.json"
if [ ! -d "$here/node_modules" ] || [ ! -f "$marker" ] || [ "$here/package-lock.json" -nt "$marker" ]; then
  (cd "$here" && npm ci --prefer-offline --no-audit --no-fund >&2)
fi
exec node "$here/subscribe.mjs" "$@"
