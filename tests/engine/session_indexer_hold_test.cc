// Copyright sessionstore authors.
//
// SessionIndexer write-back (tests/engine/session_indexer_fixture.h): the
// rounds of writers and of the background thread hold their deltas in
// memory, one per session, until a bound, a loaded table or a CatchUp()
// ends the hold; readers see held deltas, and a crash while they are held
// loses nothing.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "engine/session_indexer.h"
#include "tests/engine/session_indexer_fixture.h"

namespace sessionstore {
namespace {

using testing::SessionIndexerTest;

class SessionIndexerHoldTest : public SessionIndexerTest {
 protected:
  void SetUp() override {
    hold_bytes_ = std::size_t{1} << 20;
    Open();
  }

  // Polls `done` (the background thread's progress) for up to 5 s: no
  // timing is asserted, the caller checks the outcome.
  static void WaitUntil(const std::function<bool()>& done) {
    for (int i = 0; i < 5000 && !done(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
};

TEST_F(SessionIndexerHoldTest, HeldRoundsWriteNothingUntilACatchUp) {
  Ingest({"a", "b"}, 100);
  indexer_->CatchUpForWriter();  // A round that may hold.
  EXPECT_EQ(Count(handles_[3]), 0u) << "no aggregate written";
  EXPECT_EQ(Count(handles_[1]), 0u) << "no index state written";
  EXPECT_EQ(Count(handles_[2]), 1u) << "the marker stays";
  EXPECT_GT(indexer_->held_bytes(), 0u);
  EXPECT_EQ(indexer_->pending_bytes(), 0u);
  EXPECT_EQ(indexer_->pending(), 2u);
  EXPECT_EQ(Read("a").trace_count, 1);

  Ingest({"a"}, 200);
  indexer_->CatchUpForWriter();
  EXPECT_EQ(Count(handles_[3]), 0u);
  EXPECT_EQ(Count(handles_[2]), 2u);
  // One held delta per session: a's two batches composed.
  EXPECT_EQ(Read("a").trace_count, 2);
  EXPECT_EQ(Read("a").prompt_tokens, 6);
  EXPECT_EQ(Read("a").last.trace_id, "a-200");
  EXPECT_EQ(Read("b").trace_count, 1);

  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(Count(handles_[3]), 2u);
  EXPECT_EQ(Count(handles_[2]), 0u) << "every held marker deleted with the write";
  EXPECT_EQ(indexer_->held_bytes(), 0u);
  EXPECT_EQ(indexer_->pending(), 0u);
  EXPECT_EQ(State("a").Entry().trace_count, 2);
  EXPECT_EQ(Read("a").trace_count, 2) << "not counted twice";
  EXPECT_EQ(Read("b").trace_count, 1);
}

TEST_F(SessionIndexerHoldTest, ACrashWhileHeldLosesNothing) {
  Ingest({"a", "b"}, 100);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  Ingest({"a"}, 200);
  indexer_->CatchUpForWriter();
  Ingest({"a", "c"}, 300);
  indexer_->CatchUpForWriter();
  ASSERT_EQ(Count(handles_[2]), 2u);
  Close();  // No catch-up: the held deltas are lost with the process.
  Open();
  EXPECT_EQ(Read("a").trace_count, 3);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(Count(handles_[2]), 0u);
  EXPECT_EQ(State("a").Entry().trace_count, 3);
  EXPECT_EQ(State("b").Entry().trace_count, 1);
  EXPECT_EQ(State("c").Entry().trace_count, 1);
  EXPECT_EQ(Read("a").last.trace_id, "a-300");
}

// A hold moves each session's deltas into its held one a chunk of
// sessions at a time (HoldInPlace): readers running beside it (a session's
// read, and AllPending as Verify calls it) see every session whole, each
// batch once, whether the hold makes new entries (the first round) or
// absorbs into held ones (the second). 600 sessions: three chunks.
TEST_F(SessionIndexerHoldTest, ReadersSeeEachBatchOnceWhileAHoldMovesThem) {
  std::vector<std::string> ids;
  for (int i = 0; i < 600; ++i) ids.push_back("s" + std::to_string(i));
  for (int64_t round = 1; round <= 2; ++round) {
    Ingest(ids, 100 * round);
    std::atomic<bool> stop{false};
    std::atomic<int> reads{0}, wrong{0};
    std::thread reader([&] {
      while (!stop.load() || reads.load() == 0) {
        for (const char* id : {"s0", "s299", "s300", "s599"}) {
          if (Read(id).trace_count != round) ++wrong;
          ++reads;
        }
      }
    });
    std::thread verifier([&] {
      // Nothing is stored yet: each session's pending deltas are all of it.
      SessionIndexer::PendingMap pending;
      do {
        indexer_->AllPending(&pending, [] {});
        if (pending.size() != ids.size()) ++wrong;
        for (const auto& [prefix, deltas] : pending) {
          int64_t traces = 0;
          for (const SessionDelta& d : deltas) traces += d.trace_count;
          if (traces != round) ++wrong;
        }
        ++reads;
      } while (!stop.load());
    });
    indexer_->CatchUpForWriter();  // Holds: nothing is written.
    stop = true;
    reader.join();
    verifier.join();
    EXPECT_EQ(wrong.load(), 0) << "round " << round << ", " << reads.load() << " reads";
    EXPECT_EQ(Count(handles_[3]), 0u);
    EXPECT_EQ(indexer_->pending_bytes(), 0u);
  }
  EXPECT_EQ(Read("s123").trace_count, 2);
  EXPECT_EQ(Read("s123").last.trace_id, "s123-200");
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(Count(handles_[3]), 600u);
  EXPECT_EQ(Read("s599").trace_count, 2);
}

// Held deltas that reach the bound are written by one more round of the
// same call: none stays held over it.
TEST_F(SessionIndexerHoldTest, AHoldEndsAtItsBound) {
  Close();
  const std::size_t one = Dirty("a", NewTrace("a-100", 100)).delta.ApproximateBytes();
  hold_bytes_ = one + one / 2;  // One session's delta stays below; two reach it.
  Open();
  Ingest({"a"}, 100);
  indexer_->CatchUpForWriter();
  EXPECT_EQ(Count(handles_[3]), 0u) << "the first round holds";
  EXPECT_EQ(indexer_->held_bytes(), one);
  Ingest({"b"}, 100);
  indexer_->CatchUpForWriter();
  EXPECT_EQ(Count(handles_[3]), 2u) << "over the bound: written with the round's own";
  EXPECT_EQ(Count(handles_[2]), 0u);
  EXPECT_EQ(indexer_->held_bytes(), 0u);
  EXPECT_EQ(Read("a").trace_count, 1);
  EXPECT_EQ(Read("b").trace_count, 1);
}

// The held rounds' folded deltas are bounded too (what a recovery reads
// back): one session changed again and again holds one small delta, but
// after kHeldFoldFactor times the hold bytes of batches a round writes.
TEST_F(SessionIndexerHoldTest, AHoldEndsAfterItsFoldedBound) {
  const std::size_t bound = SessionIndexer::kHeldFoldFactor * hold_bytes_;
  std::size_t folded = 0;
  int batches = 0;
  while (Count(handles_[3]) == 0 && batches < 20000) {
    SessionDelta d = NewTrace("a-" + std::to_string(batches), 100 + batches);
    d.last.Offer(100 + batches, "a-" + std::to_string(batches), 1,
                 Payload{std::string(2000, 'o'), false});
    const DirtySession dirty = Dirty("a", d);
    folded += dirty.delta.ApproximateBytes();
    Ingest({dirty});
    indexer_->CatchUpForWriter();
    ++batches;
    if (Count(handles_[3]) == 0) {
      ASSERT_LT(indexer_->held_bytes(), std::size_t{8} << 10) << "one delta, not one per batch";
    }
  }
  EXPECT_EQ(Count(handles_[3]), 1u);
  EXPECT_GE(folded, bound) << batches;
  EXPECT_LT(folded, bound + (std::size_t{8} << 10)) << "the round after the bound writes";
  EXPECT_EQ(Count(handles_[2]), 0u);
  EXPECT_EQ(Read("a").trace_count, batches);
}

TEST_F(SessionIndexerHoldTest, NothingIsHeldOnceTheTableIsLoaded) {
  ASSERT_TRUE(indexer_->LoadTable().ok());
  Ingest({"a"}, 100);
  indexer_->CatchUpForWriter();
  EXPECT_EQ(Count(handles_[3]), 1u);
  EXPECT_EQ(Count(handles_[2]), 0u);
  EXPECT_EQ(table_->size(), 1u);
}

// A table loaded while deltas are held (a preload) does not hold them:
// the next round writes them and the table gets their rows.
TEST_F(SessionIndexerHoldTest, HeldDeltasReachATableLoadedMeanwhile) {
  Ingest({"a"}, 100);
  indexer_->CatchUpForWriter();
  ASSERT_EQ(Count(handles_[3]), 0u);
  ASSERT_TRUE(indexer_->LoadTable().ok());
  EXPECT_EQ(table_->size(), 0u) << "loaded from the states on disk";
  Ingest({"b"}, 100);
  indexer_->CatchUpForWriter();
  EXPECT_EQ(Count(handles_[3]), 2u);
  EXPECT_EQ(Count(handles_[2]), 0u);
  EXPECT_EQ(table_->size(), 2u);
}

// The background thread wakes when the table is loaded and writes what it
// holds, without a new batch.
TEST_F(SessionIndexerHoldTest, TheBackgroundThreadWritesHeldDeltasOnceTheTableLoads) {
  indexer_->Start(1);
  Ingest({"a"}, 100);
  WaitUntil([&] { return indexer_->held_bytes() > 0; });
  ASSERT_GT(indexer_->held_bytes(), 0u);
  ASSERT_TRUE(indexer_->LoadTable().ok());
  WaitUntil([&] { return indexer_->held_bytes() == 0; });
  // The round applies its rows to the table after it ends its work: a
  // LoadTable (a no-op on a loaded table) waits for the round.
  ASSERT_TRUE(indexer_->LoadTable().ok());
  EXPECT_EQ(indexer_->held_bytes(), 0u);
  EXPECT_EQ(Count(handles_[3]), 1u);
  EXPECT_EQ(table_->size(), 1u);
}

// A hold lasts at most its age bound: the background thread wakes for it
// and writes what it holds though no batch came.
TEST_F(SessionIndexerHoldTest, TheBackgroundThreadEndsAHoldAtItsAge) {
  indexer_->SetMaxHoldMsForTest(50);
  Ingest({"a"}, 100);
  indexer_->CatchUpForWriter();
  ASSERT_EQ(Count(handles_[3]), 0u) << "held";
  ASSERT_GT(indexer_->held_bytes(), 0u);
  indexer_->Start(1);
  WaitUntil([&] { return indexer_->held_bytes() == 0; });
  EXPECT_EQ(indexer_->held_bytes(), 0u) << "written";  // After the write, under mu_.
  EXPECT_EQ(Count(handles_[3]), 1u);
  EXPECT_EQ(Count(handles_[2]), 0u);
  EXPECT_EQ(Read("a").trace_count, 1);
}

// A write of held deltas that fails leaves them for a retry, which no
// later round holds again: the next one writes them.
TEST_F(SessionIndexerHoldTest, AFailedWriteOfHeldDeltasIsRetriedNotHeld) {
  IndexTwoTracesThenMoveTheLatestEarlier();  // Catches up, then one more batch.
  indexer_->CatchUpForWriter();
  ASSERT_EQ(Count(handles_[2]), 1u) << "held";
  rows_.failing_reads = 1;  // The read that settles a's register fails.
  EXPECT_TRUE(indexer_->CatchUp().IsIOError());
  EXPECT_GT(indexer_->held_bytes(), 0u);
  EXPECT_EQ(Count(handles_[2]), 1u);
  Ingest({"b"}, 300);
  indexer_->CatchUpForWriter();
  EXPECT_EQ(Count(handles_[2]), 0u) << "written, with the new batch";
  EXPECT_EQ(indexer_->held_bytes(), 0u);
  EXPECT_EQ(State("a").Entry().last_ns, 100);
  EXPECT_EQ(State("a").Entry().trace_count, 2);
  EXPECT_EQ(State("b").Entry().trace_count, 1);
}

TEST_F(SessionIndexerHoldTest, NoHoldWithoutTheOption) {
  Close();
  hold_bytes_ = 0;
  Open();
  Ingest({"a"}, 100);
  indexer_->CatchUpForWriter();
  EXPECT_EQ(Count(handles_[3]), 1u);
  EXPECT_EQ(indexer_->held_bytes(), 0u);
}

// The background thread holds too, and waits for new batches rather than
// spinning on what it holds; CatchUp() writes it.
TEST_F(SessionIndexerHoldTest, TheBackgroundThreadHolds) {
  indexer_->Start(1);
  Ingest({"a"}, 100);
  WaitUntil([&] { return indexer_->held_bytes() > 0; });
  ASSERT_GT(indexer_->held_bytes(), 0u) << "the thread held the batch";
  EXPECT_EQ(indexer_->pending_bytes(), 0u);
  EXPECT_EQ(Count(handles_[3]), 0u);
  EXPECT_EQ(Read("a").trace_count, 1);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(Count(handles_[3]), 1u);
  EXPECT_EQ(Count(handles_[2]), 0u);
}

}  // namespace
}  // namespace sessionstore
