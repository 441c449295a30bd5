// Copyright sessionstore authors.

#include "engine/util/write_batch_pool.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace sessionstore {
namespace {

// The buffer of a batch: its bytes' address (a kept batch keeps it).
const char* BufferOf(const rocksdb::WriteBatch& wb) { return wb.Data().data(); }

TEST(WriteBatchPoolTest, ReusesTheBatchClearedWithItsBuffer) {
  WriteBatchPool pool(2, 1u << 20);
  const char* buffer = nullptr;
  {
    WriteBatchPool::Lease wb = pool.Acquire(64u << 10);
    ASSERT_TRUE(wb->Put("key", std::string(60u << 10, 'v')).ok());
    buffer = BufferOf(*wb);
    EXPECT_EQ(pool.idle(), 0u);
  }
  EXPECT_EQ(pool.idle(), 1u);
  WriteBatchPool::Lease again = pool.Acquire(32u << 10);
  EXPECT_EQ(again->Count(), 0u);  // Cleared.
  EXPECT_EQ(BufferOf(*again), buffer);
  ASSERT_TRUE(again->Put("other", "value").ok());
  EXPECT_EQ(again->Count(), 1u);
}

// A batch reserved larger than what it then held serves an estimate up
// to its reservation: the writers' estimates are upper bounds, so the next
// batch's usually exceeds what the last one held.
TEST(WriteBatchPoolTest, ServesUpToTheReservationNotJustWhatItHeld) {
  WriteBatchPool pool(2, 8u << 20);
  const char* buffer = nullptr;
  {
    WriteBatchPool::Lease wb = pool.Acquire(1u << 20);
    ASSERT_TRUE(wb->Put("k", std::string(100u << 10, 'v')).ok());
    buffer = BufferOf(*wb);
  }
  WriteBatchPool::Lease again = pool.Acquire(1u << 20);
  EXPECT_EQ(BufferOf(*again), buffer);
  EXPECT_EQ(pool.idle(), 0u);
}

TEST(WriteBatchPoolTest, AskedForMoreThanAKeptBatchHeldGivesANewOne) {
  WriteBatchPool pool(2, 8u << 20);
  { WriteBatchPool::Lease wb = pool.Acquire(); ASSERT_TRUE(wb->Put("k", "small").ok()); }
  ASSERT_EQ(pool.idle(), 1u);
  WriteBatchPool::Lease big = pool.Acquire(1u << 20);
  EXPECT_EQ(pool.idle(), 1u);  // The small one stays kept.
  EXPECT_EQ(big->Count(), 0u);
}

TEST(WriteBatchPoolTest, FreesBatchesPastItsBounds) {
  WriteBatchPool pool(2, 100u << 10);
  {
    WriteBatchPool::Lease huge = pool.Acquire();
    ASSERT_TRUE(huge->Put("k", std::string(200u << 10, 'h')).ok());
  }
  EXPECT_EQ(pool.idle(), 0u);  // Grew past max_idle_bytes.
  {
    WriteBatchPool::Lease a = pool.Acquire();
    WriteBatchPool::Lease b = pool.Acquire();
    WriteBatchPool::Lease c = pool.Acquire();
    ASSERT_TRUE(a->Put("k", std::string(10, 'a')).ok());
    ASSERT_TRUE(b->Put("k", std::string(30u << 10, 'b')).ok());
    ASSERT_TRUE(c->Put("k", std::string(20u << 10, 'c')).ok());
  }
  EXPECT_EQ(pool.idle(), 2u);  // At most max_idle: the two larger kept.
  WriteBatchPool::Lease first = pool.Acquire(25u << 10);
  EXPECT_EQ(pool.idle(), 1u);  // The largest (b's) served it.
  WriteBatchPool none(0, 1u << 20);
  { WriteBatchPool::Lease wb = none.Acquire(); }
  EXPECT_EQ(none.idle(), 0u);
}

TEST(WriteBatchPoolTest, ConcurrentLeasesEachGetTheirOwnBatch) {
  WriteBatchPool pool(2, 1u << 20);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&pool, t] {
      for (int i = 0; i < 500; ++i) {
        WriteBatchPool::Lease wb = pool.Acquire(i % 3 == 0 ? 4096 : 0);
        ASSERT_EQ(wb->Count(), 0u);
        ASSERT_TRUE(wb->Put(std::to_string(t), std::to_string(i)).ok());
        ASSERT_EQ(wb->Count(), 1u);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_LE(pool.idle(), 2u);
}

}  // namespace
}  // namespace sessionstore
