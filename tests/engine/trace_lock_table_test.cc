// Copyright sessionstore authors.

#include "engine/trace_lock_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace sessionstore {
namespace {

TEST(TraceLockTableTest, SharedIdWaitsForTheHolder) {
  TraceLockTable table;
  const std::string a = "a", b = "b";
  std::atomic<bool> second_holds{false};
  std::thread other;
  {
    TraceLockTable::Guard first(&table, {a, b});
    other = std::thread([&] {
      TraceLockTable::Guard second(&table, {b});
      second_holds = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_FALSE(second_holds.load());  // Still held by `first`.
  }
  other.join();
  EXPECT_TRUE(second_holds.load());
}

TEST(TraceLockTableTest, DisjointIdsDoNotWait) {
  TraceLockTable table;
  const std::string a = "a", b = "b";
  TraceLockTable::Guard first(&table, {a});
  std::atomic<bool> done{false};
  std::thread other([&] {
    TraceLockTable::Guard second(&table, {b});
    done = true;
  });
  other.join();  // Would hang if `b` waited for `a`.
  EXPECT_TRUE(done.load());
}

TEST(TraceLockTableTest, OverlappingBatchesInAnyOrderNeverDeadlockAndExclude) {
  // Batches lock overlapping id sets listed in opposite orders; each id's
  // holder count must never exceed one, and every batch must finish.
  TraceLockTable table;
  std::vector<std::string> ids;
  for (int i = 0; i < 200; ++i) ids.push_back("trace-" + std::to_string(i));
  std::vector<std::atomic<int>> holders(ids.size());
  std::atomic<int> violations{0};
  auto worker = [&](int seed) {
    for (int round = 0; round < 300; ++round) {
      std::vector<std::string_view> batch;
      std::vector<std::size_t> at;
      for (std::size_t k = 0; k < 5; ++k) {
        const std::size_t i = (seed * 31 + round * 7 + k * 13) % ids.size();
        bool dup = false;
        for (std::size_t j : at) dup |= j == i;
        if (dup) continue;
        at.push_back(i);
        batch.push_back(ids[i]);
      }
      if (seed % 2 == 1) std::reverse(batch.begin(), batch.end());
      TraceLockTable::Guard guard(&table, batch);
      for (std::size_t i : at) {
        if (holders[i].fetch_add(1) != 0) ++violations;
      }
      for (std::size_t i : at) holders[i].fetch_sub(1);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(worker, t);
  for (auto& t : threads) t.join();
  EXPECT_EQ(violations.load(), 0);
}

}  // namespace
}  // namespace sessionstore
