// Copyright sessionstore authors.

#include "engine/content_search.h"

#include <rocksdb/db.h>

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "engine/format/keys.h"
#include "engine/format/trace_codec.h"
#include "engine/range_scan.h"
#include "engine/util/case_fold.h"
#include "engine/util/coding.h"
#include "engine/util/rocks_status.h"

namespace sessionstore {

namespace {

// DO NOT CHANGE: cursors handed to users carry it.
constexpr char kSearchCursorTag = 'S';
constexpr std::size_t kDefaultLimit = 20;

// The result order: a before b when a is newer (start, then trace id).
bool Newer(const SearchHit& a, const SearchHit& b) {
  return a.start_ns != b.start_ns ? a.start_ns > b.start_ns : a.trace_id > b.trace_id;
}

// One query: its text, filters, cursor position and the hits so far.
struct Query {
  std::string folded_text;  // FoldCase(text), once per search.
  const SearchOptions* options = nullptr;
  std::size_t limit = kDefaultLimit;
  std::string binding;  // Cursor prefix: tag and a hash of what the cursor binds.
  bool resume = false;  // With a cursor: only hits strictly older than:
  int64_t resume_start = 0;
  std::string resume_id;
  std::vector<SearchHit> hits;  // Kept a heap by Newer (its top: the oldest) in ScanAll.

  // True when a trace at (start, id) may be on this page (cursor only).
  bool AfterCursor(int64_t start, std::string_view id) const {
    return !resume || start < resume_start || (start == resume_start && id < resume_id);
  }
  // Keeps `hit` among the newest `keep` hits (the heap of ScanAll).
  void Offer(SearchHit hit, std::size_t keep) {
    if (hits.size() == keep && !Newer(hit, hits.front())) return;
    if (hits.size() == keep) {
      std::pop_heap(hits.begin(), hits.end(), Newer);
      hits.pop_back();
    }
    hits.push_back(std::move(hit));
    std::push_heap(hits.begin(), hits.end(), Newer);
  }
};

Status BindCursor(std::string_view text, const SearchOptions& o, Query* q) {
  std::string bound;
  PutLengthPrefixed(&bound, text);
  PutLengthPrefixed(&bound, o.session_id);
  PutLengthPrefixed(&bound, o.user_id);
  PutTime(&bound, o.from_ns);
  PutTime(&bound, o.to_ns);
  q->binding.assign(1, kSearchCursorTag);
  PutFixed64BE(&q->binding, SessionHash(bound));
  if (o.cursor.empty()) return Status::OK();
  std::string payload;
  std::string_view rest;
  if (!DecodeCursor(o.cursor, &payload) || payload.size() < q->binding.size() ||
      payload.compare(0, q->binding.size(), q->binding) != 0 ||
      !GetTime(&(rest = std::string_view(payload).substr(q->binding.size())), &q->resume_start)) {
    return Status::InvalidArgument("cursor: not a cursor of this text, window, session and user");
  }
  q->resume = true;
  q->resume_id.assign(rest);
  return Status::OK();
}

// Checks one stored trace against the query; on a match fills *hit's
// field and snippet. Corruption when the record fails verification.
Status MatchTrace(const Query& q, std::string_view value, SearchHit* hit, bool* matched) {
  *matched = false;
  std::string user;
  Payload input, output;
  if (!DecodeTraceText(value, &user, &input, &output)) {
    return Status::Corruption("trace " + Printable(hit->trace_id) + " fails verification");
  }
  if (!q.options->user_id.empty() && user != q.options->user_id) return Status::OK();
  for (const auto& [field, payload] : {std::pair{"input", &input}, std::pair{"output", &output}}) {
    std::size_t at = 0, length = 0;
    if (!FindFolded(payload->value, q.folded_text, &at, &length)) continue;
    hit->field = field;
    hit->snippet = MakeSnippet(payload->value, at, length);
    *matched = true;
    return Status::OK();
  }
  return Status::OK();
}

// One session: its window newest first, which is the result order.
Status ScanSession(const StoreContext* ctx, Query* q) {
  const SearchOptions& o = *q->options;
  const std::string prefix = ctx->SessionPrefix(o.session_id);
  std::string lower = prefix, upper = prefix, resume_key;
  PutTime(&lower, o.from_ns);
  PutTime(&upper, o.to_ns);
  if (q->resume) {
    resume_key = prefix;
    PutTime(&resume_key, q->resume_start);
    resume_key += q->resume_id;
  }
  RangeScan scan(ctx->db, ctx->cf.traces, rocksdb::ReadOptions(), std::move(lower),
                 std::move(upper), /*forward=*/false);
  for (scan.Start(resume_key); scan.Valid() && q->hits.size() <= q->limit; scan.Next()) {
    ParsedTraceKey k;
    if (!ParseTraceKey(scan.key(), &k)) return Status::Corruption("malformed key in traces");
    SearchHit hit{std::string(k.session_id), std::string(k.trace_id), k.start_ns, {}, {}};
    bool matched = false;
    Status s = MatchTrace(*q, scan.value(), &hit, &matched);
    if (!s.ok()) return s;
    if (matched) q->hits.push_back(std::move(hit));
  }
  if (!scan.status().ok()) return FromRocks(scan.status(), "scan session for search");
  return Status::OK();
}

// The sessions of `prefixes`, each from the window's start (raised to the
// oldest kept hit once limit + 1 are kept) to its end, keeping the newest.
Status ScanSessions(const StoreContext* ctx, const std::vector<std::string>& prefixes, Query* q) {
  const SearchOptions& o = *q->options;
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  const std::size_t keep = q->limit + 1;
  for (const std::string& prefix : prefixes) {
    int64_t lower = o.from_ns;
    if (q->hits.size() == keep) lower = std::max(lower, q->hits.front().start_ns);
    if (lower >= o.to_ns) continue;
    std::string from = prefix, to = prefix;
    PutTime(&from, lower);
    PutTime(&to, o.to_ns);
    RangeScan scan(ctx->db, ctx->cf.traces, ro, std::move(from), std::move(to), /*forward=*/true);
    for (scan.Start(); scan.Valid(); scan.Next()) {
      ParsedTraceKey k;
      if (!ParseTraceKey(scan.key(), &k)) return Status::Corruption("malformed key in traces");
      if (!q->AfterCursor(k.start_ns, k.trace_id)) break;  // The rest is newer still.
      SearchHit hit{std::string(k.session_id), std::string(k.trace_id), k.start_ns, {}, {}};
      bool matched = false;
      Status s = MatchTrace(*q, scan.value(), &hit, &matched);
      if (!s.ok()) return s;
      if (matched) q->Offer(std::move(hit), keep);
    }
    if (!scan.status().ok()) return FromRocks(scan.status(), "scan session for search");
  }
  return Status::OK();
}

// Every session: a forward skip-scan. Per session, traces before the lower
// bound (the window's start, raised to the oldest kept hit once limit + 1
// are kept: an older trace cannot make the page) are skipped with a Seek,
// and so is the rest of the session once past the window or the cursor.
Status ScanAll(const StoreContext* ctx, Query* q) {
  const SearchOptions& o = *q->options;
  rocksdb::ReadOptions ro;
  ro.total_order_seek = true;  // Across the 8-byte prefixes of `traces`.
  ro.fill_cache = false;       // A scan must not evict the hot blocks.
  std::unique_ptr<rocksdb::Iterator> it(ctx->db->NewIterator(ro, ctx->cf.traces));
  const std::size_t keep = q->limit + 1;
  std::string seek_to;
  for (it->SeekToFirst(); it->Valid();) {
    const std::string_view key = it->key().ToStringView();
    ParsedTraceKey k;
    if (!ParseTraceKey(key, &k)) return Status::Corruption("malformed key in traces");
    const std::string_view prefix = key.substr(0, key.size() - kTimeBytes - k.trace_id.size());
    int64_t lower = o.from_ns;
    if (q->hits.size() == keep) lower = std::max(lower, q->hits.front().start_ns);
    if (k.start_ns < lower) {
      seek_to.assign(prefix);
      PutTime(&seek_to, lower);
      it->Seek(seek_to);
      continue;
    }
    if (k.start_ns >= o.to_ns || !q->AfterCursor(k.start_ns, k.trace_id)) {
      it->Seek(SessionTracesEnd(prefix));  // Later keys of the session are newer still.
      continue;
    }
    SearchHit hit{std::string(k.session_id), std::string(k.trace_id), k.start_ns, {}, {}};
    bool matched = false;
    Status s = MatchTrace(*q, it->value().ToStringView(), &hit, &matched);
    if (!s.ok()) return s;
    if (matched) q->Offer(std::move(hit), keep);
    it->Next();
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scan traces for search");
  return Status::OK();
}

}  // namespace

std::string MakeSnippet(std::string_view text, std::size_t offset, std::size_t length) {
  auto continuation = [&](std::size_t i) {
    return i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80;
  };
  std::size_t from = offset > kSnippetContextBytes ? offset - kSnippetContextBytes : 0;
  while (continuation(from)) ++from;  // Start on a character's first byte.
  std::size_t to = std::min(text.size(), offset + length + kSnippetContextBytes);
  while (continuation(to)) --to;  // End before a character's first byte.
  std::string out = from > 0 ? "..." : "";
  for (std::size_t i = from; i < to; ++i) {
    const char c = text[i];
    out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
  }
  if (to < text.size()) out += "...";
  return out;
}

Status ContentSearch::WindowSessions(const SearchOptions& o,
                                     std::vector<std::string>* prefixes) const {
  Status s = read_only_ ? Status::OK() : indexer_->CatchUp();  // Read-your-writes.
  if (s.ok()) s = indexer_->LoadTable();
  if (!s.ok()) return s;
  TableQuery tq;
  tq.order = kOrderLast;
  tq.from_ns = o.from_ns;
  tq.to_ns = o.to_ns;
  tq.has_from = true;
  tq.want = SIZE_MAX;
  for (ListPosition& p : table_->Select(tq)) prefixes->push_back(std::move(p.prefix));
  prefixes->push_back(ctx_->SessionPrefix(""));  // Traces without a session.
  return Status::OK();
}

Status ContentSearch::Search(std::string_view text, const SearchOptions& options,
                             SearchPage* page) const {
  page->hits.clear();
  page->next_cursor.clear();
  if (text.empty()) return Status::InvalidArgument("text: must not be empty");
  Query q;
  q.folded_text = FoldCase(text);
  q.options = &options;
  q.limit = options.limit == 0 ? kDefaultLimit : options.limit;
  Status s = BindCursor(text, options, &q);
  if (!s.ok() || options.from_ns >= options.to_ns) return s;
  if (!options.session_id.empty()) {
    s = ScanSession(ctx_, &q);
  } else if (options.from_ns != kMinTime) {
    std::vector<std::string> prefixes;
    s = WindowSessions(options, &prefixes);
    if (s.ok()) s = ScanSessions(ctx_, prefixes, &q);
  } else {
    s = ScanAll(ctx_, &q);
  }
  if (!s.ok()) return s;
  std::sort(q.hits.begin(), q.hits.end(), Newer);
  if (q.hits.size() > q.limit) {
    q.hits.resize(q.limit);
    std::string payload = q.binding;
    PutTime(&payload, q.hits.back().start_ns);
    payload += q.hits.back().trace_id;
    page->next_cursor = EncodeCursor(payload);
  }
  page->hits = std::move(q.hits);
  return Status::OK();
}

}  // namespace sessionstore
