#!/usr/bin/env bash
# End to end with a real OpenTelemetry client: installs the OpenTelemetry JS
# SDK with npm (versions pinned by tests/e2e/otel-js/package-lock.json), starts
# `sessionstore serve` on a free loopback port against a fresh store, exports
# the three-turn session of tests/e2e/otel-js/chat_session.mjs with the
# http/json exporter (batch processor: one request), with the http/protobuf
# exporter (simple processor: one request per span, children before their
# root) and with http/protobuf gzip-compressed (batch), then checks the three
# sessions over GET /v1/sessions/{id} and
# /v1/sessions/{id}/traces against values worked out by hand, one trace over
# GET /v1/traces/{id}, the server's span count after SIGTERM and the CLI's
# reading of the store afterwards.
#
# Usage: otel_js_test.sh <path-to-sessionstore> <source-dir> <scratch-dir> <deps-dir>
# <deps-dir> keeps node_modules between runs (reinstalled when the lock file
# changes); a run that finds it installed needs no network.
# Exit codes: 0 passed, 1 failed, 77 skipped (no node/npm, a Node older than
# the SDK supports, or the npm registry unreachable), which CTest reports as
# skipped (SKIP_RETURN_CODE).
set -euo pipefail
bin=$1
src=$2
work=$3
deps=$4
app="$src/tests/e2e/otel-js"
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $* (otel_js_test needs node >= 18.19, npm and the npm registry)"; exit 77; }

# ---- node, npm and the SDK ----
command -v node > /dev/null || skip "node is not installed"
command -v npm > /dev/null || skip "npm is not installed"
# The SDK's engines field: ^18.19.0 || >=20.6.0.
node -e 'const [a, b] = process.versions.node.split(".").map(Number);
         process.exit((a === 18 && b >= 19) || (a === 20 && b >= 6) || a > 20 ? 0 : 1)' \
  || skip "node $(node --version) is older than the OpenTelemetry JS SDK 2.12 supports"
mkdir -p "$deps"
cp "$app/package.json" "$app/package-lock.json" "$app/chat_session.mjs" "$deps/"
if ! cmp -s "$app/package-lock.json" "$deps/installed-lock.json" || [ ! -d "$deps/node_modules" ]; then
  export npm_config_cache="$deps/npm-cache" npm_config_update_notifier=false
  if ! timeout 30 npm ping --fetch-retries=0 --fetch-timeout=20000 > "$deps/npm-ping.log" 2>&1; then
    skip "npm registry $(npm config get registry) unreachable:" \
      "$(grep -m1 'npm error' "$deps/npm-ping.log" || echo 'npm ping failed or timed out')"
  fi
  rm -f "$deps/installed-lock.json"
  if ! (cd "$deps" && timeout 300 npm ci --no-audit --no-fund --fetch-retries=1 \
          > npm-ci.log 2>&1); then
    grep -Eq 'ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|ECONNRESET|ENETUNREACH' "$deps/npm-ci.log" \
      && skip "npm registry unreachable during npm ci: $(grep -Em1 'E[A-Z]+' "$deps/npm-ci.log")"
    fail "npm ci: $(tail -n 20 "$deps/npm-ci.log")"
  fi
  cp "$app/package-lock.json" "$deps/installed-lock.json"
fi

# ---- serve ----
rm -rf "$work" && mkdir -p "$work"
pid=
stop_server() {
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2> /dev/null || return 0
  for _ in $(seq 100); do kill -0 "$pid" 2> /dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2> /dev/null || true
}
trap stop_server EXIT
"$bin" --db "$work/db" serve --listen 127.0.0.1:0 > "$work/serve.out" 2> "$work/serve.err" &
pid=$!
for _ in $(seq 100); do
  grep -q "listening on" "$work/serve.out" 2> /dev/null && break
  sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$work/serve.out")
[ -n "$url" ] || fail "serve did not start: $(cat "$work/serve.err")"
get() { curl -sS --max-time 10 -w '\n%{http_code}' "$url$1"; }

# ---- export with each exporter ----
export_session() {  # protocol processor compression session exports
  timeout 60 node "$deps/chat_session.mjs" --endpoint "$url/v1/traces" --protocol "$1" \
    --processor "$2" --compression "$3" --session "$4" > "$work/$4.node.out" 2>&1 \
    || fail "chat_session.mjs ($1, $2, $3) exited $?: $(cat "$work/$4.node.out")"
  grep -q "^chat_session: 7 spans of 3 traces in $5 exports ($1, $2 processor, compression $3)," \
    "$work/$4.node.out" || fail "$(cat "$work/$4.node.out")"
  grep -q "session $4, 0 failed" "$work/$4.node.out" || fail "$(cat "$work/$4.node.out")"
}
export_session http/json batch none chat-json 1
export_session http/protobuf simple none chat-proto 7
export_session http/protobuf batch gzip chat-gzip 1

# ---- the sessions, worked out by hand from chat_session.mjs's TURNS ----
# Tokens 120+310+402 / 45+52+30; cost 45+78+1656 micro-USD; turn 2's tool span
# failed; last start 10:02:00, last end 10:02:01.8 (121.8 s after the first
# start); TTFT (180+240+320)/3 ms; tags per trace.
expected_session() {
  printf '%s' '{"session_id":"'"$1"'","session_name":"","user_id":"user-4711",'\
'"trace_count":3,"error_count":1,"span_count":7,"prompt_tokens":832,"completion_tokens":127,'\
'"total_tokens":959,"cost_usd":0.001779,"first_trace_at":"2026-01-05T10:00:00Z",'\
'"last_trace_at":"2026-01-05T10:02:00Z","duration_ms":121800.000000,'\
'"models":{"claude-3-5-sonnet-20241022":{"calls":1,"prompt_tokens":402,"completion_tokens":30,'\
'"cost_usd":0.001656},"gpt-4o-mini-2024-07-18":{"calls":2,"prompt_tokens":430,'\
'"completion_tokens":97,"cost_usd":0.000123}},"tags":{"billing":2,"support":3},'\
'"ttft_ms_avg":246.666667,"first_input":"Which plans do you offer?",'\
'"last_output":"Done: you are on Pro now.","latency_ms_p50":2000.000000,'\
'"latency_ms_p90":3500.000000,"latency_ms_p99":3500.000000,"longest_idle_gap":'\
'{"from":"2026-01-05T10:00:02Z","to":"2026-01-05T10:01:00Z","idle_ms":58000.000000,'\
'"after_trace_id":"X","before_trace_id":"X"}}'
}
expected_timeline='{"traces":[{"trace_id":"X","name":"chat-turn","start_time":"2026-01-05T10:00:00Z",'\
'"end_time":"2026-01-05T10:00:02Z","status":"ok","span_count":2,"prompt_tokens":120,'\
'"completion_tokens":45,"total_tokens":165,"cost_usd":0.000045,'\
'"input":"Which plans do you offer?","output":"Free, Pro and Team."},'\
'{"trace_id":"X","name":"chat-turn","start_time":"2026-01-05T10:01:00Z",'\
'"end_time":"2026-01-05T10:01:03.500000000Z","status":"error","span_count":3,"prompt_tokens":310,'\
'"completion_tokens":52,"total_tokens":362,"cost_usd":0.000078,'\
'"input":"What does Pro cost per year?","output":"Pro is 96 USD a year."},'\
'{"trace_id":"X","name":"chat-turn","start_time":"2026-01-05T10:02:00Z",'\
'"end_time":"2026-01-05T10:02:01.800000000Z","status":"ok","span_count":2,"prompt_tokens":402,'\
'"completion_tokens":30,"total_tokens":432,"cost_usd":0.001656,'\
'"input":"Upgrade me to Pro, please.","output":"Done: you are on Pro now."}],"next_cursor":""}'
for s in chat-json chat-proto chat-gzip; do
  got=$(get "/v1/sessions/$s" | sed 's/_trace_id":"[0-9a-f]*"/_trace_id":"X"/g')
  [ "$got" = "$(expected_session $s)"$'\n200' ] \
    || fail "GET /v1/sessions/$s:"$'\n'"got  $got"$'\n'"want $(expected_session $s)"
  got=$(get "/v1/sessions/$s/traces")
  trace2=$(printf '%s' "$got" | grep -o '"trace_id":"[0-9a-f]*"' | sed -n '2s/.*:"\(.*\)"/\1/p')
  got=$(printf '%s' "$got" | sed 's/"trace_id":"[0-9a-f]*"/"trace_id":"X"/g')
  [ "$got" = "$expected_timeline"$'\n200' ] \
    || fail "GET /v1/sessions/$s/traces:"$'\n'"got  $got"$'\n'"want $expected_timeline"
  # The failed tool span (its status message is the error) and the resource's
  # service name, as the SDK sent them.
  got=$(get "/v1/traces/$trace2")
  for want in '"name":"lookup_price","kind":"tool"' '"status":"error"' \
      '"error":"pricing service timed out after 250 ms"' '"time_to_first_token_ms":240.000000' \
      '"service.name":"acme-support-bot"' '"session_id":"'$s'"'; do
    case "$got" in *"$want"*) ;; *) fail "GET /v1/traces/$trace2 lacks $want: $got" ;; esac
  done
done
[ "$(get /v1/sessions/no-such-session | tail -n 1)" = 404 ] || fail "unknown session not 404"

# ---- stop; the store holds what was acknowledged ----
kill -TERM "$pid"
# The CLI adds the session detail: latencies 2.0, 3.5 and 1.8 s (nearest
# rank: p50 2.0, p90 and p99 3.5); idle 58 s after turn 1 (it ends at
# 10:00:02) and 56.5 s after turn 2; the SDK's random trace ids masked.
expected_session_cli() {  # The server's session object, with the CLI's id mask.
  expected_session "$1" | sed 's/_trace_id":"X"/_trace_id":"ID"/g'
}
mask_ids() { sed -E 's/"(after|before)_trace_id":"[0-9a-f]{32}"/"\1_trace_id":"ID"/g'; }
rc=0
timeout 30 tail --pid="$pid" -f /dev/null || fail "serve did not stop within 30 s of SIGTERM"
wait "$pid" || rc=$?
pid=
[ $rc -eq 0 ] || fail "serve exited $rc after SIGTERM: $(cat "$work/serve.err")"
grep -q "stopped: 21 spans accepted, 0 rejected" "$work/serve.err" || fail "$(cat "$work/serve.err")"
for s in chat-json chat-proto chat-gzip; do
  [ "$("$bin" --db "$work/db" session $s --json | mask_ids)" = "$(expected_session_cli $s)" ] \
    || fail "session $s --json after the stop: $("$bin" --db "$work/db" session $s --json)"
done
echo "otel_js_test: ok ($(node --version), $(sed -n 's/.*"\(@opentelemetry\/[a-z-]*proto\)": "\(.*\)".*/\1 \2/p' \
  "$app/package.json"))"
