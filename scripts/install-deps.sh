#!/usr/bin/env bash
# Installs the Debian 12 packages sessionstore needs to build, test and
# benchmark. Safe to run repeatedly: it installs only what is missing.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config
  librocksdb-dev libflatbuffers-dev flatbuffers-compiler
  libxxhash-dev libsimdjson-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libsqlite3-dev
  libcpp-httplib-dev zlib1g-dev libssl-dev libbrotli-dev curl openssl
  libprotobuf-dev protobuf-compiler
  libjemalloc-dev time
  clang libclang-rt-14-dev
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
