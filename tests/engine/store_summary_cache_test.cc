// Copyright sessionstore authors.
//
// The summary cache through the store: every write that changes a cached
// session (ingest, each kind of delete) is seen by the next GetSession and
// listing, and a store with the cache answers exactly as one without it.
// (The ticket protocol alone: summary_cache_test.cc; random workloads with
// repeated reads: store_model_test.cc.)

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/store_impl.h"
#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

using testing::GetSessionOrDie;
using testing::IngestOrDie;
using testing::kSec;
using testing::kT0;
using testing::OpenOrDie;
using testing::TempDir;
using testing::Turn;

std::vector<SessionSummary> FirstPage(Store* store) {
  SessionPage page;
  ListSessionsOptions o;
  o.limit = 100;
  EXPECT_TRUE(store->ListSessions(o, &page).ok());
  return page.sessions;
}

class StoreSummaryCacheTest : public ::testing::TestWithParam<std::size_t> {
 protected:
  std::unique_ptr<Store> Open(const std::string& path) {
    Options o;
    o.summary_cache_bytes = GetParam();
    return OpenOrDie(path, o);
  }
};

TEST_P(StoreSummaryCacheTest, ReadsSeeEveryAcknowledgedWrite) {
  TempDir dir;
  auto store = Open(dir.path());
  IngestOrDie(store.get(), {Turn("a1", "a", kT0, "q1", "r1"), Turn("b1", "b", kT0, "q", "r")});
  // Read twice: with the cache on, a session is cached at its second read
  // (the first one only marks it) and found from the third on.
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(GetSessionOrDie(store.get(), "a").trace_count, 1);
    EXPECT_EQ(FirstPage(store.get()).size(), 2u);
  }
  StoreStats st;
  ASSERT_TRUE(store->GetStats(&st).ok());
  const bool on = GetParam() > 0;
  // a: GetSession misses (marks), the first page misses (caches), then
  // GetSession and the second page hit; b: the first page misses (marks),
  // the second misses (caches).
  EXPECT_EQ(st.summary_cache_hits, on ? 2u : 0u);
  EXPECT_EQ(st.summary_cache_misses, on ? 4u : 0u);
  EXPECT_EQ(st.summary_cache_bytes > 0, on);
  IngestOrDie(store.get(), {Turn("a2", "a", kT0 + kSec, "q2", "r2")});
  SessionSummary a = GetSessionOrDie(store.get(), "a");
  EXPECT_EQ(a.trace_count, 2);
  EXPECT_EQ(a.last_output.value, "r2");
  std::vector<SessionSummary> page = FirstPage(store.get());
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].session_id, "a");
  EXPECT_EQ(page[0], a);

  // A new version of a cached trace.
  Trace v = Turn("a2", "a", kT0 + kSec, "q2", "r2 edited");
  IngestOrDie(store.get(), {v});
  EXPECT_EQ(GetSessionOrDie(store.get(), "a").last_output.value, "r2 edited");
  EXPECT_EQ(FirstPage(store.get())[0].last_output.value, "r2 edited");

  DeleteResult r;
  ASSERT_TRUE(store->DeleteTracesBefore(kT0 + kSec, &r).ok());  // a1 and b1.
  EXPECT_EQ(GetSessionOrDie(store.get(), "a").trace_count, 1);
  SessionSummary gone;
  EXPECT_TRUE(store->GetSession("b", &gone).IsNotFound());
  page = FirstPage(store.get());
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].trace_count, 1);

  ASSERT_TRUE(store->DeleteSession("a", &r).ok());
  EXPECT_TRUE(store->GetSession("a", &gone).IsNotFound());
  EXPECT_TRUE(FirstPage(store.get()).empty());

  // Ingest after the delete starts the session afresh.
  IngestOrDie(store.get(), {Turn("a3", "a", kT0 + 5 * kSec, "q3", "r3")});
  EXPECT_EQ(GetSessionOrDie(store.get(), "a").trace_count, 1);
  EXPECT_EQ(GetSessionOrDie(store.get(), "a").first_input.value, "q3");
}

TEST_P(StoreSummaryCacheTest, DeleteUserDropsCachedSessions) {
  TempDir dir;
  auto store = Open(dir.path());
  Trace t1 = Turn("t1", "s1", kT0, "q", "r");
  t1.user_id = "u1";
  Trace t2 = Turn("t2", "s2", kT0, "q", "r");
  t2.user_id = "u2";
  IngestOrDie(store.get(), {t1, t2});
  EXPECT_EQ(GetSessionOrDie(store.get(), "s1").user_id, "u1");
  EXPECT_EQ(FirstPage(store.get()).size(), 2u);
  DeleteResult r;
  ASSERT_TRUE(store->DeleteUser("u1", &r).ok());
  SessionSummary gone;
  EXPECT_TRUE(store->GetSession("s1", &gone).IsNotFound());
  std::vector<SessionSummary> page = FirstPage(store.get());
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].session_id, "s2");
}

INSTANTIATE_TEST_SUITE_P(CacheOnAndOff, StoreSummaryCacheTest,
                         ::testing::Values(std::size_t{32} << 20, std::size_t{0}));

}  // namespace
}  // namespace sessionstore
