// Copyright sessionstore authors.

#include "engine/session_list_planner.h"

#include <rocksdb/snapshot.h>

#include <utility>

#include "engine/format/keys.h"
#include "engine/range_scan.h"
#include "engine/util/coding.h"
#include "engine/util/rocks_status.h"

namespace sessionstore {

namespace {

// DO NOT CHANGE: cursors handed to users carry it. Format 4's cursors
// ('L', whose positions were index keys) are refused as foreign.
constexpr char kListCursorTag = 'M';

char OrderByte(SessionOrder order) {
  switch (order) {
    case SessionOrder::kLastActivity:
      return kOrderLast;
    case SessionOrder::kFirstActivity:
      return kOrderFirst;
    case SessionOrder::kCost:
      return kOrderCost;
    case SessionOrder::kTotalTokens:
      return kOrderTokens;
    case SessionOrder::kTraceCount:
      return kOrderTraces;
    case SessionOrder::kDuration:
      return kOrderDuration;
  }
  return 0;
}

// The cursor's binding: what a cursor is valid for.
std::string Binding(const ListSessionsOptions& options, char order) {
  std::string binding{kListCursorTag, order, options.descending ? 'd' : 'a'};
  PutTime(&binding, options.from_ns);
  PutTime(&binding, options.to_ns);
  PutFixed64BE(&binding, SessionHash(options.user_id));
  binding.push_back(options.user_id.empty() ? '0' : '1');
  return binding;
}

// Checks the cursor against `binding` and decodes its resume position
// (fixed64-BE(inv) session_prefix) into *resume; *has_resume is false for
// the first page.
Status ResumeOf(const ListSessionsOptions& options, const std::string& binding,
                ListPosition* resume, bool* has_resume) {
  *has_resume = false;
  if (options.cursor.empty()) return Status::OK();
  std::string payload;
  std::string_view rest;
  uint64_t hash = 0;
  std::string_view id;
  if (!DecodeCursor(options.cursor, &payload) || payload.size() < binding.size() + 8 ||
      payload.compare(0, binding.size(), binding) != 0) {
    return Status::InvalidArgument(
        "cursor: not a cursor of this window, user filter, order and direction");
  }
  rest = std::string_view(payload).substr(binding.size());
  if (!GetFixed64BE(&rest, &resume->inv)) return Status::InvalidArgument("cursor: malformed");
  resume->prefix = std::string(rest);
  if (!GetSessionPrefix(&rest, &hash, &id) || !rest.empty()) {
    return Status::InvalidArgument("cursor: malformed");
  }
  *has_resume = true;
  return Status::OK();
}

}  // namespace

Status SessionListPlanner::List(const ListSessionsOptions& options, SessionPage* page) const {
  page->sessions.clear();
  page->next_cursor.clear();
  const char order = OrderByte(options.order);
  if (order == 0) return Status::InvalidArgument("order: not a SessionOrder value");
  if (options.from_ns >= options.to_ns) return Status::OK();
  const std::size_t limit = options.limit == 0 ? 50 : options.limit;
  const std::string binding = Binding(options, order);
  ListPosition resume;
  bool has_resume = false;
  Status s = ResumeOf(options, binding, &resume, &has_resume);
  if (!s.ok()) return s;
  if (!read_only_) {
    s = indexer_->CatchUp();  // Read-your-writes.
    if (!s.ok()) return s;
  }
  s = indexer_->LoadTable();
  if (!s.ok()) return s;
  TableQuery q;
  q.order = order;
  q.descending = options.descending;
  q.from_ns = options.from_ns;
  q.to_ns = options.to_ns;
  q.has_from = options.from_ns != kMinTime;
  q.user_id = options.user_id;
  q.resume = has_resume ? &resume : nullptr;
  q.want = limit + 1;  // limit + 1 decide the page and whether a next one exists.
  std::vector<ListPosition> positions = table_->Select(q);
  if (positions.size() > limit) {
    std::string payload = binding;
    PutFixed64BE(&payload, positions[limit - 1].inv);
    payload += positions[limit - 1].prefix;
    page->next_cursor = EncodeCursor(payload);
    positions.resize(limit);
  }
  ReadSnapshot snapshot(*ctx_);
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  s = ReadRows(ro, positions, page);
  if (!s.ok()) {
    page->sessions.clear();
    page->next_cursor.clear();
  }
  return s;
}

Status SessionListPlanner::ReadRows(const rocksdb::ReadOptions& ro,
                                    const std::vector<ListPosition>& positions,
                                    SessionPage* page) const {
  std::vector<rocksdb::Slice> keys;
  keys.reserve(positions.size());
  for (const ListPosition& p : positions) keys.emplace_back(p.prefix);
  const BatchGet got(ctx_->db, ro, ctx_->cf.sessions, keys);
  for (std::size_t i = 0; i < positions.size(); ++i) {
    std::string_view p = positions[i].prefix;
    uint64_t hash = 0;
    std::string_view id;
    if (!GetSessionPrefix(&p, &hash, &id)) {
      return Status::Corruption("session index: malformed session prefix");
    }
    SessionSummary summary;
    Status s = reader_->FromValue(ro, positions[i].prefix, id, got.statuses[i],
                                  got.values[i].ToStringView(), &summary, nullptr);
    if (s.IsNotFound()) continue;  // Gone since it was indexed.
    if (!s.ok()) return s;
    page->sessions.push_back(std::move(summary));
  }
  return Status::OK();
}

}  // namespace sessionstore
