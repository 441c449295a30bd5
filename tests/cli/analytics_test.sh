#!/usr/bin/env bash
# End-to-end test of `sessionstore analytics` on a hand-made store
# (tests/data/analytics/sessions.jsonl), with exact expected output worked
# out by hand: sessions a (u1, 2 traces, conversion), b (u2, 1 trace, an
# error, support), c (u1, 3 traces from 2026-01-05 23:30 to 01-06 01:00,
# conversion and support), d (u2, 4 traces, an error, support), and one
# trace without a session (not counted).
# Usage: analytics_test.sh <path-to-sessionstore> <source-dir> <scratch-dir>
set -euo pipefail
bin=$1
src=$2
work=$3
rm -rf "$work" && mkdir -p "$work"
db="$work/db"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run() { "$bin" --db "$db" analytics "$@"; }

"$bin" --db "$db" ingest --quiet "$src/tests/data/analytics/sessions.jsonl" > /dev/null

# All time. Traces per session 2, 1, 3, 4: mean 2.5, p50 (rank 2 of 4) 2,
# p90 and p99 (rank 4) 4. Durations 1805 s, 30 s, 5440 s, 1204 s: mean
# 2119.75 s. Costs $0.003, $0.0005, $0.0003, $0.01. Tokens 180, 50, 40, 1200.
expect "all time --json" \
  '{"session_count":4,"error_sessions":2,"goal_sessions":2,"error_session_rate":0.500000,"completion_rate":0.500000,"traces":{"mean":2.500000,"p50":2,"p90":4,"p99":4,"min":1,"max":4},"duration_ms":{"mean":2119750.000000,"p50":1204000.000000,"p90":5440000.000000,"p99":5440000.000000,"min":30000.000000,"max":5440000.000000},"cost_usd":{"mean":0.00345,"p50":0.0005,"p90":0.01,"p99":0.01,"min":0.0003,"max":0.01},"total_tokens":{"mean":367.500000,"p50":50,"p90":1200,"p99":1200,"min":40,"max":1200},"buckets":[]}' \
  "$(run --json)"

# The window of 2026-01-06 holds c (first activity the day before, so in
# the 01-05 bucket) and d.
expect "--by day, one day's window --json" \
  '{"session_count":2,"error_sessions":1,"goal_sessions":1,"error_session_rate":0.500000,"completion_rate":0.500000,"traces":{"mean":3.500000,"p50":3,"p90":4,"p99":4,"min":3,"max":4},"duration_ms":{"mean":3322000.000000,"p50":1204000.000000,"p90":5440000.000000,"p99":5440000.000000,"min":1204000.000000,"max":5440000.000000},"cost_usd":{"mean":0.00515,"p50":0.0003,"p90":0.01,"p99":0.01,"min":0.0003,"max":0.01},"total_tokens":{"mean":620.000000,"p50":40,"p90":1200,"p99":1200,"min":40,"max":1200},"buckets":[{"start":"2026-01-05T00:00:00Z","session_count":1,"error_sessions":0,"goal_sessions":1,"error_session_rate":0.000000,"completion_rate":1.000000,"traces":{"mean":3.000000,"p50":3,"p90":3,"p99":3,"min":3,"max":3},"duration_ms":{"mean":5440000.000000,"p50":5440000.000000,"p90":5440000.000000,"p99":5440000.000000,"min":5440000.000000,"max":5440000.000000},"cost_usd":{"mean":0.0003,"p50":0.0003,"p90":0.0003,"p99":0.0003,"min":0.0003,"max":0.0003},"total_tokens":{"mean":40.000000,"p50":40,"p90":40,"p99":40,"min":40,"max":40}},{"start":"2026-01-06T00:00:00Z","session_count":1,"error_sessions":1,"goal_sessions":0,"error_session_rate":1.000000,"completion_rate":0.000000,"traces":{"mean":4.000000,"p50":4,"p90":4,"p99":4,"min":4,"max":4},"duration_ms":{"mean":1204000.000000,"p50":1204000.000000,"p90":1204000.000000,"p99":1204000.000000,"min":1204000.000000,"max":1204000.000000},"cost_usd":{"mean":0.01,"p50":0.01,"p90":0.01,"p99":0.01,"min":0.01,"max":0.01},"total_tokens":{"mean":1200.000000,"p50":1200,"p90":1200,"p99":1200,"min":1200,"max":1200}}]}' \
  "$(run --by day --from 2026-01-06T00:00:00Z --to 2026-01-07T00:00:00Z --json)"

# Tables: one row per bucket and a total; durations, costs as elsewhere.
expect "--by hour table" \
'first activity        sessions  with errors  completed   traces mean / p50 / p90 / p99  duration mean / p50 / p90 / p99  cost mean / p50 / p90 / p99                    tokens mean / p50 / p90 / p99
--------------------  --------  -----------  ----------  -----------------------------  -------------------------------  ---------------------------------------------  -----------------------------
2026-01-05T10:00:00Z  1         0 (0.0%)     1 (100.0%)  2.0 / 2 / 2 / 2                30.1m / 30.1m / 30.1m / 30.1m    $0.003000 / $0.003000 / $0.003000 / $0.003000  180.0 / 180 / 180 / 180
2026-01-05T11:00:00Z  1         1 (100.0%)   0 (0.0%)    1.0 / 1 / 1 / 1                30.0s / 30.0s / 30.0s / 30.0s    $0.000500 / $0.000500 / $0.000500 / $0.000500  50.0 / 50 / 50 / 50
total                 2         1 (50.0%)    1 (50.0%)   1.5 / 1 / 2 / 2                15.3m / 30.0s / 30.1m / 30.1m    $0.001750 / $0.000500 / $0.003000 / $0.003000  115.0 / 50 / 180 / 180' \
  "$(run --by hour --to 2026-01-05T12:00:00Z)"
run | grep -q '^window       4         2 (50.0%)    2 (50.0%)  2.5 / 2 / 4 / 4                35.3m / 20.1m / 90.7m / 90.7m    $0.003450 / $0.000500 / $0.010000 / $0.010000  367.5 / 50 / 1200 / 1200$' ||
  fail "analytics table: $(run)"

# Filters and the goal tag.
count() { run --json "$@" | grep -o '^{"session_count":[0-9]*,"error_sessions":[0-9]*,"goal_sessions":[0-9]*' | tr -dc '0-9,'; }
expect "--user u1 --tag support (c)" "1,0,1" "$(count --user u1 --tag support)"
expect "--tag support --tag conversion (c)" "1,0,1" "$(count --tag support --tag conversion)"
expect "--goal-tag support (b, c, d)" "4,2,3" "$(count --goal-tag support)"
expect "--goal-tag none" "4,2,0" "$(count --goal-tag none)"
expect "--user u2 (b, d)" "2,2,0" "$(count --user u2)"
expect "--user nobody" "0,0,0" "$(count --user nobody)"
expect "empty window" "0,0,0" "$(count --from 2026-01-06T00:00:00Z --to 2026-01-06T00:00:00Z)"
expect "--tag absent" "0,0,0" "$(count --tag absent)"
expect "--user nobody --by hour" '"buckets":[]}' "$(run --user nobody --by hour --json | grep -o '"buckets":.*')"

set +e
run --by week > /dev/null 2>&1
rc=$?
set -e
[ $rc -eq 2 ] || fail "analytics --by week exited $rc, want 2"
set +e
run --from yesterday > /dev/null 2> "$work/from.err"
rc=$?
set -e
[ $rc -eq 2 ] || fail "analytics --from yesterday exited $rc, want 2"
grep -q -- "--from/--to: expected RFC 3339 or nanoseconds" "$work/from.err" ||
  fail "bad --from message: $(cat "$work/from.err")"

echo "analytics_test: ok"
