// Copyright sessionstore authors.

#include "engine/util/block_memory_pool.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

namespace sessionstore {
namespace {

bool Aligned16(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 16 == 0; }

TEST(BlockMemoryPoolTest, BuffersAreWritableAlignedAndDistinct) {
  BlockMemoryPool pool;
  std::vector<std::pair<char*, std::size_t>> held;
  for (std::size_t size : {1u, 255u, 256u, 257u, 4096u, 4500u, 65536u, 65537u, 3u << 20}) {
    char* p = static_cast<char*>(pool.Allocate(size));
    ASSERT_NE(p, nullptr) << size;
    EXPECT_TRUE(Aligned16(p)) << size;
    EXPECT_GE(pool.UsableSize(p, size), size) << size;
    std::memset(p, static_cast<int>(size & 0xff), size);
    held.emplace_back(p, size);
  }
  // No buffer overlaps another: each still holds its own fill.
  for (const auto& [p, size] : held) {
    for (std::size_t i = 0; i < size; i += 97) ASSERT_EQ(p[i], static_cast<char>(size & 0xff));
  }
  for (const auto& [p, size] : held) pool.Deallocate(p);
  pool.Deallocate(nullptr);
}

TEST(BlockMemoryPoolTest, AFreedBufferServesItsSizeClassAgain) {
  BlockMemoryPool pool;
  void* a = pool.Allocate(4500);
  const std::size_t slabs = pool.SlabBytes();
  EXPECT_EQ(slabs, BlockMemoryPool::kSlabBytes);
  pool.Deallocate(a);
  // 4,400 rounds up to the same class as 4,500 (4,608 bytes).
  EXPECT_EQ(pool.Allocate(4400), a);
  EXPECT_EQ(pool.UsableSize(a, 4400), 4608u);
  // Another class does not take it; a larger one is carved anew.
  void* b = pool.Allocate(8000);
  EXPECT_NE(b, a);
  EXPECT_EQ(pool.SlabBytes(), slabs);
}

TEST(BlockMemoryPoolTest, LargeBuffersComeFromMallocAndAreNotPooled) {
  BlockMemoryPool pool;
  const std::size_t size = BlockMemoryPool::kMaxPooledBytes + 1;
  void* p = pool.Allocate(size);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(pool.UsableSize(p, size), size);
  EXPECT_EQ(pool.SlabBytes(), 0u);
  pool.Deallocate(p);
  EXPECT_EQ(pool.SlabBytes(), 0u);
}

TEST(BlockMemoryPoolTest, SlabsGrowWhenOneIsFull) {
  BlockMemoryPool pool;
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

TEST(BlockMemoryPoolTest, ThreadsAllocateAndFreeConcurrently) {
  BlockMemoryPool pool;
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
  // 4 threads x 33 live buffers of at most about 9 KB, in 36 size
  // classes: however they interleave, no class ever holds more than the
  // 132 live buffers (1.2 MB), so the pool stays far below 36 x 1.2 MB.
  EXPECT_LE(pool.SlabBytes(), 8 * BlockMemoryPool::kSlabBytes);
}

}  // namespace
}  // namespace sessionstore
