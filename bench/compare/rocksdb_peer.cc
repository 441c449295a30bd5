// Copyright sessionstore authors.
//
// The raw RocksDB peer: the same options and the same encoded bytes under
// the same keys as sessionstore's traces, with no aggregates or indexes:
// the floor. Ingest only; it answers none of the queries.

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bench/compare/peer.h"
#include "engine/format/keys.h"
#include "engine/format/trace_codec.h"
#include "engine/rocksdb_options.h"
#include "engine/trace_versions.h"

namespace sessionstore::bench {
namespace {

namespace fs = std::filesystem;

std::optional<Result> Run(const Args& a, const Workload& w) {
  Result r;
  r.peer = "raw RocksDB";
  const std::string dir = a.dir + "/rocksdb";
  fs::remove_all(dir);
  // The same encoded bytes under the same keys, prepared outside the timing.
  std::vector<std::pair<std::string, std::string>> kv;
  kv.reserve(w.versions.size());
  for (const Trace& v : w.versions) {
    Trace t = v;
    NormalizeTrace(&t);
    kv.emplace_back(TraceKey(SessionHash(t.session_id), t.session_id, t.start_ns, t.trace_id),
                    EncodeTrace(t, 1));
  }
  const PeakRss rss;
  Options options;
  if (a.background_jobs > 0) options.background_jobs = a.background_jobs;
  rocksdb::DBOptions dbo = MakeDBOptions(options);
  rocksdb::Options o(dbo, MakeTracesOptions(options, NewBlockCache(options.block_cache_bytes)));
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(o, dir, &raw).ok()) Die("open rocksdb");
  std::unique_ptr<rocksdb::DB> db(raw);
  const Meter m;
  rocksdb::WriteBatch wb;
  for (std::size_t i = 0; i < kv.size(); ++i) {
    wb.Put(kv[i].first, kv[i].second);
    if (wb.Count() == 1000 || i + 1 == kv.size()) {
      if (!db->Write(rocksdb::WriteOptions(), &wb).ok()) Die("rocksdb write");
      wb.Clear();
    }
  }
  RecordIngest(m.Read(), w.versions.size(), w.json_bytes, &r);
  rocksdb::FlushOptions fo;
  if (!db->Flush(fo).ok()) Die("flush");
  db.reset();
  RecordFootprint(rss, dir, w.versions.size(), &r);
  return r;
}

}  // namespace

Peer RocksdbPeer() { return {"rocksdb", &Run}; }

}  // namespace sessionstore::bench
