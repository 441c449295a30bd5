// Copyright sessionstore authors.
//
// SessionTable: the session indexes in memory. One row per session with
// what listings sort and filter by (its SessionIndexEntry, user id, session
// name, tags and models), the sessions ordered by last activity, and each
// user's sessions ordered the same way. It is a cache of the index states ('X', docs/format.md)
// that the SessionIndexer persists: loaded from them on first use, then
// changed by each catch-up after its write succeeds, so it always equals
// the persisted states (plus, in a read-only open, the pending markers
// applied in memory).
//
// Select answers a listing's index part: the sessions of a window (and
// user) that pass a TableFilter, in an order, after a cursor position, at
// most `want` of them. Last activity streams from the ordered set; the
// other orders collect the window's sessions (from the ordered set when
// the window has a lower bound, else every row) and select the first
// `want` by partial sort. Tag and model names are interned: rows hold
// sorted ids.
//
// Memory: about 1.2 KB per session (1,175 bytes allocated at 99K
// sessions, bench/README.md "Format 6"), not bounded by an option.
//
// VisitWindow walks the same rows as a listing's collection, for
// analytics: no selection, each row's entry handed to the caller.
//
// Thread safety: every method may be called concurrently (a shared mutex:
// Select, VisitWindow and Find share it, Load and Apply hold it alone).

#ifndef SESSIONSTORE_ENGINE_SESSION_TABLE_H_
#define SESSIONSTORE_ENGINE_SESSION_TABLE_H_

#include <climits>
#include <cstdint>
#include <deque>
#include <functional>
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
  std::string session_name;
  std::vector<std::string> tags;    // Ascending, distinct.
  std::vector<std::string> models;  // Ascending, distinct.
  bool operator==(const SessionTableChange&) const = default;
};

// What a listing keeps besides its window and user (ListSessionsOptions'
// filters). A row passes when it passes every part.
struct TableFilter {
  std::string folded_search;      // FoldCase'd; in the id or name. Empty: none.
  std::vector<std::string> tags;  // Every one. Empty: none.
  std::string model;              // Empty: none.
  bool errors_only = false;
  int64_t min_cost = INT64_MIN, max_cost = INT64_MAX;
  int64_t min_tokens = INT64_MIN, max_tokens = INT64_MAX;
  int64_t min_traces = INT64_MIN, max_traces = INT64_MAX;
  int64_t min_duration = INT64_MIN, max_duration = INT64_MAX;
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
  const TableFilter* filter = nullptr;   // Null: none.
  const ListPosition* resume = nullptr;  // Rows strictly after it; null: from the start.
  std::size_t want = 0;                  // At most this many rows.
};

// What VisitWindow visits: the sessions of a window (and user) that carry
// some tags.
struct WindowScan {
  int64_t from_ns = 0;  // Window: first < to_ns and last >= from_ns.
  int64_t to_ns = 0;
  bool has_from = false;                           // from_ns is a bound (not the minimum time).
  std::string_view user_id;                        // Empty: every user.
  const std::vector<std::string>* tags = nullptr;  // Rows carrying every one; null: all.
  std::string_view mark_tag;  // Visits say whether the row carries it; empty: never.
};

class SessionTable {
 public:
  SessionTable() = default;
  // `walk_budget`: rows a streamed listing walks before it gives way to a
  // pass (0: kWalkBudget + 32 per row wanted). Tests force the pass with 1.
  explicit SessionTable(std::size_t walk_budget) : walk_budget_(walk_budget) {}
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
  // Calls f(entry, marked) with the index entry of every listed session
  // that WindowScan `q` selects, `marked` saying whether it carries
  // q.mark_tag; in no particular order. Runs under the shared lock: f must
  // not call the table. The entry is valid only during the call.
  void VisitWindow(const WindowScan& q,
                   const std::function<void(const SessionIndexEntry&, bool)>& f) const;
  // The session's row: false when it is not listed. `row` may be null.
  bool Find(std::string_view prefix, SessionTableChange* row) const;
  // Listed sessions.
  std::size_t size() const;
  // The memory the table holds, approximately: what its containers and
  // strings asked the allocator for (node and bucket sizes as libstdc++
  // lays them out; the allocator's own overhead comes on top). Walks every
  // row: O(sessions) under the shared lock. 0 when not loaded.
  std::size_t ApproximateBytes() const;
  // The sum of the listed sessions' trace counts.
  int64_t trace_total() const;
  // Calls f(const SessionTableChange&) with every listed session's row
  // (Verify); the rows are built one at a time under the shared lock.
  template <typename F>
  void ForEach(F f) const {
    std::shared_lock<std::shared_mutex> l(mu_);
    SessionTableChange c;
    for (const Row& r : rows_) {
      if (!r.listed) continue;
      ToChange(r, &c);
      f(static_cast<const SessionTableChange&>(c));
    }
  }

 private:
  struct Row {
    std::string prefix;
    std::string name;
    SessionIndexEntry entry;
    std::vector<uint32_t> tags;    // Ascending ids into tag_names_.
    std::vector<uint32_t> models;  // Ascending ids into model_names_.
    uint32_t slot = 0;             // Its index in rows_.
    uint32_t user = 0;             // Into users_; 0 is the empty user id.
    bool listed = false;
  };
  // A 128-bit set of the byte pairs of a folded text (hashed): a row whose
  // id or name could contain a search text has every pair of the text.
  struct Grams {
    uint64_t bits[2] = {0, 0};
    void Add(std::string_view folded);
    bool Covers(const Grams& o) const {
      return (bits[0] & o.bits[0]) == o.bits[0] && (bits[1] & o.bits[1]) == o.bits[1];
    }
  };
  // Each slot's entry, listed flag and byte pairs again, contiguous: walks
  // and passes read 80 bytes per session and touch the row only for
  // sessions that pass the numbers and could match the search.
  struct Compact {
    SessionIndexEntry entry;
    bool listed = false;
    Grams grams;  // Of the folded session id and name.
  };
  // Names interned as ids (never released: tags and models are few).
  struct Names {
    std::vector<std::string> names;
    std::unordered_map<std::string, uint32_t> ids;
    uint32_t Intern(const std::string& name);
    // Sorted ids of `names`; false if one was never interned.
    bool Lookup(const std::vector<std::string>& names, std::vector<uint32_t>* ids) const;
  };
  // A TableFilter with its names resolved to ids.
  struct Resolved {
    const TableFilter* f = nullptr;
    std::vector<uint32_t> tags;
    uint32_t model = 0;
    bool has_model = false;
    Grams search_grams;  // Of f->folded_search: every row that can match has them all.
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

  // With `ordered` false the ordered sets are left alone (Load rebuilds
  // them all at the end).
  void ApplyLocked(const SessionTableChange& c, bool ordered = true);
  // Fills the ordered sets from the listed rows: each sorted once, then
  // appended in order (amortized O(1) per key). On 990K sessions, one
  // insert per key and set at random positions took 38 s.
  void BuildOrdersLocked();
  void ToChange(const Row& r, SessionTableChange* c) const;
  uint32_t UserSlot(const std::string& user_id);
  // False when the filter names a tag or model no row has (nothing passes).
  bool Resolve(const TableFilter* f, Resolved* out) const;
  static bool Passes(const Row& r, const Resolved& f);
  // Passes' parts: the numeric filters, and the ones on names and ids.
  // Cheap first: PassesCompact reads the compact entry only (the numbers
  // and the search's byte pairs); PassesNames reads the row.
  static bool PassesNumbers(const SessionIndexEntry& e, const TableFilter* f);
  static bool PassesCompact(const Compact& c, const Resolved& f);
  static bool PassesNames(const Row& r, const Resolved& f);
  static LastKey KeyOf(const Row& r);
  // The row's key in the order kSessionOrders[i] (i >= 1).
  static LastKey KeyOf(std::size_t i, const Row& r);
  // The range of positions a streamed listing can hold: from the window's
  // lower bound (last activity) and the filter's range on the order's own
  // metric; rows outside it are never visited.
  static void InvBounds(const TableQuery& q, uint64_t* min_inv, uint64_t* max_inv);
  // Streams a listing from `set`, ordered by q.order; bounded below by
  // q.from_ns when that order is last activity, else q.from_ns must be the
  // minimum time. With `may_pass` (the set holds every session), a walk
  // that has not filled the page after kWalkBudget + 32 * want rows returns
  // PassCompact's answer instead.
  std::vector<ListPosition> StreamByLast(const ByLast& set, const TableQuery& q, const Resolved& f,
                                         bool may_pass) const;
  // Every listed session of the window that passes, by one pass over
  // compact_ (the rows are read only for those passing the numbers).
  std::vector<ListPosition> PassCompact(const TableQuery& q, const Resolved& f) const;
  static constexpr std::size_t kWalkBudget = 2048;
  const std::size_t walk_budget_ = 0;
  // Calls consider(row) for the rows that may be in the window [from_ns,
  // ...): those of `set` whose last activity is at or after from_ns (any
  // when !has_from), or, when `set` is null, every row (unlisted ones too).
  template <typename F>
  void ForWindowRows(const ByLast* set, int64_t from_ns, bool has_from, F consider) const;
  // Collects the window's rows (from `set` when given) and selects.
  std::vector<ListPosition> CollectAndSelect(const ByLast* set, const TableQuery& q,
                                             const Resolved& f) const;

  mutable std::shared_mutex mu_;
  bool loaded_ = false;
  std::deque<Row> rows_;  // Stable addresses: the maps and sets view them.
  std::vector<Compact> compact_;
  std::unordered_map<std::string_view, uint32_t> slot_of_;
  ByLast by_last_;
  // The other orders (kSessionOrders[1..]), same key shape: streamed when
  // a listing has neither a lower time bound nor a user filter.
  std::vector<ByLast> by_order_ = std::vector<ByLast>(std::size(kSessionOrders));
  std::vector<std::string> users_{std::string()};  // users_[0] is "".
  std::unordered_map<std::string, uint32_t> user_slot_;
  std::vector<ByLast> by_user_{ByLast()};
  Names tag_names_;
  Names model_names_;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_SESSION_TABLE_H_
