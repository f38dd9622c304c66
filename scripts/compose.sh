#!/usr/bin/env bash
# Composes the supergraphs listed in schema/supergraphs.json with @theguild/federation-composition.
#   scripts/compose.sh            rewrite every composed supergraph
#   scripts/compose.sh --check    exit 1 if a committed supergraph differs from a fresh composition
# Installs the pinned npm packages (schema/package-lock.json) first when they are missing or stale.
set -euo pipefail
schema="$(cd "$(dirname "$0")/../schema" && pwd)"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "compose.sh: node and npm are needed (Node.js 18 or later)" >&2
  exit 2
fi

installed="$schema/node_modules/.package-lock.json"
if [ ! -f "$installed" ] || [ "$schema/package-lock.json" -nt "$installed" ] || [ "$schema/package.json" -nt "$installed" ]; then
  echo "==> npm ci in schema/" >&2
  (cd "$schema" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error >&2)
fi

exec node "$schema/compose.mjs" "$@"
