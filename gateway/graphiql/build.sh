#!/usr/bin/env bash
# Rebuilds gateway/graphiql/dist/ (committed; the gateway embeds it with include_bytes!).
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
node build.mjs
ls -l dist
