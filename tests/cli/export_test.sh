#!/usr/bin/env bash
# End-to-end test of `sessionstore export`: a window export holds exactly the
# sessions active in the window (worked out here from the workload file, not
# by the store), each whole; ingesting it into an empty store gives the same
# `session ID --json` for every one of them; a one-session document ingests
# back the same way; and the error cases (exit codes, messages, no
# half-written output file). The recorded OTLP requests (tests/data/otlp/)
# and a hand-made one with payloads that are not strings export and ingest
# back the same way.
# Usage: export_test.sh <path-to-sessionstore> <source-dir> <scratch-dir>
set -euo pipefail
bin=$1
src=$2
work=$3
rm -rf "$work" && mkdir -p "$work"
db="$work/db"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ss() { "$bin" --db "$db" "$@"; }
# The session ids of JSON Lines traces (the session_id right after the
# trace_id is the trace's own), unescaped, sorted and unique.
sessions_of() {
  sed -nE 's/^\{"trace_id":"([^"\\]|\\.)*","session_id":"(([^"\\]|\\.)*)".*/\2/p' "$1" |
    sed 's/\\"/"/g' | sort -u
}

"$bin" generate --traces 2000 --sessions 150 --users 10 --seed 11 -o "$work/w.jsonl"

# A window over the middle fifth of the workload's time span.
read -r min max < <(grep -o '"start_time":[0-9]*' "$work/w.jsonl" | cut -d: -f2 |
  awk 'NR==1{lo=$1; hi=$1} {if ($1 "" < lo "") lo=$1; if ($1 "" > hi "") hi=$1} END{print lo, hi}')
from=$((min + (max - min) / 5 * 2))
to=$((min + (max - min) / 5 * 3))
mid=$(((from + to) / 2))

# Traces the generator never writes: JSON payloads, trace-level usage, every
# span field, odd strings; and one without a session (never exported).
cat >> "$work/w.jsonl" <<EOF
{"trace_id":"hand-1","session_id":"hand \"quoted\" é","session_name":"Hand","user_id":"u-hand","name":"n","start_time":$mid,"end_time":$((mid + 1500000000)),"status":"error","error":"boom","input":{"q":[1,2.5,null,true]},"output":"{not json}","metadata":{"k":{"x":1},"n":null},"tags":["z","a"],"model":"m-0","prompt_tokens":5,"completion_tokens":6,"cost_usd":0.000000001}
{"trace_id":"hand-2","session_id":"hand \"quoted\" é","start_time":$((mid + 2000000000)),"spans":[{"span_id":"a","parent_span_id":"root","name":"call","kind":"embedding","start_time":$((mid + 2000000000)),"end_time":$((mid + 3000000000)),"status":"ok","error":"e","model":"emb","prompt_tokens":7,"completion_tokens":1,"cost_usd":1099.5,"time_to_first_token_ms":0.000001,"input":[1],"output":"o","attributes":{"a":"b"}},{"span_id":"b","kind":"guardrail"}]}
{"trace_id":"hand-3","user_id":"u-hand","start_time":$mid,"input":"no session"}
EOF
ss ingest --quiet "$work/w.jsonl" > /dev/null

# The sessions active in [from, to) by the workload file: a trace starts at
# the earliest start_time of its lines (spans included); a session is active
# when its first trace starts before `to` and its last at or after `from`.
# Times are compared as strings of 19 digits (awk's numbers are doubles).
awk -v from="$from" -v to="$to" '
  match($0, /"session_id":"([^"\\]|\\.)*"/) {
    s = substr($0, RSTART + 14, RLENGTH - 15)
    match($0, /"trace_id":"[^"]*"/); t = substr($0, RSTART + 12, RLENGTH - 13)
    session[t] = s
    line = $0
    while (match(line, /"start_time":[0-9]+/)) {
      v = substr(line, RSTART + 13, RLENGTH - 13)
      if (!(t in start) || v "" < start[t] "") start[t] = v
      line = substr(line, RSTART + RLENGTH)
    }
  }
  END {
    for (t in session) {
      s = session[t]; v = start[t]
      if (!(s in first) || v "" < first[s] "") first[s] = v
      if (!(s in last) || v "" > last[s] "") last[s] = v
    }
    for (s in first) print (first[s] "" < to "" && last[s] "" >= from "") ? "in " s : "out " s
  }' "$work/w.jsonl" > "$work/activity.txt"
grep '^in ' "$work/activity.txt" | cut -c4- | sed 's/\\"/"/g' | sort > "$work/want_in.txt"
grep '^out ' "$work/activity.txt" | cut -c5- | sed 's/\\"/"/g' | sort > "$work/want_out.txt"
[ "$(wc -l < "$work/want_in.txt")" -ge 10 ] || fail "the window holds too few sessions"
[ "$(wc -l < "$work/want_out.txt")" -ge 10 ] || fail "every session is in the window"

# --- window export ---
ss export --from "$from" --to "$to" -o "$work/win.jsonl" > "$work/win.out"
[ -e "$work/win.jsonl.tmp" ] && fail "export left its temporary file"
n_in=$(wc -l < "$work/want_in.txt")
grep -q "^exported $n_in sessions, $(wc -l < "$work/win.jsonl") traces (.* MB) in .*s: .* traces/s, to $work/win.jsonl$" "$work/win.out" ||
  fail "window summary: $(cat "$work/win.out") (want $n_in sessions)"
grep -q '"trace_id":"hand-3"' "$work/win.jsonl" && fail "a trace without a session was exported"
sessions_of "$work/win.jsonl" > "$work/got_in.txt"
cmp -s "$work/want_in.txt" "$work/got_in.txt" ||
  fail "window sessions differ: $(diff "$work/want_in.txt" "$work/got_in.txt" | head)"
grep -q 'hand \\"quoted\\" é' "$work/win.jsonl" || fail "the hand-made session is missing"

# Ingested into an empty store: every exported session reads back the same.
"$bin" --db "$work/copy" ingest --quiet "$work/win.jsonl" > "$work/copy.out" ||
  fail "ingesting the export: $(cat "$work/copy.out")"
grep -q " 0 rejected" "$work/copy.out" || fail "ingest of the export: $(cat "$work/copy.out")"
while IFS= read -r s; do
  want=$(ss session "$s" --json)
  got=$("$bin" --db "$work/copy" session "$s" --json) || fail "session $s missing from the copy"
  [ "$want" == "$got" ] || fail "session $s differs after export and ingest:
$got
want
$want"
  # Whole sessions: the copy has every trace, also those outside the window.
  [ "$(ss timeline "$s" --json --limit 100000)" == "$("$bin" --db "$work/copy" timeline "$s" --json --limit 100000)" ] ||
    fail "timeline of $s differs"
done < "$work/want_in.txt"
"$bin" --db "$work/copy" verify > /dev/null || fail "the copy does not verify"

# Sessions outside the window are absent.
while IFS= read -r s; do
  grep -qF "\"session_id\":\"$s\"," "$work/win.jsonl" && fail "session $s outside the window was exported"
done < "$work/want_out.txt"

# --user: the window's sessions of one user, the same set `sessions` lists.
ss export --from "$from" --to "$to" --user user-3 > "$work/user.jsonl" 2> "$work/user.err"
ss sessions --from "$from" --to "$to" --user user-3 --limit 100000 --json |
  grep -o '"session_id":"[^"]*"' | cut -d'"' -f4 | sort > "$work/user_want.txt"
[ -s "$work/user_want.txt" ] || fail "user-3 has no session in the window"
sessions_of "$work/user.jsonl" | cmp -s - "$work/user_want.txt" || fail "export --user sessions differ"
grep -q "^exported $(wc -l < "$work/user_want.txt") sessions, .* to stdout$" "$work/user.err" ||
  fail "summary on stderr when exporting to stdout: $(cat "$work/user.err")"

# --- one session ---
session=$(grep -m1 '^sess-' "$work/want_in.txt")
ss export "$session" -o "$work/one.json" --json > "$work/one.out"
head -1 "$work/one.json" | grep -qxF "{\"session\":$(ss session "$session" --json),\"traces\":[" ||
  fail "the document's session is not \`session --json\`: $(head -c 300 "$work/one.json")"
[ "$(tail -1 "$work/one.json")" == "]}" ] || fail "the document does not end with ]}"
traces=$(($(wc -l < "$work/one.json") - 2))
grep -qx "{\"sessions\":1,\"traces\":$traces,\"bytes\":$(wc -c < "$work/one.json"),\"seconds\":[0-9.]*,\"output\":\"$work/one.json\"}" "$work/one.out" ||
  fail "--json summary: $(cat "$work/one.out")"
ss export "$session" 2> /dev/null | cmp -s - "$work/one.json" || fail "export to stdout differs from -o"
# The traces, one per line between the first and the last, ingest back.
sed '1d;$d;s/,$//' "$work/one.json" > "$work/one.jsonl"
"$bin" --db "$work/one" ingest --quiet "$work/one.jsonl" > /dev/null
[ "$(ss session "$session" --json)" == "$("$bin" --db "$work/one" session "$session" --json)" ] ||
  fail "session $session differs after a one-session export and ingest"
# -o replaces an existing file whole.
echo old > "$work/replace.json"
ss export "$session" -o "$work/replace.json" > /dev/null
cmp -s "$work/replace.json" "$work/one.json" || fail "-o did not replace the file"

# --- errors ---
expect_exit() {  # expect_exit CODE MESSAGE ARGS...: the exit code and a stderr substring.
  local code=$1 message=$2
  shift 2
  set +e
  ss "$@" > "$work/err.out" 2> "$work/err.txt"
  local rc=$?
  set -e
  [ $rc -eq "$code" ] || fail "export $* exited $rc, want $code: $(cat "$work/err.txt")"
  grep -qF -- "$message" "$work/err.txt" || fail "export $*: stderr lacks '$message': $(cat "$work/err.txt")"
}
echo old > "$work/keep.json"
expect_exit 1 'NotFound: session "no-such-session"' export no-such-session -o "$work/keep.json"
[ "$(cat "$work/keep.json")" == old ] || fail "a failed export touched the output file"
[ -e "$work/keep.json.tmp" ] && fail "a failed export left its temporary file"
expect_exit 2 "a session ID takes no --from, --to or --user" export "$session" --from "$from"
expect_exit 2 "a session ID takes no --from, --to or --user" export "$session" --user user-3
expect_exit 2 "give a session ID, or a window: --from T --to T" export
expect_exit 2 "give a session ID, or a window: --from T --to T" export --from "$from"
expect_exit 2 "give a session ID, or a window: --from T --to T" export --to "$to" --user u
expect_exit 2 "--from/--to: expected RFC 3339 or nanoseconds" export --from yesterday --to "$to"
expect_exit 2 "--from must be before --to" export --from "$to" --to "$from"
expect_exit 2 "cannot write $work/missing/out.jsonl.tmp: No such file or directory" \
  export --from "$from" --to "$to" -o "$work/missing/out.jsonl"
[ -e "$work/missing" ] && fail "export created the missing directory"
if [ -w /dev/full ]; then
  set +e
  ss export "$session" > /dev/full 2> "$work/err.txt"
  rc=$?
  set -e
  [ $rc -eq 2 ] || fail "export to a full device exited $rc, want 2"
  grep -q "writing" "$work/err.txt" || fail "export to a full device: $(cat "$work/err.txt")"
fi
# --- sessions that came in over OTLP ---
cat > "$work/otlp.json" <<'EOF'
{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"spans":[{"traceId":"0123456789abcdef0123456789abcdef","spanId":"0123456789abcdef","name":"root","kind":1,"startTimeUnixNano":"1795309991284282262","endTimeUnixNano":"1795309992680315931","attributes":[{"key":"session.id","value":{"stringValue":"otlp-values"}},{"key":"input.value","value":{"kvlistValue":{"values":[{"key":"temp","value":{"doubleValue":0.1}},{"key":"s","value":{"stringValue":"a\bb"}}]}}},{"key":"output.value","value":{}}]}]}]}]}
EOF
"$bin" --db "$work/otlp" ingest --format otlp-json "$src"/tests/data/otlp/*.json "$work/otlp.json" > /dev/null
"$bin" --db "$work/otlp" export --from 0 --to 9000000000000000000 -o "$work/otlp.jsonl" > /dev/null
"$bin" --db "$work/otlp_copy" ingest --quiet "$work/otlp.jsonl" > /dev/null
sessions_of "$work/otlp.jsonl" > "$work/otlp_sessions.txt"
[ "$(wc -l < "$work/otlp_sessions.txt")" -ge 2 ] || fail "the OTLP store exported $(cat "$work/otlp_sessions.txt")"
while IFS= read -r s; do
  [ "$("$bin" --db "$work/otlp" session "$s" --json)" == "$("$bin" --db "$work/otlp_copy" session "$s" --json)" ] ||
    fail "OTLP session $s differs after export and ingest"
done < "$work/otlp_sessions.txt"

echo "export_test: OK ($n_in sessions in the window, $(wc -l < "$work/win.jsonl") traces)"
