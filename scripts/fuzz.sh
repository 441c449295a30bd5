#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and fuzzes the
# decoders for the given number of seconds (default 30).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
./scripts/install-deps.sh
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSESSIONSTORE_BUILD_FUZZERS=ON -DSESSIONSTORE_BUILD_TESTS=OFF -DSESSIONSTORE_BUILD_TOOLS=OFF \
  -DSESSIONSTORE_BUILD_BENCHMARKS=OFF -DSESSIONSTORE_SANITIZE=address,undefined > build-fuzz.configure.log
cmake --build build-fuzz -j "$(nproc)" --target codec_fuzz otlp_json_fuzz otlp_proto_fuzz
corpus=build-fuzz/corpus
mkdir -p "$corpus"
build-fuzz/tests/codec_fuzz -max_total_time="$seconds" -print_final_stats=1 "$corpus" tests/fuzz/seeds
# The OTLP decoders, seeded with the real request bodies.
for enc in json proto; do
  mkdir -p "build-fuzz/corpus-otlp-$enc"
  ext=$([ $enc = json ] && echo json || echo pb)
  cp tests/data/otlp/*."$ext" "build-fuzz/corpus-otlp-$enc/"
  build-fuzz/tests/otlp_${enc}_fuzz -max_total_time="$seconds" -print_final_stats=1 \
    "build-fuzz/corpus-otlp-$enc"
done
