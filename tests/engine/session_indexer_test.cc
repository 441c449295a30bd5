// Copyright sessionstore authors.
//
// SessionIndexer on a bare RocksDB with the `sessions`, `index` and `dirty`
// families and a reader that serves exact registers from a map, so that the
// protocol (markers, catch-up, exactly-once application, recovery, unsure
// registers, the pending deltas readers add) is tested without the rest of
// the store.

#include "engine/session_indexer.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <iterator>
#include <map>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "engine/aggregate/session_fold.h"
#include "engine/aggregate/session_index_state.h"
#include "engine/format/dirty_marker.h"
#include "engine/format/keys.h"
#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

using testing::TempDir;

// Exact registers from a map of states, with injectable read failures,
// and the traces markers name as added from a map of their contributions.
class FakeRowSource : public IndexRowSource {
 public:
  Status ReadAddedTraces(const std::vector<AddedTrace>& traces,
                         std::vector<SessionDelta>* deltas) const override {
    deltas->clear();
    for (const AddedTrace& t : traces) {
      auto it = added.find(std::string(t.prefix) + t.added->trace_id);
      if (it == added.end()) return Status::Corruption("not stored: " + t.added->trace_id);
      deltas->push_back(it->second);
    }
    return Status::OK();
  }

  void ReadIndexRows(const rocksdb::Snapshot*, const std::vector<std::string_view>& prefixes,
                     std::vector<IndexRow>* rows) const override {
    rows->assign(prefixes.size(), IndexRow());
    for (std::size_t i = 0; i < prefixes.size(); ++i) Row(prefixes[i], &(*rows)[i]);
  }
  void ExactRow(const rocksdb::Snapshot*, std::string_view prefix, const SessionDelta&,
                IndexRow* row) const override {
    *row = IndexRow();
    if (throwing_reads > 0) {
      --throwing_reads;
      throw std::bad_alloc();
    }
    Row(prefix, row);
  }

  std::map<std::string, SessionIndexState> aggregates;
  // Session prefix + trace id -> the trace's stored contribution.
  std::map<std::string, SessionDelta> added;
  mutable int reads = 0;
  mutable int failing_reads = 0;
  mutable int throwing_reads = 0;  // The next calls that throw std::bad_alloc.

 private:
  void Row(std::string_view prefix, IndexRow* row) const {
    ++reads;
    if (failing_reads > 0) {
      --failing_reads;
      row->status = Status::IOError("injected read failure");
      return;
    }
    auto it = aggregates.find(std::string(prefix));
    if (it == aggregates.end()) {
      row->status = Status::NotFound("no session");
    } else {
      row->state = it->second;
    }
  }
};

class SessionIndexerTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void TearDown() override { Close(); }

  // Opens the database and the indexer; with `recover`, also recovers the
  // markers on disk and expects that to work.
  void Open(bool recover = true) {
    rocksdb::DBOptions o;
    o.create_if_missing = true;
    o.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {{rocksdb::kDefaultColumnFamilyName, {}},
                                                        {"index", {}},
                                                        {"dirty", {}},
                                                        {"sessions", {}}};
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(o, dir_.path(), cfs, &handles_, &raw).ok());
    db_.reset(raw);
    table_ = std::make_unique<SessionTable>();
    indexer_ = std::make_unique<SessionIndexer>(db_.get(), handles_[3], handles_[1], handles_[2],
                                                &rows_, table_.get());
    if (recover) {
      ASSERT_TRUE(indexer_->Recover().ok());
    }
  }

  void Close() {
    indexer_.reset();
    for (auto* h : handles_) ASSERT_TRUE(db_->DestroyColumnFamilyHandle(h).ok());
    handles_.clear();
    db_.reset();
  }

  static std::string Prefix(const std::string& id) {
    std::string p;
    PutSessionPrefix(&p, 7, id);
    return p;
  }

  // The session delta of one new trace `trace_id` at `start` by user `user`.
  static SessionDelta NewTrace(const std::string& trace_id, int64_t start,
                               const std::string& user = "u") {
    SessionDelta d;
    d.trace_count = 1;
    d.cost_nano_usd = 10;
    d.prompt_tokens = 3;
    d.has_first = true;
    d.first_start_ns = start;
    d.first_trace_id = trace_id;
    d.first_version = 1;
    d.has_max_end = true;
    d.max_end_ns = start + 5;
    d.last.Offer(start, trace_id, 1, Payload{"out-" + trace_id, false});
    d.last_user.Offer(start, trace_id, 1, Payload{user, false});
    return d;
  }
  // A marker entry of session `id`.
  static DirtySession Dirty(const std::string& id, const SessionDelta& d) {
    return DirtySession{Prefix(id), d.Encode()};
  }

  // A marker that carries each session's delta whole (as a change of
  // several traces: what the upgrade makes of a format-7 marker).
  static std::string MarkerOf(const std::vector<DirtySession>& sessions) {
    std::vector<MarkedSession> marks;
    for (const DirtySession& d : sessions) {
      marks.push_back(MarkedSession{d.prefix, {}, {{"", d.delta}}});
    }
    return EncodeDirtyMarker(marks);
  }

  // What ingest does for a batch: the marker in one write (`marker`, or
  // MarkerOf(sessions)), then End with the deltas.
  void Ingest(std::vector<DirtySession> sessions, const std::string& marker = "") {
    SessionIndexer::Batch batch(indexer_.get());
    rocksdb::WriteBatch wb;
    ASSERT_TRUE(
        wb.Put(handles_[2], DirtyKey(batch.seq()), marker.empty() ? MarkerOf(sessions) : marker)
            .ok());
    batch.End(db_->Write(rocksdb::WriteOptions(), &wb).ok(), &sessions);
  }
  // One new trace `id`-`start` in each session of `ids`: the marker names
  // it as added, and its contribution is "stored" for a recovery.
  void Ingest(const std::vector<std::string>& ids, int64_t start) {
    std::vector<DirtySession> sessions;
    std::vector<MarkedSession> marks;
    for (const std::string& id : ids) {
      const std::string trace_id = id + "-" + std::to_string(start);
      const SessionDelta d = NewTrace(trace_id, start);
      sessions.push_back(Dirty(id, d));
      marks.push_back(MarkedSession{Prefix(id), {{start, trace_id}}, {}});
      rows_.added[Prefix(id) + trace_id] = d;
    }
    Ingest(std::move(sessions), EncodeDirtyMarker(marks));
  }

  // Session `id`'s aggregate as a reader sees it: the stored one followed
  // by the pending deltas; trace_count -1 when there is neither.
  SessionDelta Read(const std::string& id) {
    std::vector<std::vector<std::string>> pending;
    const rocksdb::Snapshot* snapshot = nullptr;
    const std::string prefix = Prefix(id);
    indexer_->PendingFor({prefix}, &pending, [&] { snapshot = db_->GetSnapshot(); });
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot;
    std::string value;
    const rocksdb::Status rs = db_->Get(ro, handles_[3], prefix, &value);
    db_->ReleaseSnapshot(snapshot);
    SessionFold fold;
    EXPECT_TRUE(rs.ok() || rs.IsNotFound()) << rs.ToString();
    if (rs.ok()) {
      EXPECT_TRUE(fold.Add(value));
    }
    for (const std::string& d : pending[0]) EXPECT_TRUE(fold.Add(d));
    SessionDelta agg;
    if (!rs.ok() && pending[0].empty()) {
      agg.trace_count = -1;
      return agg;
    }
    fold.Materialize(&agg);
    return agg;
  }

  std::size_t Count(rocksdb::ColumnFamilyHandle* cf, const std::string& prefix = "") {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf));
    std::size_t n = 0;
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) ++n;
    EXPECT_TRUE(it->status().ok());
    return n;
  }

  // Session "a" gets traces at 100 and 200, indexed; then a batch moves the
  // latest one's start to 50, which retracts its old key and leaves the
  // registers unsure. The reader's aggregate then says the latest trace is
  // the one at 100 (with a trace count that must not be used).
  void IndexTwoTracesThenMoveTheLatestEarlier() {
    Ingest({"a"}, 100);
    Ingest({"a"}, 200);
    ASSERT_TRUE(indexer_->CatchUp().ok());
    SessionDelta moved;
    moved.last.Retract(200, "a-200");
    moved.last.Offer(50, "a-200", 2, Payload{"out-a-200", false});
    moved.has_first = true;
    moved.first_start_ns = 50;
    moved.first_trace_id = "a-200";
    moved.first_version = 2;
    SessionIndexState aggregate = SessionIndexState::Of(NewTrace("a-100", 100));
    aggregate.trace_count = 99;
    rows_.aggregates[Prefix("a")] = aggregate;
    Ingest({Dirty("a", moved)});
  }

  SessionIndexState State(const std::string& id) {
    std::string value;
    SessionIndexState state;
    EXPECT_TRUE(db_->Get(rocksdb::ReadOptions(), handles_[1], StateKey(Prefix(id)), &value).ok());
    EXPECT_TRUE(DecodeIndexState(value, &state));
    return state;
  }

  TempDir dir_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<SessionTable> table_;
  std::unique_ptr<SessionIndexer> indexer_;
  // Aggregates by prefix; sessions read by the reader; the next reads that
  // fail.
  FakeRowSource rows_;
};

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
