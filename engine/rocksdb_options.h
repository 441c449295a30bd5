// Copyright sessionstore authors.
//
// The RocksDB options sessionstore opens its column families with, in one
// place, so that benchmarks can measure raw RocksDB under exactly the same
// settings.

#ifndef SESSIONSTORE_ENGINE_ROCKSDB_OPTIONS_H_
#define SESSIONSTORE_ENGINE_ROCKSDB_OPTIONS_H_

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/options.h>

#include <memory>
#include <vector>

#include "engine/column_families.h"
#include "sessionstore/options.h"

namespace sessionstore {

rocksdb::DBOptions MakeDBOptions(const Options& options);

// An LRU block cache of `capacity` bytes whose shards each hold at least
// 16 MiB, so that any table's index block can stay cached.
std::shared_ptr<rocksdb::Cache> NewBlockCache(std::size_t capacity);

// Bytes of slabs the pool of a cache made by NewBlockCache has mapped
// (BlockMemoryPool::SlabBytes); 0 for another cache or none.
std::size_t BlockPoolBytes(const rocksdb::Cache* cache);

// Options of the `traces` column family (shares `cache`).
rocksdb::ColumnFamilyOptions MakeTracesOptions(const Options& options,
                                               const std::shared_ptr<rocksdb::Cache>& cache);

// Descriptors of every column family, in ColumnFamily order
// (engine/column_families.h). Options::block_cache_bytes is split: 3/4 for
// the trace records, 1/4 shared by the other families.
std::vector<rocksdb::ColumnFamilyDescriptor> MakeColumnFamilies(
    const Options& options, const std::shared_ptr<rocksdb::MergeOperator>& session_merge_operator);

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_ROCKSDB_OPTIONS_H_
