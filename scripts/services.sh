# Shared by scripts/test.sh and scripts/mutants.sh: start the services the tests talk to when
# they are not running (PostgreSQL, Redis, tansu), installing tansu when it is missing.
# Expects STATE_DIR (where tansu's log goes).

say() { printf '==> %s\n' "$*"; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() {
  for _ in $(seq 1 100); do
    port_open "$1" "$2" && return 0
    sleep 0.2
  done
  echo "nothing is listening on $1:$2" >&2
  return 1
}

ensure_postgres() {
  if ! port_open 127.0.0.1 5432; then
    say "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  fi
  wait_port 127.0.0.1 5432
  # The replica tests make hot standbys of it (pg_basebackup): replication from 127.0.0.1.
  local hba
  hba=$(psql -h 127.0.0.1 -U postgres -Atc 'SHOW hba_file')
  if ! grep -q '^host[[:space:]]\+replication[[:space:]]\+all[[:space:]]\+127.0.0.1/32' "$hba"; then
    say "allowing replication connections from 127.0.0.1 ($hba)"
    echo "host replication all 127.0.0.1/32 trust" >> "$hba"
    psql -h 127.0.0.1 -U postgres -Atc 'SELECT pg_reload_conf()' >/dev/null
  fi
}

ensure_redis() {
  if ! port_open 127.0.0.1 6379; then
    say "starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  fi
  wait_port 127.0.0.1 6379
}

ensure_tansu() {
  if ! command -v tansu >/dev/null 2>&1; then
    say "installing tansu (once per machine, about 10 minutes)"
    cargo install --locked tansu --features dynostore,postgres
  fi
  if ! port_open 127.0.0.1 9092; then
    say "starting tansu on 127.0.0.1:9092"
    setsid nohup tansu broker --storage-engine memory://tansu/ \
      --listener-url tcp://127.0.0.1:9092 --advertised-listener-url tcp://127.0.0.1:9092 \
      >"$STATE_DIR/tansu.log" 2>&1 < /dev/null &
  fi
  wait_port 127.0.0.1 9092
}
