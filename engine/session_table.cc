// Copyright sessionstore authors.

#include "engine/session_table.h"

#include <algorithm>
#include <mutex>

#include "engine/util/case_fold.h"

namespace sessionstore {

namespace {

// A candidate while selecting: its position's parts, the prefix viewing
// the row's.
struct Cand {
  uint64_t inv;
  std::string_view prefix;
  bool operator<(const Cand& o) const { return inv != o.inv ? inv < o.inv : prefix < o.prefix; }
};

// Strictly after `resume` in the listing's direction.
bool After(const Cand& c, const TableQuery& q) {
  if (q.resume == nullptr) return true;
  const Cand r{q.resume->inv, q.resume->prefix};
  return q.descending ? r < c : c < r;
}

bool InWindow(const SessionIndexEntry& e, const TableQuery& q) {
  return e.first_ns < q.to_ns && e.last_ns >= q.from_ns;
}

ListPosition ToPosition(const Cand& c) { return {c.inv, std::string(c.prefix)}; }

bool InRange(int64_t v, int64_t lo, int64_t hi) { return lo <= v && v <= hi; }

// The first q.want of `all` in the listing's order, as positions.
std::vector<ListPosition> SelectFirst(std::vector<Cand>* all, const TableQuery& q) {
  const std::size_t n = std::min(q.want, all->size());
  auto listing_order = [&](const Cand& a, const Cand& b) { return q.descending ? a < b : b < a; };
  std::partial_sort(all->begin(), all->begin() + static_cast<std::ptrdiff_t>(n), all->end(),
                    listing_order);
  std::vector<ListPosition> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(ToPosition((*all)[i]));
  return out;
}

// Every id of `want` is in `have` (both ascending).
bool HasAll(const std::vector<uint32_t>& have, const std::vector<uint32_t>& want) {
  return std::includes(have.begin(), have.end(), want.begin(), want.end());
}

}  // namespace

uint32_t SessionTable::Names::Intern(const std::string& name) {
  auto [it, inserted] = ids.try_emplace(name, static_cast<uint32_t>(names.size()));
  if (inserted) names.push_back(name);
  return it->second;
}

bool SessionTable::Names::Lookup(const std::vector<std::string>& want,
                                 std::vector<uint32_t>* out) const {
  out->clear();
  for (const std::string& n : want) {
    auto it = ids.find(n);
    if (it == ids.end()) return false;
    out->push_back(it->second);
  }
  std::sort(out->begin(), out->end());
  out->erase(std::unique(out->begin(), out->end()), out->end());
  return true;
}

void SessionTable::Grams::Add(std::string_view folded) {
  for (std::size_t i = 1; i < folded.size(); ++i) {
    const auto a = static_cast<unsigned char>(folded[i - 1]);
    const auto b = static_cast<unsigned char>(folded[i]);
    const uint32_t h =
        (static_cast<uint32_t>(a) * 0x9E3779B1u) ^ (static_cast<uint32_t>(b) * 0x85EBCA77u);
    const uint32_t bit = (h >> 16) & 127;
    bits[bit >> 6] |= uint64_t{1} << (bit & 63);
  }
}

bool SessionTable::PassesCompact(const Compact& c, const Resolved& f) {
  return PassesNumbers(c.entry, f.f) && c.grams.Covers(f.search_grams);
}

bool SessionTable::Resolve(const TableFilter* f, Resolved* out) const {
  out->f = f;
  if (f == nullptr) return true;
  out->search_grams.Add(f->folded_search);
  if (!tag_names_.Lookup(f->tags, &out->tags)) return false;
  if (f->model.empty()) return true;
  auto it = model_names_.ids.find(f->model);
  if (it == model_names_.ids.end()) return false;
  out->model = it->second;
  out->has_model = true;
  return true;
}

bool SessionTable::PassesNumbers(const SessionIndexEntry& e, const TableFilter* f) {
  return f == nullptr || ((!f->errors_only || e.error_count > 0) &&
                          InRange(e.cost_nano_usd, f->min_cost, f->max_cost) &&
                          InRange(e.total_tokens, f->min_tokens, f->max_tokens) &&
                          InRange(e.trace_count, f->min_traces, f->max_traces) &&
                          InRange(e.duration_ns, f->min_duration, f->max_duration));
}

bool SessionTable::Passes(const Row& r, const Resolved& rf) {
  return PassesNumbers(r.entry, rf.f) && PassesNames(r, rf);
}

bool SessionTable::PassesNames(const Row& r, const Resolved& rf) {
  const TableFilter* f = rf.f;
  if (f == nullptr) return true;
  if (rf.has_model && !std::binary_search(r.models.begin(), r.models.end(), rf.model)) {
    return false;
  }
  if (!rf.tags.empty() && !HasAll(r.tags, rf.tags)) return false;
  if (f->folded_search.empty()) return true;
  std::string_view rest = r.prefix, id;
  uint64_t hash = 0;
  if (GetSessionPrefix(&rest, &hash, &id) && FindFolded(id, f->folded_search)) return true;
  return FindFolded(r.name, f->folded_search);
}

void SessionTable::ToChange(const Row& r, SessionTableChange* c) const {
  c->prefix = r.prefix;
  c->listed = r.listed;
  c->entry = r.entry;
  c->user_id = users_[r.user];
  c->session_name = r.name;
  c->tags.clear();
  for (uint32_t id : r.tags) c->tags.push_back(tag_names_.names[id]);
  std::sort(c->tags.begin(), c->tags.end());
  c->models.clear();
  for (uint32_t id : r.models) c->models.push_back(model_names_.names[id]);
  std::sort(c->models.begin(), c->models.end());
}

bool SessionTable::loaded() const {
  std::shared_lock<std::shared_mutex> l(mu_);
  return loaded_;
}

std::size_t SessionTable::size() const {
  std::shared_lock<std::shared_mutex> l(mu_);
  return by_last_.size();
}

std::size_t SessionTable::ApproximateBytes() const {
  // Heap bytes of a std::string beyond the object (none within the
  // short-string buffer).
  const auto heap = [](const std::string& str) -> std::size_t {
    return str.capacity() > 15 ? str.capacity() + 1 : 0;
  };
  // A std::set node: three pointers and the colour, then the key.
  constexpr std::size_t kSetNode = 32 + sizeof(LastKey);
  // An unordered_map node: the next pointer, the pair, the cached hash.
  const auto map_node = [](std::size_t value_bytes) { return 16 + value_bytes; };
  std::shared_lock<std::shared_mutex> l(mu_);
  if (!loaded_) return 0;
  std::size_t bytes = rows_.size() * sizeof(Row) + compact_.capacity() * sizeof(Compact);
  for (const Row& r : rows_) {
    bytes += heap(r.prefix) + heap(r.name) + (r.tags.capacity() + r.models.capacity()) * 4;
  }
  bytes += slot_of_.bucket_count() * sizeof(void*) +
           slot_of_.size() * map_node(sizeof(std::pair<const std::string_view, uint32_t>));
  std::size_t keys = by_last_.size();
  for (const ByLast& set : by_order_) keys += set.size();
  for (const ByLast& set : by_user_) keys += set.size();
  bytes += keys * kSetNode + by_user_.capacity() * sizeof(ByLast);
  for (const std::string& u : users_) bytes += sizeof(std::string) + heap(u);
  bytes += user_slot_.bucket_count() * sizeof(void*) +
           user_slot_.size() * map_node(sizeof(std::pair<const std::string, uint32_t>));
  for (const Names* names : {&tag_names_, &model_names_}) {
    for (const std::string& n : names->names) {
      bytes += sizeof(std::string) + heap(n) + map_node(sizeof(std::string) + 8) + heap(n);
    }
  }
  return bytes;
}

int64_t SessionTable::trace_total() const {
  std::shared_lock<std::shared_mutex> l(mu_);
  int64_t n = 0;
  for (const Row& r : rows_) n += r.listed ? r.entry.trace_count : 0;
  return n;
}

SessionTable::LastKey SessionTable::KeyOf(const Row& r) {
  return {~OrderMetric(kOrderLast, r.entry), r.prefix, r.slot};
}

SessionTable::LastKey SessionTable::KeyOf(std::size_t i, const Row& r) {
  return {~OrderMetric(kSessionOrders[i], r.entry), r.prefix, r.slot};
}

uint32_t SessionTable::UserSlot(const std::string& user_id) {
  if (user_id.empty()) return 0;
  auto [it, inserted] = user_slot_.try_emplace(user_id, static_cast<uint32_t>(users_.size()));
  if (inserted) {
    users_.push_back(user_id);
    by_user_.emplace_back();
  }
  return it->second;
}

void SessionTable::Load(std::vector<SessionTableChange> rows) {
  std::unique_lock<std::shared_mutex> l(mu_);
  rows_.clear();
  compact_.clear();
  slot_of_.clear();
  by_last_.clear();
  for (ByLast& o : by_order_) o.clear();
  users_.assign(1, std::string());
  user_slot_.clear();
  by_user_.assign(1, ByLast());
  slot_of_.reserve(rows.size());
  for (const SessionTableChange& c : rows) ApplyLocked(c, /*ordered=*/false);
  BuildOrdersLocked();
  loaded_ = true;
}

void SessionTable::BuildOrdersLocked() {
  std::vector<LastKey> keys;
  keys.reserve(rows_.size());
  auto fill = [&](ByLast* set, auto key_of) {
    keys.clear();
    for (const Row& r : rows_) {
      if (r.listed) keys.push_back(key_of(r));
    }
    std::sort(keys.begin(), keys.end());
    set->clear();
    for (const LastKey& k : keys) set->insert(set->end(), k);
  };
  for (std::size_t i = 1; i < by_order_.size(); ++i) {
    fill(&by_order_[i], [i](const Row& r) { return KeyOf(i, r); });
  }
  fill(&by_last_, [](const Row& r) { return KeyOf(r); });
  // `keys` holds the last-activity order: each user's keys arrive ascending.
  for (ByLast& set : by_user_) set.clear();
  for (const LastKey& k : keys) {
    const uint32_t user = rows_[k.slot].user;
    if (user != 0) by_user_[user].insert(by_user_[user].end(), k);
  }
}

void SessionTable::Apply(const std::vector<SessionTableChange>& changes) {
  std::unique_lock<std::shared_mutex> l(mu_);
  for (const SessionTableChange& c : changes) ApplyLocked(c);
}

void SessionTable::ApplyOrUnload(const std::vector<SessionTableChange>& changes) noexcept {
  try {
    Apply(changes);
  } catch (...) {
    std::unique_lock<std::shared_mutex> l(mu_);
    loaded_ = false;
    rows_.clear();
    compact_.clear();
    slot_of_.clear();
    by_last_.clear();
    for (ByLast& o : by_order_) o.clear();
    users_.clear();  // Load restores users_[0] and by_user_[0].
    user_slot_.clear();
    by_user_.clear();
  }
}

void SessionTable::ApplyLocked(const SessionTableChange& c, bool ordered) {
  auto found = slot_of_.find(c.prefix);
  Row* row = nullptr;
  if (found == slot_of_.end()) {
    if (!c.listed) return;
    const auto slot = static_cast<uint32_t>(rows_.size());
    compact_.emplace_back();  // First: a failure leaves rows_ as it was.
    rows_.emplace_back();
    row = &rows_.back();
    row->prefix = c.prefix;
    row->slot = slot;
    slot_of_.emplace(row->prefix, slot);
  } else {
    row = &rows_[found->second];
  }
  if (row->listed && ordered) {
    by_last_.erase(KeyOf(*row));
    for (std::size_t i = 1; i < by_order_.size(); ++i) by_order_[i].erase(KeyOf(i, *row));
    if (row->user != 0) by_user_[row->user].erase(KeyOf(*row));
  }
  row->listed = c.listed;
  compact_[row->slot].listed = c.listed;
  if (!c.listed) return;
  row->entry = c.entry;
  compact_[row->slot].entry = c.entry;
  Grams grams;
  std::string_view rest = c.prefix, id;
  uint64_t hash = 0;
  if (GetSessionPrefix(&rest, &hash, &id)) grams.Add(FoldCase(id));
  grams.Add(FoldCase(c.session_name));
  compact_[row->slot].grams = grams;
  row->name = c.session_name;
  row->tags.clear();
  for (const std::string& t : c.tags) row->tags.push_back(tag_names_.Intern(t));
  std::sort(row->tags.begin(), row->tags.end());
  row->models.clear();
  for (const std::string& m : c.models) row->models.push_back(model_names_.Intern(m));
  std::sort(row->models.begin(), row->models.end());
  row->user = UserSlot(c.user_id);
  if (!ordered) return;
  by_last_.insert(KeyOf(*row));
  for (std::size_t i = 1; i < by_order_.size(); ++i) by_order_[i].insert(KeyOf(i, *row));
  if (row->user != 0) by_user_[row->user].insert(KeyOf(*row));
}

bool SessionTable::Find(std::string_view prefix, SessionTableChange* row) const {
  std::shared_lock<std::shared_mutex> l(mu_);
  auto it = slot_of_.find(prefix);
  if (it == slot_of_.end() || !rows_[it->second].listed) return false;
  if (row != nullptr) ToChange(rows_[it->second], row);
  return true;
}

std::vector<ListPosition> SessionTable::Select(const TableQuery& q) const {
  std::shared_lock<std::shared_mutex> l(mu_);
  const ByLast* set = &by_last_;
  if (!q.user_id.empty()) {
    auto it = user_slot_.find(std::string(q.user_id));
    if (it == user_slot_.end()) return {};
    set = &by_user_[it->second];
  }
  Resolved f;
  if (!Resolve(q.filter, &f)) return {};
  const bool every_user = q.user_id.empty();
  if (q.order == kOrderLast) return StreamByLast(*set, q, f, every_user);
  if (every_user && !q.has_from) {
    // All time: the order's own set streams, stopping once the page is full.
    const std::size_t i = static_cast<std::size_t>(
        std::find(std::begin(kSessionOrders), std::end(kSessionOrders), q.order) -
        std::begin(kSessionOrders));
    if (i > 0 && i < by_order_.size()) return StreamByLast(by_order_[i], q, f, true);
  }
  // Every row when neither a user nor a lower bound narrows the rows.
  return CollectAndSelect(q.user_id.empty() && !q.has_from ? nullptr : set, q, f);
}

std::vector<ListPosition> SessionTable::StreamByLast(const ByLast& set, const TableQuery& q,
                                                     const Resolved& f, bool may_pass) const {
  uint64_t min_inv = 0, max_inv = UINT64_MAX;
  InvBounds(q, &min_inv, &max_inv);
  if (min_inv > max_inv) return {};
  const auto first = set.lower_bound(LastKey{min_inv, {}, 0});
  if (first == set.end()) return {};  // No position in range.
  const auto last =
      max_inv == UINT64_MAX ? set.end() : set.lower_bound(LastKey{max_inv + 1, {}, 0});
  std::vector<ListPosition> out;
  // A walk that has not filled the page after this many rows (a filter that
  // matches few sessions, or works against the order) gives way to a pass
  // over the compact rows, whose cost does not depend on the filter.
  const std::size_t budget = walk_budget_ != 0 ? walk_budget_ : kWalkBudget + 32 * q.want;
  std::size_t walked = 0;
  auto take = [&](const LastKey& k) {
    ++walked;
    const Compact& c = compact_[k.slot];
    if (c.entry.first_ns < q.to_ns && PassesCompact(c, f) && PassesNames(rows_[k.slot], f)) {
      out.push_back({k.inv, std::string(k.prefix)});
    }
  };
  auto give_way = [&] { return may_pass && walked >= budget && out.size() < q.want; };
  // Rows strictly after the cursor, within [first, last).
  const bool resume = q.resume != nullptr;
  const LastKey at{resume ? q.resume->inv : 0, resume ? std::string_view(q.resume->prefix) : "", 0};
  if (q.descending) {
    auto it = resume ? set.upper_bound(at) : first;
    if (first != set.end() && it != set.end() && *it < *first) it = first;
    for (; it != last && it != set.end() && out.size() < q.want; ++it) {
      if (give_way()) return PassCompact(q, f);
      take(*it);
    }
  } else {
    auto it = resume ? set.lower_bound(at) : last;
    if (last != set.end() && (it == set.end() || *last < *it)) it = last;
    while (it != first && it != set.begin() && out.size() < q.want) {
      if (give_way()) return PassCompact(q, f);
      --it;
      if (*it < *first) break;
      take(*it);
    }
  }
  return out;
}

void SessionTable::InvBounds(const TableQuery& q, uint64_t* min_inv, uint64_t* max_inv) {
  SessionIndexEntry e;
  if (q.order == kOrderLast && q.has_from) {
    e.last_ns = q.from_ns;  // last >= from  <=>  ~metric(last) <= max_inv.
    *max_inv = ~OrderMetric(kOrderLast, e);
  }
  const TableFilter* f = q.filter;
  if (f == nullptr) return;
  int64_t lo = INT64_MIN, hi = INT64_MAX;
  int64_t* field = nullptr;
  switch (q.order) {
    case kOrderCost:
      lo = f->min_cost, hi = f->max_cost, field = &e.cost_nano_usd;
      break;
    case kOrderTokens:
      lo = f->min_tokens, hi = f->max_tokens, field = &e.total_tokens;
      break;
    case kOrderTraces:
      lo = f->min_traces, hi = f->max_traces, field = &e.trace_count;
      break;
    case kOrderDuration:
      lo = f->min_duration, hi = f->max_duration, field = &e.duration_ns;
      break;
    case kOrderErrors:
      lo = f->errors_only ? 1 : INT64_MIN, field = &e.error_count;
      break;
    default:
      return;
  }
  // The metric grows with the value (negative values count as 0), and
  // positions hold its complement: a value range is a position range.
  if (hi != INT64_MAX) {
    *field = hi;
    *min_inv = std::max(*min_inv, ~OrderMetric(q.order, e));
  }
  if (lo != INT64_MIN) {
    *field = lo;
    *max_inv = std::min(*max_inv, ~OrderMetric(q.order, e));
  }
}

template <typename F>
void SessionTable::ForWindowRows(const ByLast* set, int64_t from_ns, bool has_from,
                                 F consider) const {
  if (set == nullptr) {
    for (const Row& r : rows_) consider(r);
    return;
  }
  // last >= from  <=>  ~metric(last) <= max_inv.
  SessionIndexEntry bound;
  bound.last_ns = from_ns;
  const uint64_t max_inv = has_from ? ~OrderMetric(kOrderLast, bound) : UINT64_MAX;
  for (const LastKey& k : *set) {
    if (k.inv > max_inv) break;
    consider(rows_[k.slot]);
  }
}

std::vector<ListPosition> SessionTable::PassCompact(const TableQuery& q, const Resolved& f) const {
  // Candidates by slot: a row is read only for the name filters, for ties
  // on the metric and for the page's positions.
  struct SlotCand {
    uint64_t inv;
    uint32_t slot;
  };
  auto less = [&](const SlotCand& a, const SlotCand& b) {
    return a.inv != b.inv ? a.inv < b.inv : rows_[a.slot].prefix < rows_[b.slot].prefix;
  };
  const bool names =
      f.f != nullptr && (f.has_model || !f.tags.empty() || !f.f->folded_search.empty());
  std::vector<SlotCand> all;
  for (std::size_t i = 0; i < compact_.size(); ++i) {
    const Compact& c = compact_[i];
    if (!c.listed || !InWindow(c.entry, q) || !PassesCompact(c, f)) continue;
    if (names && !PassesNames(rows_[i], f)) continue;
    const SlotCand cand{~OrderMetric(q.order, c.entry), static_cast<uint32_t>(i)};
    if (q.resume != nullptr) {
      // Strictly after the cursor in the listing's direction.
      const uint64_t r = q.resume->inv;
      const bool after = cand.inv != r ? (q.descending ? cand.inv > r : cand.inv < r)
                                       : (q.descending ? rows_[i].prefix > q.resume->prefix
                                                       : rows_[i].prefix < q.resume->prefix);
      if (!after) continue;
    }
    all.push_back(cand);
  }
  const std::size_t n = std::min(q.want, all.size());
  auto listing_order = [&](const SlotCand& a, const SlotCand& b) {
    return q.descending ? less(a, b) : less(b, a);
  };
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(),
                    listing_order);
  std::vector<ListPosition> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back({all[i].inv, rows_[all[i].slot].prefix});
  return out;
}

std::vector<ListPosition> SessionTable::CollectAndSelect(const ByLast* set, const TableQuery& q,
                                                         const Resolved& f) const {
  std::vector<Cand> all;
  ForWindowRows(set, q.from_ns, q.has_from, [&](const Row& r) {
    if (!r.listed || !InWindow(r.entry, q) || !Passes(r, f)) return;
    const Cand c{~OrderMetric(q.order, r.entry), r.prefix};
    if (After(c, q)) all.push_back(c);
  });
  return SelectFirst(&all, q);
}

void SessionTable::VisitWindow(const WindowScan& q,
                               const std::function<void(const SessionIndexEntry&, bool)>& f) const {
  std::shared_lock<std::shared_mutex> l(mu_);
  const ByLast* set = &by_last_;
  if (!q.user_id.empty()) {
    auto it = user_slot_.find(std::string(q.user_id));
    if (it == user_slot_.end()) return;
    set = &by_user_[it->second];
  }
  TableFilter filter;
  if (q.tags != nullptr) filter.tags = *q.tags;
  Resolved rf;
  if (!Resolve(q.tags == nullptr ? nullptr : &filter, &rf)) return;  // An unknown tag.
  // An unknown mark tag marks no row.
  const auto mark =
      q.mark_tag.empty() ? tag_names_.ids.end() : tag_names_.ids.find(std::string(q.mark_tag));
  const bool has_mark = mark != tag_names_.ids.end();
  const uint32_t mark_id = has_mark ? mark->second : 0;
  ForWindowRows(
      q.user_id.empty() && !q.has_from ? nullptr : set, q.from_ns, q.has_from, [&](const Row& r) {
        const SessionIndexEntry& e = r.entry;
        if (!r.listed || !(e.first_ns < q.to_ns && e.last_ns >= q.from_ns) || !Passes(r, rf)) {
          return;
        }
        f(e, has_mark && std::binary_search(r.tags.begin(), r.tags.end(), mark_id));
      });
}

}  // namespace sessionstore
