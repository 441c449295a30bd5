#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan, the library
# instrumented for coverage), writes seed inputs (valid encodings of each
# format, real write-ahead logs), and fuzzes each decoder for the given
# number of seconds (default 30), one target per core at a time. Prints each
# target's executions and the total. A crash fails the script with the
# target's report; the input is left in build-fuzz/ (crash-*).
# Usage: [JOBS=N] scripts/fuzz.sh [SECONDS_PER_TARGET]   (JOBS: build jobs, default nproc)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
targets="trace_codec_fuzz session_delta_fuzz index_state_fuzz keys_fuzz json_fuzz wal_log_fuzz
  case_fold_fuzz otlp_json_fuzz otlp_proto_fuzz"
./scripts/install-deps.sh
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSESSIONSTORE_BUILD_FUZZERS=ON -DSESSIONSTORE_BUILD_TESTS=OFF -DSESSIONSTORE_BUILD_TOOLS=OFF \
  -DSESSIONSTORE_BUILD_BENCHMARKS=OFF -DSESSIONSTORE_SANITIZE=address,undefined \
  -DSESSIONSTORE_PCH=ON -DCMAKE_UNITY_BUILD=ON > build-fuzz.configure.log
# shellcheck disable=SC2086
cmake --build build-fuzz -j "${JOBS:-$(nproc)}" --target fuzz_seeds $targets
rm -rf build-fuzz/seeds
build-fuzz/tests/fuzz/fuzz_seeds build-fuzz/seeds
# The OTLP decoders start from the real request bodies.
mkdir -p build-fuzz/seeds/otlp_json_fuzz build-fuzz/seeds/otlp_proto_fuzz
cp tests/data/otlp/*.json build-fuzz/seeds/otlp_json_fuzz/
cp tests/data/otlp/*.pb build-fuzz/seeds/otlp_proto_fuzz/
# Committed seeds: hand-written inputs and the inputs of fixed crashes.
for d in tests/fuzz/seeds/*/; do
  mkdir -p "build-fuzz/seeds/$(basename "$d")" && cp "$d"* "build-fuzz/seeds/$(basename "$d")/"
done
# One target per core at a time (each libFuzzer run is one process, one
# thread): the same seconds per target in about 1/nproc of the wall time.
fuzz_one() {
  local t=$1 seconds=$2
  mkdir -p "build-fuzz/corpus/$t"
  if (cd build-fuzz && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        "tests/fuzz/$t" -max_total_time="$seconds" -print_final_stats=1 \
        "corpus/$t" "seeds/$t" > "$t.log" 2>&1); then
    echo ok > "build-fuzz/$t.status"
  else
    echo failed > "build-fuzz/$t.status"
  fi
}
export -f fuzz_one
rm -f build-fuzz/*.status
# shellcheck disable=SC2086
printf '%s\n' $targets | xargs -P "$(nproc)" -I{} bash -c 'fuzz_one "$1" "$2"' _ {} "$seconds"
total=0
failed=0
for t in $targets; do
  log=build-fuzz/$t.log
  if [ "$(cat "build-fuzz/$t.status" 2>/dev/null)" != ok ]; then
    tail -n 60 "$log"
    echo "fuzz: $t FAILED (input: build-fuzz/crash-* or leak-*)" >&2
    failed=1
    continue
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  echo "fuzz: $t: ${runs:-0} executions in ${seconds}s, corpus $(ls "build-fuzz/corpus/$t" | wc -l) inputs"
  total=$((total + ${runs:-0}))
done
[ "$failed" = 0 ] || exit 1
echo "fuzz: $(echo $targets | wc -w) targets, $total executions in total"
