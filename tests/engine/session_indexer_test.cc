// Copyright sessionstore authors.
//
// SessionIndexer on a bare RocksDB (tests/engine/session_indexer_fixture.h):
// markers, catch-ups, exactly-once application, unsure registers, the
// pending deltas readers add. Recovery: session_indexer_recovery_test.cc.

#include "engine/session_indexer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/engine/session_indexer_fixture.h"

namespace sessionstore {
namespace {

using testing::SessionIndexerTest;

TEST_F(SessionIndexerTest, CatchUpComposesDeltasAndDeletesMarkers) {
  Ingest({"a", "b"}, 100);
  Ingest({"b"}, 200);
  EXPECT_EQ(indexer_->pending(), 2u);
  EXPECT_EQ(Count(handles_[2]), 2u);  // One marker per batch.
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(indexer_->pending(), 0u);
  EXPECT_EQ(Count(handles_[2]), 0u);
  EXPECT_EQ(Count(handles_[1]), 2u);  // Only the states are in `index`.
  EXPECT_EQ(Count(handles_[1], "X"), 2u);
  EXPECT_EQ(Count(handles_[3]), 2u);  // One stored aggregate per session.
  EXPECT_EQ(Read("b").trace_count, 2);
  EXPECT_EQ(Read("b").last.value.value, "out-b-200");
  EXPECT_FALSE(table_->loaded());  // Loaded by the first listing, not by catch-ups.
  ASSERT_TRUE(indexer_->LoadTable().ok());
  EXPECT_EQ(table_->size(), 2u);
  const SessionIndexEntry b = State("b").Entry();
  EXPECT_EQ(b.trace_count, 2);
  EXPECT_EQ(b.first_ns, 100);
  EXPECT_EQ(b.last_ns, 200);
  EXPECT_EQ(b.cost_nano_usd, 20);
  EXPECT_EQ(b.duration_ns, 105);
  EXPECT_EQ(rows_.reads, 0);  // Exact registers: no trace was read.
  // A session that changes again: the loaded table follows the state.
  Ingest({"a"}, 300);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(Count(handles_[1]), 2u);
  EXPECT_EQ(State("a").Entry().last_ns, 300);
  EXPECT_EQ(State("a").user_id(), "u");
  SessionTableChange row;
  ASSERT_TRUE(table_->Find(Prefix("a"), &row));
  EXPECT_EQ(row, TableChangeOf(Prefix("a"), State("a")));
  EXPECT_EQ(row.user_id, "u");
  EXPECT_EQ(table_->size(), 2u);
}

TEST_F(SessionIndexerTest, NewUserMovesTheUserEntry) {
  Ingest({Dirty("a", NewTrace("t1", 100, "alice"))});
  Ingest({Dirty("a", NewTrace("t2", 200, "bob"))});
  // An older trace with another user changes nothing about the user.
  Ingest({Dirty("a", NewTrace("t0", 50, "carol"))});
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(State("a").user_id(), "bob");
  EXPECT_EQ(State("a").Entry().first_ns, 50);
  ASSERT_TRUE(indexer_->LoadTable().ok());
  TableQuery q;
  q.to_ns = INT64_MAX;
  q.want = 10;
  q.user_id = "bob";
  EXPECT_EQ(table_->Select(q).size(), 1u);
  q.user_id = "alice";
  EXPECT_EQ(table_->Select(q).size(), 0u);
}

TEST_F(SessionIndexerTest, UnsureRegisterReadsTheAggregateButKeepsTheCounters) {
  IndexTwoTracesThenMoveTheLatestEarlier();
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(rows_.reads, 1);
  const SessionIndexState state = State("a");
  EXPECT_TRUE(state.Exact());
  EXPECT_EQ(state.Entry().last_ns, 100);
  EXPECT_EQ(state.Entry().first_ns, 50);
  EXPECT_EQ(state.Entry().trace_count, 2);
}

// The stored aggregate keeps its unsure register; the settled registers
// live in the 'X' state, which later catch-ups build on instead of
// reading the traces again for every batch of the session.
TEST_F(SessionIndexerTest, SettledRegistersAreNotReadAgain) {
  IndexTwoTracesThenMoveTheLatestEarlier();
  ASSERT_TRUE(indexer_->CatchUp().ok());
  ASSERT_EQ(rows_.reads, 1);
  // Below the register's floor (the moved trace's old start, 200): the
  // aggregate's register stays unsure, the state's does not.
  Ingest({"a"}, 150);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(rows_.reads, 1);
  EXPECT_EQ(State("a").Entry().last_ns, 150);
  EXPECT_EQ(State("a").Entry().trace_count, 3);
  // A later move earlier unsettles the state too: the traces decide again.
  SessionDelta moved;
  moved.last.Retract(150, "a-150");
  moved.last.Offer(40, "a-150", 2, Payload{"out-a-150", false});
  Ingest({Dirty("a", moved)});
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(rows_.reads, 2);
  EXPECT_TRUE(State("a").Exact());
}

TEST_F(SessionIndexerTest, FailedCatchUpIsRetriedWithoutLosingOrRepeatingDeltas) {
  // The catch-up must read the aggregate, and that read fails once.
  IndexTwoTracesThenMoveTheLatestEarlier();
  Ingest({"b"}, 300);
  rows_.failing_reads = 1;
  Status s = indexer_->CatchUp();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_EQ(indexer_->pending(), 2u);  // Nothing of the failed catch-up was written.
  EXPECT_EQ(Count(handles_[2]), 2u);
  EXPECT_EQ(Count(handles_[1], "X"), 1u);
  Ingest({"b"}, 400);  // A batch reported after the failure composes after it.
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(indexer_->pending(), 0u);
  EXPECT_EQ(Count(handles_[2]), 0u);
  EXPECT_EQ(State("a").Entry().trace_count, 2);
  EXPECT_EQ(State("a").Entry().last_ns, 100);
  EXPECT_EQ(State("b").Entry().trace_count, 2);
  EXPECT_EQ(State("b").Entry().last_ns, 400);
}

TEST_F(SessionIndexerTest, ExceptionInACatchUpIsAnErrorAndLosesNothing) {
  // std::bad_alloc in the middle of a catch-up (here: in the aggregate read)
  // must neither escape nor drop the batches it was applying.
  IndexTwoTracesThenMoveTheLatestEarlier();
  Ingest({"b"}, 300);
  rows_.throwing_reads = 1;
  Status s = indexer_->CatchUp();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.message().find("out of memory"), std::string::npos) << s.ToString();
  EXPECT_EQ(indexer_->pending(), 2u);
  EXPECT_EQ(Count(handles_[2]), 2u);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(indexer_->pending(), 0u);
  EXPECT_EQ(Count(handles_[2]), 0u);
  EXPECT_EQ(State("a").Entry().trace_count, 2);
  EXPECT_EQ(State("a").Entry().last_ns, 100);
  EXPECT_EQ(State("b").Entry().trace_count, 1);
}

TEST_F(SessionIndexerTest, BatchLeftWithoutEndLeavesNothingPending) {
  // An ingest that leaves between Begin and End (an exception while the
  // batch is built): the guard ends the sequence as not written.
  try {
    SessionIndexer::Batch batch(indexer_.get());
    throw std::runtime_error("batch building failed");
  } catch (const std::runtime_error&) {
  }
  Ingest({"a"}, 100);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(Count(handles_[2]), 0u);
  EXPECT_EQ(Count(handles_[1], "X"), 1u);
}

TEST_F(SessionIndexerTest, BatchAboveOneInFlightIsAppliedOnce) {
  SessionIndexer::Batch open_batch(indexer_.get());  // Begun, not yet written.
  Ingest({"a"}, 100);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  // Read-your-writes: "a" is indexed although a lower sequence is open, and
  // its marker went in the same write, so a crash now cannot apply it twice.
  EXPECT_EQ(Count(handles_[1], "X"), 1u);
  EXPECT_EQ(Count(handles_[2]), 0u);
  std::vector<DirtySession> late = {Dirty("a", NewTrace("late", 50))};
  rocksdb::WriteBatch wb;
  ASSERT_TRUE(wb.Put(handles_[2], DirtyKey(open_batch.seq()), MarkerOf(late)).ok());
  open_batch.End(db_->Write(rocksdb::WriteOptions(), &wb).ok(), &late);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(Count(handles_[2]), 0u);
  EXPECT_EQ(State("a").Entry().trace_count, 2);
  EXPECT_EQ(State("a").Entry().first_ns, 50);
}

TEST_F(SessionIndexerTest, ReadersAddThePendingDeltasUntilACatchUpStoresThem) {
  EXPECT_EQ(Read("a").trace_count, -1);
  Ingest({"a"}, 100);
  Ingest({"a", "b"}, 200);
  // Nothing stored yet: a reader folds the two pending deltas in order.
  EXPECT_EQ(Count(handles_[3]), 0u);
  SessionDelta a = Read("a");
  EXPECT_EQ(a.trace_count, 2);
  EXPECT_EQ(a.last.value.value, "out-a-200");
  EXPECT_EQ(a.first_start_ns, 100);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  // Stored: the same aggregate, and no pending delta counted again.
  EXPECT_EQ(Read("a"), a);
  EXPECT_EQ(Read("b").trace_count, 1);
  Ingest({"a"}, 300);
  EXPECT_EQ(Read("a").trace_count, 3);  // Stored two, one pending.
  EXPECT_EQ(Read("a").last.value.value, "out-a-300");
}

TEST_F(SessionIndexerTest, ReadersDuringCatchUpsSeeEachBatchExactlyOnce) {
  // Readers racing the catch-ups: each batch is in the stored aggregate or
  // in the pending deltas, never both or neither, so the count a reader
  // sees never falls and never exceeds what was ingested. "a" is in every
  // batch (its reads often meet a catch-up that applies it); "b" in every
  // third (its reads often meet one that does not: they need not wait).
  constexpr int kBatches = 300;
  std::atomic<int> started{0};  // Batches whose Ingest began.
  std::atomic<int> ended{0};    // Batches whose Ingest returned.
  std::atomic<bool> done{false};
  const auto expected = [](const std::string& id, int batches) {
    return id == "a" ? batches : batches / 3;
  };
  const auto read_loop = [&](const std::string& id) {
    int64_t last = 0;
    while (!done.load()) {
      const int ended_before = ended.load();
      const int started_before = started.load();
      const int64_t n = std::max<int64_t>(0, Read(id).trace_count);
      const int started_after = started.load();
      const int ended_after = ended.load();
      // Every batch acknowledged before the read; none not yet begun.
      EXPECT_GE(n, expected(id, ended_before)) << id;
      EXPECT_LE(n, expected(id, started_after)) << id;
      if (started_before == ended_before && started_after == ended_before &&
          ended_after == ended_before) {
        EXPECT_EQ(n, expected(id, ended_before)) << id;  // Nothing in flight.
      }
      EXPECT_GE(n, last) << id;
      last = n;
    }
  };
  std::thread reader_a(read_loop, "a");
  std::thread reader_b(read_loop, "b");
  std::thread catch_ups([&] {
    while (!done.load()) EXPECT_TRUE(indexer_->CatchUp().ok());
  });
  for (int i = 1; i <= kBatches; ++i) {
    started.store(i);
    if (i % 3 == 0) {
      Ingest({"a", "b"}, i);
    } else {
      Ingest({"a"}, i);
    }
    ended.store(i);
  }
  done.store(true);
  reader_a.join();
  reader_b.join();
  catch_ups.join();
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(Read("a").trace_count, kBatches);
  EXPECT_EQ(Read("b").trace_count, kBatches / 3);
  EXPECT_EQ(State("a").Entry().trace_count, kBatches);
}

TEST_F(SessionIndexerTest, InMemoryCatchUpKeepsItsDeltasForReaders) {
  // A read-only open applies the markers to its table only: nothing is
  // stored, so readers go on adding them.
  Ingest({"a"}, 100);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  Ingest({"a"}, 200);
  Close();
  Open();
  ASSERT_TRUE(indexer_->ApplyPendingInMemory().ok());
  EXPECT_FALSE(indexer_->has_pending());
  EXPECT_EQ(Read("a").trace_count, 2);
  EXPECT_EQ(Count(handles_[2]), 1u);  // The marker stays for a writable open.
  SessionTableChange row;
  ASSERT_TRUE(table_->Find(Prefix("a"), &row));
  EXPECT_EQ(row.entry.trace_count, 2);
}

TEST_F(SessionIndexerTest, FailedCatchUpStoresTheAggregatesOfItsRetryOnce) {
  IndexTwoTracesThenMoveTheLatestEarlier();
  Ingest({"b"}, 300);
  rows_.failing_reads = 1;
  EXPECT_TRUE(indexer_->CatchUp().IsIOError());
  // While the retry waits, readers add it.
  EXPECT_EQ(Read("a").trace_count, 2);
  EXPECT_EQ(Read("a").first_start_ns, 50);
  EXPECT_EQ(Read("b").trace_count, 1);
  Ingest({"b"}, 400);
  EXPECT_EQ(Read("b").trace_count, 2);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(Read("a").trace_count, 2);
  EXPECT_EQ(Read("a").first_start_ns, 50);
  EXPECT_EQ(Read("b").trace_count, 2);
  EXPECT_EQ(Read("b").last.value.value, "out-b-400");
}

TEST_F(SessionIndexerTest, CatchUpInRoundsAppliesEachBatchOnce) {
  // One batch per round: each round is its own write, and the catch-up
  // goes on until every batch reported before it is applied.
  indexer_->SetRoundBytesForTest(1);
  for (int i = 1; i <= 10; ++i) Ingest({"a", "b"}, i * 100);
  Ingest({"c"}, 2000);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_FALSE(indexer_->has_pending());
  EXPECT_EQ(Count(handles_[2]), 0u);
  EXPECT_EQ(State("a").Entry().trace_count, 10);
  EXPECT_EQ(State("b").Entry().last_ns, 1000);
  EXPECT_EQ(Read("a").trace_count, 10);
  EXPECT_EQ(Read("a").last.value.value, "out-a-1000");
  EXPECT_EQ(Read("c").trace_count, 1);
  ASSERT_TRUE(indexer_->LoadTable().ok());
  EXPECT_EQ(table_->size(), 3u);
}

TEST_F(SessionIndexerTest, InMemoryCatchUpTakesEverythingInOneRound) {
  // A read-only open stores nothing between rounds: split, a later round
  // would compose onto the states on disk without the earlier ones.
  for (int i = 1; i <= 5; ++i) Ingest({"a"}, i * 100);
  Close();
  Open();
  indexer_->SetRoundBytesForTest(1);
  ASSERT_TRUE(indexer_->ApplyPendingInMemory().ok());
  SessionTableChange row;
  ASSERT_TRUE(table_->Find(Prefix("a"), &row));
  EXPECT_EQ(row.entry.trace_count, 5);
  EXPECT_EQ(row.entry.last_ns, 500);
  EXPECT_EQ(Read("a").trace_count, 5);
}

}  // namespace
}  // namespace sessionstore
