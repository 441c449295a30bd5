// Copyright sessionstore authors.
//
// Formats 4, 5 and 6 -> 9 (as to 7, their markers dropped), 7 -> 9 (its
// markers rewritten as format 8's), and 8 -> 9 (the version only). 4, 5 and 6 -> a version-4 store
// (its 'O' and 'U' entries, its version-2 index states and its version written here over a current
// store, as version 4 left them), a version-5 store (version-2 states) and
// a version-6 store are upgraded by a writable open and refused by a
// read-only one; the upgraded states carry what the filters need. All
// three kept their aggregates as merge operands and left dirty markers of
// index states (not version 7's deltas), both written here too.

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/aggregate/session_index_state.h"
#include "engine/aggregate/session_merge_operator.h"
#include "engine/column_families.h"
#include "engine/format/dirty_marker.h"
#include "engine/format/format_version.h"
#include "engine/format/keys.h"
#include "engine/format/trace_codec.h"
#include "engine/rocksdb_options.h"
#include "engine/store_impl.h"
#include "engine/util/coding.h"
#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

using testing::EditRawStore;
using testing::ExpectVerifyClean;
using testing::GetSessionOrDie;
using testing::IngestOrDie;
using testing::kSec;
using testing::kT0;
using testing::MakeTrace;
using testing::NoBackgroundCatchUp;
using testing::OpenOrDie;
using testing::SkipCatchUpOnClose;
using testing::TempDir;

std::size_t IndexKeysNotStates(const std::string& path, std::string* version) {
  std::size_t n = 0;
  EditRawStore(path, [&](rocksdb::DB* db, const ColumnFamilies& cf) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf.index));
    for (it->SeekToFirst(); it->Valid(); it->Next()) n += it->key()[0] != kStateTag;
    ASSERT_TRUE(
        db->Get(rocksdb::ReadOptions(), cf.default_family, kFormatVersionKey, version).ok());
  });
  return n;
}

// The version-2 encoding of a state (format 5's): without the error
// count, name register, tags and models, which encode as 4 bytes when
// empty.
std::string Version2State(std::string_view current) {
  SessionIndexState s;
  EXPECT_TRUE(DecodeIndexState(current, &s));
  s.error_count = 0;
  s.last_name = LatestRegister();
  s.tags.clear();
  s.models.clear();
  std::string v = EncodeIndexState(s);
  v[0] = 2;
  v.resize(v.size() - 4);
  SessionIndexState back;
  EXPECT_TRUE(DecodeIndexState(v, &back));
  EXPECT_EQ(back, s);
  return v;
}

// Rewrites the store as `version` left it.
void MakeOldVersion(const std::string& path, const std::string& version) {
  EditRawStore(path, [&](rocksdb::DB* db, const ColumnFamilies& cf) {
    rocksdb::WriteBatch wb;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf.index));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (it->key()[0] != kStateTag) continue;
      ASSERT_TRUE(wb.Put(cf.index, it->key(), Version2State(it->value().ToStringView())).ok());
    }
    // The aggregates as merge operands, and a marker of the old kind (a
    // prefix and an index state) not yet applied.
    std::unique_ptr<rocksdb::Iterator> agg(db->NewIterator(rocksdb::ReadOptions(), cf.sessions));
    for (agg->SeekToFirst(); agg->Valid(); agg->Next()) {
      ASSERT_TRUE(wb.Delete(cf.sessions, agg->key()).ok());
      ASSERT_TRUE(wb.Merge(cf.sessions, agg->key(), agg->value()).ok());
      SessionDelta d;
      ASSERT_TRUE(SessionDelta::Decode(agg->value().ToStringView(), &d));
      const std::string marker = agg->key().ToString() + EncodeIndexState(SessionIndexState::Of(d));
      ASSERT_TRUE(wb.Put(cf.dirty, DirtyKey(1000), marker).ok());
    }
    if (version == "4") {
      ASSERT_TRUE(wb.Put(cf.index, "Ol" + std::string(8, '\1') + "x", "entry").ok());
      ASSERT_TRUE(wb.Put(cf.index, "U\1u" + std::string(8, '\1') + "x", "entry").ok());
    }
    ASSERT_TRUE(wb.Put(cf.default_family, kFormatVersionKey, version).ok());
    ASSERT_TRUE(db->Write(rocksdb::WriteOptions(), &wb).ok());
  });
}

class StoreUpgradeTest : public ::testing::TestWithParam<std::string> {};

// Three traces in two sessions, for the upgrades of stores with pending
// markers.
std::vector<Trace> ThreeTraces() {
  return {MakeTrace("t1", "s1", kT0), MakeTrace("t2", "s1", kT0 + kSec),
          MakeTrace("t3", "s2", kT0 + 2 * kSec)};
}

// Sessions s1 and s2 of `got` as in `want`.
void ExpectSameSessions(Store* got, Store* want) {
  for (const char* id : {"s1", "s2"}) {
    EXPECT_EQ(GetSessionOrDie(got, id), GetSessionOrDie(want, id)) << id;
  }
}

// A current store in `dir` that ingested `traces`: what an upgraded one
// must read as.
std::unique_ptr<Store> CaughtUp(const std::string& dir, const std::vector<Trace>& traces) {
  auto store = OpenOrDie(dir, NoBackgroundCatchUp());
  IngestOrDie(store.get(), traces);
  return store;
}

TEST_P(StoreUpgradeTest, UpgradedByAWritableOpenOnly) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path());
    Trace t1 = MakeTrace("t1", "s1", kT0);
    t1.tags = {"goal"};
    t1.session_name = "Refund";
    t1.status = TraceStatus::kError;
    IngestOrDie(store.get(), {t1, MakeTrace("t2", "s2", kT0 + kSec)});
  }
  MakeOldVersion(dir.path(), GetParam());
  {
    Options ro;
    ro.read_only = true;
    std::unique_ptr<Store> store;
    Status s = Store::Open(ro, dir.path(), &store);
    EXPECT_TRUE(s.IsNotSupported()) << s.ToString();
    EXPECT_NE(s.ToString().find("open it once writable"), std::string::npos) << s.ToString();
  }
  {
    auto store = OpenOrDie(dir.path());
    ExpectVerifyClean(store.get());
    SessionPage page;
    ASSERT_TRUE(store->ListSessions(ListSessionsOptions(), &page).ok());
    ASSERT_EQ(page.sessions.size(), 2u);
    EXPECT_EQ(page.sessions[0].session_id, "s2");
    // The filters see what version 2's states lacked.
    for (auto filter : {+[](ListSessionsOptions* o) { o->tags = {"goal"}; },
                        +[](ListSessionsOptions* o) { o->search = "REFUND"; },
                        +[](ListSessionsOptions* o) { o->errors_only = true; }}) {
      ListSessionsOptions o;
      filter(&o);
      ASSERT_TRUE(store->ListSessions(o, &page).ok());
      ASSERT_EQ(page.sessions.size(), 1u);
      EXPECT_EQ(page.sessions[0].session_id, "s1");
    }
    // A catch-up folds a new delta onto an aggregate kept as operands.
    IngestOrDie(store.get(), {MakeTrace("t3", "s1", kT0 + 2 * kSec)});
    ASSERT_TRUE(store->ListSessions(ListSessionsOptions(), &page).ok());
    EXPECT_EQ(page.sessions[0].session_id, "s1");
    EXPECT_EQ(page.sessions[0].trace_count, 2);
    EXPECT_EQ(page.sessions[0].session_name, "Refund");
    ExpectVerifyClean(store.get());
  }
  std::string version;
  EXPECT_EQ(IndexKeysNotStates(dir.path(), &version), 0u);
  EXPECT_EQ(version, kFormatVersion);
}

INSTANTIATE_TEST_SUITE_P(Versions, StoreUpgradeTest, ::testing::Values("4", "5", "6"));

// Format 7 -> 8: pending markers of format 7 (each session's whole delta)
// are rewritten as format 8's in the write that stores the version, and
// the catch-up applies them once.
TEST(StoreUpgradeTest, Version7MarkersAreRewrittenAndApplied) {
  TempDir dir, want_dir;
  const Options options = NoBackgroundCatchUp();
  const std::vector<Trace> traces = ThreeTraces();
  const auto want = CaughtUp(want_dir.path(), traces);
  {
    auto store = OpenOrDie(dir.path(), options, SkipCatchUpOnClose());
    IngestOrDie(store.get(), traces);
  }
  std::size_t markers = 0;
  EditRawStore(dir.path(), [&](rocksdb::DB* db, const ColumnFamilies& cf) {
    // Each marker as format 7 wrote it: the deltas of the traces it names.
    rocksdb::WriteBatch wb;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf.dirty));
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++markers) {
      std::vector<MarkedSession> marks;
      ASSERT_TRUE(DecodeDirtyMarker(it->value().ToStringView(), &marks));
      std::vector<Version7DirtySession> old;
      for (const MarkedSession& m : marks) {
        SessionDelta d;
        for (const MarkedSession::Added& a : m.added) {
          std::string key = m.prefix, record;
          PutTime(&key, a.start_ns);
          key += a.trace_id;
          ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), cf.traces, key, &record).ok());
          Trace t;
          uint64_t version = 0;
          ASSERT_TRUE(DecodeTrace(record, &t, &version));
          d.Add(SessionDelta::FromTrace(t, version));
        }
        old.push_back(Version7DirtySession{m.prefix, d.Encode()});
      }
      ASSERT_TRUE(wb.Put(cf.dirty, it->key(), EncodeVersion7DirtyMarker(old)).ok());
    }
    ASSERT_TRUE(wb.Put(cf.default_family, kFormatVersionKey, "7").ok());
    ASSERT_TRUE(db->Write(rocksdb::WriteOptions(), &wb).ok());
  });
  ASSERT_EQ(markers, 1u);
  {
    Options ro = options;
    ro.read_only = true;
    std::unique_ptr<Store> store;
    const Status s = Store::Open(ro, dir.path(), &store);
    EXPECT_TRUE(s.IsNotSupported()) << s.ToString();
  }
  {
    auto store = OpenOrDie(dir.path(), options);
    EXPECT_EQ(static_cast<StoreImpl*>(store.get())->TEST_PendingIndexSessions(), 2u);
    ExpectSameSessions(store.get(), want.get());
    ExpectVerifyClean(store.get());
  }
  std::string version;
  IndexKeysNotStates(dir.path(), &version);
  EXPECT_EQ(version, kFormatVersion);
  // The markers were applied once and stay deleted (the old keys are
  // gone, not merely overwritten: a SingleDelete would bring them back).
  auto store = OpenOrDie(dir.path(), options);
  EXPECT_EQ(static_cast<StoreImpl*>(store.get())->TEST_PendingIndexSessions(), 0u);
  ExpectSameSessions(store.get(), want.get());
}

// Format 8 -> 9: version 9 only adds round records, so a version-8 store
// is read as it is by a read-only open (pending markers included), and a
// writable open stores the new version and applies its markers once.
TEST(StoreUpgradeTest, Version8IsReadAsItIsAndStoresTheNewVersionWhenWritable) {
  TempDir dir, want_dir;
  const Options options = NoBackgroundCatchUp();
  const std::vector<Trace> traces = ThreeTraces();
  const auto want = CaughtUp(want_dir.path(), traces);
  {
    auto store = OpenOrDie(dir.path(), options, SkipCatchUpOnClose());
    IngestOrDie(store.get(), {traces[0]});
    ASSERT_TRUE(store->Flush().ok());                  // s1's first trace in the aggregates.
    IngestOrDie(store.get(), {traces[1], traces[2]});  // Pending at the close.
  }
  EditRawStore(dir.path(), [&](rocksdb::DB* db, const ColumnFamilies& cf) {
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), cf.default_family, kFormatVersionKey, "8").ok());
  });
  std::string version;
  {
    Options ro = options;
    ro.read_only = true;
    auto store = OpenOrDie(dir.path(), ro);
    ExpectSameSessions(store.get(), want.get());
  }
  IndexKeysNotStates(dir.path(), &version);
  EXPECT_EQ(version, "8") << "a read-only open changes nothing";
  {
    auto store = OpenOrDie(dir.path(), options);
    EXPECT_EQ(static_cast<StoreImpl*>(store.get())->TEST_PendingIndexSessions(), 2u);
    ExpectVerifyClean(store.get());
  }
  IndexKeysNotStates(dir.path(), &version);
  EXPECT_EQ(version, kFormatVersion);
  auto store = OpenOrDie(dir.path(), options);
  EXPECT_EQ(static_cast<StoreImpl*>(store.get())->TEST_PendingIndexSessions(), 0u);
  ExpectSameSessions(store.get(), want.get());
}

}  // namespace
}  // namespace sessionstore
