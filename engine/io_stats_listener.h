// Copyright sessionstore authors.
//
// IoStatsListener: counts, since the store opened, the bytes RocksDB wrote
// into table files by flushes and by compactions (an EventListener: one
// callback per finished job, no per-write cost). With the bytes of the
// ingest batches (counted by the writer) they give the write amplification
// reported by Store::GetStats.
//
// Thread safety: RocksDB calls it from its background threads; the
// counters are atomics.

#ifndef SESSIONSTORE_ENGINE_IO_STATS_LISTENER_H_
#define SESSIONSTORE_ENGINE_IO_STATS_LISTENER_H_

#include <rocksdb/listener.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <system_error>

namespace sessionstore {

class IoStatsListener : public rocksdb::EventListener {
 public:
  void OnFlushCompleted(rocksdb::DB* /*db*/, const rocksdb::FlushJobInfo& info) override {
    std::error_code ec;
    const auto size = std::filesystem::file_size(info.file_path, ec);
    // The table may be gone already (compacted away): its properties then.
    flushed_.fetch_add(ec ? info.table_properties.data_size + info.table_properties.index_size +
                                info.table_properties.filter_size
                          : size,
                       std::memory_order_relaxed);
  }
  void OnCompactionCompleted(rocksdb::DB* /*db*/, const rocksdb::CompactionJobInfo& info) override {
    compacted_.fetch_add(info.stats.total_output_bytes + info.stats.total_output_bytes_blob,
                         std::memory_order_relaxed);
  }
  uint64_t flushed_bytes() const { return flushed_.load(std::memory_order_relaxed); }
  uint64_t compacted_bytes() const { return compacted_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> flushed_{0};
  std::atomic<uint64_t> compacted_{0};
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_IO_STATS_LISTENER_H_
