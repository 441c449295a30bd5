#!/usr/bin/env bash
# Installs what is missing, builds, generates a demo workload, ingests it
# with progress and shows the sessions list, one session and its timeline.
# Usage: scripts/demo.sh [--traces N]   (default 50000)
set -euo pipefail
cd "$(dirname "$0")/.."
traces=50000
if [ "${1:-}" = "--traces" ]; then traces=$2; fi

./scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo > build.configure.log 2>&1 || {
  cat build.configure.log; exit 1; }
cmake --build build -j "$(nproc)" --target sessionstore_cli
bin=build/sessionstore
db=demo-data/db
rm -rf demo-data && mkdir -p demo-data

echo "== generate $traces traces (plus retries and partial updates)"
"$bin" generate --traces "$traces" --sessions $((traces / 10)) --seed 1 -o demo-data/workload.jsonl
ls -lh demo-data/workload.jsonl | awk '{print "   " $5 " of JSON Lines"}'
echo "== ingest"
"$bin" --db "$db" ingest demo-data/workload.jsonl
echo "== sessions, newest activity first"
"$bin" --db "$db" sessions --limit 10
echo "== filtered: sessions with an error trace and a 'vip' tag, most costly first"
"$bin" --db "$db" sessions --errors --tag vip --order cost --limit 5
echo "== analytics over every session (goal tag goal:resolved)"
"$bin" --db "$db" analytics --goal-tag goal:resolved
echo "== the largest session"
"$bin" --db "$db" session sess-0
echo "== its timeline (first 10 traces)"
"$bin" --db "$db" timeline sess-0 --limit 10
echo "== verify: every aggregate recomputed from the stored traces"
"$bin" --db "$db" verify | tail -n 1
