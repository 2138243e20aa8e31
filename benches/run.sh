#!/usr/bin/env bash
# Skill benchmarks: starts the release server on each backend, seeds members, and drives the member skills
# with wrk (1 thread, 64 connections unless WRK_ARGS says otherwise). Prints req/s, latency percentiles
# and the server's peak RSS per scenario.
#
#   benches/run.sh                 # SQLite and PostgreSQL
#   BACKENDS=sqlite benches/run.sh # one backend
#
# Needs wrk (apt-get install wrk) and, for PostgreSQL, the server at BENCH_POSTGRES (default below).
set -euo pipefail
cd "$(dirname "$0")/.."

BACKENDS=${BACKENDS:-"sqlite postgres"}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
MEMBERS=${MEMBERS:-10000}
PORT=${PORT:-18080}
BENCH_POSTGRES=${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
export RUST_LOG=${RUST_LOG:-info,sqlx=warn}

command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet
BIN=${CARGO_TARGET_DIR:-target}/release/junggye
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

start_server() { # database url
  DATABASE_URL=$1 BIND_ADDR=127.0.0.1:$PORT APP_ENV=test "$BIN" serve >"$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && return; sleep 0.2; done
  echo "server did not start:" >&2; cat "$WORK/server.log" >&2; exit 1
}

peak_rss_mb() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$SERVER/status"; }

run_wrk() { # label, script, duration
  local out
  out=$(wrk -t1 -c"$CONNECTIONS" -d"$3" --latency -s "benches/lua/$2" "http://127.0.0.1:$PORT" | grep '^RESULT ' | sed 's/^RESULT //')
  printf '%-10s %-8s %s peak_rss_mb=%s\n' "$BACKEND" "$1" "$out" "$(peak_rss_mb)"
}

seed() { # members with keys s-1-1..N through the join skill itself
  BENCH_PREFIX=s wrk -t1 -c1 -d600s -s benches/lua/join.lua "http://127.0.0.1:$PORT" >/dev/null &
  local loader=$!
  until [ "$(count_members)" -ge "$MEMBERS" ]; do sleep 0.5; done
  kill $loader; wait $loader 2>/dev/null || true
}

for BACKEND in $BACKENDS; do
  case $BACKEND in
    sqlite)
      URL="sqlite://$WORK/bench.db"
      count_members() { sqlite3 "$WORK/bench.db" 'SELECT COUNT(*) FROM members' 2>/dev/null || echo 0; } ;;
    postgres)
      psql "$BENCH_POSTGRES/postgres" -qc 'DROP DATABASE IF EXISTS junggye_bench' -c 'CREATE DATABASE junggye_bench' >/dev/null
      URL="$BENCH_POSTGRES/junggye_bench"
      count_members() { psql "$URL" -tAc 'SELECT COUNT(*) FROM members' 2>/dev/null || echo 0; } ;;
    *) echo "unknown backend $BACKEND" >&2; exit 1 ;;
  esac
  start_server "$URL"
  seed
  BENCH_MEMBERS=$MEMBERS run_wrk profile profile.lua "$DURATION"
  BENCH_PREFIX=j run_wrk join join.lua "$DURATION"
  kill $SERVER; wait $SERVER 2>/dev/null || true
done
