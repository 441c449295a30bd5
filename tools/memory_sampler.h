// Copyright sessionstore authors.
//
// MemorySampler: the memory figures of `sessionstore ingest --stats`. A
// thread of its own reads the process's resident set and the store's
// memory figures (Store::GetStats) every period, and keeps the sample
// taken when the resident set was largest, so that a peak can be split
// into what the options bound and the rest.
//
// Thread safety: every method may be called from any thread.

#ifndef SESSIONSTORE_TOOLS_MEMORY_SAMPLER_H_
#define SESSIONSTORE_TOOLS_MEMORY_SAMPLER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "sessionstore/store.h"

namespace sessionstore {

// One sample, in bytes.
struct MemorySample {
  uint64_t resident = 0;         // The process's resident set.
  uint64_t memtables = 0;        // StoreStats::memtable_bytes.
  uint64_t block_cache = 0;      // StoreStats::block_cache_bytes (in use).
  uint64_t block_pools = 0;      // StoreStats::block_pool_bytes (mapped).
  uint64_t pending_deltas = 0;   // StoreStats::pending_delta_bytes.
  uint64_t held_deltas = 0;      // StoreStats::held_delta_bytes.
  uint64_t summary_cache = 0;    // StoreStats::summary_cache_bytes.
  uint64_t session_indexes = 0;  // StoreStats::session_index_bytes.
};

class MemorySampler {
 public:
  // Reads the figures into a sample; false when they cannot be read (that
  // sample is skipped).
  using Reader = std::function<bool(MemorySample*)>;

  // Samples `store` (not owned; must outlive the sampler) and this
  // process's resident set (/proc/self/statm) now, then every `period`
  // until Stop, which takes a last sample.
  MemorySampler(Store* store, std::chrono::milliseconds period);
  // Samples what `read` returns (tests).
  MemorySampler(Reader read, std::chrono::milliseconds period);
  // Stops the thread.
  ~MemorySampler();
  MemorySampler(const MemorySampler&) = delete;
  MemorySampler& operator=(const MemorySampler&) = delete;

  // Takes one last sample and stops the thread. Idempotent.
  void Stop();
  // The sample with the largest resident set so far (all zero before the
  // first one); the number of samples taken.
  MemorySample AtPeak() const;
  uint64_t samples() const;

  // This process's resident set in bytes, or 0 where it cannot be read.
  static uint64_t ResidentBytes();

 private:
  void Take();
  void Run(std::chrono::milliseconds period);

  const Reader read_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  MemorySample peak_;
  uint64_t samples_ = 0;
  std::thread thread_;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_TOOLS_MEMORY_SAMPLER_H_
