// Copyright sessionstore authors.
//
// The peer interface of bench/compare and the registry of peers. A peer is
// one file, <name>_peer.cc, defining a function that returns its Peer; it is
// registered by declaring that function below and adding it to AllPeers()
// (and the file to bench/CMakeLists.txt).

#ifndef SESSIONSTORE_BENCH_COMPARE_PEER_H_
#define SESSIONSTORE_BENCH_COMPARE_PEER_H_

#include <optional>
#include <vector>

#include "bench/compare/args.h"
#include "bench/compare/harness.h"
#include "bench/compare/workload.h"

namespace sessionstore::bench {

struct Peer {
  // What --peers names it by: the peer runs when --peers contains it.
  const char* name;
  // Ingests and queries the workload in a fresh directory under a.dir and
  // returns its figures; nullopt when the peer cannot run here (it says
  // why), which leaves it out of the table.
  std::optional<Result> (*run)(const Args& a, const Workload& w);
};

Peer SessionstorePeer();  // sessionstore_peer.cc
Peer RocksdbPeer();       // rocksdb_peer.cc
Peer SqlitePeer();        // sqlite_peer.cc
Peer DuckdbPeer();        // duckdb_peer.cc

// Every peer, in the order they run and print; the first is the one the
// table's ratios are of.
inline std::vector<Peer> AllPeers() {
  return {SessionstorePeer(), RocksdbPeer(), SqlitePeer(), DuckdbPeer()};
}

}  // namespace sessionstore::bench

#endif  // SESSIONSTORE_BENCH_COMPARE_PEER_H_
