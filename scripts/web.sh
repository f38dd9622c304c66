#!/usr/bin/env bash
# The web app in web/: its committed build (embedded in the braid binary) and its browser tests.
#   scripts/web.sh build    rebuild web/dist; commit it (cargo builds need no Node)
#   scripts/web.sh check    exit 1 if web/dist differs from what the sources build
#   scripts/web.sh test     Playwright tests in Debian's Chromium against a fresh `braid demo`
#                           (BRAID_BIN, else the newest braid in $CARGO_TARGET_DIR); screenshots
#                           go to web/screenshots/
# Installs the pinned npm packages (web/package-lock.json) when they are missing or stale, and
# Debian's chromium package for `test` when /usr/bin/chromium is missing.
set -euo pipefail
web="$(cd "$(dirname "$0")/../web" && pwd)"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "web.sh: node and npm are needed (Node.js 20.19 or later)" >&2
  exit 2
fi

installed="$web/node_modules/.package-lock.json"
if [ ! -f "$installed" ] || [ "$web/package-lock.json" -nt "$installed" ] || [ "$web/package.json" -nt "$installed" ]; then
  echo "==> npm ci in web/" >&2
  (cd "$web" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefer-offline --no-audit --no-fund --loglevel=error >&2)
fi

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    echo "==> installing Debian's chromium" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  fi
}

cd "$web"
case "${1:-}" in
  build) npm run --silent build ;;
  check) node scripts/check-dist.mjs ;;
  test)
    ensure_chromium
    shift
    npx playwright test "$@"
    ;;
  *)
    echo "usage: scripts/web.sh build|check|test [playwright args]" >&2
    exit 2
    ;;
esac
