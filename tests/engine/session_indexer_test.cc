// Copyright sessionstore authors.
//
// SessionIndexer on a bare RocksDB with the `index` and `dirty` families and
// a reader that serves rows from a map, so that the protocol (markers,
// catch-up, watermark, recovery) is tested without the rest of the store.

#include "engine/session_indexer.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <iterator>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/coding.h"
#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

using testing::TempDir;

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
        {rocksdb::kDefaultColumnFamilyName, {}}, {"index", {}}, {"dirty", {}}};
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(o, dir_.path(), cfs, &handles_, &raw).ok());
    db_.reset(raw);
    indexer_ = std::make_unique<SessionIndexer>(
        db_.get(), handles_[1], handles_[2],
        [this](const rocksdb::Snapshot*, const std::vector<std::string_view>& prefixes,
               std::vector<SessionIndexer::Row>* rows) {
          rows->assign(prefixes.size(), SessionIndexer::Row());
          for (std::size_t i = 0; i < prefixes.size(); ++i) {
            auto it = sessions_.find(std::string(prefixes[i]));
            if (it == sessions_.end()) {
              (*rows)[i].status = Status::NotFound("no session");
            } else {
              (*rows)[i].entry = it->second;
              (*rows)[i].user_id = "u";
            }
          }
        });
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

  // What ingest does for a batch that changed `ids`: the marker in the same
  // write as the change (here only the reader's map changes).
  void Ingest(const std::vector<std::string>& ids, int64_t last_ns) {
    std::vector<std::string> prefixes;
    for (const std::string& id : ids) {
      prefixes.push_back(Prefix(id));
      SessionIndexEntry& e = sessions_[prefixes.back()];
      e.first_ns = e.first_ns == 0 ? last_ns : e.first_ns;
      e.last_ns = last_ns;
      ++e.trace_count;
    }
    SessionIndexer::Batch batch(indexer_.get());
    rocksdb::WriteBatch wb;
    ASSERT_TRUE(wb.Put(handles_[2], DirtyKey(batch.seq()), EncodeDirtySessions(prefixes)).ok());
    batch.End(db_->Write(rocksdb::WriteOptions(), &wb).ok(), &prefixes);
  }

  std::size_t Count(rocksdb::ColumnFamilyHandle* cf, const std::string& prefix = "") {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf));
    std::size_t n = 0;
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) ++n;
    EXPECT_TRUE(it->status().ok());
    return n;
  }

  TempDir dir_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<SessionIndexer> indexer_;
  std::map<std::string, SessionIndexEntry> sessions_;  // By prefix.
};

TEST_F(SessionIndexerTest, CatchUpWritesEntriesAndDeletesMarkers) {
  Ingest({"a", "b"}, 100);
  Ingest({"b"}, 200);
  EXPECT_EQ(indexer_->pending(), 2u);
  EXPECT_EQ(Count(handles_[2]), 2u);  // One marker per batch.
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(indexer_->pending(), 0u);
  EXPECT_EQ(Count(handles_[2]), 0u);
  EXPECT_EQ(Count(handles_[1], "X"), 2u);
  EXPECT_EQ(Count(handles_[1], "U"), 2u);
  EXPECT_EQ(Count(handles_[1], "O"), 2u * std::size(kSessionOrders));
  // A session that changes again: its old entries go, new ones come.
  Ingest({"a"}, 300);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(Count(handles_[1], "O"), 2u * std::size(kSessionOrders));
  // A session that is gone loses every entry.
  sessions_.erase(Prefix("a"));
  Ingest({"b"}, 400);
  std::vector<std::string> gone = {Prefix("a")};
  {
    SessionIndexer::Batch batch(indexer_.get());
    rocksdb::WriteBatch wb;
    ASSERT_TRUE(wb.Put(handles_[2], DirtyKey(batch.seq()), EncodeDirtySessions(gone)).ok());
    batch.End(db_->Write(rocksdb::WriteOptions(), &wb).ok(), &gone);
  }
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(Count(handles_[1], "X"), 1u);
  EXPECT_EQ(Count(handles_[1], "O"), std::size(kSessionOrders));
}

TEST_F(SessionIndexerTest, BatchLeftWithoutEndDoesNotHoldBackTheWatermark) {
  // An ingest that leaves between Begin and End (an exception while the
  // batch is built): the guard ends the sequence as not written.
  try {
    SessionIndexer::Batch batch(indexer_.get());
    throw std::runtime_error("batch building failed");
  } catch (const std::runtime_error&) {
  }
  Ingest({"a"}, 100);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  // Had the first sequence stayed in flight, the marker above it would stay.
  EXPECT_EQ(Count(handles_[2]), 0u);
  EXPECT_EQ(Count(handles_[1], "X"), 1u);
}

TEST_F(SessionIndexerTest, MarkersOfABatchStillInFlightSurviveACatchUp) {
  SessionIndexer::Batch open_batch(indexer_.get());  // Begun, not yet written.
  Ingest({"a"}, 100);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  // "a" is indexed, but its marker sits above the open batch's sequence and
  // must stay until that batch ends: a crash now must still find it.
  EXPECT_EQ(Count(handles_[1], "X"), 1u);
  EXPECT_EQ(Count(handles_[2]), 1u);
  open_batch.End(false, nullptr);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(Count(handles_[2]), 0u);
}

TEST_F(SessionIndexerTest, RecoverPicksUpMarkersLeftByACrash) {
  Ingest({"a", "b"}, 100);
  Ingest({"c"}, 200);
  // No catch-up: the markers stay on disk, as after a crash.
  Close();
  Open();
  EXPECT_EQ(indexer_->pending(), 3u);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(Count(handles_[1], "X"), 3u);
  EXPECT_EQ(Count(handles_[2]), 0u);
  // Sequences continue above every marker seen.
  Ingest({"d"}, 300);
  ASSERT_TRUE(indexer_->CatchUp().ok());
  EXPECT_EQ(Count(handles_[1], "X"), 4u);
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
