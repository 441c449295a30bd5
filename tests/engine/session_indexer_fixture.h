// Copyright sessionstore authors.
//
// The SessionIndexer test fixture: a bare RocksDB with the `sessions`,
// `index` and `dirty` families, and a reader that serves exact registers
// and added traces' contributions from maps, so that the indexer's
// protocol is tested without the rest of the store. Shared by
// session_indexer_test.cc, session_indexer_recovery_test.cc and
// session_indexer_hold_test.cc.

#ifndef SESSIONSTORE_TESTS_ENGINE_SESSION_INDEXER_FIXTURE_H_
#define SESSIONSTORE_TESTS_ENGINE_SESSION_INDEXER_FIXTURE_H_

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <map>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "engine/aggregate/session_fold.h"
#include "engine/aggregate/session_index_state.h"
#include "engine/format/dirty_marker.h"
#include "engine/format/keys.h"
#include "engine/session_indexer.h"
#include "tests/engine/test_util.h"

namespace sessionstore::testing {

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
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
        {rocksdb::kDefaultColumnFamilyName, {}}, {"index", {}}, {"dirty", {}}, {"sessions", {}}};
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(o, dir_.path(), cfs, &handles_, &raw).ok());
    db_.reset(raw);
    table_ = std::make_unique<SessionTable>();
    indexer_ = std::make_unique<SessionIndexer>(db_.get(), handles_[3], handles_[1], handles_[2],
                                                &rows_, table_.get(),
                                                SessionIndexer::kDefaultPendingBytes, hold_bytes_);
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
    return DirtySession{Prefix(id), d};
  }

  // A marker that carries each session's delta whole (as a change of
  // several traces: what the upgrade makes of a format-7 marker).
  static std::string MarkerOf(const std::vector<DirtySession>& sessions) {
    std::vector<MarkedSession> marks;
    for (const DirtySession& d : sessions) {
      marks.push_back(MarkedSession{d.prefix, {}, {{"", d.delta.Encode()}}});
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
    std::vector<std::vector<SessionDelta>> pending;
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
    for (const SessionDelta& d : pending[0]) fold.AddDelta(d);
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
  std::size_t hold_bytes_ = 0;  // The indexer's (write-back); set before Open.
  // Aggregates by prefix; sessions read by the reader; the next reads that
  // fail.
  FakeRowSource rows_;
};

}  // namespace sessionstore::testing

#endif  // SESSIONSTORE_TESTS_ENGINE_SESSION_INDEXER_FIXTURE_H_
