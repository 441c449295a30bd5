// Copyright sessionstore authors.
//
// ListSessions through the store: orders, windows, users, cursors, and the
// session indexes after a crash and in the background.

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/store_impl.h"
#include "sessionstore/store.h"
#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

using testing::ExpectVerifyClean;
using testing::GetSessionOrDie;
using testing::IngestOrDie;
using testing::kSec;
using testing::kT0;
using testing::MakeTrace;
using testing::OpenOrDie;
using testing::SkipCatchUpOnClose;
using testing::TempDir;
using testing::Turn;

TEST(StoreTest, ListSessionsNewestFirstWithUserFilterAndCursor) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  std::vector<Trace> traces;
  // Session k has traces at k and at 100 + k (its latest); user by parity.
  for (int k = 0; k < 12; ++k) {
    for (int64_t at : {int64_t{k}, int64_t{100 + k}}) {
      Trace t = Turn("t" + std::to_string(k) + "-" + std::to_string(at), "s" + std::to_string(k),
                     kT0 + at * kSec, "i", "o");
      t.user_id = k % 2 == 0 ? "even" : "odd";
      traces.push_back(t);
    }
  }
  IngestOrDie(store.get(), traces);

  auto list_all = [&](ListSessionsOptions o) {
    std::vector<std::string> ids;
    for (int pages = 0; pages < 20; ++pages) {
      SessionPage page;
      Status st = store->ListSessions(o, &page);
      EXPECT_TRUE(st.ok()) << st.ToString();
      for (const auto& s : page.sessions) ids.push_back(s.session_id);
      // Regression (review): a cursor never leads to an empty page.
      EXPECT_FALSE(page.sessions.empty() && !o.cursor.empty()) << "empty page after a cursor";
      if (page.next_cursor.empty()) break;
      o.cursor = page.next_cursor;
    }
    return ids;
  };
  ListSessionsOptions o;
  o.limit = 5;
  std::vector<std::string> want;
  for (int k = 11; k >= 0; --k) want.push_back("s" + std::to_string(k));
  EXPECT_EQ(list_all(o), want);

  o.user_id = "odd";
  want.clear();
  for (int k = 11; k >= 0; k -= 2) want.push_back("s" + std::to_string(k));
  EXPECT_EQ(list_all(o), want);

  // Windows select sessions whose activity [first, last] overlaps them, and
  // keep the order by last activity.
  ListSessionsOptions w;
  w.from_ns = kT0 + 3 * kSec;
  w.to_ns = kT0 + 8 * kSec;
  w.limit = 2;
  EXPECT_EQ(list_all(w),
            (std::vector<std::string>{"s7", "s6", "s5", "s4", "s3", "s2", "s1", "s0"}));
  w.from_ns = kT0 + 105 * kSec;
  w.to_ns = kMaxTime;
  EXPECT_EQ(list_all(w), (std::vector<std::string>{"s11", "s10", "s9", "s8", "s7", "s6", "s5"}));
  w.from_ns = kMinTime;
  w.to_ns = kT0 + 3 * kSec;
  w.user_id = "even";
  EXPECT_EQ(list_all(w), (std::vector<std::string>{"s2", "s0"}));
}

// ListSessions builds a page in the rows of the page it is given (their
// buffers are reused): a page listed into the same object again, after
// pages of other sizes and contents, equals one listed into a fresh object.
TEST(StoreTest, ListingIntoAReusedPageGivesWhatAFreshPageGives) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  auto ingest_round = [&](int round) {
    std::vector<Trace> traces;
    for (int k = 0; k < 12; ++k) {
      Trace t = Turn("t" + std::to_string(round) + "-" + std::to_string(k), "s" + std::to_string(k),
                     kT0 + (round * 100 + k) * kSec, std::string(50 * k + 1, 'i'),
                     std::string(round == 0 ? 1500 - 100 * k : 3, 'o'));
      t.user_id = k % 2 == 0 ? "even" : "odd";
      if (k % 3 == 0) t.tags = {"tag" + std::to_string(k), "vip"};
      traces.push_back(t);
    }
    IngestOrDie(store.get(), traces);
  };
  std::vector<ListSessionsOptions> queries(6);
  queries[0].limit = 5;
  queries[1].limit = 2;
  queries[2].user_id = "odd";
  queries[3].order = SessionOrder::kCost;
  queries[3].limit = 7;
  queries[4].user_id = "nobody";
  queries[5].limit = 12;
  SessionPage reused;
  for (int round = 0; round < 2; ++round) {
    ingest_round(round);
    for (int pass = 0; pass < 3; ++pass) {  // The third pass reads cached rows.
      for (const ListSessionsOptions& q : queries) {
        SessionPage fresh;
        ASSERT_TRUE(store->ListSessions(q, &fresh).ok());
        ASSERT_TRUE(store->ListSessions(q, &reused).ok());
        EXPECT_EQ(reused.sessions, fresh.sessions) << "round " << round << " pass " << pass;
        EXPECT_EQ(reused.next_cursor, fresh.next_cursor);
      }
    }
  }
  ASSERT_TRUE(store->ListSessions(queries[5], &reused).ok());
  EXPECT_EQ(reused.sessions.size(), 12u);
}

TEST(StoreTest, ListSessionsByCostTokensAndCountInBothDirections) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  // s0: 1 trace, cost 300; s1: 3 traces, cost 100; s2: 2 traces, cost 200.
  std::vector<Trace> traces;
  const int counts[] = {1, 3, 2};
  const int64_t costs[] = {300, 100, 200};
  for (int k = 0; k < 3; ++k) {
    for (int i = 0; i < counts[k]; ++i) {
      Trace t = MakeTrace("t" + std::to_string(k) + "-" + std::to_string(i),
                          "s" + std::to_string(k), kT0 + (10 * k + i) * kSec);
      t.cost_nano_usd = i == 0 ? costs[k] : 0;
      t.prompt_tokens = 10 * (k + 1);
      traces.push_back(t);
    }
  }
  IngestOrDie(store.get(), traces);
  auto ids = [&](SessionOrder order, bool descending, int64_t from = kMinTime) {
    ListSessionsOptions o;
    o.order = order;
    o.descending = descending;
    o.from_ns = from;
    o.limit = 2;
    std::vector<std::string> out;
    for (int pages = 0; pages < 5; ++pages) {
      SessionPage page;
      EXPECT_TRUE(store->ListSessions(o, &page).ok());
      for (const auto& s : page.sessions) out.push_back(s.session_id);
      if (page.next_cursor.empty()) break;
      o.cursor = page.next_cursor;
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids(SessionOrder::kCost, true), (V{"s0", "s2", "s1"}));
  EXPECT_EQ(ids(SessionOrder::kCost, false), (V{"s1", "s2", "s0"}));
  EXPECT_EQ(ids(SessionOrder::kTraceCount, true), (V{"s1", "s2", "s0"}));
  // Tokens: s0 10, s1 60, s2 60 -> a tie, broken consistently.
  const V by_tokens = ids(SessionOrder::kTotalTokens, true);
  ASSERT_EQ(by_tokens.size(), 3u);
  EXPECT_EQ(by_tokens[2], "s0");
  EXPECT_EQ(ids(SessionOrder::kFirstActivity, false), (V{"s0", "s1", "s2"}));
  EXPECT_EQ(ids(SessionOrder::kDuration, true)[0], "s1");
  // Cost-sorted over a window: only sessions active at or after s1's last trace.
  EXPECT_EQ(ids(SessionOrder::kCost, true, kT0 + 12 * kSec), (V{"s2", "s1"}));

  // A cursor belongs to its order and direction.
  ListSessionsOptions o;
  o.order = SessionOrder::kCost;
  o.limit = 1;
  SessionPage page;
  ASSERT_TRUE(store->ListSessions(o, &page).ok());
  ASSERT_FALSE(page.next_cursor.empty());
  o.cursor = page.next_cursor;
  o.order = SessionOrder::kTraceCount;
  EXPECT_TRUE(store->ListSessions(o, &page).IsInvalidArgument());
  o.order = SessionOrder::kCost;
  o.descending = false;
  EXPECT_TRUE(store->ListSessions(o, &page).IsInvalidArgument());
  o.cursor.clear();
  o.order = static_cast<SessionOrder>(99);
  EXPECT_TRUE(store->ListSessions(o, &page).IsInvalidArgument());
}

// Ingest only writes dirty markers; a crash before the indexes caught up
// loses nothing: the next open finds the markers and indexes those sessions.
TEST(StoreTest, SessionIndexCatchesUpAfterCrash) {
  TempDir dir;
  Options options;
  options.index_interval_ms = 0;  // No background catch-up.
  {
    auto store = OpenOrDie(dir.path(), options, SkipCatchUpOnClose());
    IngestOrDie(store.get(), {Turn("a", "s1", kT0, "i", "o")});
    SessionPage page;
    ASSERT_TRUE(store->ListSessions(ListSessionsOptions(), &page).ok());  // Indexes s1.
    Trace later = Turn("b", "s2", kT0 + kSec, "i", "o");
    later.user_id = "u";
    IngestOrDie(store.get(), {later, Turn("c", "s1", kT0 + 2 * kSec, "i", "o")});
    EXPECT_EQ(static_cast<StoreImpl*>(store.get())->TEST_PendingIndexSessions(), 2u);
  }
  {
    // Read-only (regression: it listed only what was indexed before the
    // crash): the pending markers are applied in memory, so reads are
    // current and Verify is clean, and nothing is written.
    Options ro = options;
    ro.read_only = true;
    auto store = OpenOrDie(dir.path(), ro);
    SessionPage page;
    const Status listed = store->ListSessions(ListSessionsOptions(), &page);
    ASSERT_TRUE(listed.ok()) << listed.ToString();
    ASSERT_EQ(page.sessions.size(), 2u);
    EXPECT_EQ(page.sessions[0].session_id, "s1");
    EXPECT_EQ(page.sessions[0].trace_count, 2);
    EXPECT_EQ(page.sessions[1].session_id, "s2");
    ListSessionsOptions by_user;
    by_user.user_id = "u";
    ASSERT_TRUE(store->ListSessions(by_user, &page).ok());
    ASSERT_EQ(page.sessions.size(), 1u);
    ListSessionsOptions by_cost;
    by_cost.order = SessionOrder::kTraceCount;
    by_cost.from_ns = kT0;
    ASSERT_TRUE(store->ListSessions(by_cost, &page).ok());
    ASSERT_EQ(page.sessions.size(), 2u);
    EXPECT_EQ(page.sessions[0].session_id, "s1");
    // Pages resume through the overlay as well, in both directions.
    for (bool descending : {true, false}) {
      ListSessionsOptions paged;
      paged.limit = 1;
      paged.descending = descending;
      std::vector<std::string> seen;
      do {
        ASSERT_TRUE(store->ListSessions(paged, &page).ok());
        for (const SessionSummary& x : page.sessions) seen.push_back(x.session_id);
        paged.cursor = page.next_cursor;
      } while (!paged.cursor.empty());
      EXPECT_EQ(seen, descending ? std::vector<std::string>({"s1", "s2"})
                                 : std::vector<std::string>({"s2", "s1"}));
    }
    VerifyReport report;
    ASSERT_TRUE(store->Verify(&report).ok());
    for (const auto& m : report.mismatches) ADD_FAILURE() << m;
  }
  auto store = OpenOrDie(dir.path(), options);
  EXPECT_EQ(static_cast<StoreImpl*>(store.get())->TEST_PendingIndexSessions(), 2u);
  SessionPage page;
  ASSERT_TRUE(store->ListSessions(ListSessionsOptions(), &page).ok());
  ASSERT_EQ(page.sessions.size(), 2u);
  EXPECT_EQ(page.sessions[0].session_id, "s1");  // Latest activity at +2 s.
  EXPECT_EQ(page.sessions[0].trace_count, 2);
  EXPECT_EQ(page.sessions[1].session_id, "s2");
  ListSessionsOptions by_user;
  by_user.user_id = "u";
  ASSERT_TRUE(store->ListSessions(by_user, &page).ok());
  ASSERT_EQ(page.sessions.size(), 1u);
  EXPECT_EQ(page.sessions[0].session_id, "s2");
  EXPECT_EQ(static_cast<StoreImpl*>(store.get())->TEST_PendingIndexSessions(), 0u);
  VerifyReport report;
  ASSERT_TRUE(store->Verify(&report).ok());
  for (const auto& m : report.mismatches) ADD_FAILURE() << m;
}

// A page's rows are read together (one batched read of the aggregates):
// each row equals the session's GetSession, for sessions only stored,
// stored with deltas not yet applied and only pending (no aggregate
// stored), read from a read-only open that applies the markers in memory.
TEST(StoreTest, ListedRowsEqualGetSessionWithStoredAndPendingAggregates) {
  TempDir dir;
  Options options;
  options.index_interval_ms = 0;  // No background catch-up.
  {
    auto store = OpenOrDie(dir.path(), options, SkipCatchUpOnClose());
    std::vector<Trace> first;
    for (int i = 0; i < 6; ++i) {
      Trace t = Turn("a" + std::to_string(i), "s" + std::to_string(i), kT0 + i * kSec, "in", "out");
      t.user_id = i % 2 == 0 ? "even" : "odd";
      first.push_back(t);
    }
    IngestOrDie(store.get(), first);
    SessionPage page;
    ASSERT_TRUE(store->ListSessions(ListSessionsOptions(), &page).ok());  // Stores s0..s5.
    std::vector<Trace> later;
    for (int i = 0; i < 6; i += 2) {  // s0, s2, s4 change again.
      later.push_back(Turn("b" + std::to_string(i), "s" + std::to_string(i), kT0 + (10 + i) * kSec,
                           "in again", "out again"));
    }
    later.push_back(Turn("c", "s9", kT0 + 30 * kSec, "new", "only pending"));
    IngestOrDie(store.get(), later);
    EXPECT_EQ(static_cast<StoreImpl*>(store.get())->TEST_PendingIndexSessions(), 4u);
  }
  Options ro = options;
  ro.read_only = true;
  ro.summary_cache_bytes = 0;  // Each read below reads the store.
  auto store = OpenOrDie(dir.path(), ro);
  SessionPage page;
  ASSERT_TRUE(store->ListSessions(ListSessionsOptions(), &page).ok());
  ASSERT_EQ(page.sessions.size(), 7u);
  EXPECT_EQ(page.sessions[0].session_id, "s9");
  for (const SessionSummary& row : page.sessions) {
    SessionSummary one;
    ASSERT_TRUE(store->GetSession(row.session_id, &one).ok()) << row.session_id;
    EXPECT_EQ(row, one) << row.session_id;
  }
  EXPECT_EQ(page.sessions[0].last_output.value, "only pending");
  EXPECT_EQ(page.sessions[1].session_id, "s4");
  EXPECT_EQ(page.sessions[1].trace_count, 2);
  EXPECT_EQ(page.sessions[1].last_output.value, "out again");
}

TEST(StoreTest, BackgroundIndexerCatchesUpWithoutQueries) {
  TempDir dir;
  Options options;
  options.index_interval_ms = 1;
  options.index_hold_bytes = 0;  // Every round writes.
  auto store = OpenOrDie(dir.path(), options);
  auto* impl = static_cast<StoreImpl*>(store.get());
  IngestOrDie(store.get(), {Turn("a", "s1", kT0, "i", "o"), Turn("b", "s2", kT0, "i", "o")});
  // Polls (no timing assertion): the background thread must get there.
  for (int i = 0; i < 10000 && impl->TEST_PendingIndexSessions() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(impl->TEST_PendingIndexSessions(), 0u);
}

// With write-back (the default), the background thread holds the deltas
// in memory instead; Flush writes them.
TEST(StoreTest, BackgroundIndexerHoldsDeltasUntilAFlush) {
  TempDir dir;
  Options options;
  options.index_interval_ms = 1;
  auto store = OpenOrDie(dir.path(), options);
  auto* impl = static_cast<StoreImpl*>(store.get());
  IngestOrDie(store.get(), {Turn("a", "s1", kT0, "i", "o"), Turn("b", "s2", kT0, "i", "o")});
  StoreStats st;
  for (int i = 0; i < 10000; ++i) {
    ASSERT_TRUE(store->GetStats(&st).ok());
    if (st.pending_delta_bytes == 0 && st.held_delta_bytes > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(st.pending_delta_bytes, 0u);
  EXPECT_GT(st.held_delta_bytes, 0u);
  EXPECT_EQ(impl->TEST_PendingIndexSessions(), 2u);
  EXPECT_EQ(GetSessionOrDie(store.get(), "s1").trace_count, 1);
  ASSERT_TRUE(store->Flush().ok());
  ASSERT_TRUE(store->GetStats(&st).ok());
  EXPECT_EQ(st.held_delta_bytes, 0u);
  EXPECT_EQ(impl->TEST_PendingIndexSessions(), 0u);
  EXPECT_EQ(GetSessionOrDie(store.get(), "s1").trace_count, 1);
}

// Every session's id, newest first, by pages of `limit`.
std::vector<std::string> ListAllIds(Store* store, ListSessionsOptions o) {
  std::vector<std::string> ids;
  for (;;) {
    SessionPage page;
    const Status st = store->ListSessions(o, &page);
    EXPECT_TRUE(st.ok()) << st.ToString();
    for (const auto& s : page.sessions) ids.push_back(s.session_id);
    if (!st.ok() || page.next_cursor.empty()) return ids;
    o.cursor = page.next_cursor;
  }
}

// A store of `sessions` sessions (two traces each, users by k % 7).
void FillSessions(const std::string& path, int sessions) {
  auto store = OpenOrDie(path);
  std::vector<Trace> traces;
  for (int k = 0; k < sessions; ++k) {
    for (int64_t at : {int64_t{k}, int64_t{sessions + k}}) {
      Trace t = Turn("t" + std::to_string(k) + "-" + std::to_string(at), "s" + std::to_string(k),
                     kT0 + at * kSec, "i", "o");
      t.user_id = "u" + std::to_string(k % 7);
      traces.push_back(std::move(t));
    }
  }
  IngestOrDie(store.get(), traces);
}

TEST(StoreTest, PreloadedIndexesListWhatALazyLoadLists) {
  TempDir dir;
  FillSessions(dir.path(), 400);
  for (bool read_only : {false, true}) {
    SCOPED_TRACE(read_only ? "read-only" : "writable");
    Options preload;
    preload.read_only = read_only;
    preload.create_if_missing = false;
    preload.preload_session_indexes = true;
    auto store = OpenOrDie(dir.path(), preload);
    // Built in the background, before any listing (polled: no timing
    // assertion, the thread must get there).
    StoreStats stats;
    for (int i = 0; i < 10000 && !stats.counts_exact; ++i) {
      ASSERT_TRUE(store->GetStats(&stats).ok());
      if (!stats.counts_exact) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_TRUE(stats.counts_exact);
    // The writable round adds one session the read-only round then sees.
    EXPECT_EQ(stats.sessions, read_only ? 401 : 400);
    EXPECT_EQ(stats.traces, read_only ? 801 : 800);
    if (!read_only) {
      // Ingest after the build reaches the preloaded indexes.
      IngestOrDie(store.get(), {Turn("late", "s-late", kT0 + 5000 * kSec, "i", "o")});
    }
    ListSessionsOptions o;
    o.limit = 37;
    const std::vector<std::string> all = ListAllIds(store.get(), o);
    o.user_id = "u3";
    const std::vector<std::string> u3 = ListAllIds(store.get(), o);
    if (!read_only) ExpectVerifyClean(store.get());
    store.reset();

    Options lazy;
    lazy.read_only = read_only;
    lazy.create_if_missing = false;
    store = OpenOrDie(dir.path(), lazy);
    o.user_id.clear();
    EXPECT_EQ(ListAllIds(store.get(), o), all);
    EXPECT_EQ(all.size(), 401u);
    EXPECT_EQ(all.front(), "s-late");
    o.user_id = "u3";
    EXPECT_EQ(ListAllIds(store.get(), o), u3);
    EXPECT_EQ(u3.size(), 57u);  // k % 7 == 3 for k < 400.
  }
}

// Closing a store while its indexes are being built stops the build:
// nothing hangs, and the next open lists and verifies every session. Ingest
// and listings right after the open wait for the build or run beside it.
TEST(StoreTest, ClosingDuringAPreloadNeitherHangsNorLosesAnything) {
  TempDir dir;
  FillSessions(dir.path(), 3000);
  Options preload;
  preload.create_if_missing = false;
  preload.preload_session_indexes = true;
  for (int round = 0; round < 3; ++round) {
    auto store = OpenOrDie(dir.path(), preload);
    if (round == 1) {
      IngestOrDie(store.get(), {Turn("r1", "s-r1", kT0 + 9000 * kSec, "i", "o")});
    }
    if (round == 2) {
      SessionPage page;
      ListSessionsOptions o;
      o.limit = 1;
      ASSERT_TRUE(store->ListSessions(o, &page).ok());
      ASSERT_EQ(page.sessions.size(), 1u);
      EXPECT_EQ(page.sessions[0].session_id, "s-r1");
    }
  }
  auto store = OpenOrDie(dir.path());
  ListSessionsOptions o;
  o.limit = 500;
  EXPECT_EQ(ListAllIds(store.get(), o).size(), 3001u);
  ExpectVerifyClean(store.get());
}

}  // namespace
}  // namespace sessionstore
