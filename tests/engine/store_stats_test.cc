// Copyright sessionstore authors.
//
// StoreStats' memory figures through the store: the block caches' pools
// (BlockMemoryPool) map memory as blocks are read from table files, within
// their documented bound; the pending session deltas are counted until a
// catch-up folds them, within four times Options::index_pending_bytes; the
// session indexes count from their load on and grow with the sessions.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

using testing::GetSessionOrDie;
using testing::IngestOrDie;
using testing::kSec;
using testing::kT0;
using testing::OpenOrDie;
using testing::TempDir;
using testing::Turn;

TEST(StoreStatsTest, BlockPoolsHoldTheBlocksReadFromTables) {
  TempDir dir;
  Options options;
  options.block_cache_bytes = 8u << 20;
  {
    auto store = OpenOrDie(dir.path(), options);
    std::vector<Trace> traces;
    for (int i = 0; i < 800; ++i) {
      traces.push_back(Turn("t" + std::to_string(i), "s" + std::to_string(i % 80), kT0 + i * kSec,
                            std::string(3000, 'q'), std::string(3000, 'r')));
    }
    IngestOrDie(store.get(), traces);
    ASSERT_TRUE(store->Compact().ok());  // Everything in table files.
  }
  auto store = OpenOrDie(dir.path(), options);
  StoreStats before;
  ASSERT_TRUE(store->GetStats(&before).ok());
  // Every trace record (about 5.5 MB of blocks once decompressed, within
  // the traces' 6 MiB cache): more than the slabs its pool maps ahead
  // (the current one and two spares, 3 MiB), so this thread maps more
  // itself whatever the pool's own thread has done by then.
  for (int i = 0; i < 800; ++i) {
    Trace t;
    ASSERT_TRUE(store->GetTrace("t" + std::to_string(i), &t).ok()) << i;
    EXPECT_EQ(t.output.value.size(), 3000u);
  }
  for (int s = 0; s < 80; ++s) {
    EXPECT_EQ(GetSessionOrDie(store.get(), "s" + std::to_string(s)).trace_count, 10);
  }
  StoreStats after;
  ASSERT_TRUE(store->GetStats(&after).ok());
  EXPECT_GT(after.block_cache_bytes, 0u);
  EXPECT_GT(after.block_pool_bytes, before.block_pool_bytes);
  // 1.25x the budget plus 8 MiB for each of the two caches.
  EXPECT_LE(after.block_pool_bytes, options.block_cache_bytes / 4 * 5 + (16u << 20));
}

TEST(StoreStatsTest, PendingDeltasAndSessionIndexesAreCounted) {
  TempDir dir;
  Options options;
  options.index_interval_ms = 0;  // Deltas wait for a listing's catch-up.
  auto store = OpenOrDie(dir.path(), options);
  auto ingest_sessions = [&](int first, int count) {
    std::vector<Trace> traces;
    for (int i = first; i < first + count; ++i) {
      traces.push_back(Turn("t" + std::to_string(i), "session-" + std::to_string(i),
                            kT0 + i * kSec, "hello", "there"));
    }
    IngestOrDie(store.get(), traces);
  };
  ingest_sessions(0, 100);
  StoreStats st;
  ASSERT_TRUE(store->GetStats(&st).ok());
  EXPECT_GT(st.pending_delta_bytes, 100u * 20) << "a delta per session, each tens of bytes";
  EXPECT_EQ(st.session_index_bytes, 0u) << "nothing listed yet: the indexes are not loaded";

  SessionPage page;
  ASSERT_TRUE(store->ListSessions(ListSessionsOptions(), &page).ok());
  ASSERT_TRUE(store->GetStats(&st).ok());
  EXPECT_EQ(st.pending_delta_bytes, 0u) << "the listing caught up";
  const uint64_t hundred = st.session_index_bytes;
  // Each session: at least its row, its compact entry and a key in each of
  // the seven orders.
  EXPECT_GT(hundred, 100u * 400);

  ingest_sessions(100, 900);
  ASSERT_TRUE(store->ListSessions(ListSessionsOptions(), &page).ok());
  ASSERT_TRUE(store->GetStats(&st).ok());
  EXPECT_GT(st.session_index_bytes, hundred * 8) << "ten times the sessions";
  EXPECT_LT(st.session_index_bytes, hundred * 12);
}

// Options::index_pending_bytes bounds the deltas held in memory: without
// the background catch-up, a writer catches up once four times it is
// pending, so what is pending grows to just under that and then drops.
TEST(StoreTest, PendingDeltaBytesFollowTheOption) {
  for (std::size_t mib : {1, 2}) {
    TempDir dir;
    Options options;
    options.index_interval_ms = 0;  // Writers catch up themselves.
    options.index_pending_bytes = mib << 20;
    const uint64_t bound = 4 * (mib << 20);
    auto store = OpenOrDie(dir.path(), options);
    uint64_t max_seen = 0, last = 0, batch_bytes = 0;
    bool dropped = false;
    int batches = 0;
    for (; batches < 3000 && !dropped; ++batches) {
      std::vector<Trace> batch;
      for (int i = 0; i < 20; ++i) {
        const std::string id = std::to_string(batches) + "-" + std::to_string(i);
        batch.push_back(Turn("t" + id, "s" + std::to_string(i), kT0 + batches, "q",
                             std::string(1000, 'o')));
      }
      IngestOrDie(store.get(), batch);
      StoreStats stats;
      ASSERT_TRUE(store->GetStats(&stats).ok());
      if (batches == 0) batch_bytes = stats.pending_delta_bytes;
      dropped = stats.pending_delta_bytes < last;
      last = stats.pending_delta_bytes;
      max_seen = std::max(max_seen, last);
    }
    ASSERT_TRUE(dropped) << mib;
    EXPECT_LT(max_seen, bound) << mib;
    EXPECT_GE(max_seen + batch_bytes, bound) << mib;
    EXPECT_EQ(GetSessionOrDie(store.get(), "s3").trace_count, batches);
  }
}

}  // namespace
}  // namespace sessionstore
