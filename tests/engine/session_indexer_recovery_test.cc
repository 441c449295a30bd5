// Copyright sessionstore authors.
//
// SessionIndexer recovery (tests/engine/session_indexer_fixture.h): the
// markers a crash left are rebuilt and applied exactly once, all in one
// round, and a malformed one is reported.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/session_indexer.h"
#include "tests/engine/session_indexer_fixture.h"

namespace sessionstore {
namespace {

using testing::SessionIndexerTest;

TEST_F(SessionIndexerTest, RecoverAppliesMarkersLeftByACrashExactlyOnce) {
  Ingest({"a", "b"}, 100);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  Ingest({"a"}, 200);
  Ingest({"c"}, 200);
  // No catch-up: the last two markers stay on disk, as after a crash.
  Close();
  Open();
  EXPECT_EQ(indexer_->pending(), 2u);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(Count(handles_[1], "X"), 3u);
  EXPECT_EQ(Count(handles_[2]), 0u);
  EXPECT_EQ(State("a").Entry().trace_count, 2);
  // Nothing applied is applied again by the next open.
  Close();
  Open();
  EXPECT_EQ(indexer_->pending(), 0u);
  EXPECT_EQ(State("a").Entry().trace_count, 2);
  // Sequences continue above every marker seen.
  Ingest({"d"}, 300);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(Count(handles_[1], "X"), 4u);
}

// Recovered batches go in one catch-up round: the rebuilt delta of the
// batch that added a trace holds what later pending batches did to it,
// and theirs leave it out. In two rounds with a crash between, the later
// change would count twice.
TEST_F(SessionIndexerTest, RecoveredBatchesAreAppliedTogether) {
  Ingest({"a"}, 100);
  Ingest({"a"}, 200);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  rows_.aggregates[Prefix("a")] = SessionIndexState::Of(NewTrace("a-100", 100));
  Ingest({"b"}, 300);  // Adds b-300, 3 prompt tokens.
  SessionDelta change;  // Then b-300 gains 5 prompt tokens, and a-200
  change.prompt_tokens = 5;  // moves earlier (a's register: unsure).
  SessionDelta moved;
  moved.last.Retract(200, "a-200");
  moved.last.Offer(50, "a-200", 2, Payload{"out-a-200", false});
  const std::vector<MarkedSession> marks = {
      MarkedSession{Prefix("a"), {}, {{"a-200", moved.Encode()}}},
      MarkedSession{Prefix("b"), {}, {{"b-300", change.Encode()}}}};
  Ingest({Dirty("a", moved), Dirty("b", change)}, EncodeDirtyMarker(marks));
  rows_.added[Prefix("b") + "b-300"].prompt_tokens += 5;  // Its record now.
  Close();
  Open(/*recover=*/false);
  indexer_->SetRoundBytesForTest(1);
  ASSERT_TRUE(indexer_->Recover().ok());
  rows_.failing_reads = 1;  // The read that settles a's register fails.
  EXPECT_TRUE(indexer_->CatchUp().IsIOError());
  Close();  // A crash: what the catch-up wrote stays, nothing more.
  Open();
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(Count(handles_[2]), 0u);
  EXPECT_EQ(Read("b").prompt_tokens, 8);
  EXPECT_EQ(Read("b").trace_count, 1);
}

TEST_F(SessionIndexerTest, MalformedMarkerIsCorruptionOnRecover) {
  rocksdb::WriteBatch wb;
  ASSERT_TRUE(wb.Put(handles_[2], DirtyKey(5), "not a prefix list").ok());
  ASSERT_TRUE(db_->Write(rocksdb::WriteOptions(), &wb).ok());
  Close();
  Open(/*recover=*/false);
  Status s = indexer_->Recover();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("marker 5"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace sessionstore
