// Copyright sessionstore authors.

#include "bench/compare/args.h"

#include <string>
#include <vector>

namespace sessionstore::bench {
namespace {

// Comma-separated writer thread counts, each 1 to 64. May throw from
// std::stoi on a malformed number.
bool ParseWriters(const std::string& value, std::vector<int>* writers) {
  writers->clear();
  std::size_t pos = 0;
  while (pos <= value.size()) {
    std::size_t comma = value.find(',', pos);
    if (comma == std::string::npos) comma = value.size();
    const int n = std::stoi(value.substr(pos, comma - pos));
    if (n < 1 || n > 64) return false;
    writers->push_back(n);
    pos = comma + 1;
  }
  return !writers->empty();
}

}  // namespace

bool ParseArgs(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    const auto eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos) return false;
    const std::string key = arg.substr(2, eq - 2);
    const std::string value = arg.substr(eq + 1);
    try {
      if (key == "traces")
        a->traces = std::stoull(value);
      else if (key == "sessions")
        a->sessions = std::stoull(value);
      else if (key == "hot_traces")
        a->hot_traces = std::stoull(value);
      else if (key == "queries")
        a->queries = std::stoull(value);
      else if (key == "seed")
        a->seed = std::stoull(value);
      else if (key == "dir")
        a->dir = value;
      else if (key == "peers")
        a->peers = value;
      else if (key == "duckdb")
        a->duckdb = value;
      else if (key == "window_hours")
        a->window_hours = std::stoll(value);
      else if (key == "stream")
        a->stream = value == "1" || value == "true";
      else if (key == "compacted")
        a->compacted = value == "1" || value == "true";
      else if (key == "index_interval_ms")
        a->index_interval_ms = std::stoi(value);
      else if (key == "summary_cache_mb")
        a->summary_cache_mb = std::stoll(value);
      else if (key == "background_jobs")
        a->background_jobs = std::stoi(value);
      else if (key == "writers") {
        if (!ParseWriters(value, &a->writers)) return false;
      } else
        return false;
    } catch (...) {
      return false;
    }
  }
  return true;
}

std::string Usage(const std::string& peers) {
  return "usage: compare [--traces=N] [--sessions=N] [--hot_traces=N] [--queries=N] "
         "[--seed=S] [--dir=DIR] [--peers=" +
         peers +
         "] "
         "[--duckdb=PATH/libduckdb.so] [--writers=1,2,4] [--index_interval_ms=N] "
         "[--stream=1] [--window_hours=24] [--summary_cache_mb=N] [--background_jobs=N] "
         "[--compacted=1]\n";
}

}  // namespace sessionstore::bench
