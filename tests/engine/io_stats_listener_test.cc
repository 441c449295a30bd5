// Copyright sessionstore authors.
//
// IoStatsListener through Store::GetStats: per family, the bytes flushes and
// compactions wrote and the compactions' CPU time, since the store opened.

#include "engine/io_stats_listener.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sessionstore/store.h"
#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

using testing::IngestOrDie;
using testing::kSec;
using testing::kT0;
using testing::MakeTrace;
using testing::OpenOrDie;
using testing::TempDir;
using testing::Turn;

const FamilyStats& Family(const StoreStats& st, const std::string& name) {
  for (const FamilyStats& f : st.families) {
    if (f.name == name) return f;
  }
  ADD_FAILURE() << "no family " << name;
  static const FamilyStats kNone;
  return kNone;
}

uint64_t Written(const StoreStats& st) {
  uint64_t total = 0;
  for (const FamilyStats& f : st.families) total += f.flushed_bytes + f.compacted_bytes;
  return total;
}

TEST(IoStatsListenerTest, FamiliesCountTheirFlushesAndCompactions) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  StoreStats st;
  ASSERT_TRUE(store->GetStats(&st).ok());
  ASSERT_EQ(st.families.size(), 6u);
  EXPECT_EQ(Written(st), 0u);
  EXPECT_EQ(Family(st, "traces").compaction_cpu_micros, 0u);

  // Enough traces (about 2 KB each) that compacting them takes measurable CPU.
  std::vector<Trace> batch;
  for (int i = 0; i < 2000; ++i) {
    batch.push_back(Turn("t" + std::to_string(i), "s" + std::to_string(i % 50), kT0 + i * kSec,
                         std::string(1000, 'q'),
                         std::string(1000, static_cast<char>('a' + i % 26))));
  }
  IngestOrDie(store.get(), batch);
  ASSERT_TRUE(store->Flush().ok());
  ASSERT_TRUE(store->GetStats(&st).ok());
  for (const char* name : {"traces", "trace_ids", "sessions"}) {
    EXPECT_GT(Family(st, name).flushed_bytes, 0u) << name;
    EXPECT_EQ(Family(st, name).compacted_bytes, 0u) << name;
  }
  // The records are the largest part of what a flush writes.
  EXPECT_GT(Family(st, "traces").flushed_bytes, Family(st, "sessions").flushed_bytes);
  EXPECT_EQ(Written(st), st.table_bytes_written);

  ASSERT_TRUE(store->Compact().ok());
  ASSERT_TRUE(store->GetStats(&st).ok());
  const FamilyStats& traces = Family(st, "traces");
  EXPECT_GT(traces.compacted_bytes, 0u);
  EXPECT_GT(traces.compaction_cpu_micros, 0u);
  EXPECT_EQ(Written(st), st.table_bytes_written);
}

// A reopened store counts from zero: the figures are since this open.
TEST(IoStatsListenerTest, CountsStartAtOpen) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path());
    IngestOrDie(store.get(), {MakeTrace("t", "s", kT0)});
    ASSERT_TRUE(store->Flush().ok());
    StoreStats st;
    ASSERT_TRUE(store->GetStats(&st).ok());
    EXPECT_GT(Family(st, "traces").flushed_bytes, 0u);
  }
  auto store = OpenOrDie(dir.path());
  StoreStats st;
  ASSERT_TRUE(store->GetStats(&st).ok());
  EXPECT_EQ(Written(st), 0u);
}

}  // namespace
}  // namespace sessionstore
