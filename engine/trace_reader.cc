// Copyright sessionstore authors.

#include "engine/trace_reader.h"

#include <rocksdb/snapshot.h>

#include <utility>

#include "engine/format/keys.h"
#include "engine/format/trace_codec.h"
#include "engine/range_scan.h"
#include "engine/util/rocks_status.h"

namespace sessionstore {

namespace {
// DO NOT CHANGE: cursors handed to users carry it.
constexpr char kTimelineCursorTag = 'T';
}  // namespace

Status TraceReader::LocateTrace(const rocksdb::ReadOptions& ro, std::string_view trace_id,
                                std::string* key) const {
  std::string locator;
  rocksdb::Status rs = ctx_->db->Get(ro, ctx_->cf.trace_ids, trace_id, &locator);
  if (rs.IsNotFound()) return Status::NotFound("trace " + Printable(trace_id));
  if (!rs.ok()) return FromRocks(rs, "read trace id index");
  int64_t start = 0;
  std::string_view session;
  if (!DecodeLocator(locator, &start, &session)) {
    return Status::Corruption("trace id index entry of " + Printable(trace_id) + " is malformed");
  }
  *key = ctx_->TraceKeyOf(session, start, trace_id);
  return Status::OK();
}

Status TraceReader::GetTrace(std::string_view trace_id, Trace* trace) const {
  *trace = Trace();
  ReadSnapshot snapshot(*ctx_);
  const rocksdb::Snapshot* snap = snapshot.snapshot();
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  std::string key;
  std::string value;
  uint64_t version = 0;
  Status result = LocateTrace(ro, trace_id, &key);
  if (result.ok()) {
    rocksdb::Status rs = ctx_->db->Get(ro, ctx_->cf.traces, key, &value);
    if (rs.IsNotFound()) {
      result = Status::Corruption("trace " + Printable(trace_id) +
                                  " is indexed but its record is missing");
    } else if (!rs.ok()) {
      result = FromRocks(rs, "read trace " + Printable(trace_id));
    } else if (!DecodeTrace(value, trace, &version)) {
      result = Status::Corruption("record of trace " + Printable(trace_id) + " fails verification");
    }
  }
  return result;
}

Status TraceReader::Timeline(std::string_view session_id, const TimelineOptions& options,
                             TimelinePage* page) const {
  page->traces.clear();
  page->next_cursor.clear();
  if (session_id.empty()) return Status::InvalidArgument("session_id: must not be empty");
  if (options.from_ns >= options.to_ns) return Status::OK();
  const std::size_t limit = options.limit == 0 ? 100 : options.limit;
  const std::string prefix = ctx_->SessionPrefix(session_id);
  std::string lower = prefix, upper = prefix;
  PutTime(&lower, options.from_ns);
  PutTime(&upper, options.to_ns);
  // The cursor binds the session, window and direction.
  std::string binding(1, kTimelineCursorTag);
  binding.push_back(options.descending ? 'd' : 'a');
  PutFixed64BE(&binding, SessionHash(session_id));
  PutTime(&binding, options.from_ns);
  PutTime(&binding, options.to_ns);
  std::string resume_key;  // Last key of the previous page.
  if (!options.cursor.empty()) {
    std::string payload;
    if (!DecodeCursor(options.cursor, &payload) || payload.size() < binding.size() ||
        payload.compare(0, binding.size(), binding) != 0) {
      return Status::InvalidArgument("cursor: not a cursor of this session, window and order");
    }
    resume_key = prefix + payload.substr(binding.size());
  }

  RangeScan scan(ctx_->db, ctx_->cf.traces, rocksdb::ReadOptions(), std::move(lower),
                 std::move(upper), /*forward=*/!options.descending);
  std::string last_key;
  for (scan.Start(resume_key); scan.Valid(); scan.Next()) {
    if (page->traces.size() == limit) {
      page->next_cursor = EncodeCursor(binding + last_key.substr(prefix.size()));
      break;
    }
    Trace t;
    uint64_t version = 0;
    if (!DecodeTrace(scan.value(), &t, &version)) {
      return Status::Corruption("a trace of session " + Printable(session_id) +
                                " fails verification");
    }
    page->traces.push_back(std::move(t));
    last_key.assign(scan.key());
  }
  if (!scan.status().ok()) return FromRocks(scan.status(), "scan timeline");
  return Status::OK();
}

}  // namespace sessionstore
