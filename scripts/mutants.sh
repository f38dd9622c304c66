#!/usr/bin/env bash
# Mutation testing (cargo-mutants) of the logic where a wrong line costs the most, against the
# real PostgreSQL, Redis and tansu the tests use. Each part finishes within 90 minutes on a
# two-core machine; its results go to mutants/out/<part>/mutants.out and a summary is printed.
# A surviving mutant must be killed by a test or listed with a reason in mutants/accepted.txt.
#
#   scripts/mutants.sh            list the parts
#   scripts/mutants.sh PART...    run these parts (or `all`), then report
#   scripts/mutants.sh --report   report on what mutants/out holds, without running anything
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$HOME/.cargo/bin:$PATH"
STATE_DIR="$HOME/.cache/braid"
# Its own target directory: mutants build in a copy of the tree with the `mutants` profile, and
# a test run beside them must not wait on their build lock.
export CARGO_TARGET_DIR="${BRAID_MUTANTS_TARGET_DIR:-$STATE_DIR/target-mutants}"
MUTANTS_VERSION=27.1.0
OUT=mutants/out
# Seconds an end-to-end target may run on a mutant before the mutant counts as a hang (they
# take under a minute unmutated).
STACK_TIMEOUT=240

# Each part: the package mutated, the files (globs) mutated in it, and the end-to-end test
# targets (of STACK_PKG, the root package unless said) that exercise them. Every mutant meets
# the package's own tests first (seconds a mutant); only those it misses meet the end-to-end
# targets (a minute each). The gateway's own tests hold its federation targets (gateway/tests/,
# all in one process): its first tier is the unit tests and `queries`, the widest of them, and
# its second the others, so a mutant rebuilds two test binaries, not six. The first tier leaves
# out the two Redis-outage tests of `queries` (25 of its 30 seconds, spent waiting on Redis
# timeouts): they test the entity cache's and the rate limiter's adapters, not execution.
unknown() {
  echo "unknown part: $1 (parts: ${PARTS[*]})" >&2
  exit 2
}

part() {
  OWN=()
  STACK_PKG=braid
  case "$1" in
    access)
      PKG=braid-access
      FILES=('subgraphs/access/src/**')
      OWN=(--features db) # the invalidator, and its tests, need it
      STACK=(access permissions)
      ;;
    documents)
      PKG=braid-documents
      FILES=(subgraphs/documents/src/visible.rs)
      STACK=(documents)
      ;;
    events)
      PKG=braid-kit
      FILES=(subgraphs/kit/src/events/{outbox,relay,consumer,lanes,envelope}.rs subgraphs/kit/src/backoff.rs)
      OWN=(--features db) # the outbox, relay and consumer are the kit's database part
      STACK=(events)
      ;;
    saga)
      PKG=braid-orders
      FILES=('subgraphs/orders/src/saga/**')
      STACK=(orders)
      ;;
    gateway-*)
      PKG=braid-gateway
      OWN=(--cargo-test-arg=--lib --cargo-test-arg=--test=queries
        --cargo-test-arg=-- --cargo-test-arg=--skip=redis_cannot_answer)
      STACK_PKG=braid-gateway
      STACK=(http ws streams)
      case "$1" in
        gateway-client) FILES=(gateway/src/execute/{client,headers}.rs) ;;
        gateway-fetch) FILES=(gateway/src/execute/{cached,entity_fetch,errors,response}.rs) ;;
        gateway-tree) FILES=(gateway/src/execute/tree.rs) ;;
        gateway-execute) FILES=(gateway/src/execute/{mod,entities}.rs) ;;
        gateway-respond) FILES=('gateway/src/respond/**') ;;
        *) unknown "$1" ;;
      esac
      ;;
    *) unknown "$1" ;;
  esac
}
PARTS=(access saga documents events gateway-client gateway-fetch gateway-tree gateway-execute gateway-respond)

report() {
  python3 scripts/mutants_report.py --out "$OUT" --accepted mutants/accepted.txt "$@"
}

if [ $# -eq 0 ]; then
  echo "parts: ${PARTS[*]} (or all); --report to summarise mutants/out"
  exit 0
fi
if [ "$1" = "--report" ]; then
  report
  exit
fi
[ "$1" = "all" ] && set -- "${PARTS[@]}"
for p in "$@"; do part "$p"; done

mkdir -p "$STATE_DIR"
# shellcheck source=scripts/services.sh
source scripts/services.sh
if [ "$(cargo mutants --version 2>/dev/null)" != "cargo-mutants $MUTANTS_VERSION" ]; then
  say "installing cargo-mutants $MUTANTS_VERSION (once per machine, about 2 minutes)"
  cargo install --locked --version "$MUTANTS_VERSION" cargo-mutants
fi
ensure_postgres
ensure_redis
ensure_tansu

# Runs cargo mutants for one tier of a part; exit status 2 (survivors) and 3 (timeouts) are
# for the report to judge, anything else is a failure.
mutants() {
  local status=0
  # A mutant can turn a loop into one that allocates without end (a varint writer that never
  # stops): address space is capped so such a test dies at 12 GiB, not the machine.
  (ulimit -v $((12 * 1024 * 1024)) && cargo mutants "${common[@]}" "$@") || status=$?
  if [ "$status" -ne 0 ] && [ "$status" -ne 2 ] && [ "$status" -ne 3 ]; then
    echo "cargo mutants failed on $p (exit $status); see $OUT/$p/mutants.out" >&2
    exit "$status"
  fi
}

for p in "$@"; do
  part "$p"
  common=(--package "$PKG" --profile mutants --jobs 1 --no-shuffle
    --output "$OUT/$p")
  for f in "${FILES[@]}"; do common+=(--file "$f"); done
  rm -rf "${OUT:?}/$p"
  mkdir -p "$OUT/$p"
  start=$(date +%s)
  say "mutants of $p (${FILES[*]}), against $PKG's own tests"
  mutants --test-package "$PKG" --timeout-multiplier 3 --minimum-test-timeout 60 "${OWN[@]}"
  # A timeout is already a catch (the mutant hung a test): only survivors go on.
  if [ -s "$OUT/$p/mutants.out/missed.txt" ] && [ ${#STACK[@]} -gt 0 ]; then
    say "those $PKG's tests missed, against the end-to-end tests: ${STACK[*]}"
    stack=()
    for t in "${STACK[@]}"; do stack+=("--cargo-test-arg=--test=$t"); done
    # No baseline: cargo-mutants runs it on the mutated package's tests, not on --test-package.
    mutants --iterate --baseline=skip --timeout "$STACK_TIMEOUT" --test-package "$STACK_PKG" "${stack[@]}"
  fi
  echo "$(( ($(date +%s) - start) / 60 ))" > "$OUT/$p/minutes"
done
report "$@"
