// Copyright sessionstore authors.

#include "engine/util/block_memory_pool.h"

#include <gtest/gtest.h>
#include <rocksdb/cache.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "engine/rocksdb_options.h"

namespace sessionstore {
namespace {

constexpr std::size_t kUnbounded = std::size_t{1} << 40;

bool Aligned16(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 16 == 0; }

TEST(BlockMemoryPoolTest, BuffersAreWritableAlignedAndDistinct) {
  BlockMemoryPool pool(kUnbounded);
  const std::vector<std::size_t> sizes = {1, 255, 256, 257, 4096, 4500, 65536, 65537, 3u << 20};
  std::vector<char*> held;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    char* p = static_cast<char*>(pool.Allocate(sizes[i]));
    ASSERT_NE(p, nullptr) << sizes[i];
    EXPECT_TRUE(Aligned16(p)) << sizes[i];
    EXPECT_GE(pool.UsableSize(p, sizes[i]), sizes[i]) << sizes[i];
    std::memset(p, static_cast<int>(i + 1), sizes[i]);
    held.push_back(p);
  }
  // No buffer overlaps another: each still holds its own fill.
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    for (std::size_t k = 0; k < sizes[i]; k += 97) {
      ASSERT_EQ(held[i][k], static_cast<char>(i + 1)) << sizes[i] << " at " << k;
    }
    ASSERT_EQ(held[i][sizes[i] - 1], static_cast<char>(i + 1)) << sizes[i];
  }
  for (char* p : held) pool.Deallocate(p);
  pool.Deallocate(nullptr);
}

TEST(BlockMemoryPoolTest, AFreedBufferServesItsSizeClassAgain) {
  BlockMemoryPool pool(kUnbounded);
  void* a = pool.Allocate(4500);
  EXPECT_EQ(pool.SlabBytes(), BlockMemoryPool::kSlabBytes);
  pool.Deallocate(a);
  // 4,400 rounds up to the same class as 4,500 (4,608 bytes).
  EXPECT_EQ(pool.Allocate(4400), a);
  EXPECT_EQ(pool.UsableSize(a, 4400), 4608u);
  pool.Deallocate(a);
  // Another class does not take it, even while it is free.
  void* b = pool.Allocate(8000);
  EXPECT_NE(b, a);
  EXPECT_EQ(pool.SlabBytes(), BlockMemoryPool::kSlabBytes);
  pool.Deallocate(b);
}

TEST(BlockMemoryPoolTest, LargeBuffersComeFromMallocAndAreNotPooled) {
  BlockMemoryPool pool(kUnbounded);
  const std::size_t size = BlockMemoryPool::kMaxPooledBytes + 1;
  void* p = pool.Allocate(size);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(pool.UsableSize(p, size), size);
  EXPECT_EQ(pool.SlabBytes(), 0u);
  pool.Deallocate(p);
  EXPECT_EQ(pool.SlabBytes(), 0u);
  EXPECT_EQ(pool.Allocate(SIZE_MAX - 8), nullptr);  // A damaged size: no wrap-around.
}

TEST(BlockMemoryPoolTest, SlabsGrowWhenOneIsFull) {
  BlockMemoryPool pool(kUnbounded);
  // The largest pooled buffers, with their 16-byte headers.
  const std::size_t per_slab =
      BlockMemoryPool::kSlabBytes / (BlockMemoryPool::kMaxPooledBytes + 16);
  const std::size_t count = per_slab + 2;
  std::vector<void*> held;
  for (std::size_t i = 0; i < count; ++i) {
    held.push_back(pool.Allocate(BlockMemoryPool::kMaxPooledBytes));
  }
  EXPECT_EQ(pool.SlabBytes(), 2 * BlockMemoryPool::kSlabBytes);
  std::set<void*> distinct(held.begin(), held.end());
  EXPECT_EQ(distinct.size(), held.size());
  for (void* p : held) pool.Deallocate(p);
  for (std::size_t i = 0; i < count; ++i) held[i] = pool.Allocate(BlockMemoryPool::kMaxPooledBytes);
  EXPECT_EQ(pool.SlabBytes(), 2 * BlockMemoryPool::kSlabBytes);  // All reused.
  for (void* p : held) pool.Deallocate(p);
}

TEST(BlockMemoryPoolTest, PastItsBoundBuffersComeFromMalloc) {
  BlockMemoryPool pool(BlockMemoryPool::kSlabBytes);  // One slab.
  std::vector<void*> held;
  for (int i = 0; i < 600; ++i) held.push_back(pool.Allocate(4000));  // About 2.4 MB.
  EXPECT_EQ(pool.SlabBytes(), BlockMemoryPool::kSlabBytes);
  std::set<void*> distinct(held.begin(), held.end());
  EXPECT_EQ(distinct.size(), held.size());
  for (void* p : held) {
    std::memset(p, 0x5a, 4000);
    pool.Deallocate(p);
  }
  BlockMemoryPool none(0);
  void* p = none.Allocate(100);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(none.UsableSize(p, 100), 100u);  // Not a size class: from malloc.
  EXPECT_EQ(none.SlabBytes(), 0u);
  none.Deallocate(p);
}

TEST(BlockMemoryPoolTest, ThreadsAllocateAndFreeConcurrently) {
  BlockMemoryPool pool(kUnbounded);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&pool, t] {
      std::vector<std::pair<char*, std::size_t>> held;
      for (int i = 0; i < 5000; ++i) {
        const std::size_t size = 64 + static_cast<std::size_t>((i * 131 + t * 977) % 9000);
        char* p = static_cast<char*>(pool.Allocate(size));
        std::memset(p, t + 1, size);
        held.emplace_back(p, size);
        if (held.size() > 32) {
          auto [q, n] = held.front();
          for (std::size_t k = 0; k < n; k += 61) ASSERT_EQ(q[k], t + 1);
          pool.Deallocate(q);
          held.erase(held.begin());
        }
      }
      for (auto& [q, n] : held) pool.Deallocate(q);
    });
  }
  for (auto& th : threads) th.join();
  // Each thread's sizes step by 131 bytes over 36 classes of 256, so it
  // holds at most 2 of its 33 live buffers in one class: at most 8 per
  // class in all, about 1.4 MB over the classes.
  EXPECT_LE(pool.SlabBytes(), 3 * BlockMemoryPool::kSlabBytes);
}

// Waits up to 10 s for the pool's thread to have `n` spares ready.
bool SparesReady(const BlockMemoryPool& pool, std::size_t n) {
  for (int i = 0; i < 10000 && pool.SpareSlabs() < n; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return pool.SpareSlabs() >= n;
}

TEST(BlockMemoryPoolTest, SlabsAreMappedAheadOfTheBuffersThatNeedThem) {
  BlockMemoryPool pool(kUnbounded);
  EXPECT_EQ(pool.MappedBytes(), 0u);  // An unused pool maps nothing.
  const std::size_t per_slab =
      BlockMemoryPool::kSlabBytes / (BlockMemoryPool::kMaxPooledBytes + 16);
  std::vector<void*> held;
  held.push_back(pool.Allocate(BlockMemoryPool::kMaxPooledBytes));
  EXPECT_EQ(pool.SlabsMappedByCallers(), 1u);  // The first slab.
  // Five more slabs' worth, each slab taken from the spares that the
  // pool's thread mapped meanwhile.
  for (int slab = 0; slab < 5; ++slab) {
    ASSERT_TRUE(SparesReady(pool, BlockMemoryPool::kSpareSlabs)) << slab;
    for (std::size_t i = 0; i < per_slab; ++i) {
      held.push_back(pool.Allocate(BlockMemoryPool::kMaxPooledBytes));
    }
  }
  EXPECT_EQ(pool.SlabsMappedByCallers(), 1u);
  EXPECT_EQ(pool.SlabBytes(), 6 * BlockMemoryPool::kSlabBytes);
  ASSERT_TRUE(SparesReady(pool, BlockMemoryPool::kSpareSlabs));
  EXPECT_EQ(pool.MappedBytes(),
            (6 + BlockMemoryPool::kSpareSlabs) * BlockMemoryPool::kSlabBytes);
  std::set<void*> distinct(held.begin(), held.end());
  EXPECT_EQ(distinct.size(), held.size());
  for (void* p : held) {
    std::memset(p, 0x3c, BlockMemoryPool::kMaxPooledBytes);
    pool.Deallocate(p);
  }
}

TEST(BlockMemoryPoolTest, SparesCountTowardTheBound) {
  BlockMemoryPool pool(2 * BlockMemoryPool::kSlabBytes);
  void* p = pool.Allocate(4000);
  ASSERT_TRUE(SparesReady(pool, 1));
  // Room for one spare only, however long the thread runs.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(pool.SpareSlabs(), 1u);
  EXPECT_EQ(pool.MappedBytes(), 2 * BlockMemoryPool::kSlabBytes);
  std::vector<void*> held;
  for (int i = 0; i < 600; ++i) held.push_back(pool.Allocate(4000));  // About 2.4 MB.
  EXPECT_EQ(pool.MappedBytes(), 2 * BlockMemoryPool::kSlabBytes);
  EXPECT_EQ(pool.SpareSlabs(), 0u);
  for (void* q : held) pool.Deallocate(q);
  pool.Deallocate(p);
}

TEST(BlockMemoryPoolTest, TheBlockCachesUseThePool) {
  const std::shared_ptr<rocksdb::Cache> cache = NewBlockCache(64u << 20);
  ASSERT_NE(cache->memory_allocator(), nullptr);
  EXPECT_STREQ(cache->memory_allocator()->Name(), "SessionstoreBlockMemoryPool");
}

}  // namespace
}  // namespace sessionstore
