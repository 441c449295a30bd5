#!/usr/bin/env bash
# End to end of OTLP in the CLI: `ingest --format otlp-json|otlp-proto`, and
# `serve` as a process: POSTs with curl, SIGTERM, then a restart (a read-only
# open) finds every acknowledged span; the listen-address security rule;
# HTTPS with --tls-cert/--tls-key (a certificate made with the openssl CLI).
# Usage: otlp_test.sh <path-to-sessionstore> <source-dir> <scratch-dir>
set -euo pipefail
bin=$1
src=$2
work=$3
rm -rf "$work" && mkdir -p "$work"
data="$src/tests/data/otlp"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
s1=sess-7f3a91c2-user-1842
s2=sess-0b44d9e1-user-0007

# ---- ingest --format ----
"$bin" --db "$work/a" ingest --format otlp-json "$data"/*.json > "$work/a.out"
grep -q "ingested 2 files: 17 spans in 8 trace versions, 0 spans rejected" "$work/a.out" \
  || fail "otlp-json ingest: $(cat "$work/a.out")"
"$bin" --db "$work/b" ingest --format otlp-proto "$data"/*.pb > "$work/b.out"
for s in $s1 $s2; do
  "$bin" --db "$work/a" session $s --json > "$work/a.$s.json"
  "$bin" --db "$work/b" session $s --json > "$work/b.$s.json"
  cmp -s "$work/a.$s.json" "$work/b.$s.json" || fail "$s differs between JSON and protobuf"
done
grep -q '"trace_count":4,"error_count":1,"span_count":8' "$work/a.$s2.json" || fail "$(cat "$work/a.$s2.json")"
set +e
"$bin" --db "$work/a" ingest --format otlp-json "$data/otlp-002-traces-httpproto.pb" > /dev/null 2> "$work/bad.err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "malformed OTLP file exited $rc, want 1"
grep -q "otlp-002-traces-httpproto.pb: not valid JSON" "$work/bad.err" || fail "$(cat "$work/bad.err")"

# ---- serve: off loopback without a token is refused ----
set +e
"$bin" --db "$work/c" serve --listen 0.0.0.0:0 > /dev/null 2> "$work/refused.err"
rc=$?
set -e
[ $rc -eq 2 ] || fail "serve on 0.0.0.0 without a token exited $rc, want 2"
grep -q "requires --token-file" "$work/refused.err" || fail "$(cat "$work/refused.err")"

# ---- serve: POST, SIGTERM, restart ----
if ! command -v curl > /dev/null; then
  echo "curl not installed: serve part skipped (scripts/install-deps.sh installs it)"
  exit 0
fi
"$bin" --db "$work/c" serve --listen 127.0.0.1:0 > "$work/serve.out" 2> "$work/serve.err" &
pid=$!
trap 'kill -TERM $pid 2> /dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q "listening on" "$work/serve.out" 2> /dev/null && break
  sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$work/serve.out")
[ -n "$url" ] || fail "serve did not start: $(cat "$work/serve.err")"
code=$(curl -s -o "$work/r1" -w '%{http_code}' -H 'Content-Type: application/json' \
  --data-binary @"$data/otlp-001-traces-httpjson.json" "$url/v1/traces")
[ "$code" = 200 ] || fail "POST json: $code $(cat "$work/r1")"
gzip -c "$data/otlp-004-traces-httpproto.pb" > "$work/b.pb.gz"
code=$(curl -s -o "$work/r2" -w '%{http_code}' -H 'Content-Type: application/x-protobuf' \
  -H 'Content-Encoding: gzip' --data-binary @"$work/b.pb.gz" "$url/v1/traces")
[ "$code" = 200 ] || fail "POST gzip protobuf: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' --data x "$url/v1/traces")
[ "$code" = 415 ] || fail "text/plain: $code"
curl -s "$url/v1/sessions/$s2" | grep -q '"trace_count":4' || fail "GET session"
kill -TERM $pid
set +e
wait $pid
rc=$?
set -e
trap - EXIT
[ $rc -eq 0 ] || fail "serve exited $rc after SIGTERM: $(cat "$work/serve.err")"
grep -q "stopped: 17 spans accepted, 0 rejected" "$work/serve.err" || fail "$(cat "$work/serve.err")"
for s in $s1 $s2; do
  "$bin" --db "$work/c" session $s --json > "$work/c.$s.json"
  cmp -s "$work/a.$s.json" "$work/c.$s.json" || fail "$s after restart differs: $(cat "$work/c.$s.json")"
done
"$bin" --db "$work/c" verify > /dev/null || fail "verify after serve"

# ---- serve over TLS: flags together, bad key refused, HTTPS with a token ----
expect_refused() {  # expect_refused <stderr-pattern> <serve args...>
  local want=$1
  shift
  set +e
  "$bin" --db "$work/d" serve --listen 127.0.0.1:0 "$@" > /dev/null 2> "$work/tls.err"
  local rc=$?
  set -e
  [ $rc -eq 2 ] || fail "serve $* exited $rc, want 2"
  grep -q "$want" "$work/tls.err" || fail "serve $*: $(cat "$work/tls.err")"
}
expect_refused "must be given together" --tls-cert "$work/cert.pem"
expect_refused "cannot read TLS certificate" --tls-cert "$work/none.pem" --tls-key "$work/none.pem"
if ! command -v openssl > /dev/null; then
  echo "openssl not installed: HTTPS part skipped (the unit tests make their own certificate)"
  echo "otlp_test: ok"
  exit 0
fi
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$work/key.pem" \
  -out "$work/cert.pem" 2> /dev/null || fail "openssl req"
echo "not a key" > "$work/bad-key.pem"
expect_refused "TLS key $work/bad-key.pem" --tls-cert "$work/cert.pem" --tls-key "$work/bad-key.pem"
echo "tls-token-123" > "$work/token"
"$bin" --db "$work/d" serve --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" \
  --token-file "$work/token" > "$work/tls.out" 2> "$work/tls.err" &
pid=$!
trap 'kill -TERM $pid 2> /dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q "listening on" "$work/tls.out" 2> /dev/null && break
  sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$work/tls.out")
case "$url" in https://*) ;; *) fail "serve --tls-cert: \"$url\" $(cat "$work/tls.err")" ;; esac
tls_curl() { curl -s --cacert "$work/cert.pem" -H "Authorization: Bearer tls-token-123" "$@"; }
code=$(tls_curl -o "$work/r3" -w '%{http_code}' -H 'Content-Type: application/json' \
  --data-binary @"$data/otlp-001-traces-httpjson.json" "$url/v1/traces")
[ "$code" = 200 ] || fail "POST over HTTPS: $code $(cat "$work/r3")"
tls_curl "$url/v1/sessions/$s1" | grep -q '"trace_count":4' || fail "GET session over HTTPS"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$work/cert.pem" "$url/v1/sessions/$s1")
[ "$code" = 401 ] || fail "HTTPS without the token: $code"
kill -TERM $pid
set +e
wait $pid
rc=$?
set -e
trap - EXIT
[ $rc -eq 0 ] || fail "serve over TLS exited $rc after SIGTERM: $(cat "$work/tls.err")"
grep -q "stopped: 9 spans accepted, 0 rejected" "$work/tls.err" || fail "$(cat "$work/tls.err")"
echo "otlp_test: ok"
