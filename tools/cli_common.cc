// Copyright sessionstore authors.

#include "tools/cli_common.h"

#include <cstdint>
#include <iostream>
#include <string>
#include <utility>

namespace sessionstore::cli {

int Fail(const Status& s) {
  std::cerr << "sessionstore: " << s.ToString() << "\n";
  return s.IsNotFound() ? kExitRejected : kExitError;
}

OpenFlags g_open_flags;

Status OpenWithWarning(const Options& options, const std::string& dir,
                       std::unique_ptr<Store>* store) {
  WalRecoveryReport dropped;
  Status s = Store::Open(options, dir, store, &dropped);
  if (s.ok() && dropped.bytes_dropped > 0) {
    std::cerr << "sessionstore: warning: opening " << dir << " dropped " << dropped.records_dropped
              << " write-ahead log record" << (dropped.records_dropped == 1 ? "" : "s") << " ("
              << dropped.bytes_dropped
              << " bytes) that could not be replayed: a write torn by a crash (never "
                 "acknowledged) or, with --recover, every write after the damage\n";
    for (const std::string& line : dropped.details) std::cerr << "  " << line << "\n";
  }
  return s;
}

Status OpenStore(const std::string& dir, bool read_only, std::unique_ptr<Store>* store) {
  return OpenStore(dir, read_only, store, Options().block_cache_bytes);
}

Status OpenStore(const std::string& dir, bool read_only, std::unique_ptr<Store>* store,
                 std::size_t block_cache_bytes) {
  Options options;
  options.block_cache_bytes = block_cache_bytes;
  options.read_only = read_only;
  options.create_if_missing = false;  // Only ingest creates a store.
  options.recover_damaged_wal = g_open_flags.recover;
  if (!read_only) options.retention_ns = g_open_flags.retention_ns;
  options.follow_writer = read_only && g_open_flags.follow_writer;
  if (g_open_flags.background_jobs > 0) options.background_jobs = g_open_flags.background_jobs;
  return OpenWithWarning(options, dir, store);
}

bool ParseDuration(const std::string& text, int64_t* ns) {
  static const std::pair<const char*, int64_t> kUnits[] = {{"ms", 1'000'000},
                                                           {"s", 1'000'000'000},
                                                           {"m", 60'000'000'000},
                                                           {"h", 3'600'000'000'000},
                                                           {"d", 86'400'000'000'000}};
  std::size_t used = 0;
  long long n = 0;
  try {
    n = std::stoll(text, &used);
  } catch (...) {
    return false;
  }
  if (n <= 0 || text[0] == '+' || text[0] == ' ') return false;
  const std::string unit = text.substr(used);
  if (unit.empty()) {
    *ns = n;
    return true;
  }
  for (const auto& [name, scale] : kUnits) {
    if (unit != name) continue;
    if (n > INT64_MAX / scale) return false;
    *ns = n * scale;
    return true;
  }
  return false;
}

}  // namespace sessionstore::cli
