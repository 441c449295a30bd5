// Copyright sessionstore authors.
//
// TraceLockTable serializes the read-modify-write of an ingest per trace id:
// two batches that carry the same trace id never interleave their reads of
// the stored version and their writes, while batches with disjoint ids run
// fully in parallel. A batch locks all its ids in one global order (hash,
// then bytes), so batches never deadlock.
//
// Thread safety: all methods are thread-safe.

#ifndef SESSIONSTORE_ENGINE_TRACE_LOCK_TABLE_H_
#define SESSIONSTORE_ENGINE_TRACE_LOCK_TABLE_H_

#include <array>
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace sessionstore {

class TraceLockTable {
 public:
  // Holds a set of trace ids from construction to destruction. The ids must
  // be unique and stay alive as long as the guard.
  class Guard {
   public:
    Guard(TraceLockTable* table, std::vector<std::string_view> ids);
    ~Guard();
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

   private:
    TraceLockTable* table_;
    std::vector<std::string_view> ids_;
  };

 private:
  struct Stripe {
    std::mutex mu;
    std::condition_variable released;
    std::unordered_set<std::string_view> held;  // Views into the holders' ids.
  };
  static constexpr std::size_t kStripes = 64;

  Stripe& StripeFor(std::string_view id);

  std::array<Stripe, kStripes> stripes_;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_TRACE_LOCK_TABLE_H_
