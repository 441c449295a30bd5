#!/usr/bin/env bash
# Starts `sessionstore serve` on a free loopback port against a fresh store in
# a temporary folder, runs bench/otlp/otlp_load against it with the given
# arguments (adding --port and --server_pid), stops the server with SIGTERM,
# prints its closing line (spans accepted and rejected) and the store's size,
# and removes the store. Exits with otlp_load's code; 1 if serve failed or
# accepted another number of spans than otlp_load saw acknowledged.
#
# Usage: bench/otlp/serve_and_load.sh BUILD_DIR [--threads=N] [otlp_load args...]
#   --threads=N   the server's worker threads (serve --threads). Default: 8.
set -euo pipefail
build=$1
shift
threads=8
if [[ ${1:-} == --threads=* ]]; then
  threads=${1#--threads=}
  shift
fi
work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2> /dev/null || true
    timeout 60 tail --pid="$pid" -f /dev/null || kill -KILL "$pid" 2> /dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
"$build/sessionstore" --db "$work/db" serve --listen 127.0.0.1:0 --threads "$threads" \
  > "$work/serve.out" 2> "$work/serve.err" &
pid=$!
for _ in $(seq 100); do
  grep -q "listening on" "$work/serve.out" 2> /dev/null && break
  sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$work/serve.out")
[ -n "$url" ] || { echo "serve did not start: $(cat "$work/serve.err")" >&2; exit 1; }
echo "serve --threads $threads on $url (pid $pid)"
rc=0
"$build/bench/otlp_load" --port="${url##*:}" --server_pid="$pid" "$@" | tee "$work/load.out" \
  || rc=$?
kill -TERM "$pid"
timeout 60 tail --pid="$pid" -f /dev/null || { echo "serve did not stop" >&2; exit 1; }
wait "$pid" || { echo "serve failed: $(cat "$work/serve.err")" >&2; exit 1; }
pid=
grep "stopped:" "$work/serve.err"
echo "store: $(du -sh "$work/db" | cut -f1)"
# What the server says it accepted must be what the client saw acknowledged.
sent=$(sed -n 's/^spans *\([0-9]*\) .*/\1/p' "$work/load.out")
accepted=$(sed -n 's/.*stopped: \([0-9]*\) spans accepted.*/\1/p' "$work/serve.err")
if [ -z "$sent" ] || [ "$sent" != "$accepted" ]; then
  echo "serve accepted ${accepted:-?} spans, otlp_load had ${sent:-?} acknowledged" >&2
  exit 1
fi
exit $rc
