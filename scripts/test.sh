#!/usr/bin/env bash
# Installs what is missing, builds with warnings as errors and runs every
# test. Usage: scripts/test.sh [--sanitize address,undefined|thread] [--build-dir DIR]
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=""
build_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize) sanitize=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    *) echo "usage: $0 [--sanitize address,undefined|thread] [--build-dir DIR]" >&2; exit 2 ;;
  esac
done
if [ -z "$build_dir" ]; then
  build_dir=build
  [ -n "$sanitize" ] && build_dir="build-$(echo "$sanitize" | tr ',' '-')"
fi

./scripts/install-deps.sh
build_type=RelWithDebInfo
# Precompiled headers and unity batches in every build: measured on the
# 2-core machine, a clean main build takes 273 s with them against 428 s
# without. A plain configure (cmake's defaults, as scripts/demo.sh and an
# embedding project use) compiles each file alone.
extra=(-DSESSIONSTORE_PCH=ON -DCMAKE_UNITY_BUILD=ON)
if [ -n "$sanitize" ]; then
  # Sanitizer builds test the library: no benchmarks (the main build has
  # them).
  build_type=Debug
  extra+=(-DSESSIONSTORE_BUILD_BENCHMARKS=OFF)
fi
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=$build_type -DSESSIONSTORE_WERROR=ON \
  -DSESSIONSTORE_SANITIZE="$sanitize" "${extra[@]}" > "$build_dir.configure.log" 2>&1 || {
  cat "$build_dir.configure.log"; exit 1; }
cmake --build "$build_dir" -j "$(nproc)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-suppressions=$PWD/tests/tsan.supp halt_on_error=1}
skip=()
if [ "$sanitize" = thread ]; then
  # ThreadSanitizer runs every test that has threads to watch. It leaves out
  # the five whose cost is one thread's work on large inputs (100K-span
  # traces, the CLI scripts of export and end to end, which start no server
  # and no second process at a time): they run in the main and the
  # ASan/UBSan builds. Measured (tests' CPU, build-thread CTestCostData.txt):
  # 309 of 708 s.
  skip=(-E '^(cli_export|cli_end_to_end|BadInputCorpusTest\.(EveryCaseReportsItsExactErrorAndTheGoodLinesLand|TooManySpansAloneAndAfterMerging)|StoreTest\.VersionsThatMergePastTheLimitsAreRejected)$')
fi
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" "${skip[@]}"
