#!/usr/bin/env bash
# `sessionstore ingest` against `raw_ingest` (bench/raw_ingest.cc: the same
# JSON Lines parsed with simdjson, one RocksDB Put per line) on one file, in
# interleaved rounds, each into a fresh directory. Prints each run's wall
# and CPU (user+sys, every thread), peak resident set (with GNU time,
# /usr/bin/time), the table bytes its flushes and compactions wrote per
# input byte (`ingest --stats`; raw_ingest's own count) and the store's
# size on disk right after (du) per line; per round, sessionstore's rate
# and CPU per line against raw's: the ingest figures of the format issue.
#
# Usage: bench/cli_vs_raw.sh [--build DIR] [--rounds N] [--jobs J]
#                            [--traces T | --file F]
#   --build DIR   a build with sessionstore and bench/raw_ingest
#                 (default: build-release, see bench/README.md)
#   --rounds N    interleaved rounds (default 3)
#   --jobs J      flush and compaction threads of both, 2 to 256 (Options::
#                 background_jobs; default: the option's default, 2)
#   --traces T    the generated input's traces (default 200000): generated
#                 once into $TMPDIR/sessionstore-cli-vs-raw/wT.jsonl with
#                 `sessionstore generate --traces T --sessions T/10
#                 --payload-bytes 300` (about 1.3 KB a line: 300 MB for
#                 200000)
#   --file F      a JSON Lines input of your own instead (raw_ingest needs
#                 start_time as integer nanoseconds, as `generate` writes)
set -euo pipefail

build=build-release
rounds=3
jobs=0
traces=200000
file=""
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --traces) traces=$2; shift 2 ;;
    --file) file=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--rounds N] [--jobs J] [--traces T | --file F]" >&2; exit 2 ;;
  esac
done
cli=$build/sessionstore
raw=$build/bench/raw_ingest
for bin in "$cli" "$raw"; do
  if [ ! -x "$bin" ]; then
    echo "$0: $bin is missing; build first (bench/README.md)" >&2
    exit 1
  fi
done
if ! [[ $rounds =~ ^[1-9][0-9]*$ && $traces =~ ^[1-9][0-9]*$ && $jobs =~ ^(0|[2-9]|[1-9][0-9]+)$ ]] ||
  [ "$jobs" -gt 256 ]; then
  echo "$0: --rounds and --traces must be positive integers, --jobs 2 to 256" >&2
  exit 2
fi

work=${TMPDIR:-/tmp}/sessionstore-cli-vs-raw
mkdir -p "$work"
if [ -z "$file" ]; then
  file=$work/w$traces.jsonl
  if [ ! -s "$file" ]; then
    echo "generating $file" >&2
    "$cli" generate --traces "$traces" --sessions $(((traces + 9) / 10)) --payload-bytes 300 \
      -o "$file.tmp"
    mv "$file.tmp" "$file"
  fi
fi
[ -r "$file" ] || { echo "$0: cannot read $file" >&2; exit 1; }
lines=$(grep -c . "$file")
db=$work/db
trap 'rm -rf "$db" "$work/run.out" "$work/run.time"' EXIT

# Runs one ingest into a fresh $db; prints "wall cpu rss_mb table_per_input
# disk_mb" (rss "-" without GNU time).
gnu_time=""
if /usr/bin/time -f %M true >/dev/null 2>&1; then gnu_time=/usr/bin/time; fi
run() {
  rm -rf "$db"
  local out=$work/run.out tf=$work/run.time
  if [ -n "$gnu_time" ]; then
    "$gnu_time" -o "$tf" -f '%e %U %S %M' "$@" >"$out" 2>&1 || { echo "$0: failed: $*" >&2; cat "$out" >&2; exit 1; }
  else
    local TIMEFORMAT='%R %U %S -'
    { time "$@" >"$out" 2>&1; } 2>"$tf" || { echo "$0: failed: $*" >&2; cat "$out" >&2; exit 1; }
  fi
  local amp disk
  amp=$(awk '/^table bytes per input byte/ {print $6}' "$out")
  disk=$(du -sm "$db" | cut -f1)
  awk -v amp="${amp:--}" -v disk="$disk" \
    '{rss = $4 == "-" ? "-" : sprintf("%.0f", $4 / 1024); printf "%.2f %.2f %s %s %s\n", $1, $2 + $3, rss, amp, disk}' "$tf"
}

echo "file: $file ($lines lines); build: $build; background jobs: $([ "$jobs" = 0 ] && echo default || echo "$jobs")"
ss_jobs=()
[ "$jobs" = 0 ] || ss_jobs=(--background-jobs "$jobs")
printf '%-6s %-14s %8s %8s %11s %7s %11s %8s %11s\n' round program wall_s cpu_s cpu_us/line \
  rss_MB table/input disk_MB disk_B/line
for r in $(seq "$rounds"); do
  read -r ss_wall ss_cpu ss_rss ss_amp ss_disk < <(run "$cli" --db "$db" ${ss_jobs[@]+"${ss_jobs[@]}"} ingest --quiet --stats "$file")
  read -r raw_wall raw_cpu raw_rss raw_amp raw_disk < <(run "$raw" "$file" "$db" 0 "$jobs")
  for p in sessionstore raw_ingest; do
    if [ $p = sessionstore ]; then
      w=$ss_wall c=$ss_cpu m=$ss_rss a=$ss_amp d=$ss_disk
    else
      w=$raw_wall c=$raw_cpu m=$raw_rss a=$raw_amp d=$raw_disk
    fi
    printf '%-6s %-14s %8s %8s %11.1f %7s %11s %8s %11.0f\n' "$r" $p "$w" "$c" \
      "$(awk -v c="$c" -v n="$lines" 'BEGIN{print c*1e6/n}')" "$m" "$a" "$d" \
      "$(awk -v d="$d" -v n="$lines" 'BEGIN{print d*1048576/n}')"
  done
  awk -v sw="$ss_wall" -v rw="$raw_wall" -v sc="$ss_cpu" -v rc="$raw_cpu" -v r="$r" \
    'BEGIN{printf "%-6s rate against raw %.2fx, CPU per line against raw %.2fx\n", r, rw/sw, sc/rc}'
done
