#!/usr/bin/env bash
# The hot-deal skill from a warm cache, with Redis and with the in-process cache. A fake deal site (python's
# http.server over tests/fixtures/deals) stands in for the boards: the shipped sources file is copied with
# its list URLs pointed at it. Each mode starts the release server, waits until the refreshers have filled
# the cache, then drives /skill/deals with wrk (1 thread, 64 connections) REPEAT times, each run beside a
# run of the bare-handler ceiling (examples/ceiling.rs), as benches/run.sh does.
#
#   benches/deals.sh                      # both modes, 3 rounds of 10 s
#   MODES=redis REPEAT=1 benches/deals.sh
#
# Needs wrk (apt-get install wrk), python3, and Redis at BENCH_REDIS (database 15 by default, so the
# benchmark's keys stay apart from anything else on that server).
set -euo pipefail
cd "$(dirname "$0")/.."

MODES=${MODES:-"redis memory"}
DURATION=${DURATION:-10s}
REPEAT=${REPEAT:-3}
CONNECTIONS=${CONNECTIONS:-64}
PORT=${PORT:-18080}
CEILING_PORT=${CEILING_PORT:-18090}
SITE_PORT=${SITE_PORT:-18070}
BENCH_REDIS=${BENCH_REDIS:-redis://127.0.0.1:6379/15}
export RUST_LOG=${RUST_LOG:-info,sqlx=warn}

command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet --bin junggye --example ceiling
TARGET=${CARGO_TARGET_DIR:-target}/release
WORK=$(mktemp -d)
SERVER=""; CEILING=""; SITE=""
trap 'kill $SERVER $CEILING $SITE 2>/dev/null || true; rm -rf "$WORK"' EXIT

wait_up() { # url
  for _ in $(seq 1 50); do curl -s -o /dev/null "$1" && return; sleep 0.2; done
  echo "server at $1 did not start" >&2; cat "$WORK"/*.log >&2; exit 1
}

python3 -m http.server "$SITE_PORT" --bind 127.0.0.1 --directory tests/fixtures/deals >"$WORK/site.log" 2>&1 &
SITE=$!
wait_up "http://127.0.0.1:$SITE_PORT/"
sed -e "s|https://quasarzone.com/bbs/qb_saleinfo?page={page}|http://127.0.0.1:$SITE_PORT/quasarzone_list.html?page={page}|" \
    -e "s|https://bbs.ruliweb.com/market/board/1020?page={page}|http://127.0.0.1:$SITE_PORT/ruliweb_list.html?page={page}|" \
    deals/sources.toml >"$WORK/sources.toml"
grep -q "127.0.0.1:$SITE_PORT/quasarzone_list" "$WORK/sources.toml" || { echo "list URLs not rewritten" >&2; exit 1; }

"$TARGET/examples/ceiling" "127.0.0.1:$CEILING_PORT" >"$WORK/ceiling.log" 2>&1 &
CEILING=$!
wait_up "http://127.0.0.1:$CEILING_PORT/"

DEALS_BODY='{"userRequest":{"user":{"id":"bench","type":"botUserKey"}},"action":{"params":{},"clientExtra":{}}}'
start_server() { # redis url or empty
  local redis=()
  if [ -n "$1" ]; then
    redis-cli -u "$1" --scan --pattern 'deals:v1:*' | xargs -r redis-cli -u "$1" del >/dev/null
    redis=(REDIS_URL="$1")
  fi
  env "${redis[@]}" DATABASE_URL="sqlite://$WORK/bench.db" BIND_ADDR=127.0.0.1:$PORT APP_ENV=test METRICS_ADDR=off \
    DEALS_SOURCES_FILE="$WORK/sources.toml" "$TARGET/junggye" serve >"$WORK/server.log" 2>&1 &
  SERVER=$!
  wait_up "http://127.0.0.1:$PORT/healthz"
  local page
  for _ in $(seq 1 100); do # both boards read: a carousel and no "still loading" note
    page=$(curl -s "http://127.0.0.1:$PORT/skill/deals" -H 'content-type: application/json' -d "$DEALS_BODY")
    if grep -q '"carousel"' <<<"$page" && ! grep -q '불러오는' <<<"$page"; then return; fi
    sleep 0.2
  done
  echo "the deal cache did not warm up" >&2; cat "$WORK/server.log" >&2; exit 1
}

peak_rss_mb() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

wrk_json() { # port, script
  wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -s "benches/lua/$2" "http://127.0.0.1:$1" | sed -n 's/^RESULT //p'
}

field() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" <<<"$1"; }

RESULTS=$WORK/results.tsv
echo -e "cache\treq/s\tp50_ms\tp99_ms\tp99.9_ms\tceiling_req/s\tnon200\tpeak_rss_mb"
for MODE in $MODES; do
  case $MODE in
    redis) start_server "$BENCH_REDIS" ;;
    memory) start_server "" ;;
    *) echo "unknown mode $MODE" >&2; exit 1 ;;
  esac
  for round in $(seq 1 "$REPEAT"); do
    ceiling=$(wrk_json "$CEILING_PORT" ceiling.lua)
    result=$(wrk_json "$PORT" deals.lua)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$MODE" "$(field "$result" rps)" "$(field "$result" p50_ms)" \
      "$(field "$result" p99_ms)" "$(field "$result" p999_ms)" "$(field "$ceiling" rps)" \
      "$(field "$result" non200)" "$(peak_rss_mb "$SERVER")" | tee -a "$RESULTS"
  done
  kill $SERVER; wait $SERVER 2>/dev/null || true
done

echo
echo "Medians of $REPEAT runs ($DURATION each, wrk -t1 -c$CONNECTIONS), /skill/deals from a warm cache:"
echo "| cache | req/s | p50 ms | p99 ms | p99.9 ms | ceiling req/s | share of ceiling | peak RSS MB |"
echo "|---|---|---|---|---|---|---|---|"
python3 - "$RESULTS" <<'PY'
import statistics, sys
from collections import defaultdict
rows = defaultdict(list)
for line in open(sys.argv[1]):
    m, rps, p50, p99, p999, ceil, bad, rss = line.split("\t")
    rows[m].append((float(rps), float(p50), float(p99), float(p999), float(ceil), int(bad), float(rss)))
for m, runs in rows.items():
    med = lambda i: statistics.median(r[i] for r in runs)
    share = statistics.median(r[0] / r[4] for r in runs)
    bad = sum(r[5] for r in runs)
    note = "" if bad == 0 else f" ({bad} non-200!)"
    print(f"| {m}{note} | {med(0):,.0f} | {med(1):.2f} | {med(2):.2f} | {med(3):.2f} | {med(4):,.0f} | {share:.0%} | {max(r[6] for r in runs):.1f} |")
PY
