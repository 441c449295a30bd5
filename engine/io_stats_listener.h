// Copyright sessionstore authors.
//
// IoStatsListener: counts, since the store opened and per column family,
// the bytes RocksDB wrote into table and blob files by flushes and by
// compactions, and the CPU time of the compactions (an EventListener: one
// callback per finished job, no per-write cost). With the bytes of the
// ingest batches (counted by the writer) they give the write amplification
// reported by Store::GetStats; per family they show which family's
// background work an ingest pays for.
//
// Thread safety: RocksDB calls it from its background threads; the
// counters are atomics.

#ifndef SESSIONSTORE_ENGINE_IO_STATS_LISTENER_H_
#define SESSIONSTORE_ENGINE_IO_STATS_LISTENER_H_

#include <rocksdb/listener.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string_view>
#include <system_error>

#include "engine/column_families.h"

namespace sessionstore {

class IoStatsListener : public rocksdb::EventListener {
 public:
  // One family's counters, as read at one moment.
  struct FamilyIo {
    uint64_t flushed_bytes = 0;
    uint64_t compacted_bytes = 0;
    uint64_t compaction_cpu_micros = 0;
  };

  void OnFlushCompleted(rocksdb::DB* /*db*/, const rocksdb::FlushJobInfo& info) override {
    std::error_code ec;
    const auto size = std::filesystem::file_size(info.file_path, ec);
    // The table may be gone already (compacted away): its properties then.
    const uint64_t bytes = ec ? info.table_properties.data_size + info.table_properties.index_size +
                                    info.table_properties.filter_size
                              : size;
    Of(info.cf_name).flushed.fetch_add(bytes, std::memory_order_relaxed);
  }
  void OnCompactionCompleted(rocksdb::DB* /*db*/, const rocksdb::CompactionJobInfo& info) override {
    Counters& c = Of(info.cf_name);
    c.compacted.fetch_add(info.stats.total_output_bytes + info.stats.total_output_bytes_blob,
                          std::memory_order_relaxed);
    c.cpu_micros.fetch_add(info.stats.cpu_micros, std::memory_order_relaxed);
  }

  // The counters of `family` since the store opened.
  FamilyIo family(ColumnFamily family) const {
    const Counters& c = counters_[static_cast<std::size_t>(family)];
    return {c.flushed.load(std::memory_order_relaxed), c.compacted.load(std::memory_order_relaxed),
            c.cpu_micros.load(std::memory_order_relaxed)};
  }
  // Totals over every family (and any family this build does not name).
  uint64_t flushed_bytes() const { return Sum(&Counters::flushed); }
  uint64_t compacted_bytes() const { return Sum(&Counters::compacted); }

 private:
  struct Counters {
    std::atomic<uint64_t> flushed{0};
    std::atomic<uint64_t> compacted{0};
    std::atomic<uint64_t> cpu_micros{0};
  };

  // The counters of the family named `name`; a name the store does not
  // open (impossible today) counts in a slot of its own.
  Counters& Of(std::string_view name) {
    for (std::size_t i = 0; i < kColumnFamilyCount; ++i) {
      if (name == kColumnFamilyNames[i]) return counters_[i];
    }
    return counters_[kColumnFamilyCount];
  }
  uint64_t Sum(std::atomic<uint64_t> Counters::*field) const {
    uint64_t total = 0;
    for (const Counters& c : counters_) total += (c.*field).load(std::memory_order_relaxed);
    return total;
  }

  std::array<Counters, kColumnFamilyCount + 1> counters_;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_IO_STATS_LISTENER_H_
