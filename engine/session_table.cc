// Copyright sessionstore authors.

#include "engine/session_table.h"

#include <algorithm>
#include <mutex>

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

}  // namespace

bool SessionTable::loaded() const {
  std::shared_lock<std::shared_mutex> l(mu_);
  return loaded_;
}

std::size_t SessionTable::size() const {
  std::shared_lock<std::shared_mutex> l(mu_);
  return by_last_.size();
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
  slot_of_.clear();
  by_last_.clear();
  users_.assign(1, std::string());
  user_slot_.clear();
  by_user_.assign(1, ByLast());
  for (const SessionTableChange& c : rows) ApplyLocked(c);
  loaded_ = true;
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
    slot_of_.clear();
    by_last_.clear();
    users_.clear();  // Load restores users_[0] and by_user_[0].
    user_slot_.clear();
    by_user_.clear();
  }
}

void SessionTable::ApplyLocked(const SessionTableChange& c) {
  auto found = slot_of_.find(c.prefix);
  Row* row = nullptr;
  if (found == slot_of_.end()) {
    if (!c.listed) return;
    const auto slot = static_cast<uint32_t>(rows_.size());
    rows_.push_back(Row{c.prefix, {}, slot, 0, false});
    row = &rows_.back();
    slot_of_.emplace(row->prefix, slot);
  } else {
    row = &rows_[found->second];
  }
  if (row->listed) {
    by_last_.erase(KeyOf(*row));
    if (row->user != 0) by_user_[row->user].erase(KeyOf(*row));
  }
  row->listed = c.listed;
  if (!c.listed) return;
  row->entry = c.entry;
  row->user = UserSlot(c.user_id);
  by_last_.insert(KeyOf(*row));
  if (row->user != 0) by_user_[row->user].insert(KeyOf(*row));
}

bool SessionTable::Find(std::string_view prefix, SessionIndexEntry* entry,
                        std::string* user_id) const {
  std::shared_lock<std::shared_mutex> l(mu_);
  auto it = slot_of_.find(prefix);
  if (it == slot_of_.end() || !rows_[it->second].listed) return false;
  *entry = rows_[it->second].entry;
  *user_id = users_[rows_[it->second].user];
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
  if (q.order == kOrderLast) return StreamByLast(*set, q);
  // Every row when neither a user nor a lower bound narrows the rows.
  return CollectAndSelect(q.user_id.empty() && !q.has_from ? nullptr : set, q);
}

std::vector<ListPosition> SessionTable::StreamByLast(const ByLast& set, const TableQuery& q) const {
  // last >= from  <=>  ~metric(last) <= max_inv.
  SessionIndexEntry bound;
  bound.last_ns = q.from_ns;
  const uint64_t max_inv = q.has_from ? ~OrderMetric(kOrderLast, bound) : UINT64_MAX;
  const auto window_end =
      max_inv == UINT64_MAX ? set.end() : set.lower_bound(LastKey{max_inv + 1, {}, 0});
  std::vector<ListPosition> out;
  auto take = [&](const LastKey& k) {
    const Row& r = rows_[k.slot];
    if (r.entry.first_ns < q.to_ns) out.push_back({k.inv, std::string(k.prefix)});
  };
  if (q.descending) {
    auto it = q.resume == nullptr ? set.begin()
                                  : set.upper_bound(LastKey{q.resume->inv, q.resume->prefix, 0});
    for (; it != window_end && out.size() < q.want; ++it) {
      if (it->inv > max_inv) break;
      take(*it);
    }
  } else {
    auto it = q.resume == nullptr ? window_end
                                  : set.lower_bound(LastKey{q.resume->inv, q.resume->prefix, 0});
    // A resume position below the window: start at the window's end.
    if (window_end != set.end() && (it == set.end() || !(*it < *window_end))) it = window_end;
    while (it != set.begin() && out.size() < q.want) take(*--it);
  }
  return out;
}

std::vector<ListPosition> SessionTable::CollectAndSelect(const ByLast* set,
                                                         const TableQuery& q) const {
  std::vector<Cand> all;
  auto consider = [&](const Row& r) {
    if (!r.listed || !InWindow(r.entry, q)) return;
    const Cand c{~OrderMetric(q.order, r.entry), r.prefix};
    if (After(c, q)) all.push_back(c);
  };
  if (set == nullptr) {
    for (const Row& r : rows_) consider(r);
  } else {
    SessionIndexEntry bound;
    bound.last_ns = q.from_ns;
    const uint64_t max_inv = q.has_from ? ~OrderMetric(kOrderLast, bound) : UINT64_MAX;
    for (const LastKey& k : *set) {
      if (k.inv > max_inv) break;
      consider(rows_[k.slot]);
    }
  }
  const std::size_t n = std::min(q.want, all.size());
  auto listing_order = [&](const Cand& a, const Cand& b) { return q.descending ? a < b : b < a; };
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(),
                    listing_order);
  std::vector<ListPosition> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(ToPosition(all[i]));
  return out;
}

}  // namespace sessionstore
