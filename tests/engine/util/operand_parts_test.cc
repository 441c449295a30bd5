// Copyright sessionstore authors.

#include "engine/util/operand_parts.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace sessionstore {
namespace {

void CountRelease(void* counter, void* /*unused*/) { ++*static_cast<int*>(counter); }

TEST(OperandPartsTest, ReleasesEveryPinWhenTheGuardEnds) {
  int released = 0;
  const std::string block = "operand bytes held by a cached block";
  {
    OperandParts parts;
    parts[0].PinSlice(block, &CountRelease, &released, nullptr);
    parts[5].PinSlice(block, &CountRelease, &released, nullptr);
    EXPECT_TRUE(parts[0].IsPinned());
    EXPECT_EQ(released, 0);
  }
  EXPECT_EQ(released, 2);
  OperandParts again;
  for (std::size_t i = 0; i < OperandParts::kCount; ++i) {
    EXPECT_FALSE(again[i].IsPinned()) << i;
    EXPECT_EQ(again[i].size(), 0u) << i;
  }
}

TEST(OperandPartsTest, ReusesCopiedOperandsCapacityAndDropsLargeOnes) {
  const std::string small(2000, 's');
  const std::string huge(OperandParts::kKeepBytes + 1, 'h');
  const char* small_buffer = nullptr;
  {
    OperandParts parts;
    parts[0].PinSelf(small);
    parts[1].PinSelf(huge);
    small_buffer = parts[0].data();
  }
  OperandParts parts;
  EXPECT_GE(parts[0].GetSelf()->capacity(), small.size());
  EXPECT_LE(parts[1].GetSelf()->capacity(), OperandParts::kKeepBytes);
  parts[0].PinSelf(small);
  EXPECT_EQ(parts[0].data(), small_buffer);  // The same allocation again.
  EXPECT_EQ(parts[0].ToString(), small);
}

TEST(OperandPartsTest, EachThreadHasItsOwnSlices) {
  const rocksdb::PinnableSlice* mine = nullptr;
  {
    OperandParts parts;
    mine = parts.data();
  }
  const rocksdb::PinnableSlice* theirs = nullptr;
  std::thread([&] {
    OperandParts parts;
    theirs = parts.data();
  }).join();
  EXPECT_NE(mine, theirs);
  OperandParts parts;
  EXPECT_EQ(parts.data(), mine);
}

}  // namespace
}  // namespace sessionstore
