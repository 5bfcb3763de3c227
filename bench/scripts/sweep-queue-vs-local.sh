#!/usr/bin/env bash
# What the Redis queue costs against the local worker pool (issue 21): the same 200-cell grid
# measured by `gflow sweep --workers 2` (one process, two pool threads) and by
# `gflow sweep --queue` with two `gflow worker --workers 1` processes, in alternating rounds on
# one machine, each against a fresh Redis database. Prints one line per run and the medians.
# The workers are started (and have connected) before the clock starts, as on a cluster where
# they wait for work; each worker's engine still starts inside the timed run, as the pool's do.
#
#   pnpm build && bash bench/scripts/sweep-queue-vs-local.sh [rounds=3] [width=32]
#
# width 32: cells of ~15 ms (the queue's fixed costs show); width 256: cells of ~0.2 s.
# Needs redis-server on the PATH (Debian: apt-get install redis-server). Engine: wasm (the default).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
WIDTH=${2:-32}
CLI=apps/demo/dist/cli.js
GRID=(--archs plain-mlp,residual-mlp --depths 10..50:10 --activations tanh,relu --inits he,xavier --seeds 0..4 --width "$WIDTH" --engine wasm)
TMP=$(mktemp -d)
PORT=$(node -e 'const s=require("node:net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no >"$TMP/redis.log" 2>&1 &
REDIS=$!
trap 'kill $REDIS 2>/dev/null; rm -rf "$TMP"' EXIT
sleep 0.5
URL="redis://127.0.0.1:$PORT/0"
now() { node -e 'console.log(performance.timeOrigin + performance.now())'; }
local_times=(); queue_times=()
for r in $(seq 1 "$ROUNDS"); do
  t0=$(now)
  node "$CLI" sweep "${GRID[@]}" --workers 2 --out "$TMP/local-$r.jsonl" >/dev/null 2>&1
  t1=$(now)
  lt=$(node -e "console.log((($t1)-($t0))/1000)")
  redis-cli -p "$PORT" flushall >/dev/null
  node "$CLI" worker --queue "$URL" --workers 1 --max-cells 1000000 >"$TMP/w1-$r.log" 2>&1 &
  W1=$!
  node "$CLI" worker --queue "$URL" --workers 1 --max-cells 1000000 >"$TMP/w2-$r.log" 2>&1 &
  W2=$!
  until grep -q "taking cells" "$TMP/w1-$r.log" 2>/dev/null && grep -q "taking cells" "$TMP/w2-$r.log" 2>/dev/null; do sleep 0.1; done
  t0=$(now)
  node "$CLI" sweep "${GRID[@]}" --queue "$URL" --out "$TMP/queue-$r.jsonl" >/dev/null 2>&1
  t1=$(now)
  kill -TERM $W1 $W2; wait $W1 $W2 2>/dev/null || true
  qt=$(node -e "console.log((($t1)-($t0))/1000)")
  echo "round $r: local pool $lt s, queue (2 workers) $qt s, cells $(wc -l <"$TMP/local-$r.jsonl") / $(wc -l <"$TMP/queue-$r.jsonl")"
  local_times+=("$lt"); queue_times+=("$qt")
done
node -e '
  const med = (xs) => { const s = xs.map(Number).sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
  const [l, q] = [process.argv[1].split(" "), process.argv[2].split(" ")];
  const ml = med(l), mq = med(q);
  console.log(`median: local ${ml.toFixed(2)} s, queue ${mq.toFixed(2)} s, queue/local ${(mq / ml).toFixed(3)}, difference per cell ${(((mq - ml) / 200) * 1000).toFixed(1)} ms`);
' "${local_times[*]}" "${queue_times[*]}"
