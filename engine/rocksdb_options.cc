// Copyright sessionstore authors.

#include "engine/rocksdb_options.h"

#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>

#include <algorithm>
#include <string_view>
#include <utility>

#include "engine/format/keys.h"
#include "engine/util/block_memory_pool.h"

namespace sessionstore {

namespace {

rocksdb::BlockBasedTableOptions TableOptions(const std::shared_ptr<rocksdb::Cache>& cache,
                                             bool bloom) {
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = cache;
  t.cache_index_and_filter_blocks = true;
  t.pin_l0_filter_and_index_blocks_in_cache = true;
  t.format_version = 5;
  // XXH3 block checksums, not CRC32C: Debian's librocksdb is built without
  // SSE4.2 ("Fast CRC32 supported: Not supported on x86" in the LOG), so its
  // CRC32C runs in software at about 4 instructions per byte, over every
  // block a flush or compaction writes or reads and every block a read
  // misses in the cache. Each table records its own checksum type, so
  // tables written with CRC32C by earlier versions stay readable
  // (bench/README.md, "Block checksums, traces in stored form").
  t.checksum = rocksdb::kXXH3;
  if (bloom) t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  return t;
}

// LZ4 at every level, the bottom one included: the families of small
// keys (trace ids, index states) have one level under level 0 until they
// outgrow it, so ZSTD "at the bottom" compressed every compaction of
// theirs. With LZ4: at 10M traces 48 s of compaction CPU against 111 s, 2%
// more disk (bench/README.md, "Compression of young traces").
void SetSmallKeyCompression(rocksdb::ColumnFamilyOptions* cf) {
  cf->compression = rocksdb::kLZ4Compression;
  cf->bottommost_compression = rocksdb::kLZ4Compression;
}

}  // namespace

// Shards of at least 16 MiB (64 shards at most): a table's index block is
// cached whole, and one larger than a shard is evicted as soon as it is
// used, so every lookup in that table re-reads and decodes it (reported:
// 2.4 ms per GetTrace, a 3.1 MB index block against 3 MB shards). Tables
// are at most about 64 MiB (target_file_size_base), so their index blocks
// stay a few MB even where ZSTD packs many blocks into one (1.1 MB measured
// on a compacted 400K-trace store of 1.2 KB traces).
std::shared_ptr<rocksdb::Cache> NewBlockCache(std::size_t capacity) {
  int shard_bits = 0;
  while (shard_bits < 6 && (capacity >> (shard_bits + 1)) >= (std::size_t{16} << 20)) {
    ++shard_bits;
  }
  // Block memory from pre-faulted, recycled slabs (BlockMemoryPool), at
  // most the capacity plus a quarter (blocks of one size class do not serve
  // another) plus 8 MiB of blocks in flight; malloc beyond that.
  auto pool = std::make_shared<BlockMemoryPool>(capacity + capacity / 4 + (std::size_t{8} << 20));
  return rocksdb::NewLRUCache(capacity, shard_bits, /*strict_capacity_limit=*/false,
                              /*high_pri_pool_ratio=*/0.5, std::move(pool));
}

std::size_t BlockPoolBytes(const rocksdb::Cache* cache) {
  if (cache == nullptr) return 0;
  rocksdb::MemoryAllocator* allocator = cache->memory_allocator();
  if (allocator == nullptr || std::string_view(allocator->Name()) != BlockMemoryPool::kName) {
    return 0;
  }
  return static_cast<const BlockMemoryPool*>(allocator)->MappedBytes();
}

rocksdb::DBOptions MakeDBOptions(const Options& options) {
  rocksdb::DBOptions db;
  db.create_if_missing = options.create_if_missing;
  db.create_missing_column_families = options.create_if_missing;
  db.error_if_exists = options.error_if_exists;
  db.max_background_jobs = std::max(2, options.background_jobs);
  db.bytes_per_sync = 1 << 20;
  db.keep_log_file_num = 4;
  // Bound the live write-ahead log. A log file is kept while any family
  // holds unflushed data from it, and the families with few bytes per
  // trace (trace ids, aggregates) fill their memtables slowly: without a
  // bound RocksDB keeps up to four times all memtables' capacity (about
  // 1.7 GB by default; measured: 485 MB of logs after 200K traces), all
  // replayed by the next open. Past the bound, the families that pin the
  // oldest log are flushed before their memtables fill: the dirty markers
  // the catch-up has not yet cancelled, the aggregates and the locators.
  // Four write buffers rather than two: 4% less CPU for a 1M-line ingest,
  // 13% for 200K lines (bench/README.md, "Slabs mapped ahead; what the
  // ingest knobs are worth").
  db.max_total_wal_size =
      std::max<uint64_t>(4 * static_cast<uint64_t>(options.write_buffer_bytes), uint64_t{64} << 20);
  // A torn tail is a write that was never acknowledged; any other damage
  // must not drop acknowledged writes without the user's word.
  // Asked to recover, replay up to the damage: a consistent prefix of the
  // history (skipping only the damaged records would keep later batches
  // whose index states count the skipped ones).
  db.wal_recovery_mode = options.recover_damaged_wal
                             ? rocksdb::WALRecoveryMode::kPointInTimeRecovery
                             : rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  return db;
}

rocksdb::ColumnFamilyOptions MakeTracesOptions(const Options& options,
                                               const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions traces;
  traces.write_buffer_size = options.write_buffer_bytes;
  traces.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(kSessionHashBytes));
  traces.memtable_prefix_bloom_size_ratio = 0.05;
  traces.table_factory.reset(rocksdb::NewBlockBasedTableFactory(TableOptions(cache, true)));
  traces.level_compaction_dynamic_level_bytes = true;
  // The base level uncompressed, LZ4 above and below it, ZSTD at the
  // bottom. Every level-0 compaction rewrites the whole base level
  // (below), so compressing it there cost more than anything else in the
  // compactions (LZ4 about 13% of a 10M ingest's CPU). Level 0 stays LZ4:
  // a store under a few GB keeps most traces there, and uncompressed they
  // took 1.45x the disk at 1M. With dynamic level bytes, entry 0 is level
  // 0 and entry i > 0 the level i - 1 below the base level; ZSTD
  // (bottommost_compression) overrides the last one. At 10M traces, with
  // the small families' LZ4 below: 28.3K lines/s against 19.1K, 14.1 GB
  // on disk right after ingest against 10.9 (after a full compaction all
  // of it is in the bottom level); at 1M within noise of before
  // (bench/README.md, "Compression of young traces").
  traces.compression = rocksdb::kLZ4Compression;
  traces.compression_per_level = {rocksdb::kLZ4Compression, rocksdb::kNoCompression,
                                  rocksdb::kLZ4Compression, rocksdb::kLZ4Compression,
                                  rocksdb::kLZ4Compression, rocksdb::kLZ4Compression,
                                  rocksdb::kLZ4Compression};
  traces.bottommost_compression = rocksdb::kZSTD;
  // ZSTD's level 1, not its default 3: while a store is small its bottom
  // level is the base level, so every level-0 compaction writes ZSTD. At
  // 1M traces that compaction took 3.3-3.4 s of CPU against 4.1-4.3 for
  // 2% more bytes (the ingest 29.7 s of CPU against 32.4, three rounds);
  // at 10M, where most compactions write the levels above the bottom,
  // within noise (bench/README.md, "ZSTD's level at the bottom"). Reads
  // decompress at the same speed whatever the level.
  traces.bottommost_compression_opts.enabled = true;
  traces.bottommost_compression_opts.level = 1;
  // Every level-0 file of traces spans nearly every session (keys are
  // session-major, and a memtable holds the traces of every active
  // session), so each level-0 compaction rewrites the whole base level,
  // however few files it takes. A trigger of 16 files rather than
  // RocksDB's 4 rewrites it less often: at 10M traces, 134 s of compaction
  // CPU for `traces` against 217 s, and the CLI ingest 20% faster
  // (bench/README.md, "Level-0 compactions of traces"). In practice level
  // 0 is compacted before it holds 16 files: with dynamic level bytes
  // RocksDB also compacts it once it holds max_bytes_for_level_base (256
  // MiB, about 7 flushed files). Raising that to 1 GiB, so that 16 files
  // gather, was measured slower at 10M for this engine and for raw RocksDB
  // alike (bench/README.md, "Allocator decay; level 0 by size"), and only
  // put the compaction off past the end of a 1M ingest. A read probes each
  // level-0 file (its prefix bloom filter first; their index and filter
  // blocks stay pinned in the cache). Writes slow down at 36 files and
  // stop at 48, from RocksDB's 20 and 36.
  traces.level0_file_num_compaction_trigger = 16;
  traces.level0_slowdown_writes_trigger = 36;
  traces.level0_stop_writes_trigger = 48;
  return traces;
}

std::vector<rocksdb::ColumnFamilyDescriptor> MakeColumnFamilies(
    const Options& options, const std::shared_ptr<rocksdb::MergeOperator>& session_merge_operator) {
  // Two caches: the large trace records would otherwise evict the small,
  // hot blocks of aggregates, locators and indexes that every read needs.
  const std::shared_ptr<rocksdb::Cache> trace_cache =
      NewBlockCache(options.block_cache_bytes / 4 * 3);
  const std::shared_ptr<rocksdb::Cache> cache = NewBlockCache(options.block_cache_bytes / 4);
  const std::size_t small_buffer = std::max<std::size_t>(options.write_buffer_bytes / 4, 4u << 20);

  rocksdb::ColumnFamilyOptions trace_ids;
  trace_ids.write_buffer_size = small_buffer;
  trace_ids.memtable_whole_key_filtering = true;
  trace_ids.memtable_prefix_bloom_size_ratio = 0.05;
  trace_ids.table_factory.reset(rocksdb::NewBlockBasedTableFactory(TableOptions(cache, true)));
  SetSmallKeyCompression(&trace_ids);

  // Aggregates: a memtable as large as the traces' (not a quarter), so
  // that fewer level-0 files hold a session's operands when it is read
  // right after ingest (measured: a first page of a user's sessions 23%
  // faster at the median of seven runs; bench/README.md, "Cache
  // admission, operand slices, the aggregates' memtable").
  rocksdb::ColumnFamilyOptions sessions;
  sessions.write_buffer_size = std::max(options.write_buffer_bytes, small_buffer);
  sessions.merge_operator = session_merge_operator;
  sessions.max_successive_merges = options.max_session_operands;
  sessions.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(kSessionHashBytes));
  // A memtable bloom filter: a read of a session the memtables do not hold
  // (many, right after ingest) skips their skip-list searches
  // (measured: -6% instructions per first read; bench/README.md, "Memtable
  // bloom for aggregates; reads right after ingest").
  sessions.memtable_prefix_bloom_size_ratio = 0.05;
  sessions.memtable_whole_key_filtering = true;
  sessions.table_factory.reset(rocksdb::NewBlockBasedTableFactory(TableOptions(cache, true)));
  sessions.compression = rocksdb::kNoCompression;

  // Session index states: one small key per session, overwritten by every
  // catch-up that changed the session, read only when the in-memory table
  // is built and by the catch-ups. A small memtable; compressed (measured
  // in format 4: uncompressed cost 7% more disk per trace for a tenth of a
  // catch-up's time). Each catch-up reads the states of the sessions it
  // changes by key (most of them absent from most tables, new sessions
  // from all): bloom filters, in the tables and the memtable, halve that
  // read (measured: 59.7M -> 30.5M instructions in the catch-ups of a
  // 20K-line ingest; bench/README.md, "The ingest floor, cold list rows,
  // the first listing"). 16 MiB rather than 4: a write-back in chunks
  // (SessionIndexer::kWriteChunkBytes) writes about 1 MiB of states a
  // chunk, and a 4 MiB memtable then flushed them as small level-0 files
  // that compaction rewrote 2.4 times over (3M lines: 525-543 MB
  // compacted against 222-241 when the write-back was one batch; 266 with
  // 16 MiB; bench/README.md, twenty-ninth session).
  rocksdb::ColumnFamilyOptions index;
  index.write_buffer_size = 16u << 20;
  index.memtable_prefix_bloom_size_ratio = 0.05;
  index.memtable_whole_key_filtering = true;
  index.table_factory.reset(rocksdb::NewBlockBasedTableFactory(TableOptions(cache, true)));
  SetSmallKeyCompression(&index);

  // Dirty markers: written by ingest, deleted (SingleDelete) by the catch-up
  // that applies them, read only when the store opens. They name the
  // traces each batch added (about 20 bytes a trace; format 7's carried
  // the deltas, about 1.6 KB per changed session, and with 4 MiB the
  // 200K-trace ingest flushed 87 MB of them), and the memtable is as large
  // as the traces': when every round writes, nearly every pair cancels in
  // it, and what reaches a table is flushed to free an old log
  // (max_total_wal_size); markers of held rounds (Options::
  // index_hold_bytes) live longer and more of them are flushed (33-37 MB
  // at 1M lines against 13-14). Uncompressed: what does reach a table is
  // short-lived.
  rocksdb::ColumnFamilyOptions dirty;
  dirty.write_buffer_size = options.write_buffer_bytes;
  dirty.compression = rocksdb::kNoCompression;
  dirty.table_factory.reset(rocksdb::NewBlockBasedTableFactory(TableOptions(cache, false)));

  std::vector<rocksdb::ColumnFamilyDescriptor> cfs(kColumnFamilyCount);
  auto set = [&](ColumnFamily family, rocksdb::ColumnFamilyOptions o) {
    const auto i = static_cast<std::size_t>(family);
    cfs[i] = rocksdb::ColumnFamilyDescriptor(kColumnFamilyNames[i], std::move(o));
  };
  set(ColumnFamily::kDefault, rocksdb::ColumnFamilyOptions());
  set(ColumnFamily::kTraces, MakeTracesOptions(options, trace_cache));
  set(ColumnFamily::kTraceIds, trace_ids);
  set(ColumnFamily::kSessions, sessions);
  set(ColumnFamily::kIndex, index);
  set(ColumnFamily::kDirty, dirty);
  return cfs;
}

}  // namespace sessionstore
