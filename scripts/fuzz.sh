#!/usr/bin/env bash
# Builds the libFuzzer target with clang (ASan + UBSan) and fuzzes the
# decoders for the given number of seconds (default 30).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
./scripts/install-deps.sh
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSESSIONSTORE_BUILD_FUZZERS=ON -DSESSIONSTORE_BUILD_TESTS=OFF -DSESSIONSTORE_BUILD_TOOLS=OFF \
  -DSESSIONSTORE_BUILD_BENCHMARKS=OFF -DSESSIONSTORE_SANITIZE=address,undefined > build-fuzz.configure.log
cmake --build build-fuzz -j "$(nproc)" --target codec_fuzz
corpus=build-fuzz/corpus
mkdir -p "$corpus"
build-fuzz/tests/codec_fuzz -max_total_time="$seconds" -print_final_stats=1 "$corpus" tests/fuzz/seeds
