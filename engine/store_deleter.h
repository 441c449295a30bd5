// Copyright sessionstore authors.
//
// StoreDeleter: Store::DeleteSession, DeleteUser and DeleteTracesBefore.
// Each runs with ingest blocked (TraceWriter::BlockIngest) and the session
// indexes caught up, so no dirty marker of a touched session is pending
// while it replaces that session's index state. Each session is removed or
// trimmed in one atomic write: its traces by range deletion, their
// trace-id entries key by key, and either the aggregate and index state
// deleted or, for a session that keeps traces, both rewritten from the
// remaining traces (the same recomputation as Verify's).
//
// Thread safety: every method may be called concurrently with every other
// store method (deletes serialize among themselves and with ingest).

#ifndef SESSIONSTORE_ENGINE_STORE_DELETER_H_
#define SESSIONSTORE_ENGINE_STORE_DELETER_H_

#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "engine/session_indexer.h"
#include "engine/session_table.h"
#include "engine/store_context.h"
#include "engine/trace_writer.h"
#include "sessionstore/store.h"

namespace sessionstore {

class StoreDeleter {
 public:
  // Every argument must outlive the deleter.
  StoreDeleter(const StoreContext* context, TraceWriter* writer, SessionIndexer* indexer,
               const SessionTable* table)
      : ctx_(context), writer_(writer), indexer_(indexer), table_(table) {}

  // As the Store methods of the same names.
  Status DeleteSession(std::string_view session_id, DeleteResult* result);
  Status DeleteUser(std::string_view user_id, DeleteResult* result);
  Status DeleteTracesBefore(int64_t time_ns, DeleteResult* result);

 private:
  // Blocks ingest into *gate, catches the indexes up and loads the table.
  Status Begin(std::unique_lock<std::shared_mutex>* gate);
  // Deletes the traces of the session with this prefix that start before
  // `before_ns` (every trace for kMaxTime) and rewrites or deletes its
  // aggregate and index state, in one write.
  Status Trim(const std::string& prefix, int64_t before_ns, DeleteResult* result);
  // Deletes the trace stored under `key` (no session) and its trace-id
  // entry, in one write.
  Status DeleteLoneTrace(const std::string& key, std::string_view trace_id, DeleteResult* result);

  const StoreContext* const ctx_;
  TraceWriter* const writer_;
  SessionIndexer* const indexer_;
  const SessionTable* const table_;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_STORE_DELETER_H_
