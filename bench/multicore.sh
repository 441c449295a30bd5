#!/usr/bin/env bash
# The multi-core figures of the format issue, in one run on a machine with
# more cores than the 2-core development machine: does sessionstore ingest
# faster with more writer threads and more flush/compaction threads, and do
# its reads right after ingest still trail SQLite's once the compactions
# have cores of their own? Each stage writes its full output to OUT/NAME.txt
# as it ends, so a run cut short keeps the stages it finished.
#
# Usage: bench/multicore.sh [--build DIR] [--out DIR] [--traces T] [--jobs J]
#                            [--big B] [--stages LIST]
#   --build DIR   a build with sessionstore, bench/compare and
#                 bench/raw_ingest (default: build-release)
#   --out DIR     where the stages' outputs go (default: $TMPDIR/multicore)
#   --traces T    traces of every stage's workload (default 200000; sessions
#                 T/10, hot session T/10, as in the figures of bench/README.md)
#   --jobs J      the larger Options::background_jobs tried against the
#                 default (default: the machine's cores / 2, at least 2)
#   --big B       also stage 6 on a larger file of B traces (default 0: none)
#   --stages LIST the stages to run, comma-separated (default 1,2,3,4,5,6)
#
# The process's allocator is what the environment gives: glibc's malloc, or
# LD_PRELOAD=libjemalloc.so.2, or glibc tuned with GLIBC_TUNABLES (see
# bench/README.md on the reads right after ingest and glibc's mmap
# threshold).
#
# Stages, in this order:
#   1. compare, right after ingest: sessionstore (writers 1, 2, 4, 8), raw
#      RocksDB and SQLite, the default background jobs;
#   2. compare with --background_jobs=J: sessionstore (writers 1 and 8) and
#      raw RocksDB;
#   3. compare after a full compaction: sessionstore and SQLite;
#   4. bench/cli_vs_raw.sh, 2 rounds, the default background jobs;
#   5. the same with J background jobs;
#   6. with --big: bench/cli_vs_raw.sh on B traces, 1 round, J jobs.
set -euo pipefail

build=build-release
out=${TMPDIR:-/tmp}/multicore
traces=200000
cores=$(nproc)
jobs=$((cores / 2 < 2 ? 2 : cores / 2))
big=0
stages=1,2,3,4,5,6
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --traces) traces=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --big) big=$2; shift 2 ;;
    --stages) stages=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--out DIR] [--traces T] [--jobs J] [--big B] [--stages LIST]" >&2
       exit 2 ;;
  esac
done
if ! [[ $traces =~ ^[1-9][0-9]*$ && $jobs =~ ^[1-9][0-9]*$ && $big =~ ^[0-9]+$ ]]; then
  echo "$0: --traces and --jobs must be positive integers, --big a count" >&2
  exit 2
fi
for bin in "$build/sessionstore" "$build/bench/compare" "$build/bench/raw_ingest"; do
  [ -x "$bin" ] || { echo "$0: $bin is missing; build first (bench/README.md)" >&2; exit 1; }
done
mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/sessionstore-multicore.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

sessions=$(((traces + 9) / 10))
common=(--traces="$traces" --sessions="$sessions" --hot_traces="$sessions" --queries=300
  --dir="$scratch/compare")

# Runs one stage: its command's output goes to OUT/NAME.txt and, with its
# time, to stdout.
stage() {
  local name=$1
  shift
  [[ ,$stages, == *,${name%%-*},* ]] || return 0
  echo "== $name: $*"
  local t0=$SECONDS
  "$@" >"$out/$name.txt" 2>&1 || echo "== $name failed (exit $?)"
  cat "$out/$name.txt"
  echo "== $name took $((SECONDS - t0)) s"
}

{
  echo "cores: $cores; background jobs tried: default and $jobs; stages $stages"
  echo "allocator: LD_PRELOAD=${LD_PRELOAD:-} GLIBC_TUNABLES=${GLIBC_TUNABLES:-}"
  grep -m1 'model name' /proc/cpuinfo || true
  free -g | head -2 || true
} | tee "$out/machine.txt"

stage 1-after-ingest "$build/bench/compare" "${common[@]}" \
  --peers=sessionstore,rocksdb,sqlite --writers=1,2,4,8
stage 2-after-ingest-jobs "$build/bench/compare" "${common[@]}" \
  --peers=sessionstore,rocksdb --writers=1,8 --background_jobs="$jobs"
stage 3-compacted "$build/bench/compare" "${common[@]}" \
  --peers=sessionstore,sqlite --writers=1 --compacted=1
export TMPDIR=$scratch
stage 4-cli-vs-raw "$here/cli_vs_raw.sh" --build "$build" --rounds 2 --traces "$traces"
stage 5-cli-vs-raw-jobs "$here/cli_vs_raw.sh" --build "$build" --rounds 2 --traces "$traces" \
  --jobs "$jobs"
if [ "$big" -gt 0 ]; then
  stage 6-cli-vs-raw-big "$here/cli_vs_raw.sh" --build "$build" --rounds 1 --traces "$big" \
    --jobs "$jobs"
fi
