#!/usr/bin/env bash
# Skill benchmarks. For each backend: start the release server on a fresh database, seed members through
# the join skill, then drive each scenario with wrk (1 thread) at each concurrency in CONNECTIONS (16, 64
# and 256 connections) REPEAT times, each run
# next to a run of the bare-handler ceiling (examples/ceiling.rs), because this machine's speed drifts
# from minute to minute and a figure is only meaningful beside the ceiling measured at the same time.
#
#   benches/run.sh                         # SQLite and PostgreSQL, 3 rounds of 10 s, every scenario
#   BACKENDS=sqlite REPEAT=1 SCENARIOS="list search" CONNECTIONS=64 benches/run.sh
#   JUNGGYE_BIN=/path/to/an/earlier/junggye benches/run.sh   # measure another build
#   PRODUCTS=100000 CACHES="on off" SCENARIOS="list search" benches/run.sh   # a big market, browse cache on and off
#
# Scenarios: profile, join (members); list, detail, search (10,000 products, PRODUCTS to change); offer (a
# price offer: a write), offers (a seller's open offers; run after offer, which makes them), my_offers (a
# buyer's own offers; after offer too), bump (끌어올리기: one move per product, then refusals with the wait),
# report (신고: one report per member and product, then "already reported").
#
# CACHES: "on" (the default configuration), "off" (CATALOG_CACHE_MS=0: every list, search and detail reads the
# database, as real traffic of many different queries mostly does), or both; each mode is a server of its own
# on the same seeded database, and its rows are labelled "(cache off)".
#
# Prints one line per run, then a median table: req/s, p50/p99/p99.9 latency, ratio to the ceiling, and
# the server's peak RSS. Needs wrk (apt-get install wrk); PostgreSQL at BENCH_POSTGRES for that backend.
set -euo pipefail
cd "$(dirname "$0")/.."

BACKENDS=${BACKENDS:-"sqlite postgres"}
DURATION=${DURATION:-10s}
REPEAT=${REPEAT:-3}
CONNECTIONS=${CONNECTIONS:-"16 64 256"}
MEMBERS=${MEMBERS:-10000}
PRODUCTS=${PRODUCTS:-10000}
SCENARIOS=${SCENARIOS:-"profile join list detail search"}
CACHES=${CACHES:-on}
PORT=${PORT:-18080}
CEILING_PORT=${CEILING_PORT:-18090}
BENCH_POSTGRES=${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
export RUST_LOG=${RUST_LOG:-info,sqlx=warn}

command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet --bin junggye --example ceiling
TARGET=${CARGO_TARGET_DIR:-target}/release
# JUNGGYE_BIN: another build of the server to measure (e.g. an earlier commit's, to compare in one sitting).
JUNGGYE_BIN=${JUNGGYE_BIN:-$TARGET/junggye}
WORK=$(mktemp -d)
SERVER=""; CEILING=""
trap 'kill $SERVER $CEILING 2>/dev/null || true; rm -rf "$WORK"' EXIT

wait_up() { # url
  for _ in $(seq 1 50); do curl -s -o /dev/null "$1" && return; sleep 0.2; done
  echo "server at $1 did not start" >&2; cat "$WORK"/*.log >&2; exit 1
}

"$TARGET/examples/ceiling" "127.0.0.1:$CEILING_PORT" >"$WORK/ceiling.log" 2>&1 &
CEILING=$!
wait_up "http://127.0.0.1:$CEILING_PORT/"

start_server() { # database url, browse cache (on|off)
  local cache_ms=${CATALOG_CACHE_MS:-2000}
  [ "${2:-on}" = off ] && cache_ms=0
  CATALOG_CACHE_MS=$cache_ms DATABASE_URL=$1 BIND_ADDR=127.0.0.1:$PORT APP_ENV=test METRICS_ADDR=off "$JUNGGYE_BIN" serve >"$WORK/server.log" 2>&1 &
  SERVER=$!
  wait_up "http://127.0.0.1:$PORT/healthz"
}

peak_rss_mb() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

wrk_json() { # port, script, connections
  wrk -t1 -c"$3" -d"$DURATION" --latency -s "benches/lua/$2" "http://127.0.0.1:$1" | sed -n 's/^RESULT //p'
}

field() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" <<<"$1"; }

RESULTS=$WORK/results.tsv
run_scenario() { # label, script
  for connections in $CONNECTIONS; do
    for round in $(seq 1 "$REPEAT"); do
      local ceiling result
      ceiling=$(wrk_json "$CEILING_PORT" ceiling.lua "$connections")
      result=$(wrk_json "$PORT" "$2" "$connections")
      local rps c_rps
      rps=$(field "$result" rps); c_rps=$(field "$ceiling" rps)
      local label=$1
      [ "$CACHE" = off ] && label="$1 (cache off)"
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$BACKEND" "$label" "$connections" "$rps" \
        "$(field "$result" p50_ms)" "$(field "$result" p99_ms)" "$(field "$result" p999_ms)" "$c_rps" \
        "$(field "$result" non200)" "$(peak_rss_mb "$SERVER")" | tee -a "$RESULTS"
    done
  done
}

seed() { # members s-1-1..N, created through the join skill itself
  BENCH_PREFIX=s wrk -t1 -c1 -d600s -s benches/lua/join.lua "http://127.0.0.1:$PORT" >/dev/null &
  local loader=$!
  until [ "$(count_members)" -ge "$MEMBERS" ]; do sleep 0.5; done
  kill $loader; wait $loader 2>/dev/null || true
}

echo -e "backend\tscenario\tconnections\treq/s\tp50_ms\tp99_ms\tp99.9_ms\tceiling_req/s\tnon200\tpeak_rss_mb"
for BACKEND in $BACKENDS; do
  case $BACKEND in
    sqlite)
      URL="sqlite://$WORK/bench.db"
      sql() { sqlite3 "$WORK/bench.db"; }
      count_members() { sqlite3 "$WORK/bench.db" 'SELECT COUNT(*) FROM members' 2>/dev/null || echo 0; } ;;
    postgres)
      psql "$BENCH_POSTGRES/postgres" -qc 'DROP DATABASE IF EXISTS junggye_bench' -c 'CREATE DATABASE junggye_bench' >/dev/null 2>&1
      URL="$BENCH_POSTGRES/junggye_bench"
      sql() { psql -q "$URL" >/dev/null; }
      count_members() { psql "$URL" -tAc 'SELECT COUNT(*) FROM members' 2>/dev/null || echo 0; } ;;
    *) echo "unknown backend $BACKEND" >&2; exit 1 ;;
  esac
  CACHE=on
  start_server "$URL"
  seed
  awk -v n="$PRODUCTS" -v sellers="$MEMBERS" -f benches/seed_products.awk | sql
  # What autovacuum does soon after a bulk load: statistics, and the visibility map that lets PostgreSQL
  # answer from an index alone (product_grams) instead of visiting each row. Measuring before it ran would
  # time a database no running market has for long.
  [ "$BACKEND" = postgres ] && psql -q "$URL" -c 'VACUUM ANALYZE' >/dev/null
  for CACHE in $CACHES; do
    kill $SERVER; wait $SERVER 2>/dev/null || true
    start_server "$URL" "$CACHE"
    for scenario in $SCENARIOS; do
      case $scenario in
        profile) BENCH_MEMBERS=$MEMBERS run_scenario profile profile.lua ;;
        join) BENCH_PREFIX="j$BACKEND$CACHE" run_scenario join join.lua ;;
        list) BENCH_MEMBERS=$MEMBERS BENCH_PRODUCTS=$PRODUCTS run_scenario list products_list.lua ;;
        detail) BENCH_MEMBERS=$MEMBERS BENCH_PRODUCTS=$PRODUCTS run_scenario detail products_detail.lua ;;
        search) BENCH_MEMBERS=$MEMBERS run_scenario search products_search.lua ;;
        offer) BENCH_MEMBERS=$MEMBERS BENCH_PRODUCTS=$PRODUCTS run_scenario offer offers_make.lua ;;
        offers) BENCH_MEMBERS=$MEMBERS run_scenario offers offers_list.lua ;;
        my_offers) BENCH_MEMBERS=$MEMBERS run_scenario my_offers offers_mine.lua ;;
        bump) BENCH_MEMBERS=$MEMBERS BENCH_PRODUCTS=$PRODUCTS run_scenario bump products_bump.lua ;;
        report) BENCH_MEMBERS=$MEMBERS BENCH_PRODUCTS=$PRODUCTS run_scenario report reports_file.lua ;;
        *) echo "unknown scenario $scenario" >&2; exit 1 ;;
      esac
    done
  done
  kill $SERVER; wait $SERVER 2>/dev/null || true
done

echo
echo "Medians of $REPEAT runs ($DURATION each, wrk -t1, connections $CONNECTIONS):"
echo "| backend | scenario | connections | req/s | p50 ms | p99 ms | p99.9 ms | ceiling req/s | share of ceiling | peak RSS MB |"
echo "|---|---|---|---|---|---|---|---|---|---|"
python3 - "$RESULTS" <<'PY'
import statistics, sys
from collections import defaultdict
rows = defaultdict(list)
for line in open(sys.argv[1]):
    b, s, c, rps, p50, p99, p999, ceil, bad, rss = line.split("\t")
    rows[(b, s, c)].append((float(rps), float(p50), float(p99), float(p999), float(ceil), int(bad), float(rss)))
for (b, s, c), runs in rows.items():
    med = lambda i: statistics.median(r[i] for r in runs)
    share = statistics.median(r[0] / r[4] for r in runs)
    bad = sum(r[5] for r in runs)
    note = "" if bad == 0 else f" ({bad} non-200!)"
    print(f"| {b} | {s}{note} | {c} | {med(0):,.0f} | {med(1):.2f} | {med(2):.2f} | {med(3):.2f} | {med(4):,.0f} | {share:.0%} | {max(r[6] for r in runs):.1f} |")
PY
