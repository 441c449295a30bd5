// Copyright sessionstore authors.
//
// TraceReader: one trace by id (through the trace id locator) and a
// session's timeline (a bounded prefix scan of `traces`, cursor-paginated).
//
// Thread safety: every method may be called concurrently.

#ifndef SESSIONSTORE_ENGINE_TRACE_READER_H_
#define SESSIONSTORE_ENGINE_TRACE_READER_H_

#include <string>
#include <string_view>

#include "engine/store_context.h"
#include "sessionstore/store.h"

namespace sessionstore {

class TraceReader {
 public:
  // `context` must outlive the reader.
  explicit TraceReader(const StoreContext* context) : ctx_(context) {}

  // As Store::GetTrace.
  Status GetTrace(std::string_view trace_id, Trace* trace) const;
  // As Store::Timeline.
  Status Timeline(std::string_view session_id, const TimelineOptions& options,
                  TimelinePage* page) const;
  // The key of the trace's record in `traces`, through its locator.
  // NotFound when no trace has this id.
  Status LocateTrace(const rocksdb::ReadOptions& ro, std::string_view trace_id,
                     std::string* key) const;

 private:
  const StoreContext* const ctx_;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_TRACE_READER_H_
