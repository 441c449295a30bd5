// Copyright sessionstore authors.

#include "engine/rocksdb_options.h"

#include <gtest/gtest.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>

#include <string>

#include "engine/aggregate/session_merge_operator.h"
#include "engine/format/keys.h"

namespace sessionstore {
namespace {

const rocksdb::BlockBasedTableOptions* TableOf(const rocksdb::ColumnFamilyOptions& o) {
  return o.table_factory->GetOptions<rocksdb::BlockBasedTableOptions>();
}

TEST(RocksdbOptionsTest, DescriptorsFollowTheColumnFamilyOrderAndNames) {
  const auto cfs = MakeColumnFamilies(Options(), std::make_shared<SessionMergeOperator>());
  ASSERT_EQ(cfs.size(), kColumnFamilyCount);
  for (std::size_t i = 0; i < kColumnFamilyCount; ++i) {
    EXPECT_EQ(cfs[i].name, kColumnFamilyNames[i]);
  }
  EXPECT_EQ(cfs[static_cast<std::size_t>(ColumnFamily::kDefault)].name,
            rocksdb::kDefaultColumnFamilyName);
}

TEST(RocksdbOptionsTest, EachFamilyGetsItsSettings) {
  Options options;
  options.write_buffer_bytes = 64u << 20;
  options.max_session_operands = 5;
  options.block_cache_bytes = 400u << 20;
  auto merge = std::make_shared<SessionMergeOperator>();
  const auto cfs = MakeColumnFamilies(options, merge);
  const auto& traces = cfs[static_cast<std::size_t>(ColumnFamily::kTraces)].options;
  const auto& sessions = cfs[static_cast<std::size_t>(ColumnFamily::kSessions)].options;
  const auto& trace_ids = cfs[static_cast<std::size_t>(ColumnFamily::kTraceIds)].options;
  const auto& index = cfs[static_cast<std::size_t>(ColumnFamily::kIndex)].options;

  // Prefix bloom filters over the fixed session hash where scans run per
  // session.
  ASSERT_NE(traces.prefix_extractor, nullptr);
  ASSERT_NE(sessions.prefix_extractor, nullptr);
  const std::string key = TraceKey(7, "s", 1, "t");
  EXPECT_EQ(traces.prefix_extractor->Transform(key).size(), kSessionHashBytes);
  EXPECT_EQ(trace_ids.prefix_extractor, nullptr);

  EXPECT_EQ(traces.write_buffer_size, options.write_buffer_bytes);
  EXPECT_EQ(sessions.write_buffer_size, options.write_buffer_bytes);
  EXPECT_EQ(trace_ids.write_buffer_size, options.write_buffer_bytes / 4);
  EXPECT_EQ(sessions.merge_operator, merge);
  EXPECT_EQ(sessions.max_successive_merges, 5u);
  EXPECT_EQ(sessions.compression, rocksdb::kNoCompression);
  // A memtable bloom filter over whole session keys: a read of a session
  // the memtables do not hold skips their skip-list searches.
  EXPECT_GT(sessions.memtable_prefix_bloom_size_ratio, 0.0);
  EXPECT_TRUE(sessions.memtable_whole_key_filtering);
  // Traces: the base level uncompressed (every level-0 compaction
  // rewrites it), LZ4 above and below it, ZSTD at the bottom; one entry
  // per level.
  ASSERT_TRUE(traces.level_compaction_dynamic_level_bytes);
  ASSERT_EQ(traces.compression_per_level.size(), static_cast<std::size_t>(traces.num_levels));
  for (std::size_t i = 0; i < traces.compression_per_level.size(); ++i) {
    EXPECT_EQ(traces.compression_per_level[i],
              i == 1 ? rocksdb::kNoCompression : rocksdb::kLZ4Compression)
        << i;
  }
  EXPECT_EQ(traces.bottommost_compression, rocksdb::kZSTD);
  // At ZSTD's level 1: the base level is the bottom one while the store is
  // small, so every level-0 compaction pays for the level.
  EXPECT_TRUE(traces.bottommost_compression_opts.enabled);
  EXPECT_EQ(traces.bottommost_compression_opts.level, 1);
  // The small keys: LZ4 at every level, the bottom one included.
  for (const auto* cf : {&trace_ids, &index}) {
    EXPECT_TRUE(cf->compression_per_level.empty());
    EXPECT_EQ(cf->compression, rocksdb::kLZ4Compression);
    EXPECT_EQ(cf->bottommost_compression, rocksdb::kLZ4Compression);
  }
  // Level-0 compactions of traces wait for 16 files; the other families
  // keep RocksDB's 4.
  EXPECT_EQ(traces.level0_file_num_compaction_trigger, 16);
  EXPECT_GT(traces.level0_slowdown_writes_trigger, traces.level0_file_num_compaction_trigger);
  EXPECT_GT(traces.level0_stop_writes_trigger, traces.level0_slowdown_writes_trigger);
  EXPECT_EQ(sessions.level0_file_num_compaction_trigger, 4);
  EXPECT_EQ(trace_ids.level0_file_num_compaction_trigger, 4);

  // Two caches: 3/4 for trace records, 1/4 for everything else.
  const auto* traces_table = TableOf(traces);
  const auto* sessions_table = TableOf(sessions);
  const auto* index_table = TableOf(index);
  ASSERT_NE(traces_table, nullptr);
  ASSERT_NE(sessions_table, nullptr);
  ASSERT_NE(index_table, nullptr);
  EXPECT_EQ(traces_table->block_cache->GetCapacity(), options.block_cache_bytes / 4 * 3);
  EXPECT_EQ(sessions_table->block_cache->GetCapacity(), options.block_cache_bytes / 4);
  EXPECT_EQ(sessions_table->block_cache, index_table->block_cache);
  EXPECT_NE(traces_table->block_cache, sessions_table->block_cache);
  EXPECT_NE(traces_table->filter_policy, nullptr);
  // Catch-ups read index states by key, most of them absent from a table.
  EXPECT_NE(index_table->filter_policy, nullptr);
  EXPECT_TRUE(index.memtable_whole_key_filtering);
  EXPECT_GT(index.memtable_prefix_bloom_size_ratio, 0);

  // XXH3 block checksums in every family (Debian's CRC32C runs in software).
  for (const auto& cf : cfs) {
    const auto* table = TableOf(cf.options);
    ASSERT_NE(table, nullptr) << cf.name;
    if (cf.name != rocksdb::kDefaultColumnFamilyName) {
      EXPECT_EQ(table->checksum, rocksdb::kXXH3) << cf.name;
    }
  }
}

// Regression: 64 shards of a 192 MB cache held 3 MB each, less than one
// compacted table's index block, which then never stayed cached.
TEST(RocksdbOptionsTest, CacheShardsHoldAtLeast16MiB) {
  auto bits = [](std::size_t capacity) {
    const std::string o = NewBlockCache(capacity)->GetPrintableOptions();
    const std::size_t at = o.find("num_shard_bits : ");
    return at == std::string::npos ? -1 : std::stoi(o.substr(at + 17));
  };
  EXPECT_EQ(bits(std::size_t{192} << 20), 3);  // 8 shards of 24 MiB.
  EXPECT_EQ(bits(std::size_t{64} << 20), 2);
  EXPECT_EQ(bits(std::size_t{8} << 20), 0);
  EXPECT_EQ(bits(std::size_t{64} << 30), 6);  // At most 64 shards.
}

TEST(RocksdbOptionsTest, SmallBuffersHaveAFloorAndDbOptionsFollowOptions) {
  Options options;
  options.write_buffer_bytes = 1u << 20;
  options.background_jobs = 0;
  options.create_if_missing = false;
  options.error_if_exists = true;
  const auto cfs = MakeColumnFamilies(options, std::make_shared<SessionMergeOperator>());
  EXPECT_EQ(cfs[static_cast<std::size_t>(ColumnFamily::kSessions)].options.write_buffer_size,
            4u << 20);
  EXPECT_EQ(cfs[static_cast<std::size_t>(ColumnFamily::kTraceIds)].options.write_buffer_size,
            4u << 20);
  const rocksdb::DBOptions db = MakeDBOptions(options);
  EXPECT_EQ(db.max_background_jobs, 2);  // Values below 2 count as 2.
  EXPECT_FALSE(db.create_if_missing);
  EXPECT_FALSE(db.create_missing_column_families);
  EXPECT_TRUE(db.error_if_exists);
}

}  // namespace
}  // namespace sessionstore
