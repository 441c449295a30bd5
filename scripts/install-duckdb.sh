#!/usr/bin/env bash
# Fetches DuckDB's shared library (C API) for the benchmark's query-time
# GROUP BY peer, from the npm package @duckdb/node-bindings-linux-x64, into
# .deps/duckdb/libduckdb.so (not committed). Only bench/compare uses it.
set -euo pipefail
cd "$(dirname "$0")/.."
version=1.5.6-r.1
dest=.deps/duckdb
if [ -f "$dest/libduckdb.so" ]; then
  echo "install-duckdb: $dest/libduckdb.so present"
  exit 0
fi
command -v npm > /dev/null || { echo "install-duckdb: npm is required" >&2; exit 1; }
tmp=$(mktemp -d)
(cd "$tmp" && npm pack --silent "@duckdb/node-bindings-linux-x64@$version" > /dev/null)
mkdir -p "$dest"
tar -xzf "$tmp"/*.tgz -C "$tmp"
cp "$tmp/package/libduckdb.so" "$tmp/package/LICENSE" "$dest/"
rm -rf "$tmp"
echo "install-duckdb: installed $dest/libduckdb.so ($version)"
