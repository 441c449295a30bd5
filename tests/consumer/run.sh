#!/usr/bin/env bash
# Installs the built sessionstore into a scratch prefix, builds the consumer
# project against it with find_package(sessionstore), and runs it.
# Usage: run.sh <sessionstore-build-dir> <scratch-dir>
set -euo pipefail
build=$1
work=$2
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
cmake -S "$here" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release > "$work/configure.log"
cmake --build "$work/build" > "$work/build.log"
"$work/build/consumer" "$work/db"
echo "consumer: 1 passed, 0 failed"
