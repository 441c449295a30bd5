#!/usr/bin/env bash
# End-to-end test of the session-detail and search commands on a hand-made
# store (tests/data/detail/chat.jsonl), with exact expected output:
# `session --usage`, `session`'s latency and idle-gap fields, `timeline --gaps`.
# Usage: detail_test.sh <path-to-sessionstore> <source-dir> <scratch-dir>
set -euo pipefail
bin=$1
src=$2
work=$3
rm -rf "$work" && mkdir -p "$work"
db="$work/db"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$bin" --db "$db" ingest --quiet "$src/tests/data/detail/chat.jsonl" > /dev/null

# session --usage: one row per trace in start order, cumulative cost.
expect "session --usage --json" \
  '{"session_id":"chat","usage":[{"trace_id":"t1","start_time":"2026-01-05T10:00:00Z","prompt_tokens":10,"completion_tokens":5,"cost_usd":0.001,"latency_ms":2000.000000,"cumulative_cost_usd":0.001},{"trace_id":"t2","start_time":"2026-01-05T10:01:00Z","prompt_tokens":20,"completion_tokens":7,"cost_usd":0.002,"latency_ms":5000.000000,"cumulative_cost_usd":0.003},{"trace_id":"t3","start_time":"2026-01-05T11:00:00Z","prompt_tokens":0,"completion_tokens":0,"cost_usd":0,"latency_ms":null,"cumulative_cost_usd":0.003}]}' \
  "$("$bin" --db "$db" session chat --usage --json)"
"$bin" --db "$db" session chat --usage | grep -q '^2026-01-05T11:00:00Z  t3     0       0           \$0.000000  -        \$0.003000$' ||
  fail "session --usage table: $("$bin" --db "$db" session chat --usage)"

# session: the aggregate's fields stay, the detail's are added.
json=$("$bin" --db "$db" session chat --json)
case "$json" in
  '{"session_id":"chat","session_name":"","user_id":"u1","trace_count":3,'*) ;;
  *) fail "session --json lost its leading fields: $json" ;;
esac
case "$json" in
  *'"last_output":"Yes.","latency_ms_p50":2000.000000,"latency_ms_p90":5000.000000,"latency_ms_p99":5000.000000,"longest_idle_gap":{"from":"2026-01-05T10:01:05Z","to":"2026-01-05T11:00:00Z","idle_ms":3535000.000000,"after_trace_id":"t2","before_trace_id":"t3"}}') ;;
  *) fail "session --json detail: $json" ;;
esac
"$bin" --db "$db" session chat | grep -q '^latency      p50 2.0s, p90 5.0s, p99 5.0s (2 traces with an end)$' ||
  fail "session text lacks latency"
"$bin" --db "$db" session chat | grep -q '^longest idle 58.9m from 2026-01-05T10:01:05Z (after trace t2)$' ||
  fail "session text lacks the longest idle gap"

# timeline --gaps: default 30m, a given duration, both directions, JSON.
"$bin" --db "$db" timeline chat --gaps > "$work/gaps.txt"
expect "timeline --gaps rows" "t1 t2 -- t3" "$(awk 'NR>2{print ($1=="--") ? "--" : $2}' "$work/gaps.txt" | xargs)"
"$bin" --db "$db" timeline chat --gaps 2h > "$work/gaps2h.txt"
grep -q -- '-- idle' "$work/gaps2h.txt" && fail "timeline --gaps 2h marked a 59m gap"
"$bin" --db "$db" timeline chat --desc --limit 2 --gaps 30m > "$work/gaps_desc.txt"
expect "timeline --desc --gaps rows" "t3 -- t2" "$(awk 'NR>2 && NF{print ($1=="--") ? "--" : $2}' "$work/gaps_desc.txt" | head -3 | xargs)"
"$bin" --db "$db" timeline chat --gaps 1m --json --limit 1 --from 2026-01-05T10:01:00Z > "$work/gaps.json"
case "$(cat "$work/gaps.json")" in
  *'"output":"A log-structured merge tree.","idle_before_ms":58000.000000,"gap":false}'*) ;;
  *) fail "timeline --gaps --json: $(cat "$work/gaps.json")" ;;
esac
"$bin" --db "$db" timeline chat --json | grep -q idle_before_ms && fail "timeline without --gaps has gap fields"
"$bin" --db "$db" timeline chat --gaps 0 > /dev/null 2>&1 && fail "--gaps 0 accepted"

# search: newest first across sessions (and traces without one), one
# session, a user, a window, pages.
expect "search --json" \
  '{"traces":[{"session_id":"","trace_id":"t5","start_time":"2026-01-05T13:00:00Z","field":"output","snippet":"about rocksdb"},{"session_id":"other","trace_id":"t4","start_time":"2026-01-05T12:00:00Z","field":"input","snippet":"ROCKSDB compaction"},{"session_id":"chat","trace_id":"t3","start_time":"2026-01-05T11:00:00Z","field":"input","snippet":"back again: rocksdb?"},{"session_id":"chat","trace_id":"t1","start_time":"2026-01-05T10:00:00Z","field":"input","snippet":"Hello RocksDB world"}],"next_cursor":""}' \
  "$("$bin" --db "$db" search RocksDB --json)"
ids() { grep -o '"trace_id":"[^"]*"' | cut -d'"' -f4 | xargs; }
expect "search --session" "t3 t1" "$("$bin" --db "$db" search rocksdb --session chat --json | ids)"
expect "search --user" "t5 t4" "$("$bin" --db "$db" search rocksdb --user u2 --json | ids)"
expect "search window" "t4 t3" \
  "$("$bin" --db "$db" search rocksdb --from 2026-01-05T11:00:00Z --to 2026-01-05T13:00:00Z --json | ids)"
page1=$("$bin" --db "$db" search rocksdb --limit 3 --json)
expect "search page 1" "t5 t4 t3" "$(echo "$page1" | ids)"
cursor=$(echo "$page1" | grep -o '"next_cursor":"[^"]*"' | cut -d'"' -f4)
expect "search page 2" "t1" "$("$bin" --db "$db" search rocksdb --limit 3 --cursor "$cursor" --json | ids)"
"$bin" --db "$db" search rocksdb | grep -q '^2026-01-05T12:00:00Z  other    t4     input   ROCKSDB compaction$' ||
  fail "search table: $("$bin" --db "$db" search rocksdb)"
expect "search without hits" '{"traces":[],"next_cursor":""}' "$("$bin" --db "$db" search zebra --json)"
set +e
"$bin" --db "$db" search rocksdb --cursor nonsense > /dev/null 2>&1
rc=$?
set -e
[ $rc -eq 2 ] || fail "search with a bad cursor exited $rc, want 2"

# sessions filters: each one selects "chat" (3 traces, $0.003, m, 1h duration)
# or "other" (1 trace, no cost), and the combinations AND.
ids() { "$bin" --db "$db" sessions --json "$@" | grep -o '"session_id":"[^"]*"' | cut -d'"' -f4 | xargs; }
expect "--search CHA" "chat" "$(ids --search CHA)"
expect "--search th (other)" "other" "$(ids --search th)"
expect "--model m" "chat" "$(ids --model m)"
expect "--model none" "" "$(ids --model none)"
expect "--min-cost 0.003 --max-cost 0.003" "chat" "$(ids --min-cost 0.003 --max-cost 0.003)"
expect "--max-cost 0.0029" "other" "$(ids --max-cost 0.0029)"
expect "--min-traces 2" "chat" "$(ids --min-traces 2)"
expect "--min-duration 59m" "chat" "$(ids --min-duration 59m)"
expect "--max-duration 1000 (ms)" "other" "$(ids --max-duration 1000)"
expect "--min-tokens 42 --max-tokens 42" "chat" "$(ids --min-tokens 42 --max-tokens 42)"
expect "--tag absent" "" "$(ids --tag absent)"
expect "--errors" "" "$(ids --errors)"
expect "--order traces --asc" "other chat" "$(ids --order traces --asc)"
expect "--user u2 --search chat" "" "$(ids --user u2 --search chat)"
set +e
"$bin" --db "$db" sessions --min-cost 1,5 > /dev/null 2> "$work/filter.err"
rc=$?
set -e
[ $rc -eq 2 ] || fail "sessions --min-cost 1,5 exited $rc, want 2"
grep -q -- "--min-cost: expected a non-negative amount of USD" "$work/filter.err" ||
  fail "bad --min-cost message: $(cat "$work/filter.err")"

echo "detail_test: ok"
