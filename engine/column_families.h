// Copyright sessionstore authors.
//
// The column families of a store, by name: which one holds what is in
// engine/format/keys.h and docs/format.md, how each is tuned in
// engine/rocksdb_options.h.

#ifndef SESSIONSTORE_ENGINE_COLUMN_FAMILIES_H_
#define SESSIONSTORE_ENGINE_COLUMN_FAMILIES_H_

#include <rocksdb/db.h>

#include <array>
#include <cstddef>
#include <vector>

namespace sessionstore {

// Every column family, in the order the store opens them (the order of
// MakeColumnFamilies' descriptors and so of the handles RocksDB returns).
enum class ColumnFamily : std::size_t {
  kDefault = 0,  // The format version.
  kTraces,       // Trace records by session and start.
  kTraceIds,     // Trace id -> locator.
  kSessions,     // Merged session aggregates.
  kIndex,        // Session indexes (state, order and user entries).
  kDirty,        // Per-batch dirty markers for the session indexer.
};
inline constexpr std::size_t kColumnFamilyCount = 6;

// Names on disk. DO NOT CHANGE: stored on disk.
inline constexpr std::array<const char*, kColumnFamilyCount> kColumnFamilyNames = {
    "default", "traces", "trace_ids", "sessions", "index", "dirty"};

// The open handles of a store's column families, by name. Not owned: the
// store that opened them destroys them. Copyable view, no synchronization
// needed (handles are immutable once open).
struct ColumnFamilies {
  rocksdb::ColumnFamilyHandle* default_family = nullptr;
  rocksdb::ColumnFamilyHandle* traces = nullptr;
  rocksdb::ColumnFamilyHandle* trace_ids = nullptr;
  rocksdb::ColumnFamilyHandle* sessions = nullptr;
  rocksdb::ColumnFamilyHandle* index = nullptr;
  rocksdb::ColumnFamilyHandle* dirty = nullptr;

  // Names the handles RocksDB returned for MakeColumnFamilies' descriptors.
  // REQUIRES: handles.size() == kColumnFamilyCount, in ColumnFamily order.
  static ColumnFamilies FromHandles(const std::vector<rocksdb::ColumnFamilyHandle*>& handles) {
    ColumnFamilies c;
    c.default_family = handles[static_cast<std::size_t>(ColumnFamily::kDefault)];
    c.traces = handles[static_cast<std::size_t>(ColumnFamily::kTraces)];
    c.trace_ids = handles[static_cast<std::size_t>(ColumnFamily::kTraceIds)];
    c.sessions = handles[static_cast<std::size_t>(ColumnFamily::kSessions)];
    c.index = handles[static_cast<std::size_t>(ColumnFamily::kIndex)];
    c.dirty = handles[static_cast<std::size_t>(ColumnFamily::kDirty)];
    return c;
  }
  // Every handle, in ColumnFamily order.
  std::vector<rocksdb::ColumnFamilyHandle*> All() const {
    return {default_family, traces, trace_ids, sessions, index, dirty};
  }
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_COLUMN_FAMILIES_H_
