// Copyright sessionstore authors.

#include "engine/session_list_planner.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "engine/format/keys.h"
#include "engine/util/case_fold.h"
#include "engine/util/coding.h"

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
    case SessionOrder::kErrorCount:
      return kOrderErrors;
  }
  return 0;
}

void PutRange(std::string* dst, const Int64Range& r) {
  PutTime(dst, r.min);
  PutTime(dst, r.max);
}

// The filters in one canonical string (tags sorted and distinct), of which
// cursors carry a hash.
std::string FilterKey(const ListSessionsOptions& o) {
  std::string key;
  PutLengthPrefixed(&key, o.search);
  std::vector<std::string> tags(o.tags);
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  PutVarint32(&key, static_cast<uint32_t>(tags.size()));
  for (const std::string& t : tags) PutLengthPrefixed(&key, t);
  PutLengthPrefixed(&key, o.model);
  key.push_back(o.errors_only ? '1' : '0');
  for (const Int64Range* r : {&o.cost_nano_usd, &o.total_tokens, &o.trace_count, &o.duration_ns}) {
    PutRange(&key, *r);
  }
  return key;
}

// The cursor's binding: what a cursor is valid for.
std::string Binding(const ListSessionsOptions& options, char order) {
  std::string binding{kListCursorTag, order, options.descending ? 'd' : 'a'};
  PutTime(&binding, options.from_ns);
  PutTime(&binding, options.to_ns);
  PutFixed64BE(&binding, SessionHash(options.user_id));
  binding.push_back(options.user_id.empty() ? '0' : '1');
  PutFixed64BE(&binding, SessionHash(FilterKey(options)));
  return binding;
}

Status CheckRanges(const ListSessionsOptions& o) {
  const std::pair<const char*, const Int64Range*> ranges[] = {{"cost_nano_usd", &o.cost_nano_usd},
                                                              {"total_tokens", &o.total_tokens},
                                                              {"trace_count", &o.trace_count},
                                                              {"duration_ns", &o.duration_ns}};
  for (const auto& [name, r] : ranges) {
    if (r->min > r->max) {
      return Status::InvalidArgument(std::string(name) + ": range minimum " +
                                     std::to_string(r->min) + " is above its maximum " +
                                     std::to_string(r->max));
    }
  }
  return Status::OK();
}

TableFilter MakeTableFilter(const ListSessionsOptions& o) {
  TableFilter f;
  f.folded_search = FoldCase(o.search);
  f.tags = o.tags;
  f.model = o.model;
  f.errors_only = o.errors_only;
  f.min_cost = o.cost_nano_usd.min;
  f.max_cost = o.cost_nano_usd.max;
  f.min_tokens = o.total_tokens.min;
  f.max_tokens = o.total_tokens.max;
  f.min_traces = o.trace_count.min;
  f.max_traces = o.trace_count.max;
  f.min_duration = o.duration_ns.min;
  f.max_duration = o.duration_ns.max;
  return f;
}

bool HasFilter(const ListSessionsOptions& o) {
  return !o.search.empty() || !o.tags.empty() || !o.model.empty() || o.errors_only ||
         !o.cost_nano_usd.IsOpen() || !o.total_tokens.IsOpen() || !o.trace_count.IsOpen() ||
         !o.duration_ns.IsOpen();
}

}  // namespace

bool SessionMatches(const SessionSummary& s, const ListSessionsOptions& o,
                    const std::string& folded_search) {
  if (!(s.first_trace_at_ns < o.to_ns && s.last_trace_at_ns >= o.from_ns)) return false;
  if (!o.user_id.empty() && s.user_id != o.user_id) return false;
  if ((o.errors_only && s.error_count <= 0) || !o.cost_nano_usd.Contains(s.cost_nano_usd) ||
      !o.total_tokens.Contains(s.total_tokens) || !o.trace_count.Contains(s.trace_count) ||
      !o.duration_ns.Contains(s.duration_ns)) {
    return false;
  }
  if (!o.model.empty() && s.models.count(o.model) == 0) return false;
  for (const std::string& t : o.tags) {
    if (s.tags.count(t) == 0) return false;
  }
  return folded_search.empty() || FindFolded(s.session_id, folded_search) ||
         FindFolded(s.session_name, folded_search);
}

namespace {

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
  // The page's previous rows become this page's rows (ReadRows): a caller
  // that lists into the same page again gets rows copied from the summary
  // cache into strings and maps that already have room.
  std::vector<SessionSummary> reuse;
  reuse.swap(page->sessions);
  page->next_cursor.clear();
  const char order = OrderByte(options.order);
  if (order == 0) return Status::InvalidArgument("order: not a SessionOrder value");
  Status s = CheckRanges(options);
  if (!s.ok()) return s;
  if (options.from_ns >= options.to_ns) return Status::OK();
  const std::size_t limit = options.limit == 0 ? 50 : options.limit;
  const std::string binding = Binding(options, order);
  ListPosition resume;
  bool has_resume = false;
  s = ResumeOf(options, binding, &resume, &has_resume);
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
  const TableFilter filter = MakeTableFilter(options);
  q.filter = HasFilter(options) ? &filter : nullptr;
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
  s = ReadRows(positions, options, filter.folded_search, &reuse, page);
  if (!s.ok()) {
    page->sessions.clear();
    page->next_cursor.clear();
  }
  return s;
}

Status SessionListPlanner::ReadRows(const std::vector<ListPosition>& positions,
                                    const ListSessionsOptions& options,
                                    const std::string& folded_search,
                                    std::vector<SessionSummary>* reuse, SessionPage* page) const {
  // Rows from the summary cache; the rest (misses) from one
  // SessionReader::ReadMany under one snapshot, with tickets taken before it
  // (SummaryCache::Insert). A hit is a
  // copy assignment into a reused row, which keeps the row's buffers
  // (glibc's malloc serves the previews, over 1 KB, slowly in a large
  // heap: a cached page of 50 rows 120-160 us against 16 us with jemalloc;
  // bench/README.md, "Cache admission, operand slices, the aggregates'
  // memtable").
  SummaryCache* cache = ctx_->summaries;
  std::vector<SessionSummary>& rows = *reuse;
  rows.resize(positions.size());
  std::vector<bool> found(positions.size(), false);
  std::vector<std::size_t> misses;
  std::vector<uint64_t> tickets;
  for (std::size_t i = 0; i < positions.size(); ++i) {
    if (cache->Lookup(positions[i].prefix, &rows[i])) {
      found[i] = true;
      continue;
    }
    misses.push_back(i);
    tickets.push_back(cache->Ticket(positions[i].prefix));
  }
  if (!misses.empty()) {
    // The deltas a catch-up has not folded yet, with the snapshot of the
    // stored aggregates they follow.
    std::vector<std::string_view> prefixes;
    prefixes.reserve(misses.size());
    for (std::size_t i : misses) prefixes.push_back(positions[i].prefix);
    std::vector<std::vector<SessionDelta>> pending;
    std::optional<ReadSnapshot> snapshot;
    indexer_->PendingFor(prefixes, &pending, [&] { snapshot.emplace(*ctx_); });
    std::vector<std::string_view> ids(misses.size());
    std::vector<SessionSummary*> out(misses.size());
    for (std::size_t j = 0; j < misses.size(); ++j) {
      std::string_view p = positions[misses[j]].prefix;
      uint64_t hash = 0;
      if (!GetSessionPrefix(&p, &hash, &ids[j])) {
        return Status::Corruption("session index: malformed session prefix");
      }
      out[j] = &rows[misses[j]];
    }
    std::vector<Status> statuses;
    reader_->ReadMany(snapshot->snapshot(), ids, pending, out, &statuses);
    for (std::size_t j = 0; j < misses.size(); ++j) {
      const Status& s = statuses[j];
      if (s.IsNotFound()) continue;  // Gone since it was indexed.
      if (!s.ok()) return s;
      cache->Insert(positions[misses[j]].prefix, tickets[j], rows[misses[j]]);
      found[misses[j]] = true;
    }
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < positions.size(); ++i) {
    // Changed since it was indexed (ingest goes on): the page never holds
    // a session that does not match as read.
    if (!found[i] || !SessionMatches(rows[i], options, folded_search)) continue;
    if (kept != i) std::swap(rows[kept], rows[i]);
    ++kept;
  }
  rows.resize(kept);
  page->sessions.swap(rows);
  return Status::OK();
}

}  // namespace sessionstore
