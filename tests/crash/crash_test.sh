#!/usr/bin/env bash
# Crash test: ROUNDS times, start the crash-test writer on one store, kill
# it with SIGKILL, and check (read-only, as a reader right after the crash)
# that every acknowledged trace is there, every acknowledged session is
# listed and Verify is clean. Three rounds in four, the kill comes 0 to
# 0.9 s after the writer has opened the store and reached its resume point
# (mid-ingest); every fourth round, 0.2 to 0.9 s after it started (during
# open, recovery, or the flushes and compactions they start). Every odd
# round, the writer's catch-ups run every 20 ms and write their aggregates
# in chunks of 4 KiB (`write --chunk-bytes`), so that kills fall between
# the chunks of a round and the next open recovers from a round record.
# ROUNDS_PER_STORE=N starts a new store every N rounds (default: one store):
# each check reads the whole store, so one store's rounds cost O(ROUNDS^2).
# Usage: [ROUNDS_PER_STORE=N] crash_test.sh <sessionstore_crashtest> <scratch-dir> [ROUNDS] [--sync]
set -euo pipefail
bin=$1
work=$2
rounds=${3:-3}
sync=${4:-}
per_store=${ROUNDS_PER_STORE:-$rounds}
rm -rf "$work" && mkdir -p "$work"
RANDOM=42
acked() { tail -n 1 "$acks" 2> /dev/null || echo 0; }
stores=0
total_acked=0
progressed=0
dropped_records=0
dropped_rounds=0
for round in $(seq 1 "$rounds"); do
  if [ $(( (round - 1) % per_store )) -eq 0 ]; then
    stores=$((stores + 1))
    db="$work/db$stores"
    acks="$work/acks$stores"
  fi
  before=$(acked)
  chunks=""
  [ $((round % 2)) -eq 0 ] || chunks="--chunk-bytes 4096"
  "$bin" write "$db" "$acks" $sync $chunks > "$work/write.out" 2>&1 &
  pid=$!
  if [ $((round % 4)) -eq 0 ]; then
    sleep "0.$(( 2 + RANDOM % 8 ))"
  else
    for _ in $(seq 1 2400); do
      grep -q '^ready' "$work/write.out" && break
      kill -0 "$pid" 2> /dev/null || break
      sleep 0.05
    done
    sleep "0.$(( RANDOM % 10 ))"
  fi
  kill -9 "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  if ! "$bin" check "$db" "$acks" > "$work/check.out" 2>&1; then
    echo "FAIL: round $round: $(cat "$work/check.out")" >&2
    exit 1
  fi
  [ "$(acked)" = "$before" ] || progressed=$((progressed + 1))
  records=$(sed -n 's/.*log records dropped at open: \([0-9]*\).*/\1/p' "$work/check.out")
  if [ "${records:-0}" -gt 0 ]; then
    dropped_records=$((dropped_records + records))
    dropped_rounds=$((dropped_rounds + 1))
  fi
  echo "round $round (store $stores): $(tail -n 1 "$work/check.out")"
  [ $((round % per_store)) -ne 0 ] && [ "$round" -ne "$rounds" ] || total_acked=$((total_acked + $(acked)))
done
echo "crash_test: $rounds passed, 0 failed, on $stores stores; $total_acked acknowledged trace" \
  "versions, 0 lost; $progressed rounds acknowledged new batches before the kill;" \
  "$dropped_rounds opens dropped torn log records ($dropped_records in all)"
