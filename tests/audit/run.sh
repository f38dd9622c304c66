#!/usr/bin/env bash
# Runs the graphql-http server audit against a running gateway:
#   tests/audit/run.sh http://127.0.0.1:PORT/graphql [--json]
# Installs the pinned npm packages first when node_modules is missing or older than the lock file.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ $# -lt 1 ]; then
  echo "usage: $0 <url of the GraphQL endpoint> [--json] [--timeout-ms N]" >&2
  exit 2
fi
marker="$here/node_modules/.package-lock.json"
if [ ! -d "$here/node_modules" ] || [ ! -f "$marker" ] || [ "$here/package-lock.json" -nt "$marker" ]; then
  (cd "$here" && npm ci --prefer-offline --no-audit --no-fund >&2)
fi
exec node "$here/audit.mjs" "$@"
