#!/usr/bin/env bash
# Wall time of `sessionstore search` queries (process start and store open
# included) on a store, each run RUNS times; prints min and median ms.
# Usage: search_cost.sh BIN DB [RUNS]
# The store used in bench/README.md:
#   BIN generate --traces 100000 --sessions 10000 | BIN --db DB ingest --quiet
set -euo pipefail
bin=$1
db=$2
runs=${3:-5}

measure() {  # measure LABEL ARGS...
  local label=$1
  shift
  local times=() hits
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s%N)
    hits=$("$bin" --db "$db" search "$@" --json | { grep -o "\"trace_id\"" || true; } | wc -l)
    t1=$(date +%s%N)
    times+=($(((t1 - t0) / 1000000)))
  done
  local sorted
  sorted=$(printf '%s\n' "${times[@]}" | sort -n)
  printf '%-58s hits %3s  min %5s ms  median %5s ms\n' "$label" "$hits" \
    "$(echo "$sorted" | head -1)" "$(echo "$sorted" | sed -n "$(((runs + 1) / 2))p")"
}

# Baseline: open the store and search an empty session.
measure "baseline: open + empty session" zzzz --session no-such-session
measure "session sess-1 (1,205 traces), common word" orquimida --session sess-1
measure "session sess-1, no match (whole session read)" zebra --session sess-1
measure "session sess-0 (4,663 traces), no match" zebra --session sess-0
measure "24 h window, common word" orquimida --from 2026-01-15T00:00:00Z --to 2026-01-16T00:00:00Z
measure "24 h window, no match (window read)" zebra --from 2026-01-15T00:00:00Z --to 2026-01-16T00:00:00Z
measure "all time, common word" orquimida
measure "all time, no match (every trace read)" zebra
measure "all time, one user, no match" zebra --user user-1
