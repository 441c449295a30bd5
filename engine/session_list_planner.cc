// Copyright sessionstore authors.

#include "engine/session_list_planner.h"

#include <rocksdb/snapshot.h>

#include <algorithm>
#include <utility>

#include "engine/format/keys.h"
#include "engine/range_scan.h"
#include "engine/util/rocks_status.h"

namespace sessionstore {

namespace {

// DO NOT CHANGE: cursors handed to users carry it.
constexpr char kListCursorTag = 'L';

// Entries of a metric's index walked per last-activity entry in the
// lockstep plan (ListPlan::kWindowLockstep).
constexpr int kMetricSteps = 8;

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

// A session listed by an index: where it sits in the listing order (also
// the cursor's resume key) and its session prefix.
struct Candidate {
  std::string position;
  std::string prefix;
};

// One listing: its query, snapshot, the candidates picked so far (in
// listing order; limit + 1 of them decide the page and whether a next one
// exists) and the first error.
struct Listing {
  const StoreContext* ctx;
  const ListSessionsOptions& options;
  char order;
  std::size_t limit;
  std::string resume;  // Position of the previous page's last row.
  rocksdb::ReadOptions ro;
  std::vector<Candidate> picked;
  Status status;

  // Index keys run largest first: descending listings walk forward.
  bool forward() const { return options.descending; }
  bool InWindow(const SessionIndexEntry& e) const {
    return e.first_ns < options.to_ns && e.last_ns >= options.from_ns;
  }
  // The session index entries that bound the window in the 'l' and 'f'
  // orders: last activity from `from`, first activity before `to`.
  SessionIndexEntry WindowBound() const {
    SessionIndexEntry bound;
    bound.last_ns = options.from_ns;
    bound.first_ns = options.to_ns;
    return bound;
  }
  bool Malformed(const char* what) {
    status = Status::Corruption(std::string("session index: malformed ") + what);
    return false;
  }
  // False (with the error kept) once the scan failed.
  bool Check(const RangeScan& scan) {
    if (status.ok() && !scan.status().ok()) {
      status = FromRocks(scan.status(), "scan session index");
    }
    return status.ok();
  }
  // The order entry at the scan's position: its session prefix and entry.
  bool OrderEntry(const RangeScan& scan, std::string_view* prefix, SessionIndexEntry* e) {
    char o = 0;
    uint64_t metric = 0;
    if (!ParseOrderKey(scan.key(), &o, &metric, prefix)) return Malformed("key");
    if (!DecodeIndexEntry(scan.value(), e)) return Malformed("entry");
    return true;
  }
  // The candidate of `e` in this listing's order.
  Candidate InOrder(const SessionIndexEntry& e, std::string_view prefix) const {
    return {OrderKey(order, OrderMetric(order, e), prefix), std::string(prefix)};
  }
  // Sorts candidates collected in any order into `picked`, after the cursor.
  // Positions are index keys (largest first), so descending is ascending.
  void PickSorted(std::vector<Candidate>* all) {
    std::sort(all->begin(), all->end(), [&](const Candidate& a, const Candidate& b) {
      return forward() ? a.position < b.position : a.position > b.position;
    });
    for (Candidate& c : *all) {
      if (!resume.empty() && (forward() ? c.position <= resume : c.position >= resume)) continue;
      picked.push_back(std::move(c));
      if (picked.size() > limit) break;
    }
  }
};

// Checks the cursor against the listing's binding (window, user filter,
// order, direction) and returns its resume position in *resume.
Status ResumeOf(const ListSessionsOptions& options, char order, std::string* binding,
                std::string* resume) {
  *binding = std::string{kListCursorTag, order, options.descending ? 'd' : 'a'};
  PutTime(binding, options.from_ns);
  PutTime(binding, options.to_ns);
  PutFixed64BE(binding, SessionHash(options.user_id));
  binding->push_back(options.user_id.empty() ? '0' : '1');
  resume->clear();
  if (options.cursor.empty()) return Status::OK();
  std::string payload;
  if (!DecodeCursor(options.cursor, &payload) || payload.size() <= binding->size() ||
      payload.compare(0, binding->size(), *binding) != 0) {
    return Status::InvalidArgument(
        "cursor: not a cursor of this window, user filter, order and direction");
  }
  *resume = payload.substr(binding->size());
  return Status::OK();
}

void RunOrderIndex(Listing* l) {
  // Keys hold ~metric: last >= from is an upper bound, first < to a lower.
  std::string lower = OrderPrefix(l->order);
  std::string upper = PrefixSuccessor(lower);
  const SessionIndexEntry bound = l->WindowBound();
  if (l->order == kOrderLast && l->options.from_ns != kMinTime) {
    upper = OrderKey(l->order, OrderMetric(l->order, bound) - 1, "");
  }
  if (l->order == kOrderFirst && l->options.to_ns != kMaxTime) {
    lower = OrderKey(l->order, OrderMetric(l->order, bound) - 1, "");
  }
  RangeScan scan(l->ctx->db, l->ctx->cf.index, l->ro, std::move(lower), std::move(upper),
                 l->forward(), l->ctx->index_overlay);
  for (scan.Start(l->resume); scan.Valid(); scan.Next()) {
    std::string_view prefix;
    SessionIndexEntry e;
    if (!l->OrderEntry(scan, &prefix, &e)) return;
    if (!l->InWindow(e)) continue;
    l->picked.push_back({std::string(scan.key()), std::string(prefix)});
    if (l->picked.size() > l->limit) break;  // limit + 1 decide the page.
  }
  l->Check(scan);
}

void RunUserIndex(Listing* l) {
  const std::string& user_id = l->options.user_id;
  std::string lower = UserPrefix(user_id);
  std::string upper = PrefixSuccessor(lower);
  // Keys hold ~metric(last): last >= from is an upper bound.
  if (l->options.from_ns != kMinTime) upper = UserKey(user_id, l->options.from_ns - 1, "");
  const bool by_last = l->order == kOrderLast;
  RangeScan scan(l->ctx->db, l->ctx->cf.index, l->ro, std::move(lower), std::move(upper),
                 l->forward(), l->ctx->index_overlay);
  std::vector<Candidate> all;  // Other orders: the window's sessions, sorted after.
  for (scan.Start(by_last ? l->resume : ""); scan.Valid(); scan.Next()) {
    std::string_view user, prefix;
    int64_t last = 0;
    SessionIndexEntry e;
    if (!ParseUserKey(scan.key(), &user, &last, &prefix)) return (void)l->Malformed("key");
    if (!DecodeIndexEntry(scan.value(), &e)) return (void)l->Malformed("entry");
    if (!l->InWindow(e)) continue;
    if (!by_last) {
      all.push_back(l->InOrder(e, prefix));
      continue;
    }
    l->picked.push_back({std::string(scan.key()), std::string(prefix)});
    if (l->picked.size() > l->limit) break;
  }
  if (l->Check(scan) && !by_last) l->PickSorted(&all);
}

// Two plans run in lockstep: walk the metric's index and keep the entries
// in the window (cheap when the window holds many sessions: about limit /
// fraction entries), or collect the window's sessions from the last-activity
// entries down to `from` and sort them (cheap when it holds few). Neither
// size is known up front, so the metric walk takes kMetricSteps entries per
// window entry and the first to finish answers: at most 1 + 1/kMetricSteps
// times the metric walk when it wins (the usual case: windows hold a good
// share of the sessions), at most 1 + kMetricSteps times the window's size
// when the window is narrow (measured on a 1M-trace store whose 24 h window
// holds a small share of 478K sessions: 10.1 ms walking the metric alone,
// 17.4 ms in lockstep with one step each).
void RunWindowLockstep(Listing* l, LockstepPlans plans) {
  const SessionIndexEntry bound = l->WindowBound();
  RangeScan window(l->ctx->db, l->ctx->cf.index, l->ro, OrderPrefix(kOrderLast),
                   OrderKey(kOrderLast, OrderMetric(kOrderLast, bound) - 1, ""),
                   /*forward=*/true, l->ctx->index_overlay);
  const std::string metric_lower = OrderPrefix(l->order);
  RangeScan metric(l->ctx->db, l->ctx->cf.index, l->ro, metric_lower, PrefixSuccessor(metric_lower),
                   l->forward(), l->ctx->index_overlay);
  window.Start();
  metric.Start(l->resume);
  std::vector<Candidate> collected;  // Every session of the window, unsorted.
  std::vector<Candidate> hits;       // In listing order.
  const bool collect = plans != LockstepPlans::kWalkMetricOnly;
  const bool walk = plans != LockstepPlans::kCollectWindowOnly;
  std::string_view prefix;
  SessionIndexEntry e;
  while (true) {
    if (collect) {
      if (!window.Valid()) {
        if (l->Check(window)) l->PickSorted(&collected);
        return;
      }
      if (!l->OrderEntry(window, &prefix, &e)) return;
      if (l->InWindow(e)) collected.push_back(l->InOrder(e, prefix));
      window.Next();
    }
    for (int step = 0; walk && step < kMetricSteps; ++step) {
      if (!metric.Valid() || hits.size() > l->limit) {
        if (l->Check(metric)) l->picked = std::move(hits);
        return;
      }
      if (!l->OrderEntry(metric, &prefix, &e)) return;
      if (l->InWindow(e)) hits.push_back({std::string(metric.key()), std::string(prefix)});
      metric.Next();
    }
  }
}

}  // namespace

ListPlan SessionListPlanner::Choose(const ListSessionsOptions& options) {
  if (!options.user_id.empty()) return ListPlan::kUserIndex;
  const bool metric_order =
      options.order != SessionOrder::kLastActivity && options.order != SessionOrder::kFirstActivity;
  if (metric_order && options.from_ns != kMinTime) return ListPlan::kWindowLockstep;
  return ListPlan::kOrderIndex;
}

Status SessionListPlanner::List(const ListSessionsOptions& options, SessionPage* page) const {
  page->sessions.clear();
  page->next_cursor.clear();
  const char order = OrderByte(options.order);
  if (order == 0) return Status::InvalidArgument("order: not a SessionOrder value");
  if (options.from_ns >= options.to_ns) return Status::OK();
  Listing l{ctx_, options, order, options.limit == 0 ? 50 : options.limit, "", {}, {}, {}};
  std::string binding;
  Status s = ResumeOf(options, order, &binding, &l.resume);
  if (!s.ok()) return s;
  if (!read_only_) {
    s = indexer_->CatchUp();  // Read-your-writes.
    if (!s.ok()) return s;
  }
  rocksdb::ManagedSnapshot snapshot(ctx_->db);
  l.ro.snapshot = snapshot.snapshot();
  switch (Choose(options)) {
    case ListPlan::kOrderIndex:
      RunOrderIndex(&l);
      break;
    case ListPlan::kUserIndex:
      RunUserIndex(&l);
      break;
    case ListPlan::kWindowLockstep:
      RunWindowLockstep(&l, lockstep_);
      break;
  }
  if (l.status.ok() && l.picked.size() > l.limit) {
    page->next_cursor = EncodeCursor(binding + l.picked[l.limit - 1].position);
    l.picked.resize(l.limit);
  }
  if (l.status.ok()) {
    std::vector<std::string> prefixes;
    prefixes.reserve(l.picked.size());
    for (Candidate& c : l.picked) prefixes.push_back(std::move(c.prefix));
    l.status = ReadRows(l.ro, prefixes, page);
  }
  if (!l.status.ok()) {
    page->sessions.clear();
    page->next_cursor.clear();
  }
  return l.status;
}

Status SessionListPlanner::ReadRows(const rocksdb::ReadOptions& ro,
                                    const std::vector<std::string>& prefixes,
                                    SessionPage* page) const {
  std::vector<rocksdb::Slice> keys(prefixes.begin(), prefixes.end());
  const BatchGet got(ctx_->db, ro, ctx_->cf.sessions, keys);
  for (std::size_t i = 0; i < prefixes.size(); ++i) {
    std::string_view p = prefixes[i];
    uint64_t hash = 0;
    std::string_view id;
    if (!GetSessionPrefix(&p, &hash, &id)) {
      return Status::Corruption("session index: malformed session prefix");
    }
    SessionSummary summary;
    Status s = reader_->FromValue(ro, prefixes[i], id, got.statuses[i],
                                  got.values[i].ToStringView(), &summary, nullptr);
    if (s.IsNotFound()) continue;  // Gone since it was indexed.
    if (!s.ok()) return s;
    page->sessions.push_back(std::move(summary));
  }
  return Status::OK();
}

}  // namespace sessionstore
