// Copyright sessionstore authors.
//
// Marker recovery: the deltas of format-8 dirty markers rebuilt from the
// traces they name (RebuildMarkedDeltas with a reader from a map), and a
// whole store that crashed before its catch-up with added, changed and
// moved traces pending, reopened read-only and writable, against a store
// that ingested the same and caught up.

#include "engine/marker_recovery.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/format/keys.h"
#include "engine/store_impl.h"
#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

using testing::ExpectVerifyClean;
using testing::GetSessionOrDie;
using testing::IngestOrDie;
using testing::kSec;
using testing::kT0;
using testing::MakeTrace;
using testing::NoBackgroundCatchUp;
using testing::OpenOrDie;
using testing::TempDir;
using testing::Turn;

std::string Prefix(const std::string& id) {
  std::string p;
  PutSessionPrefix(&p, 7, id);
  return p;
}

TEST(MarkerRecoveryTest, RoundRecordsDropTheEntriesTheirRoundsApplied) {
  std::map<uint64_t, std::vector<MarkedSession>> markers;
  for (uint64_t seq : {3, 4, 5}) {
    for (const char* id : {"a", "b", "c"}) {
      markers[seq].push_back(MarkedSession{Prefix(id), {{100, std::string(id) + "-t"}}, {}});
    }
  }
  RoundRecord first{{3, 4}, Prefix("b")};  // a stored for 3 and 4.
  RoundRecord retry{{3, 4}, Prefix("c")};  // then b, in a later round.
  DropAppliedEntries({first, retry}, &markers);
  ASSERT_EQ(markers.size(), 3u) << "markers stay: a catch-up deletes them";
  ASSERT_EQ(markers[3].size(), 1u);
  EXPECT_EQ(markers[3][0].prefix, Prefix("c"));
  ASSERT_EQ(markers[4].size(), 1u);
  EXPECT_EQ(markers[5].size(), 3u) << "a marker no round took";
  DropAppliedEntries({RoundRecord{{3, 4, 5}, Prefix("d")}}, &markers);
  EXPECT_TRUE(markers[3].empty());
  EXPECT_TRUE(markers[5].empty());
}

TEST(MarkerRecoveryTest, AddedTracesTelescopeAndCountOnce) {
  const std::string a = Prefix("a");
  // t1 was counted before the markers (its change is kept); t2 is added by
  // marker 1 and changed by marker 2 (that change is in its record now,
  // so it is skipped); marker 3 repeats t2 as added (counted once).
  const SessionDelta t1_change = SessionDelta::FromTrace(MakeTrace("t1", "a", 10), 2);
  const SessionDelta t2_now = SessionDelta::FromTrace(MakeTrace("t2", "a", 5), 2);
  const SessionDelta t2_change = SessionDelta::FromTrace(MakeTrace("t2", "a", 99), 9);
  const SessionDelta several = SessionDelta::FromTrace(MakeTrace("t7", "a", 1), 1);
  std::map<uint64_t, std::vector<MarkedSession>> markers;
  markers[1] = {MarkedSession{a, {{20, "t2"}}, {{"t1", t1_change.Encode()}}}};
  markers[2] = {MarkedSession{a, {}, {{"t2", t2_change.Encode()}, {"", several.Encode()}}}};
  markers[3] = {MarkedSession{a, {{20, "t2"}}, {}}};
  int reads = 0;
  const AddedTraceReader read = [&](const std::vector<AddedTrace>& traces,
                                    std::vector<SessionDelta>* deltas) {
    ++reads;
    EXPECT_EQ(traces.size(), 1u);
    EXPECT_EQ(traces[0].prefix, a);
    EXPECT_EQ(traces[0].added->trace_id, "t2");
    deltas->assign(traces.size(), t2_now);
    return Status::OK();
  };
  std::map<uint64_t, std::vector<DirtySession>> batches;
  ASSERT_TRUE(RebuildMarkedDeltas(read, markers, &batches).ok());
  EXPECT_EQ(reads, 1);
  ASSERT_EQ(batches.size(), 3u);
  SessionDelta want1 = t1_change;
  want1.Add(t2_now);
  ASSERT_EQ(batches[1].size(), 1u);
  EXPECT_EQ(batches[1][0].prefix, a);
  EXPECT_EQ(batches[1][0].delta, want1);
  EXPECT_EQ(batches[2][0].delta, several);        // t2's change skipped.
  EXPECT_TRUE(batches[3][0].delta.IsIdentity());  // t2 counted once.
}

// More added traces than one read takes (1024): each read's contributions
// go to the marker and session that added each trace.
TEST(MarkerRecoveryTest, ManyAddedTracesAreReadInChunks) {
  std::map<uint64_t, std::vector<MarkedSession>> markers;
  std::map<std::string, int64_t> tokens;                     // Prefix + trace id -> its tokens.
  std::map<std::pair<uint64_t, std::string>, int64_t> want;  // (seq, prefix) -> sum.
  int n = 0;
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    for (int j = 0; j < 7; ++j) {
      MarkedSession m;
      m.prefix = Prefix("s" + std::to_string(j));
      for (int i = 0; i < 120; ++i, ++n) {
        const std::string id = "t" + std::to_string(n);
        m.added.push_back({n, id});
        tokens[m.prefix + id] = n + 1;
        want[{seq, m.prefix}] += n + 1;
      }
      markers[seq].push_back(m);
    }
    std::sort(markers[seq].begin(), markers[seq].end(),
              [](const MarkedSession& a, const MarkedSession& b) { return a.prefix < b.prefix; });
  }
  // A trace added again by a later marker counts once, in the first.
  markers[3][0].added.push_back(markers[1][0].added[5]);
  std::vector<std::size_t> chunk_sizes;
  const AddedTraceReader read = [&](const std::vector<AddedTrace>& traces,
                                    std::vector<SessionDelta>* deltas) {
    chunk_sizes.push_back(traces.size());
    deltas->clear();
    for (const AddedTrace& t : traces) {
      SessionDelta d;
      d.trace_count = 1;
      d.prompt_tokens = tokens.at(std::string(t.prefix) + t.added->trace_id);
      deltas->push_back(d);
    }
    return Status::OK();
  };
  std::map<uint64_t, std::vector<DirtySession>> batches;
  ASSERT_TRUE(RebuildMarkedDeltas(read, markers, &batches).ok());
  EXPECT_EQ(chunk_sizes, (std::vector<std::size_t>{1024, 1024, 472}));
  for (const auto& [seq, batch] : batches) {
    ASSERT_EQ(batch.size(), 7u);
    for (const DirtySession& d : batch) {
      const SessionDelta& got = d.delta;
      EXPECT_EQ(got.prompt_tokens, (want[{seq, d.prefix}])) << seq;
      EXPECT_EQ(got.trace_count, 120) << seq;
    }
  }
}

TEST(MarkerRecoveryTest, ReadErrorsAndDamageStopTheRecovery) {
  std::map<uint64_t, std::vector<MarkedSession>> markers;
  markers[1] = {MarkedSession{Prefix("a"), {{20, "t2"}}, {}}};
  std::map<uint64_t, std::vector<DirtySession>> batches;
  const Status s = RebuildMarkedDeltas(
      [](const std::vector<AddedTrace>&, std::vector<SessionDelta>*) {
        return Status::Corruption("trace t2 named by a dirty marker is not stored");
      },
      markers, &batches);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  markers[1] = {MarkedSession{Prefix("a"), {}, {{"t1", "not a delta"}}}};
  EXPECT_TRUE(RebuildMarkedDeltas(
                  [](const std::vector<AddedTrace>&, std::vector<SessionDelta>* d) {
                    d->clear();
                    return Status::OK();
                  },
                  markers, &batches)
                  .IsCorruption());
}

// The batches of the store test: a caught-up start, then pending batches
// that add traces, change counted ones, move starts earlier (an added
// trace's too: its record leaves the key its marker names) and give a
// session-less trace its session.
void IngestHistory(Store* store, bool catch_up_first) {
  Trace t3 = Turn("t3", "s2", kT0 + 5 * kSec, "in3", "out3");
  t3.user_id = "u2";
  IngestOrDie(store, {Turn("t1", "s1", kT0, "in1", "out1"),
                      Turn("t2", "s1", kT0 + kSec, "in2", "out2"), t3});
  if (catch_up_first) {
    SessionPage page;
    ASSERT_TRUE(store->ListSessions(ListSessionsOptions(), &page).ok());
  }
  Trace t1 = Turn("t1", "s1", kT0, "in1", "out1 revised");
  t1.spans[0].prompt_tokens = 500;
  Trace t5 = Turn("t5", "", kT0 + 6 * kSec, "in5", "out5");
  IngestOrDie(store, {Turn("t4", "s1", kT0 + 3 * kSec, "in4", "out4"), t1, t5});
  Trace t4 = Turn("t4", "s1", kT0 + kSec / 2, "in4", "out4 revised");
  t4.session_name = "moved";
  Trace t5s = MakeTrace("t5", "s2", kT0 + 6 * kSec);
  Trace t3e = MakeTrace("t3", "s2", kT0 + 4 * kSec);  // Moves t3 earlier.
  IngestOrDie(store, {t4, t5s, t3e, Turn("t6", "s3", kT0 + 7 * kSec, "in6", "out6")});
}

void ExpectSameSessions(Store* got, Store* want) {
  for (const char* id : {"s1", "s2", "s3"}) {
    EXPECT_EQ(GetSessionOrDie(got, id), GetSessionOrDie(want, id)) << id;
  }
  SessionPage a, b;
  ASSERT_TRUE(got->ListSessions(ListSessionsOptions(), &a).ok());
  ASSERT_TRUE(want->ListSessions(ListSessionsOptions(), &b).ok());
  ASSERT_EQ(a.sessions.size(), b.sessions.size());
  for (std::size_t i = 0; i < a.sessions.size(); ++i) EXPECT_EQ(a.sessions[i], b.sessions[i]);
}

InternalOptions SkipCatchUpOnClose() {
  InternalOptions crash;
  crash.TEST_skip_index_catch_up_on_close = true;
  return crash;
}

// Ingests the history into a reference store (returned) and into the store
// at `dir`, which closes as after a crash: its three sessions' batches stay
// pending, their markers on disk.
std::unique_ptr<Store> CrashAfterHistory(const std::string& want_dir, const std::string& dir,
                                         bool catch_up_first) {
  auto want = OpenOrDie(want_dir, NoBackgroundCatchUp());
  IngestHistory(want.get(), catch_up_first);
  auto store = OpenOrDie(dir, NoBackgroundCatchUp(), SkipCatchUpOnClose());
  IngestHistory(store.get(), catch_up_first);
  EXPECT_EQ(static_cast<StoreImpl*>(store.get())->TEST_PendingIndexSessions(), 3u);
  return want;
}

TEST(MarkerRecoveryTest, StoreRecoversPendingBatchesFromTheTracesTheyName) {
  TempDir want_dir, dir;
  auto want = CrashAfterHistory(want_dir.path(), dir.path(), true);
  {
    Options ro = NoBackgroundCatchUp();
    ro.read_only = true;
    auto store = OpenOrDie(dir.path(), ro);
    ExpectSameSessions(store.get(), want.get());
    ExpectVerifyClean(store.get());
  }
  {
    auto store = OpenOrDie(dir.path(), NoBackgroundCatchUp(), SkipCatchUpOnClose());
    EXPECT_EQ(static_cast<StoreImpl*>(store.get())->TEST_PendingIndexSessions(), 3u);
    ExpectSameSessions(store.get(), want.get());  // Caught up by the listing.
    ExpectVerifyClean(store.get());
    // Later changes compose with what the recovery rebuilt.
    Trace t4 = MakeTrace("t4", "s1", kT0);
    IngestOrDie(store.get(), {t4});
    IngestOrDie(want.get(), {t4});
    ExpectSameSessions(store.get(), want.get());
  }
  auto store = OpenOrDie(dir.path(), NoBackgroundCatchUp());
  ExpectSameSessions(store.get(), want.get());
  ExpectVerifyClean(store.get());
}

// Nothing caught up before the crash: every trace is added by a pending
// marker, the moved one is found through its locator.
TEST(MarkerRecoveryTest, StoreRecoversWhenNothingWasCaughtUp) {
  TempDir want_dir, dir;
  auto want = CrashAfterHistory(want_dir.path(), dir.path(), false);
  auto store = OpenOrDie(dir.path(), NoBackgroundCatchUp());
  ExpectSameSessions(store.get(), want.get());
  ExpectVerifyClean(store.get());
}

// A marker that names a trace the store does not hold is reported, not
// skipped: its session's aggregate could not be rebuilt.
TEST(MarkerRecoveryTest, MissingNamedTraceIsCorruption) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path(), NoBackgroundCatchUp(), SkipCatchUpOnClose());
    IngestOrDie(store.get(), {Turn("t1", "s1", kT0, "in", "out")});
  }
  testing::EditRawStore(dir.path(), [](rocksdb::DB* db, const ColumnFamilies& cf) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf.traces));
    it->SeekToFirst();
    ASSERT_TRUE(it->Valid());
    ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), cf.traces, it->key()).ok());
    ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), cf.trace_ids, "t1").ok());
  });
  std::unique_ptr<Store> store;
  const Status s = Store::Open(NoBackgroundCatchUp(), dir.path(), &store);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("t1"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace sessionstore
