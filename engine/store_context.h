// Copyright sessionstore authors.
//
// StoreContext: what every unit of an open store works through (the
// database, its named column families and the session-key hash), owned by
// StoreImpl and shared read-only with the writer, readers, list planner,
// indexer and verifier.
//
// Thread safety: immutable after Open; every member may be used from any
// thread (rocksdb::DB is thread-safe).

#ifndef SESSIONSTORE_ENGINE_STORE_CONTEXT_H_
#define SESSIONSTORE_ENGINE_STORE_CONTEXT_H_

#include <rocksdb/db.h>
#include <rocksdb/snapshot.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "engine/aggregate/session_merge_operator.h"
#include "engine/column_families.h"
#include "engine/format/keys.h"
#include "engine/summary_cache.h"

namespace sessionstore {

struct StoreContext {
  rocksdb::DB* db = nullptr;  // Not owned.
  // The database cannot change while it is open (a secondary instance,
  // Options::follow_writer, caught up once at open), and it has no
  // snapshots: reads take none (ReadSnapshot).
  bool static_view = false;
  ColumnFamilies cf;
  // The `sessions` family's merge operator (its fold counter); not owned.
  const SessionMergeOperator* merge_operator = nullptr;
  // Folded summaries of recently read sessions; not owned, never null once
  // the store is open. Writers that change a session invalidate it there.
  SummaryCache* summaries = nullptr;
  // Replaces SessionHash for the session key prefix (tests that force hash
  // collisions); null: SessionHash.
  std::function<uint64_t(std::string_view)> session_hash;

  // The hash of the session's key prefix.
  uint64_t HashOf(std::string_view session_id) const {
    return session_hash ? session_hash(session_id) : SessionHash(session_id);
  }
  // session_prefix (engine/format/keys.h) of the session.
  std::string SessionPrefix(std::string_view session_id) const {
    std::string p;
    PutSessionPrefix(&p, HashOf(session_id), session_id);
    return p;
  }
  // Key of the trace's record in `traces`.
  std::string TraceKeyOf(std::string_view session_id, int64_t start_ns,
                         std::string_view trace_id) const {
    return TraceKey(HashOf(session_id), session_id, start_ns, trace_id);
  }
};

// A snapshot for one consistent read, released with this object; none (a
// null snapshot: the latest state) where the database cannot change under
// the reader (StoreContext::static_view).
class ReadSnapshot {
 public:
  ReadSnapshot(rocksdb::DB* db, bool static_view) {
    if (!static_view) managed_.emplace(db);
  }
  explicit ReadSnapshot(const StoreContext& ctx) : ReadSnapshot(ctx.db, ctx.static_view) {}
  const rocksdb::Snapshot* snapshot() const { return managed_ ? managed_->snapshot() : nullptr; }

 private:
  mutable std::optional<rocksdb::ManagedSnapshot> managed_;  // snapshot() is not const.
};

// A ReadSnapshot taken at the first Get(), for reads that are rare and
// may see a later state than the work began with. A snapshot that lives
// long keeps every overwritten or deleted value written during its life
// (a dirty marker and its SingleDelete) from cancelling in a flush.
class LazyReadSnapshot {
 public:
  LazyReadSnapshot(rocksdb::DB* db, bool static_view) : db_(db), static_view_(static_view) {}
  const rocksdb::Snapshot* Get() {
    if (!taken_) taken_.emplace(db_, static_view_);
    return taken_->snapshot();
  }

 private:
  rocksdb::DB* const db_;
  const bool static_view_;
  std::optional<ReadSnapshot> taken_;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_STORE_CONTEXT_H_
