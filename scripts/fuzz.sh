#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan, the library
# instrumented for coverage), writes seed inputs (valid encodings of each
# format, real write-ahead logs), and fuzzes each decoder for the given
# number of seconds (default 30), one target after the other. Prints each
# target's executions and the total. A crash stops the script with the
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
  -DSESSIONSTORE_PCH=ON > build-fuzz.configure.log
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
total=0
for t in $targets; do
  corpus=build-fuzz/corpus/$t
  mkdir -p "$corpus"
  log=build-fuzz/$t.log
  if ! (cd build-fuzz && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        "tests/fuzz/$t" -max_total_time="$seconds" -print_final_stats=1 \
        "corpus/$t" "seeds/$t" > "$t.log" 2>&1); then
    tail -n 60 "$log"
    echo "fuzz: $t FAILED (input: build-fuzz/crash-* or leak-*)" >&2
    exit 1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  echo "fuzz: $t: ${runs:-0} executions in ${seconds}s, corpus $(ls "$corpus" | wc -l) inputs"
  total=$((total + ${runs:-0}))
done
echo "fuzz: $(echo $targets | wc -w) targets, $total executions in total"
