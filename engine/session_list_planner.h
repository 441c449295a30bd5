// Copyright sessionstore authors.
//
// SessionListPlanner: answers ListSessions. The index part runs in memory
// on the SessionTable (engine/session_table.h), brought up to date by a
// catch-up first; then the page's rows come from the summary cache or
// from one batched read of their aggregates (SessionReader::ReadMany).
// Cursors carry the listing's binding (window, user filter, order,
// direction) and the last row's position.
//
// Thread safety: List may be called concurrently.

#ifndef SESSIONSTORE_ENGINE_SESSION_LIST_PLANNER_H_
#define SESSIONSTORE_ENGINE_SESSION_LIST_PLANNER_H_

#include <string>
#include <vector>

#include "engine/session_indexer.h"
#include "engine/session_reader.h"
#include "engine/session_table.h"
#include "engine/store_context.h"
#include "sessionstore/store.h"

namespace sessionstore {

// True when `summary` is in the listing's window and passes its user
// filter and every filter; `folded_search` is FoldCase(options.search).
bool SessionMatches(const SessionSummary& summary, const ListSessionsOptions& options,
                    const std::string& folded_search);

class SessionListPlanner {
 public:
  // `context`, `reader`, `indexer` and `table` must outlive the planner.
  // Unless `read_only`, every listing first catches the indexer up
  // (read-your-writes).
  SessionListPlanner(const StoreContext* context, const SessionReader* reader,
                     SessionIndexer* indexer, const SessionTable* table, bool read_only)
      : ctx_(context), reader_(reader), indexer_(indexer), table_(table), read_only_(read_only) {}

  // As Store::ListSessions.
  Status List(const ListSessionsOptions& options, SessionPage* page) const;

 private:
  // The page's rows: the sessions at `positions` (in listing order) from
  // the summary cache, the others from SessionReader::ReadMany, as of one
  // snapshot taken after the cache lookups; sessions gone since they were
  // indexed are skipped. Rows that no longer match `options` as read are
  // left out. The rows are built in *reuse (the caller's previous rows,
  // resized), then swapped into page->sessions.
  Status ReadRows(const std::vector<ListPosition>& positions, const ListSessionsOptions& options,
                  const std::string& folded_search, std::vector<SessionSummary>* reuse,
                  SessionPage* page) const;

  const StoreContext* const ctx_;
  const SessionReader* const reader_;
  SessionIndexer* const indexer_;
  const SessionTable* const table_;
  const bool read_only_;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_SESSION_LIST_PLANNER_H_
