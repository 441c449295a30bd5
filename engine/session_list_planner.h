// Copyright sessionstore authors.
//
// SessionListPlanner: answers ListSessions from the session indexes of the
// `index` family (docs/format.md), then reads the page's rows in one
// MultiGet of aggregates. Each listing runs one plan (ListPlan); every plan
// walks the index through RangeScan, which binds the bounds, the direction
// and the resume position of the cursor.
//
// Thread safety: List may be called concurrently.

#ifndef SESSIONSTORE_ENGINE_SESSION_LIST_PLANNER_H_
#define SESSIONSTORE_ENGINE_SESSION_LIST_PLANNER_H_

#include <string>
#include <vector>

#include "engine/session_indexer.h"
#include "engine/session_reader.h"
#include "engine/store_context.h"
#include "sessionstore/store.h"

namespace sessionstore {

// How a listing walks the indexes.
enum class ListPlan {
  // The order's entries ('O'), bounded by the window where the order allows
  // (last activity from `from`, first activity before `to`), filtered by
  // the window; streams: stops after limit + 1 hits.
  kOrderIndex,
  // The user's entries ('U'), newest activity first and bounded by `from`;
  // streams for last activity, else collects the window's sessions and
  // sorts them by the order.
  kUserIndex,
  // A metric order (not last or first activity) over a window with a lower
  // bound: walks the metric's entries and collects the window's sessions
  // from the last-activity entries in lockstep; the first to finish answers.
  kWindowLockstep,
};

// Which halves of kWindowLockstep run (tests force each one).
enum class LockstepPlans { kBoth, kCollectWindowOnly, kWalkMetricOnly };

class SessionListPlanner {
 public:
  // `context`, `reader` and `indexer` must outlive the planner. Unless
  // `read_only`, every listing first catches the indexer up
  // (read-your-writes).
  SessionListPlanner(const StoreContext* context, const SessionReader* reader,
                     SessionIndexer* indexer, bool read_only, LockstepPlans lockstep)
      : ctx_(context),
        reader_(reader),
        indexer_(indexer),
        read_only_(read_only),
        lockstep_(lockstep) {}

  // As Store::ListSessions.
  Status List(const ListSessionsOptions& options, SessionPage* page) const;

  // The plan a listing with these options runs. REQUIRES: a valid order.
  static ListPlan Choose(const ListSessionsOptions& options);

 private:
  // The page's rows: the sessions at `prefixes` (in listing order) from one
  // MultiGet of aggregates as of ro.snapshot; sessions gone since they were
  // indexed are skipped.
  Status ReadRows(const rocksdb::ReadOptions& ro, const std::vector<std::string>& prefixes,
                  SessionPage* page) const;

  const StoreContext* const ctx_;
  const SessionReader* const reader_;
  SessionIndexer* const indexer_;
  const bool read_only_;
  const LockstepPlans lockstep_;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_SESSION_LIST_PLANNER_H_
