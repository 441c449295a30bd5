// Copyright sessionstore authors.
//
// SessionTable: the session indexes in memory. One row per session with
// what listings sort and filter by (its SessionIndexEntry and user id),
// the sessions ordered by last activity, and each user's sessions ordered
// the same way. It is a cache of the index states ('X', docs/format.md)
// that the SessionIndexer persists: loaded from them on first use, then
// changed by each catch-up after its write succeeds, so it always equals
// the persisted states (plus, in a read-only open, the pending markers
// applied in memory).
//
// Select answers a listing's index part: the sessions of a window (and
// user) in an order, after a cursor position, at most `want` of them.
// Last activity streams from the ordered set; the other orders collect the
// window's sessions (from the ordered set when the window has a lower
// bound, else every row) and select the first `want` by partial sort.
//
// Memory: about 350 bytes per session (342 measured at 99K sessions,
// bench/README.md "Format 5"), not bounded by an option.
//
// Thread safety: every method may be called concurrently (a shared mutex:
// Select and Find share it, Load and Apply hold it alone).

#ifndef SESSIONSTORE_ENGINE_SESSION_TABLE_H_
#define SESSIONSTORE_ENGINE_SESSION_TABLE_H_

#include <cstdint>
#include <deque>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/format/keys.h"

namespace sessionstore {

// One session's indexed values after a catch-up.
struct SessionTableChange {
  std::string prefix;   // session_prefix (engine/format/keys.h)
  bool listed = false;  // The session has a trace.
  SessionIndexEntry entry;
  std::string user_id;
};

// A listing position: the order's metric complemented (largest first) and
// the session prefix; positions compare as (inv, prefix), which is the
// descending listing order.
struct ListPosition {
  uint64_t inv = 0;
  std::string prefix;
};

struct TableQuery {
  char order = kOrderLast;  // One of kSessionOrders.
  bool descending = true;
  int64_t from_ns = 0;  // Window: first < to_ns and last >= from_ns.
  int64_t to_ns = 0;
  bool has_from = false;                 // from_ns is a bound (not the minimum time).
  std::string_view user_id;              // Empty: every user.
  const ListPosition* resume = nullptr;  // Rows strictly after it; null: from the start.
  std::size_t want = 0;                  // At most this many rows.
};

class SessionTable {
 public:
  SessionTable() = default;
  SessionTable(const SessionTable&) = delete;
  SessionTable& operator=(const SessionTable&) = delete;

  // True once Load ran (whatever it returned).
  bool loaded() const;
  // Replaces the contents with `rows` (the persisted states) and marks the
  // table loaded.
  void Load(std::vector<SessionTableChange> rows);
  // Applies a catch-up's changes, in order.
  void Apply(const std::vector<SessionTableChange>& changes);
  // Apply for a caller whose write already succeeded and so must not fail:
  // on an exception (std::bad_alloc) the table is emptied and marked not
  // loaded instead, so the next listing loads it again from the states.
  void ApplyOrUnload(const std::vector<SessionTableChange>& changes) noexcept;

  // The listing's positions, in listing order.
  std::vector<ListPosition> Select(const TableQuery& q) const;
  // The session's row: false when it is not listed.
  bool Find(std::string_view prefix, SessionIndexEntry* entry, std::string* user_id) const;
  // Listed sessions.
  std::size_t size() const;
  // The sum of the listed sessions' trace counts.
  int64_t trace_total() const;
  // Calls f(prefix, entry, user_id) for every listed session (Verify).
  template <typename F>
  void ForEach(F f) const {
    std::shared_lock<std::shared_mutex> l(mu_);
    for (const Row& r : rows_) {
      if (r.listed) f(std::string_view(r.prefix), r.entry, users_[r.user]);
    }
  }

 private:
  struct Row {
    std::string prefix;
    SessionIndexEntry entry;
    uint32_t slot = 0;  // Its index in rows_.
    uint32_t user = 0;  // Into users_; 0 is the empty user id.
    bool listed = false;
  };
  // By last activity: (~metric, prefix); the prefix views a row's, whose
  // slot it carries (not compared).
  struct LastKey {
    uint64_t inv;
    std::string_view prefix;
    uint32_t slot = 0;
    bool operator<(const LastKey& o) const {
      return inv != o.inv ? inv < o.inv : prefix < o.prefix;
    }
  };
  using ByLast = std::set<LastKey>;

  void ApplyLocked(const SessionTableChange& c);
  uint32_t UserSlot(const std::string& user_id);
  static LastKey KeyOf(const Row& r);
  // Streams last-activity listings from `set`.
  std::vector<ListPosition> StreamByLast(const ByLast& set, const TableQuery& q) const;
  // Collects the window's rows (from `set` when given) and selects.
  std::vector<ListPosition> CollectAndSelect(const ByLast* set, const TableQuery& q) const;

  mutable std::shared_mutex mu_;
  bool loaded_ = false;
  std::deque<Row> rows_;  // Stable addresses: the maps and sets view them.
  std::unordered_map<std::string_view, uint32_t> slot_of_;
  ByLast by_last_;
  std::vector<std::string> users_{std::string()};  // users_[0] is "".
  std::unordered_map<std::string, uint32_t> user_slot_;
  std::vector<ByLast> by_user_{ByLast()};
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_SESSION_TABLE_H_
