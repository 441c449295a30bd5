// Copyright sessionstore authors.
//
// The command line of bench/compare: the Args struct and ParseArgs.
//
// Options (all --name=value): traces, sessions, hot_traces (traces of the
// extra hot session measured while its merges are in the memtable), queries
// (samples per latency figure), dir (scratch directory), peers
// (comma-separated: sessionstore,rocksdb,sqlite,duckdb), seed, duckdb (path
// of libduckdb.so; scripts/install-duckdb.sh fetches it), writers
// (comma-separated writer thread counts for sessionstore's ingest; the first
// is measured in the table, default 1,2,4), index_interval_ms (the store's
// Options::index_interval_ms; default: the option's default), stream (1:
// generate the workload in chunks while ingesting instead of holding it in
// memory, for runs larger than RAM; sessionstore with one writer and
// SQLite only, and only their inserts (sessionstore: the Ingest calls and
// the final index catch-up) are timed),
// window_hours (the window of the cost-sorted listing, ending at the last
// trace; default 24; the figure keeps its "24h" name), summary_cache_mb
// (the store's Options::summary_cache_bytes in MiB, 0 turns the cache off;
// default: the option's default), background_jobs (the store's
// Options::background_jobs, also given to the raw RocksDB peer; default:
// the option's default), compacted (1: before the queries, each peer
// brings what it wrote to its compacted form, untimed: sessionstore
// Store::Compact, SQLite a log checkpoint, VACUUM and ANALYZE, DuckDB
// CHECKPOINT; the reads then measure a store at rest instead of one right
// after ingest).

#ifndef SESSIONSTORE_BENCH_COMPARE_ARGS_H_
#define SESSIONSTORE_BENCH_COMPARE_ARGS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sessionstore::bench {

struct Args {
  std::size_t traces = 1'000'000;
  std::size_t sessions = 100'000;
  std::size_t hot_traces = 100'000;
  std::size_t queries = 2000;
  uint64_t seed = 42;
  std::string dir = "/tmp/sessionstore-compare";
  // Peers to run, selected by name (a peer runs when this contains its
  // name); main sets the default to every registered peer, in order.
  std::string peers;
  std::string duckdb = SESSIONSTORE_SOURCE_DIR "/.deps/duckdb/libduckdb.so";
  std::vector<int> writers = {1, 2, 4};  // The first is the one in the table.
  int index_interval_ms = -1;            // -1: Options' default.
  int64_t summary_cache_mb = -1;         // -1: Options' default.
  int background_jobs = -1;              // -1: Options' default.
  // Generate the workload in chunks while ingesting instead of holding it
  // in memory (for runs too large for RAM): sessionstore only, one writer.
  bool stream = false;
  int64_t window_hours = 24;  // Window of the cost-sorted listing.
  bool compacted = false;     // Compact before the queries (untimed).
};

// Parses argv into `a` (whose fields hold the defaults); false on an
// unknown option, a malformed value or an argument not of the form
// --name=value.
bool ParseArgs(int argc, char** argv, Args* a);

// The usage line, listing `peers` as the --peers example.
std::string Usage(const std::string& peers);

}  // namespace sessionstore::bench

#endif  // SESSIONSTORE_BENCH_COMPARE_ARGS_H_
