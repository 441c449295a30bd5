#!/usr/bin/env bash
# Crash test: ROUNDS times, start the crash-test writer on one store, kill
# it with SIGKILL after a random 0.2 to 0.9 s, and check (read-only, as a
# reader right after the crash) that every acknowledged trace is there,
# every acknowledged session is listed and Verify is clean.
# Usage: crash_test.sh <sessionstore_crashtest> <scratch-dir> [ROUNDS] [--sync]
set -euo pipefail
bin=$1
work=$2
rounds=${3:-3}
sync=${4:-}
rm -rf "$work" && mkdir -p "$work"
db="$work/db"
acks="$work/acks"
RANDOM=42
for round in $(seq 1 "$rounds"); do
  "$bin" write "$db" "$acks" $sync > "$work/write.out" 2>&1 &
  pid=$!
  sleep "0.$(( 2 + RANDOM % 8 ))"
  kill -9 "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  if ! "$bin" check "$db" "$acks" > "$work/check.out" 2>&1; then
    echo "FAIL: round $round: $(cat "$work/check.out")" >&2
    exit 1
  fi
  echo "round $round: $(tail -n 1 "$work/check.out")"
done
echo "crash_test: $rounds passed, 0 failed"
