// Copyright sessionstore authors.
//
// StoreVerifier: Store::Verify. Recomputes every session's aggregate from
// its stored traces and compares it with the merged one, checks each
// trace's key against its record and its locator, each aggregate and
// locator for a trace behind it, and every session index entry against the
// recomputed aggregate, all as of one snapshot.
//
// Thread safety: Verify may be called concurrently with every other store
// method (it reads a snapshot).

#ifndef SESSIONSTORE_ENGINE_STORE_VERIFIER_H_
#define SESSIONSTORE_ENGINE_STORE_VERIFIER_H_

#include <string>
#include <unordered_set>

#include "engine/aggregate/session_delta.h"
#include "engine/session_indexer.h"
#include "engine/session_table.h"
#include "engine/store_context.h"
#include "sessionstore/store.h"

namespace sessionstore {

class StoreVerifier {
 public:
  // `context`, `indexer` and `table` must outlive the verifier. Unless
  // `read_only`, Verify first catches the indexer up. A read-only open that
  // applied pending markers in memory has states on disk behind its table:
  // only the table is checked then.
  StoreVerifier(const StoreContext* context, SessionIndexer* indexer, const SessionTable* table,
                bool read_only)
      : ctx_(context), indexer_(indexer), table_(table), read_only_(read_only) {}

  // As Store::Verify.
  Status Verify(VerifyReport* report) const;

 private:
  // Every trace record against its key and locator, and every session's
  // aggregate and index entries against its recomputation; the prefixes of
  // the sessions seen go to *sessions.
  // `pending` holds the deltas not yet in the stored aggregates
  // (SessionIndexer::AllPending).
  Status CheckTraces(const rocksdb::ReadOptions& ro, const SessionIndexer::PendingMap& pending,
                     std::unordered_set<std::string>* sessions, VerifyReport* report) const;
  // One session's stored aggregate (followed by its `pending` deltas) and
  // index entries against `recomputed`.
  void CheckSession(const rocksdb::ReadOptions& ro, const std::string& prefix,
                    const std::string& session_id, const SessionDelta& recomputed,
                    const SessionIndexer::PendingMap& pending, VerifyReport* report) const;
  // Aggregates of sessions without traces.
  Status CheckAggregates(const rocksdb::ReadOptions& ro,
                         const std::unordered_set<std::string>& sessions,
                         VerifyReport* report) const;
  // Locators that point to no trace.
  Status CheckLocators(const rocksdb::ReadOptions& ro, VerifyReport* report) const;
  // One session's index state and table row against its recomputed
  // aggregate.
  void CheckSessionIndex(const rocksdb::ReadOptions& ro, const std::string& prefix,
                         const std::string& name, const SessionDelta& recomputed,
                         VerifyReport* report) const;
  // States and table rows of sessions without traces, and keys of the
  // `index` family that are not states.
  Status CheckIndexEntries(const rocksdb::ReadOptions& ro,
                           const std::unordered_set<std::string>& sessions,
                           VerifyReport* report) const;
  // The states on disk are behind the table (see the constructor).
  bool SkipStateChecks() const { return read_only_ && indexer_->applied_in_memory(); }

  const StoreContext* const ctx_;
  SessionIndexer* const indexer_;
  const SessionTable* const table_;
  const bool read_only_;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_STORE_VERIFIER_H_
