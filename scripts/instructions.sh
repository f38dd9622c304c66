#!/usr/bin/env bash
# Instructions per gateway request, counted by valgrind's callgrind: a figure that does not move
# with whatever else the machine is doing, for comparing builds of Braid's own work where
# latency on a shared machine is too noisy to show a few percent.
#
#   scripts/instructions.sh [OTHER_BRAID_BINARY...]
#
# Builds this checkout's release `braid`, `test-subgraphs` and `forward`, starts the four demo
# subgraphs, then runs each gateway under callgrind: 200 requests to warm up, counters zeroed,
# REQUESTS (default 1000) requests on one keep-alive connection (curl), counters dumped. Prints
# user-space instructions per request for this build, for each binary named on the command line
# (another build to compare with), for this build with traces on (exported to an OTLP sink that
# takes and drops them) at 1% and 100% sampling, and, for the default single-fetch query, for
# the bare forwarder (the same HTTP stack with no GraphQL work). QUERY overrides the operation;
# TRACES=0 leaves out the runs with traces on.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/braid/target}"
REQUESTS="${REQUESTS:-1000}"
SINGLE_FETCH='{ topProducts { upc name price } }'
QUERY="${QUERY:-$SINGLE_FETCH}"
for tool in valgrind callgrind_control curl python3; do
  command -v "$tool" >/dev/null || { echo "$tool is needed (valgrind is packaged by Debian)" >&2; exit 1; }
done

cargo build --release --locked --quiet -p braid -p braid-test-subgraphs
BIN="$CARGO_TARGET_DIR/release"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 20000))
    port_open "$port" || { echo "$port"; return; }
  done
}
wait_port() {
  for _ in $(seq 1 600); do port_open "$1" && return 0; sleep 0.2; done
  echo "nothing listens on port $1" >&2
  return 1
}

# The four demo subgraphs on free ports, and the demo supergraph pointing at them.
"$BIN/test-subgraphs" --scale 1 accounts=127.0.0.1:0 products=127.0.0.1:0 inventory=127.0.0.1:0 \
  reviews=127.0.0.1:0 >"$WORK/subgraphs.out" 2>"$WORK/subgraphs.err" &
PIDS+=($!)
for _ in $(seq 1 300); do grep -q '^ready' "$WORK/subgraphs.out" && break; sleep 0.2; done
cp tests/subgraphs/supergraphs/demo.graphql "$WORK/supergraph.graphql"
while read -r name url; do
  [ "$name" = ready ] && continue
  sed -i "s#\(@join__graph(name: \"$name\", url: \"\)[^\"]*#\1$url#" "$WORK/supergraph.graphql"
done <"$WORK/subgraphs.out"
PRODUCTS="$(awk '$1 == "products" { print $2 }' "$WORK/subgraphs.out")"

printf '{"query":%s}' "$(printf '%s' "$QUERY" | sed 's/\\/\\\\/g; s/"/\\"/g; s/^/"/; s/$/"/')" >"$WORK/body.json"

# A curl config sending the body `$2` times on one connection to port `$1`.
requests() {
  for i in $(seq 1 "$2"); do
    [ "$i" -gt 1 ] && echo next
    printf 'url = "http://127.0.0.1:%s/graphql"\nheader = "content-type: application/json"\n' "$1"
    printf 'data-binary = "@%s"\noutput = "/dev/null"\n' "$WORK/body.json"
  done >"$WORK/requests.$1"
  echo "$WORK/requests.$1"
}

# Runs `name` (the rest: its command line, `PORT` standing for the port) under callgrind and
# prints its instructions per request.
MEASURED=0
measure() {
  local name="$1" port out
  shift
  port="$(free_port)"
  MEASURED=$((MEASURED + 1))
  out="$WORK/callgrind.$MEASURED"
  local args=("${@//PORT/$port}")
  # Hot reload off: its file watcher's thread would count what it does about callgrind's own
  # files in the work directory, differently from run to run.
  BRAID_SUPERGRAPH__HOT_RELOAD=false \
    valgrind --tool=callgrind --callgrind-out-file="$out" "${args[@]}" >"$out.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  wait_port "$port"
  local answer
  answer="$(curl -s -H 'content-type: application/json' --data-binary "@$WORK/body.json" \
    "http://127.0.0.1:$port/graphql")"
  if [[ "$answer" != '{"data":'* || "$answer" == *'"errors"'* ]]; then
    echo "$name answered with errors: ${answer:0:300}" >&2
    return 1
  fi
  curl -s -K "$(requests "$port" 200)"
  callgrind_control -z "$pid" >/dev/null 2>&1
  curl -s -K "$(requests "$port" "$REQUESTS")"
  callgrind_control -d "$pid" >/dev/null 2>&1
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local total
  # The dump taken after the measured requests (`$out.1`), not the one written at exit.
  total="$(awk '/^(summary|totals):/ { n = $2 } END { print n + 0 }' "$out.1")"
  printf '  %-36s %10d\n' "$name" "$((total / REQUESTS))"
}

# An OTLP/HTTP receiver that accepts every export and keeps nothing: the gateway's exporter
# does all its work (batching, encoding, posting), the receiver none of it under callgrind.
SINK_PORT="$(free_port)"
python3 -c '
import http.server, sys
class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
' "$SINK_PORT" &
PIDS+=($!)
wait_port "$SINK_PORT"

echo "instructions per request (callgrind, user space), $REQUESTS requests on one connection:"
echo "  query: $QUERY"
measure "braid (this checkout)" "$BIN/braid" gateway --supergraph "$WORK/supergraph.graphql" --listen 127.0.0.1:PORT
if [ "${TRACES:-1}" != 0 ]; then
  for ratio in 0.01 1.0; do
    # Set for the function, so valgrind and the gateway under it see them.
    BRAID_TELEMETRY__OTLP_ENDPOINT="http://127.0.0.1:$SINK_PORT" BRAID_TELEMETRY__SAMPLING_RATIO="$ratio" \
      BRAID_TELEMETRY__EXPORT_INTERVAL_MS=1000 \
      measure "braid (this checkout), traces at $ratio" \
      "$BIN/braid" gateway --supergraph "$WORK/supergraph.graphql" --listen 127.0.0.1:PORT
  done
fi
for other in "$@"; do
  measure "braid ($other)" "$other" gateway --supergraph "$WORK/supergraph.graphql" --listen 127.0.0.1:PORT
done
if [ "$QUERY" = "$SINGLE_FETCH" ]; then
  measure "bare forwarder (no GraphQL)" "$BIN/forward" 127.0.0.1:PORT "$PRODUCTS"
fi
