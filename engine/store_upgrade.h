// Copyright sessionstore authors.
//
// Store upgrade: brings a store written by an older format version up to
// kFormatVersion on its first writable open (docs/format.md, "Version
// history"). Version 4 kept the sorted orders ('O') and users' lists ('U')
// on disk; version 5 kept index states without the error count, session
// name, tags and models that version 6's filters need; versions 4 to 6
// wrote each batch's session deltas as merge operands into `sessions` and
// dirty markers holding index states only. Those three are upgraded the
// same way: the old markers are dropped (what they mark is already in the
// aggregates, which the merge operator still folds on read), every
// session's index state 'X' is rewritten from its aggregate, and one final
// atomic write drops version 4's ranges and stores the new version. A
// crash before that write leaves the old version in place, and the next
// open upgrades again from the start (each step is idempotent). Version 7
// wrote each session's whole delta into the markers, where version 8 names
// the added traces: its markers are rewritten as version 8's (each delta
// kept whole) in the one atomic write that stores the version. Version 9
// only adds round records (engine/format/round_record.h): a version-8
// store just stores the new version.
//
// Thread safety: none needed; runs inside Store::Open, before the store
// is handed out and before the indexer recovers its markers.
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
// IsUpgradableFormat(version)), before SessionIndexer::Recover (the old
// markers do not decode as version 8's). `rows` reads each session's exact
// state from its aggregate (SessionReader). Returns IOError or Corruption
// from the reads and writes; the store then keeps its old version.
Status UpgradeFormat(const StoreContext& ctx, const std::string& version,
                     const IndexRowSource& rows);

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_STORE_UPGRADE_H_
