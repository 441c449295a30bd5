// Copyright sessionstore authors.
//
// Store upgrade: brings a store written by an older format version up to
// kFormatVersion on its first writable open (docs/format.md, "Version
// history"). Version 4 kept the sorted orders ('O') and users' lists ('U')
// on disk; version 5 kept index states without the error count, session
// name, tags and models that version 6's filters need. Both are upgraded
// by rewriting every session's index state 'X' from its aggregate, then, in
// one final atomic write, dropping version 4's ranges and storing the new
// version. A crash before that write leaves the old version in place, and
// the next open upgrades again from the start (the rewrite is idempotent).
//
// Thread safety: none needed; runs inside Store::Open, before the store
// is handed out and before the background indexer starts.

#ifndef SESSIONSTORE_ENGINE_STORE_UPGRADE_H_
#define SESSIONSTORE_ENGINE_STORE_UPGRADE_H_

#include <string>

#include "engine/session_indexer.h"
#include "engine/store_context.h"
#include "sessionstore/status.h"

namespace sessionstore {

// True for the versions UpgradeFormat accepts.
bool IsUpgradableFormat(const std::string& version);

// Upgrades the store in `ctx` from `version` (REQUIRES:
// IsUpgradableFormat(version)). `indexer` must be recovered: its pending
// markers are applied first, so that the rewritten states are the only
// ones (no marker is applied twice). `rows` reads each session's exact
// state from its aggregate (SessionReader). Returns IOError or Corruption
// from the reads and writes; the store then keeps its old version.
Status UpgradeFormat(const StoreContext& ctx, const std::string& version, SessionIndexer* indexer,
                     const IndexRowSource& rows);

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_STORE_UPGRADE_H_
