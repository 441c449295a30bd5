#!/usr/bin/env bash
# End-to-end test of the `sessionstore` CLI: generate, ingest (with bad lines
# that must be reported while good lines land), read back, verify.
# Usage: cli_test.sh <path-to-sessionstore> <scratch-dir>
set -euo pipefail
bin=$1
work=$2
rm -rf "$work" && mkdir -p "$work"
db="$work/db"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$bin" generate --traces 3000 --sessions 200 --seed 7 -o "$work/w.jsonl"
[ "$(wc -l < "$work/w.jsonl")" -ge 3000 ] || fail "generate wrote too few lines"
# Same seed, same workload.
"$bin" generate --traces 3000 --sessions 200 --seed 7 | cmp -s - "$work/w.jsonl" || fail "generate is not deterministic"

# Two bad lines in the middle of good ones.
{
  head -n 100 "$work/w.jsonl"
  echo '{"trace_id": "bad-1", "start_time": "not a time"}'
  echo 'this is not json'
  tail -n +101 "$work/w.jsonl"
} > "$work/mixed.jsonl"
set +e
"$bin" --db "$db" ingest --quiet "$work/mixed.jsonl" > "$work/ingest.out" 2> "$work/ingest.err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "ingest with bad lines exited $rc, want 1"
grep -q "mixed.jsonl:101: start_time: not an RFC 3339 time" "$work/ingest.err" || fail "line 101 not reported: $(cat "$work/ingest.err")"
grep -q "mixed.jsonl:102: not valid JSON" "$work/ingest.err" || fail "line 102 not reported"
grep -q "2 rejected" "$work/ingest.out" || fail "summary: $(cat "$work/ingest.out")"
# The ingest flushed its memtables (rejected lines or not): the next
# command opens with no write-ahead log to replay.
log_bytes=$(cat "$db"/*.log 2>/dev/null | wc -c)
[ "$log_bytes" -eq 0 ] || fail "ingest left $log_bytes bytes of write-ahead log to replay"

# Re-ingesting the good lines changes nothing (retries are idempotent).
"$bin" --db "$db" ingest --quiet "$work/w.jsonl" > "$work/again.out"
grep -q " 0 inserted, 0 updated" "$work/again.out" || fail "re-ingest changed data: $(cat "$work/again.out")"

# --stats: after the summary, a row per column family and the write amplification.
"$bin" --db "$work/stats_db" ingest --quiet --stats "$work/w.jsonl" > "$work/stats.out"
for family in default traces trace_ids sessions index dirty; do
  grep -Eq "^$family +[0-9.]+ +[0-9.]+ +[0-9.]+$" "$work/stats.out" || fail "ingest --stats: no row for $family: $(cat "$work/stats.out")"
done
grep -Eq "^write amplification [0-9.]+ \(table bytes written [0-9.]+ MB for [1-9][0-9.]* MB ingested\)$" "$work/stats.out" ||
  fail "ingest --stats: $(cat "$work/stats.out")"
# ... the table bytes per byte of input ...
grep -Eq "^table bytes per input byte [0-9]+\.[0-9]{2} \([1-9][0-9.]* MB of input\)$" "$work/stats.out" ||
  fail "ingest --stats: no bytes per input byte: $(cat "$work/stats.out")"
# ... and the memory at the peak resident set, split by what holds it.
grep -Eq "^memory at the peak resident set \([1-9][0-9]* samples\): [1-9][0-9.]* MiB resident; memtables [1-9][0-9.]*, " "$work/stats.out" ||
  fail "ingest --stats: no memory line: $(cat "$work/stats.out")"

# The indexer's options: taken, and out of range refused with the flag's name.
"$bin" --db "$work/knob_db" ingest --quiet --index-pending-mib 1 --index-interval-ms 50 \
  "$work/w.jsonl" > /dev/null || fail "ingest --index-pending-mib 1 --index-interval-ms 50"
"$bin" --db "$work/knob_db" verify > /dev/null || fail "verify after ingest with the indexer's options"
if "$bin" --db "$work/knob_db" ingest --index-pending-mib 0 "$work/w.jsonl" > /dev/null 2> "$work/knob.err"; then
  fail "ingest --index-pending-mib 0 was accepted"
fi
grep -q -- "--index-pending-mib" "$work/knob.err" || fail "--index-pending-mib 0: $(cat "$work/knob.err")"
# Write-back off and on (a second ingest of the same lines: updates, not
# new traces), then the aggregates checked.
"$bin" --db "$work/knob_db" ingest --quiet --index-hold-mib 0 "$work/w.jsonl" > /dev/null ||
  fail "ingest --index-hold-mib 0"
"$bin" --db "$work/knob_db" ingest --quiet --index-hold-mib 1 "$work/w.jsonl" > /dev/null ||
  fail "ingest --index-hold-mib 1"
"$bin" --db "$work/knob_db" verify > /dev/null || fail "verify after ingest with --index-hold-mib"
if "$bin" --db "$work/knob_db" ingest --index-hold-mib -1 "$work/w.jsonl" > /dev/null 2> "$work/knob.err"; then
  fail "ingest --index-hold-mib -1 was accepted"
fi
grep -q -- "--index-hold-mib" "$work/knob.err" || fail "--index-hold-mib -1: $(cat "$work/knob.err")"
grep -Eq ", held [0-9.]+, summary cache" "$work/stats.out" ||
  fail "ingest --stats: no held deltas in the memory line: $(cat "$work/stats.out")"

"$bin" --db "$db" verify > "$work/verify.out" || fail "verify: $(cat "$work/verify.out")"
grep -q ": 0 problems" "$work/verify.out" || fail "verify found problems"

"$bin" --db "$db" sessions --limit 3 --json > "$work/sessions.json"
session=$(grep -o '"session_id":"[^"]*"' "$work/sessions.json" | head -1 | cut -d'"' -f4)
[ -n "$session" ] || fail "sessions listed nothing"
# Cost order: the listed costs never increase down the page; --asc reverses.
"$bin" --db "$db" sessions --order cost --limit 20 --json > "$work/by_cost.json"
costs=$(grep -o '"total_tokens":[0-9]*,"cost_usd":[0-9.e+-]*' "$work/by_cost.json" | cut -d: -f3)
[ "$(echo "$costs" | wc -l)" -eq 20 ] || fail "sessions --order cost listed $(echo "$costs" | wc -l)"
[ "$costs" = "$(echo "$costs" | sort -g -r)" ] || fail "sessions --order cost is not sorted"
"$bin" --db "$db" sessions --order traces --asc --limit 5 --json |
  grep -o '"trace_count":[0-9]*' | cut -d: -f2 | sort -n -c || fail "sessions --order traces --asc"
set +e
"$bin" --db "$db" sessions --order nonsense > /dev/null 2>&1
rc=$?
set -e
[ $rc -eq 2 ] || fail "sessions --order nonsense exited $rc"
"$bin" --db "$db" session "$session" --json > "$work/session.json"
for field in session_id session_name user_id trace_count error_count span_count prompt_tokens \
             completion_tokens total_tokens cost_usd first_trace_at last_trace_at duration_ms \
             models tags ttft_ms_avg first_input last_output; do
  grep -q "\"$field\":" "$work/session.json" || fail "session --json lacks $field"
done
count=$(grep -o '"trace_count":[0-9]*' "$work/session.json" | cut -d: -f2)
"$bin" --db "$db" timeline "$session" --limit 100000 --json > "$work/timeline.json"
rows=$(grep -o '"trace_id":' "$work/timeline.json" | wc -l)
[ "$rows" -eq "$count" ] || fail "timeline has $rows traces, session says $count"
"$bin" --db "$db" timeline "$session" --limit 2 > /dev/null
"$bin" --db "$db" session "$session" > /dev/null
trace=$(grep -o '"trace_id":"[^"]*"' "$work/timeline.json" | head -1 | cut -d'"' -f4)
"$bin" --db "$db" trace "$trace" --json | grep -q "\"trace_id\":\"$trace\"" || fail "trace --json"
"$bin" --db "$db" trace "$trace" > /dev/null
"$bin" --db "$db" stats > /dev/null

set +e
"$bin" --db "$db" session no-such-session > /dev/null 2> "$work/nf.err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "missing session exited $rc"
grep -q "NotFound" "$work/nf.err" || fail "missing session message"

# Global options are accepted after the subcommand too.
"$bin" session "$session" --db "$db" --json | grep -q "\"session_id\":\"$session\"" ||
  fail "--db after the subcommand"

# stdin works too.
echo '{"trace_id":"stdin-1","session_id":"piped","start_time":"2026-01-01T00:00:00Z","output":"x"}' |
  "$bin" --db "$db" ingest --quiet > /dev/null
"$bin" --db "$db" session piped --json | grep -q '"trace_count":1' || fail "stdin ingest"
# A byte order mark does not cost the first record (regression), and a line
# over the 32 MiB trace limit is skipped as it is read, named with its size,
# while the lines after it land.
{
  printf '\xef\xbb\xbf'
  echo '{"trace_id":"bom-1","session_id":"bom","start_time":"2026-01-01T00:00:00Z"}'
  head -c $((33 * 1024 * 1024)) /dev/zero | tr '\0' 'x'
  echo
  echo '{"trace_id":"bom-2","session_id":"bom","start_time":"2026-01-01T00:00:01Z"}'
} > "$work/edge.jsonl"
set +e
"$bin" --db "$db" ingest --quiet "$work/edge.jsonl" > "$work/edge.out" 2> "$work/edge.err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "ingest of an oversized line exited $rc, want 1"
grep -q "edge.jsonl:2: line of 34603008 bytes is over the limit of 33554432; skipped" \
  "$work/edge.err" || fail "oversized line not reported: $(head -c 300 "$work/edge.err")"
"$bin" --db "$db" session bom --json | grep -q '"trace_count":2' || fail "lines around the big one"

# Errors come out in line order (regression: a parse error was printed
# before the ingest rejections of earlier lines).
{
  echo '{"trace_id":"o-1","session_id":"o","start_time":2,"end_time":1}'
  echo 'not json'
  echo '{"trace_id":"o-2","session_id":"o","start_time":2}'
} > "$work/order.jsonl"
"$bin" --db "$db" ingest --quiet "$work/order.jsonl" > /dev/null 2> "$work/order.err" || true
[ "$(cut -d: -f2 "$work/order.err" | tr '\n' ' ')" = "1 2 " ] ||
  fail "errors out of line order: $(cat "$work/order.err")"

# Also across batches: parse errors and ingest rejections of five batches
# of two.
{
  for b in 1 2 3 4 5; do
    echo "{\"trace_id\":\"p-$b\",\"session_id\":\"p\",\"start_time\":2,\"end_time\":1}"
    echo 'not json'
    echo "{\"trace_id\":\"q-$b\",\"session_id\":\"p\",\"start_time\":2}"
  done
} > "$work/order2.jsonl"
"$bin" --db "$db" ingest --quiet --batch 2 "$work/order2.jsonl" > "$work/order2.out" \
  2> "$work/order2.err" || true
[ "$(cut -d: -f2 "$work/order2.err" | tr '\n' ' ')" = "1 2 4 5 7 8 10 11 13 14 " ] ||
  fail "errors out of line order across batches: $(cat "$work/order2.err")"
grep -q "ingested 15 lines.*: 5 inserted, 0 updated, 0 unchanged, 10 rejected" "$work/order2.out" ||
  fail "batched totals: $(cat "$work/order2.out")"

# A store whose CURRENT file is gone is refused, not replaced by an empty one.
cp -r "$db" "$work/orphan"
rm "$work/orphan/CURRENT"
set +e
"$bin" --db "$work/orphan" ingest --quiet "$work/edge.jsonl" > /dev/null 2> "$work/orphan.err"
rc=$?
set -e
[ $rc -eq 2 ] || fail "open without CURRENT exited $rc, want 2"
grep -q "no CURRENT file" "$work/orphan.err" || fail "no hint: $(cat "$work/orphan.err")"
[ ! -e "$work/orphan/CURRENT" ] || fail "an open created CURRENT over the old files"
# delete: one of --session/--user/--before; prints what it removed.
{
  echo '{"trace_id":"d-1","session_id":"del-a","user_id":"eve","start_time":1000}'
  echo '{"trace_id":"d-2","session_id":"del-a","start_time":2000}'
  echo '{"trace_id":"d-3","session_id":"del-b","start_time":3000}'
} > "$work/del.jsonl"
"$bin" --db "$work/del" ingest --quiet "$work/del.jsonl" > /dev/null
"$bin" --db "$work/del" delete --before 1500 > "$work/del.out" || fail "delete --before"
grep -q "deleted 0 sessions and 1 traces; 1 sessions trimmed" "$work/del.out" ||
  fail "delete --before printed: $(cat "$work/del.out")"
"$bin" --db "$work/del" delete --session del-a > "$work/del.out" || fail "delete --session"
grep -q "deleted 1 sessions and 1 traces" "$work/del.out" || fail "$(cat "$work/del.out")"
set +e
"$bin" --db "$work/del" session del-a > /dev/null 2>&1
rc=$?
"$bin" --db "$work/del" delete --session x --user y > /dev/null 2> "$work/del.err"
rc2=$?
set -e
[ $rc -eq 1 ] || fail "deleted session still found (exit $rc)"
[ $rc2 -eq 2 ] || fail "delete with two selectors exited $rc2, want 2"
grep -q "exactly one of" "$work/del.err" || fail "no usage hint: $(cat "$work/del.err")"
"$bin" --db "$work/del" verify > /dev/null || fail "verify after deletes"

# --retention on a command that writes: traces of 1970 expire at once.
"$bin" --db "$work/del" --retention 30d compact > /dev/null || fail "compact --retention"
set +e
"$bin" --db "$work/del" session del-b > /dev/null 2>&1
rc=$?
"$bin" --db "$work/del" --retention 3x compact > /dev/null 2> "$work/ret.err"
rc2=$?
set -e
[ $rc -eq 1 ] || fail "expired session still found (exit $rc)"
[ $rc2 -eq 2 ] || fail "--retention 3x exited $rc2, want 2"
grep -q "not a positive duration" "$work/ret.err" || fail "no hint: $(cat "$work/ret.err")"

# stats: exact counts on request; backup and restore.
"$bin" --db "$db" stats --exact --json > "$work/stats.json" || fail "stats --exact"
grep -q '"counts_exact":true' "$work/stats.json" || fail "stats: $(cat "$work/stats.json")"
grep -Eq '"session_index_bytes":[1-9][0-9]*' "$work/stats.json" || fail "stats: the loaded session indexes hold no bytes: $(cat "$work/stats.json")"
"$bin" --db "$db" stats > "$work/stats.txt" || fail "stats"
grep -q "traces (estimate)" "$work/stats.txt" || fail "stats: $(cat "$work/stats.txt")"
"$bin" --db "$db" backup "$work/backups" > "$work/backup.out" || fail "backup"
grep -q "^backup 1:" "$work/backup.out" || fail "backup printed: $(cat "$work/backup.out")"
"$bin" restore "$work/backups" "$work/restored" > /dev/null || fail "restore"
"$bin" --db "$db" sessions --json > "$work/src.json"
"$bin" --db "$work/restored" sessions --json > "$work/restored.json"
cmp -s "$work/src.json" "$work/restored.json" || fail "restored store lists other sessions"
"$bin" --db "$work/restored" verify > /dev/null || fail "verify of the restored store"
set +e
"$bin" restore "$work/backups" "$work/restored" > /dev/null 2> "$work/restore.err"
rc=$?
set -e
[ $rc -eq 2 ] || fail "restore over a store exited $rc, want 2"
grep -q "not empty" "$work/restore.err" || fail "no reason: $(cat "$work/restore.err")"

# A torn last log record (a crash mid-write) is dropped and reported: a
# warning on stderr at open, and in `stats`. Ingest leaves no log (it
# flushes at the end); a deletion, which does not, writes the records.
cp -r "$db" "$work/torn"
"$bin" --db "$work/torn" delete --session "$session" > /dev/null || fail "delete before tearing the log"
log=$(ls "$work/torn"/*.log | sort | tail -n 1)
truncate -s -7 "$log"
"$bin" --db "$work/torn" stats --json > "$work/torn.json" 2> "$work/torn.err"
grep -q '"wal_records_dropped":1,"wal_bytes_dropped":[1-9]' "$work/torn.json" ||
  fail "stats after a torn log: $(cat "$work/torn.json")"
grep -q "warning: opening .* dropped 1 write-ahead log record " "$work/torn.err" ||
  fail "no warning for a torn log: $(cat "$work/torn.err")"
grep -q "$(basename "$log"): 1 record " "$work/torn.err" || fail "no detail: $(cat "$work/torn.err")"
"$bin" --db "$db" stats 2> "$work/clean.err" | grep -q "log dropped at open  0 records, 0 bytes" ||
  fail "stats of a clean store"
[ ! -s "$work/clean.err" ] || fail "a clean open warned: $(cat "$work/clean.err")"
# --read-only (also after the subcommand): a secondary instance.
"$bin" --db "$db" session --read-only sess-1 > /dev/null 2>&1 ||
  "$bin" --db "$db" sessions --read-only --limit 1 > /dev/null || fail "--read-only query"
"$bin" --db "$db" verify --read-only > /dev/null || fail "verify --read-only"
set +e
"$bin" --db "$db" --read-only compact > /dev/null 2> "$work/ro.err"
rc=$?
set -e
[ $rc -eq 2 ] || fail "compact --read-only exited $rc, want 2"
grep -q "this command writes" "$work/ro.err" || fail "no reason: $(cat "$work/ro.err")"

echo "cli_test: 1 passed, 0 failed"
