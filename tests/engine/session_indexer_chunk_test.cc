// Copyright sessionstore authors.
//
// SessionIndexer rounds written in chunks (tests/engine/session_indexer_
// fixture.h; SessionIndexer::kWriteChunkBytes): a chunked round stores
// what one write would; readers between its chunks count each batch once;
// a failure, an exception or a crash between chunks neither loses nor
// repeats a delta, and leaves no marker or round record behind once a
// later round (or the next open's) has written.

#include <gtest/gtest.h>

#include <atomic>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "engine/format/keys.h"
#include "engine/session_indexer.h"
#include "tests/engine/session_indexer_fixture.h"

namespace sessionstore {
namespace {

using testing::SessionIndexerTest;

class SessionIndexerChunkTest : public SessionIndexerTest {
 protected:
  void SetUp() override {
    Open();
    Chunked();
  }

  // Every session its own chunk: one aggregate read, and a write once the
  // batch holds a byte.
  void Chunked() { indexer_->SetWriteChunkForTest(1, 1); }

  // Sessions s0..s9 (ascending prefixes: the ids have one length) with
  // `traces` new traces each, one batch per trace.
  static std::vector<std::string> Ids() {
    std::vector<std::string> ids;
    for (int i = 0; i < 10; ++i) ids.push_back("s" + std::to_string(i));
    return ids;
  }
  void IngestTraces(int traces, int64_t first_start = 100) {
    for (int t = 0; t < traces; ++t) Ingest(Ids(), first_start + t);
  }

  // Every session of Ids() read as `traces` traces.
  void ExpectTraces(int64_t traces) {
    for (const std::string& id : Ids()) EXPECT_EQ(Read(id).trace_count, traces) << id;
  }

  std::size_t RoundRecords() { return Count(handles_[2], std::string(1, kRoundTag)); }
  std::size_t Markers() { return Count(handles_[2], std::string(1, kDirtyTag)); }
};

TEST_F(SessionIndexerChunkTest, AChunkedRoundStoresWhatOneWriteWould) {
  IngestTraces(3);
  int chunks = 0;
  std::size_t records_seen = 0;
  indexer_->SetBetweenChunksForTest([&] {
    ++chunks;
    records_seen = std::max(records_seen, RoundRecords());
    return Status::OK();
  });
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(chunks, 9) << "ten sessions: nine chunks, then the last write";
  EXPECT_EQ(records_seen, 1u) << "one record, put again with each chunk";
  EXPECT_EQ(Count(handles_[3]), 10u);
  EXPECT_EQ(Count(handles_[1], "X"), 10u);
  EXPECT_EQ(Markers(), 0u);
  EXPECT_EQ(RoundRecords(), 0u) << "the last write deletes the record";
  ExpectTraces(3);
  EXPECT_EQ(State("s9").Entry().trace_count, 3);
  EXPECT_EQ(Read("s4").last.trace_id, "s4-102");
}

TEST_F(SessionIndexerChunkTest, ARoundBelowAChunkIsOneWriteWithoutARecord) {
  indexer_->SetWriteChunkForTest(SessionIndexer::kWriteChunkBytes, 1);
  IngestTraces(2);
  int chunks = 0;
  indexer_->SetBetweenChunksForTest([&] {
    ++chunks;
    return Status::OK();
  });
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(chunks, 0);
  ExpectTraces(2);
  EXPECT_EQ(Count(handles_[2]), 0u);
}

TEST_F(SessionIndexerChunkTest, ReadersBetweenChunksCountEachBatchOnce) {
  IngestTraces(2);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  IngestTraces(2, 200);
  int wrong = 0;
  indexer_->SetBetweenChunksForTest([&] {
    for (const std::string& id : Ids()) {
      if (Read(id).trace_count != 4) ++wrong;
    }
    // Verify's view: stored aggregates plus these pending deltas.
    SessionIndexer::PendingMap pending;
    indexer_->AllPending(&pending, [] {});
    for (const auto& [prefix, deltas] : pending) {
      std::string stored;
      const bool has = db_->Get(rocksdb::ReadOptions(), handles_[3], prefix, &stored).ok();
      SessionFold fold;
      if (has && !fold.Add(stored)) ++wrong;
      for (const SessionDelta& d : deltas) fold.AddDelta(d);
      SessionDelta sum;
      fold.Materialize(&sum);
      if (sum.trace_count != 4) ++wrong;
    }
    return Status::OK();
  });
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(wrong, 0);
  ExpectTraces(4);
}

TEST_F(SessionIndexerChunkTest, ReadersOnAnotherThreadCountEachBatchOnce) {
  indexer_->SetWriteChunkForTest(1, 2);
  for (int64_t round = 1; round <= 3; ++round) {
    IngestTraces(1, 100 * round);
    std::atomic<bool> stop{false};
    std::atomic<int> reads{0}, wrong{0};
    std::thread reader([&] {
      while (!stop.load() || reads.load() == 0) {
        for (const char* id : {"s0", "s4", "s5", "s9"}) {
          if (Read(id).trace_count != round) ++wrong;
          ++reads;
        }
      }
    });
    const Status s = indexer_->CatchUp();
    stop = true;
    reader.join();
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(wrong.load(), 0) << "round " << round << ", " << reads.load() << " reads";
  }
  ExpectTraces(3);
}

TEST_F(SessionIndexerChunkTest, AFailureBetweenChunksIsRetriedWithoutRepeatingAChunk) {
  IngestTraces(3);
  int chunks = 0;
  indexer_->SetBetweenChunksForTest(
      [&] { return ++chunks == 4 ? Status::IOError("injected chunk failure") : Status::OK(); });
  EXPECT_TRUE(indexer_->CatchUp().IsIOError());
  EXPECT_EQ(RoundRecords(), 1u) << "the record of the stored chunks stays";
  ExpectTraces(3);  // Stored for s0..s3, pending for the rest.
  // A batch after the failure joins the retry.
  Ingest({"s0", "s9"}, 500);
  EXPECT_EQ(Read("s0").trace_count, 4);
  EXPECT_EQ(Read("s9").trace_count, 4);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(Markers(), 0u);
  EXPECT_EQ(RoundRecords(), 0u);
  EXPECT_EQ(Read("s0").trace_count, 4);
  EXPECT_EQ(Read("s5").trace_count, 3);
  EXPECT_EQ(Read("s9").trace_count, 4);
  EXPECT_EQ(State("s3").Entry().trace_count, 3);
  EXPECT_EQ(indexer_->pending(), 0u);
}

TEST_F(SessionIndexerChunkTest, AnExceptionBetweenChunksLosesAndRepeatsNothing) {
  IngestTraces(2);
  int chunks = 0;
  indexer_->SetBetweenChunksForTest([&]() -> Status {
    if (++chunks == 2) throw std::bad_alloc();
    return Status::OK();
  });
  const Status s = indexer_->CatchUp();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.ToString().find("catch-up"), std::string::npos) << s.ToString();
  ExpectTraces(2);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  ExpectTraces(2);
  EXPECT_EQ(Count(handles_[2]), 0u);
}

// A crash between chunks (the round fails, and the process ends without
// another catch-up: the disk as a crash leaves it; store_power_loss_test
// cuts the power itself): the next open drops the marker entries of the
// sessions the stored chunks wrote (the round record says which) before it
// rebuilds the rest.
TEST_F(SessionIndexerChunkTest, ACrashBetweenChunksLosesAndRepeatsNothing) {
  IngestTraces(3);
  int chunks = 0;
  indexer_->SetBetweenChunksForTest(
      [&] { return ++chunks == 5 ? Status::IOError("the process dies here") : Status::OK(); });
  EXPECT_FALSE(indexer_->CatchUp().ok());
  Close();  // A crash: what the chunks wrote stays, nothing more.
  Open();
  EXPECT_EQ(indexer_->pending(), 5u) << "s5..s9: the rest was stored";
  ExpectTraces(3);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(Count(handles_[2]), 0u) << "markers and the round record deleted";
  ExpectTraces(3);
  Close();
  Open();
  EXPECT_EQ(indexer_->pending(), 0u);
  ExpectTraces(3);
}

// The trace a stored chunk's batch added changes in a batch the round did
// not take; a crash follows. The recovery must apply that change as
// written: the added trace is in the stored aggregate, not read back.
TEST_F(SessionIndexerChunkTest, AChangeAfterAStoredChunkIsAppliedAfterACrash) {
  Ingest({"s0", "s1", "s2"}, 100);
  int chunks = 0;
  indexer_->SetBetweenChunksForTest([&]() -> Status {
    if (++chunks < 2) return Status::OK();
    // s0 and s1 are stored; s0-100 gains 5 prompt tokens meanwhile.
    SessionDelta change;
    change.prompt_tokens = 5;
    Ingest({Dirty("s0", change)},
           EncodeDirtyMarker({MarkedSession{Prefix("s0"), {}, {{"s0-100", change.Encode()}}}}));
    rows_.added[Prefix("s0") + "s0-100"].prompt_tokens += 5;  // Its record now.
    return Status::IOError("the process dies here");
  });
  EXPECT_FALSE(indexer_->CatchUp().ok());
  EXPECT_EQ(Read("s0").prompt_tokens, 8);
  Close();
  Open();
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(Read("s0").prompt_tokens, 8);
  EXPECT_EQ(Read("s0").trace_count, 1);
  EXPECT_EQ(Read("s2").prompt_tokens, 3);
  EXPECT_EQ(Count(handles_[2]), 0u);
}

// While a failed round's record is on disk, rounds write in one batch:
// no second record, no chunk repeated by a persistent error; the one that
// succeeds deletes the record.
TEST_F(SessionIndexerChunkTest, TheRetryOfAFailedChunkedRoundIsOneWrite) {
  IngestTraces(2);
  int chunks = 0;
  indexer_->SetBetweenChunksForTest(
      [&] { return ++chunks == 3 ? Status::IOError("injected chunk failure") : Status::OK(); });
  EXPECT_FALSE(indexer_->CatchUp().ok());  // s0..s2 stored.
  Ingest({"s1", "s8"}, 300);
  chunks = 0;
  indexer_->SetBetweenChunksForTest([&] {
    ++chunks;
    return Status::OK();
  });
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(chunks, 0);
  EXPECT_EQ(Count(handles_[2]), 0u) << "markers and the record deleted";
  for (const std::string& id : Ids()) {
    EXPECT_EQ(Read(id).trace_count, id == "s1" || id == "s8" ? 3 : 2) << id;
  }
  // Rounds chunk again once no record is left.
  IngestTraces(1, 400);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(chunks, 9);
}

// An exception after stored chunks puts the round's batches back less
// those sessions; the next round must take every one of them, whatever
// its budget: a round that took some would delete the record while the
// others' markers still name the stored sessions.
TEST_F(SessionIndexerChunkTest, AfterAnExceptionTheNextRoundTakesEveryBatchOfTheRound) {
  IngestTraces(3);
  int chunks = 0;
  indexer_->SetBetweenChunksForTest([&]() -> Status {
    if (++chunks == 2) throw std::bad_alloc();  // s0 and s1 stored.
    return Status::OK();
  });
  EXPECT_FALSE(indexer_->CatchUp().ok());
  indexer_->SetRoundBytesForTest(1);  // One batch a round, but for those.
  Ingest(Ids(), 500);
  indexer_->SetBetweenChunksForTest(
      [] { return Status::IOError("the process dies here"); });  // In the last batch's round.
  EXPECT_FALSE(indexer_->CatchUp().ok());
  Close();
  Open();
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(Count(handles_[2]), 0u);
  ExpectTraces(4);
}

// A hold's deltas in a chunked write: an exception after stored chunks
// takes those sessions out of the held retry too.
TEST_F(SessionIndexerChunkTest, AnExceptionInTheWriteOfAHoldLosesAndRepeatsNothing) {
  Close();
  hold_bytes_ = std::size_t{1} << 20;
  Open();
  Chunked();
  IngestTraces(1);
  indexer_->CatchUpForWriter();  // Held.
  EXPECT_EQ(Count(handles_[3]), 0u);
  IngestTraces(1, 200);
  int chunks = 0;
  indexer_->SetBetweenChunksForTest([&]() -> Status {
    if (++chunks == 3) throw std::bad_alloc();  // s0..s2 stored.
    return Status::OK();
  });
  EXPECT_FALSE(indexer_->CatchUp().ok());
  EXPECT_EQ(Count(handles_[3]), 3u);
  ExpectTraces(2);
  Close();  // Ends the process: a recovery must agree.
  Open();
  Chunked();
  ExpectTraces(2);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(Count(handles_[2]), 0u);
  ExpectTraces(2);
}

TEST_F(SessionIndexerChunkTest, AMalformedRoundRecordIsCorruptionOnRecover) {
  ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), handles_[2], RoundKey(9), "junk").ok());
  Close();
  Open(/*recover=*/false);
  const Status s = indexer_->Recover();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("round record 9"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace sessionstore
