// Copyright sessionstore authors.
//
// One workload, every peer, one run: ingest and query figures of
// sessionstore side by side with raw RocksDB (same options, same encoded
// bytes, no aggregates or indexes: the floor) and SQLite laid out the way
// Phoenix embeds it (WAL, synchronous=NORMAL, transactions of 1000, traces
// and spans tables, a sessions table upserted per trace). Prints a table
// with each figure and the ratio of sessionstore to each peer.
//
//   build-release/bench/compare --traces=1000000 --sessions=100000
//
// The options are documented in args.h; the peers, one a file, are
// registered in peer.h.

#include <dlfcn.h>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench/compare/args.h"
#include "bench/compare/harness.h"
#include "bench/compare/peer.h"
#include "bench/compare/workload.h"

namespace sessionstore::bench {
namespace {

// The registered peers' names, comma-separated, in order.
std::string PeerNames() {
  std::string names;
  for (const Peer& p : AllPeers()) {
    if (!names.empty()) names += ",";
    names += p.name;
  }
  return names;
}

// The process's allocator, which every peer shares: sessionstore's ingest
// allocates per trace (strings and maps of the Trace it is given and of its
// session deltas), and measured 1.3-1.4x faster with jemalloc than with
// glibc's malloc in the same run (bench/README.md, "Allocator").
const char* AllocatorName() {
  return dlsym(RTLD_DEFAULT, "mallctl") != nullptr ? "jemalloc" : "the C library's malloc";
}

int Main(int argc, char** argv) {
  Args a;
  a.peers = PeerNames();
  if (!ParseArgs(argc, argv, &a)) {
    std::fputs(Usage(PeerNames()).c_str(), stderr);
    return 2;
  }
  if (a.stream) {
    // The peers that generate their input again in chunks.
    bool streamable = a.writers.size() == 1 && a.writers[0] == 1;
    for (const Peer& p : AllPeers()) {
      const std::string name = p.name;
      if (a.peers.find(name) != std::string::npos && name != "sessionstore" && name != "sqlite")
        streamable = false;
    }
    if (!streamable) {
      std::fprintf(stderr, "compare: --stream=1 needs --peers=sessionstore,sqlite (or one of "
                           "them) --writers=1\n");
      return 2;
    }
  }
  std::filesystem::create_directories(a.dir);
  const auto g0 = Clock::now();
  const Workload w = MakeWorkload(a);
  std::printf(
      "workload: %zu trace versions (%zu distinct traces, %zu sessions, biggest %s), %.1f MB "
      "of JSON Lines, generated in %.1fs\n",
      w.version_count, a.traces, w.sessions.size(), w.biggest_session.c_str(), w.json_bytes / 1e6,
      Seconds(g0, Clock::now()));
  std::printf("allocator: %s (LD_PRELOAD=libjemalloc.so.2 runs every peer with jemalloc)\n",
              AllocatorName());
  std::vector<Result> results;
  for (const Peer& p : AllPeers()) {
    if (a.peers.find(p.name) == std::string::npos) continue;
    if (std::optional<Result> r = p.run(a, w)) results.push_back(std::move(*r));
  }
  Report(results);
  return 0;
}

}  // namespace
}  // namespace sessionstore::bench

int main(int argc, char** argv) { return sessionstore::bench::Main(argc, argv); }
