// Copyright sessionstore authors.
//
// SessionIndexer write-back (tests/engine/session_indexer_fixture.h): the
// rounds of writers and of the background thread hold their deltas in
// memory, one per session, until a bound, a loaded table or a CatchUp()
// ends the hold; readers see held deltas, and a crash while they are held
// loses nothing.

#include <gtest/gtest.h>

#include <chrono>
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

TEST_F(SessionIndexerHoldTest, AHoldEndsAtItsBound) {
  Close();
  hold_bytes_ = 1;  // Any held delta reaches it.
  Open();
  Ingest({"a"}, 100);
  indexer_->CatchUpForWriter();
  EXPECT_EQ(Count(handles_[3]), 0u) << "the first round holds";
  Ingest({"b"}, 100);
  indexer_->CatchUpForWriter();
  EXPECT_EQ(Count(handles_[3]), 2u) << "the next one writes what is held with its own";
  EXPECT_EQ(Count(handles_[2]), 0u);
  EXPECT_EQ(indexer_->held_bytes(), 0u);
  EXPECT_EQ(Read("a").trace_count, 1);
}

TEST_F(SessionIndexerHoldTest, NothingIsHeldOnceTheTableIsLoaded) {
  ASSERT_TRUE(indexer_->LoadTable().ok());
  Ingest({"a"}, 100);
  indexer_->CatchUpForWriter();
  EXPECT_EQ(Count(handles_[3]), 1u);
  EXPECT_EQ(Count(handles_[2]), 0u);
  EXPECT_EQ(table_->size(), 1u);
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
  for (int i = 0; i < 2000 && indexer_->pending_bytes() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(indexer_->pending_bytes(), 0u) << "the thread took the batch";
  EXPECT_EQ(Count(handles_[3]), 0u);
  EXPECT_EQ(Read("a").trace_count, 1);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(Count(handles_[3]), 1u);
  EXPECT_EQ(Count(handles_[2]), 0u);
}

}  // namespace
}  // namespace sessionstore
