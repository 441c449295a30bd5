// Copyright sessionstore authors.
//
// StoreImpl: the RocksDB-backed implementation of Store. Column families and
// key layout: engine/coding.h and docs/format.md.
//
// Thread safety: as Store (every method may be called concurrently).

#ifndef SESSIONSTORE_ENGINE_STORE_IMPL_H_
#define SESSIONSTORE_ENGINE_STORE_IMPL_H_

#include <rocksdb/db.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "engine/session_delta.h"
#include "engine/session_indexer.h"
#include "engine/session_merge_operator.h"
#include "engine/trace_lock_table.h"
#include "sessionstore/store.h"

namespace sessionstore {

// Engine-internal knobs that are not part of the public Options.
struct InternalOptions {
  // Replaces SessionHash for the session key prefix. Only for tests that
  // force hash collisions; a store must always be opened with the same one.
  std::function<uint64_t(std::string_view)> TEST_session_hash;
  // Environment for RocksDB (fault-injection tests); null: the default.
  // Not owned; must outlive the store.
  rocksdb::Env* TEST_env = nullptr;
  // Closing skips the session indexes' final catch-up, as a crash would.
  bool TEST_skip_index_catch_up_on_close = false;
  // ListSessions sorted by a metric over a window with a lower bound runs
  // two plans in lockstep (ListSessions in store_impl.cc). 0: both, the
  // first to finish answers; 1: only collecting the window's sessions; 2:
  // only walking the metric's index.
  int TEST_list_window_plans = 0;
};

class StoreImpl final : public Store {
 public:
  static Status Open(const Options& options, const std::string& path,
                     const InternalOptions& internal, std::unique_ptr<Store>* store);
  ~StoreImpl() override;

  Status Ingest(const std::vector<Trace>& traces, IngestResult* result) override;
  Status GetSession(std::string_view session_id, SessionSummary* summary) override;
  Status GetTrace(std::string_view trace_id, Trace* trace) override;
  Status Timeline(std::string_view session_id, const TimelineOptions& options,
                  TimelinePage* page) override;
  Status ListSessions(const ListSessionsOptions& options, SessionPage* page) override;
  Status GetStats(StoreStats* stats) override;
  Status Verify(VerifyReport* report) override;
  Status Flush() override;

  // Number of unmerged entries (operands plus a base value) RocksDB holds for
  // the session's aggregate: what a read of it has to fold.
  Status TEST_AggregateOperandCount(std::string_view session_id, int* count);
  // Sessions changed since the last catch-up of the session indexes.
  std::size_t TEST_PendingIndexSessions() const { return indexer_->pending(); }
  // Overwrites the stored record of a trace with `bytes` (corruption tests).
  Status TEST_OverwriteTraceRecord(std::string_view trace_id, std::string_view bytes);

 private:
  StoreImpl(const Options& options, const InternalOptions& internal);

  // Ingest without the error-path cleanup of *result.
  Status IngestBatch(const std::vector<Trace>& traces, IngestResult* result);
  uint64_t HashOf(std::string_view session_id) const;
  std::string SessionPrefix(std::string_view session_id) const;
  // Reads the session summary as of `snapshot` (may be null). If
  // `last_trace_id` is given, sets it to the id of the session's latest trace.
  Status ReadSession(const rocksdb::Snapshot* snapshot, std::string_view session_id,
                     SessionSummary* summary, std::string* last_trace_id = nullptr);
  // ReadSession's second half: builds the summary from the aggregate's read
  // status and value (both from `ro.snapshot`).
  Status SessionFromValue(const rocksdb::ReadOptions& ro, const std::string& prefix,
                          std::string_view session_id, const rocksdb::Status& rs,
                          std::string_view value, SessionSummary* summary,
                          std::string* last_trace_id);
  // Fills the requested latest-trace fields from the stored traces: `last`
  // (last_trace_at, last_output), `user`, `name`; with `user` and a
  // `user_register`, also the latest user's trace as an exact register
  // (empty when no trace has a user). The fallback when the
  // aggregate's latest registers are not exact: a scan of the session's
  // traces from the newest until each requested field is found.
  Status ReadLatestFields(const rocksdb::ReadOptions& ro, const std::string& prefix, bool last,
                          bool user, bool name, SessionSummary* summary, std::string* last_trace_id,
                          LatestRegister* user_register = nullptr);
  // The SessionIndexer's reader, for sessions whose composed index state
  // has unsure latest registers: each session's index state (sorted,
  // distinct prefixes) as of `snapshot`, from one MultiGet of aggregates,
  // with exact registers (from the stored traces where the aggregate's are
  // unsure).
  void ReadIndexRows(const rocksdb::Snapshot* snapshot,
                     const std::vector<std::string_view>& session_prefixes,
                     std::vector<SessionIndexer::Row>* rows);
  // Verify's check of one session's index entries against its recomputed
  // aggregate, as of ro.snapshot.
  void VerifySessionIndex(const rocksdb::ReadOptions& ro, const std::string& prefix,
                          const std::string& name, const SessionDelta& recomputed,
                          VerifyReport* report);
  // Verify's scan of the `index` family for entries without a session or
  // that disagree with the session's indexed state.
  Status VerifyIndexEntries(const rocksdb::ReadOptions& ro,
                            const std::unordered_set<std::string>& sessions, VerifyReport* report);

  const Options options_;
  const InternalOptions internal_;
  std::shared_ptr<SessionMergeOperator> merge_operator_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* traces_ = nullptr;
  rocksdb::ColumnFamilyHandle* trace_ids_ = nullptr;
  rocksdb::ColumnFamilyHandle* sessions_ = nullptr;
  rocksdb::ColumnFamilyHandle* index_ = nullptr;
  rocksdb::ColumnFamilyHandle* dirty_ = nullptr;
  std::unique_ptr<SessionIndexer> indexer_;  // Destroyed before db_.
  TraceLockTable trace_locks_;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_STORE_IMPL_H_
